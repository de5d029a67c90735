#!/usr/bin/env python3
"""h5py half of the HDF5 benchmark (the Swift half is the HDF5Benchmark test, which runs this).

    "$ADAPTEST_PYTHON" scripts/bench/hdf5_h5py_bench.py write SOURCE.h5 OUT.h5 [RUNS]
    "$ADAPTEST_PYTHON" scripts/bench/hdf5_h5py_bench.py read FILE.h5 [RUNS]

`write` loads tensor "w" of SOURCE.h5 (untimed), then times writing it to OUT.h5 in the Adaptest
layout (contiguous, then fsync, as Adaptest's writer does). `read` times reading tensor "w" of
FILE.h5 into a numpy array. Each prints {"seconds": median of RUNS (default 3) warm runs}.
"""
import json
import os
import statistics
import sys
import time

import h5py
import numpy as np


def timed(runs, body):
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = body()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def read(path):
    with h5py.File(path, "r") as f:
        return f["w"][...]


def write(path, array):
    with h5py.File(path, "w") as f:
        f.attrs["adaptest_format"] = "adaptest-hdf5"
        f.attrs["adaptest_format_version"] = np.int64(1)
        f.attrs["adaptest_tensor_count"] = np.int64(1)
        ds = f.create_dataset("w", data=array, track_times=False)
        ds.attrs["adaptest_name"] = "w"
        ds.attrs["adaptest_dtype"] = "F32"
        ds.attrs["adaptest_index"] = np.int64(0)
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def main():
    mode = sys.argv[1]
    if mode == "write":
        source, out = sys.argv[2], sys.argv[3]
        runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
        array = read(source)
        seconds, _ = timed(runs, lambda: write(out, array))
        assert np.array_equal(read(out).view(np.uint32), array.view(np.uint32))
    else:
        path = sys.argv[2]
        runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
        seconds, array = timed(runs, lambda: read(path))
        assert array.dtype == np.float32
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
