#!/usr/bin/env python3
"""The Python half of Benchmarks/run.py: times the `safetensors` package (Rust core) on a file.

Usage: $ADAPTEST_PYTHON python_bench.py (safe_open|deserialize|get_tensor) FILE ITERATIONS

Prints {"<name>_s": median wall seconds, "<name>_cpu_s": median process CPU seconds} as JSON:
  safe_open    safe_open(FILE, "numpy") + keys() + get_slice(k).get_shape() for every key
  deserialize  deserialize(bytes) + every shape (the file is read into memory before timing)
  get_tensor   safe_open(FILE, "numpy").get_tensor("big"): a tensor's bytes into a NumPy array
"""
import json
import statistics
import sys
import time

import safetensors


def safe_open_shapes(path):
    total = 0
    with safetensors.safe_open(path, "numpy") as f:
        for key in f.keys():
            total += sum(f.get_slice(key).get_shape())
    return total


def deserialize_shapes(data):
    return sum(sum(info["shape"]) for _, info in safetensors.deserialize(data))


def get_tensor(path):
    with safetensors.safe_open(path, "numpy") as f:
        return int(f.get_tensor("big")[-1])


def median(iterations, body, warmup=1):
    for _ in range(warmup):
        body()
    wall, cpu = [], []
    for _ in range(iterations):
        start, cpu_start = time.perf_counter(), time.process_time()
        body()
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - start)
    return statistics.median(wall), statistics.median(cpu)


def main():
    what, path, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if what == "safe_open":
        seconds = median(iterations, lambda: safe_open_shapes(path))
    elif what == "deserialize":
        with open(path, "rb") as f:
            data = f.read()
        seconds = median(iterations, lambda: deserialize_shapes(data))
    elif what == "get_tensor":
        seconds = median(iterations, lambda: get_tensor(path))
    else:
        raise SystemExit(f"unknown benchmark {what}")
    print(json.dumps({f"{what}_s": seconds[0], f"{what}_cpu_s": seconds[1], "version": safetensors.__version__}))


if __name__ == "__main__":
    main()
