#!/usr/bin/env python3
"""Runs the safetensors benchmarks side by side and prints the figures as a Markdown table.

Usage: ADAPTEST_PYTHON=/path/to/python-with-safetensors python3 Benchmarks/run.py [--rounds N] [--keep DIR]

Standard library only; scripts/bench-header.sh builds the Swift executable first. The files are
made in a temporary folder (a 20,000-tensor header over a sparse ~65 GB file, a small variant with
the same names, a 1 GiB tensor). Each round runs every contender once, in turn, so that machine
load hits them alike; the table gives the median over rounds, and ratios of those medians.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SWIFT = os.path.join(ROOT, ".build", "release", "safetensors-bench")
PYTHON_BENCH = os.path.join(HERE, "python_bench.py")


def run(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", help="make the files in this folder and keep them")
    args = parser.parse_args()
    python = os.environ.get("ADAPTEST_PYTHON")
    if not python:
        sys.exit("set ADAPTEST_PYTHON to a python with safetensors and numpy")
    if not os.path.exists(SWIFT):
        sys.exit(f"build first: swift build -c release --product safetensors-bench ({SWIFT} is missing)")

    folder = args.keep or tempfile.mkdtemp(prefix="safetensors-bench-")
    os.makedirs(folder, exist_ok=True)
    moe, tiny, big = (os.path.join(folder, n) for n in ("moe.safetensors", "moe-tiny.safetensors", "big.safetensors"))
    info = run([SWIFT, "make-header-files", folder])
    run([SWIFT, "make-data-file", big, "1"])
    try:
        samples = {}

        def add(key, seconds):
            samples.setdefault(key, []).append(seconds)

        for _ in range(args.rounds):
            r = run([SWIFT, "header", moe, "20", "--jsondecoder"])
            add("adaptest", r["adaptest_s"])
            add("jsondecoder", r["jsondecoder_s"])
            add("safe_open", run([python, PYTHON_BENCH, "safe_open", moe, "5"])["safe_open_s"])
            add("adaptest_tiny", run([SWIFT, "header", tiny, "20"])["adaptest_s"])
            add("deserialize_tiny", run([python, PYTHON_BENCH, "deserialize", tiny, "5"])["deserialize_s"])
            add("safe_open_tiny", run([python, PYTHON_BENCH, "safe_open", tiny, "5"])["safe_open_s"])
            d = run([SWIFT, "data", big, "5"])
            for key in ("memcpy_s", "view_copy_s", "view_sum_s", "heap_sum_s"):
                add(key, d[key])
            add("get_tensor", run([python, PYTHON_BENCH, "get_tensor", big, "3"])["get_tensor_s"])
        m = {k: statistics.median(v) for k, v in samples.items()}
        version = run([python, PYTHON_BENCH, "safe_open", tiny, "1"])["version"]
    finally:
        if not args.keep:
            for path in (moe, tiny, big):
                if os.path.exists(path):
                    os.remove(path)
            os.rmdir(folder)

    ms = lambda s: f"{s * 1e3:.1f} ms"
    gbps = lambda s: f"{(1 << 30) / s / 1e9:.1f} GB/s"
    print(f"Header: {int(info['tensors'])} tensors, {info['header_bytes'] / 1e6:.2f} MB header "
          f"(file {info['file_bytes'] / 1e9:.1f} GB, sparse). Python safetensors {version}. "
          f"Median of {args.rounds} rounds.\n")
    print("| Header: open, parse, validate, read every shape | time | Adaptest is |")
    print("|---|---:|---:|")
    print(f"| Adaptest `SafeTensorsFile` | {ms(m['adaptest'])} | 1× |")
    print(f"| Python `safe_open` + `keys()` + `get_slice(k).get_shape()` | {ms(m['safe_open'])} | {m['safe_open'] / m['adaptest']:.1f}× faster |")
    print(f"| Foundation `JSONDecoder` (header bytes only, no validation) | {ms(m['jsondecoder'])} | {m['jsondecoder'] / m['adaptest']:.1f}× faster |")
    print()
    print("| Same names, 4-byte tensors (the whole file fits in memory) | time | Adaptest is |")
    print("|---|---:|---:|")
    print(f"| Adaptest `SafeTensorsFile` | {ms(m['adaptest_tiny'])} | 1× |")
    print(f"| Python `deserialize(bytes)` + shapes | {ms(m['deserialize_tiny'])} | {m['deserialize_tiny'] / m['adaptest_tiny']:.1f}× faster |")
    print(f"| Python `safe_open` + `keys()` + shapes | {ms(m['safe_open_tiny'])} | {m['safe_open_tiny'] / m['adaptest_tiny']:.1f}× faster |")
    print()
    print("| 1 GiB tensor, warm page cache | time | throughput | vs memcpy |")
    print("|---|---:|---:|---:|")
    print(f"| `memcpy` heap → heap | {ms(m['memcpy_s'])} | {gbps(m['memcpy_s'])} | 1× |")
    print(f"| Adaptest: open + `bytes(of:)` + copy out of the mapping | {ms(m['view_copy_s'])} | {gbps(m['view_copy_s'])} | {m['view_copy_s'] / m['memcpy_s']:.2f}× the time |")
    print(f"| Adaptest: open + `bytes(of:)` + read every byte in place | {ms(m['view_sum_s'])} | {gbps(m['view_sum_s'])} | {m['view_sum_s'] / m['memcpy_s']:.2f}× the time |")
    print(f"| read every byte of a heap buffer (same loop) | {ms(m['heap_sum_s'])} | {gbps(m['heap_sum_s'])} | {m['heap_sum_s'] / m['memcpy_s']:.2f}× the time |")
    print(f"| Python `safe_open(...).get_tensor()` (NumPy) | {ms(m['get_tensor'])} | {gbps(m['get_tensor'])} | {m['get_tensor'] / m['memcpy_s']:.2f}× the time |")


if __name__ == "__main__":
    main()
