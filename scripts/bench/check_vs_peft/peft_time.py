"""PEFT 0.21 doing the work adaptest check predicts: import, meta-device model, from_pretrained.
Usage: $ADAPTEST_PYTHON peft_time.py BASE_DIR ADAPTER_DIR (prints a JSON line of phase timings)."""
import sys, time, json
t0 = time.perf_counter()
import torch, transformers, peft
from transformers import AutoConfig, AutoModelForCausalLM
from peft import PeftModel
t1 = time.perf_counter()
base, adapter = sys.argv[1], sys.argv[2]
config = AutoConfig.from_pretrained(base)
with torch.device("meta"):
    model = AutoModelForCausalLM.from_config(config)
t2 = time.perf_counter()
import warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    m = PeftModel.from_pretrained(model, adapter, low_cpu_mem_usage=True)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "build_meta": t2 - t1, "from_pretrained": t3 - t2, "total": t3 - t0,
                  "warnings": [str(x.message)[:80] for x in w]}))
