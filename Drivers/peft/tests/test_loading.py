"""What the driver reports for known load scenarios, per the PEFT semantics of the installed
version (PEFT <= 0.13 returns torch's unfiltered keys; 0.14 added the adapter-key filter)."""

import pytest

from conftest import LLAMA_LAYERS, LLAMA_TARGETS, lora_key, peft_version
from driver_process import load_request

# PR #2084 (first released in 0.14.0) filters missing keys to the loaded adapter's own keys.
FILTERED = peft_version() >= (0, 14)
# PR #2118 (0.14.0): from_pretrained warns about missing adapter keys.
WARNS_MISSING = peft_version() >= (0, 14)
# 0.14.0's warning has no final period; #2254 (0.15.0) rebuilt the message and added one.
MISSING_WARNING_END = "." if peft_version() >= (0, 15) else ""
# PEFT <= 0.13 passes every adapter_config.json field to the config constructor.
STRICT_CONFIG = peft_version() <= (0, 13)
# #3490 (0.21): unknown checkpoint keys keep their checkpoint name; before, the adapter name
# was inserted after the tuner-prefixed segment.
STRUCTURAL_KEYS = peft_version() >= (0, 21)

METHODS = ("from_pretrained", "load_adapter")


def adapter_name_for(method):
    return "default" if method == "from_pretrained" else "other"


def loaded_for(method, models):
    return [] if method == "from_pretrained" else [("default", models["lora"])]


def all_lora_keys(adapter):
    return [
        lora_key(layer, module, matrix, adapter)
        for layer in range(LLAMA_LAYERS)
        for module in LLAMA_TARGETS
        for matrix in "AB"
    ]


def llama_base_keys(base_folder):
    """Every state-dict key of the base inside a PeftModel (targeted weights move to base_layer)."""
    from transformers import LlamaForCausalLM

    keys = []
    for key in LlamaForCausalLM.from_pretrained(str(base_folder)).state_dict():
        module = key.rsplit(".", 2)[-2] if key.count(".") >= 2 else ""
        if module in LLAMA_TARGETS:
            key = key[: -len(".weight")] + ".base_layer.weight"
        keys.append("base_model.model." + key)
    return keys


def unfiltered_missing(base_folder, method, extra=()):
    """torch's raw missing keys: all base weights, the other loaded adapter's keys, `extra`."""
    keys = set(llama_base_keys(base_folder))
    if method == "load_adapter":
        keys |= set(all_lora_keys("default"))
    return keys | set(extra)


def run(driver, case_id, base, adapter, method, **options):
    request = load_request(
        case_id, base, adapter,
        name=adapter_name_for(method),
        loaded=options.pop("loaded", None) or [],
        method=method,
        **options,
    )
    result = driver.request(request)
    assert result["type"] == "result" and result["id"] == case_id, result
    return result["outcome"]


def missing_adapter_warnings(outcome):
    return [w for w in outcome["warnings"] if "Found missing adapter keys" in w["message"]]


@pytest.mark.parametrize("method", METHODS)
def test_clean_lora_load(driver, models, method):
    outcome = run(driver, f"clean-{method}", models["llama"], models["lora"], method,
                  loaded=loaded_for(method, models))
    assert outcome["error"] is None
    assert outcome["unexpected_keys"] == []
    if FILTERED:
        assert outcome["missing_keys"] == []
    else:
        assert set(outcome["missing_keys"]) == unfiltered_missing(models["llama"], method)
        assert len(outcome["missing_keys"]) == len(set(outcome["missing_keys"]))
    assert missing_adapter_warnings(outcome) == []


@pytest.mark.parametrize("method", METHODS)
def test_resized_vocabulary_base(driver, models, method):
    # Issue #1932: the adapter has no embeddings; the base's vocabulary grew after training.
    outcome = run(driver, f"resized-{method}", models["llama_resized"], models["lora"], method,
                  loaded=loaded_for(method, models))
    assert outcome["error"] is None
    assert outcome["unexpected_keys"] == []
    if FILTERED:
        assert outcome["missing_keys"] == []
    else:
        expected = unfiltered_missing(models["llama_resized"], method)
        assert "base_model.model.model.embed_tokens.weight" in expected
        assert "base_model.model.lm_head.weight" in expected
        assert set(outcome["missing_keys"]) == expected


