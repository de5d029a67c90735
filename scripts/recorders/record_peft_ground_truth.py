#!/usr/bin/env python3
"""Record what real Hugging Face PEFT reports when adapters are loaded into base models.

Usage (see scripts/recorders/README.md):
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 <venv>/bin/python scripts/recorders/record_peft_ground_truth.py \
        [--out DIR] [--jobs N] [--only REGEX]

--out defaults to Tests/AdapterLoadingTests/Fixtures/peft-ground-truth relative to the repository root
(computed from this file's location). The whole tree under --out (bases/, adapters/, cases/,
manifest.json, versions.json) is regenerated; nothing outside it is written.

How it works
  * The script re-executes itself once with PYTHONHASHSEED=0 (PEFT keeps target_modules in a Python
    `set`, so adapter_config.json and some messages depend on string hashing), HF_HUB_OFFLINE=1,
    TRANSFORMERS_OFFLINE=1, progress bars off and one OpenMP thread.
  * It chdirs into --out, so every path PEFT sees (and writes into adapter_config.json or messages) is
    relative to the fixture root: "bases/llama-v128", "adapters/lora-r4".
  * torch / transformers / peft are imported once; every unit of work (one base, one adapter, one case)
    runs in a freshly forked child (multiprocessing "fork", maxtasksperchild=1), so no state leaks
    between cases (transformers' warning_once caches, PEFT registries, RNG, ...). Results come back as
    JSON-able dicts and are written by the parent in a fixed order: re-running gives identical files.
  * Seeds: torch.manual_seed(0) before every model construction / base load / adapter creation; the
    "training" perturbation uses its own generator (seed 1234); resizes done while training use seed 1.
"""
from __future__ import annotations

import os
import sys

_REQUIRED_ENV = {
    "PYTHONHASHSEED": "0",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # transformers 5's LOAD REPORT table (--transformers-api) adds a column on terminals wider than 200.
    "COLUMNS": "80",
}
if __name__ == "__main__" and any(os.environ.get(k) != v for k, v in _REQUIRED_ENV.items()):
    _env = dict(os.environ)
    _env.update(_REQUIRED_ENV)
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], _env)

import argparse
import copy
import hashlib
import json
import logging
import multiprocessing as mp
import re
import shutil
import struct
import tempfile
import time
import traceback
import warnings
from collections import OrderedDict
from pathlib import Path

import safetensors
import torch
import transformers
from safetensors.torch import load_file, save_file

import peft
from peft import PeftModel, get_peft_model

# The config classes the cases are written with. An older release (replayed with --replay-from) lacks some:
# a stand-in keeps the case table importable, and only cases whose adapters already exist are run.
for _name in ('AdaLoraConfig', 'AdaptionPromptConfig', 'BeftConfig', 'CartridgeConfig', 'CPTConfig', 'BOFTConfig', 'C3AConfig', 'DeftConfig', 'DeloraConfig', 'FourierFTConfig', 'FrodConfig', 'GloraConfig', 'GraloraConfig', 'HiraConfig', 'HRAConfig', 'IA3Config', 'LilyConfig', 'LNTuningConfig', 'LoHaConfig', 'LoKrConfig', 'LoraConfig', 'MultitaskPromptTuningConfig', 'MissConfig', 'OSFConfig', 'OFTConfig', 'PeanutConfig', 'PolyConfig', 'PrefixTuningConfig', 'PveraConfig', 'RandLoraConfig', 'PromptEncoderConfig', 'PromptTuningConfig', 'PsoftConfig', 'RoadConfig', 'ShadowConfig', 'ShiraConfig', 'SupertuningConfig', 'TinyLoraConfig', 'TrainableTokensConfig', 'UniLoraConfig', 'VBLoRAConfig', 'VeraConfig', 'WaveFTConfig'):
    globals()[_name] = getattr(peft, _name, None) or type(_name, (), {})
from transformers import (
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    T5Config,
    T5ForConditionalGeneration,
)

transformers.utils.logging.disable_progress_bar()
transformers.utils.logging.disable_default_handler()  # we capture its records ourselves

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "AdapterLoadingTests" / "Fixtures" / "peft-ground-truth"
GENERATOR = "scripts/recorders/record_peft_ground_truth.py"

# --------------------------------------------------------------------------------------------------
# Message scrubbing
# --------------------------------------------------------------------------------------------------

# (absolute prefix, replacement); filled in main() before any fork. The manifest lists the placeholders.
SUBSTITUTIONS: list[tuple[str, str]] = []
SUBSTITUTION_DOC = [
    {"from": "<absolute fixture root>/", "to": "", "why": "paths inside the fixture tree become relative to it"},
    {"from": "<absolute fixture root>", "to": "."},
    {"from": "<absolute repo root>", "to": "<root>"},
    {"from": "<python site-packages dir>", "to": "<site-packages>"},
    {"from": "<venv prefix (sys.prefix)>", "to": "<venv>"},
    {"from": "<home dir>", "to": "<home>"},
    {"from": "<per-child temporary TORCH_EXTENSIONS_DIR>", "to": "<torch_extensions_dir>"},
    {"from": "regex ' at 0x[0-9a-f]+'", "to": " at 0x<addr>", "why": "object reprs"},
]


def scrub(s: str) -> str:
    for prefix, rep in SUBSTITUTIONS:
        s = s.replace(prefix, rep)
    s = re.sub(r" at 0x[0-9a-fA-F]+", " at 0x<addr>", s)
    return s


def source_of(filename: str) -> str:
    f = filename.replace("\\", "/")
    i = f.rfind("site-packages/")
    if i >= 0:
        return f[i + len("site-packages/") :]
    return scrub(os.path.basename(f))


# --------------------------------------------------------------------------------------------------
# Capturing warnings / logging / exceptions
# --------------------------------------------------------------------------------------------------


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


class Capture:
    """warnings.catch_warnings(record=True) + simplefilter("always") + a WARNING-level logging handler
    on the root logger and on every non-propagating library root logger (transformers)."""

    def __enter__(self):
        self._wcm = warnings.catch_warnings(record=True)
        self._w = self._wcm.__enter__()
        warnings.simplefilter("always")
        self._h = _ListHandler()
        self._loggers = [logging.getLogger()]
        for name in ("transformers", "peft", "torch", "accelerate", "huggingface_hub", "safetensors"):
            lg = logging.getLogger(name)
            if not lg.propagate:
                self._loggers.append(lg)
        for lg in self._loggers:
            lg.addHandler(self._h)
        return self

    def __exit__(self, *exc):
        for lg in self._loggers:
            lg.removeHandler(self._h)
        self._wcm.__exit__(*exc)
        self.warnings = [
            OrderedDict(category=w.category.__name__, message=scrub(str(w.message)), source=source_of(w.filename))
            for w in self._w
        ]
        seen = set()
        self.log = []
        for r in self._h.records:
            if id(r) in seen:
                continue
            seen.add(id(r))
            self.log.append(OrderedDict(logger=r.name, level=r.levelname, message=scrub(r.getMessage())))
        return False


def error_info(e: BaseException) -> dict:
    bases = [c.__name__ for c in type(e).__mro__[1:] if c not in (BaseException, Exception, object)]
    frames = []
    tb = e.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        src = source_of(code.co_filename)
        if src.split("/")[0] in ("peft", "transformers", "torch", "safetensors", "huggingface_hub"):
            frames.append(f"{src}:{getattr(code, 'co_qualname', code.co_name)}")
        tb = tb.tb_next
    return OrderedDict(
        type=type(e).__name__,
        module=type(e).__module__,
        bases=bases,
        message=scrub(str(e)),
        frames=frames,
    )


# --------------------------------------------------------------------------------------------------
# Safetensors helpers
# --------------------------------------------------------------------------------------------------


def read_header(path: str):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n).decode("utf-8"), object_pairs_hook=OrderedDict)


def checkpoint_listing(path: str) -> list:
    """[[key, shape, safetensors dtype]] in the header's order."""
    return [[k, list(v["shape"]), v["dtype"]] for k, v in read_header(path).items() if k != "__metadata__"]


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# Bases
# --------------------------------------------------------------------------------------------------


def _llama(**over):
    kw = dict(
        vocab_size=128,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=4,
        tie_word_embeddings=False,
        max_position_embeddings=64,
    )
    kw.update(over)
    return kw


BASES = OrderedDict()


def _base(name, family, description, make=None, config=None, resize_from=None, resize_to=None):
    BASES[name] = dict(
        name=name,
        family=family,
        auto="seq2seq" if family == "t5" else "causal",
        description=description,
        make=make,
        config=config,
        resize_from=resize_from,
        resize_to=resize_to,
    )


_base("llama-v128", "llama", "LlamaForCausalLM vocab 128, hidden 16, inter 32, 2 layers, 4 heads, 2 kv heads, head_dim 4, untied",
      make="llama", config=_llama())
_base("llama-v140", "llama", "llama-v128 loaded from its folder, resize_token_embeddings(140) (seed 0, mean_resizing default): vocab resized after training (peft#1932)",
      resize_from="llama-v128", resize_to=140)
_base("llama-v120", "llama", "llama-v128 loaded from its folder, resize_token_embeddings(120): vocab shrunk",
      resize_from="llama-v128", resize_to=120)
_base("llama-h32", "llama", "like llama-v128 but hidden_size 32 (head_dim 8, so q_proj 32x32, k/v_proj 16x32): a wider base",
      make="llama", config=_llama(hidden_size=32, head_dim=8))
_base("llama-l3", "llama", "like llama-v128 but 3 decoder layers: a deeper base",
      make="llama", config=_llama(num_hidden_layers=3))
_base("llama-tied-v128", "llama", "like llama-v128 but tie_word_embeddings=True",
      make="llama", config=_llama(tie_word_embeddings=True))
_base("llama-tied-v140", "llama", "llama-tied-v128 resized to vocab 140",
      resize_from="llama-tied-v128", resize_to=140)
_base("gpt2-v128", "gpt2", "GPT2LMHeadModel n_embd 16, n_layer 2, n_head 2, vocab 128, n_positions 32, bos/eos 1/2 (Conv1D layers, tied lm_head)",
      make="gpt2", config=dict(n_embd=16, n_layer=2, n_head=2, vocab_size=128, n_positions=32, bos_token_id=1, eos_token_id=2))
_base("gpt2-v140", "gpt2", "gpt2-v128 resized to vocab 140", resize_from="gpt2-v128", resize_to=140)
_base("t5-v128", "t5", "T5ForConditionalGeneration d_model 16, d_ff 32, d_kv 4, 4 heads, 1 encoder + 1 decoder layer, vocab 128",
      make="t5", config=dict(d_model=16, d_ff=32, d_kv=4, num_heads=4, num_layers=1, num_decoder_layers=1, vocab_size=128))
_base("t5-v140", "t5", "t5-v128 resized to vocab 140", resize_from="t5-v128", resize_to=140)


def load_base(name: str):
    torch.manual_seed(0)
    cls = AutoModelForSeq2SeqLM if BASES[name]["auto"] == "seq2seq" else AutoModelForCausalLM
    return cls.from_pretrained(f"bases/{name}")


def build_base(name: str) -> dict:
    spec = BASES[name]
    out = f"bases/{name}"
    with Capture() as cap:
        if spec["resize_from"]:
            m = load_base(spec["resize_from"])
            torch.manual_seed(0)
            m.resize_token_embeddings(spec["resize_to"])
        else:
            torch.manual_seed(0)
            if spec["make"] == "llama":
                m = LlamaForCausalLM(LlamaConfig(**spec["config"]))
            elif spec["make"] == "gpt2":
                m = GPT2LMHeadModel(GPT2Config(**spec["config"]))
            else:
                m = T5ForConditionalGeneration(T5Config(**spec["config"]))
        m = m.to(torch.float32)
        m.save_pretrained(out)
    return dict(files=sorted(os.listdir(out)), warnings=cap.warnings, log=cap.log,
                model_class=type(m).__name__,
                state_dict=[[k, list(v.shape), str(v.dtype)] for k, v in m.state_dict().items()])


# --------------------------------------------------------------------------------------------------
# Adapters
# --------------------------------------------------------------------------------------------------

QV = ["q_proj", "v_proj"]
CONFIG_CLASSES = {c.__name__: c for c in (
    AdaLoraConfig, BOFTConfig, FourierFTConfig, HRAConfig, IA3Config, LNTuningConfig, LoHaConfig, LoKrConfig,
    LoraConfig, MissConfig, OFTConfig, PrefixTuningConfig, PromptEncoderConfig, PromptTuningConfig,
    TrainableTokensConfig, VBLoRAConfig, VeraConfig, C3AConfig, DeloraConfig, GraloraConfig, HiraConfig, RoadConfig,
    WaveFTConfig, DeftConfig, BeftConfig, PeanutConfig, PveraConfig, GloraConfig, ShiraConfig, LilyConfig,
    RandLoraConfig, UniLoraConfig, PolyConfig, SupertuningConfig, MultitaskPromptTuningConfig, CPTConfig, CartridgeConfig,
    OSFConfig, PsoftConfig, TinyLoraConfig, FrodConfig, AdaptionPromptConfig, ShadowConfig)}

ADAPTERS = OrderedDict()


def _adapter(name, base, cls, kwargs, description, save_kwargs=None, resize_to=None, name_or_path=None,
             own_base=None, perturb_seed=1234):
    """A "trained" adapter: get_peft_model on `base` (optionally resized first), perturb, save."""
    ADAPTERS[name] = dict(
        name=name, kind="trained", base=base, config_class=cls, config_kwargs=kwargs, description=description,
        save_kwargs=save_kwargs or {}, resize_to=resize_to, name_or_path=name_or_path,
        own_base=own_base or base, perturb_seed=perturb_seed,
    )


