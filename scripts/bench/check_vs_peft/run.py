"""Times `adaptest check` against real PEFT on the real-size inputs made by make_bases.py / make_adapters.py.

Usage: python3 run.py ADAPTEST_BINARY PEFT_PYTHON INPUT_DIR [--runs N]
  ADAPTEST_BINARY  a release build of adaptest (swift build -c release --product adaptest)
  PEFT_PYTHON      an interpreter with torch, transformers and peft (the same as $ADAPTEST_PYTHON)
  INPUT_DIR        where make_bases.py and make_adapters.py wrote their folders

PEFT's time is what it needs for the same answer: import, build the model on the meta device,
PeftModel.from_pretrained(..., low_cpu_mem_usage=True). Reported: median and minimum wall time and the
median CPU time (user + system) of each process.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

adaptest, python, inputs = sys.argv[1], sys.argv[2], sys.argv[3]
runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 20
here = os.path.dirname(os.path.abspath(__file__))
env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def measure(cmd, n):
    walls, cpus = [], []
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=inputs)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), min(walls), statistics.median(cpus)


print(f"load average before: {os.getloadavg()}")
for base, adapter in [("llama-70b", "lora-llama-70b"), ("qwen3-moe-30b", "lora-qwen3-moe")]:
    for profile in ["peft", "recommended"]:
        med, low, cpu = measure([adaptest, "check", base, adapter, "--profile", profile], runs)
        print(f"adaptest check {base} ({profile}): wall median {med * 1e3:.0f} ms, min {low * 1e3:.0f} ms; CPU {cpu * 1e3:.0f} ms")
    med, low, cpu = measure([python, os.path.join(here, "peft_time.py"), base, adapter], 3)
    print(f"PEFT from_pretrained {base}: wall median {med:.2f} s, min {low:.2f} s; CPU {cpu:.2f} s")
print(f"load average after: {os.getloadavg()}")
