"""`driver.py --api transformers`: transformers' own `model.load_adapter` (PeftAdapterMixin), no PeftModel.

Keys come back as the bare model names them (no `base_model.model.`, adapter name inserted). transformers 5
returns its LoadStateDictInfo and logs a LOAD REPORT; 4.x names the keys in one warning (missing keys only
when they contain `lora_` and the adapter name).
"""

import subprocess

import pytest
import transformers

from conftest import LLAMA_LAYERS, LLAMA_TARGETS
from driver_process import DRIVER, DriverProcess, interpreter, load_request

TRANSFORMERS_5 = int(transformers.__version__.split(".")[0]) >= 5


def bare_key(layer, module, matrix, adapter):
    return f"model.layers.{layer}.self_attn.{module}.lora_{matrix}.{adapter}.weight"


@pytest.fixture(scope="module")
def transformers_driver():
    process = DriverProcess(args=("--api", "transformers"))
    hello = process.handshake()
    yield process, hello
    process.close()


def test_hello_names_transformers_and_its_version(transformers_driver):
    _, hello = transformers_driver
    assert hello["name"] == "transformers"
    # Keys come back as the bare model names them; Adaptest compares expectations in that naming.
    assert hello["capabilities"]["key_naming"] == "model"
    assert hello["version"] == transformers.__version__
    assert set(hello["capabilities"]["methods"]) == {"from_pretrained", "load_adapter", "auto_from_pretrained"}
    assert "base_model_name_or_path" in hello["capabilities"]["options"]


def test_a_clean_load_reports_nothing(transformers_driver, models):
    process, _ = transformers_driver
    answer = process.request(load_request("clean", models["llama"], models["lora"], method="from_pretrained"))
    outcome = answer["outcome"]
    assert outcome["error"] is None
    assert outcome["missing_keys"] == [] and outcome["unexpected_keys"] == []


def test_a_dropped_lora_b_is_named_as_transformers_names_it(transformers_driver, models):
    process, _ = transformers_driver
    request = load_request("no-b", models["llama"], models["lora_no_b"], name="x", loaded=[("default", models["lora"])])
    outcome = process.request(request)["outcome"]
    assert outcome["error"] is None
    missing = outcome["missing_keys"]
    assert bare_key(0, "q_proj", "B", "x") in missing
    assert not any(key.startswith("base_model.") for key in missing)
    messages = [record["message"] for record in outcome["log"]]
    if TRANSFORMERS_5:
        # Every key with "lora" in it counts: the first adapter's weights are reported missing too.
        first = [bare_key(layer, module, m, "default") for layer in range(LLAMA_LAYERS) for module in LLAMA_TARGETS for m in "AB"]
        assert missing == sorted(first + [bare_key(0, "q_proj", "B", "x")])
        assert any("LlamaForCausalLM LOAD REPORT" in message for message in messages)
    else:
        assert missing == [bare_key(0, "q_proj", "B", "x")]
        assert any("led to missing keys in the model: " + bare_key(0, "q_proj", "B", "x") in m for m in messages)


def test_a_name_already_loaded_is_refused(transformers_driver, models):
    process, _ = transformers_driver
    request = load_request("twice", models["llama"], models["lora"], name="default", loaded=[("default", models["lora"])])
    error = process.request(request)["outcome"]["error"]
    assert error["kind"] == "adapter-name-conflict"
    assert error["message"] == "Adapter with name default already exists. Please use a different name."


def test_from_pretrained_on_the_adapter_folder_builds_the_base_it_names(transformers_driver, models):
    process, _ = transformers_driver
    request = load_request("auto", models["llama"], models["lora_no_b"], name="x", method="auto_from_pretrained")
    outcome = process.request(request)["outcome"]
    assert outcome["error"] is None
    # The same keys as load_adapter on a fresh base: only this adapter is in the model.
    assert outcome["missing_keys"] == [bare_key(0, "q_proj", "B", "x")]
    messages = "\n".join(record["message"] for record in outcome["log"])
    # The report names the folder the case gave, not the driver's copy of it.
    assert str(models["lora_no_b"]) in messages
    assert "adaptest-peft-driver-" not in messages


def test_the_adapter_folder_itself_is_left_unchanged(transformers_driver, models):
    process, _ = transformers_driver
    config = (models["lora"] / "adapter_config.json").read_bytes()
    process.request(load_request("auto-same", models["llama"], models["lora"], method="auto_from_pretrained"))
    assert (models["lora"] / "adapter_config.json").read_bytes() == config


@pytest.mark.parametrize(
    "reference, kind, error_type",
    [
        ("absent", "invalid-adapter-config", "KeyError"),
        ("null", "base-not-found", "OSError"),
        ("example-org/base-model-not-cached", "base-not-found", "OSError"),
    ],
)
def test_a_base_that_cannot_be_resolved_is_a_precise_error(transformers_driver, models, reference, kind, error_type):
    process, _ = transformers_driver
    request = load_request(
        f"auto-{kind}", models["llama"], models["lora"], method="auto_from_pretrained", base_model_name_or_path=reference)
    error = process.request(request)["outcome"]["error"]
    assert (error["kind"], error["type"]) == (kind, error_type)
    if kind == "base-not-found":
        assert error["message"].startswith("We couldn't connect to 'https://huggingface.co'")


def test_base_model_name_or_path_needs_the_auto_method(transformers_driver, models):
    process, _ = transformers_driver
    request = load_request("wrong", models["llama"], models["lora"], base_model_name_or_path="absent")
    answer = process.request(request)
    assert answer["type"] == "error"
    assert "auto_from_pretrained" in answer["message"]


def test_an_unknown_api_is_refused():
    result = subprocess.run([interpreter(), str(DRIVER), "--api", "nope"], input=b"", capture_output=True, timeout=120)
    assert result.returncode == 2
    assert b"unknown --api 'nope'" in result.stderr
