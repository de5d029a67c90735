"""Runs one load case through transformers' own adapter loading (`PeftAdapterMixin.load_adapter`).

The driver's `--api transformers` mode. The base model is a plain transformers model; adapters are
injected into it by `model.load_adapter(path, adapter_name=…)`, with no `PeftModel` wrapper, so
keys are named as the base model names them (`model.layers.0.self_attn.q_proj.lora_A.x.weight`).

What each transformers line reports:

- 5.x: `load_adapter` returns a `LoadStateDictInfo` (missing, unexpected and mismatched keys as
  sets); its LOAD REPORT table is logged as a warning and errors/mismatches raise after it.
- 4.x: `load_adapter` returns nothing. The keys it names are those of its one warning: every
  unexpected key of PEFT's `set_peft_model_state_dict`, and the missing keys that contain `lora_`
  and the adapter name. They are recorded by wrapping that function for the duration of the call.

The `from_pretrained` method is the call `from_pretrained(adapter_folder)` makes once it has built
the base: `load_adapter` on a fresh base under the requested name.
"""

import contextlib
import functools
import inspect

import peft.utils as peft_utils
import transformers

import adapter_loading
import capture
from adapter_loading import DriverFailure, _keys_of, _LoadFailed, _log_traceback

METHODS = adapter_loading.METHODS


def _major():
    digits = "".join(ch for ch in transformers.__version__.split(".")[0] if ch.isdigit())
    return int(digits) if digits else 0


# transformers 5 returns a LoadStateDictInfo; 4.x returns None and names the keys in a warning.
RETURNS_LOAD_INFO = _major() >= 5
_MIXIN = transformers.PreTrainedModel
SUPPORTS_IGNORE_MISMATCHED_SIZES = RETURNS_LOAD_INFO  # 4.x's load_adapter has no such parameter
SUPPORTS_LOW_CPU_MEM_USAGE = "low_cpu_mem_usage" in inspect.signature(_MIXIN.load_adapter).parameters
REPORTS_MISMATCHED_KEYS = RETURNS_LOAD_INFO


def version():
    return transformers.__version__


@contextlib.contextmanager
def _recording_peft_results():
    """4.x: the `_IncompatibleKeys` PEFT's `set_peft_model_state_dict` returns to `load_adapter`.

    transformers imports the function from `peft.utils` inside `load_adapter`, so replacing the
    module attribute for the call is enough.
    """
    results = []
    original = peft_utils.set_peft_model_state_dict

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        results.append(result)
        return result

    peft_utils.set_peft_model_state_dict = wrapper
    try:
        yield results
    finally:
        peft_utils.set_peft_model_state_dict = original


def _sorted_keys(keys):
    return sorted(str(key) for key in keys or ())


def _mismatched(info):
    return [
        {
            "key": str(key),
            "checkpoint_shape": [int(n) for n in checkpoint_shape],
            "model_shape": [int(n) for n in model_shape],
        }
        for key, checkpoint_shape, model_shape in sorted(info.mismatched_keys or (), key=lambda item: str(item[0]))
    ]


class CaseRunner(adapter_loading.CaseRunner):
    """The PEFT driver's case runner with transformers' `load_adapter` as the call under test."""

    def run(self, request):
        outcome = super().run(request)
        if not REPORTS_MISMATCHED_KEYS:
            outcome.pop("mismatched_keys", None)
        return outcome

    def _load(self, request, seen, folders):
        base = self._base(request, seen)
        adapter = folders.get(request.adapter)
        kwargs = self._load_kwargs(request)
        model = self._set_up_loaded(request, base, folders) if request.method == "load_adapter" else base

        if RETURNS_LOAD_INFO:
            with seen.recording():
                info = self._under_test(request, model, adapter, kwargs)
            return _sorted_keys(info.missing_keys), _sorted_keys(info.unexpected_keys), _mismatched(info)

        with seen.recording(), _recording_peft_results() as results:
            self._under_test(request, model, adapter, kwargs)
        missing, unexpected = _keys_of(results[-1] if results else None)
        # 4.x's warning names only these missing keys.
        named = [key for key in missing if "lora_" in key and request.adapter_name in key]
        return sorted(named), sorted(unexpected), []

    @staticmethod
    def _under_test(request, model, adapter, kwargs):
        try:
            return model.load_adapter(adapter, adapter_name=request.adapter_name, **kwargs)
        except Exception as error:
            _log_traceback(request, f"{request.method} of the adapter under test")
            raise _LoadFailed("load", error) from error

    @staticmethod
    def _set_up_loaded(request, base, folders):
        """`load_adapter` for every `loaded` adapter in order (transformers has no other way in)."""
        for name, path in request.loaded:
            try:
                with capture.Capture().recording():
                    base.load_adapter(folders.get(path), adapter_name=name)
            except Exception as error:
                _log_traceback(request, f"loading the already-loaded adapter '{name}'")
                raise DriverFailure(
                    f"could not load the already-loaded adapter '{name}' from {path}: "
                    f"{type(error).__name__}: {error}"
                ) from error
        return base

    @staticmethod
    def _load_kwargs(request):
        kwargs = {}
        if request.ignore_mismatched_sizes:
            if not SUPPORTS_IGNORE_MISMATCHED_SIZES:
                raise DriverFailure(
                    f"transformers {transformers.__version__}'s load_adapter has no ignore_mismatched_sizes option")
            kwargs["ignore_mismatched_sizes"] = True
        if request.low_cpu_mem_usage:
            if not SUPPORTS_LOW_CPU_MEM_USAGE:
                raise DriverFailure(f"transformers {transformers.__version__}'s load_adapter has no low_cpu_mem_usage option")
            kwargs["low_cpu_mem_usage"] = True
        return kwargs
