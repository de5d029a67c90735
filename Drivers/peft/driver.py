#!/usr/bin/env python3
"""Adaptest's PEFT driver: loads adapters with real PEFT and reports what happened.

A long-lived process speaking the driver protocol: JSON lines on stdin/stdout, free-form logging
on stderr. torch, transformers and peft are imported once at start-up; each `load` request then
builds the case's base model on CPU, loads the adapter(s) the way the request says and answers
with one `result` line (missing/unexpected keys, error, warnings, log records, time taken).

Run it with the interpreter of a venv made by setup-venv.sh:  <venv>/bin/python driver.py
`--api transformers` loads through transformers' own `model.load_adapter` (and, for the
`auto_from_pretrained` method, `AutoModelFor….from_pretrained(adapter_folder)`) instead of PeftModel
(transformers_loading.py); the driver then names itself `transformers` with transformers' version.
"""

import os
import signal
import sys
import time
import traceback

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

import scratch_space  # noqa: E402
from protocol import PROTOCOL_VERSION, Channel, ProtocolError, decode, request_id  # noqa: E402

# Temporary files live in one folder of this process (removed at exit, or by the next driver if
# this one is killed). JIT-built torch extensions (BOFT tries to build one) go there too, not to
# the user's cache.
scratch_space.remove_stale()
SCRATCH = scratch_space.create()
os.environ["TORCH_EXTENSIONS_DIR"] = os.path.join(SCRATCH, "torch-extensions")
# SIGTERM (the runner's polite stop) runs the exit handlers too.
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _api(argv):
    """`peft` (PeftModel.from_pretrained / load_adapter) or `transformers` (PeftAdapterMixin.load_adapter)."""
    for index, argument in enumerate(argv):
        if argument.startswith("--api="):
            return argument.split("=", 1)[1]
        if argument == "--api" and index + 1 < len(argv):
            return argv[index + 1]
    return "peft"


API = _api(sys.argv[1:])
if API not in ("peft", "transformers"):
    print(f"driver: unknown --api {API!r}; expected peft or transformers", file=sys.stderr)
    sys.exit(2)
if API == "transformers":
    # transformers 5's LOAD REPORT table adds a column when the terminal is wider than 200.
    os.environ["COLUMNS"] = "80"
    # `auto_from_pretrained` resolves the adapter's `base_model_name_or_path`: a Hub id must fail the
    # same way on every machine, not load from the user's Hub cache.
    os.environ["HF_HUB_CACHE"] = os.path.join(SCRATCH, "hub-cache")
DRIVER_NAME = API


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
    if API == "transformers":
        hf_logging.disable_progress_bar()  # load_adapter's "Loading weights" bar on stderr
    log(f"imported torch/transformers/peft in {time.perf_counter() - started:.2f} s")


def _version_of(distribution):
    try:
        from importlib import metadata

        return metadata.version(distribution)
    except Exception:
        return None


def hello_message():
    import platform

    import peft
    import safetensors
    import torch
    import transformers

    loading = _loading_module()

    mapping = getattr(peft, "PEFT_TYPE_TO_CONFIG_MAPPING", {})
    tuners = sorted(str(getattr(key, "value", key)) for key in mapping)
    versions = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "safetensors": safetensors.__version__,
    }
    for extra in ("accelerate", "huggingface_hub"):
        version = _version_of(extra)
        if version:
            versions[extra] = version
    reports = ["missing_keys", "unexpected_keys", "error", "error_type", "warnings"]
    if loading.REPORTS_MISMATCHED_KEYS:
        reports.insert(2, "mismatched_keys")
    options = ["strip_unknown_config_fields"]
    if loading.SUPPORTS_LOW_CPU_MEM_USAGE:
        options.insert(0, "low_cpu_mem_usage")
    if "auto_from_pretrained" in loading.METHODS:
        options.insert(0, "base_model_name_or_path")
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "name": DRIVER_NAME,
        "version": transformers.__version__ if API == "transformers" else peft.__version__,
        "versions": versions,
        "capabilities": {
            "formats": ["safetensors"],
            "tuners": tuners,
            "methods": list(loading.METHODS),
            "reports": reports,
            # transformers' own loading injects into the bare model: its keys lack `base_model.model.`.
            "key_naming": "model" if API == "transformers" else "peft_model",
            # Request fields beyond protocol 1 that this driver understands.
            "options": options,
        },
    }


def _loading_module():
    if API == "transformers":
        import transformers_loading

        return transformers_loading
    import adapter_loading

    return adapter_loading


def error_message(ident, message):
    return {"type": "error", "id": ident, "message": message}


def serve(channel):
    """Answers requests until shutdown or end of input; returns the exit status."""
    import adapter_loading

    runner = _loading_module().CaseRunner(scratch_root=SCRATCH)
    while True:
        line = channel.read_line()
        if line is None:
            log("end of input; exiting")
            return 0
        try:
            message = decode(line)
        except ProtocolError as error:
            log(f"bad request line: {error}")
            channel.send(error_message(None, f"bad request: {error}"))
            continue
        kind = message["type"]
        ident = request_id(message)
        if kind == "hello":
            if message.get("protocol") != PROTOCOL_VERSION:
                text = (
                    f"driver speaks protocol {PROTOCOL_VERSION}, "
                    f"runner asked for {message.get('protocol')!r}"
                )
                log(text)
                channel.send({"type": "error", "message": text})
                return 1
            channel.send(hello_message())
        elif kind == "load":
            started = time.perf_counter()
            try:
                request = adapter_loading.LoadRequest(message, _loading_module().METHODS)
                outcome = runner.run(request)
            except ProtocolError as error:
                channel.send(error_message(ident, f"bad load request: {error}"))
                continue
            except adapter_loading.DriverFailure as failure:
                log(f"{ident}: {failure}")
                channel.send(error_message(ident, str(failure)))
                continue
            except Exception as error:  # a driver bug must cost one case, not the process
                log(f"{ident}: internal error")
                traceback.print_exc(file=sys.stderr)
                channel.send(error_message(ident, f"driver error: {type(error).__name__}: {error}"))
                continue
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
            return 0
        else:
            channel.send(error_message(ident, f'unknown request type "{kind}"'))


def main():
    channel = Channel.take_over_stdio()
    import_stack()
    return serve(channel)


if __name__ == "__main__":
    sys.exit(main())
