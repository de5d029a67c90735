"""Fixtures: tiny base models and adapters made with the installed transformers/peft, and a
driver process shared by the tests of a session.

Run with the interpreter of a driver venv, e.g. `<venv>/bin/python -m pytest Drivers/peft/tests`.
"""

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))

from driver_process import DriverProcess  # noqa: E402

LLAMA_TARGETS = ("q_proj", "v_proj")
LLAMA_LAYERS = 2


def pytest_report_header(config):
    import peft
    import transformers

    return f"peft {peft.__version__}, transformers {transformers.__version__}"


def peft_version():
    import peft

    return tuple(int(part) for part in peft.__version__.split(".")[:2])


def _save_base(model, folder):
    model.save_pretrained(str(folder))
    assert (folder / "model.safetensors").exists(), "base must be saved as safetensors"


def _llama(vocab):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=LLAMA_LAYERS,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(config)


def _save_lora(base_folder, model_class, targets, folder):
    import torch
    from peft import LoraConfig, get_peft_model

    base = model_class.from_pretrained(str(base_folder))
    torch.manual_seed(1)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=list(targets), init_lora_weights=False)
    get_peft_model(base, config).save_pretrained(str(folder))


def _rewrite_checkpoint(source, folder, edit):
    """Copies an adapter folder, letting `edit` change its tensor dict."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(source, folder)
    path = folder / "adapter_model.safetensors"
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path), metadata={"format": "pt"})


def lora_key(layer, module, matrix, adapter=None):
    """A LoRA weight key of the tiny Llama: checkpoint form, or model form with `adapter`."""
    middle = f"lora_{matrix}.{adapter}" if adapter else f"lora_{matrix}"
    return f"base_model.model.model.layers.{layer}.self_attn.{module}.{middle}.weight"


def _damaged_copies(paths):
    """Adapter folders whose adapter_model.safetensors breaks one rule of the format."""
    import struct

    original = (paths["lora"] / "adapter_model.safetensors").read_bytes()
    (header_length,) = struct.unpack("<Q", original[:8])
    header = original[8 : 8 + header_length]
    damaged = {
        # a header length far beyond the reader's 100 MB limit
        "header_too_large": struct.pack("<Q", 10**12) + original[8:],
        # the last tensor's bytes cut short: the offsets no longer cover the data
        "truncated": original[:-4],
        # the header is not JSON
        "invalid_json": struct.pack("<Q", len(header)) + b"[" + header[1:] + original[8 + header_length :],
    }
    for name, data in damaged.items():
        folder = paths["root"] / f"lora-{name}"
        shutil.copytree(paths["lora"], folder)
        (folder / "adapter_model.safetensors").write_bytes(data)
        paths[f"lora_{name}"] = folder


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """Folders: llama bases (vocab 128 and resized to 140), LoRA adapters and broken variants."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, LlamaForCausalLM, T5Config
    from transformers import T5ForConditionalGeneration

    root = tmp_path_factory.mktemp("peft-driver-models")
    paths = {"root": root}

    paths["llama"] = root / "llama-v128"
    _save_base(_llama(128), paths["llama"])
    resized = LlamaForCausalLM.from_pretrained(str(paths["llama"]))
    torch.manual_seed(2)
    resized.resize_token_embeddings(140)
    paths["llama_resized"] = root / "llama-v140"
    _save_base(resized, paths["llama_resized"])

    paths["lora"] = root / "lora"
    _save_lora(paths["llama"], LlamaForCausalLM, LLAMA_TARGETS, paths["lora"])

    dropped = lora_key(0, "q_proj", "B")
    paths["lora_no_b"] = root / "lora-no-b"
    _rewrite_checkpoint(paths["lora"], paths["lora_no_b"], lambda t: t.pop(dropped))

    def widen(tensors):
        tensors[lora_key(0, "q_proj", "A")] = torch.ones(8, 16)

    paths["lora_rank8_a"] = root / "lora-rank8-a"
    _rewrite_checkpoint(paths["lora"], paths["lora_rank8_a"], widen)

    def add_unknown(tensors):
        tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_C.weight"] = torch.ones(4, 16)

    paths["lora_extra"] = root / "lora-extra"
    _rewrite_checkpoint(paths["lora"], paths["lora_extra"], add_unknown)

    _damaged_copies(paths)

    paths["base_without_config"] = root / "llama-no-config"
    shutil.copytree(paths["llama"], paths["base_without_config"])
    (paths["base_without_config"] / "config.json").unlink()

    paths["lora_future"] = root / "lora-future-config"
    shutil.copytree(paths["lora"], paths["lora_future"])
    config_path = paths["lora_future"] / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["adaptest_future_field"] = {"enabled": True}
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True))

    t5_config = T5Config(
        vocab_size=128, d_model=16, d_kv=4, d_ff=32, num_layers=2, num_heads=4,
        decoder_start_token_id=0, pad_token_id=0,
    )
    torch.manual_seed(0)
    paths["t5"] = root / "t5"
    _save_base(T5ForConditionalGeneration(t5_config), paths["t5"])
    paths["t5_lora"] = root / "t5-lora"
    _save_lora(paths["t5"], T5ForConditionalGeneration, ("q", "v"), paths["t5_lora"])

    bert_config = BertConfig(
        vocab_size=128, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=32, max_position_embeddings=64,
    )
    torch.manual_seed(0)
    paths["bert"] = root / "bert"
    _save_base(BertForMaskedLM(bert_config), paths["bert"])
    paths["bert_lora"] = root / "bert-lora"
    _save_lora(paths["bert"], BertForMaskedLM, ("query", "value"), paths["bert_lora"])
    return paths


@pytest.fixture(scope="session")
def driver():
    """One driver process for the session (as a runner keeps one per loader)."""
    process = DriverProcess()
    hello = process.handshake()
    assert hello["type"] == "hello", hello
    yield process
    process.shutdown()


@pytest.fixture
def fresh_driver():
    """A driver of its own, for tests that end or confuse the process."""
    process = DriverProcess()
    yield process
    process.close()
