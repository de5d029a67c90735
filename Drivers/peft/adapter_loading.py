"""Runs one load case through real PEFT and reports what it returned, warned, logged or raised."""

import contextlib
import functools
import inspect
import shutil
import sys
import tempfile
import time
import traceback

import torch
from peft import PeftModel

import capture
import config_strip
from base_models import BaseCache
from protocol import ProtocolError

METHODS = ("from_pretrained", "load_adapter")


def _accepts(function, name):
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters


# Feature detection: keyword arguments this PEFT's entry points take explicitly.
SUPPORTS_LOW_CPU_MEM_USAGE = _accepts(PeftModel.load_adapter, "low_cpu_mem_usage") and _accepts(
    PeftModel.from_pretrained, "low_cpu_mem_usage"
)


class LoadRequest:
    """A validated `load` request."""

    def __init__(self, message):
        self.id = message.get("id")
        if not isinstance(self.id, str) or not self.id:
            raise ProtocolError('load request needs a non-empty string "id"')
        self.base = _string(message, "base")
        self.adapter = _string(message, "adapter")
        self.adapter_name = _string(message, "adapter_name", "default")
        self.ignore_mismatched_sizes = _flag(message, "ignore_mismatched_sizes")
        self.low_cpu_mem_usage = _flag(message, "low_cpu_mem_usage")
        self.strip_unknown_config_fields = _flag(message, "strip_unknown_config_fields")
        loaded = message.get("loaded", [])
        if not isinstance(loaded, list):
            raise ProtocolError('"loaded" must be a list of {"name", "path"} objects')
        self.loaded = []
        for entry in loaded:
            if not isinstance(entry, dict):
                raise ProtocolError('"loaded" must be a list of {"name", "path"} objects')
            self.loaded.append((_string(entry, "name"), _string(entry, "path")))
        default_method = "load_adapter" if self.loaded else "from_pretrained"
        self.method = _string(message, "method", default_method)
        if self.method not in METHODS:
            raise ProtocolError(f'unknown method "{self.method}"; expected one of {list(METHODS)}')
        if self.method == "load_adapter" and not self.loaded:
            raise ProtocolError('method "load_adapter" needs at least one adapter in "loaded"')
        if self.method == "from_pretrained" and self.loaded:
            raise ProtocolError('method "from_pretrained" takes no "loaded" adapters')


def _string(message, key, default=None):
    value = message.get(key, default)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f'"{key}" must be a non-empty string')
    return value


def _flag(message, key):
    value = message.get(key, False)
    if not isinstance(value, bool):
        raise ProtocolError(f'"{key}" must be true or false')
    return value


class CaseFailure(Exception):
    """An exception raised by the libraries, tagged with the step that raised it."""

    def __init__(self, phase, error):
        super().__init__(str(error))
        self.phase = phase
        self.error = error


def _key_list(keys):
    if keys is None:
        return []
    if isinstance(keys, (set, frozenset)):
        return sorted(str(key) for key in keys)
    return [str(key) for key in keys]


def _keys_of(load_result):
    """(missing, unexpected) from torch's `_IncompatibleKeys` or anything shaped like it."""
    if load_result is None:
        return [], []
    return (
        _key_list(getattr(load_result, "missing_keys", None)),
        _key_list(getattr(load_result, "unexpected_keys", None)),
    )


def _classes_defining(cls, attribute):
    """`cls` and its subclasses that define `attribute` themselves."""
    found, pending, seen = [], [cls], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if attribute in current.__dict__:
            found.append(current)
        pending.extend(current.__subclasses__())
    return found


@contextlib.contextmanager
def recording_load_adapter_results():
    """Records the value every `PeftModel.load_adapter` call returns while the block runs.

    `PeftModel.from_pretrained` builds the PeftModel, calls `load_adapter` on it and drops that
    call's result (the filtered `_IncompatibleKeys`), only turning the missing keys into a warning
    (PEFT >= 0.14). Wrapping the method at class level for the duration of the call exposes the
    same lists from_pretrained computed internally, without changing what it does.
    """
    results = []
    patched = []
    for owner in _classes_defining(PeftModel, "load_adapter"):
        original = owner.__dict__["load_adapter"]

        @functools.wraps(original)
        def wrapper(self, *args, _original=original, **kwargs):
            result = _original(self, *args, **kwargs)
            results.append(result)
            return result

        setattr(owner, "load_adapter", wrapper)
        patched.append((owner, original))
    try:
        yield results
    finally:
        for owner, original in reversed(patched):
            setattr(owner, "load_adapter", original)


class CaseRunner:
    def __init__(self, base_cache=None):
        self._bases = base_cache if base_cache is not None else BaseCache()

    def run(self, request):
        """Returns the outcome dict of one validated LoadRequest; never raises for library errors."""
        outcome_capture = capture.Capture()
        missing, unexpected, error = [], [], None
        scratch = tempfile.mkdtemp(prefix="adaptest-peft-")
        try:
            capture.reset_once_caches()
            torch.manual_seed(0)
            missing, unexpected = self._load(request, outcome_capture, scratch)
        except CaseFailure as failure:
            error = {
                "kind": type(failure.error).__name__,
                "message": str(failure.error),
                "phase": failure.phase,
            }
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return {
            "missing_keys": missing,
            "unexpected_keys": unexpected,
            "error": error,
            "warnings": outcome_capture.warnings,
            "log": outcome_capture.log,
        }

    def _load(self, request, outcome_capture, scratch):
        base = _step("base", self._bases.get, request.base)
        strip_count = 0

        def folder(path):
            nonlocal strip_count
            if not request.strip_unknown_config_fields:
                return path
            strip_count += 1
            loadable, removed = config_strip.stripped_copy(path, f"{scratch}/{strip_count}")
            if removed:
                print(f"driver: {request.id}: stripped {removed} from {path}", file=sys.stderr)
            return loadable

        if request.method == "from_pretrained":
            kwargs = {"adapter_name": request.adapter_name}
            kwargs.update(self._load_kwargs(request))
            adapter = _step("setup", folder, request.adapter)
            with outcome_capture.recording(), recording_load_adapter_results() as results:
                _step("load", PeftModel.from_pretrained, base, adapter, **kwargs)
            return _keys_of(results[-1] if results else None)

        (first_name, first_path), others = request.loaded[0], request.loaded[1:]
        model = _step(
            "setup", PeftModel.from_pretrained, base, folder(first_path), adapter_name=first_name
        )
        for name, path in others:
            _step("setup", model.load_adapter, folder(path), adapter_name=name)
        adapter = _step("setup", folder, request.adapter)
        with outcome_capture.recording():
            result = _step(
                "load",
                model.load_adapter,
                adapter,
                adapter_name=request.adapter_name,
                **self._load_kwargs(request),
            )
        return _keys_of(result)

    @staticmethod
    def _load_kwargs(request):
        kwargs = {"ignore_mismatched_sizes": request.ignore_mismatched_sizes}
        if SUPPORTS_LOW_CPU_MEM_USAGE:
            kwargs["low_cpu_mem_usage"] = request.low_cpu_mem_usage
        elif request.low_cpu_mem_usage:
            raise CaseFailure(
                "setup",
                UnsupportedOption("this PEFT version has no low_cpu_mem_usage option"),
            )
        return kwargs


class UnsupportedOption(Exception):
    """The request asks for a loading option the installed PEFT does not have."""


def _step(phase, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except CaseFailure:
        raise
    except Exception as error:
        print(f"driver: {phase} step raised:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        raise CaseFailure(phase, error) from error


def elapsed_ms(started):
    return round((time.perf_counter() - started) * 1000.0, 3)
