"""Times the default `adaptest run` (every corpus case and the whole matrix through the three built-in
profiles) of several builds side by side, with the pair cache warm, per phase.

Usage: python3 default_run.py ADAPTEST_BINARY [ADAPTEST_BINARY ...] [--runs N] [--cache-root DIR]

Run from a checkout whose Corpus/ and reports/baseline.json every binary can read. Each binary gets a
pair cache of its own (DIR/<i>, default a temporary folder; a build's cache is keyed by the executable,
so a copied binary fills its own) and one untimed run to fill it; then the binaries run in turn, N times
each (default 5), so that a change in the machine's load affects them alike. Reported per binary: the
median wall time, the median CPU time of the process (user + system, what `perf stat -e task-clock`
counts), and the medians of the phases the run prints (planning, the run, the cases' building and each
profile summed over the jobs — its wall time and, for a built-in profile, the CPU time of its threads — the
reports), and the least of the wall, CPU and `recommended` CPU times. Every run must end with 0 regressed and 0 changed against
the baseline, or the script stops.
"""
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

args = sys.argv[1:]
runs = 5
cache_root = None
for flag in ("--runs", "--cache-root"):
    if flag in args:
        i = args.index(flag)
        value = args[i + 1]
        del args[i : i + 2]
        if flag == "--runs":
            runs = int(value)
        else:
            cache_root = value
binaries = args
if not binaries:
    sys.exit(__doc__)
work = tempfile.mkdtemp(prefix="default-run-")
cache_root = cache_root or work

PHASES = re.compile(r"^time: corpus and matrix planning (?P<planning>[\d.]+) (?P<pu>m?s), run (?P<run>[\d.]+) (?P<ru>m?s) "
                    r"\(summed over \d+ job\(s\): (?P<summed>.*)\), reports (?P<reports>[\d.]+) (?P<rpu>m?s)$", re.M)


def seconds(value, unit):
    return float(value) / (1000 if unit == "ms" else 1)


def measure(binary, index):
    env = dict(os.environ, ADAPTEST_CACHE_DIR=os.path.join(cache_root, str(index)))
    out = os.path.join(work, f"out{index}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([binary, "run", "--out", out], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if "0 regressed" not in done.stdout or " 0 changed" not in done.stdout:
        sys.exit(f"{binary}: the run changed results:\n{done.stdout[-3000:]}")
    match = PHASES.search(done.stdout)
    phases = {"wall": wall, "cpu": cpu}
    if match:
        phases["planning"] = seconds(match["planning"], match["pu"])
        phases["run"] = seconds(match["run"], match["ru"])
        phases["reports"] = seconds(match["reports"], match["rpu"])
        for part in match["summed"].split(", "):
            # "recommended 7.84 s (4.90 s CPU)": an in-process profile's wall and CPU time on its threads.
            cpu_part = re.search(r" \(([\d.]+) (m?s) CPU\)$", part)
            if cpu_part:
                part = part[: cpu_part.start()]
            name, value, unit = part.rsplit(" ", 2)
            phases[name] = seconds(value, unit)
            if cpu_part:
                phases[name + " CPU"] = seconds(cpu_part[1], cpu_part[2])
    return phases


print(f"load average before: {os.getloadavg()}")
for i, binary in enumerate(binaries):
    measure(binary, i)  # fills the binary's pair cache
samples = [[] for _ in binaries]
for _ in range(runs):
    for i, binary in enumerate(binaries):
        samples[i].append(measure(binary, i))
for binary, rows in zip(binaries, samples):
    keys = list(rows[0])
    medians = ", ".join(f"{k} {statistics.median(r[k] for r in rows if k in r):.2f} s" for k in keys)
    print(f"[{binary}] median of {runs}: {medians}")
    # On a VM whose neighbours steal cycles in bursts, the least disturbed run is the steadiest figure.
    least = ", ".join(f"{k} {min(r[k] for r in rows if k in r):.2f} s" for k in ["wall", "cpu", "recommended CPU"] if k in keys)
    print(f"[{binary}] least of {runs}: {least}")
print(f"load average after: {os.getloadavg()}")
shutil.rmtree(work, ignore_errors=True)
