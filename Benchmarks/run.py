#!/usr/bin/env python3
"""Runs the safetensors benchmarks side by side and prints the figures as a Markdown table.

Usage: ADAPTEST_PYTHON=/path/to/python-with-safetensors python3 Benchmarks/run.py [--rounds N] [--keep DIR]

Standard library only; scripts/bench/bench_header.sh builds the Swift executable first. The files are
made in a temporary folder (a 20,000-tensor header over a sparse ~65 GB file, a small variant with
the same names, a 1 GiB tensor). Each round runs every contender once, in turn, so that machine
load hits them alike; the tables give the median over rounds of each contender's median, and
ratios of those. Header timings are given as wall time and as process CPU time (steadier on a
shared machine).

Every contender runs with glibc's allocator thresholds pinned (GLIBC_TUNABLES below, the same for
Swift and Python): by default glibc moves its mmap and trim thresholds after each large free, so whether
the next iteration finds its heap mapped or faults it in again from the kernel depends on which
allocation happened to be freed last — the same parser measured 6 ms on one file and 9 ms on the other
(86,000 page faults in 100 iterations against 3,000), and a one-line change to a reservation swapped the two.
Pinned, each iteration measures the parser on a warm heap, as in a process that reads many files.
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


# 256 MiB: above every allocation the benchmarks make, so none is returned to the kernel between iterations.
PINNED_ALLOCATOR = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=268435456")


def run(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=PINNED_ALLOCATOR).stdout
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
    samples = {}

    def add(prefix, result, *keys):
        for key in keys:
            samples.setdefault(prefix + key, []).append(result[key])

    try:
        for _ in range(args.rounds):
            add("", run([SWIFT, "header", moe, "20", "--jsondecoder"]),
                "adaptest_s", "adaptest_cpu_s", "jsondecoder_s", "jsondecoder_cpu_s")
            add("", run([python, PYTHON_BENCH, "safe_open", moe, "5"]), "safe_open_s", "safe_open_cpu_s")
            add("tiny_", run([SWIFT, "header", tiny, "20"]), "adaptest_s", "adaptest_cpu_s")
            add("tiny_", run([python, PYTHON_BENCH, "deserialize", tiny, "5"]), "deserialize_s", "deserialize_cpu_s")
            add("tiny_", run([python, PYTHON_BENCH, "safe_open", tiny, "5"]), "safe_open_s", "safe_open_cpu_s")
            add("", run([SWIFT, "data", big, "5"]), "memcpy_s", "view_copy_s", "view_sum_s", "heap_sum_s")
            add("", run([python, PYTHON_BENCH, "get_tensor", big, "3"]), "get_tensor_s")
        version = run([python, PYTHON_BENCH, "safe_open", tiny, "1"])["version"]
    finally:
        if not args.keep:
            for path in (moe, tiny, big):
                if os.path.exists(path):
                    os.remove(path)
            os.rmdir(folder)
    m = {k: statistics.median(v) for k, v in samples.items()}

    ms = lambda s: f"{s * 1e3:.1f} ms"
    gbps = lambda s: f"{(1 << 30) / s / 1e9:.1f} GB/s"

    def header_row(label, key, base):
        wall, cpu = m[key + "_s"], m[key + "_cpu_s"]
        if key == base:
            return f"| {label} | {ms(wall)} | {ms(cpu)} | 1× | 1× |"
        return (f"| {label} | {ms(wall)} | {ms(cpu)} | {wall / m[base + '_s']:.1f}× slower | "
                f"{cpu / m[base + '_cpu_s']:.1f}× slower |")

    print(f"{int(info['tensors'])} tensors, {info['header_bytes'] / 1e6:.2f} MB header (file {info['file_bytes'] / 1e9:.1f} GB, "
          f"sparse); Python safetensors {version}; median of {args.rounds} rounds.\n")
    print("| Header: open, parse, validate, read every shape | wall | CPU | wall vs Adaptest | CPU vs Adaptest |")
    print("|---|---:|---:|---:|---:|")
    print(header_row("Adaptest `SafeTensorsFile(path:)` + every `info.shape`", "adaptest", "adaptest"))
    print(header_row("Python `safe_open` + `keys()` + `get_slice(k).get_shape()`", "safe_open", "adaptest"))
    print(header_row("Foundation `JSONDecoder` on the header bytes (no I/O, no validation)", "jsondecoder", "adaptest"))
    print()
    print("| Same names, 4-byte tensors (whole file in memory) | wall | CPU | wall vs Adaptest | CPU vs Adaptest |")
    print("|---|---:|---:|---:|---:|")
    print(header_row("Adaptest `SafeTensorsFile(path:)` + every `info.shape`", "tiny_adaptest", "tiny_adaptest"))
    print(header_row("Python `deserialize(bytes)` + every shape", "tiny_deserialize", "tiny_adaptest"))
    print(header_row("Python `safe_open` + `keys()` + `get_slice(k).get_shape()`", "tiny_safe_open", "tiny_adaptest"))
    print()
    print("| 1 GiB tensor, warm page cache | wall | throughput | vs memcpy |")
    print("|---|---:|---:|---:|")
    print(f"| `memcpy` heap → heap | {ms(m['memcpy_s'])} | {gbps(m['memcpy_s'])} | 1× |")
    for label, key in [("Adaptest: open + `bytes(of:)` + copy out of the mapping", "view_copy_s"),
                       ("Adaptest: open + `bytes(of:)` + read every byte in place", "view_sum_s"),
                       ("the same read loop over a heap buffer", "heap_sum_s"),
                       ("Python `safe_open(…, \"numpy\").get_tensor()`", "get_tensor_s")]:
        print(f"| {label} | {ms(m[key])} | {gbps(m[key])} | {m[key] / m['memcpy_s']:.2f}× the time |")


if __name__ == "__main__":
    main()
