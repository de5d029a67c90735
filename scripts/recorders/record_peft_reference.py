#!/usr/bin/env python3
"""Records what real PEFT writes for each tuner, as the reference for Adaptest's adapter synthesis.

For every tuner variant below, builds a tiny base model with transformers (the same shapes as
Adaptest's tiny catalog models), wraps it with `get_peft_model`, runs `save_pretrained`, and records
`adapter_config.json` (parsed, plus its text) and the saved tensors (name, shape, dtype, in file
order). `target_modules` is a Python set inside PEFT, so its written order depends on the string
hash seed: run with PYTHONHASHSEED=0 for a stable file.

Usage: PYTHONHASHSEED=0 dump_peft_reference.py OUT.json
"""
import json
import os
import sys
import tempfile
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.simplefilter("ignore")

import peft  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402

transformers.logging.set_verbosity_error()

BASES = {
    "llama": lambda: transformers.LlamaConfig(
        vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2),
    "gpt2": lambda: transformers.GPT2Config(
        vocab_size=128, n_embd=16, n_layer=2, n_head=4, n_positions=64, bos_token_id=None, eos_token_id=None),
    "t5": lambda: transformers.T5Config(vocab_size=128, d_model=16, d_kv=4, d_ff=32, num_layers=2, num_heads=4),
    "qwen3_moe": lambda: transformers.Qwen3MoeConfig(
        vocab_size=128, hidden_size=16, intermediate_size=32, moe_intermediate_size=8, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=4, num_experts=4, num_experts_per_tok=2),
}
AUTO = {"t5": transformers.AutoModelForSeq2SeqLM}
QV = ["q_proj", "v_proj"]

