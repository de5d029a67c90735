"""Times what a user waits for before `adaptest run` runs anything: planning the corpus and matrix, and a
filtered run of one case. Usage: python3 run_planning.py ADAPTEST_BINARY [ADAPTEST_BINARY ...] [--runs N]

Each binary (a release build: swift build -c release --product adaptest) runs from the current folder (a
checkout whose Corpus/ every binary can read: the older commit's, to compare two), in turn, N times each
(default 5), the binaries taking turns run by run; reported per binary and command: the median wall time and
the median CPU time (user + system) of the process. Binaries built from two commits, run in turn, give the
before/after of a change on a machine whose load changes.
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


def timed(cmd):
    """One run's wall and CPU (user + system) seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


print(f"load average before: {os.getloadavg()}")
for name, command in commands.items():
    # The binaries take turns, one run each, the order reversed every round: run in blocks, a change in the
    # machine's load (this VM's speed moves by a third within minutes) was taken for a difference between them.
    walls = {binary: [] for binary in binaries}
    cpus = {binary: [] for binary in binaries}
    for round_index in range(runs):
        for binary in binaries if round_index % 2 == 0 else list(reversed(binaries)):
            wall, cpu = timed([binary] + command)
            walls[binary].append(wall)
            cpus[binary].append(cpu)
    for binary in binaries:
        print(
            f"{name} [{binary}]: wall median {statistics.median(walls[binary]):.3f} s, "
            f"CPU median {statistics.median(cpus[binary]):.3f} s"
        )
print(f"load average after: {os.getloadavg()}")