@pytest.mark.parametrize("method", METHODS)
def test_dropped_lora_b(driver, models, method):
    name = adapter_name_for(method)
    dropped = lora_key(0, "q_proj", "B", name)
    outcome = run(driver, f"no-b-{method}", models["llama"], models["lora_no_b"], method,
                  loaded=loaded_for(method, models))
    assert outcome["error"] is None
    assert outcome["unexpected_keys"] == []
    if FILTERED:
        assert outcome["missing_keys"] == [dropped]
    else:
        assert set(outcome["missing_keys"]) == unfiltered_missing(models["llama"], method, [dropped])
    warned = missing_adapter_warnings(outcome)
    if method == "from_pretrained" and WARNS_MISSING:
        assert warned == [{
            "category": "UserWarning",
            "message": "Found missing adapter keys while loading the checkpoint: "
            f"['{dropped}']{MISSING_WARNING_END}",
        }]
    else:
        assert warned == []


@pytest.mark.skipif(not FILTERED, reason="the unfiltered list holds every base weight as well")
def test_dropped_lora_b_with_low_cpu_mem_usage(driver, models):
    outcome = run(driver, "no-b-low-mem", models["llama"], models["lora_no_b"], "load_adapter",
                  loaded=loaded_for("load_adapter", models), low_cpu_mem_usage=True)
    assert outcome["error"] is None
    assert outcome["missing_keys"] == [lora_key(0, "q_proj", "B", "other")]


@pytest.mark.parametrize("method", METHODS)
def test_size_mismatch_raises(driver, models, method):
    name = adapter_name_for(method)
    outcome = run(driver, f"mismatch-{method}", models["llama"], models["lora_rank8_a"], method,
                  loaded=loaded_for(method, models))
    error = outcome["error"]
    assert error is not None
    assert (error["kind"], error["type"], error["format_error"]) == ("size-mismatch", "RuntimeError", None)
    assert error["phase"] == "load"
    assert error["message"].startswith("Error(s) in loading state_dict for ")
    assert (
        f"size mismatch for {lora_key(0, 'q_proj', 'A', name)}: copying a param with shape "
        "torch.Size([8, 16]) from checkpoint, the shape in current model is torch.Size([4, 16])."
    ) in error["message"]
    assert outcome["missing_keys"] == [] and outcome["unexpected_keys"] == []
    assert outcome["mismatched_keys"] == []


@pytest.mark.parametrize("method", METHODS)
def test_size_mismatch_ignored(driver, models, method):
    name = adapter_name_for(method)
    key = lora_key(0, "q_proj", "A", name)
    outcome = run(driver, f"mismatch-ignored-{method}", models["llama"], models["lora_rank8_a"],
                  method, loaded=loaded_for(method, models), ignore_mismatched_sizes=True)
    assert outcome["error"] is None
    mismatch = [w for w in outcome["warnings"] if w["message"].startswith("Some weights of ")]
    assert len(mismatch) == 1 and mismatch[0]["category"] == "UserWarning"
    assert (
        f"- {key}: found shape torch.Size([8, 16]) in the checkpoint and torch.Size([4, 16]) "
        "in the model instantiated"
    ) in mismatch[0]["message"]
    assert outcome["mismatched_keys"] == [
        {"key": key, "checkpoint_shape": [8, 16], "model_shape": [4, 16]}
    ]
    if FILTERED:
        assert outcome["missing_keys"] == [key]
    else:
        assert set(outcome["missing_keys"]) == unfiltered_missing(models["llama"], method, [key])