# name -> (base, config factory)
VARIANTS = {
    "lora": ("llama", lambda: peft.LoraConfig(r=4, lora_alpha=8, target_modules=QV)),
    "lora-causal-lm": ("llama", lambda: peft.LoraConfig(r=4, target_modules=QV, task_type="CAUSAL_LM")),
    "lora-dora": ("llama", lambda: peft.LoraConfig(r=4, target_modules=QV, use_dora=True)),
    "lora-bias": ("llama", lambda: peft.LoraConfig(r=4, target_modules=QV, lora_bias=True)),
    "lora-embedding": ("llama", lambda: peft.LoraConfig(r=4, target_modules=["embed_tokens", "lm_head"])),
    "lora-modules-to-save": ("llama", lambda: peft.LoraConfig(r=4, target_modules=QV, modules_to_save=["lm_head"])),
    "lora-trainable-tokens": ("llama", lambda: peft.LoraConfig(
        r=4, target_modules=QV, trainable_token_indices=[3, 5])),
    "lora-conv1d": ("gpt2", lambda: peft.LoraConfig(r=4, target_modules=["c_attn"], fan_in_fan_out=True)),
    "lora-t5": ("t5", lambda: peft.LoraConfig(r=4, target_modules=["q", "v"])),
    "lora-moe-experts": ("qwen3_moe", lambda: peft.LoraConfig(
        r=2, target_modules=[], target_parameters=["mlp.experts.gate_up_proj"])),
    "adalora": ("llama", lambda: peft.AdaLoraConfig(init_r=4, target_r=2, target_modules=QV, total_step=10)),
    "loha": ("llama", lambda: peft.LoHaConfig(r=4, alpha=8, target_modules=QV)),
    "lokr": ("llama", lambda: peft.LoKrConfig(r=4, alpha=8, target_modules=QV)),
    "ia3": ("llama", lambda: peft.IA3Config(target_modules=["k_proj", "v_proj", "down_proj"],
                                           feedforward_modules=["down_proj"])),
    "vera": ("llama", lambda: peft.VeraConfig(r=4, target_modules=QV)),
    "vera-no-projection": ("llama", lambda: peft.VeraConfig(r=4, target_modules=QV, save_projection=False)),
    "vblora": ("llama", lambda: peft.VBLoRAConfig(r=4, target_modules=QV, num_vectors=8, vector_length=4)),
    "vblora-topk": ("llama", lambda: peft.VBLoRAConfig(
        r=4, target_modules=QV, num_vectors=8, vector_length=4, save_only_topk_weights=True)),
    "oft": ("llama", lambda: peft.OFTConfig(oft_block_size=4, target_modules=QV)),
    "boft": ("llama", lambda: peft.BOFTConfig(boft_block_size=4, target_modules=QV)),
    "fourierft": ("llama", lambda: peft.FourierFTConfig(n_frequency=8, target_modules=QV)),
    "hra": ("llama", lambda: peft.HRAConfig(r=4, target_modules=QV)),
    "miss": ("llama", lambda: peft.MissConfig(r=4, target_modules=QV)),
    "ln_tuning": ("llama", lambda: peft.LNTuningConfig(target_modules=["input_layernorm"])),
    "prompt_tuning": ("llama", lambda: peft.PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4)),
    "prefix_tuning": ("llama", lambda: peft.PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4)),
    "p_tuning": ("llama", lambda: peft.PromptEncoderConfig(
        task_type="CAUSAL_LM", num_virtual_tokens=4, encoder_hidden_size=8)),
    "trainable_tokens": ("llama", lambda: peft.TrainableTokensConfig(
        target_modules=["embed_tokens"], token_indices=[1, 2])),
    "hira": ("llama", lambda: peft.HiraConfig(r=4, target_modules=QV)),
    "c3a": ("llama", lambda: peft.C3AConfig(block_size=4, target_modules=QV)),
    "delora": ("llama", lambda: peft.DeloraConfig(r=4, target_modules=QV)),
    "gralora": ("llama", lambda: peft.GraloraConfig(r=4, gralora_k=2, target_modules=QV)),
    "road": ("llama", lambda: peft.RoadConfig(group_size=4, target_modules=QV)),
    "waveft": ("llama", lambda: peft.WaveFTConfig(n_frequency=8, target_modules=QV)),
    "deft": ("llama", lambda: peft.DeftConfig(r=4, target_modules=QV)),
    "beft": ("llama", lambda: peft.BeftConfig(target_modules=QV)),
    "peanut": ("llama", lambda: peft.PeanutConfig(r=4, depth=1, target_modules=QV)),
    "pvera": ("llama", lambda: peft.PveraConfig(r=4, target_modules=QV)),
    "glora": ("llama", lambda: peft.GloraConfig(r=4, target_modules=QV)),
    "shira": ("llama", lambda: peft.ShiraConfig(r=2, target_modules=QV)),
    "lily": ("llama", lambda: peft.LilyConfig(r=4, target_modules=QV)),
    "randlora": ("llama", lambda: peft.RandLoraConfig(r=4, target_modules=QV)),
    "unilora": ("llama", lambda: peft.UniLoraConfig(r=2, theta_d_length=64, target_modules=QV)),
    "poly": ("llama", lambda: peft.PolyConfig(r=4, n_tasks=2, target_modules=QV)),
    "supertuning": ("llama", lambda: peft.SupertuningConfig(sparsity=0.9, target_modules=QV)),
    "mpt": ("llama", lambda: peft.MultitaskPromptTuningConfig(
        task_type="CAUSAL_LM", num_virtual_tokens=4, num_tasks=2, num_ranks=2)),
    "cpt": ("llama", lambda: peft.CPTConfig(task_type="CAUSAL_LM", cpt_token_ids=[5, 6, 7])),
    "cartridge": ("llama", lambda: peft.CartridgeConfig(task_type="CAUSAL_LM", num_virtual_tokens=4)),
    "osf": ("llama", lambda: peft.OSFConfig(target_modules=QV)),
    "psoft": ("llama", lambda: peft.PsoftConfig(r=4, target_modules=QV)),
    "tinylora": ("llama", lambda: peft.TinyLoraConfig(r=2, u=4, target_modules=QV)),
    "frod": ("llama", lambda: peft.FrodConfig(sparse_rate=0.1, target_modules=QV)),
    "adaption-prompt": ("llama", lambda: peft.AdaptionPromptConfig(task_type="CAUSAL_LM", adapter_len=4, adapter_layers=1)),
    "shadow": ("llama", lambda: peft.ShadowConfig(task_type="CAUSAL_LM", r=2)),
}


def record(base, make_config):
    torch.manual_seed(0)
    auto = AUTO.get(base, transformers.AutoModelForCausalLM)
    model = auto.from_config(BASES[base]())
    wrapped = peft.get_peft_model(model, make_config())
    with tempfile.TemporaryDirectory() as folder:
        wrapped.save_pretrained(folder)
        text = open(os.path.join(folder, "adapter_config.json")).read()
        with safe_open(os.path.join(folder, "adapter_model.safetensors"), "pt") as f:
            tensors = [{"name": k, "shape": list(f.get_slice(k).get_shape()), "dtype": f.get_slice(k).get_dtype()}
                       for k in f.keys()]
            metadata = f.metadata()
    return {"base": base, "config": json.loads(text), "config_text": text, "tensors": tensors, "metadata": metadata}


def main():
    out = {"peft_version": peft.__version__, "transformers_version": transformers.__version__,
           "variants": {name: record(base, make) for name, (base, make) in VARIANTS.items()}}
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
