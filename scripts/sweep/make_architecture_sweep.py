#!/usr/bin/env python3
"""Builds the architecture sweep: for every model type transformers registers a causal-LM, seq2seq-LM or
sequence-classification class for, a tiny model saved by transformers itself, and adapters made and saved by
PEFT itself on it, one folder per scenario, plus `manifest.json` describing each case and what a correct
loader reports (derived from how the pair was made, never from a loader's output).

Nothing here is Adaptest's engine: bases come from `save_pretrained` of real transformers classes, adapters from
`get_peft_model(...).save_pretrained`. `adaptest run --sweep DIR` then runs the cases through the built-in
profiles and real PEFT (the driver), and `adaptest report agreement` / `report architectures` compare them.

Scenarios (each a separate case):
  lora-all-linear        LoRA on `all-linear`, loaded into the base it was trained on: clean
  vocab-resized          the same adapter, the base's vocabulary grown after training: clean
  embeddings-resized     LoRA trained after `resize_token_embeddings(+32)`, embeddings saved, loaded into the
                         unresized base: size-mismatch error
  modules-to-save-head   LoRA + `modules_to_save` on the head (lm_head, score, classifier): clean
  second-adapter         a second LoRA loaded with `load_adapter` under another name: clean
  ia3-all-linear         IA3 on `all-linear` (no feed-forward modules): clean

Usage: $ADAPTEST_PYTHON scripts/sweep/make_architecture_sweep.py OUT [--scenarios a,b] [--types a,b]
           [--tasks causal-lm,seq2seq-lm,sequence-classification] [--jobs N]
Deterministic: the same versions and arguments write the same bytes.
"""
import argparse
import json
import multiprocessing
import os
import shutil
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
warnings.simplefilter("ignore")

TASKS = {
    "causal-lm": ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "CAUSAL_LM"),
    "seq2seq-lm": ("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES", "SEQ_2_SEQ_LM"),
    "sequence-classification": ("MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES", "SEQ_CLS"),
}
SCENARIOS = ["lora-all-linear", "vocab-resized", "embeddings-resized", "modules-to-save-head", "second-adapter",
             "ia3-all-linear"]
VOCAB = 256
GROWTH = 32

# Tiny sizes, by the config's own field names (canonical or family-specific; only fields the config has are set).
TINY = {
    "vocab_size": VOCAB, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "max_position_embeddings": 128,
    "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": 64, "n_positions": 128, "n_ctx": 128,
    "d_model": 32, "d_ff": 64, "d_kv": 8, "num_layers": 2, "num_decoder_layers": 2, "num_heads": 4,
    "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 4, "decoder_attention_heads": 4,
    "encoder_ffn_dim": 64, "decoder_ffn_dim": 64, "ffn_dim": 64, "ffn_hidden_size": 64,
    "moe_intermediate_size": 16, "shared_expert_intermediate_size": 16, "num_experts": 4, "num_local_experts": 4,
    "n_routed_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1, "first_k_dense_replace": 1,
    "kv_lora_rank": 16, "q_lora_rank": 16, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 8,
    "embedding_size": 32, "rotary_dim": 8, "partial_rotary_factor": 0.5, "num_labels": 2,
    "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 8, "linear_value_head_dim": 8,
    "sliding_window": 64, "attention_window": 16,
}


def class_names(mapping):
    from transformers.models.auto import modeling_auto

    table = getattr(modeling_auto, mapping, {})
    return {t: (n[0] if isinstance(n, (list, tuple)) else n) for t, n in table.items()}


MAX_PARAMETERS = 5_000_000
# The fields that set a depth; `layers` replaces their tiny value (another recorder builds deeper bases).
DEPTH_FIELDS = ("num_hidden_layers", "n_layer", "num_layers", "num_decoder_layers", "encoder_layers",
                "decoder_layers")


def shrink(config, layers=2):
    """Sets the tiny sizes on a config and on every sub-config it holds (text, vision, audio, …), `layers`
    layers deep."""
    from transformers import PretrainedConfig

    for name in list(vars(config)):
        value = getattr(config, name, None)
        if isinstance(value, PretrainedConfig):
            shrink(value, layers)
    sizes = dict(TINY, **{key: layers for key in DEPTH_FIELDS})
    for key, value in sizes.items():
        if hasattr(config, key) and not isinstance(getattr(config, key), (dict, list)):
            current = getattr(config, key)
            if current is None and key not in ("head_dim",):
                continue
            try:
                setattr(config, key, value)
            except Exception:  # noqa: BLE001 - read-only or validated fields keep their default
                pass
    for key in ("layer_types", "mlp_layer_types", "layers_block_type"):
        value = getattr(config, key, None)
        if isinstance(value, list) and value:
            depth = getattr(config, "num_hidden_layers", None) or layers
            setattr(config, key, (value * depth)[:depth])
    return config


