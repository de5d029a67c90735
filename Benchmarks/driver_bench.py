"""Cases per second through one real-PEFT driver process, with and without its base cache.

Usage: $ADAPTEST_PYTHON Benchmarks/driver_bench.py PAIRS_DIR [--cases N] [--rounds R]

PAIRS_DIR is a folder of generated pairs (each a folder with `base/` and `adapter/`), e.g. this
build's pair cache after an `adaptest run` (`$ADAPTEST_CACHE_DIR/pairs/GENERATOR`, see the README).
The first N pairs in name order (hash order, so architectures, tuners and mutations are mixed) are
sent as `from_pretrained` requests to `Drivers/peft/driver.py`, once with the base cache (the
default) and once with `ADAPTEST_PEFT_BASE_CACHE=0` (every base read from disk, which is what the
driver did on generated pairs while its cache was keyed by path: every pair has its own `base/`).
Each round starts a fresh process per variant. Reported: the median over rounds of cases per
second of wall time and of the driver process's own CPU time (user + system, from
/proc/PID/stat), which leaves out the time other processes hold the cores on a shared machine.
Start-up (imports, handshake) is not counted.
"""

import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "..", "Drivers", "peft", "driver.py")


def cpu_seconds(pid):
    """User + system CPU of a process so far (Linux)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pairs(root, count):
    found = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if os.path.isdir(os.path.join(folder, "base")) and os.path.isdir(os.path.join(folder, "adapter")):
            found.append(folder)
        if len(found) == count:
            break
    if not found:
        sys.exit(f"driver_bench: no pair folders (base/ + adapter/) in {root}")
    return found


def measure(folders, cache):
    env = dict(os.environ)
    env.pop("ADAPTEST_PEFT_BASE_CACHE", None)
    if cache is not None:
        env["ADAPTEST_PEFT_BASE_CACHE"] = cache
    process = subprocess.Popen([sys.executable, DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env)

    def ask(message):
        process.stdin.write((json.dumps(message) + "\n").encode())
        process.stdin.flush()
        answer = json.loads(process.stdout.readline())
        if answer.get("type") not in ("hello", "result"):
            sys.exit(f"driver_bench: unexpected answer {answer}")
        return answer

    try:
        ask({"type": "hello", "protocol": 1})
        # The driver re-executes itself once (PYTHONHASHSEED), so its pid is the same process.
        cpu_before, wall_before = cpu_seconds(process.pid), time.perf_counter()
        for index, folder in enumerate(folders):
            ask({"type": "load", "id": f"bench-{index}", "base": os.path.join(folder, "base"),
                 "adapter": os.path.join(folder, "adapter")})
        wall = time.perf_counter() - wall_before
        cpu = cpu_seconds(process.pid) - cpu_before
        ask_shutdown = {"type": "shutdown"}
        process.stdin.write((json.dumps(ask_shutdown) + "\n").encode())
        process.stdin.flush()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return len(folders) / wall, len(folders) / cpu


def main():
    args = sys.argv[1:]
    count = int(args[args.index("--cases") + 1]) if "--cases" in args else 400
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    folders = pairs(args[0], count)
    print(f"load average before: {os.getloadavg()}")
    results = {"cache": [], "no cache": []}
    for _ in range(rounds):
        results["cache"].append(measure(folders, None))
        results["no cache"].append(measure(folders, "0"))
    print(f"{len(folders)} pairs, median of {rounds} rounds, one driver process each")
    print("| driver | cases/s (wall) | cases per CPU-second |")
    print("|---|---:|---:|")
    for name, values in results.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"| {name} | {wall:.1f} | {cpu:.1f} |")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
