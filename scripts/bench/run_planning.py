"""Times what a user waits for before `adaptest run` runs anything: planning the corpus and matrix, and a
filtered run of one case. Usage: python3 run_planning.py ADAPTEST_BINARY [ADAPTEST_BINARY ...] [--runs N]

Each binary (a release build: swift build -c release --product adaptest) runs from the current folder (a
checkout whose Corpus/ every binary can read: the older commit's, to compare two), in turn, N times each
(default 5); reported per binary and command: the median wall time and the median CPU time (user + system)
of the process. Binaries built from two commits, run side by side, give the before/after of a change on a
machine whose load changes.
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

args = sys.argv[1:]
runs = 5
if "--runs" in args:
    i = args.index("--runs")
    runs = int(args[i + 1])
    del args[i : i + 2]
binaries = args
out = tempfile.mkdtemp(prefix="run-planning-")
commands = {
    "run --list (corpus + whole matrix planned)": ["run", "--list"],
    "run --list --filter '^matrix/llama/'": ["run", "--list", "--filter", "^matrix/llama/"],
    "run --filter one matrix case, 3 profiles": [
        "run", "--filter", "^matrix/llama/same/lora/intact$", "--no-baseline", "--out", out,
    ],
}


def measure(cmd):
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


print(f"load average before: {os.getloadavg()}")
for name, command in commands.items():
    for binary in binaries:
        wall, cpu = measure([binary] + command)
        print(f"{name} [{binary}]: wall median {wall:.2f} s, CPU median {cpu:.2f} s")
print(f"load average after: {os.getloadavg()}")