def _mutant(name, source, description, tensors_fn=None, config_fn=None):
    ADAPTERS[name] = dict(
        name=name, kind="mutated", source=source, description=description, tensors_fn=tensors_fn,
        config_fn=config_fn, own_base=None,
    )


L = "LoraConfig"
_adapter("lora-r4", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False),
         "plain LoRA r=4 on q_proj,v_proj (task_type unset -> PeftModel)")
_adapter("lora-r4-alt", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False),
         "same config and shapes as lora-r4 but different values (perturbation generator seed 4321): used as the already "
         "loaded 'default' where an overwrite must be observable", perturb_seed=4321)
_adapter("lora-dora", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, use_dora=True, init_lora_weights=False,
                                            task_type="CAUSAL_LM"),
         "LoRA r=4 with use_dora=True (task_type CAUSAL_LM)")
_adapter("lora-bias", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, lora_bias=True, init_lora_weights=False),
         "LoRA r=4 with lora_bias=True")
_adapter("lora-embed-lmhead", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=["q_proj", "embed_tokens", "lm_head"],
                                                    init_lora_weights=False, task_type="CAUSAL_LM"),
         "LoRA r=4 targeting q_proj, embed_tokens and lm_head (save_embedding_layers auto -> True)")
_adapter("lora-mts-lmhead", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, modules_to_save=["lm_head"],
                                                  init_lora_weights=False),
         "LoRA r=4 on q_proj,v_proj with modules_to_save=['lm_head']")
_adapter("lora-trainable-tokens", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, trainable_token_indices=[1, 2, 3],
                                                        init_lora_weights=False),
         "LoRA r=4 on q_proj,v_proj with trainable_token_indices=[1,2,3]")
_adapter("lora-all-linear", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False),
         "LoRA r=4 with target_modules='all-linear'")
_adapter("lora-rank-pattern", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False,
                                                    rank_pattern={"v_proj": 2, "layers.1.self_attn.q_proj": 8},
                                                    alpha_pattern={"q_proj": 16}),
         "LoRA r=4 with rank_pattern {v_proj: 2, layers.1.self_attn.q_proj: 8} and alpha_pattern {q_proj: 16}")
_adapter("adalora", "llama-v128", "AdaLoraConfig", dict(init_r=4, target_r=2, total_step=10, target_modules=QV,
                                                        init_lora_weights=False),
         "AdaLoRA init_r=4 target_r=2 total_step=10 (created + saved, no rank allocation: rank_pattern stays null)")
_adapter("loha", "llama-v128", "LoHaConfig", dict(r=4, alpha=8, target_modules=QV, init_weights=False), "LoHa r=4")
_adapter("lokr", "llama-v128", "LoKrConfig", dict(r=4, alpha=8, target_modules=QV, init_weights=False), "LoKr r=4")
_adapter("ia3", "llama-v128", "IA3Config", dict(target_modules=["k_proj", "v_proj", "down_proj"], feedforward_modules=["down_proj"],
                                                init_ia3_weights=False),
         "IA3 on k_proj, v_proj, down_proj (feedforward_modules ['down_proj'])")
_adapter("vera-proj", "llama-v128", "VeraConfig", dict(r=4, target_modules=QV, save_projection=True, init_weights=False),
         "VeRA r=4, save_projection=True (base_model.vera_A/B saved)")
_adapter("vera-noproj", "llama-v128", "VeraConfig", dict(r=4, target_modules=QV, save_projection=False, init_weights=False),
         "VeRA r=4, save_projection=False (projections regenerated from projection_prng_key)")
_adapter("vblora", "llama-v128", "VBLoRAConfig", dict(r=4, target_modules=QV, num_vectors=8, vector_length=4, topk=2),
         "VB-LoRA r=4, num_vectors 8, vector_length 4, topk 2 (full logits saved)")
_adapter("vblora-topk", "llama-v128", "VBLoRAConfig", dict(r=4, target_modules=QV, num_vectors=8, vector_length=4, topk=2,
                                                           save_only_topk_weights=True),
         "VB-LoRA as 'vblora' with save_only_topk_weights=True (topk indices uint8 + weights)")
_adapter("oft", "llama-v128", "OFTConfig", dict(r=4, oft_block_size=0, target_modules=QV, init_weights=False),
         "OFT r=4 (oft_block_size 0 -> block size 4)")
_adapter("boft", "llama-v128", "BOFTConfig", dict(boft_block_size=4, target_modules=QV, init_weights=False),
         "BOFT boft_block_size=4")
_adapter("fourierft", "llama-v128", "FourierFTConfig", dict(n_frequency=10, target_modules=QV), "FourierFT n_frequency=10")
_adapter("hra", "llama-v128", "HRAConfig", dict(r=4, target_modules=QV, init_weights=False), "HRA r=4")
_adapter("miss", "llama-v128", "MissConfig", dict(r=4, target_modules=QV, init_weights=False), "MiSS r=4")
_adapter("ln-tuning", "llama-v128", "LNTuningConfig", dict(target_modules=["input_layernorm"]),
         "LN tuning on input_layernorm (LlamaRMSNorm)")
_adapter("prompt-tuning", "llama-v128", "PromptTuningConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=4),
         "prompt tuning, 4 virtual tokens")
_adapter("prefix-tuning", "llama-v128", "PrefixTuningConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=4),
         "prefix tuning, 4 virtual tokens")
_adapter("p-tuning", "llama-v128", "PromptEncoderConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=4, encoder_hidden_size=8),
         "p-tuning (PromptEncoderConfig), 4 virtual tokens, encoder_hidden_size 8")
_adapter("trainable-tokens", "llama-v128", "TrainableTokensConfig", dict(target_modules=["embed_tokens"], token_indices=[1, 2]),
         "TrainableTokens on embed_tokens, token_indices [1, 2]")
# methods added after PEFT 0.17 (issue 17): one adapter each, LoRA-sized shapes on the tiny llama
_adapter("hira", "llama-v128", "HiraConfig", dict(r=4, target_modules=QV, init_weights=False),
         "HiRA r=4 (hira_A/hira_B ParameterDicts)")
_adapter("c3a", "llama-v128", "C3AConfig", dict(block_size=4, block_size_pattern={"v_proj": 8}, target_modules=QV),
         "C3A block_size=4, block_size_pattern {v_proj: 8}")
_adapter("delora", "llama-v128", "DeloraConfig", dict(r=4, target_modules=QV, init_weights=False),
         "DeLoRA r=4 (delora_w_norm persistent buffer saved)")
_adapter("gralora", "llama-v128", "GraloraConfig", dict(r=4, gralora_k=2, hybrid_r=2, target_modules=QV, init_weights=False),
         "GraLoRA r=4, gralora_k=2, hybrid_r=2 (general LoRA pair as nn.Linear)")
_adapter("road", "llama-v128", "RoadConfig", dict(group_size=4, target_modules=QV, init_weights=False),
         "RoAd road_1, group_size=4")
_adapter("road-4", "llama-v128", "RoadConfig", dict(variant="road_4", group_size=8, target_modules=QV, init_weights=False),
         "RoAd road_4, group_size=8")
_adapter("waveft", "llama-v128", "WaveFTConfig", dict(n_frequency=10, n_frequency_pattern={"v_proj": 6}, target_modules=QV,
                                                     init_weights=False),
         "WaveFT n_frequency=10, n_frequency_pattern {v_proj: 6}")
_adapter("deft", "llama-v128", "DeftConfig", dict(r=4, target_modules=QV, init_weights=False), "DEFT r=4 (deft_P + deft_R)")
_adapter("deft-para", "llama-v128", "DeftConfig", dict(r=12, para=True, target_modules=QV),
         "DEFT PaRa (para=True: deft_P only), r=12 > v_proj's 8 outputs (capped to 8 there)")
_adapter("beft", "llama-v128", "BeftConfig", dict(target_modules=QV, init_weights=False),
         "BEFT on q_proj, v_proj (no bias on llama's projections: a warning per module)")
_adapter("peanut", "llama-v128", "PeanutConfig", dict(r=4, depth=2, target_modules=QV),
         "PEANuT r=4, depth=2 (encoder/decoder ModuleLists)")
_adapter("pvera-proj", "llama-v128", "PveraConfig", dict(r=4, target_modules=QV, save_projection=True, init_weights=False),
         "PVeRA r=4, save_projection=True (base_model.pvera_A (2r, in) / pvera_B saved)")
_adapter("pvera-noproj", "llama-v128", "PveraConfig", dict(r=4, target_modules=QV, save_projection=False, init_weights=False),
         "PVeRA r=4, save_projection=False")
_adapter("glora", "llama-v128", "GloraConfig", dict(r=4, target_modules=QV, init_weights=False),
         "GLoRA r=4, default paths (A/B lora; no bias on llama's projections, so C/D/E are zeros buffers)")
_adapter("glora-vector", "llama-v128", "GloraConfig", dict(r=4, target_modules=QV, config_A_B="vector", config_C="none",
                                                          config_D_E="vector", init_weights=False),
         "GLoRA with config_A_B='vector', config_C='none', config_D_E='vector'")
_adapter("shira", "llama-v128", "ShiraConfig", dict(r=2, target_modules=QV, random_seed=3, init_weights=False),
         "SHiRA r=2 (shira_indices saved beside shira_weight)")
_adapter("lily", "llama-v128", "LilyConfig", dict(r=4, stride_A=2, num_B=2, target_modules=QV),
         "Lily r=4, stride_A=2, num_B=2 (lily_A/lily_B shared across layers after injection)")
_adapter("randlora", "llama-v128", "RandLoraConfig", dict(r=4, target_modules=QV, init_weights=False),
         "RandLoRA r=4, save_projection=True (randlora_A/B saved under base_model. and under every layer)")
_adapter("randlora-noproj", "llama-v128", "RandLoraConfig", dict(r=4, target_modules=QV, save_projection=False),
         "RandLoRA r=4, save_projection=False")
_adapter("randlora-sparse", "llama-v128", "RandLoraConfig", dict(r=6, sparse=True, target_modules=QV),
         "RandLoRA r=6, sparse=True (float32 projections; 16/6 -> 3 bases)")
_adapter("unilora", "llama-v128", "UniLoraConfig", dict(r=2, theta_d_length=64, target_modules=QV),
         "Uni-LoRA r=2, theta_d_length=64 (only base_model.unilora_theta_d saved)")
_adapter("unilora-indices", "llama-v128", "UniLoraConfig", dict(r=2, theta_d_length=64, save_indices=True, target_modules=QV),
         "Uni-LoRA r=2 with save_indices=True (indices and scales saved)")
_adapter("poly", "llama-v128", "PolyConfig", dict(r=4, n_tasks=2, n_skills=3, n_splits=2, target_modules=QV,
                                                 init_weights=False),
         "Poly r=4, n_tasks=2, n_skills=3, n_splits=2 (router logits (2, 6))")
_adapter("supertuning", "llama-v128", "SupertuningConfig", dict(sparsity=0.9, target_modules=QV, init_weights=False),
         "Super-Tuning sparsity=0.9 (int(256*0.1)=25 and int(128*0.1)=12 values, int32 indices saved)")
_adapter("supertuning-supra", "llama-v128", "SupertuningConfig", dict(sparsity=0.95, r=2, target_modules=QV,
                                                                    save_precomputed_indices=False, init_weights=False),
         "Super-Tuning sparsity=0.95 with r=2 LoRA pairs, save_precomputed_indices=False")
_adapter("mpt", "llama-v128", "MultitaskPromptTuningConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=4, num_tasks=2,
                                                                  num_ranks=2),
         "multitask prompt tuning, 4 virtual tokens, num_tasks=2, num_ranks=2 (prefix_task_cols/rows saved)")
_adapter("cpt", "llama-v128", "CPTConfig", dict(task_type="CAUSAL_LM", cpt_token_ids=[5, 6, 7], cpt_mask=[1, 1, 1],
                                                cpt_tokens_type_mask=[1, 2, 3]),
         "CPT with cpt_token_ids [5, 6, 7] (3 virtual tokens, embedding + delta_embedding)")
_adapter("cartridge", "llama-v128", "CartridgeConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=4, num_frozen_tokens=1),
         "Cartridge, 4 virtual tokens, 1 frozen (width 2 layers * 2 * 2 kv heads * head_dim 4 = 32)")
_adapter("cartridge-unfrozen", "llama-v128", "CartridgeConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=3,
                                                                     num_frozen_tokens=0),
         "Cartridge, 3 virtual tokens, none frozen (no frozen_embedding)")
_adapter("osf", "llama-v128", "OSFConfig", dict(target_modules=QV),
         "OSF on q_proj, v_proj, effective_rank unset (half the smaller dimension: 8 and 4 frozen)")
_adapter("osf-rank", "llama-v128", "OSFConfig", dict(target_modules=QV, effective_rank=0.25, rank_pattern={"v_proj": 2},
                                                    init_weights=False),
         "OSF effective_rank=0.25 (a fraction: 4 of 16), rank_pattern {v_proj: 2}")
_adapter("psoft", "llama-v128", "PsoftConfig", dict(r=4, target_modules=QV, init_weights=False),
         "PSOFT r=4 (psoft_R: 6 skew-symmetric entries, vector_b, vector_a)")
_adapter("psoft-plain", "llama-v128", "PsoftConfig", dict(r=4, target_modules=QV, psoft_orth=False, psoft_mag_a=False,
                                                          init_weights=False),
         "PSOFT r=4, psoft_orth=False (a full 4x4 weight), psoft_mag_a=False")
_adapter("tinylora", "llama-v128", "TinyLoraConfig", dict(r=2, u=4, target_modules=QV, init_weights="uniform"),
         "TinyLoRA r=2, u=4, no weight tying (4 targeted layers: 4 shared vectors tinylora_v (4,), per layer the SVD "
         "buffers tinylora_A (2, in), tinylora_B (out, 2) and the projection tinylora_P (4, 2, 2))")
