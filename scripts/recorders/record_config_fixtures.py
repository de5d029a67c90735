"""Writes adapter_config.json files exactly as real PEFT saves them, one per tuner, as decoding fixtures.

Usage: $ADAPTEST_PYTHON make_config_fixtures.py OUTPUT_DIR
The interpreter must have peft installed; the files are what `PeftConfig.save_pretrained` writes.
"""
import os
import sys
import tempfile
import shutil

import peft

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

configs = {
    "lora": peft.LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM",
                            base_model_name_or_path="tiny-llama"),
    "lora-regex": peft.LoraConfig(r=4, target_modules=r".*\.(q|v)_proj", exclude_modules=["lm_head"],
                                  rank_pattern={"q_proj": 2}, alpha_pattern={"v_proj": 32},
                                  modules_to_save=["lm_head"], use_dora=True, lora_bias=False),
    "lora-layers": peft.LoraConfig(r=4, target_modules=["q_proj"], layers_to_transform=[0], layers_pattern="layers",
                                   lora_bias=True),
    "lora-all-linear": peft.LoraConfig(target_modules="all-linear", trainable_token_indices=[1, 2, 3]),
    "lora-target-parameters": peft.LoraConfig(target_modules=[], target_parameters=["experts.gate_up_proj"]),
    "adalora": peft.AdaLoraConfig(r=4, target_modules=["q_proj"], total_step=10, init_r=6, target_r=4),
    "loha": peft.LoHaConfig(r=4, target_modules=["q_proj"]),
    "lokr": peft.LoKrConfig(r=4, target_modules=["q_proj"]),
    "ia3": peft.IA3Config(target_modules=["q_proj", "down_proj"], feedforward_modules=["down_proj"]),
    "vera": peft.VeraConfig(r=4, target_modules=["q_proj"], save_projection=True),
    "vera-no-projection": peft.VeraConfig(r=4, target_modules=["q_proj"], save_projection=False),
    "vblora": peft.VBLoRAConfig(r=4, target_modules=["q_proj"], num_vectors=16, vector_length=4,
                               save_only_topk_weights=True, topk=2),
    "oft": peft.OFTConfig(oft_block_size=4, r=0, target_modules=["q_proj"]),
    "boft": peft.BOFTConfig(boft_block_size=4, target_modules=["q_proj"]),
    "fourierft": peft.FourierFTConfig(n_frequency=10, target_modules=["q_proj"]),
    "hra": peft.HRAConfig(r=4, target_modules=["q_proj"]),
    "miss": peft.MissConfig(r=4, target_modules=["q_proj"]),
    "ln-tuning": peft.LNTuningConfig(target_modules=["input_layernorm"]),
    "trainable-tokens": peft.TrainableTokensConfig(target_modules=["embed_tokens"], token_indices=[0, 1]),
    "prompt-tuning": peft.PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4, token_dim=16,
                                            num_transformer_submodules=1, num_attention_heads=4, num_layers=2),
    "prefix-tuning": peft.PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4, token_dim=16,
                                            num_transformer_submodules=1, num_attention_heads=4, num_layers=2,
                                            prefix_projection=True, encoder_hidden_size=8),
    "p-tuning": peft.PromptEncoderConfig(task_type="CAUSAL_LM", num_virtual_tokens=4, token_dim=16,
                                        num_transformer_submodules=1, num_attention_heads=4, num_layers=2,
                                        encoder_hidden_size=8),
}

for name, config in configs.items():
    tmp = tempfile.mkdtemp()
    config.save_pretrained(tmp)
    shutil.copy(os.path.join(tmp, "adapter_config.json"), os.path.join(out, f"{name}.json"))
    shutil.rmtree(tmp)
print(f"peft {peft.__version__}: wrote {len(configs)} configs to {out}")

# The fields each config class declares (what PEFT accepts without an "Unexpected keyword arguments" warning).
import dataclasses
import json

from peft.mapping import PEFT_TYPE_TO_CONFIG_MAPPING

