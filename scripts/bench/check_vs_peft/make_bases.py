"""Writes header-only (sparse) safetensors model folders of real sizes: an 80-layer Llama-3-70B and a
Qwen3-30B-A3B MoE (18,867 tensors). Usage: python3 make_bases.py OUTPUT_DIR (no dependencies)."""
import json, os, struct, sys
out = sys.argv[1]
def write_sparse(path, tensors):
    header = {}
    offset = 0
    for name, shape, dtype in tensors:
        n = 2
        for d in shape: n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.truncate(8 + len(text) + offset)
def llama70b():
    H, I, L, V, KV = 8192, 28672, 80, 128256, 1024
    t = [("model.embed_tokens.weight", [V, H], "BF16")]
    for i in range(L):
        p = f"model.layers.{i}"
        t += [(f"{p}.self_attn.q_proj.weight", [H, H], "BF16"), (f"{p}.self_attn.k_proj.weight", [KV, H], "BF16"),
              (f"{p}.self_attn.v_proj.weight", [KV, H], "BF16"), (f"{p}.self_attn.o_proj.weight", [H, H], "BF16"),
              (f"{p}.mlp.gate_proj.weight", [I, H], "BF16"), (f"{p}.mlp.up_proj.weight", [I, H], "BF16"),
              (f"{p}.mlp.down_proj.weight", [H, I], "BF16"), (f"{p}.input_layernorm.weight", [H], "BF16"),
              (f"{p}.post_attention_layernorm.weight", [H], "BF16")]
    t += [("model.norm.weight", [H], "BF16"), ("lm_head.weight", [V, H], "BF16")]
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": H, "intermediate_size": I,
           "num_hidden_layers": L, "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": V,
           "rms_norm_eps": 1e-05, "tie_word_embeddings": False, "head_dim": 128, "max_position_embeddings": 8192,
           "rope_theta": 500000.0, "torch_dtype": "bfloat16"}
    return cfg, t
def qwen3moe():
    H, L, V, E, MI = 2048, 48, 151936, 128, 768
    t = [("model.embed_tokens.weight", [V, H], "BF16")]
    for i in range(L):
        p = f"model.layers.{i}"
        t += [(f"{p}.self_attn.q_proj.weight", [4096, H], "BF16"), (f"{p}.self_attn.k_proj.weight", [512, H], "BF16"),
              (f"{p}.self_attn.v_proj.weight", [512, H], "BF16"), (f"{p}.self_attn.o_proj.weight", [H, 4096], "BF16"),
              (f"{p}.self_attn.q_norm.weight", [128], "BF16"), (f"{p}.self_attn.k_norm.weight", [128], "BF16"),
              (f"{p}.mlp.gate.weight", [E, H], "BF16")]
        for e in range(E):
            t += [(f"{p}.mlp.experts.{e}.gate_proj.weight", [MI, H], "BF16"), (f"{p}.mlp.experts.{e}.up_proj.weight", [MI, H], "BF16"),
                  (f"{p}.mlp.experts.{e}.down_proj.weight", [H, MI], "BF16")]
        t += [(f"{p}.input_layernorm.weight", [H], "BF16"), (f"{p}.post_attention_layernorm.weight", [H], "BF16")]
    t += [("model.norm.weight", [H], "BF16"), ("lm_head.weight", [V, H], "BF16")]
    cfg = {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_size": H, "intermediate_size": 6144,
           "moe_intermediate_size": MI, "num_hidden_layers": L, "num_attention_heads": 32, "num_key_value_heads": 4,
           "head_dim": 128, "num_experts": E, "num_experts_per_tok": 8, "vocab_size": V, "rms_norm_eps": 1e-06,
           "tie_word_embeddings": False, "max_position_embeddings": 40960, "decoder_sparse_step": 1, "mlp_only_layers": [],
           "norm_topk_prob": True, "torch_dtype": "bfloat16"}
    return cfg, t
for name, fn in [("llama-70b", llama70b), ("qwen3-moe-30b", qwen3moe)]:
    cfg, t = fn()
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=1)
    write_sparse(os.path.join(d, "model.safetensors"), t)
    print(name, len(t), "tensors")
