#!/usr/bin/env python3
"""Adaptest's PEFT driver: loads adapters with real PEFT and reports what happened.

A long-lived process speaking the driver protocol: JSON lines on stdin/stdout, free-form logging
on stderr. torch, transformers and peft are imported once at start-up; each `load` request then
builds the case's base model on CPU, loads the adapter(s) the way the request says and answers
with one `result` line (missing/unexpected keys, error, warnings, log records, time taken).

Run it with the interpreter of a venv made by setup-venv.sh:  <venv>/bin/python driver.py
"""

import os
import sys
import time

# PEFT keeps target_modules in a Python set, so the order in adapter configs and in messages
# depends on string hashing: pin it. The variable only takes effect at interpreter start-up, so
# re-execute once (the protocol's stdin/stdout are inherited unchanged).
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]])

# Nothing may be fetched from a hub; huggingface_hub reads these when it is imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from protocol import PROTOCOL_VERSION, Channel, ProtocolError, decode, request_id  # noqa: E402

DRIVER_NAME = "peft"


def log(message):
    print(f"driver: {message}", file=sys.stderr, flush=True)


def import_stack():
    """Imports the libraries under test once; exits with a one-line reason when they are absent."""
    started = time.perf_counter()
    try:
        import peft  # noqa: F401
        import safetensors  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as error:
        log(
            f"cannot import the PEFT stack ({error}); create a venv with "
            "Drivers/peft/setup-venv.sh <peft version> and run the driver with its python"
        )
        sys.exit(3)
    torch.set_num_threads(1)  # tiny models; threads only add contention on shared machines
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_warning()
    log(f"imported torch/transformers/peft in {time.perf_counter() - started:.2f} s")


def hello_message():
    import peft
    import platform
    import safetensors
    import torch
    import transformers

    import adapter_loading

    mapping = getattr(peft, "PEFT_TYPE_TO_CONFIG_MAPPING", {})
    tuners = sorted(str(getattr(key, "value", key)) for key in mapping)
    options = ["ignore_mismatched_sizes", "strip_unknown_config_fields"]
    if adapter_loading.SUPPORTS_LOW_CPU_MEM_USAGE:
        options.append("low_cpu_mem_usage")
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "name": DRIVER_NAME,
        "version": peft.__version__,
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "safetensors": safetensors.__version__,
            "python": platform.python_version(),
        },
        "capabilities": {
            "formats": ["safetensors"],
            "tuners": tuners,
            "methods": list(adapter_loading.METHODS),
            "options": sorted(options),
        },
    }


def error_message(ident, kind, message):
    return {"type": "error", "id": ident, "error": {"kind": kind, "message": message}}


def serve(channel):
    import adapter_loading

    runner = adapter_loading.CaseRunner()
    while True:
        line = channel.read_line()
        if line is None:
            log("end of input; exiting")
            return
        try:
            message = decode(line)
        except ProtocolError as error:
            log(f"bad request line: {error}")
            channel.send(error_message(None, "ProtocolError", str(error)))
            continue
        kind = message["type"]
        ident = request_id(message)
        if kind == "hello":
            if message.get("protocol") != PROTOCOL_VERSION:
                log(f"runner speaks protocol {message.get('protocol')!r}, driver {PROTOCOL_VERSION}")
            channel.send(hello_message())
        elif kind == "load":
            started = time.perf_counter()
            try:
                request = adapter_loading.LoadRequest(message)
            except ProtocolError as error:
                channel.send(error_message(ident, "ProtocolError", str(error)))
                continue
            outcome = runner.run(request)
            channel.send(
                {
                    "type": "result",
                    "id": request.id,
                    "outcome": outcome,
                    "elapsed_ms": adapter_loading.elapsed_ms(started),
                }
            )
        elif kind == "shutdown":
            log("shutdown requested")
            return
        else:
            channel.send(error_message(ident, "ProtocolError", f'unknown request type "{kind}"'))


def main():
    channel = Channel.take_over_stdio()
    import_stack()
    serve(channel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
