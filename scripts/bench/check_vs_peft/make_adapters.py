"""Writes real LoRA adapters (zeros, r=16 / r=8 on q_proj and v_proj) for the bench bases, with real PEFT
configs. Usage: $ADAPTEST_PYTHON make_adapters.py OUTPUT_DIR (numpy, safetensors, peft)."""
import json, os, sys
import numpy as np
from safetensors.numpy import save_file
import peft
out = sys.argv[1]
def make(name, base, layers, shapes, r):
    d = os.path.join(out, name); os.makedirs(d, exist_ok=True)
    t = {}
    for i in range(layers):
        for mod, (o, inn) in shapes.items():
            p = f"base_model.model.model.layers.{i}.self_attn.{mod}"
            t[f"{p}.lora_A.weight"] = np.zeros((r, inn), dtype=np.float32)
            t[f"{p}.lora_B.weight"] = np.zeros((o, r), dtype=np.float32)
    save_file(t, os.path.join(d, "adapter_model.safetensors"), metadata={"format": "pt"})
    peft.LoraConfig(r=r, lora_alpha=2 * r, target_modules=list(shapes), task_type="CAUSAL_LM",
                    base_model_name_or_path=base).save_pretrained(d)
make("lora-llama-70b", "llama-70b", 80, {"q_proj": (8192, 8192), "v_proj": (1024, 8192)}, 16)
make("lora-qwen3-moe", "qwen3-moe-30b", 48, {"q_proj": (4096, 2048), "v_proj": (512, 2048)}, 8)