_adapter("tinylora-tied", "llama-v128", "TinyLoraConfig", dict(r=2, u=3, weight_tying=0.5, save_projection=False,
                                                               target_modules=QV, init_weights="uniform"),
         "TinyLoRA r=2, u=3, weight_tying=0.5 (round(4 * 0.5) = 2 shared vectors), save_projection=False")
_adapter("frod", "llama-v128", "FrodConfig", dict(target_modules=QV, sparse_rate=0.1, init_weights=False),
         "FRoD sparse_rate=0.1 (per category self_attn_q_proj / self_attn_v_proj: frod_V (16, 16), "
         "int(16 * 16 * 0.1) = 25 sparse entries, frod_lambda_l (16,) per layer)")
_adapter("frod-noproj", "llama-v128", "FrodConfig", dict(target_modules=QV, save_projection=False, init_weights=False),
         "FRoD with save_projection=False, sparse_rate 0.01 (int(2.56) = 2 sparse entries)")
LLAMA_V128_TUNERS = list(ADAPTERS)  # every adapter trained on llama-v128 above

# Adaption prompt wraps whole attention modules (AdaptedAttention), so it gets its own cases below instead of the
# LoRA-shaped ones (resized vocabularies, the generic mutations).
AP = "AdaptionPromptConfig"
_adapter("adaption-prompt", "llama-v128", AP, dict(adapter_len=3, adapter_layers=1, task_type="CAUSAL_LM"),
         "adaption prompt, adapter_len 3 on the top layer (layer 1 of 2): self_attn wrapped, target_modules unset")
_adapter("adaption-prompt-all", "llama-v128", AP, dict(adapter_len=2, adapter_layers=2, task_type="CAUSAL_LM"),
         "adaption prompt, adapter_len 2 on both layers")
_adapter("gpt2-adaption-prompt", "gpt2-v128", AP, dict(adapter_len=3, adapter_layers=2, task_type="CAUSAL_LM"),
         "adaption prompt on GPT-2 (AdaptedAttentionGPT around attn, both layers)")

# Shadow wraps whole decoder blocks (ShadowLayer) and keeps a model-level shadow backbone built from the base's config
# ("mirror"), so it gets its own cases below.
SH = "ShadowConfig"
_adapter("shadow", "llama-v128", SH, dict(r=2, task_type="CAUSAL_LM", init_weights=False),
         "Shadow mirror r=2, defaults otherwise: every decoder block wrapped (target_modules unset -> model.layers.0/1), "
         "a one-layer LlamaModel backbone sharing the base embeddings (no embed_tokens), no projection")
_adapter("shadow-deep", "llama-v128", SH, dict(r=2, shadow_num_hidden_layers=2, update_hidden_size=3,
                                              target_modules=["model.layers.1"]),
         "Shadow mirror with shadow_num_hidden_layers=2 (two backbone layers), update_hidden_size=3, only model.layers.1 "
         "wrapped, task_type unset")
_adapter("shadow-h8", "llama-v128", SH, dict(r=2, shadow_hidden_size=8, task_type="CAUSAL_LM"),
         "Shadow mirror with shadow_hidden_size=8: a narrower backbone (keeps its own embed_tokens, 128 x 8) and a "
         "shadow_projection Linear(8, 16)")
_adapter("shadow-l3", "llama-l3", SH, dict(r=2, task_type="CAUSAL_LM"),
         "Shadow mirror r=2 trained on the three-layer llama-l3 (blocks 0-2 wrapped)")
_adapter("shadow-l3-deep", "llama-l3", SH, dict(r=2, shadow_num_hidden_layers=3, task_type="CAUSAL_LM"),
         "Shadow mirror with shadow_num_hidden_layers=3 trained on the three-layer llama-l3 (a three-layer backbone)")
_adapter("gpt2-shadow", "gpt2-v128", SH, dict(r=2, task_type="CAUSAL_LM"),
         "Shadow mirror r=2 on GPT-2 (blocks transformer.h.0/1; the GPT2Model backbone keeps wte and wpe: "
         "only a module named embed_tokens is dropped)")

_adapter("lora-h32", "llama-h32", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False),
         "LoRA r=4 on q_proj,v_proj trained on the wider llama-h32")
_adapter("lora-tied", "llama-tied-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False),
         "LoRA r=4 on q_proj,v_proj trained on llama-tied-v128")
_adapter("gpt2-lora", "gpt2-v128", L, dict(r=4, lora_alpha=8, target_modules=["c_attn"], init_lora_weights=False,
                                           task_type="CAUSAL_LM"),
         "LoRA r=4 on GPT-2 c_attn (Conv1D; fan_in_fan_out left False -> PEFT flips it with a warning)")
_adapter("gpt2-ia3", "gpt2-v128", "IA3Config", dict(target_modules=["c_attn", "c_fc"], feedforward_modules=["c_fc"],
                                                    init_ia3_weights=False),
         "IA3 on GPT-2 c_attn, c_fc (feedforward c_fc)")
_adapter("gpt2-vera", "gpt2-v128", "VeraConfig", dict(r=4, target_modules=["c_attn", "c_fc"], save_projection=True,
                                                      init_weights=False),
         "VeRA r=4 on GPT-2 c_attn, c_fc, save_projection=True")
_adapter("gpt2-osf", "gpt2-v128", "OSFConfig", dict(),
         "OSF with GPT-2's default targets (all Conv1D: OSF leaves them alone, the checkpoint is empty)")
_adapter("gpt2-hira", "gpt2-v128", "HiraConfig", dict(r=4, target_modules=["c_attn", "c_fc"], init_weights=False),
         "HiRA r=4 on GPT-2 c_attn, c_fc (Conv1D: a fan_in_fan_out warning per module, config unchanged)")
_adapter("gpt2-gralora", "gpt2-v128", "GraloraConfig", dict(r=4, gralora_k=2, target_modules=["c_attn"], init_weights=False),
         "GraLoRA r=4 on GPT-2 c_attn (Conv1D: fan_in_fan_out flipped in the config with a warning)")
_adapter("gpt2-deft", "gpt2-v128", "DeftConfig", dict(r=4, target_modules=["c_attn"], init_weights=False),
         "DEFT r=4 on GPT-2 c_attn (Conv1D)")
_adapter("gpt2-waveft", "gpt2-v128", "WaveFTConfig", dict(n_frequency=10, init_weights=False),
         "WaveFT n_frequency=10 on GPT-2 with the default targets (WaveFT's own table: mlp.c_proj)")
_adapter("gpt2-pvera", "gpt2-v128", "PveraConfig", dict(r=4, target_modules=["c_attn", "c_fc"], save_projection=True,
                                                        init_weights=False),
         "PVeRA r=4 on GPT-2 c_attn, c_fc, save_projection=True")
_adapter("gpt2-randlora", "gpt2-v128", "RandLoraConfig", dict(r=4, target_modules=["c_attn", "c_fc"], init_weights=False),
         "RandLoRA r=4 on GPT-2 c_attn, c_fc (Conv1D; projections sized 64 x 16)")
_adapter("gpt2-frod", "gpt2-v128", "FrodConfig", dict(target_modules=["c_attn"], init_weights=False),
         "FRoD on GPT-2 c_attn (Conv1D: the category attn_c_attn, frod_V (16, 16))")
_adapter("gpt2-unilora", "gpt2-v128", "UniLoraConfig", dict(r=2, theta_d_length=64, target_modules=["c_attn"]),
         "Uni-LoRA r=2 on GPT-2 c_attn (Conv1D)")
_adapter("t5-lora", "t5-v128", L, dict(r=4, lora_alpha=8, target_modules=["q", "v"], init_lora_weights=False,
                                       task_type="SEQ_2_SEQ_LM"),
         "LoRA r=4 on T5 q, v (task_type SEQ_2_SEQ_LM)")
_adapter("lora-v140-embeddings", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False,
                                                       task_type="CAUSAL_LM"),
         "LoRA r=4 trained on llama-v128 resized to 140 in memory (seed 1) and saved with save_embedding_layers='auto' "
         "(base_model_name_or_path 'bases/llama-v128' resolves locally -> resize detected -> embed_tokens + lm_head saved, 140 rows)",
         resize_to=140, own_base="llama-v140")
_adapter("lora-v140-no-embeddings", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False,
                                                          task_type="CAUSAL_LM"),
         "as lora-v140-embeddings but saved with save_embedding_layers=False", save_kwargs=dict(save_embedding_layers=False),
         resize_to=140, own_base="llama-v140")
_adapter("lora-v140-embeddings-unresolvable", "llama-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False,
                                                                    task_type="CAUSAL_LM"),
         "as lora-v140-embeddings but the base's name_or_path was set to 'unavailable/llama-v128' (no local config, hub offline): "
         "'auto' cannot detect the resize", resize_to=140, name_or_path="unavailable/llama-v128", own_base="llama-v140")
_adapter("lora-tied-v140-embeddings", "llama-tied-v128", L, dict(r=4, lora_alpha=8, target_modules=QV, init_lora_weights=False,
                                                                 task_type="CAUSAL_LM"),
         "LoRA r=4 trained on llama-tied-v128 resized to 140 (seed 1), save_embedding_layers='auto'",
         resize_to=140, own_base="llama-tied-v140")
_adapter("t5-lora-v140-embeddings", "t5-v128", L, dict(r=4, lora_alpha=8, target_modules=["q", "v"], init_lora_weights=False,
                                                       task_type="SEQ_2_SEQ_LM"),
         "LoRA r=4 on T5 q,v trained on t5-v128 resized to 140 (seed 1), save_embedding_layers='auto'",
         resize_to=140, own_base="t5-v140")

# ---- mutations -----------------------------------------------------------------------------------
PFX = "base_model.model."
Q0 = "base_model.model.model.layers.0.self_attn.q_proj"


def _drop(*keys):
    def f(sd):
        for k in keys:
            del sd[k]
        return sd
    return f


def _extra_keys(sd):
    g = torch.Generator().manual_seed(7)
    sd[f"{Q0}.lora_C.weight"] = torch.randn(4, 16, generator=g)
    sd["foo.weight"] = torch.randn(2, generator=g)
    sd["base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight"] = torch.randn(4, 16, generator=g)
    return sd


def _default_infix(sd):
    out = OrderedDict()
    for k, v in sd.items():
        head, _, last = k.rpartition(".")
        out[f"{head}.default.{last}"] = v
    return out


def _no_prefix(sd):
    return OrderedDict((k[len(PFX):] if k.startswith(PFX) else k, v) for k, v in sd.items())


def _wrong_rank(sd):
    g = torch.Generator().manual_seed(8)
    sd[f"{Q0}.lora_A.weight"] = torch.randn(8, 16, generator=g)
    return sd


def _base_weight(sd):
    g = torch.Generator().manual_seed(9)
    sd["base_model.model.model.norm.weight"] = 1.0 + 0.1 * torch.randn(16, generator=g)
    return sd


def _fp16(sd):
    return OrderedDict((k, v.to(torch.float16)) for k, v in sd.items())


def _dummy_only(sd):
    return OrderedDict(dummy=torch.zeros(1))


def _targets(*mods):
    def f(cfg):
        cfg["target_modules"] = list(mods)
        return cfg
    return f


_mutant("lora-r4--drop-lora-b", "lora-r4", f"lora-r4 with '{Q0}.lora_B.weight' removed", tensors_fn=_drop(f"{Q0}.lora_B.weight"))
_mutant("lora-r4--extra-keys", "lora-r4", f"lora-r4 plus unknown keys '{Q0}.lora_C.weight' (4x16), 'foo.weight' (2,) and "
        "'base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight' (untargeted layer)", tensors_fn=_extra_keys)
_mutant("lora-r4--default-infix", "lora-r4", "lora-r4 with '.default' inserted before the last key component "
        "(…lora_A.default.weight), i.e. a model-side state dict saved as-is", tensors_fn=_default_infix)
_mutant("lora-r4--no-prefix", "lora-r4", "lora-r4 with the 'base_model.model.' prefix stripped from every key (transformers style)",
        tensors_fn=_no_prefix)
_mutant("lora-r4--wrong-rank", "lora-r4", f"lora-r4 with '{Q0}.lora_A.weight' replaced by an 8x16 tensor (config r=4)",
        tensors_fn=_wrong_rank)
_mutant("lora-r4--base-weight", "lora-r4", "lora-r4 plus a base weight 'base_model.model.model.norm.weight' (16,) = 1 + 0.1*N(0,1) seed 9",
        tensors_fn=_base_weight)
_mutant("lora-r4--fp16", "lora-r4", "lora-r4 with every tensor cast to float16", tensors_fn=_fp16)
_mutant("lora-r4--dummy-only", "lora-r4", "lora-r4's config with a checkpoint holding only 'dummy' (zeros, shape [1])",
        tensors_fn=_dummy_only)
_mutant("lora-r4--target-q-and-nonexistent", "lora-r4", "lora-r4 (q_proj and v_proj tensors) with adapter_config target_modules "
        "edited to ['q_proj', 'nonexistent_proj']", config_fn=_targets("q_proj", "nonexistent_proj"))
_mutant("lora-r4--target-nonexistent-only", "lora-r4", "lora-r4 with adapter_config target_modules edited to ['nonexistent_proj']",
        config_fn=_targets("nonexistent_proj"))
_mutant("vera-proj--no-vera-a", "vera-proj", "vera-proj with 'base_model.vera_A' removed", tensors_fn=_drop("base_model.vera_A"))
_mutant("lora-mts-lmhead--no-lmhead", "lora-mts-lmhead", "lora-mts-lmhead with 'base_model.model.lm_head.weight' removed",
        tensors_fn=_drop("base_model.model.lm_head.weight"))
_mutant("lora-trainable-tokens--no-delta", "lora-trainable-tokens",
        "lora-trainable-tokens with 'base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta' removed",
        tensors_fn=_drop("base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta"))
