"""Records what real PEFT builds when adapters are injected into the tiny bases of
Tests/AdapterLoadingTests/Fixtures/architectures: the wrapped model's state_dict (names, dtypes, shapes, in
order), each adapter's saved checkpoint (get_peft_model_state_dict), and the warnings or error PEFT emits.

Usage: $ADAPTEST_PYTHON record_injection.py FIXTURES_DIR   (offline; torch + transformers + peft)
Reads FIXTURES_DIR/architectures/*.json, writes FIXTURES_DIR/injection/<scenario>.json.
The adapters are created the way PeftModel.from_pretrained / load_adapter create them
(inference_mode=True, PeftModel class chosen by task_type, add_adapter for further adapters).
"""
import json
import os
import sys
import warnings

import peft
import torch
import transformers
from peft import PeftModel
from peft.auto import MODEL_TYPE_TO_PEFT_MODEL_MAPPING
from peft.utils import get_peft_model_state_dict
from transformers.models.auto.configuration_auto import CONFIG_MAPPING

import tempfile

# BOFT's warnings name the torch extension folder; keep machine paths out of the fixtures.
EXTENSIONS = tempfile.mkdtemp(prefix="torch-extensions-")
os.environ["TORCH_EXTENSIONS_DIR"] = EXTENSIONS
HOME = os.path.expanduser("~")


def scrub(text):
    return text.replace(EXTENSIONS, "<torch_extensions_dir>").replace(HOME, "<home>")


FIX = sys.argv[1]
OUT = os.path.join(FIX, "injection")
os.makedirs(OUT, exist_ok=True)
DT = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64", torch.uint8: "U8",
      torch.int16: "I16", torch.int32: "I32"}


def base_model(name):
    record = json.load(open(os.path.join(FIX, "architectures", f"{name}.json")))
    cfg = dict(record["config"])
    config = CONFIG_MAPPING[cfg["model_type"]].from_dict(cfg)
    torch.manual_seed(0)
    return getattr(transformers, record["architecture"])(config)


def make_config(kwargs):
    kwargs = dict(kwargs)
    peft_type = kwargs.pop("peft_type")
    cls = peft.mapping.PEFT_TYPE_TO_CONFIG_MAPPING[peft_type]
    config = cls(**kwargs)
    config.inference_mode = True
    as_json = config.to_dict()
    for k, v in as_json.items():
        if isinstance(v, set):
            as_json[k] = sorted(v)
        elif hasattr(v, "value"):
            as_json[k] = v.value
    as_json = json.loads(json.dumps(as_json, default=str))
    return config, as_json


def table(sd):
    return [[k, DT.get(v.dtype, str(v.dtype)), list(v.shape)] for k, v in sd.items()]


