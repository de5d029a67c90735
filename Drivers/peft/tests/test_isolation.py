"""A case's outcome does not depend on what the driver process ran before it.

The driver reuses one process for many cases and hands out copies of cached bases (keyed by the
base folder's content), so state could leak from case to case: a base mutated by PEFT, warn-once
caches, the random generator, a base loaded from another folder with the same files. These tests
run one set of cases in several orders through one long-lived process and require every outcome to
be byte-identical to the one a process without the base cache gives, whose every case loads its
base from disk.
"""

import json
import os
import random
import shutil

import pytest

from driver_process import DriverProcess, load_request


@pytest.fixture(scope="module")
def folders(models, tmp_path_factory):
    """The session's models plus bases that share content under other paths.

    `llama_copy` holds the same files as `llama`; `unmatched_a`/`unmatched_b` are two copies of a
    Llama checkpoint without `lm_head.weight` and with one extra tensor, whose loading logs a
    report naming the folder it loaded.
    """
    from safetensors.torch import load_file, save_file

    root = tmp_path_factory.mktemp("isolation")
    paths = dict(models)
    paths["llama_copy"] = root / "llama-copy"
    shutil.copytree(models["llama"], paths["llama_copy"])
    unmatched = root / "unmatched-a"
    shutil.copytree(models["llama"], unmatched)
    weights = unmatched / "model.safetensors"
    tensors = load_file(str(weights))
    tensors.pop("lm_head.weight")
    tensors["extra.weight"] = tensors["model.norm.weight"].clone()
    save_file(tensors, str(weights), metadata={"format": "pt"})
    paths["unmatched_a"] = unmatched
    paths["unmatched_b"] = root / "unmatched-b"
    shutil.copytree(unmatched, paths["unmatched_b"])
    return paths


def _cases(paths):
    """Cases over every kind of outcome: clean loads, key differences, errors, warnings, logs."""
    cases = []

    def add(base, adapter, **options):
        cases.append(load_request(f"case-{len(cases)}", paths[base], paths[adapter], **options))

    for base in ("llama", "llama_copy", "llama_resized", "unmatched_a", "unmatched_b"):
        for adapter in ("lora", "lora_no_b", "lora_extra", "lora_rank8_a"):
            add(base, adapter)
        add(base, "lora_rank8_a", ignore_mismatched_sizes=True)
        add(base, "lora", name="other", loaded=[("default", paths["lora"])])
        add(base, "lora_future")
        add(base, "lora_future", strip_unknown_config_fields=True)
    add("llama", "lora_truncated")
    add("llama", "lora_invalid_json")
    add("base_without_config", "lora")
    add("t5", "t5_lora")
    add("t5", "lora")
    add("bert", "bert_lora")
    add("bert", "lora", name="other", loaded=[("default", paths["bert_lora"])])
    return cases


def _orders(count):
    natural = list(range(count))
    orders = {"natural": natural, "reversed": natural[::-1]}
    for seed in (1, 2):
        shuffled = natural[:]
        random.Random(seed).shuffle(shuffled)
        orders[f"shuffled-{seed}"] = shuffled
    # Every case right after itself: a copy of the same cached base twice in a row.
    orders["doubled"] = [index for index in natural for _ in range(2)]
    return orders


def _outcome_bytes(answer):
    """The answer without its timing, as canonical JSON bytes."""
    assert answer["type"] == "result", answer
    return json.dumps(answer["outcome"], sort_keys=True, ensure_ascii=False).encode("utf-8")


def _run(process, cases, order):
    return [(index, _outcome_bytes(process.request(cases[index]))) for index in order]


def test_outcomes_do_not_depend_on_the_order_or_the_base_cache(folders):
    cases = _cases(folders)
    reference_process = DriverProcess(env=_env(cache="0"))
    try:
        reference_process.handshake()
        reference = dict(_run(reference_process, cases, range(len(cases))))
    finally:
        reference_process.shutdown()

    # The default cache holds every base of these cases; a cache of 2 evicts on most cases.
    for cache in ("32", "2"):
        process = DriverProcess(env=_env(cache=cache))
        try:
            process.handshake()
            for name, order in _orders(len(cases)).items():
                for index, outcome in _run(process, cases, order):
                    assert outcome == reference[index], (
                        f"cache {cache}, order {name}: {cases[index]['id']} ({cases[index]['base']} + "
                        f"{cases[index]['adapter']}) differs from a load without the cache"
                    )
        finally:
            process.shutdown()


def test_a_base_shared_by_content_reports_its_own_folder(folders, driver):
    """Loading `unmatched_b` right after `unmatched_a` (the same files, so one cached model):
    what loading logged names b, as loading b from disk does, and never a."""
    for base, other in (("unmatched_a", "unmatched_b"), ("unmatched_b", "unmatched_a")):
        answer = driver.request(load_request(f"report-{base}", folders[base], folders["lora"]))
        assert answer["type"] == "result", answer
        outcome = answer["outcome"]
        messages = [record["message"] for record in outcome["log"] + outcome["warnings"]]
        assert any(str(folders[base]) in message for message in messages), messages
        assert not any(str(folders[other]) in message for message in messages), messages


def _env(cache):
    env = dict(os.environ)
    env["ADAPTEST_PEFT_BASE_CACHE"] = cache
    return env
