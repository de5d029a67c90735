"""The driver's side of the protocol: handshake, framing, bad input, shutdown."""

import os
import platform
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from driver_process import DriverProcess, load_request


def test_handshake_names_the_installed_stack(driver):
    import peft
    import safetensors
    import torch
    import transformers

    hello = driver.request({"type": "hello", "protocol": 1})
    assert hello["type"] == "hello"
    assert hello["protocol"] == 1
    assert hello["name"] == "peft"
    assert hello["version"] == peft.__version__
    versions = hello["versions"]
    assert {key: versions[key] for key in ("python", "torch", "transformers", "peft", "safetensors")} == {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "safetensors": safetensors.__version__,
    }
    capabilities = hello["capabilities"]
    assert capabilities["formats"] == ["safetensors"]
    assert capabilities["methods"] == ["from_pretrained", "load_adapter"]
    for tuner in ("LORA", "ADALORA", "LOHA", "LOKR", "IA3", "VERA", "PROMPT_TUNING"):
        assert tuner in capabilities["tuners"]
    assert capabilities["tuners"] == sorted(set(capabilities["tuners"]))
    assert capabilities["key_naming"] == "peft_model"
    for field in ("missing_keys", "unexpected_keys", "mismatched_keys", "error", "warnings"):
        assert field in capabilities["reports"]


def test_unsupported_protocol_version_is_refused(fresh_driver):
    answer = fresh_driver.request({"type": "hello", "protocol": 2}, timeout=180)
    assert answer["type"] == "error"
    assert "protocol" in answer["message"]
    assert fresh_driver.proc.wait(timeout=60) != 0


def test_garbage_line_gets_an_error_and_the_driver_keeps_serving(driver, models):
    driver.send_raw(b"this is not json\n")
    answer = driver.receive()
    assert set(answer) == {"type", "id", "message"}
    assert (answer["type"], answer["id"]) == ("error", None)
    assert "not JSON" in answer["message"]

    for line in (b"\xff\xfe\n", b"[1, 2]\n", b"{}\n", b"\n"):
        driver.send_raw(line)
        assert driver.receive()["type"] == "error"

    result = driver.request(load_request("after-garbage", models["llama"], models["lora"]))
    assert result["type"] == "result"
    assert result["id"] == "after-garbage"
    assert result["outcome"]["error"] is None


def test_unknown_request_type_is_answered_for_its_id(driver):
    answer = driver.request({"type": "unload", "id": "case-7"})
    assert (answer["type"], answer["id"]) == ("error", "case-7")
    assert "unload" in answer["message"]


def test_malformed_load_request_is_answered_for_its_id(driver, models):
    request = load_request("bad-method", models["llama"], models["lora"], method="merge")
    answer = driver.request(request)
    assert (answer["type"], answer["id"]) == ("error", "bad-method")
    assert "merge" in answer["message"]

    request = load_request("no-loaded", models["llama"], models["lora"], method="load_adapter")
    answer = driver.request(request)
    assert (answer["type"], answer["id"]) == ("error", "no-loaded")

    request = load_request("bad-flag", models["llama"], models["lora"])
    request["ignore_mismatched_sizes"] = "yes"
    answer = driver.request(request)
    assert (answer["type"], answer["id"]) == ("error", "bad-flag")


def test_unknown_request_fields_are_ignored(driver, models):
    request = load_request("extra-fields", models["llama"], models["lora"])
    request["future_option"] = {"anything": [1, 2]}
    answer = driver.request(request)
    assert answer["type"] == "result" and answer["outcome"]["error"] is None


def test_missing_folders_are_driver_side_failures(driver, models):
    absent = models["root"] / "absent"
    for case_id, request in (
        ("no-base", load_request("no-base", absent, models["lora"])),
        ("no-adapter", load_request("no-adapter", models["llama"], absent)),
        ("no-loaded", load_request("no-loaded", models["llama"], models["lora"],
                                   name="other", loaded=[("default", absent)])),
    ):
        answer = driver.request(request)
        assert (answer["type"], answer["id"]) == ("error", case_id)
        assert str(absent) in answer["message"]


def test_result_line_shape(driver, models):
    result = driver.request(load_request("shape", models["llama"], models["lora"]))
    assert set(result) == {"type", "id", "outcome", "elapsed_ms"}
    assert set(result["outcome"]) == {
        "missing_keys", "unexpected_keys", "mismatched_keys", "error", "warnings", "log",
    }
    assert isinstance(result["elapsed_ms"], float) and result["elapsed_ms"] > 0
    for warning in result["outcome"]["warnings"]:
        assert set(warning) == {"category", "message"}


def test_shutdown_ends_the_process_without_further_output(fresh_driver):
    assert fresh_driver.handshake()["type"] == "hello"
    fresh_driver.send({"type": "shutdown"})
    assert fresh_driver.proc.wait(timeout=60) == 0
    assert fresh_driver.pending_output() == []


def test_end_of_input_ends_the_process(fresh_driver):
    assert fresh_driver.handshake()["type"] == "hello"
    fresh_driver.proc.stdin.close()
    assert fresh_driver.proc.wait(timeout=60) == 0


def test_library_output_never_reaches_the_protocol_stream(tmp_path, models):
    # A sitecustomize hook prints (through sys.stdout and straight to fd 1) whenever peft or
    # transformers modules are imported, which happens after the driver started.
    (tmp_path / "sitecustomize.py").write_text(
        "import os, sys\n"
        "class _Noisy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('peft', 'transformers'):\n"
        "            print('noisy import of', name)\n"
        "            os.write(1, b'raw write to fd 1\\n')\n"
        "        return None\n"
        "sys.meta_path.insert(0, _Noisy())\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    process = DriverProcess(env=env)
    try:
        assert process.handshake()["type"] == "hello"
        result = process.request(load_request("noisy", models["llama"], models["lora"]))
        assert result["id"] == "noisy" and result["outcome"]["error"] is None
        process.send({"type": "shutdown"})
        assert process.proc.wait(timeout=60) == 0
        assert process.pending_output() == []
        assert "noisy import of peft" in process.stderr_tail(limit=10**7)
        assert "raw write to fd 1" in process.stderr_tail(limit=10**7)
    finally:
        process.close()


def _driver_folders():
    root = Path(tempfile.gettempdir())
    return {path.name for path in root.glob("adaptest-peft-driver-*")}


def test_temporary_folders_are_removed(models):
    # A folder left by a driver that was killed: its pid no longer runs.
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    stale = Path(tempfile.gettempdir()) / f"adaptest-peft-driver-{finished.stdout.strip()}-stale"
    (stale / "case-1").mkdir(parents=True)
    before = _driver_folders()

    process = DriverProcess()
    try:
        process.handshake()
        assert not stale.exists()
        answer = process.request(load_request("temp", models["llama"], models["lora_future"],
                                              strip_unknown_config_fields=True))
        assert answer["type"] == "result"
        own = _driver_folders() - before
        assert len(own) == 1 and next(iter(own)).startswith(f"adaptest-peft-driver-{process.proc.pid}-")
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=60) == 128 + signal.SIGTERM
        assert _driver_folders() - before == set()
    finally:
        process.close()