def run(name, base, adapters, save_embedding_layers="auto"):
    record = {"base": base, "peft_version": peft.__version__, "adapters": [], "warnings": [], "error": None}
    model = base_model(base)
    peft_model = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for i, (adapter_name, kwargs) in enumerate(adapters):
                config, as_json = make_config(kwargs)
                record["adapters"].append({"name": adapter_name, "config": as_json})
                if i == 0:
                    cls = MODEL_TYPE_TO_PEFT_MODEL_MAPPING.get(config.task_type, PeftModel)
                    peft_model = cls(model, config, adapter_name)
                else:
                    peft_model.add_adapter(adapter_name, config)
        except Exception as exc:  # the error PEFT raises is part of the record
            record["error"] = {"kind": type(exc).__name__, "message": scrub(str(exc))}
    record["warnings"] = [[w.category.__name__, scrub(str(w.message))] for w in caught
                          if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    if peft_model is not None and record["error"] is None:
        record["class"] = type(peft_model).__name__
        record["state_dict"] = table(peft_model.state_dict())
        record["saved"] = {}
        for adapter_name, _ in adapters:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sd = get_peft_model_state_dict(peft_model, adapter_name=adapter_name,
                                               save_embedding_layers=save_embedding_layers)
            record["saved"][adapter_name] = table(sd)
    record["save_embedding_layers"] = save_embedding_layers
    with open(os.path.join(OUT, f"{name}.json"), "w") as fh:
        json.dump(record, fh, indent=1)
        fh.write("\n")


L = dict(peft_type="LORA", r=4, lora_alpha=8)
AP = dict(peft_type="ADAPTION_PROMPT", adapter_len=3, adapter_layers=1, task_type="CAUSAL_LM")
SCENARIOS = {
    "lora-llama": ("llama", [("default", dict(L, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))]),
    "lora-llama-all-linear": ("llama", [("default", dict(L, target_modules="all-linear"))]),
    "lora-llama-dora": ("llama", [("default", dict(L, target_modules=["q_proj", "down_proj"], use_dora=True))]),
    "lora-llama-bias": ("llama", [("default", dict(L, target_modules=["q_proj"], lora_bias=True, bias="lora_only"))]),
    "lora-llama-embeddings": ("llama", [("default", dict(L, target_modules=["embed_tokens", "lm_head", "q_proj"]))]),
    "lora-llama-modules-to-save": ("llama", [("default", dict(L, target_modules=["q_proj"], modules_to_save=["lm_head"]))]),
    "lora-llama-trainable-tokens": ("llama", [("default", dict(L, target_modules=["q_proj"], trainable_token_indices=[0, 5, 7]))]),
    "lora-llama-tied-trainable-tokens": ("llama-tied", [("default", dict(L, target_modules=["q_proj"], trainable_token_indices=[0, 5]))]),
    "lora-llama-patterns": ("llama", [("default", dict(L, target_modules=["q_proj", "v_proj", "down_proj"], layers_to_transform=[1],
                                                         rank_pattern={"v_proj": 2, "nothing": 3}, alpha_pattern={"down_proj": 3}))]),
    "lora-llama-regex-exclude": ("llama", [("default", dict(L, target_modules=r".*_proj", exclude_modules=["down_proj", "o_proj"]))]),
    "lora-llama-two-adapters": ("llama", [("default", dict(L, target_modules=["q_proj", "v_proj"])),
                                          ("other", dict(L, r=2, target_modules=["v_proj", "o_proj"], modules_to_save=["lm_head"]))]),
    "lora-llama-three-adapters-shared-save": ("llama", [("default", dict(L, target_modules=["q_proj"], modules_to_save=["lm_head"])),
                                                        ("other", dict(L, target_modules=["q_proj"], modules_to_save=["lm_head"])),
                                                        ("yet-another", dict(L, target_modules=["k_proj"]))]),
    "lora-llama-name-lora": ("llama", [("default", dict(L, target_modules=["q_proj"])), ("lora", dict(L, target_modules=["q_proj"]))]),
    "lora-llama-not-found": ("llama", [("default", dict(L, target_modules=["query", "value"]))]),
    "lora-llama-all-excluded": ("llama", [("default", dict(L, target_modules=["q_proj"], exclude_modules=["q_proj"]))]),
    "lora-llama-exclude-unused": ("llama", [("default", dict(L, target_modules=["q_proj"], exclude_modules=["nothing"]))]),
    "lora-llama-norm-target": ("llama", [("default", dict(L, target_modules=["input_layernorm"]))]),
    "lora-gpt2": ("gpt2", [("default", dict(L, target_modules=["c_attn", "c_fc"]))]),
    "lora-gpt2-all-linear": ("gpt2", [("default", dict(L, target_modules="all-linear"))]),
    "lora-t5": ("t5", [("default", dict(L, target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM"))]),
    "lora-bert-seq-cls": ("bert", [("default", dict(L, target_modules=["query", "value"], task_type="SEQ_CLS"))]),
    "lora-mixtral-target-parameters": ("mixtral", [("default", dict(L, target_modules=[], target_parameters=["experts.gate_up_proj", "experts.down_proj"])),
                                                   ("other", dict(L, r=2, target_modules=["q_proj"], target_parameters=["experts.gate_up_proj", "experts.down_proj"]))]),
    "lora-qwen3-moe-target-parameters": ("qwen3_moe", [("default", dict(L, target_modules=["q_proj"], target_parameters=["mlp.experts.down_proj"]))]),
    "adalora-llama": ("llama", [("default", dict(peft_type="ADALORA", init_r=6, target_r=4, total_step=10, target_modules=["q_proj", "v_proj"]))]),
    "adalora-llama-two": ("llama", [("default", dict(peft_type="ADALORA", init_r=6, target_r=4, total_step=10, target_modules=["q_proj"])),
                                    ("other", dict(peft_type="ADALORA", init_r=3, target_r=2, total_step=10, target_modules=["q_proj", "k_proj"]))]),
    "loha-llama": ("llama", [("default", dict(peft_type="LOHA", r=4, target_modules=["q_proj", "down_proj"]))]),
    "loha-gpt2": ("gpt2", [("default", dict(peft_type="LOHA", r=4, target_modules=["c_attn"]))]),
    "lokr-llama": ("llama", [("default", dict(peft_type="LOKR", r=2, target_modules=["q_proj", "k_proj", "down_proj"]))]),
    "lokr-llama-decompose": ("llama", [("default", dict(peft_type="LOKR", r=1, decompose_both=True, decompose_factor=4, target_modules=["q_proj", "up_proj"]))]),
    "ia3-llama": ("llama", [("default", dict(peft_type="IA3", target_modules=["k_proj", "v_proj", "down_proj"], feedforward_modules=["down_proj"]))]),
    "ia3-gpt2": ("gpt2", [("default", dict(peft_type="IA3", target_modules=["c_attn", "mlp.c_proj"], feedforward_modules=["mlp.c_proj"]))]),
    "vera-llama": ("llama", [("default", dict(peft_type="VERA", r=4, target_modules=["q_proj", "v_proj", "down_proj"]))]),
    "vera-llama-no-projection": ("llama", [("default", dict(peft_type="VERA", r=4, target_modules=["q_proj", "v_proj"], save_projection=False))]),
    "vera-llama-two": ("llama", [("default", dict(peft_type="VERA", r=4, target_modules=["q_proj", "down_proj"])),
                                 ("other", dict(peft_type="VERA", r=2, target_modules=["v_proj"]))]),
    "vera-gpt2": ("gpt2", [("default", dict(peft_type="VERA", r=4, target_modules=["c_attn", "c_fc"]))]),
    "vblora-llama": ("llama", [("default", dict(peft_type="VBLORA", r=2, num_vectors=16, vector_length=4, target_modules=["q_proj", "down_proj"]))]),
    "vblora-llama-topk": ("llama", [("default", dict(peft_type="VBLORA", r=2, num_vectors=300, vector_length=4, topk=3,
                                                     save_only_topk_weights=True, target_modules=["q_proj"]))]),
    "vblora-llama-two": ("llama", [("default", dict(peft_type="VBLORA", r=2, num_vectors=16, vector_length=4, target_modules=["q_proj"])),
                                   ("other", dict(peft_type="VBLORA", r=2, num_vectors=8, vector_length=8, target_modules=["v_proj"]))]),
    "oft-llama": ("llama", [("default", dict(peft_type="OFT", r=0, oft_block_size=4, target_modules=["q_proj", "down_proj"]))]),
    "oft-llama-adjusted": ("llama", [("default", dict(peft_type="OFT", r=0, oft_block_size=5, block_share=True, target_modules=["q_proj", "embed_tokens"]))]),
    "boft-llama": ("llama", [("default", dict(peft_type="BOFT", boft_block_size=4, target_modules=["q_proj", "down_proj"]))]),
    "fourierft-llama": ("llama", [("default", dict(peft_type="FOURIERFT", n_frequency=10, n_frequency_pattern={"v_proj": 20}, target_modules=["q_proj", "v_proj"]))]),
    "fourierft-gpt2": ("gpt2", [("default", dict(peft_type="FOURIERFT", n_frequency=10, target_modules=["c_attn"]))]),
    "hra-llama": ("llama", [("default", dict(peft_type="HRA", r=4, target_modules=["q_proj", "down_proj"]))]),
    "miss-llama": ("llama", [("default", dict(peft_type="MISS", r=4, target_modules=["q_proj", "down_proj"]))]),
    "miss-llama-bat": ("llama", [("default", dict(peft_type="MISS", r=4, init_weights="bat", target_modules=["q_proj"]))]),
    "miss-llama-mini": ("llama", [("default", dict(peft_type="MISS", r=4, init_weights="mini", mini_r=2, target_modules=["q_proj"]))]),
    "ln-tuning-llama": ("llama", [("default", dict(peft_type="LN_TUNING", target_modules=["input_layernorm", "norm"]))]),
    "ln-tuning-gpt2": ("gpt2", [("default", dict(peft_type="LN_TUNING", target_modules=["ln_1", "ln_f"])),
                                ("other", dict(peft_type="LN_TUNING", target_modules=["ln_f"]))]),
    "trainable-tokens-llama": ("llama", [("default", dict(peft_type="TRAINABLE_TOKENS", token_indices=[1, 2, 3]))]),
    "trainable-tokens-llama-tied": ("llama-tied", [("default", dict(peft_type="TRAINABLE_TOKENS", token_indices=[1, 2]))]),
    "prompt-tuning-llama": ("llama", [("default", dict(peft_type="PROMPT_TUNING", task_type="CAUSAL_LM", num_virtual_tokens=4))]),
    "prefix-tuning-llama": ("llama", [("default", dict(peft_type="PREFIX_TUNING", task_type="CAUSAL_LM", num_virtual_tokens=3))]),
    "p-tuning-t5": ("t5", [("default", dict(peft_type="P_TUNING", task_type="SEQ_2_SEQ_LM", num_virtual_tokens=2, encoder_hidden_size=8))]),
    "prompt-tuning-llama-two": ("llama", [("default", dict(peft_type="PROMPT_TUNING", task_type="CAUSAL_LM", num_virtual_tokens=4)),
                                          ("other", dict(peft_type="PROMPT_TUNING", task_type="CAUSAL_LM", num_virtual_tokens=2))]),
    "adaption-prompt-llama": ("llama", [("default", AP)]),
    "adaption-prompt-llama-two": ("llama", [("default", AP), ("other", dict(AP, adapter_len=2, adapter_layers=2))]),
    "adaption-prompt-llama-zero-layers": ("llama", [("default", dict(AP, adapter_layers=0))]),
    "adaption-prompt-llama-negative-layers": ("llama", [("default", dict(AP, adapter_layers=-1))]),
    "adaption-prompt-llama-negative-len": ("llama", [("default", dict(AP, adapter_len=-1))]),
    "adaption-prompt-llama-target-list": ("llama", [("default", dict(AP, target_modules=["self_attn"]))]),
    "adaption-prompt-mistral": ("mistral", [("default", AP)]),
    "adaption-prompt-gpt2": ("gpt2", [("default", dict(AP, adapter_layers=2))]),
    "adaption-prompt-qwen2": ("qwen2", [("default", AP)]),
}

for name, (base, adapters) in SCENARIOS.items():
    run(name, base, adapters)
run("lora-llama-save-embeddings", "llama", [("default", dict(L, target_modules=["q_proj"]))], save_embedding_layers=True)
run("lora-t5-save-embeddings", "t5", [("default", dict(L, target_modules=["q"], task_type="SEQ_2_SEQ_LM"))], save_embedding_layers=True)
print(f"peft {peft.__version__}: wrote {len(SCENARIOS) + 2} scenarios to {OUT}")
