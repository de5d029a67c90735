"""The driver's side of the protocol: handshake, framing, bad input, shutdown."""

import os
import platform

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
    assert hello["versions"] == {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }
    capabilities = hello["capabilities"]
    assert capabilities["formats"] == ["safetensors"]
    assert capabilities["methods"] == ["from_pretrained", "load_adapter"]
    for tuner in ("LORA", "ADALORA", "LOHA", "LOKR", "IA3", "VERA", "PROMPT_TUNING"):
        assert tuner in capabilities["tuners"]
    assert capabilities["tuners"] == sorted(set(capabilities["tuners"]))


def test_garbage_line_gets_an_error_and_the_driver_keeps_serving(driver, models):
    driver.send_raw(b"this is not json\n")
    answer = driver.receive()
    assert answer == {
        "type": "error",
        "id": None,
        "error": {"kind": "ProtocolError", "message": answer["error"]["message"]},
    }
    assert "not JSON" in answer["error"]["message"]

    driver.send_raw(b"\xff\xfe\n")
    assert driver.receive()["error"]["kind"] == "ProtocolError"
    driver.send_raw(b"[1, 2]\n")
    assert driver.receive()["error"]["kind"] == "ProtocolError"

    result = driver.request(load_request("after-garbage", models["llama"], models["lora"]))
    assert result["type"] == "result"
    assert result["id"] == "after-garbage"
    assert result["outcome"]["error"] is None


def test_unknown_request_type_is_answered_for_its_id(driver):
    answer = driver.request({"type": "unload", "id": "case-7"})
    assert answer["type"] == "error"
    assert answer["id"] == "case-7"
    assert answer["error"]["kind"] == "ProtocolError"
    assert "unload" in answer["error"]["message"]


def test_malformed_load_request_is_answered_for_its_id(driver, models):
    request = load_request("bad-method", models["llama"], models["lora"], method="merge")
    answer = driver.request(request)
    assert (answer["type"], answer["id"]) == ("error", "bad-method")
    assert "merge" in answer["error"]["message"]

    request = load_request("no-loaded", models["llama"], models["lora"], method="load_adapter")
    answer = driver.request(request)
    assert (answer["type"], answer["id"]) == ("error", "no-loaded")

    request = load_request("bad-flag", models["llama"], models["lora"])
    request["ignore_mismatched_sizes"] = "yes"
    answer = driver.request(request)
    assert (answer["type"], answer["id"]) == ("error", "bad-flag")


def test_result_line_shape(driver, models):
    result = driver.request(load_request("shape", models["llama"], models["lora"]))
    assert set(result) == {"type", "id", "outcome", "elapsed_ms"}
    assert set(result["outcome"]) == {"missing_keys", "unexpected_keys", "error", "warnings", "log"}
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