def tiny_config(model_type, layers=2):
    from transformers import AutoConfig

    config = shrink(AutoConfig.for_model(model_type), layers)
    config.pad_token_id = getattr(config, "pad_token_id", None) if (getattr(config, "pad_token_id", None) or 0) < VOCAB else 0
    for key in ("bos_token_id", "eos_token_id", "decoder_start_token_id"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value >= VOCAB:
            setattr(config, key, 1)
    return config


def head_name(model):
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    for name, module in model.named_children():
        if module is output:
            return name
    for name in ("score", "classifier", "lm_head", "qa_outputs"):
        if hasattr(model, name):
            return name
    return None


def check_tiny(cls, config):
    """Sizes first, on the meta device: a class whose size the common fields do not reach is not built."""
    import torch

    with torch.device("meta"):
        count = sum(p.numel() for p in cls(config).parameters())
    if count > MAX_PARAMETERS:
        raise ValueError(f"cannot be made tiny with the common size fields ({count:,} parameters)")


def save_base(cls, config, folder, seed):
    import torch

    check_tiny(cls, config)
    torch.manual_seed(seed)
    model = cls(config)
    model.eval()
    model.save_pretrained(folder, safe_serialization=True)
    return model


def peft_adapter(base_folder, cls, task, config_kwargs, tuner, folder, seed, resize_to=None, save_embeddings=False):
    import torch
    from peft import IA3Config, LoraConfig, get_peft_model

    torch.manual_seed(seed)
    model = cls.from_pretrained(base_folder, local_files_only=True)
    if resize_to:
        model.resize_token_embeddings(resize_to)
    config_cls = LoraConfig if tuner == "LORA" else IA3Config
    peft_model = get_peft_model(model, config_cls(task_type=task, **config_kwargs))
    if tuner == "LORA":
        # Non-zero lora_B so the adapter is not a no-op (PEFT initializes it to zero).
        with torch.no_grad():
            for name, param in peft_model.named_parameters():
                if "lora_B" in name:
                    param.normal_(0, 0.02)
    kwargs = {"save_embedding_layers": True} if save_embeddings else {}
    peft_model.save_pretrained(folder, **kwargs)
    config_path = os.path.join(folder, "adapter_config.json")
    with open(config_path) as fh:
        saved = json.load(fh)
    # The adapter names its base by path; keep it relative to the sweep, as users' configs name a repo id.
    saved["base_model_name_or_path"] = "base"
    with open(config_path, "w") as fh:
        json.dump(saved, fh, indent=2, sort_keys=True)
        fh.write("\n")


def build(job):
    model_type, class_name, task, out, scenarios = job
    import transformers

    peft_task = TASKS[task][1]
    cls = getattr(transformers, class_name, None)
    root = os.path.join(out, model_type, task)
    entries, skipped = [], []
    if cls is None:
        return entries, [{"model_type": model_type, "class": class_name, "task": task,
                          "reason": "not importable (optional dependency missing)"}]
    seed = sum(map(ord, f"{model_type}/{class_name}")) % (2**31)
    try:
        config = tiny_config(model_type)
        if task == "sequence-classification" and getattr(config, "pad_token_id", None) is None:
            config.pad_token_id = 0
        shutil.rmtree(root, ignore_errors=True)
        base = os.path.join(root, "base")
        model = save_base(cls, config, base, seed)
        head = head_name(model)
        vocab = model.get_input_embeddings().weight.shape[0]
    except BaseException as error:  # noqa: BLE001 - a class that cannot be made tiny is recorded with the reason
        if isinstance(error, KeyboardInterrupt):
            raise
        shutil.rmtree(root, ignore_errors=True)
        message = " ".join(str(error).split())
        return entries, [{"model_type": model_type, "class": class_name, "task": task,
                          "reason": f"{type(error).__name__}: {message}"[:300]}]

    def case(scenario, expect, description, adapter="adapter", base_folder="base", loaded=None, method=None,
             adapter_name="default"):
        entry = {"id": f"architectures/{model_type}/{task}/{scenario}", "model_type": model_type,
                 "class": class_name, "task": task, "scenario": scenario,
                 "base": os.path.join(model_type, task, base_folder),
                 "adapter": os.path.join(model_type, task, scenario, adapter),
                 "adapter_name": adapter_name, "description": description, "expect": expect}
        if loaded:
            entry["loaded"] = [{"name": n, "path": os.path.join(model_type, task, scenario, p)} for n, p in loaded]
        if method:
            entry["method"] = method
        return entry

    clean = {"missing_keys": [], "unexpected_keys": [], "error": None}
    lora = {"r": 4, "lora_alpha": 8, "target_modules": "all-linear"}
    for scenario in scenarios:
        folder = os.path.join(root, scenario)
        try:
            if scenario == "lora-all-linear":
                peft_adapter(base, cls, peft_task, lora, "LORA", os.path.join(folder, "adapter"), seed)
                entries.append(case(scenario, clean, "LoRA on all-linear, loaded into the base it was trained on"))
            elif scenario == "vocab-resized":
                peft_adapter(base, cls, peft_task, lora, "LORA", os.path.join(folder, "adapter"), seed)
                grown = os.path.join(folder, "base")
                resized = cls.from_pretrained(base, local_files_only=True)
                resized.resize_token_embeddings(vocab + GROWTH)
                resized.save_pretrained(grown, safe_serialization=True)
                # Some classes save a resized model transformers cannot load back (a bias or a second
                # vocabulary left at the old size): that is no base a user could load an adapter into.
                cls.from_pretrained(grown, local_files_only=True)
                entries.append(case(scenario, clean, f"the base's vocabulary grown from {vocab} to {vocab + GROWTH} "
                                    "after training; the adapter does not reach the embeddings",
                                    base_folder=os.path.join(scenario, "base")))
            elif scenario == "embeddings-resized":
                peft_adapter(base, cls, peft_task, lora, "LORA", os.path.join(folder, "adapter"), seed,
                             resize_to=vocab + GROWTH, save_embeddings=True)
                entries.append(case(scenario, {"error": {"kind": "size-mismatch"}},
                                    f"trained after resize_token_embeddings({vocab + GROWTH}) with the embeddings saved, "
                                    f"loaded into the {vocab}-token base: the saved embeddings do not fit"))
            elif scenario == "modules-to-save-head":
                if head is None:
                    raise ValueError("the class has no head module")
                peft_adapter(base, cls, peft_task, dict(lora, modules_to_save=[head]), "LORA",
                             os.path.join(folder, "adapter"), seed)
                entries.append(case(scenario, clean, f"LoRA on all-linear with modules_to_save=['{head}']"))
            elif scenario == "second-adapter":
                peft_adapter(base, cls, peft_task, lora, "LORA", os.path.join(folder, "first"), seed)
                peft_adapter(base, cls, peft_task, dict(lora, r=2), "LORA", os.path.join(folder, "adapter"), seed + 1)
                entries.append(case(scenario, clean, "a second LoRA (r=2) loaded with load_adapter as 'second' "
                                    "into the model holding the first as 'default'", loaded=[("default", "first")],
                                    method="load_adapter", adapter_name="second"))
            elif scenario == "ia3-all-linear":
                peft_adapter(base, cls, peft_task, {"target_modules": "all-linear", "feedforward_modules": []},
                             "IA3", os.path.join(folder, "adapter"), seed)
                entries.append(case(scenario, clean, "IA3 on all-linear, no feed-forward modules"))
        except BaseException as error:  # noqa: BLE001 - PEFT refusing to make the adapter is recorded
            if isinstance(error, KeyboardInterrupt):
                raise
            shutil.rmtree(folder, ignore_errors=True)
            message = " ".join(str(error).split())
            skipped.append({"model_type": model_type, "class": class_name, "task": task, "scenario": scenario,
                            "reason": f"{type(error).__name__}: {message}"[:300]})
    return entries, skipped


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--types", default="")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    import peft
    import torch
    import transformers

    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; known: {SCENARIOS}")
    wanted = {t for t in args.types.split(",") if t}
    jobs = []
    for task in [t for t in args.tasks.split(",") if t]:
        for model_type, class_name in sorted(class_names(TASKS[task][0]).items()):
            if not wanted or model_type in wanted:
                jobs.append((model_type, class_name, task, args.out, scenarios))
    os.makedirs(args.out, exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.jobs, maxtasksperchild=50) as pool:
        results = pool.map(build, jobs, chunksize=1)
    entries = sorted((e for r in results for e in r[0]), key=lambda e: e["id"])
    skipped = sorted((s for r in results for s in r[1]),
                     key=lambda s: (s["model_type"], s["task"], s.get("scenario", "")))
    manifest = {"versions": {"transformers": transformers.__version__, "peft": peft.__version__,
                             "torch": torch.__version__},
                "scenarios": scenarios, "cases": entries, "skipped": skipped}
    with open(os.path.join(args.out, "manifest.json.tmp"), "w") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(os.path.join(args.out, "manifest.json.tmp"), os.path.join(args.out, "manifest.json"))
    types = {e["model_type"] for e in entries}
    print(f"{len(entries)} cases over {len(types)} model types ({len(skipped)} skipped) -> {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