@pytest.mark.parametrize("method", METHODS)
def test_unknown_checkpoint_key_is_unexpected(driver, models, method):
    name = adapter_name_for(method)
    outcome = run(driver, f"extra-{method}", models["llama"], models["lora_extra"], method,
                  loaded=loaded_for(method, models))
    assert outcome["error"] is None
    prefix = "base_model.model.model.layers.0.self_attn.q_proj.lora_C"
    expected = f"{prefix}.weight" if STRUCTURAL_KEYS else f"{prefix}.{name}.weight"
    assert outcome["unexpected_keys"] == [expected]
    if FILTERED:
        assert outcome["missing_keys"] == []
    assert [w for w in outcome["warnings"] if "lora_C" in w["message"]] == []


@pytest.mark.parametrize("strip", [False, True])
def test_config_field_unknown_to_this_peft(driver, models, strip):
    outcome = run(driver, f"future-config-{strip}", models["llama"], models["lora_future"],
                  "from_pretrained", strip_unknown_config_fields=strip)
    mentions = [w for w in outcome["warnings"] if "adaptest_future_field" in w["message"]]
    if STRICT_CONFIG and not strip:
        assert (outcome["error"]["kind"], outcome["error"]["type"]) == ("invalid-adapter-config", "TypeError")
        assert "unexpected keyword argument 'adaptest_future_field'" in outcome["error"]["message"]
        return
    assert outcome["error"] is None
    assert outcome["unexpected_keys"] == []
    if strip or STRICT_CONFIG:
        assert mentions == []
    else:
        assert len(mentions) == 1
        assert mentions[0]["message"].startswith(
            "Unexpected keyword arguments ['adaptest_future_field'] for class LoraConfig, "
            "these are ignored."
        )


@pytest.mark.parametrize("family", ["t5", "bert"])
def test_other_architectures_get_their_model_class(driver, models, family):
    # A base built with the wrong head class would have other state-dict paths
    # (e.g. BertModel lacks the `bert.` prefix), turning every adapter key unexpected.
    outcome = run(driver, f"{family}-clean", models[family], models[f"{family}_lora"],
                  "from_pretrained")
    assert outcome["error"] is None
    assert outcome["unexpected_keys"] == []
    if FILTERED:
        assert outcome["missing_keys"] == []
    else:
        assert outcome["missing_keys"] != []
        assert all(".lora_" not in key for key in outcome["missing_keys"])


def test_base_folder_without_config_is_a_base_error(driver, models):
    outcome = run(driver, "no-config", models["base_without_config"], models["lora"], "from_pretrained")
    error = outcome["error"]
    assert (error["kind"], error["phase"]) == ("invalid-base-config", "base")
    assert "config.json" in error["message"]


def test_failing_setup_adapter_is_a_driver_side_failure(driver, models):
    request = load_request("bad-setup", models["llama"], models["lora"], name="other",
                           loaded=[("default", models["lora_rank8_a"])])
    answer = driver.request(request)
    assert (answer["type"], answer["id"]) == ("error", "bad-setup")
    assert answer["message"].startswith("could not load the already-loaded adapter 'default'")
    assert "size mismatch" in answer["message"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("damage, variant", [
    ("header_too_large", "HeaderTooLarge"),
    ("truncated", "MetadataIncompleteBuffer"),
    ("invalid_json", "InvalidHeaderDeserialization"),
])
def test_malformed_adapter_weights_are_format_errors(driver, models, method, damage, variant):
    outcome = run(driver, f"{damage}-{method}", models["llama"], models[f"lora_{damage}"], method,
                  loaded=loaded_for(method, models))
    error = outcome["error"]
    assert (error["kind"], error["format_error"], error["phase"]) == ("format-error", variant, "load")
    assert error["type"] == "SafetensorError"


def test_repeated_case_gives_identical_outcome(driver, models):
    outcomes = [
        run(driver, f"repeat-{i}", models["llama"], models["lora_no_b"], "from_pretrained")
        for i in range(2)
    ]
    assert outcomes[0] == outcomes[1]
    if WARNS_MISSING:
        assert len(missing_adapter_warnings(outcomes[1])) == 1
