#!/usr/bin/env python3
"""Records what real PEFT does when it loads, from the saved files, an adapter whose load Adaptest answers
"cannot tell" (X-LoRA; Shadow with a backbone named by id — its mirror backbone is modelled and replayed on the
ground truth), so that the answer states PEFT's own behaviour and exceptions.

Usage (see scripts/recorders/README.md):
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $ADAPTEST_PYTHON scripts/recorders/record_unmodelled_loads.py [OUT.json]

OUT defaults to Tests/AdapterLoadingTests/Fixtures/unmodelled-loads.json. Everything is built from configs (no Hub
download) in a temporary folder; paths in messages are made relative to it. Each scenario records the files PEFT
saved, the saved tensor names, and, for each load, either the error (type and message) or the keys the load reported.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import peft  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from peft import LoraConfig, PeftModel, ShadowConfig, XLoraConfig, get_peft_model  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "AdapterLoadingTests" / "Fixtures" / "unmodelled-loads.json"


def base(use_cache=False, hidden=16):
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=128, hidden_size=hidden, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=4, tie_word_embeddings=False,
                         use_cache=use_cache)
    return LlamaForCausalLM(config)


def saved(folder):
    files = sorted(f for f in os.listdir(folder) if f != "README.md")
    tensors = []
    path = os.path.join(folder, "adapter_model.safetensors")
    if os.path.exists(path):
        with safe_open(path, "pt") as f:
            tensors = [[k, list(f.get_slice(k).get_shape())] for k in sorted(f.keys())]
    with open(os.path.join(folder, "adapter_config.json")) as f:
        config = json.load(f)
    return dict(files=files, tensors=tensors, config=config)


def attempt(root, fn):
    """Runs one load; records its error or the keys it reported and the adapter keys the model then has."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = fn()
        except Exception as error:  # noqa: BLE001 - the point is to record what PEFT raises
            frame = traceback.extract_tb(error.__traceback__)[-1]
            return dict(error=dict(type=type(error).__name__,
                                   message=str(error).replace(root + "/", "").replace(root, "."),
                                   raised_in=frame.filename.split("site-packages/")[-1]))
    keys = sorted(k for k in model.state_dict() if "shadow" in k or "xlora" in k or "lora_" in k)
    return dict(loaded=True, adapter_state_keys=len(keys), sample_keys=keys[:6],
                warnings=sorted({str(w.message).replace(root + "/", "") for w in caught
                                 if "gradient_checkpointing" not in str(w.message)}))


def xlora(root):
    for name, seed in (("lora-a", 1), ("lora-b", 2)):
        torch.manual_seed(seed)
        get_peft_model(base(), LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=False)) \
            .save_pretrained(f"adapters/{name}")
    config = XLoraConfig(task_type="CAUSAL_LM", hidden_size=16, xlora_depth=1,
                         adapters={"0": "adapters/lora-a", "1": "adapters/lora-b"})
    get_peft_model(base(), config).save_pretrained("adapters/xlora")
    record = dict(saved=saved("adapters/xlora"), loads={})
    loads = record["loads"]
    loads["from_pretrained"] = attempt(root, lambda: PeftModel.from_pretrained(base(), "adapters/xlora"))
    loads["from_pretrained, base config use_cache=True"] = attempt(
        root, lambda: PeftModel.from_pretrained(base(use_cache=True), "adapters/xlora"))
    shutil.move("adapters/lora-b", "adapters/lora-b-moved")
    loads["from_pretrained, a listed LoRA adapter folder gone"] = attempt(
        root, lambda: PeftModel.from_pretrained(base(), "adapters/xlora"))
    shutil.move("adapters/lora-b-moved", "adapters/lora-b")
    return record


def shadow(root):
    get_peft_model(base(), ShadowConfig(task_type="CAUSAL_LM", r=2)).save_pretrained("adapters/shadow")
    record = dict(saved=saved("adapters/shadow"), loads={})
    loads = record["loads"]
    loads["from_pretrained"] = attempt(root, lambda: PeftModel.from_pretrained(base(), "adapters/shadow"))
    loads["from_pretrained into a wider base (hidden 32)"] = attempt(
        root, lambda: PeftModel.from_pretrained(base(hidden=32), "adapters/shadow"))
    # A shadow backbone named by id: PEFT loads it from the Hub or a path when it builds the model (here offline).
    with open("adapters/shadow/adapter_config.json") as f:
        config = json.load(f)
    config["shadow_model"] = "some-org/shadow-backbone"
    os.makedirs("adapters/shadow-by-id", exist_ok=True)
    shutil.copy("adapters/shadow/adapter_model.safetensors", "adapters/shadow-by-id/")
    with open("adapters/shadow-by-id/adapter_config.json", "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    loads["from_pretrained, shadow_model edited to a model id (offline)"] = attempt(
        root, lambda: PeftModel.from_pretrained(base(), "adapters/shadow-by-id"))
    return record


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT).resolve()
    result = dict(generator="scripts/recorders/record_unmodelled_loads.py",
                  versions=dict(peft=peft.__version__, transformers=transformers.__version__,
                                torch=torch.__version__.split("+")[0]))
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.realpath(tmp)
        os.chdir(root)
        try:
            result["XLORA"] = xlora(root)
            result["SHADOW"] = shadow(root)
        finally:
            os.chdir(cwd)
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    for marker in (str(Path.home()), sys.prefix, str(REPO_ROOT)):
        text = text.replace(marker, "<path>")
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
