#!/usr/bin/env python3
"""Records what real PEFT reports for adapters on a *custom* architecture: a model type transformers does not
register (as remote code defines one), whose class holds its backbone under an unconventional attribute
(`trunk`) and registers its modules in an unconventional order (MLP before attention).

Each case writes, for Adaptest's tests: the base checkpoint's config.json and tensor list (as saved), the
adapter's config and tensor list (as PEFT saved it), and PEFT's `load_adapter` result (missing and unexpected
keys in order, or the error). Cases:

  head-prefix        base saved from the head class (keys `trunk.…`, `lm_head.weight`), clean LoRA
  no-head-prefix     base saved from the bare class (keys without `trunk.`, no head), loaded into the head
                     class (transformers adds the prefix), clean LoRA
  dropped-lora-b     as head-prefix, one `lora_B` removed from the adapter file

Usage: $ADAPTEST_PYTHON scripts/recorders/record_custom_architectures.py OUT_DIR
"""
import json
import os
import sys
import tempfile
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.simplefilter("ignore")

import torch  # noqa: E402
from peft import LoraConfig, PeftModel, get_peft_model  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import PretrainedConfig, PreTrainedModel  # noqa: E402


class AcmeConfig(PretrainedConfig):
    model_type = "acme_lm"

    def __init__(self, vocab_size=64, hidden=16, layers=2, tie_word_embeddings=False, **kwargs):
        self.vocab_size = vocab_size
        self.hidden = hidden
        self.layers = layers
        super().__init__(tie_word_embeddings=tie_word_embeddings, **kwargs)


class AcmeBlock(torch.nn.Module):
    def __init__(self, h):
        super().__init__()
        # Unconventional order: the MLP registers before the attention.
        self.ff_in = torch.nn.Linear(h, 2 * h)
        self.ff_out = torch.nn.Linear(2 * h, h)
        self.mix = torch.nn.Linear(h, 3 * h)
        self.mix_out = torch.nn.Linear(h, h)
        self.scale = torch.nn.LayerNorm(h)


class AcmePreTrained(PreTrainedModel):
    config_class = AcmeConfig
    base_model_prefix = "trunk"

    def _init_weights(self, module):
        pass


class AcmeModel(AcmePreTrained):
    def __init__(self, config):
        super().__init__(config)
        self.tokens = torch.nn.Embedding(config.vocab_size, config.hidden)
        self.stack = torch.nn.ModuleList(AcmeBlock(config.hidden) for _ in range(config.layers))
        self.final = torch.nn.LayerNorm(config.hidden)
        self.post_init()

    def get_input_embeddings(self):
        return self.tokens


class AcmeForCausalLM(AcmePreTrained):
    def __init__(self, config):
        super().__init__(config)
        self.trunk = AcmeModel(config)
        self.lm_head = torch.nn.Linear(config.hidden, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.trunk.tokens

    def get_output_embeddings(self):
        return self.lm_head


def tensors_of(path):
    with safe_open(path, "pt") as f:
        return [[name, f.get_slice(name).get_dtype(), list(f.get_slice(name).get_shape())] for name in f.keys()]


def record(case, out, save_bare=False, drop=None):
    torch.manual_seed(0)
    config = AcmeConfig()
    config.architectures = ["AcmeForCausalLM"]
    with tempfile.TemporaryDirectory() as tmp:
        base_dir = os.path.join(tmp, "base")
        model = AcmeForCausalLM(config)
        if save_bare:
            model.trunk.config.architectures = ["AcmeForCausalLM"]
            model.trunk.save_pretrained(base_dir)
        else:
            model.save_pretrained(base_dir)
        adapter_dir = os.path.join(tmp, "adapter")
        peft_model = get_peft_model(AcmeForCausalLM(config),
                                    LoraConfig(r=4, lora_alpha=8, target_modules=["mix", "ff_in"]))
        peft_model.save_pretrained(adapter_dir)
        weights = os.path.join(adapter_dir, "adapter_model.safetensors")
        if drop:
            state = load_file(weights)
            del state[drop]
            save_file(state, weights, metadata={"format": "pt"})
        # What PEFT reports: load into the class the config names, from the base folder as saved.
        base, info = AcmeForCausalLM.from_pretrained(base_dir, output_loading_info=True)
        # A base saved from the bare class has no head: transformers initializes it (nothing else may be missing).
        assert set(info["missing_keys"]) <= ({"lm_head.weight"} if save_bare else set()), info
        first = PeftModel.from_pretrained(base, adapter_dir, adapter_name="default")
        result = first.load_adapter(adapter_dir, adapter_name="other")
        entry = {
            "case": case,
            "base_config": json.load(open(os.path.join(base_dir, "config.json"))),
            "base_tensors": tensors_of(os.path.join(base_dir, "model.safetensors")),
            "adapter_config": json.load(open(os.path.join(adapter_dir, "adapter_config.json"))),
            "adapter_tensors": tensors_of(weights),
            "peft": {"adapter_name": "other", "loaded": ["default"],
                     "missing_keys": list(result.missing_keys), "unexpected_keys": list(result.unexpected_keys)},
        }
    with open(os.path.join(out, f"{case}.json"), "w") as fh:
        json.dump(entry, fh, indent=1)
        fh.write("\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    record("head-prefix", out)
    record("no-head-prefix", out, save_bare=True)
    record("dropped-lora-b", out, drop="base_model.model.trunk.stack.1.mix.lora_B.weight")
    print(f"wrote 3 cases to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
