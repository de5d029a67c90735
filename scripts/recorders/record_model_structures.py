#!/usr/bin/env python3
"""Records what a loader needs to know about every model type transformers registers, from transformers itself.

For every model type of transformers' auto mappings (the bare model and each text/vision task class it maps the
type to), the class is instantiated from its default config on the `meta` device (no memory, any size) and these
facts are recorded, one JSON object per model type and line:

- per class: `base_model_prefix` and whether the class holds the backbone under it, the tasks it serves,
  `can_generate()`, the input/output embedding module paths, `_tied_weights_keys` expanded as transformers
  expands them when `tie_word_embeddings` is on, `_keys_to_ignore_on_load_unexpected/missing`;
- per module that owns a state-dict tensor (paths with layer indices collapsed to `*`): its kind as PEFT's layer
  dispatch sees it (`linear`, `conv1d` for transformers' `Conv1D`, `embedding`, `conv`, `layernorm`, or empty),
  its class, its own tensors in registration order (non-persistent buffers prefixed with `-`), and the
  registration order of its children (merged over every instance of the pattern);
- per model type: `tie_word_embeddings` of the default config, and the checkpoint conversion mapping
  (`conversion_mapping.get_checkpoint_conversion_mapping`) that transformers 5 applies on load and PEFT 0.21
  applies to LoRA checkpoints;
- classes that cannot be built from their default config, with the reason;
- in the header line: PEFT's per-model-type defaults (each method's default target modules, IA3's feed-forward
  modules, the prefix-tuning postprocess types), from the PEFT installed beside transformers.

Head classes whose backbone is exactly the bare model's tree reference it (`"backbone": "<BareClass>"`) instead
of repeating it.

Usage (offline, with the driver's venv):
    $ADAPTEST_PYTHON scripts/recorders/record_model_structures.py OUT.jsonl [--jobs N] [--types a,b,...]
The Swift table `Sources/AdapterLoading/Model/Structures/ModelStructureData.swift` is made from OUT.jsonl by
`scripts/recorders/embed_model_structures.py`; `scripts/recorders/update_model_structures.sh` runs both.
"""
import argparse
import json
import multiprocessing
import os
import re
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
warnings.simplefilter("ignore")

# The task mappings recorded, by the short name Adaptest uses for a task.
TASKS = {
    "base": "MODEL_MAPPING_NAMES",
    "causal-lm": "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
    "seq2seq-lm": "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",
    "sequence-classification": "MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",
    "token-classification": "MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES",
    "question-answering": "MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES",
    "masked-lm": "MODEL_FOR_MASKED_LM_MAPPING_NAMES",
    "image-classification": "MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES",
}
INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


def pattern(path):
    """`model.layers.12.mlp` → `model.layers.*.mlp`."""
    return INDEX.sub("*", path)


def class_names(mapping):
    from transformers.models.auto import modeling_auto

    table = getattr(modeling_auto, mapping, {})
    out = {}
    for model_type, names in table.items():
        if isinstance(names, (list, tuple)):
            names = names[0]
        out[model_type] = names
    return out


def model_class(name):
    import transformers

    return getattr(transformers, name, None)


