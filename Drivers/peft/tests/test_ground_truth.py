"""The driver against the recorded PEFT ground truth.

The repository's ground-truth fixtures (Tests/AdapterLoadingTests/Fixtures/peft-ground-truth)
record what real PEFT returned, warned, logged and raised for each case, each case run in a fresh
process. Driving the same cases through the long-lived driver must give the same answers when the
installed versions are the recorded ones: this checks the driver's capture (keys, warnings, log
records, errors) and that serving many cases from one process does not change any outcome.

The fixture folder is found relative to this file, or through $ADAPTEST_PEFT_GROUND_TRUTH.
"""

import json
import os
import re
import site
import sys
import tempfile
from pathlib import Path

import pytest

from driver_process import DriverProcess

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(
    os.environ.get("ADAPTEST_PEFT_GROUND_TRUTH")
    or REPO_ROOT / "Tests" / "AdapterLoadingTests" / "Fixtures" / "peft-ground-truth"
)


def _recorded_versions():
    try:
        return json.loads((FIXTURES / "versions.json").read_text())
    except (OSError, ValueError):
        return None


def _case_files():
    return sorted((FIXTURES / "cases").glob("*.json")) if (FIXTURES / "cases").is_dir() else []


def _skip_reason():
    recorded = _recorded_versions()
    if recorded is None or not _case_files():
        return f"no ground-truth fixtures at {FIXTURES}"
    import peft
    import transformers

    installed = {"peft": peft.__version__, "transformers": transformers.__version__}
    if any(recorded.get(name) != version for name, version in installed.items()):
        return f"ground truth recorded with {recorded}, installed {installed}"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _substitutions():
    """The generator's message scrubbing, for the prefixes that can occur here."""
    pairs = [(str(FIXTURES.resolve()) + "/", ""), (str(FIXTURES.resolve()), ".")]
    for directory in site.getsitepackages():
        pairs.append((directory, "<site-packages>"))
    pairs += [(sys.prefix, "<venv>"), (str(Path.home()), "<home>")]
    return pairs


SUBSTITUTIONS = _substitutions()


def scrub(text):
    for prefix, replacement in SUBSTITUTIONS:
        text = text.replace(prefix, replacement)
    text = re.sub(
        re.escape(tempfile.gettempdir()) + r"/adaptest-peft-driver-[^/\s'\"]*/torch-extensions",
        "<torch_extensions_dir>",
        text,
    )
    return re.sub(r" at 0x[0-9a-fA-F]+", " at 0x<addr>", text)


def recorded_outcome(section, keys):
    """The comparable part of a recorded from_pretrained / load_adapter section."""
    error = section["error"]
    missing, unexpected = ([], []) if keys is None else (keys["missing_keys"], keys["unexpected_keys"])
    return {
        "missing_keys": missing,
        "unexpected_keys": unexpected,
        "error": None if error is None else {"type": error["type"], "message": error["message"]},
        "warnings": [{"category": w["category"], "message": w["message"]} for w in section["warnings"]],
        "log": [{"logger": r["logger"], "level": r["level"], "message": r["message"]} for r in section["log"]],
    }


def driver_outcome(outcome):
    error = outcome["error"]
    return {
        "missing_keys": outcome["missing_keys"],
        "unexpected_keys": outcome["unexpected_keys"],
        "error": None if error is None else {"type": error["type"], "message": scrub(error["message"])},
        "warnings": [{"category": w["category"], "message": scrub(w["message"])} for w in outcome["warnings"]],
        "log": [dict(r, message=scrub(r["message"])) for r in outcome["log"]],
    }


@pytest.fixture(scope="module")
def fixture_driver():
    # Run where the generator ran, so that paths in messages read the same.
    process = DriverProcess(cwd=FIXTURES)
    assert process.handshake()["type"] == "hello"
    yield process
    process.shutdown()


def _request(case, method):
    load = case["load"]
    request = {
        "type": "load",
        "id": f"{case['id']}[{method}]",
        "base": case["base"],
        "adapter": case["adapter"],
        "ignore_mismatched_sizes": load["ignore_mismatched_sizes"],
        "low_cpu_mem_usage": load["low_cpu_mem_usage"],
        "method": method,
    }
    if method == "from_pretrained":
        request.update(adapter_name=case["from_pretrained"]["adapter_name"], loaded=[])
    else:
        request.update(
            adapter_name=load["adapter_name"],
            loaded=[{"name": entry["name"], "path": entry["adapter"]} for entry in load["loaded"]],
        )
    return request


@pytest.mark.parametrize("case_file", _case_files(), ids=lambda path: path.stem)
def test_driver_matches_recorded_peft(fixture_driver, case_file):
    case = json.loads(case_file.read_text())

    recorded_fp = case["from_pretrained"]
    answer = fixture_driver.request(_request(case, "from_pretrained"))
    assert answer["type"] == "result", answer
    expected = recorded_outcome(recorded_fp, recorded_fp["internal_load_adapter_result"])
    assert driver_outcome(answer["outcome"]) == expected

    recorded_la = case["load_adapter"]
    if recorded_la is None:
        return
    answer = fixture_driver.request(_request(case, "load_adapter"))
    if recorded_la["setup"]["error"] is not None:
        assert answer["type"] == "error", answer
        return
    assert answer["type"] == "result", answer
    keys = None if recorded_la["missing_keys"] is None else recorded_la
    assert driver_outcome(answer["outcome"]) == recorded_outcome(recorded_la, keys)
