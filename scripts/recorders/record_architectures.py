"""Records, for tiny instances of the architectures Adaptest knows, what transformers saves and what the
model's torch state_dict() is: the ground truth for the base-model schema (names, shapes, order, ties).

Usage: $ADAPTEST_PYTHON record_architectures.py OUTPUT_DIR   (offline; needs torch + transformers)
Writes OUTPUT_DIR/<case>.json with: transformers version, config.json as saved, the saved safetensors
header (names, dtypes, shapes), the model's state_dict() (names, shapes, in order) and named_modules()
(names and class names).
"""
import json
import os
import sys
import tempfile

import torch
import transformers
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import AutoConfig

DT = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}

LLAMA = dict(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2)
CASES = {
    "llama": ("llama", "LlamaForCausalLM", LLAMA),
    "llama-tied": ("llama", "LlamaForCausalLM", dict(LLAMA, tie_word_embeddings=True)),
    "mistral": ("mistral", "MistralForCausalLM", LLAMA),
    "qwen2": ("qwen2", "Qwen2ForCausalLM", dict(LLAMA, tie_word_embeddings=True)),
    "qwen3": ("qwen3", "Qwen3ForCausalLM", dict(LLAMA, head_dim=4)),
    "gemma": ("gemma", "GemmaForCausalLM", dict(LLAMA, head_dim=4)),
    "gemma2": ("gemma2", "Gemma2ForCausalLM", dict(LLAMA, head_dim=4)),
    "phi3": ("phi3", "Phi3ForCausalLM", dict(LLAMA, pad_token_id=0)),
    "gpt2": ("gpt2", "GPT2LMHeadModel", dict(vocab_size=128, n_embd=16, n_layer=2, n_head=4, n_positions=32)),
    "t5": ("t5", "T5ForConditionalGeneration",
           dict(vocab_size=128, d_model=16, d_kv=4, d_ff=32, num_layers=2, num_heads=4)),
    "t5-gated": ("t5", "T5ForConditionalGeneration",
                 dict(vocab_size=128, d_model=16, d_kv=4, d_ff=32, num_layers=2, num_heads=4,
                      feed_forward_proj="gated-gelu", tie_word_embeddings=False)),
    "bert": ("bert", "BertForSequenceClassification",
             dict(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
                  max_position_embeddings=32)),
    "bert-mlm": ("bert", "BertForMaskedLM",
                 dict(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
                      max_position_embeddings=32)),
    "mixtral": ("mixtral", "MixtralForCausalLM", dict(LLAMA, num_local_experts=4)),
    "qwen3_moe": ("qwen3_moe", "Qwen3MoeForCausalLM",
                  dict(LLAMA, moe_intermediate_size=8, num_experts=4, num_experts_per_tok=2, head_dim=4)),
    # Model types outside the synthesis catalog, whose registration order or names differ from the
    # common conventions (OPT/BART register k, v, q; Falcon its MLP before its norm; DeBERTa-v2
    # query_proj/key_proj/value_proj).
    "opt": ("opt", "OPTForCausalLM",
            dict(vocab_size=128, hidden_size=16, ffn_dim=32, num_hidden_layers=2, num_attention_heads=4,
                 word_embed_proj_dim=16, max_position_embeddings=32)),
    "bart": ("bart", "BartForConditionalGeneration",
             dict(vocab_size=128, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                  decoder_attention_heads=4, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=32)),
    "deberta-v2": ("deberta-v2", "DebertaV2ForSequenceClassification",
                   dict(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                        num_attention_heads=4, max_position_embeddings=32, pooler_hidden_size=16)),
    "gpt_neox": ("gpt_neox", "GPTNeoXForCausalLM",
                 dict(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                      num_attention_heads=4, max_position_embeddings=32)),
    "falcon": ("falcon", "FalconForCausalLM",
               dict(vocab_size=128, hidden_size=16, num_hidden_layers=2, num_attention_heads=4)),
    "falcon-new-arch": ("falcon", "FalconForCausalLM",
                        dict(vocab_size=128, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                             new_decoder_architecture=True, num_kv_heads=2)),
    "bloom": ("bloom", "BloomForCausalLM", dict(vocab_size=128, hidden_size=16, n_layer=2, n_head=4)),
    "gptj": ("gptj", "GPTJForCausalLM", dict(vocab_size=128, n_embd=16, n_layer=2, n_head=4, rotary_dim=4,
                                             n_positions=32)),
}

# Checkpoints saved under names older transformers used; transformers 5 renames them on load.
LEGACY = {
    "gpt_neox-embed-out": ("gpt_neox", {"embed_out.weight": "lm_head.weight"}),
}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def saved_header(folder):
    """config.json and the safetensors header (names, dtypes, shapes) of a saved folder."""
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        tensors = [[name, f.get_slice(name).get_dtype(), list(f.get_slice(name).get_shape())] for name in f.keys()]
    return json.load(open(os.path.join(folder, "config.json"))), tensors


def write_record(case, arch, folder, model):
    saved_config, tensors = saved_header(folder)
    record = {
        "transformers_version": transformers.__version__,
        "architecture": arch,
        "config": saved_config,
        "saved_tensors": tensors,
        "state_dict": [[k, list(v.shape)] for k, v in model.state_dict().items()],
        "modules": [[n, type(m).__name__] for n, m in model.named_modules()],
    }
    with open(os.path.join(out, f"{case}.json"), "w") as fh:
        json.dump(record, fh, indent=1, sort_keys=False)
        fh.write("\n")


def tiny(model_type, arch, kwargs):
    config = AutoConfig.for_model(model_type, **kwargs)
    config.architectures = [arch]
    return getattr(transformers, arch)(config)


for case, (model_type, arch, kwargs) in CASES.items():
    model = tiny(model_type, arch, kwargs)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        write_record(case, arch, tmp, model)
for case, (base_case, renames) in LEGACY.items():
    model_type, arch, kwargs = CASES[base_case]
    with tempfile.TemporaryDirectory() as tmp:
        tiny(model_type, arch, kwargs).save_pretrained(tmp)
        path = os.path.join(tmp, "model.safetensors")
        tensors = load_file(path)
        reverse = {new: old for old, new in renames.items()}
        save_file({reverse.get(k, k): v for k, v in tensors.items()}, path, metadata={"format": "pt"})
        # What transformers builds from the legacy names (nothing missing, nothing unexpected).
        loaded, info = getattr(transformers, arch).from_pretrained(tmp, output_loading_info=True)
        assert not info["missing_keys"] and not info["unexpected_keys"], info
        write_record(case, arch, tmp, loaded)
print(f"transformers {transformers.__version__}: wrote {len(CASES) + len(LEGACY)} cases to {out}")