def kind_of(module):
    import torch
    from transformers.pytorch_utils import Conv1D

    if isinstance(module, Conv1D):
        return "conv1d"
    if isinstance(module, torch.nn.Linear):
        return "linear"
    if isinstance(module, torch.nn.Embedding):
        return "embedding"
    if isinstance(module, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
        return "conv"
    if isinstance(module, torch.nn.LayerNorm):
        return "layernorm"
    return ""


def class_path(module, model_type_module):
    cls = type(module)
    full = f"{cls.__module__}.{cls.__qualname__}"
    if full.startswith("torch.nn.modules."):
        return "nn." + cls.__qualname__
    if model_type_module and cls.__module__ == model_type_module:
        return "~" + cls.__qualname__
    return full


def merge_orders(sequences):
    """One order consistent with every sequence where they agree (first appearance breaks ties)."""
    first = {}
    after = {}
    for seq in sequences:
        for i, name in enumerate(seq):
            first.setdefault(name, len(first))
            after.setdefault(name, set())
            if i > 0:
                after[name].add(seq[i - 1])
    done, out = set(), []
    remaining = sorted(first, key=first.get)
    while remaining:
        for name in remaining:
            if after[name] <= done or all(p in done or p == name for p in after[name]):
                break
        else:  # contradictory orders across instances: keep first appearance
            name = remaining[0]
        out.append(name)
        done.add(name)
        remaining.remove(name)
    return out


def describe_modules(model):
    """Module records for every module on the way to a state-dict tensor, in pre-order of patterns."""
    state = model.state_dict()
    persistent = set(state)
    model_type_module = type(model).__module__
    records = {}
    order = []
    children_seen = {}
    for path, module in model.named_modules(remove_duplicate=False):
        pat = pattern(path)
        own = []
        for name, _ in module.named_parameters(recurse=False):
            full = f"{path}.{name}" if path else name
            if full in persistent:
                own.append(name)
        for name, _ in module.named_buffers(recurse=False):
            full = f"{path}.{name}" if path else name
            own.append(name if full in persistent else "-" + name)
        kids = [n for n, _ in module.named_children()]
        if pat not in records:
            records[pat] = {"kind": kind_of(module), "class": class_path(module, model_type_module), "tensors": own}
            order.append(pat)
        else:
            merged = merge_orders([records[pat]["tensors"], own])
            records[pat]["tensors"] = merged
        children_seen.setdefault(pat, []).append(kids)
    # Keep only modules that own or lead to a state-dict tensor.
    holding = set()
    buffers = {name for name, _ in model.named_buffers(remove_duplicate=False)}
    for key in persistent | buffers:
        parts = key.split(".")[:-1]
        for i in range(len(parts) + 1):
            holding.add(pattern(".".join(parts[:i])))
    out = []
    for pat in order:
        if pat not in holding:
            continue
        rec = records[pat]
        # Children of a ModuleList are its indices: one `*` stands for all of them.
        kids = merge_orders([list(dict.fromkeys(pattern(k) for k in seq)) for seq in children_seen[pat]])
        prefix = pat + "." if pat else ""
        kids = [k for k in kids if pattern(prefix + k) in holding]
        entry = [pat, rec["kind"], rec["class"], rec["tensors"], kids]
        out.append(entry)
    return out


def module_path(model, target):
    if target is None:
        return None
    for name, module in model.named_modules():
        if module is target:
            return name
    return None


def describe_transforms(mapping):
    out = []
    for t in mapping:
        entry = {"op": type(t).__name__}
        for attr in ("prefix_to_add", "prefix_to_remove", "model_prefix"):
            if getattr(t, attr, None) is not None:
                entry[attr] = getattr(t, attr)
        entry["source"] = list(getattr(t, "_original_source_patterns", t.source_patterns))
        entry["target"] = list(getattr(t, "_original_target_patterns", t.target_patterns))
        if getattr(t, "scope_prefix", None) is not None:
            entry["scope"] = t.scope_prefix
        # The regex transformers compiles and the replacement it substitutes, exactly as it applies them.
        compiled = getattr(t, "compiled_sources", None)
        if compiled is not None:
            entry["regex"] = compiled.pattern
            entry["groups"] = dict(compiled.groupindex)
            entry["replacement"] = t.target_patterns[0]
        ops = getattr(t, "operations", None)
        if ops:
            entry["operations"] = [type(o).__name__ for o in ops]
        out.append(entry)
    return out


def conversion_registered(model_type):
    from transformers.conversion_mapping import get_checkpoint_conversion_mapping

    return get_checkpoint_conversion_mapping(model_type) is not None


def legacy_transforms():
    from transformers.conversion_mapping import get_checkpoint_conversion_mapping

    return describe_transforms(get_checkpoint_conversion_mapping("legacy") or [])


def peft_defaults():
    """PEFT's per-model-type defaults, by PEFT method: the target modules each tuner's
    `target_module_mapping` gives, IA3's feed-forward modules, and the prefix-tuning postprocess types."""
    import peft
    from peft.mapping import PEFT_TYPE_TO_TUNER_MAPPING
    from peft.utils import constants

    # IA3 and LN tuning read their constants in `_prepare_adapter_config` instead of a class attribute.
    by_constant = {"IA3": constants.TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING,
                   "LN_TUNING": constants.TRANSFORMERS_MODELS_TO_LNTUNING_TARGET_MODULES_MAPPING}
    targets = {}
    for peft_type, cls in PEFT_TYPE_TO_TUNER_MAPPING.items():
        name = getattr(peft_type, "value", str(peft_type))
        mapping = getattr(cls, "target_module_mapping", None) or by_constant.get(name)
        if mapping:
            targets[name] = {k: list(v) for k, v in sorted(mapping.items())}
    return {
        "version": peft.__version__,
        "target_modules": targets,
        "ia3_feedforward": {k: list(v) for k, v in sorted(constants.TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING.items())},
        "prefix_tuning_postprocess": sorted(constants.TRANSFORMERS_MODELS_TO_PREFIX_TUNING_POSTPROCESS_MAPPING),
    }


def record_class(cls, config, tasks):
    import torch

    with torch.device("meta"):
        model = cls(config)
    model.eval()
    prefix = getattr(cls, "base_model_prefix", "") or ""
    names = dict(model.named_children())
    rec = {
        "tasks": tasks,
        "prefix": prefix,
        "backbone_attr": bool(prefix) and prefix in names,
        "generate": bool(model.can_generate()),
        # PeftModelForCausalLM/Seq2SeqLM read this attribute: a class without it makes them raise AttributeError.
        "prepare_inputs": hasattr(model, "prepare_inputs_for_generation"),
        "module": cls.__module__,
    }
    try:
        rec["input"] = module_path(model, model.get_input_embeddings())
    except Exception:  # noqa: BLE001 - classes without input embeddings raise NotImplementedError and others
        rec["input"] = None
    try:
        rec["output"] = module_path(model, model.get_output_embeddings())
    except Exception:  # noqa: BLE001
        rec["output"] = None
    tied = getattr(cls, "_tied_weights_keys", None)
    expanded = None
    if tied:
        previous = getattr(model.config, "tie_word_embeddings", None)
        try:
            model.config.tie_word_embeddings = True
            expanded = model.get_expanded_tied_weights_keys(all_submodels=True)
        except Exception as error:  # noqa: BLE001 - a class whose declared ties do not expand
            expanded = {"!error": f"{type(error).__name__}: {error}"[:200]}
        finally:
            model.config.tie_word_embeddings = previous
    rec["tied"] = {pattern(k): pattern(v) for k, v in sorted((expanded or {}).items())}
    for attr, key in (("_keys_to_ignore_on_load_unexpected", "ignore_unexpected"),
                      ("_keys_to_ignore_on_load_missing", "ignore_missing")):
        value = getattr(cls, attr, None)
        if value:
            rec[key] = list(value)
    from transformers.conversion_mapping import get_model_conversion_mapping

    # What transformers renames on load for this class (the legacy renamings common to all are in the header).
    conversion = describe_transforms(get_model_conversion_mapping(model, add_legacy=False))
    if conversion:
        rec["conversion"] = conversion
    rec["modules"] = describe_modules(model)
    return rec


def strip_backbone(rec, bare_name, bare_modules):
    """Replaces the backbone subtree by a reference to the bare class when it is exactly that tree."""
    prefix = rec["prefix"]
    if not rec["backbone_attr"]:
        return rec
    inner = [m for m in rec["modules"] if m[0] == prefix or m[0].startswith(prefix + ".")]
    rebased = [[m[0][len(prefix) + 1:] if m[0] != prefix else ""] + m[1:] for m in inner]
    bare_root = [m for m in bare_modules if m[0] == ""]
    # The bare model's root has the same children as the backbone module; its class differs.
    if len(rebased) == len(bare_modules) and all(
        a[0] == b[0] and a[1] == b[1] and a[3] == b[3] and a[4] == b[4] and (a[0] == "" or a[2] == b[2])
        for a, b in zip(rebased, bare_modules)
    ) and bare_root:
        rec = dict(rec)
        rec["modules"] = [m for m in rec["modules"] if m not in inner]
        rec["backbone"] = bare_name
    return rec


def record_type(model_type):
    import transformers
    from transformers import AutoConfig

    by_task = {}
    for task, mapping in TASKS.items():
        name = class_names(mapping).get(model_type)
        if name:
            by_task.setdefault(name, []).append(task)
    out = {"type": model_type, "transformers": transformers.__version__}
    try:
        config = AutoConfig.for_model(model_type)
        out["tie_word_embeddings"] = getattr(config, "tie_word_embeddings", None)
    except Exception as error:  # noqa: BLE001
        out["skipped"] = {"config": f"{type(error).__name__}: {error}"[:300]}
        return out
    # PEFT 0.21 converts LoRA checkpoints only for model types with a registered mapping.
    out["conversion_registered"] = conversion_registered(model_type)
    classes, skipped = {}, {}
    for name, tasks in sorted(by_task.items()):
        cls = model_class(name)
        if cls is None:
            skipped[name] = "not importable (optional dependency missing)"
            continue
        try:
            config = AutoConfig.for_model(model_type)
            classes[name] = record_class(cls, config, tasks)
        except BaseException as error:  # noqa: BLE001 - record why a class cannot be built from its defaults
            if isinstance(error, KeyboardInterrupt):
                raise
            message = " ".join(str(error).split())
            skipped[name] = f"{type(error).__name__}: {message}"[:300]
    bare = [n for n, t in by_task.items() if "base" in t and n in classes]
    if bare:
        bare_name = bare[0]
        for name in list(classes):
            if name != bare_name:
                classes[name] = strip_backbone(classes[name], bare_name, classes[bare_name]["modules"])
    out["classes"] = classes
    if skipped:
        out["skipped"] = skipped
    return out


def all_model_types():
    types = set()
    for mapping in TASKS.values():
        types.update(class_names(mapping))
    return sorted(types)


def worker(model_type):
    print(model_type, file=sys.stderr, flush=True)
    try:
        return json.dumps(record_type(model_type), sort_keys=True, separators=(",", ":"))
    except BaseException as error:  # noqa: BLE001
        return json.dumps({"type": model_type, "skipped": {"type": f"{type(error).__name__}: {error}"[:300]}},
                          sort_keys=True, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--types", default="")
    args = parser.parse_args()
    import transformers

    types = [t for t in args.types.split(",") if t] or all_model_types()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.jobs, maxtasksperchild=25) as pool:
        lines = pool.map(worker, types, chunksize=4)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(json.dumps({"type": "", "transformers": transformers.__version__, "legacy": legacy_transforms(),
                             "peft": peft_defaults()}, sort_keys=True, separators=(",", ":")) + "\n")
        for line in lines:
            fh.write(line + "\n")
    os.replace(tmp, args.out)
    print(f"transformers {transformers.__version__}: {len(lines)} model types -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
