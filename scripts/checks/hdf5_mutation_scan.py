#!/usr/bin/env python3
"""Mutation scan of the HDF5 reader, with libhdf5 isolated in child processes.

    "$ADAPTEST_PYTHON" scripts/checks/hdf5_mutation_scan.py --seed-file A.h5 [--seed-file B.h5 ...] \
        [--iterations 1000] [--random-seed 1] [--out DIR] [--timeout 120]

Makes ITERATIONS mutants of every seed file (bit flips, random bytes, interesting integers written
over 2/4/8-byte fields, truncations, copied ranges; deterministic for a given --random-seed), then
has the Swift test binary open each mutant and read all its tensors (the HDF5MutationProbe test in
Tests/HDF5CheckpointTests, run through `swift test --skip-build`, so build the tests first). The
probe logs before and after each file; when the child dies (a crash in libhdf5) or hangs (no
progress on one file for --timeout seconds), the file it had started is recorded in OUT/crashers/
with a note (including whether it also fails when probed alone: out-of-bounds reads and errors in
libhdf5's error paths may depend on what earlier files left in its free lists), and the scan
continues with the next file.

Prints a summary: outcome counts per seed file (ok, open:<error code>, read:<error code>, crash,
hang). Any Python 3 runs it; h5py is not needed. Exit status 0 unless the probe could not run.
"""
import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
               0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF]


def mutate(data, rng):
    data = bytearray(data)
    kind = rng.choice(["bits", "bytes", "integer", "truncate", "copy"])
    if kind == "bits":
        spots = [rng.randrange(len(data)) for _ in range(rng.randint(1, 4))]
        for spot in spots:
            data[spot] ^= 1 << rng.randrange(8)
        return data, f"flip bits at {spots}"
    if kind == "bytes":
        start = rng.randrange(len(data))
        count = rng.randint(1, 16)
        for k in range(start, min(start + count, len(data))):
            data[k] = rng.randrange(256)
        return data, f"random bytes at {start}..{start + count}"
    if kind == "integer":
        width = rng.choice([2, 4, 8])
        start = rng.randrange(max(1, len(data) - width))
        value = rng.choice(INTERESTING + [len(data), len(data) + 1, rng.getrandbits(64)]) & ((1 << (8 * width)) - 1)
        data[start:start + width] = value.to_bytes(width, "little")
        return data, f"{width}-byte integer {value:#x} at {start}"
    if kind == "truncate":
        length = rng.randrange(len(data))
        return data[:length], f"truncated to {length} bytes"
    count = rng.randint(1, 64)
    source, target = rng.randrange(len(data)), rng.randrange(len(data))
    chunk = data[source:source + count]
    data[target:target + len(chunk)] = chunk
    return data[: len(data)], f"copied {len(chunk)} bytes from {source} to {target}"


def run_probe(paths, work, timeout):
    """Runs the probe on `paths`; returns (outcomes {path: outcome}, first unfinished path or None, how it ended)."""
    listing = os.path.join(work, "list.txt")
    log = os.path.join(work, "log.txt")
    with open(listing, "w", encoding="utf-8") as handle:
        handle.write("\n".join(paths) + "\n")
    if os.path.exists(log):
        os.remove(log)
    env = dict(os.environ, ADAPTEST_HDF5_PROBE_LIST=listing, ADAPTEST_HDF5_PROBE_LOG=log)
    command = ["swift", "test", "--skip-build", "--filter", "HDF5MutationProbe/probeFiles"]
    with tempfile.TemporaryFile() as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        # A hang is a file on which the probe makes no progress (its log stops growing) for `timeout` s.
        last_size, last_progress, ending = -1, time.monotonic(), None
        while process.poll() is None:
            size = os.path.getsize(log) if os.path.exists(log) else 0
            if size != last_size:
                last_size, last_progress = size, time.monotonic()
            elif time.monotonic() - last_progress > timeout:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                ending = f"hang (no progress for {timeout} s)"
                break
            time.sleep(0.05)
        ending = ending or f"exit status {process.returncode}"
        sink.seek(0)
        output = sink.read()
    outcomes, started = {}, None
    if os.path.exists(log):
        with open(log, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                parts = line.rstrip("\n").split("\t")
                if parts[0] == "start":
                    started = parts[1]
                elif parts[0] == "end" and len(parts) == 3:
                    outcomes[parts[1]] = parts[2]
                    started = None
    text = output.decode("utf-8", "replace")
    if started is None and len(outcomes) < len(paths):
        raise SystemExit(f"the probe did not run ({ending}):\n{text[-3000:]}")
    return outcomes, started, ending, text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed-file", action="append", required=True)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--random-seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="where crashers go (default: a temporary folder)")
    parser.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="hdf5-scan-")
    out = args.out or os.path.join(work, "out")
    crashers = os.path.join(out, "crashers")
    os.makedirs(crashers, exist_ok=True)
    rng = random.Random(args.random_seed)
    mutants, descriptions = [], {}
    for seed_file in args.seed_file:
        with open(seed_file, "rb") as handle:
            original = handle.read()
        stem = os.path.splitext(os.path.basename(seed_file))[0]
        for i in range(args.iterations):
            data, what = mutate(original, rng)
            path = os.path.join(work, f"{stem}-{i:05d}.h5")
            with open(path, "wb") as handle:
                handle.write(data)
            mutants.append(path)
            descriptions[path] = (seed_file, what)

    counts = collections.defaultdict(collections.Counter)
    pending = mutants
    while pending:
        outcomes, unfinished, ending, output = run_probe(pending, work, args.timeout)
        for path, outcome in outcomes.items():
            counts[descriptions[path][0]][outcome] += 1
        if unfinished is None:
            break
        seed_file, what = descriptions[unfinished]
        kind = "hang" if ending.startswith("hang") else "crash"
        counts[seed_file][kind] += 1
        name = f"{kind}-{os.path.basename(unfinished)}"
        shutil.copyfile(unfinished, os.path.join(crashers, name))
        # An out-of-bounds read may fault only with the heap left by earlier files: try it alone.
        alone = run_probe([unfinished], work, args.timeout)
        alone_text = "no (finished: " + alone[0].get(unfinished, "?") + ")" if alone[1] is None else f"yes ({alone[2]})"
        signals = [line for line in output.splitlines() if "signal" in line or "crashed" in line or "Fatal" in line]
        with open(os.path.join(crashers, name + ".txt"), "w", encoding="utf-8") as handle:
            handle.write(f"seed file: {os.path.basename(seed_file)}\nmutation: {what}\nprobe ended: {ending}\n"
                         f"reproduces when run alone: {alone_text}\nrandom seed: {args.random_seed}\n\n"
                         + "\n".join(signals[:6]) + "\n")
        print(f"{kind}: {name} ({what}; {ending}; alone: {alone_text})", flush=True)
        pending = pending[pending.index(unfinished) + 1:]

    for seed_file, counter in counts.items():
        print(f"{os.path.basename(seed_file)}: " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    print(f"crashers in {crashers}" if os.listdir(crashers) else "no crashes or hangs")
    shutil.rmtree(work) if args.out else None


if __name__ == "__main__":
    main()