types = ["LORA", "ADALORA", "LOHA", "LOKR", "IA3", "VERA", "VBLORA", "OFT", "BOFT", "FOURIERFT", "HRA", "MISS",
         "LN_TUNING", "TRAINABLE_TOKENS", "PROMPT_TUNING", "PREFIX_TUNING", "P_TUNING",
         "HIRA", "C3A", "DELORA", "GRALORA", "ROAD", "WAVEFT", "DEFT", "BEFT", "PEANUT", "PVERA", "GLORA", "SHIRA", "LILY", "RANDLORA", "UNILORA", "POLY", "SUPERTUNING",
         "MULTITASK_PROMPT_TUNING", "CPT", "CARTRIDGE", "OSF", "PSOFT", "TINYLORA", "FROD"]
fields = {t: sorted(f.name for f in dataclasses.fields(PEFT_TYPE_TO_CONFIG_MAPPING[t])) for t in types}
with open(os.path.join(out, "..", "config-fields.json"), "w") as fh:
    json.dump(fields, fh, indent=1, sort_keys=True)
    fh.write("\n")

# Target matching: what PEFT's check_target_module_exists and get_pattern_key return for sample names.
from peft.tuners.tuners_utils import _ExcludedModule, check_target_module_exists
from peft.utils.other import get_pattern_key

keys = [
    "model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj", "model.layers.12.self_attn.v_proj",
    "model.layers.0.mlp.down_proj", "lm_head", "model.embed_tokens", "q_proj", "model.layers.0.self_attn",
    "model.layers.0.mlp.experts.3.down_proj", "model.layers.1.mlp.experts.0.up_proj", "transformer.h.0.attn.c_attn",
    "transformer.h.1.mlp.c_proj", "encoder.block.0.layer.0.SelfAttention.q", "decoder.block.1.layer.1.EncDecAttention.q",
    "model.flora_head", "base.lm_head.dense", "xq_proj", "model.layers.0.self_attn.q_proj.lora_A",
]
configs = {
    "list": dict(target_modules=["q_proj", "v_proj"]),
    "list-suffix-with-dot": dict(target_modules=["self_attn.q_proj", "mlp.c_proj"]),
    "regex": dict(target_modules=r".*\.(q|v)_proj"),
    "regex-partial": dict(target_modules=r"q_proj"),
    "exclude-list": dict(target_modules=["q_proj", "down_proj"], exclude_modules=["mlp.down_proj"]),
    "exclude-regex": dict(target_modules=["q_proj", "v_proj"], exclude_modules=r".*layers\.1\..*"),
    "layers-to-transform": dict(target_modules=["q_proj", "down_proj", "up_proj"], layers_to_transform=[0]),
    "layers-to-transform-int": dict(target_modules=["q_proj", "v_proj"], layers_to_transform=12),
    "layers-pattern": dict(target_modules=["q_proj", "c_attn", "c_proj"], layers_to_transform=[1], layers_pattern="h"),
    "layers-pattern-list": dict(target_modules=["q", "q_proj"], layers_to_transform=[0, 1], layers_pattern=["block", "layers"]),
    "modules-to-save": dict(target_modules=["q_proj", "lm_head", "dense"], modules_to_save=["lm_head"]),
    "empty": dict(target_modules=[]),
}
matching = {"keys": keys, "configs": {}}
for name, kwargs in configs.items():
    config = peft.LoraConfig(**kwargs)
    results = []
    for key in keys:
        result = check_target_module_exists(config, key)
        results.append("excluded" if isinstance(result, _ExcludedModule) else ("matched" if result else "unmatched"))
    raw = dict(kwargs, peft_type="LORA")
    matching["configs"][name] = {"config": raw, "results": results}
pattern_keys = ["q_proj", r"layers\.1\..*", "v_proj", "mlp.down_proj", r"experts\.\d+\.up_proj"]
matching["rank_pattern"] = {"patterns": pattern_keys, "results": [get_pattern_key(pattern_keys, k) for k in keys]}
with open(os.path.join(out, "..", "target-matching.json"), "w") as fh:
    json.dump(matching, fh, indent=1)
    fh.write("\n")

# LoKr's factorization(dimension, factor), which decides LoKr's parameter shapes.
from peft.tuners.lokr.layer import factorization

dims = [1, 2, 7, 12, 16, 32, 48, 64, 96, 128, 127, 256, 1000, 4096, 11008, 14336, 8192, 1155, 65536, 999983]
rows = [[d, f, list(factorization(d, f))] for d in dims for f in [-1, 4, 8, 3]]
with open(os.path.join(out, "..", "lokr-factorization.json"), "w") as fh:
    json.dump(rows, fh)
    fh.write("\n")
