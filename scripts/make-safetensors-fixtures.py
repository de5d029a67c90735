#!/usr/bin/env python3
"""Writes the safetensors interop fixtures with the Python `safetensors` package.

Usage: $ADAPTEST_PYTHON scripts/make-safetensors-fixtures.py [OUTPUT_DIR]

The interpreter needs `safetensors` (0.8) and `numpy`. OUTPUT_DIR defaults to
Tests/SafeTensorsTests/Fixtures/python. Besides the .safetensors files it writes manifest.json, which
lists what each file was made from (names, dtypes, shapes, bytes as hex, metadata) so that the
Swift tests check the reader against the data Python was given and the writer against the bytes
Python wrote. Output is deterministic: every file has at most one metadata key, because the
reference writes `__metadata__` in hash-map order.
"""
import ctypes
import json
import os
import sys

import numpy as np
import safetensors
import safetensors.numpy

# Every dtype the Python binding can write through TensorSpec, by its constructor name.
# F6_E2M3 and F6_E3M2 have no Python name; the Swift tests cover them with hand-made files.
DTYPES = [
    ("bool", "BOOL", 1), ("float4_e2m1fn_x2", "F4", 0.5), ("uint8", "U8", 1), ("int8", "I8", 1),
    ("float8_e5m2", "F8_E5M2", 1), ("float8_e4m3fn", "F8_E4M3", 1), ("float8_e8m0fnu", "F8_E8M0", 1),
    ("float8_e4m3fnuz", "F8_E4M3FNUZ", 1), ("float8_e5m2fnuz", "F8_E5M2FNUZ", 1),
    ("int16", "I16", 2), ("uint16", "U16", 2), ("float16", "F16", 2), ("bfloat16", "BF16", 2),
    ("int32", "I32", 4), ("uint32", "U32", 4), ("float32", "F32", 4), ("complex64", "C64", 8),
    ("float64", "F64", 8), ("int64", "I64", 8), ("uint64", "U64", 8),
]


def pattern(count, seed, dtype):
    if dtype == "BOOL":
        return bytes((i + seed) % 2 for i in range(count))
    return bytes((i * 37 + seed * 11 + 5) & 0xFF for i in range(count))


def spec_tensors(entries, keep_alive):
    """TensorSpec dict for [(name, dtype constructor name, dtype, logical shape, data)]."""
    specs = {}
    for name, py_dtype, _, shape, data in entries:
        buffer = ctypes.create_string_buffer(data, max(len(data), 1))
        keep_alive.append(buffer)
        # The binding doubles F4's last dimension (two values per byte): pass the packed shape.
        packed = list(shape)
        if py_dtype == "float4_e2m1fn_x2" and packed:
            packed[-1] //= 2
        specs[name] = safetensors.TensorSpec(
            dtype=py_dtype, shape=packed, data_ptr=ctypes.addressof(buffer), data_len=len(data))
    return specs


def describe(entries, metadata):
    return {
        "metadata": metadata,
        "tensors": [{"name": n, "dtype": d, "shape": s, "hex": data.hex()} for n, _, d, s, data in entries],
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "Tests", "SafeTensorsTests", "Fixtures", "python")
    os.makedirs(out, exist_ok=True)
    manifest = {"generator": f"safetensors {safetensors.__version__}, numpy {np.__version__}", "files": {}}

    # 1. Every writable dtype, rank 2, plus a scalar and an empty tensor; names out of order.
    entries = []
    for seed, (py_dtype, dtype, size) in enumerate(DTYPES):
        shape = [2, 4]
        entries.append((f"layers.{seed}.{dtype.lower()}", py_dtype, dtype, shape, pattern(int(8 * size), seed, dtype)))
    entries.append(("scalar", "float32", "F32", [], pattern(4, 99, "F32")))
    entries.append(("empty", "float16", "F16", [0, 4], b""))
    entries.reverse()
    keep = []
    metadata = {"format": "pt"}
    safetensors.serialize_file(spec_tensors(entries, keep), os.path.join(out, "all-dtypes.safetensors"), metadata=metadata)
    manifest["files"]["all-dtypes.safetensors"] = describe(entries, metadata)

    # 2. numpy's save_file, no metadata, names that need escaping or are not ASCII.
    arrays = {
        "z.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        'quote"back\\slash': np.array([1, -2], dtype=np.int64),
        "ünïcödé.名前": np.array(3.5, dtype=np.float64),
        "tab\tnew\nline\u0001": np.zeros((0,), dtype=np.uint8),
        "a.bias": np.array([True, False, True]),
    }
    safetensors.numpy.save_file(arrays, os.path.join(out, "numpy.safetensors"))
    manifest["files"]["numpy.safetensors"] = describe(
        [(k, None, safetensors_dtype(v), list(v.shape), v.astype(v.dtype.newbyteorder("<")).tobytes())
         for k, v in arrays.items()], None)

    # 3. Metadata and no tensors. (With metadata={} and no tensors the reference writes the
    # invalid header `{},"__metadata__":{}}`; the malformed corpus has that case.)
    safetensors.serialize_file({}, os.path.join(out, "metadata-only.safetensors"), metadata={"note": "no tensors"})
    manifest["files"]["metadata-only.safetensors"] = describe([], {"note": "no tensors"})

    # 4. Empty metadata object with a tensor.
    entries = [("only", "uint8", "U8", [1], b"\x2a")]
    safetensors.serialize_file(spec_tensors(entries, keep), os.path.join(out, "empty-metadata.safetensors"), metadata={})
    manifest["files"]["empty-metadata.safetensors"] = describe(entries, {})

    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True, ensure_ascii=True)
        f.write("\n")


def safetensors_dtype(array):
    return {
        "bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "uint16": "U16", "float16": "F16",
        "int32": "I32", "uint32": "U32", "float32": "F32", "float64": "F64", "int64": "I64", "uint64": "U64",
    }[array.dtype.name]


if __name__ == "__main__":
    main()
