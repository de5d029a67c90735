#!/usr/bin/env python3
"""Prints, as JSON, how Python `safetensors` reads each safetensors file or shard index given.

Usage: $ADAPTEST_PYTHON scripts/checks/describe_safetensors.py PATH...

For a .safetensors file: metadata, offset_keys and, per tensor, dtype, shape (from safe_open's
get_slice) and the bytes as hex (from deserialize, which returns raw bytes for every dtype,
including those NumPy cannot represent). For a *.index.json: whether every tensor of weight_map is
in the shard it names, no shard has a tensor the index omits, and total_size matches the shards.
Used by the Swift interop test to check files Adaptest wrote.
"""
import json
import os
import sys

import safetensors


def describe_file(path):
    with open(path, "rb") as f:
        raw = {name: info for name, info in safetensors.deserialize(f.read())}
    with safetensors.safe_open(path, "numpy") as f:
        tensors = {}
        for name in f.keys():
            view = f.get_slice(name)
            tensors[name] = {"dtype": raw[name]["dtype"], "slice_dtype": view.get_dtype(), "shape": view.get_shape(),
                             "hex": bytes(raw[name]["data"]).hex()}
        return {"metadata": f.metadata(), "offset_keys": f.offset_keys(), "tensors": tensors}


def describe_index(path):
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    folder = os.path.dirname(path)
    by_shard = {}
    for name, shard in index["weight_map"].items():
        by_shard.setdefault(shard, set()).add(name)
    total = 0
    for shard, names in by_shard.items():
        with open(os.path.join(folder, shard), "rb") as f:
            content = safetensors.deserialize(f.read())
        if {name for name, _ in content} != names:
            return {"consistent": False, "shard": shard}
        total += sum(len(info["data"]) for _, info in content)
    return {"consistent": total == index["metadata"]["total_size"], "shards": sorted(by_shard)}


if __name__ == "__main__":
    print(json.dumps({p: describe_index(p) if p.endswith(".json") else describe_file(p) for p in sys.argv[1:]}))
