#!/usr/bin/env python3
"""Prints, as JSON, what the Python `safetensors` package (Rust core) does with each file given.

Usage: $ADAPTEST_PYTHON reference_probe.py FILE...

For every file: {"deserialize": OUTCOME, "safe_open": OUTCOME}, where OUTCOME is {"ok": [names]}
(sorted for deserialize, offset order for safe_open) or {"error": KIND, "tensor": NAME?}, KIND being
the reference's SafeTensorError variant in lower camel case, recognised from its message.
Used by generate.py and by the Swift differential test.
"""
import json, re, sys, safetensors
KINDS = [("header too small", "headerTooSmall"), ("header too large", "headerTooLarge"),
         ("invalid header length", "invalidHeaderLength"), ("invalid UTF-8 in header", "invalidHeader"),
         ("invalid JSON in header", "invalidHeaderDeserialization"), ("invalid offset for tensor", "invalidOffset"),
         ("overflow computing buffer size", "validationOverflow"), ("The slice is slicing for subbytes", "misalignedSlice"),
         ("invalid shape, data type, or offset", "tensorInvalidInfo"), ("incomplete metadata", "metadataIncompleteBuffer")]
def outcome(thunk):
    try:
        return {"ok": thunk()}
    except BaseException as e:  # a Rust panic arrives as pyo3's PanicException, a BaseException
        text = str(e)
        if type(e).__name__ == "PanicException":
            return {"error": "panic: " + text}
        for needle, kind in KINDS:
            if needle in text:
                result = {"error": kind}
                m = re.search(r"invalid offset for tensor `(.*)`$", text, re.S)
                if m: result["tensor"] = m.group(1)
                return result
        return {"error": "unrecognized: " + text}
def via_safe_open(path):
    with safetensors.safe_open(path, "numpy") as f:
        return f.offset_keys()
results = {}
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    results[path] = {"deserialize": outcome(lambda: sorted(name for name, _ in safetensors.deserialize(data))),
                     "safe_open": outcome(lambda: via_safe_open(path))}
print(json.dumps({"version": safetensors.__version__, "results": results}))