_mutant("trainable-tokens--no-delta", "trainable-tokens",
        "trainable-tokens with 'base_model.model.model.embed_tokens.trainable_tokens_delta' removed (the checkpoint is empty)",
        tensors_fn=_drop("base_model.model.model.embed_tokens.trainable_tokens_delta"))


_mutant("delora--target-embed", "delora", "delora with adapter_config target_modules edited to ['embed_tokens'] "
        "(DeLoRA supports nn.Linear only)", config_fn=_targets("embed_tokens"))
_mutant("c3a--target-embed", "c3a", "c3a with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("road--target-embed", "road", "road with adapter_config target_modules edited to ['embed_tokens'] (a ValueError, "
        "not a TypeError)", config_fn=_targets("embed_tokens"))
_mutant("gralora--target-norm", "gralora", "gralora with adapter_config target_modules edited to ['input_layernorm']",
        config_fn=_targets("input_layernorm"))
_mutant("hira--target-norm", "hira", "hira with adapter_config target_modules edited to ['input_layernorm']",
        config_fn=_targets("input_layernorm"))
_mutant("beft--target-embed", "beft", "beft with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("peanut--target-embed", "peanut", "peanut with adapter_config target_modules edited to ['embed_tokens'] "
        "(a NotImplementedError)", config_fn=_targets("embed_tokens"))
_mutant("waveft--too-many", "waveft", "waveft with adapter_config n_frequency edited to 200 (> 8x16 for v_proj... pattern removed)",
        config_fn=lambda cfg: dict(cfg, n_frequency=200, n_frequency_pattern={}))
_mutant("pvera-proj--no-pvera-a", "pvera-proj", "pvera-proj with 'base_model.pvera_A' removed",
        tensors_fn=_drop("base_model.pvera_A"))
_mutant("glora--target-embed", "glora", "glora with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("shira--r6", "shira", "shira with adapter_config r edited to 6 (6*(16+8) > 16*8 for v_proj)",
        config_fn=lambda cfg: dict(cfg, r=6))
_mutant("shira--no-indices", "shira", "shira without its shira_indices tensors",
        tensors_fn=lambda sd: OrderedDict((k, v) for k, v in sd.items() if not k.endswith(".shira_indices")))
_mutant("lily--target-embed", "lily", "lily with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("randlora--no-layer-refs", "randlora", "randlora with the per-layer randlora_A/randlora_B copies removed "
        "(only base_model.randlora_A/B kept)",
        tensors_fn=lambda sd: OrderedDict((k, v) for k, v in sd.items() if k.startswith("base_model.randlora_")
                                          or not (".randlora_A" in k or ".randlora_B" in k)))
_mutant("unilora--no-theta", "unilora", "unilora with 'base_model.unilora_theta_d' removed (the checkpoint is empty)",
        tensors_fn=_drop("base_model.unilora_theta_d"))
_mutant("poly--target-embed", "poly", "poly with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("supertuning--target-embed", "supertuning", "supertuning with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("mpt--no-task-cols", "mpt", "mpt without 'prefix_task_cols' (the encoder loads its factors with strict=False)",
        tensors_fn=_drop("prefix_task_cols"))
_mutant("mpt--tasks-3", "mpt", "mpt with adapter_config num_tasks edited to 3", config_fn=lambda cfg: dict(cfg, num_tasks=3))
_mutant("mpt--no-embeddings", "mpt", "mpt without 'prompt_embeddings'", tensors_fn=_drop("prompt_embeddings"))
_mutant("cpt--two-ids", "cpt", "cpt with adapter_config cpt_token_ids/cpt_mask/cpt_tokens_type_mask cut to 2 entries "
        "(num_virtual_tokens is recomputed from them)",
        config_fn=lambda cfg: dict(cfg, cpt_token_ids=[5, 6], cpt_mask=[1, 1], cpt_tokens_type_mask=[1, 2]))
_mutant("cpt--virtual-9", "cpt", "cpt with adapter_config num_virtual_tokens edited to 9 (CPTConfig overrides it)",
        config_fn=lambda cfg: dict(cfg, num_virtual_tokens=9))
_mutant("cartridge--virtual-5", "cartridge", "cartridge with adapter_config num_virtual_tokens edited to 5",
        config_fn=lambda cfg: dict(cfg, num_virtual_tokens=5))
_mutant("cartridge--frozen-2", "cartridge", "cartridge with adapter_config num_frozen_tokens edited to 2 (same total rows)",
        config_fn=lambda cfg: dict(cfg, num_frozen_tokens=2))
_mutant("cartridge--frozen-9", "cartridge", "cartridge with adapter_config num_frozen_tokens edited to 9 (> num_virtual_tokens)",
        config_fn=lambda cfg: dict(cfg, num_frozen_tokens=9))
_mutant("osf--rank-2", "osf", "osf with adapter_config effective_rank edited to 2", config_fn=lambda cfg: dict(cfg, effective_rank=2))
_mutant("osf--target-embed", "osf", "osf with adapter_config target_modules edited to ['embed_tokens'] (OSF leaves "
        "anything but nn.Linear alone)", config_fn=_targets("embed_tokens"))
_mutant("osf--rank-full", "osf", "osf with adapter_config effective_rank edited to 1.0 (every singular value frozen)",
        config_fn=lambda cfg: dict(cfg, effective_rank=1.0))
_mutant("psoft--r-2", "psoft", "psoft with adapter_config r edited to 2", config_fn=lambda cfg: dict(cfg, r=2))
_mutant("psoft--r-9", "psoft", "psoft with adapter_config r edited to 9 (more than v_proj's 8 outputs)",
        config_fn=lambda cfg: dict(cfg, r=9))
_mutant("psoft--target-embed", "psoft", "psoft with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("tinylora--tying-1", "tinylora", "tinylora with adapter_config weight_tying edited to 1.0 (one shared vector; "
        "the checkpoint has four)", config_fn=lambda cfg: dict(cfg, weight_tying=1.0))
_mutant("tinylora--r-4", "tinylora", "tinylora with adapter_config r edited to 4 (v_proj's 8 outputs allow 4)",
        config_fn=lambda cfg: dict(cfg, r=4))
_mutant("tinylora--u-5", "tinylora", "tinylora with adapter_config u edited to 5", config_fn=lambda cfg: dict(cfg, u=5))
_mutant("tinylora--no-projection", "tinylora", "tinylora without the per-layer tinylora_P tensors (save_projection still True)",
        tensors_fn=lambda sd: OrderedDict((k, v) for k, v in sd.items() if ".tinylora_P." not in k))
_mutant("tinylora--target-embed", "tinylora", "tinylora with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("tinylora--target-norm", "tinylora", "tinylora with adapter_config target_modules edited to ['input_layernorm'] "
        "(an RMSNorm)", config_fn=_targets("input_layernorm"))
_mutant("frod--no-projection", "frod", "frod without the base_model.frod_* projection tensors (save_projection still True)",
        tensors_fn=lambda sd: OrderedDict((k, v) for k, v in sd.items() if not k.startswith("base_model.frod_")))
_mutant("frod--sparse-0.2", "frod", "frod with adapter_config sparse_rate edited to 0.2 (51 sparse entries)",
        config_fn=lambda cfg: dict(cfg, sparse_rate=0.2))
_mutant("frod--target-embed", "frod", "frod with adapter_config target_modules edited to ['embed_tokens']",
        config_fn=_targets("embed_tokens"))
_mutant("frod--target-q-embed", "frod", "frod with adapter_config target_modules edited to ['q_proj', 'embed_tokens']",
        config_fn=_targets("q_proj", "embed_tokens"))
_mutant("c3a--block-5", "c3a", "c3a with adapter_config block_size edited to 5 (does not divide 16)",
        config_fn=lambda cfg: dict(cfg, block_size=5, block_size_pattern={}))
_mutant("adaption-prompt--layers-2", "adaption-prompt", "adaption-prompt with adapter_config adapter_layers edited to 2 "
        "(layer 0 gets a wrapper the checkpoint does not fill)", config_fn=lambda cfg: dict(cfg, adapter_layers=2))
_mutant("adaption-prompt--layers-3", "adaption-prompt", "adaption-prompt with adapter_config adapter_layers edited to 3 "
        "(more than the 2 layers)", config_fn=lambda cfg: dict(cfg, adapter_layers=3))
_mutant("adaption-prompt--layers-none", "adaption-prompt", "adaption-prompt with adapter_config adapter_layers edited to null "
        "(the config default)", config_fn=lambda cfg: dict(cfg, adapter_layers=None))
_mutant("adaption-prompt--len-none", "adaption-prompt", "adaption-prompt with adapter_config adapter_len edited to null "
        "(the config default)", config_fn=lambda cfg: dict(cfg, adapter_len=None))
_mutant("adaption-prompt--len-5", "adaption-prompt", "adaption-prompt with adapter_config adapter_len edited to 5 "
        "(the checkpoint's prompt has 3 rows)", config_fn=lambda cfg: dict(cfg, adapter_len=5))
_mutant("adaption-prompt--target-mlp", "adaption-prompt", "adaption-prompt with adapter_config target_modules edited to "
        "'mlp' (a module without q_proj)", config_fn=lambda cfg: dict(cfg, target_modules="mlp"))
_mutant("adaption-prompt--no-prefix", "adaption-prompt", "adaption-prompt with the base_model.model. prefix stripped from "
        "every key", tensors_fn=lambda sd: _no_prefix(sd))
_mutant("adaption-prompt--no-gate", "adaption-prompt", "adaption-prompt without its adaption_gate",
        tensors_fn=lambda sd: OrderedDict((k, v) for k, v in sd.items() if not k.endswith(".adaption_gate")))


def build_adapter(name: str) -> dict:
    spec = ADAPTERS[name]
    out = f"adapters/{name}"
    if spec["kind"] == "mutated":
        src = f"adapters/{spec['source']}"
        shutil.copytree(src, out)
        if spec["tensors_fn"]:
            sd = OrderedDict(load_file(f"{out}/adapter_model.safetensors"))
            sd = spec["tensors_fn"](sd)
            save_file(dict(sd), f"{out}/adapter_model.safetensors", metadata={"format": "pt"})
        if spec["config_fn"]:
            with open(f"{out}/adapter_config.json") as f:
                cfg = json.load(f, object_pairs_hook=OrderedDict)
            cfg = spec["config_fn"](cfg)
            with open(f"{out}/adapter_config.json", "w") as f:
                f.write(json.dumps(cfg, indent=2, sort_keys=True) + "\n")  # PEFT writes sort_keys=True, indent=2
        return dict(files=sorted(os.listdir(out)))

    base = load_base(spec["base"])
    if spec["resize_to"]:
        torch.manual_seed(1)
        with Capture():
            base.resize_token_embeddings(spec["resize_to"])
    if spec["name_or_path"]:
        base.name_or_path = spec["name_or_path"]
    cfg = CONFIG_CLASSES[spec["config_class"]](**copy.deepcopy(spec["config_kwargs"]))
    with Capture() as cap_create:
        torch.manual_seed(0)
        model = get_peft_model(base, cfg)
    # "training": add 0.01*N(0,1) to every trainable parameter so that every saved tensor is distinct
    g = torch.Generator().manual_seed(spec["perturb_seed"])
    with torch.no_grad():
        for _, p in model.named_parameters():
            if p.requires_grad and p.is_floating_point():
                p.add_(0.01 * torch.randn(p.shape, generator=g, dtype=torch.float32).to(p.dtype))
    with Capture() as cap_save:
        model.save_pretrained(out, **spec["save_kwargs"])
    removed = []
    if os.path.exists(f"{out}/README.md"):
        os.remove(f"{out}/README.md")
        removed.append("README.md")
    with open(f"{out}/adapter_config.json") as f:
        written = json.load(f)
    bmnp = written.get("base_model_name_or_path")
    rewritten = None
    if isinstance(bmnp, str) and os.path.isabs(bmnp):
        rel = os.path.relpath(bmnp, os.getcwd())
        written["base_model_name_or_path"] = rel
        with open(f"{out}/adapter_config.json", "w") as f:
            f.write(json.dumps(written, indent=2, sort_keys=True) + "\n")
        rewritten = dict(original=scrub(bmnp), now=rel)
    return dict(
        files=sorted(os.listdir(out)),
        removed_files=removed,
        peft_model_class=type(model).__name__,
        create=dict(warnings=cap_create.warnings, log=cap_create.log),
        save=dict(warnings=cap_save.warnings, log=cap_save.log),
        base_model_name_or_path=bmnp if rewritten is None else rewritten["now"],
        base_model_name_or_path_rewritten=rewritten,
    )


# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------

CASES = OrderedDict()


def _case(cid, description, base, adapter, refs=(), fp_name="default", name="other", loaded=None,
          ignore_mismatched_sizes=False, low_cpu_mem_usage=False, load_adapter=True):
    assert cid not in CASES, cid
    assert base in BASES, base
    assert adapter in ADAPTERS, adapter
    if loaded is None:
        loaded = [("default", adapter)]
    for _, a in loaded:
        assert a in ADAPTERS, a
    CASES[cid] = dict(
        id=cid, description=description, refs=list(refs), base=base, adapter=adapter, fp_name=fp_name,
        name=name, loaded=list(loaded), ignore_mismatched_sizes=ignore_mismatched_sizes,
        low_cpu_mem_usage=low_cpu_mem_usage, load_adapter=load_adapter,
    )


REFS_BY_ADAPTER = {
    "lora-r4": ["peft-semantics §6.1"],
    "lora-dora": ["peft-semantics §6.33", "peft-semantics §2.1"],
    "lora-bias": ["peft-semantics §2.1"],
    "lora-embed-lmhead": ["peft-semantics §6.9", "peft-semantics §6.10"],
    "lora-mts-lmhead": ["peft-semantics §1.2 step 3", "peft-semantics §2 step 4"],
    "lora-trainable-tokens": ["peft-semantics §1.2 step 3", "peft-semantics §3"],
    "lora-rank-pattern": ["peft-semantics §3"],
    "adalora": ["peft-semantics §6.37", "peft-semantics §2.2"],
    "vera-proj": ["peft-semantics §6.29", "peft-semantics §2.3"],
    "vera-noproj": ["peft-semantics §6.30", "peft-semantics §2.3"],
    "vblora": ["peft-semantics §6.31", "peft-semantics §2.4"],
    "vblora-topk": ["peft-semantics §6.31", "peft-semantics §2.4"],
    "prompt-tuning": ["peft-semantics §6.32"],
    "prefix-tuning": ["peft-semantics §6.32"],
    "p-tuning": ["peft-semantics §6.32"],
    "trainable-tokens": ["peft-semantics §3"],
    "gpt2-lora": ["peft-semantics §6.34"],
    "gpt2-vera": ["peft-semantics §2.3"],
    "t5-lora": ["peft-semantics §6.36"],
    "lora-tied": ["peft-semantics §6.8"],
    "lora-v140-embeddings": ["peft-semantics §6.3", "peft-semantics §6.6"],
    "lora-v140-no-embeddings": ["peft-semantics §6.7"],
    "lora-v140-embeddings-unresolvable": ["peft-semantics §2 step 5"],
    "lora-tied-v140-embeddings": ["peft-semantics §6.8"],
    "t5-lora-v140-embeddings": ["peft-semantics §6.36"],
    "adaption-prompt": ["peft tuners/adaption_prompt"],
    "adaption-prompt-all": ["peft tuners/adaption_prompt"],
    "gpt2-adaption-prompt": ["peft tuners/adaption_prompt"],
}

# 1. clean round trip of every trained adapter on the base it was trained on
for _a, _s in ADAPTERS.items():
    if _s["kind"] == "trained":
        _case(f"roundtrip--{_a}", f"round trip: {_a} into {_s['own_base']} (the base it was trained on)",
              _s["own_base"], _a, refs=REFS_BY_ADAPTER.get(_a, ["peft-semantics §6.1"]))
_case("roundtrip--lora-r4--low-cpu-mem", "round trip of lora-r4 with low_cpu_mem_usage=True (assign=True)", "llama-v128",
      "lora-r4", refs=["peft-semantics §1.2 step 7"], low_cpu_mem_usage=True)

# 2. vocabulary resized after training (#1932)
for _b in ("llama-v140", "llama-v120"):
    _case(f"resized--lora-r4--{_b}", f"lora-r4 (trained on llama-v128) into {_b} (vocab resized after training)", _b, "lora-r4",
          refs=["peft-semantics §6.2", "peft#1932"])
_case("resized--gpt2-lora--gpt2-v140", "gpt2-lora into gpt2-v140 (vocab resized after training)", "gpt2-v140", "gpt2-lora",
      refs=["peft-semantics §6.2", "peft#1932"])
_case("resized--t5-lora--t5-v140", "t5-lora into t5-v140 (vocab resized after training)", "t5-v140", "t5-lora",
      refs=["peft-semantics §6.2", "peft#1932"])
for _a in LLAMA_V128_TUNERS:
    if _a in ("lora-r4", "lora-r4-alt"):
        continue
    # these two carry 128-row tensors: loading them as 'default' first would fail, so (2) starts from lora-r4
    _loaded = [("default", "lora-r4")] if _a in ("lora-embed-lmhead", "lora-mts-lmhead") else None
    _case(f"resized--{_a}--llama-v140", f"{_a} (trained on llama-v128) into llama-v140 (vocab resized after training)",
          "llama-v140", _a, refs=["peft-semantics §6.2", "peft#1932"] + REFS_BY_ADAPTER.get(_a, []), loaded=_loaded)

# 3. wider base
_case("wider--lora-r4--llama-h32", "lora-r4 (hidden 16) into the wider llama-h32: size mismatches; load_adapter after lora-h32 as default",
      "llama-h32", "lora-r4", refs=["peft-semantics §1.2 step 7"], loaded=[("default", "lora-h32")])
_case("wider--lora-r4--llama-h32--ignore-mismatched", "as wider--lora-r4--llama-h32 with ignore_mismatched_sizes=True",
      "llama-h32", "lora-r4", refs=["peft-semantics §1.2 step 6", "peft-semantics §1.2 step 9"], loaded=[("default", "lora-h32")],
      ignore_mismatched_sizes=True)

for _a in ("mpt", "cpt", "cartridge"):
    _case(f"wider--{_a}--llama-h32", f"{_a} (hidden 16) into the wider llama-h32 (from_pretrained only)", "llama-h32", _a,
          refs=[f"peft tuners/{'multitask_prompt_tuning' if _a == 'mpt' else _a}"], load_adapter=False)
# the prefix's width follows the loading base's head_dim from PEFT 0.18 (PR #2883), the saved config's before
_case("wider--prefix-tuning--llama-h32", "prefix-tuning (head_dim 4) into the wider llama-h32 (head_dim 8; from_pretrained only)",
      "llama-h32", "prefix-tuning", refs=["peft-semantics §6.32", "peft#2883"], load_adapter=False)

# 4. embedding layers saved with the adapter
_case("embeddings--lora-v140-embeddings--llama-v128", "adapter with 140-row embeddings into the original 128-vocab base",
      "llama-v128", "lora-v140-embeddings", refs=["peft-semantics §6.4"], loaded=[("default", "lora-r4")])
_case("embeddings--lora-v140-embeddings--llama-v128--ignore-mismatched", "as above with ignore_mismatched_sizes=True",
      "llama-v128", "lora-v140-embeddings", refs=["peft-semantics §6.5"], loaded=[("default", "lora-r4")],
      ignore_mismatched_sizes=True)
_case("embeddings--lora-v140-embeddings--llama-v120", "adapter with 140-row embeddings into a base shrunk to 120",
      "llama-v120", "lora-v140-embeddings", refs=["peft-semantics §6.4"], loaded=[("default", "lora-r4")])
_case("embeddings--lora-v140-no-embeddings--llama-v128", "resized-then-trained adapter saved without embeddings into llama-v128",
      "llama-v128", "lora-v140-no-embeddings", refs=["peft-semantics §6.7"])
_case("embeddings--lora-v140-embeddings-unresolvable--llama-v128",
      "resized-then-trained adapter whose base could not be resolved when saving (no embeddings saved) into llama-v128",
      "llama-v128", "lora-v140-embeddings-unresolvable", refs=["peft-semantics §2 step 5"])
_case("embeddings--lora-tied-v140-embeddings--llama-tied-v128", "tied adapter with 140-row embeddings into llama-tied-v128",
      "llama-tied-v128", "lora-tied-v140-embeddings", refs=["peft-semantics §6.4", "peft-semantics §6.8"], loaded=[("default", "lora-tied")])
_case("embeddings--lora-tied-v140-embeddings--llama-v140", "tied adapter with 140-row embeddings into the untied llama-v140",
      "llama-v140", "lora-tied-v140-embeddings", refs=["peft-semantics §6.8"])
_case("embeddings--t5-lora-v140-embeddings--t5-v128", "T5 adapter with 140-row shared/lm_head into t5-v128",
      "t5-v128", "t5-lora-v140-embeddings", refs=["peft-semantics §6.4", "peft-semantics §6.36"], loaded=[("default", "t5-lora")])
_case("embeddings--t5-lora-v140-embeddings--t5-v128--ignore-mismatched", "as above with ignore_mismatched_sizes=True",
      "t5-v128", "t5-lora-v140-embeddings", refs=["peft-semantics §6.5", "peft-semantics §6.36"], loaded=[("default", "t5-lora")],
      ignore_mismatched_sizes=True)
_case("embeddings--lora-embed-lmhead--llama-tied-v128", "adapter targeting embed_tokens + lm_head (untied base) into the tied llama",
      "llama-tied-v128", "lora-embed-lmhead", refs=["peft-semantics §6.9", "peft-semantics §6.10"])

# 5. mutated checkpoints (load_adapter after the unmutated source as "default")
_MUT_REFS = {
    "lora-r4--drop-lora-b": ["peft-semantics §6.11"],
    "lora-r4--extra-keys": ["peft-semantics §6.13"],
    "lora-r4--default-infix": ["peft-semantics §6.16"],
    "lora-r4--no-prefix": ["peft-semantics §6.15"],
    "lora-r4--wrong-rank": ["peft-semantics §6.17"],
    "lora-r4--base-weight": ["peft-semantics §6.28"],
    "lora-r4--fp16": ["peft-semantics §6.18"],
    "lora-r4--dummy-only": ["peft-semantics §6.14"],
    "lora-r4--target-q-and-nonexistent": ["peft-semantics §6.25"],
    "lora-r4--target-nonexistent-only": ["peft-semantics §6.25", "peft-semantics §1.4"],
    "vera-proj--no-vera-a": ["peft-semantics §6.29"],
    "lora-mts-lmhead--no-lmhead": ["peft-semantics §6.26"],
    "lora-trainable-tokens--no-delta": ["peft-semantics §6.27"],
    "trainable-tokens--no-delta": ["peft-semantics §6.27"],
    "delora--target-embed": ["peft tuners/delora"],
    "c3a--target-embed": ["peft tuners/c3a"],
    "road--target-embed": ["peft tuners/road"],
    "gralora--target-norm": ["peft tuners/gralora"],
    "hira--target-norm": ["peft tuners/hira"],
    "tinylora--tying-1": ["peft tuners/tinylora"],
    "tinylora--r-4": ["peft tuners/tinylora"],
    "tinylora--u-5": ["peft tuners/tinylora"],
    "tinylora--no-projection": ["peft tuners/tinylora"],
    "tinylora--target-embed": ["peft tuners/tinylora"],
    "tinylora--target-norm": ["peft tuners/tinylora"],
    "frod--no-projection": ["peft tuners/frod"],
    "frod--sparse-0.2": ["peft tuners/frod"],
    "frod--target-embed": ["peft tuners/frod"],
    "frod--target-q-embed": ["peft tuners/frod"],
    "c3a--block-5": ["peft tuners/c3a"],
    "adaption-prompt--layers-2": ["peft tuners/adaption_prompt"],
    "adaption-prompt--layers-3": ["peft tuners/adaption_prompt"],
    "adaption-prompt--layers-none": ["peft tuners/adaption_prompt"],
    "adaption-prompt--len-none": ["peft tuners/adaption_prompt"],
    "adaption-prompt--len-5": ["peft tuners/adaption_prompt"],
    "adaption-prompt--target-mlp": ["peft tuners/adaption_prompt"],
    "adaption-prompt--no-prefix": ["peft tuners/adaption_prompt"],
    "adaption-prompt--no-gate": ["peft tuners/adaption_prompt"],
    "beft--target-embed": ["peft tuners/beft"],
    "peanut--target-embed": ["peft tuners/peanut"],
    "waveft--too-many": ["peft tuners/waveft"],
    "pvera-proj--no-pvera-a": ["peft tuners/pvera"],
    "glora--target-embed": ["peft tuners/glora"],
    "shira--r6": ["peft tuners/shira"],
    "shira--no-indices": ["peft tuners/shira"],
    "lily--target-embed": ["peft tuners/lily"],
    "randlora--no-layer-refs": ["peft tuners/randlora"],
    "unilora--no-theta": ["peft tuners/unilora"],
    "poly--target-embed": ["peft tuners/poly"],
    "supertuning--target-embed": ["peft tuners/supertuning"],
    "psoft--r-2": ["peft tuners/psoft"],
    "psoft--r-9": ["peft tuners/psoft"],
    "psoft--target-embed": ["peft tuners/psoft"],
    "osf--rank-2": ["peft tuners/osf"],
    "osf--target-embed": ["peft tuners/osf"],
    "osf--rank-full": ["peft tuners/osf"],
    "mpt--no-task-cols": ["peft tuners/multitask_prompt_tuning"],
    "mpt--tasks-3": ["peft tuners/multitask_prompt_tuning"],
    "mpt--no-embeddings": ["peft tuners/multitask_prompt_tuning"],
    "cpt--two-ids": ["peft tuners/cpt"],
    "cpt--virtual-9": ["peft tuners/cpt"],
    "cartridge--virtual-5": ["peft tuners/cartridge"],
    "cartridge--frozen-2": ["peft tuners/cartridge"],
    "cartridge--frozen-9": ["peft tuners/cartridge"],
}
for _a, _s in ADAPTERS.items():
    if _s["kind"] == "mutated":
        _src = "lora-r4-alt" if _s["source"] == "lora-r4" else _s["source"]
        _case(f"mutated--{_a}", f"mutated checkpoint: {_s['description']} (load_adapter after {_src} as 'default')",
              "llama-v128", _a, refs=_MUT_REFS[_a], loaded=[("default", _src)])
_case("mutated--lora-r4--drop-lora-b--low-cpu-mem", "dropped lora_B with low_cpu_mem_usage=True", "llama-v128",
      "lora-r4--drop-lora-b", refs=["peft-semantics §6.12"], loaded=[("default", "lora-r4-alt")], low_cpu_mem_usage=True)
_case("mutated--lora-r4--fp16--low-cpu-mem", "fp16 checkpoint with low_cpu_mem_usage=True", "llama-v128", "lora-r4--fp16",
      refs=["peft-semantics §6.18"], loaded=[("default", "lora-r4-alt")], low_cpu_mem_usage=True)
_case("mutated--lora-r4--wrong-rank--ignore-mismatched", "wrong-rank lora_A with ignore_mismatched_sizes=True", "llama-v128",
      "lora-r4--wrong-rank", refs=["peft-semantics §6.17"], loaded=[("default", "lora-r4-alt")], ignore_mismatched_sizes=True)
_case("mutated--lora-r4--no-prefix--llama-v140", "unprefixed lora-r4 keys into the resized llama-v140", "llama-v140",
      "lora-r4--no-prefix", refs=["peft-semantics §6.15", "peft#1932"], loaded=[("default", "lora-r4-alt")])

# 6. adapter-name pitfalls (lora-r4 everywhere)
_case("names--def-after-default", "load 'def' after 'default' (same lora-r4): 'def' is a substring of 'default'", "llama-v128",
      "lora-r4", refs=["peft-semantics §6.19"], fp_name="def", name="def", loaded=[("default", "lora-r4")])
_case("names--other-after-other2", "load 'other' after 'other2'", "llama-v128", "lora-r4", refs=["peft-semantics §6.19"],
      fp_name="other", name="other", loaded=[("other2", "lora-r4")])
_case("names--lora", "adapter named 'lora' (contained in the prefix 'lora_')", "llama-v128", "lora-r4",
      refs=["peft-semantics §6.22", "peft-semantics §1.4", "peft#2699"], fp_name="lora", name="lora")
_case("names--weight", "adapter named 'weight' after 'default'", "llama-v128", "lora-r4", refs=["peft-semantics §6.23", "peft#2772"],
      fp_name="weight", name="weight")
_case("names--default-after-weight", "load 'default' after an adapter named 'weight'", "llama-v128", "lora-r4",
      refs=["peft-semantics §6.23"], fp_name="default", name="default", loaded=[("weight", "lora-r4")])
_case("names--A", "adapter named 'A' (substring of 'lora_A') after 'default'", "llama-v128", "lora-r4",
      refs=["peft-semantics §6.20"], fp_name="A", name="A")
_case("names--q_proj", "adapter named 'q_proj' (a module name) after 'default'", "llama-v128", "lora-r4",
      refs=["peft-semantics §6.20", "peft-semantics §6.23"], fp_name="q_proj", name="q_proj")
_case("names--overwrite-default", "load_adapter lora-r4 into the existing name 'default' (holding lora-r4-alt: same shapes, other values)",
      "llama-v128", "lora-r4", refs=["peft-semantics §6.39"], name="default", loaded=[("default", "lora-r4-alt")])
_case("names--overwrite-default-different-rank", "load_adapter lora-rank-pattern into the existing 'default' (lora-r4, other ranks)",
      "llama-v128", "lora-rank-pattern", refs=["peft-semantics §6.39"], name="default", loaded=[("default", "lora-r4")])
_case("names--three-side-by-side", "default=lora-r4, other=lora-bias, then yet-another=lora-dora", "llama-v128", "lora-dora",
      refs=["peft-semantics §6.38"], name="yet-another", loaded=[("default", "lora-r4"), ("other", "lora-bias")])
_case("names--mixed-tuner-types", "load a LoHa adapter as 'other' after a LoRA 'default'", "llama-v128", "loha",
      refs=["peft-semantics §1.1 step 2"], loaded=[("default", "lora-r4")])
_case("names--prompt-after-lora", "load a prompt-tuning adapter as 'other' after a LoRA 'default'", "llama-v128", "prompt-tuning",
      refs=["peft-semantics §1.1 step 2"], loaded=[("default", "lora-r4")])

# 7. tied embeddings / other bases
_case("tied--lora-r4--llama-tied-v128", "lora-r4 (trained untied) into llama-tied-v128", "llama-tied-v128", "lora-r4",
      refs=["peft-semantics §6.8"])
_case("tied--lora-tied--llama-tied-v140", "lora-tied into the resized tied base", "llama-tied-v140", "lora-tied",
      refs=["peft-semantics §6.2", "peft-semantics §6.8"])
_case("cross-arch--lora-r4--gpt2-v128", "llama LoRA (q_proj, v_proj) into GPT-2: nothing matches", "gpt2-v128", "lora-r4",
      refs=["peft-semantics §6.25"], loaded=[("default", "gpt2-lora")])

# 8. adaption prompt: attention modules re-rooted under AdaptedAttention wrappers
APR = ["peft tuners/adaption_prompt"]
_case("resized--adaption-prompt--llama-v140", "adaption-prompt (trained on llama-v128) into llama-v140 (vocab resized after "
      "training)", "llama-v140", "adaption-prompt", refs=APR)
_case("wider--adaption-prompt--llama-h32", "adaption-prompt (hidden 16) into the wider llama-h32 (from_pretrained only)",
      "llama-h32", "adaption-prompt", refs=APR, load_adapter=False)
_case("wider--adaption-prompt--llama-h32--ignore-mismatched", "as wider--adaption-prompt--llama-h32 with "
      "ignore_mismatched_sizes=True", "llama-h32", "adaption-prompt", refs=APR, load_adapter=False,
      ignore_mismatched_sizes=True)
_case("cross-arch--adaption-prompt--t5-v128", "adaption-prompt into T5: a model type PEFT has no adaption prompt config for "
      "(from_pretrained only)", "t5-v128", "adaption-prompt", refs=APR, load_adapter=False)
_case("cross-arch--gpt2-adaption-prompt--llama-v128", "the GPT-2 adaption prompt (target_modules 'attn') into llama: no module "
      "ends in '.attn' (from_pretrained only)", "llama-v128", "gpt2-adaption-prompt", refs=APR, load_adapter=False)
_case("names--adaption-prompt-three", "default=adaption-prompt-all, other=adaption-prompt, then yet-another=adaption-prompt-all: "
      "each adapter's wrappers are swapped in to load", "llama-v128", "adaption-prompt-all", refs=APR, name="yet-another",
      loaded=[("default", "adaption-prompt-all"), ("other", "adaption-prompt")])
_case("names--adaption-prompt-after-lora", "load an adaption prompt as 'other' after a LoRA 'default'", "llama-v128",
      "adaption-prompt", refs=APR, loaded=[("default", "lora-r4")])
_case("names--overwrite-default-adaption-prompt", "load_adapter adaption-prompt-all into the existing 'default' "
      "(adaption-prompt: one layer, 3 rows)", "llama-v128", "adaption-prompt-all", refs=APR, name="default",
      loaded=[("default", "adaption-prompt")])

# 9. shadow: a mirror backbone rebuilt from the loading base's config
SHR = ["peft tuners/shadow"]
_case("wider--shadow--llama-h32", "shadow (hidden 16) into the wider llama-h32: the blocks' shadow_* and the mirrored "
      "backbone are rebuilt at 32 (from_pretrained only)", "llama-h32", "shadow", refs=SHR, load_adapter=False)
_case("wider--shadow-h8--llama-h32", "shadow-h8 (backbone hidden 8) into the wider llama-h32: the backbone keeps width 8, "
      "the projection becomes Linear(8, 32) (from_pretrained only)", "llama-h32", "shadow-h8", refs=SHR, load_adapter=False)
_case("deeper--shadow--llama-l3", "shadow (blocks 0-1 of 2) into the three-layer llama-l3: block 2 is not targeted",
      "llama-l3", "shadow", refs=SHR, loaded=[("default", "shadow-l3")])
_case("shallower--shadow-l3--llama-v128", "shadow-l3 (blocks 0-2) into the two-layer llama-v128: block 2's keys have no "
      "module", "llama-v128", "shadow-l3", refs=SHR, loaded=[("default", "shadow")])
_case("shallower--shadow-l3-deep--llama-v128", "shadow-l3-deep (a three-layer backbone) into the two-layer llama-v128: "
      "PEFT builds three backbone layers from the two-layer config; block 2's keys have no module", "llama-v128",
      "shadow-l3-deep", refs=SHR, loaded=[("default", "shadow")])
_case("resized--shadow--llama-v140", "shadow into llama-v140 (vocab resized after training; the backbone shares the "
      "embeddings)", "llama-v140", "shadow", refs=SHR)
_case("resized--shadow-h8--llama-v140", "shadow-h8 into llama-v140: the backbone's own embed_tokens follows the base's "
      "vocab_size (140 rows, checkpoint 128; from_pretrained only)", "llama-v140", "shadow-h8", refs=SHR, load_adapter=False)
_case("cross-arch--shadow--gpt2-v128", "llama shadow into GPT-2: target_modules model.layers.0/1 match nothing "
      "(from_pretrained only)", "gpt2-v128", "shadow", refs=SHR, load_adapter=False)
_case("names--shadow-after-shadow-deep", "load shadow as 'other' after shadow-deep as 'default' (two backbones, "
      "layers.1 wrapped by both)", "llama-v128", "shadow", refs=SHR, loaded=[("default", "shadow-deep")])


# --------------------------------------------------------------------------------------------------
# Case runner (in a forked child)
# --------------------------------------------------------------------------------------------------


def state_dict_shapes(model) -> list:
    return [[k, list(v.shape), str(v.dtype)] for k, v in model.state_dict().items()]


def meta_keys(model) -> list:
    return [k for k, v in model.state_dict().items() if v.device.type == "meta"]


def loaded_from(model_sd: dict, ckpt: dict, keys=None) -> list:
    """[[model_key, [checkpoint keys whose tensor equals the model tensor exactly]]] for keys with a match."""
    by_shape = {}
    for ck, cv in ckpt.items():
        by_shape.setdefault(tuple(cv.shape), []).append((ck, cv))
    out = []
    for k, v in model_sd.items():
        if keys is not None and k not in keys:
            continue
        if v.device.type == "meta" or v.numel() == 0:
            continue
        matches = []
        for ck, cv in by_shape.get(tuple(v.shape), []):
            try:
                if torch.equal(cv.to(v.dtype), v.detach()):
                    matches.append(ck)
            except Exception:
                pass
        if matches:
            out.append([k, matches])
    return out


# Instrumentation (recording only, behaviour unchanged): copies of the torch result returned by
# set_peft_model_state_dict *before* load_adapter filters missing_keys in place, and of every load_adapter result
# (from_pretrained calls load_adapter internally and does not return it).
_RAW_RESULTS: list = []
_LOAD_ADAPTER_RESULTS: list = []


def _install_instrumentation():
    import peft.peft_model as pm

    orig_set = pm.set_peft_model_state_dict

    def set_peft_model_state_dict(*a, **k):
        r = orig_set(*a, **k)
        _RAW_RESULTS.append(OrderedDict(missing_keys=list(r.missing_keys), unexpected_keys=list(r.unexpected_keys)))
        return r

    pm.set_peft_model_state_dict = set_peft_model_state_dict
    orig_load = PeftModel.load_adapter

    def load_adapter(self, *a, **k):
        r = orig_load(self, *a, **k)
        _LOAD_ADAPTER_RESULTS.append(OrderedDict(missing_keys=list(r.missing_keys), unexpected_keys=list(r.unexpected_keys)))
        return r

    PeftModel.load_adapter = load_adapter


def _take(lst):
    out = list(lst)
    lst.clear()
    return out


def _kw(spec):
    kw = {}
    if spec["ignore_mismatched_sizes"]:
        kw["ignore_mismatched_sizes"] = True
    if spec["low_cpu_mem_usage"]:
        kw["low_cpu_mem_usage"] = True
    return kw


def run_case(cid: str) -> dict:
    spec = CASES[cid]
    adapter_dir = f"adapters/{spec['adapter']}"
    ckpt_path = f"{adapter_dir}/adapter_model.safetensors"
    ckpt = load_file(ckpt_path)
    with open(f"{adapter_dir}/adapter_config.json") as f:
        acfg = json.load(f)
    kw = _kw(spec)
    _install_instrumentation()

    # (1) PeftModel.from_pretrained
    base = load_base(spec["base"])
    snap = {k: v.detach().clone() for k, v in base.state_dict().items()}
    refs = dict(base.state_dict())
    model, err = None, None
    torch.manual_seed(0)
    _take(_RAW_RESULTS), _take(_LOAD_ADAPTER_RESULTS)
    with Capture() as cap:
        try:
            model = PeftModel.from_pretrained(base, adapter_dir, adapter_name=spec["fp_name"], **kw)
        except Exception as e:  # noqa: BLE001
            err = error_info(e)
    fp = OrderedDict(adapter_name=spec["fp_name"], error=err, warnings=cap.warnings, log=cap.log)
    fp["internal_load_adapter_result"] = (_take(_LOAD_ADAPTER_RESULTS) or [None])[-1]
    fp["raw_torch_result"] = (_take(_RAW_RESULTS) or [None])[-1]
    for k in ("peft_model_class", "adapters", "state_dict_shapes", "meta_keys", "base_weights_changed", "loaded_from"):
        fp[k] = None
    if model is not None:
        sd = model.state_dict()
        fp["peft_model_class"] = type(model).__name__
        fp["adapters"] = list(model.peft_config.keys())
        fp["state_dict_shapes"] = state_dict_shapes(model)
        fp["meta_keys"] = meta_keys(model)
        fp["base_weights_changed"] = [k for k in refs if refs[k].device.type != "meta" and not torch.equal(refs[k], snap[k])]
        fp["loaded_from"] = loaded_from(sd, ckpt)
    del model, base

    # (2) from_pretrained(first loaded) [+ load_adapter(others)] then load_adapter(case adapter)
    la = None
    if spec["load_adapter"]:
        base = load_base(spec["base"])
        setup_err, model = None, None
        torch.manual_seed(0)
        with Capture() as setup:
            try:
                (n0, a0), rest = spec["loaded"][0], spec["loaded"][1:]
                model = PeftModel.from_pretrained(base, f"adapters/{a0}", adapter_name=n0)
                for n1, a1 in rest:
                    model.load_adapter(f"adapters/{a1}", adapter_name=n1)
            except Exception as e:  # noqa: BLE001
                setup_err = error_info(e)
        la = OrderedDict(
            setup=OrderedDict(error=setup_err, warnings=setup.warnings, log=setup.log),
            missing_keys=None, unexpected_keys=None, result_type=None, raw_torch_result=None, error=None, warnings=[],
            log=[], adapters=None, state_dict_shapes=None, meta_keys=None, new_keys=None, changed_keys=None,
            loaded_from=None,
        )
        if model is not None:
            before = {k: v.detach().clone() for k, v in model.state_dict().items() if v.device.type != "meta"}
            res, err = None, None
            torch.manual_seed(0)
            _take(_RAW_RESULTS), _take(_LOAD_ADAPTER_RESULTS)
            with Capture() as cap:
                try:
                    res = model.load_adapter(adapter_dir, adapter_name=spec["name"], **kw)
                except Exception as e:  # noqa: BLE001
                    err = error_info(e)
            if res is not None:
                la["missing_keys"] = list(res.missing_keys)
                la["unexpected_keys"] = list(res.unexpected_keys)
                la["result_type"] = f"{type(res).__module__}.{type(res).__qualname__}"
            la["raw_torch_result"] = (_take(_RAW_RESULTS) or [None])[-1]
            la["error"] = err
            la["warnings"] = cap.warnings
            la["log"] = cap.log
            sd = model.state_dict()
            la["adapters"] = list(model.peft_config.keys())
            la["state_dict_shapes"] = state_dict_shapes(model)
            la["meta_keys"] = meta_keys(model)
            changed = [k for k, v in sd.items() if k in before and v.device.type != "meta" and
                       (v.shape != before[k].shape or not torch.equal(v, before[k]))]
            new = [k for k in sd if k not in before]
            la["new_keys"] = new
            la["changed_keys"] = changed
            la["loaded_from"] = loaded_from(sd, ckpt, keys=set(changed) | set(new))

    return OrderedDict(
        id=cid,
        description=spec["description"],
        refs=spec["refs"],
        base=f"bases/{spec['base']}",
        adapter=adapter_dir,
        adapter_peft_type=acfg.get("peft_type"),
        adapter_task_type=acfg.get("task_type"),
        checkpoint=checkpoint_listing(ckpt_path),
        load=OrderedDict(
            adapter_name=spec["name"],
            loaded=[OrderedDict(name=n, adapter=f"adapters/{a}") for n, a in spec["loaded"]] if spec["load_adapter"] else [],
            ignore_mismatched_sizes=spec["ignore_mismatched_sizes"],
            low_cpu_mem_usage=spec["low_cpu_mem_usage"],
        ),
        from_pretrained=fp,
        load_adapter=la,
    )


def _transformers_load(model, adapter_dir, name, kw, cap_results):
    """transformers' own `model.load_adapter(adapter_dir, adapter_name=name, **kw)`; returns the keys it names.

    transformers 5 returns a LoadStateDictInfo. 4.x returns None; its one warning names every unexpected key of
    PEFT's set_peft_model_state_dict and the missing keys containing `lora_` and the adapter name, recorded here
    from that function's result (transformers imports it from peft.utils inside load_adapter).
    """
    import contextlib
    import io

    import peft.utils as peft_utils

    original = peft_utils.set_peft_model_state_dict

    def wrapper(*a, **k):
        r = original(*a, **k)
        cap_results.append(r)
        return r

    peft_utils.set_peft_model_state_dict = wrapper
    try:
        # The report is coloured when sys.stdout is a terminal; record the plain text.
        with contextlib.redirect_stdout(io.StringIO()):
            res = model.load_adapter(adapter_dir, adapter_name=name, **kw)
    finally:
        peft_utils.set_peft_model_state_dict = original
    return _transformers_keys(res, cap_results[-1] if cap_results else None, name)


def _pointed_copy(adapter_dir, folder, base_model_name_or_path=None, drop=False):
    """A copy of `adapter_dir` at `folder` (weights linked) whose adapter_config.json names the base to build:
    `base_model_name_or_path` written as given, or the field removed (`drop`)."""
    os.makedirs(folder)
    for name in os.listdir(adapter_dir):
        if name != "adapter_config.json":
            os.symlink(os.path.abspath(os.path.join(adapter_dir, name)), os.path.join(folder, name))
    with open(os.path.join(adapter_dir, "adapter_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    if drop:
        config.pop("base_model_name_or_path", None)
    else:
        config["base_model_name_or_path"] = base_model_name_or_path
    with open(os.path.join(folder, "adapter_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    return folder


def _auto_class(base):
    return AutoModelForSeq2SeqLM if BASES[base]["auto"] == "seq2seq" else AutoModelForCausalLM


def _auto_from_pretrained(cls, folder, name, kw):
    """transformers' `Auto….from_pretrained(folder, adapter_name=name, **kw)` on an adapter folder: it builds the base
    the folder's adapter_config.json names and loads the adapter into it. It returns only the model: the keys are
    those of the `load_adapter` call it makes (5.x: that call's LoadStateDictInfo; 4.x: as `_transformers_load`)."""
    import contextlib
    import io

    import peft.utils as peft_utils
    from transformers.integrations.peft import PeftAdapterMixin

    infos, raws = [], []
    original_load, original_set = PeftAdapterMixin.load_adapter, peft_utils.set_peft_model_state_dict

    def load_adapter(self, *a, **k):
        r = original_load(self, *a, **k)
        infos.append(r)
        return r

    def set_state(*a, **k):
        r = original_set(*a, **k)
        raws.append(r)
        return r

    PeftAdapterMixin.load_adapter, peft_utils.set_peft_model_state_dict = load_adapter, set_state
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            cls.from_pretrained(folder, adapter_name=name, **kw)
    finally:
        PeftAdapterMixin.load_adapter, peft_utils.set_peft_model_state_dict = original_load, original_set
    return _transformers_keys(infos[-1] if infos else None, raws[-1] if raws else None, name)


def _transformers_keys(res, raw, name):
    """The keys transformers reports: 5.x's `LoadStateDictInfo` when it returned one, else 4.x's filter of the
    raw load result (unexpected keys, and missing keys holding `lora_` and the adapter name)."""
    if res is not None:
        return OrderedDict(
            missing_keys=sorted(res.missing_keys), unexpected_keys=sorted(res.unexpected_keys),
            mismatched_keys=sorted([k, list(a), list(b)] for k, a, b in res.mismatched_keys),
            result_type=f"{type(res).__module__}.{type(res).__qualname__}")
    missing = [k for k in (raw.missing_keys if raw is not None else []) if "lora_" in k and name in k]
    return OrderedDict(missing_keys=sorted(missing), unexpected_keys=sorted(raw.unexpected_keys if raw is not None else []),
                       mismatched_keys=None, result_type=None)


def _auto_attempt(cls, folder, name, kw):
    out = OrderedDict(path=folder, adapter_name=name, error=None, warnings=[], log=[], missing_keys=None,
                      unexpected_keys=None, mismatched_keys=None, result_type=None)
    torch.manual_seed(0)
    with Capture() as cap:
        try:
            out.update(_auto_from_pretrained(cls, folder, name, kw))
        except Exception as e:  # noqa: BLE001
            out["error"] = error_info(e)
    out["warnings"], out["log"] = cap.warnings, cap.log
    return out


# `base_model_name_or_path` values that do not name a local model folder (the Hub is unreachable: HF_HUB_OFFLINE=1).
BASE_RESOLUTION = (
    ("absent", dict(drop=True)),
    ("null", dict(base_model_name_or_path=None)),
    ("hub-id", dict(base_model_name_or_path="example-org/base-model-not-cached")),
    ("missing-folder", dict(base_model_name_or_path="bases/not-here")),
)


def run_base_resolution(_=None) -> dict:
    """`from_pretrained(adapter_folder)` when the folder's `base_model_name_or_path` names no local base."""
    attempts = []
    for label, how in BASE_RESOLUTION:
        folder = _pointed_copy("adapters/lora-r4", f"pointed/base-resolution/{label}", **how)
        attempt = _auto_attempt(AutoModelForCausalLM, folder, "default", {})
        attempts.append(OrderedDict(
            base_model_name_or_path="<absent>" if how.get("drop") else how["base_model_name_or_path"], **attempt))
    return OrderedDict(
        api="transformers AutoModelForCausalLM.from_pretrained(adapter_folder)", adapter="adapters/lora-r4",
        environment="HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1", attempts=attempts)


def run_case_transformers(cid: str) -> dict:
    """One case through transformers' PeftAdapterMixin.load_adapter (no PeftModel): (1) on a fresh base under the
    from_pretrained name; (2) after the `loaded` adapters, each loaded the same way; (3) `Auto….from_pretrained` on a
    copy of the adapter folder whose `base_model_name_or_path` names the case's base, under the (1) name — the other
    entry point, which builds that base itself and then calls `load_adapter` on it."""
    spec = CASES[cid]
    adapter_dir = f"adapters/{spec['adapter']}"
    kw = _kw(spec)
    if kw.get("ignore_mismatched_sizes") and int(transformers.__version__.split(".")[0]) < 5:
        kw = None  # 4.x's load_adapter has no such parameter: the case is not expressible

    def attempt(model, name):
        out = OrderedDict(adapter_name=name, error=None, warnings=[], log=[], missing_keys=None, unexpected_keys=None,
                          mismatched_keys=None, result_type=None)
        if kw is None:
            out["not_expressible"] = "transformers 4.x's load_adapter has no ignore_mismatched_sizes"
            return out
        torch.manual_seed(0)
        with Capture() as cap:
            try:
                out.update(_transformers_load(model, adapter_dir, name, kw, []))
            except Exception as e:  # noqa: BLE001
                out["error"] = error_info(e)
        out["warnings"], out["log"] = cap.warnings, cap.log
        return out

    fp = attempt(load_base(spec["base"]), spec["fp_name"])
    la = None
    if spec["load_adapter"]:
        base = load_base(spec["base"])
        torch.manual_seed(0)
        setup_err = None
        with Capture() as setup:
            try:
                for n, a in spec["loaded"]:
                    _transformers_load(base, f"adapters/{a}", n, {}, [])
            except Exception as e:  # noqa: BLE001
                setup_err = error_info(e)
        la = attempt(base, spec["name"]) if setup_err is None else OrderedDict(adapter_name=spec["name"])
        la["setup"] = OrderedDict(error=setup_err, warnings=setup.warnings, log=setup.log)
    folder = _pointed_copy(adapter_dir, f"pointed/{cid}", base_model_name_or_path=f"bases/{spec['base']}")
    auto = _auto_attempt(_auto_class(spec["base"]), folder, spec["fp_name"], _kw(spec))
    return OrderedDict(
        id=cid, api="transformers PeftAdapterMixin.load_adapter", base=f"bases/{spec['base']}", adapter=adapter_dir,
        load=OrderedDict(
            adapter_name=spec["name"],
            loaded=[OrderedDict(name=n, adapter=f"adapters/{a}") for n, a in spec["loaded"]] if spec["load_adapter"] else [],
            ignore_mismatched_sizes=spec["ignore_mismatched_sizes"], low_cpu_mem_usage=spec["low_cpu_mem_usage"]),
        from_pretrained=fp, load_adapter=la, auto_from_pretrained=auto)


# --------------------------------------------------------------------------------------------------
# Output formatting and orchestration
# --------------------------------------------------------------------------------------------------


def _is_scalar(x):
    return x is None or isinstance(x, (str, int, float, bool))


def dumps(obj, indent=0, step=1) -> str:
    """JSON with small lists (of scalars, or of small lists of scalars) kept on one line."""
    pad = " " * (indent + step)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent + step, step)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list):
        if not obj:
            return "[]"
        flat = all(_is_scalar(x) or (isinstance(x, list) and all(_is_scalar(y) or (isinstance(y, list) and all(map(_is_scalar, y))) for y in x)) for x in obj)
        one = json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
        if flat and all(_is_scalar(x) for x in obj) and len(one) <= 120:
            return one
        if flat:
            return "[\n" + ",\n".join(pad + json.dumps(x, ensure_ascii=False, separators=(", ", ": ")) for x in obj) + "\n" + " " * indent + "]"
        return "[\n" + ",\n".join(pad + dumps(x, indent + step, step) for x in obj) + "\n" + " " * indent + "]"
    return json.dumps(obj, ensure_ascii=False)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(obj) + "\n")


def _task(job):
    kind, name = job
    # BOFT tries to JIT-build a CUDA extension on every layer and warns with the error text; give every child an
    # empty private extensions dir so that text does not depend on earlier runs or on parallel children.
    ext_dir = tempfile.mkdtemp(prefix="adaptest-torch-ext-")
    os.environ["TORCH_EXTENSIONS_DIR"] = ext_dir
    SUBSTITUTIONS.insert(0, (ext_dir, "<torch_extensions_dir>"))
    try:
        if kind == "base":
            return build_base(name)
        if kind == "adapter":
            return build_adapter(name)
        if kind == "transformers-case":
            return run_case_transformers(name)
        if kind == "transformers-base-resolution":
            return run_base_resolution()
        return run_case(name)
    except Exception:  # noqa: BLE001
        return {"__crash__": scrub(traceback.format_exc())}
    finally:
        shutil.rmtree(ext_dir, ignore_errors=True)


def run_jobs(jobs, n):
    ctx = mp.get_context("fork")
    with ctx.Pool(processes=n, maxtasksperchild=1) as pool:
        results = pool.map(_task, jobs, chunksize=1)
    crashed = [(j, r["__crash__"]) for j, r in zip(jobs, results) if "__crash__" in r]
    for j, tb in crashed:
        print(f"CRASH in {j}:\n{tb}", file=sys.stderr)
    if crashed:
        raise SystemExit(f"{len(crashed)} job(s) crashed")
    return results


def adapter_manifest_entry(name, info):
    spec = ADAPTERS[name]
    e = OrderedDict(name=name, path=f"adapters/{name}", kind=spec["kind"], description=spec["description"])
    if spec["kind"] == "trained":
        e["trained_on"] = f"bases/{spec['base']}"
        if spec["resize_to"]:
            e["resized_before_training_to"] = spec["resize_to"]
        if spec["name_or_path"]:
            e["base_name_or_path_overridden_to"] = spec["name_or_path"]
        e["own_base"] = f"bases/{spec['own_base']}"
        e["tuner_config"] = OrderedDict(cls=spec["config_class"], kwargs=spec["config_kwargs"])
        e["save_pretrained_kwargs"] = spec["save_kwargs"]
        e["made_by"] = (f"torch.manual_seed(0); get_peft_model(base, config); add 0.01*N(0,1) (generator seed {spec['perturb_seed']}) to "
                        "every trainable float parameter; PeftModel.save_pretrained(path, **save_pretrained_kwargs)")
        e["peft_model_class"] = info["peft_model_class"]
        e["base_model_name_or_path"] = info["base_model_name_or_path"]
        e["base_model_name_or_path_rewritten"] = info["base_model_name_or_path_rewritten"]
        e["removed_files"] = info["removed_files"]
        e["create_warnings"] = info["create"]["warnings"]
        e["create_log"] = info["create"]["log"]
        e["save_warnings"] = info["save"]["warnings"]
        e["save_log"] = info["save"]["log"]
    else:
        e["mutated_from"] = f"adapters/{spec['source']}"
        e["mutation"] = ("copy the source folder; " +
                         ("rewrite adapter_model.safetensors with safetensors.torch.save_file(metadata={'format': 'pt'}); "
                          if spec["tensors_fn"] else "") +
                         ("edit adapter_config.json (json.dumps indent=2 sort_keys=True); " if spec["config_fn"] else "") +
                         spec["description"])
    e["files"] = info["files"]
    e["checkpoint"] = checkpoint_listing(f"adapters/{name}/adapter_model.safetensors")
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="fixture root (default: %(default)s)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--only", default=None, help="development: regex; only rerun matching cases, keep everything else")
    ap.add_argument("--replay-from", default=None, metavar="TREE",
                    help="load the bases and adapters of an existing tree (written by the current PEFT) with the "
                         "installed, older PEFT and record only versions.json and cases/ under --out")
    ap.add_argument("--strip-unknown-config-fields", action="store_true",
                    help="with --replay-from: load copies of the adapters whose adapter_config.json keeps only the fields "
                         "the installed PEFT's config class accepts (written under --out/adapters, configs only)")
    ap.add_argument("--transformers-api", action="store_true",
                    help="with --replay-from: load through transformers' own model.load_adapter (PeftAdapterMixin) "
                         "instead of PeftModel")
    args = ap.parse_args()
    if args.replay_from:
        return replay(args)

    t0 = time.time()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    site = str(Path(torch.__file__).resolve().parents[1])
    SUBSTITUTIONS[:] = [
        (str(out) + "/", ""),
        (str(out), "."),
        (str(REPO_ROOT), "<root>"),
        (site, "<site-packages>"),
        (sys.prefix, "<venv>"),
        (str(Path.home()), "<home>"),
    ]
    os.chdir(out)

    if args.only:
        sel = [c for c in CASES if re.search(args.only, c)]
        results = run_jobs([("case", c) for c in sel], args.jobs)
        for c, r in zip(sel, results):
            write_json(f"cases/{c}.json", r)
        print(f"{len(sel)} case(s) rewritten in {time.time() - t0:.1f}s")
        return

    for d in ("bases", "adapters", "cases"):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for f in ("manifest.json", "versions.json"):
        if os.path.exists(f):
            os.remove(f)

    versions = OrderedDict(peft=peft.__version__, transformers=transformers.__version__, torch=torch.__version__,
                           safetensors=safetensors.__version__)
    write_json("versions.json", versions)

    base_info = {}
    for phase in (False, True):  # originals first, then the resized ones that load them
        names = [b for b, s in BASES.items() if bool(s["resize_from"]) == phase]
        base_info.update(zip(names, run_jobs([("base", b) for b in names], args.jobs)))
    t_bases = time.time()
    adapter_info = {}
    for kind in ("trained", "mutated"):
        names = [a for a, s in ADAPTERS.items() if s["kind"] == kind]
        adapter_info.update(zip(names, run_jobs([("adapter", a) for a in names], args.jobs)))
    t_adapters = time.time()
    case_ids = list(CASES)
    case_results = run_jobs([("case", c) for c in case_ids], args.jobs)
    for c, r in zip(case_ids, case_results):
        write_json(f"cases/{c}.json", r)
    t_cases = time.time()

    manifest = OrderedDict(
        generator=GENERATOR,
        versions=versions,
        conventions=OrderedDict(
            paths="every path is relative to this folder (the fixture root); the generator chdirs here, so PEFT itself saw "
                  "'bases/<name>' and 'adapters/<name>'",
            hash_seed="PYTHONHASHSEED=0: PEFT stores target_modules as a set, so their order in adapter_config.json and in "
                      "messages that print sets follows string hashing with seed 0",
            isolation="each base, adapter and case ran in a freshly forked child of one interpreter that had only imported "
                      "torch/transformers/peft (so warn-once caches start empty for every case)",
            bases="model.save_pretrained(bases/<name>) (transformers 5 always writes safetensors; it also writes "
                  "generation_config.json); resized bases: AutoModel.from_pretrained(source), torch.manual_seed(0), "
                  "resize_token_embeddings(n)",
            case_from_pretrained="(1) base = Auto*.from_pretrained(bases/<b>); PeftModel.from_pretrained(base, adapter, "
                                 "adapter_name=from_pretrained.adapter_name, **kw) where kw holds ignore_mismatched_sizes=True "
                                 "/ low_cpu_mem_usage=True only when the case sets them (otherwise the kwarg is not passed)",
            case_load_adapter="(2) base rebuilt; model = PeftModel.from_pretrained(base, loaded[0].adapter, "
                              "adapter_name=loaded[0].name); model.load_adapter(x.adapter, adapter_name=x.name) for the other "
                              "loaded entries (recorded under load_adapter.setup); then "
                              "load_result = model.load_adapter(adapter, adapter_name=load.adapter_name, **kw)",
            names="from_pretrained.adapter_name is the name used in (1); load.adapter_name the name used in (2). They differ "
                  "in most cases: (1) loads as 'default', (2) loads a second adapter 'other' next to 'default'",
            warnings="warnings.catch_warnings(record=True) + simplefilter('always'): category class name, str(message), "
                     "source file relative to site-packages",
            log="logging records >= WARNING reaching the root logger or the non-propagating 'transformers' logger",
            error="type name, module, base classes (excluding BaseException/Exception/object), str(exception), and the "
                  "peft/transformers/torch frames (file:qualname, innermost last)",
            state_dict_shapes="[[key, shape, str(dtype)]] of model.state_dict() in its order, after loading",
            checkpoint="[[key, shape, safetensors dtype]] in the order of the adapter_model.safetensors header",
            loaded_from="[[model state-dict key, [checkpoint keys whose tensor is exactly equal (after casting to the "
                        "model dtype)]]]: only keys with a match; for load_adapter only keys that are new or changed by "
                        "the load_adapter call. Every trained adapter was perturbed so its tensors are unique",
            base_weights_changed="(1) base state-dict keys whose tensor value differs after from_pretrained (same tensor "
                                 "objects compared with a snapshot taken before). Not reliable with low_cpu_mem_usage "
                                 "(assign=True replaces tensors)",
            changed_keys="(2) model state-dict keys that existed before load_adapter and whose value changed",
            raw_torch_result="missing_keys/unexpected_keys of the torch _IncompatibleKeys returned by "
                             "set_peft_model_state_dict, copied before PeftModel.load_adapter filters missing_keys in place "
                             "(null when the load raised before that point). Recorded by wrapping the function; behaviour "
                             "is unchanged",
            internal_load_adapter_result="(1) the (filtered) result of the load_adapter call made inside from_pretrained, "
                                         "before from_pretrained drops shared parameters and warns",
            new_keys="(2) model state-dict keys that did not exist before load_adapter",
            meta_keys="state-dict keys left on the meta device",
        ),
        substitutions=SUBSTITUTION_DOC,
        environment_dependent_messages=[
            "BOFT warns 'Failed to load the CUDA extension: …' once per BOFT layer. The text depends on the machine (here: "
            "ninja not installed, so the first attempt in a process says 'Ninja is required…' and later ones "
            "'<torch_extensions_dir>/fbd_cuda/fbd_cuda.so: cannot open shared object file…'); every child gets an empty "
            "private TORCH_EXTENSIONS_DIR so the text is reproducible",
        ],
        bases=[OrderedDict(name=b, path=f"bases/{b}", description=s["description"], model_class=base_info[b]["model_class"],
                           files=base_info[b]["files"], build_warnings=base_info[b]["warnings"], build_log=base_info[b]["log"])
               for b, s in BASES.items()],
        not_built=[
            "llama-flora (a base with a module literally named like 'flora_head', peft-semantics §6.21): stock transformers "
            "models cannot rename modules through their config, so it is not possible without a custom nn.Module; skipped",
        ],
        adapters=[adapter_manifest_entry(a, adapter_info[a]) for a in ADAPTERS],
        cases=[OrderedDict(id=c, file=f"cases/{c}.json", description=CASES[c]["description"]) for c in case_ids],
    )
    write_json("manifest.json", manifest)

    # guard: no absolute path of this machine in any JSON we wrote
    bad = []
    for p in Path(".").rglob("*.json"):
        text = p.read_text(encoding="utf-8")
        for needle in (str(REPO_ROOT), str(out), str(Path.home()), sys.prefix):
            if needle and needle in text:
                bad.append((str(p), needle))
    if bad:
        raise SystemExit(f"absolute paths leaked into: {bad}")

    total = sum(p.stat().st_size for p in Path(".").rglob("*") if p.is_file())
    print(f"{len(BASES)} bases, {len(ADAPTERS)} adapters, {len(CASES)} cases, {total / 1e6:.2f} MB; "
          f"bases {t_bases - t0:.1f}s, adapters {t_adapters - t_bases:.1f}s, cases {t_cases - t_adapters:.1f}s, "
          f"total {time.time() - t0:.1f}s")


def replay(args):
    """Every case of an existing tree, loaded by the installed PEFT (an older release)."""
    t0 = time.time()
    source = Path(args.replay_from).resolve()
    out = Path(args.out).resolve()
    if out == source:
        raise SystemExit("--out must differ from --replay-from")
    site = str(Path(torch.__file__).resolve().parents[1])
    scratch = Path(tempfile.mkdtemp(prefix="adaptest-replay-"))
    SUBSTITUTIONS[:] = [
        (str(scratch) + "/", ""), (str(scratch), "."), (str(source) + "/", ""), (str(source), "."),
        (str(out), "<out>"), (str(REPO_ROOT), "<root>"), (site, "<site-packages>"), (sys.prefix, "<venv>"),
        (str(Path.home()), "<home>"),
    ]
    for d in ("cases", "adapters"):
        shutil.rmtree(out / d, ignore_errors=True)
    (out / "cases").mkdir(parents=True)
    os.symlink(source / "bases", scratch / "bases")
    if args.strip_unknown_config_fields:
        sys.path.insert(0, str(REPO_ROOT / "Drivers" / "peft"))
        from config_strip import accepted_fields, config_class_for

        (scratch / "adapters").mkdir()
        for folder in sorted((source / "adapters").iterdir()):
            copy_dir = scratch / "adapters" / folder.name
            copy_dir.mkdir()
            for f in folder.iterdir():
                os.symlink(f, copy_dir / f.name)
            config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
            cls = config_class_for(config.get("peft_type"))
            if cls is None:
                continue
            known = accepted_fields(cls)
            kept = {k: v for k, v in config.items() if k in known}
            if kept == config:
                continue
            (copy_dir / "adapter_config.json").unlink()
            text = json.dumps(kept, indent=2, sort_keys=True) + "\n"
            (copy_dir / "adapter_config.json").write_text(text, encoding="utf-8")
            (out / "adapters" / folder.name).mkdir(parents=True)
            (out / "adapters" / folder.name / "adapter_config.json").write_text(text, encoding="utf-8")
    else:
        os.symlink(source / "adapters", scratch / "adapters")
    os.chdir(scratch)
    versions = OrderedDict(peft=peft.__version__, transformers=transformers.__version__, torch=torch.__version__,
                           safetensors=safetensors.__version__, replayed_from=GENERATOR + " tree of PEFT " +
                           json.loads((source / "versions.json").read_text())["peft"],
                           stripped_unknown_config_fields=bool(args.strip_unknown_config_fields))
    if args.transformers_api:
        versions["api"] = "transformers PeftAdapterMixin.load_adapter"
    write_json(str(out / "versions.json"), versions)
    case_ids = [c["id"] for c in json.loads((source / "manifest.json").read_text())["cases"]]
    if args.only:
        case_ids = [c for c in case_ids if re.search(args.only, c)]
    kind = "transformers-case" if args.transformers_api else "case"
    jobs = [(kind, c) for c in case_ids]
    if args.transformers_api and not args.only:
        jobs.append(("transformers-base-resolution", ""))
    results = run_jobs(jobs, args.jobs)
    for c, r in zip(case_ids, results):
        write_json(str(out / "cases" / f"{c}.json"), r)
    if len(results) > len(case_ids):
        write_json(str(out / "base-resolution.json"), results[-1])
    shutil.rmtree(scratch)
    bad = [str(p) for p in out.rglob("*.json") if str(Path.home()) in p.read_text(encoding="utf-8")]
    if bad:
        raise SystemExit(f"absolute paths leaked into: {bad}")
    api = f" through transformers {transformers.__version__}'s load_adapter" if args.transformers_api else ""
    print(f"{len(case_ids)} cases replayed with PEFT {peft.__version__}{api} in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
