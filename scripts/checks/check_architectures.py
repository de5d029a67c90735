#!/usr/bin/env python3
"""Checks synthesized base models against real transformers.

Each argument is a model folder written by Adaptest: `config.json`, `description.json` (the
catalog's view: state dict, tied aliases, saved tensors) and, normally, the weights. For each folder
this script

1. loads `config.json` with `AutoConfig`, saves it again and requires the same text (so the
   config holds exactly the fields transformers writes, with the same values), and requires every
   field that Adaptest does not set on purpose (`config_inputs`) to hold the config class's default;
2. builds the model class named in the description from that config and compares `state_dict()`
   (names, order, shapes, dtype) and the tied parameters with the description;
3. runs `save_pretrained` on that model and compares the tensors it writes (names, shapes, dtypes)
   with the description's saved tensors;
4. loads the folder's own weights with `from_pretrained(..., output_loading_info=True)` and requires
   no missing, unexpected or mismatched keys, and that the files hold exactly the saved tensors.

`--meta` builds on the meta device and skips steps 3 and 4 (real-size presets).
`--write-missing-weights` writes zero weights for folders that have none (a stand-in until the
Swift writers exist; the report says when it was used).

Prints one JSON object per folder and exits 1 if any folder has a problem.
Usage: check_architectures.py [--meta] [--write-missing-weights] DIR [DIR ...]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

transformers.logging.set_verbosity_error()

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def saved_tensors(folder):
    """name -> (shape, dtype) of every safetensors file in a folder."""
    found = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".safetensors"):
            with safe_open(os.path.join(folder, name), "pt") as f:
                for key in f.keys():
                    piece = f.get_slice(key)
                    found[key] = (list(piece.get_shape()), piece.get_dtype())
    return found


def has_weights(folder):
    return any(n.endswith(".safetensors") or n.endswith(".h5") for n in os.listdir(folder))


def compare_lists(problems, what, expected, actual):
    if expected == actual:
        return
    exp_names = [e[0] for e in expected]
    act_names = [a[0] for a in actual]
    missing = [n for n in act_names if n not in set(exp_names)]
    extra = [n for n in exp_names if n not in set(act_names)]
    if missing:
        problems.append(f"{what}: transformers has {missing[:8]} that Adaptest does not")
    if extra:
        problems.append(f"{what}: Adaptest has {extra[:8]} that transformers does not")
    if not missing and not extra:
        if exp_names != act_names:
            problems.append(f"{what}: order differs (first at {next(i for i, (a, b) in enumerate(zip(exp_names, act_names)) if a != b)})")
        shapes = [(e, a) for e, a in zip(expected, actual) if e != a]
        if shapes:
            problems.append(f"{what}: shapes differ, e.g. Adaptest {shapes[0][0]} vs transformers {shapes[0][1]}")


def check(folder, meta, write_missing):
    problems = []
    notes = []
    with open(os.path.join(folder, "description.json")) as f:
        desc = json.load(f)
    config_text = open(os.path.join(folder, "config.json")).read()

    # 1. The config round-trips through AutoConfig unchanged.
    config = transformers.AutoConfig.from_pretrained(folder)
    with tempfile.TemporaryDirectory() as tmp:
        config.save_pretrained(tmp)
        again = open(os.path.join(tmp, "config.json")).read()
    if again != config_text:
        ours, theirs = json.loads(config_text), json.loads(again)
        diff = sorted(k for k in set(ours) | set(theirs) if ours.get(k, "<absent>") != theirs.get(k, "<absent>"))
        problems.append("config.json does not round-trip: " + ", ".join(
            f"{k}: ours {ours.get(k, '<absent>')!r} vs transformers {theirs.get(k, '<absent>')!r}" for k in diff[:8]))

    # Every field Adaptest does not set on purpose holds the config class's default.
    defaults = type(config)().to_dict()
    ours = json.loads(config_text)
    unexplained = sorted(k for k, v in ours.items()
                         if k not in desc["config_inputs"] and defaults.get(k, "<absent>") != v)
    if unexplained:
        problems.append("config.json differs from transformers' defaults in fields Adaptest does not set: " + ", ".join(
            f"{k}: ours {ours[k]!r} vs default {defaults.get(k, '<absent>')!r}" for k in unexplained[:8]))

    # 2. The model built from it has the described state dict.
    auto = getattr(transformers, desc["auto_class"])
    dtype = DTYPES[desc["dtype"]]
    if meta:
        with torch.device("meta"):
            model = auto.from_config(config, dtype=dtype)
    else:
        model = auto.from_config(config, dtype=dtype)
    if type(model).__name__ != desc["model_class"]:
        problems.append(f"{desc['auto_class']} built {type(model).__name__}, expected {desc['model_class']}")
    state = model.state_dict()
    compare_lists(problems, "state_dict", [(t["name"], t["shape"]) for t in desc["state_dict"]],
                  [(k, list(v.shape)) for k, v in state.items()])
    wrong_dtype = [k for k, v in state.items() if v.dtype != dtype]
    if wrong_dtype:
        problems.append(f"state_dict: {wrong_dtype[:4]} are not {desc['dtype']}")
    if not meta:
        groups = {}
        for key, value in state.items():
            groups.setdefault(value.data_ptr(), []).append(key)
        actual_tied = sorted([alias, names[0]] for names in groups.values() for alias in names[1:])
        if actual_tied != sorted(desc["tied"]):
            problems.append(f"tied weights: transformers {actual_tied} vs Adaptest {sorted(desc['tied'])}")

    if meta:
        return problems, notes

    # 3. What save_pretrained writes.
    expected_saved = {t["name"]: (t["shape"], desc["dtype"]) for t in desc["saved"]}
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        written = saved_tensors(tmp)
    compare_lists(problems, "save_pretrained", sorted((k, v) for k, v in expected_saved.items()),
                  sorted((k, (v[0], v[1])) for k, v in written.items()))

    # 4. Loading the folder's weights.
    load_from = folder
    staging = None
    if not has_weights(folder):
        if not write_missing:
            problems.append("the folder has no weights")
            return problems, notes
        staging = tempfile.mkdtemp()
        shutil.copy(os.path.join(folder, "config.json"), staging)
        save_file({t["name"]: torch.zeros(t["shape"], dtype=dtype) for t in desc["saved"]},
                  os.path.join(staging, "model.safetensors"), metadata={"format": "pt"})
        load_from = staging
        notes.append("weights written by this script (the folder has none)")
    try:
        on_disk = saved_tensors(load_from)
        compare_lists(problems, "weights on disk", sorted((k, v) for k, v in expected_saved.items()),
                      sorted((k, (v[0], v[1])) for k, v in on_disk.items()))
        try:
            loaded, info = auto.from_pretrained(load_from, output_loading_info=True, dtype=dtype)
        except Exception as error:
            problems.append(f"from_pretrained raised {type(error).__name__}: {error}")
        else:
            for kind in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
                if info.get(kind):
                    problems.append(f"from_pretrained {kind}: {sorted(info[kind])[:8]}")
            if type(loaded).__name__ != desc["model_class"]:
                problems.append(f"from_pretrained built {type(loaded).__name__}")
    finally:
        if staging:
            shutil.rmtree(staging)
    return problems, notes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meta", action="store_true")
    parser.add_argument("--write-missing-weights", action="store_true")
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()
    failed = False
    for folder in args.folders:
        try:
            problems, notes = check(folder, args.meta, args.write_missing_weights)
        except Exception as error:  # report, keep checking the others
            problems, notes = [f"{type(error).__name__}: {error}"], []
        failed |= bool(problems)
        print(json.dumps({"folder": os.path.basename(folder.rstrip("/")), "ok": not problems,
                          "problems": problems, "notes": notes}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
