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

Methods:

- `from_pretrained`: `load_adapter` on a fresh base under the requested name;
- `load_adapter`: `load_adapter` for every `loaded` adapter, then for the adapter under test;
- `auto_from_pretrained`: transformers' other entry point, `AutoModelFor….from_pretrained(adapter_folder,
  adapter_name=…)`, which builds the base the folder's `adapter_config.json` names in
  `base_model_name_or_path` and then calls `load_adapter` on it. The driver loads a copy of the adapter
  folder (in its temporary folder) whose config names the case's base folder, or what the request's
  `base_model_name_or_path` says (`absent`, `null` or a name verbatim); the copy's path is replaced by the
  adapter's own path in what the call reports.
"""

import contextlib
import functools
import inspect
import json
import os
import shutil
import tempfile

import peft.utils as peft_utils
import transformers
from transformers.integrations.peft import PeftAdapterMixin

import adapter_loading
import base_models
import capture
from adapter_loading import DriverFailure, _keys_of, _LoadFailed, _log_traceback, _setup_failure

METHODS = adapter_loading.METHODS + ("auto_from_pretrained",)


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


@contextlib.contextmanager
def _recording_load_adapter_calls():
    """The values `load_adapter` returns (5.x: its LoadStateDictInfo) while the block runs; `from_pretrained`
    makes the call and drops the result."""
    results = []
    original = PeftAdapterMixin.load_adapter

    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        results.append(None)  # entered: whatever is raised from now on is the adapter's load
        results[-1] = original(self, *args, **kwargs)
        return results[-1]

    PeftAdapterMixin.load_adapter = wrapper
    try:
        yield results
    finally:
        PeftAdapterMixin.load_adapter = original


def _auto_class(base_dir):
    """The Auto class a user loads this base with (by the architecture's name suffix), else AutoModelForCausalLM."""
    try:
        config = base_models.read_config(base_dir)
    except base_models.BaseModelError:
        return transformers.AutoModelForCausalLM, {}
    architectures = config.get("architectures") or []
    name = architectures[0] if architectures and isinstance(architectures[0], str) else ""
    for suffix, auto_name in base_models._AUTO_BY_SUFFIX:
        if name.endswith(suffix):
            return getattr(transformers, auto_name), config
    if config.get("is_encoder_decoder"):
        return transformers.AutoModelForSeq2SeqLM, config
    return (transformers.AutoModel if name else transformers.AutoModelForCausalLM), config


def _pointed_copy(adapter_dir, folder, base_dir, reference):
    """Writes at `folder` a copy of `adapter_dir` (files linked) whose adapter_config.json names the base to
    build: `base` the case's base folder, `absent` no field, `null` JSON null, anything else verbatim.

    The config is written to a temporary name and renamed, so the copy is either complete or absent.
    """
    source = os.path.join(adapter_dir, "adapter_config.json")
    try:
        with open(source, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        raise DriverFailure(f"cannot read {source} to point it at the base: {error}") from error
    if not isinstance(config, dict):
        raise DriverFailure(f"{source} is not a JSON object")
    if reference == "absent":
        config.pop("base_model_name_or_path", None)
    else:
        config["base_model_name_or_path"] = {"base": os.path.abspath(base_dir), "null": None}.get(reference, reference)
    staging = folder + ".partial"
    try:
        os.makedirs(staging)
        for name in os.listdir(adapter_dir):
            if name != "adapter_config.json":
                os.symlink(os.path.abspath(os.path.join(adapter_dir, name)), os.path.join(staging, name))
        with open(os.path.join(staging, "adapter_config.json"), "w", encoding="utf-8") as handle:
            json.dump(config, handle, indent=2, sort_keys=True)
        os.rename(staging, folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise DriverFailure(f"cannot write a copy of {adapter_dir} pointing at its base: {error}") from error
    return folder


def _replaced(value, old, new):
    """`value` (JSON-like) with every occurrence of the text `old` in its strings replaced by `new`."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replaced(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _replaced(item, old, new) for key, item in value.items()}
    return value


class CaseRunner(adapter_loading.CaseRunner):
    """The PEFT driver's case runner with transformers' `load_adapter` as the call under test."""

    def run(self, request):
        if request.method != "auto_from_pretrained":
            outcome = super().run(request)
        else:
            self._pointed = None
            try:
                outcome = super().run(request)
                if self._pointed:
                    # Report the folder the case named, not the driver's copy of it.
                    outcome = _replaced(outcome, self._pointed, request.adapter)
            finally:
                if self._pointed:
                    shutil.rmtree(os.path.dirname(self._pointed), ignore_errors=True)
        if not REPORTS_MISMATCHED_KEYS:
            outcome.pop("mismatched_keys", None)
        return outcome

    def _load(self, request, seen, folders):
        if request.method == "auto_from_pretrained":
            return self._auto_from_pretrained(request, seen, folders)
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

    def _auto_from_pretrained(self, request, seen, folders):
        """`Auto….from_pretrained(copy, adapter_name=…)`: the base is built by the call itself (never cached)."""
        auto_class, config = _auto_class(request.base)
        self._pointed = os.path.join(tempfile.mkdtemp(prefix="case-", dir=self._scratch_root), "adapter")
        _pointed_copy(folders.get(request.adapter), self._pointed, request.base, request.base_model_name_or_path)
        kwargs = {base_models._DTYPE_KWARG: base_models.dtype_for(config)}
        if request.ignore_mismatched_sizes:
            kwargs["ignore_mismatched_sizes"] = True
        if request.low_cpu_mem_usage:
            kwargs["low_cpu_mem_usage"] = True
        with seen.recording(), _recording_load_adapter_calls() as calls, _recording_peft_results() as results:
            try:
                auto_class.from_pretrained(self._pointed, adapter_name=request.adapter_name, **kwargs)
            except Exception as error:
                _log_traceback(request, f"{auto_class.__name__}.from_pretrained of the adapter folder under test")
                raise _LoadFailed("load" if calls else "base-resolution", error) from error
        if RETURNS_LOAD_INFO:
            info = calls[-1]
            return _sorted_keys(info.missing_keys), _sorted_keys(info.unexpected_keys), _mismatched(info)
        missing, unexpected = _keys_of(results[-1] if results else None)
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
                raise _setup_failure(request, name, path, error) from error
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
