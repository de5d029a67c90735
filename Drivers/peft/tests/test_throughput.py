"""Cases per second through one driver process (printed; see the README for measured figures)."""

import os
import time

from driver_process import DriverProcess, load_request

CASES = 50


def _cases(models):
    adapters = ("lora", "lora_no_b", "lora_extra", "lora_rank8_a", "lora_future")
    bases = ("llama", "llama_resized")
    for i in range(CASES):
        adapter = models[adapters[i % len(adapters)]]
        base = models[bases[(i // len(adapters)) % len(bases)]]
        if i % 2:
            yield load_request(f"bench-{i}", base, adapter, name="other",
                               loaded=[("default", models["lora"])], strip_unknown_config_fields=True)
        else:
            yield load_request(f"bench-{i}", base, adapter, strip_unknown_config_fields=True)


def _measure(models, env=None):
    process = DriverProcess(env=env)
    try:
        process.handshake()
        started = time.perf_counter()
        answers = [process.request(request) for request in _cases(models)]
        elapsed = time.perf_counter() - started
    finally:
        process.shutdown()
    assert [answer["type"] for answer in answers] == ["result"] * CASES
    return CASES / elapsed


def test_cases_per_second(models, capsys):
    import peft

    cached = _measure(models)
    uncached = _measure(models, env=dict(os.environ, ADAPTEST_PEFT_BASE_CACHE="0"))
    with capsys.disabled():
        print(f"\npeft {peft.__version__}: {CASES} cases, {cached:.1f} cases/s with the base cache, "
              f"{uncached:.1f} cases/s reloading every base")
    # A loose floor: a case of these tiny models takes well under a second even on a busy machine.
    assert cached > 1.0 and uncached > 1.0
