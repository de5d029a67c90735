"""Resets the process-wide state through which one case could change the next one's outcome.

The driver serves many cases from one process, but a case's outcome must be what a fresh process
would report, whatever ran before it. Two library caches break that:

- transformers' `warning_once`/`info_once` are LRU caches: a message would be logged only for the
  first case that triggers it.
- torch's JIT extension versioner remembers every `torch.utils.cpp_extension.load` attempt. BOFT
  tries to build its CUDA extension on every layer it creates; the first attempt in a process
  fails with "Ninja is required…", every later one with "…fbd_cuda.so: cannot open shared object
  file" because the versioner thinks the build already ran.
"""


def reset():
    _reset_transformers_once_caches()
    _reset_torch_extension_versions()


def _reset_transformers_once_caches():
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    for name in ("warning_once", "info_once"):
        cache_clear = getattr(getattr(hf_logging, name, None), "cache_clear", None)
        if callable(cache_clear):
            cache_clear()


def _reset_torch_extension_versions():
    try:
        from torch.utils import cpp_extension
    except ImportError:
        return
    entries = getattr(getattr(cpp_extension, "JIT_EXTENSION_VERSIONER", None), "entries", None)
    if isinstance(entries, dict):
        entries.clear()
