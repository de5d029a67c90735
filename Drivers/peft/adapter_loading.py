"""Runs one load case through real PEFT and reports what it returned, warned, logged or raised."""

import contextlib
import functools
import inspect
import os
import shutil
import sys
import tempfile
import time
import traceback

import peft.utils.save_and_load as save_and_load
import torch
from peft import PeftModel

import capture
import case_isolation
import config_strip
import error_kinds
from base_models import BaseCache
from protocol import ProtocolError

METHODS = ("from_pretrained", "load_adapter")


def _accepts(function, name):
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters


# Feature detection, so that one driver serves every PEFT version.
SUPPORTS_LOW_CPU_MEM_USAGE = _accepts(PeftModel.load_adapter, "low_cpu_mem_usage") and _accepts(
    PeftModel.from_pretrained, "low_cpu_mem_usage"
)
# set_peft_model_state_dict delegates the ignore_mismatched_sizes check to this helper, which
# returns the skipped (key, checkpoint shape, model shape) triples.
REPORTS_MISMATCHED_KEYS = callable(getattr(save_and_load, "_find_mismatched_keys", None))


class DriverFailure(Exception):
    """The case cannot be run at all (a path is missing, a `loaded` adapter fails to load).

    Answered with a protocol `error` message, not with an outcome.
    """


class LoadRequest:
    """A validated `load` request (fields the driver does not know are ignored)."""

    def __init__(self, message, methods=METHODS):
        self.id = message.get("id")
        if not isinstance(self.id, str) or not self.id:
            raise ProtocolError('load request needs a non-empty string "id"')
        self.base = _string(message, "base")
        self.adapter = _string(message, "adapter")
        self.adapter_name = _string(message, "adapter_name", "default")
        self.ignore_mismatched_sizes = _flag(message, "ignore_mismatched_sizes")
        # Extensions of the protocol (see Drivers/peft/README.md).
        self.low_cpu_mem_usage = _flag(message, "low_cpu_mem_usage")
        # ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS=1 makes stripping the default for a whole run, so an
        # old PEFT's key semantics can be reported next to its as-is result (a TypeError on new fields).
        self.strip_unknown_config_fields = _flag(message, "strip_unknown_config_fields") or (
            os.environ.get("ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS") == "1")
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
        if self.method not in methods:
            raise ProtocolError(f'unknown method "{self.method}"; expected one of {list(methods)}')
        if self.method == "load_adapter" and not self.loaded:
            raise ProtocolError('method "load_adapter" needs at least one adapter in "loaded"')
        if self.method != "load_adapter" and self.loaded:
            raise ProtocolError(f'method "{self.method}" takes no "loaded" adapters')
        # auto_from_pretrained: what the adapter folder's copy names as its base (docs/driver-protocol.md).
        self.base_model_name_or_path = _string(message, "base_model_name_or_path", "base")
        if self.base_model_name_or_path != "base" and self.method != "auto_from_pretrained":
            raise ProtocolError('"base_model_name_or_path" applies to method "auto_from_pretrained" only')


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


class _LoadFailed(Exception):
    """An exception raised by the libraries during the part of the case under test."""

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


@contextlib.contextmanager
def recording_mismatched_keys():
    """Collects the keys `ignore_mismatched_sizes` made PEFT skip, with both shapes."""
    skipped = []
    if not REPORTS_MISMATCHED_KEYS:
        yield skipped
        return
    original = save_and_load._find_mismatched_keys

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        state_dict, mismatched = original(*args, **kwargs)
        for key, checkpoint_shape, model_shape in mismatched:
            skipped.append(
                {
                    "key": str(key),
                    "checkpoint_shape": [int(n) for n in checkpoint_shape],
                    "model_shape": [int(n) for n in model_shape],
                }
            )
        return state_dict, mismatched

    save_and_load._find_mismatched_keys = wrapper
    try:
        yield skipped
    finally:
        save_and_load._find_mismatched_keys = original


def _base_cache_capacity():
    """$ADAPTEST_PEFT_BASE_CACHE: how many pristine bases to keep (default 32, at most 1 GiB of tensors; 0 reloads every time)."""
    try:
        return max(0, int(os.environ.get("ADAPTEST_PEFT_BASE_CACHE", "32")))
    except ValueError:
        return 32


class CaseRunner:
    def __init__(self, base_cache=None, scratch_root=None):
        self._bases = base_cache if base_cache is not None else BaseCache(_base_cache_capacity())
        self._scratch_root = scratch_root

    def run(self, request):
        """The outcome dict of one validated LoadRequest.

        Library exceptions while building the base or loading the adapter under test become
        `outcome.error`; a case that cannot be set up raises DriverFailure.
        """
        _require_folders(request)
        seen = capture.Capture()
        folders = _AdapterFolders(request, self._scratch_root)
        missing, unexpected, mismatched, error = [], [], [], None
        try:
            case_isolation.reset()
            torch.manual_seed(0)
            missing, unexpected, mismatched = self._load(request, seen, folders)
        except _LoadFailed as failure:
            error = error_kinds.classify(failure.error, failure.phase)
            missing, unexpected, mismatched = [], [], []
        finally:
            folders.remove()
        outcome = {"missing_keys": missing, "unexpected_keys": unexpected}
        if REPORTS_MISMATCHED_KEYS:
            outcome["mismatched_keys"] = mismatched
        outcome.update({"error": error, "warnings": seen.warnings, "log": seen.log})
        return outcome

    def _base(self, request, seen):
        """Step 1 of the protocol: the base (a fresh copy), what building it warned and logged."""
        try:
            base, base_warnings, base_log = self._bases.get(request.base)
        except Exception as error:
            _log_traceback(request, "building the base")
            raise _LoadFailed("base", error) from error
        seen.warnings.extend(base_warnings)
        seen.log.extend(base_log)
        # Loading a base can draw random numbers (weights missing from the checkpoint are
        # initialised), a cached copy draws none: seed again so PEFT starts from the same state.
        torch.manual_seed(0)
        return base

    def _load(self, request, seen, folders):
        """Steps 1-3 of the protocol; returns (missing, unexpected, mismatched)."""
        base = self._base(request, seen)
        adapter = folders.get(request.adapter)
        kwargs = self._load_kwargs(request)

        if request.method == "from_pretrained":
            with seen.recording(), recording_load_adapter_results() as results, \
                    recording_mismatched_keys() as mismatched:
                _under_test(request, PeftModel.from_pretrained, base, adapter,
                            adapter_name=request.adapter_name, **kwargs)
            return (*_keys_of(results[-1] if results else None), mismatched)

        model = self._set_up_loaded(request, base, folders)
        with seen.recording(), recording_mismatched_keys() as mismatched:
            result = _under_test(request, model.load_adapter, adapter,
                                 adapter_name=request.adapter_name, **kwargs)
        return (*_keys_of(result), mismatched)

    @staticmethod
    def _set_up_loaded(request, base, folders):
        """from_pretrained for the first `loaded` adapter, load_adapter for the others.

        What they warn is not part of the outcome (it goes to stderr); if they raise, the case
        could not be set up.
        """
        model = None
        for name, path in request.loaded:
            try:
                with capture.Capture().recording():
                    if model is None:
                        model = PeftModel.from_pretrained(base, folders.get(path), adapter_name=name)
                    else:
                        model.load_adapter(folders.get(path), adapter_name=name)
            except Exception as error:
                raise _setup_failure(request, name, path, error) from error
        return model

    @staticmethod
    def _load_kwargs(request):
        # Options are passed only when set, so the calls match a plain user's call.
        kwargs = {}
        if request.ignore_mismatched_sizes:
            kwargs["ignore_mismatched_sizes"] = True
        if request.low_cpu_mem_usage:
            if not SUPPORTS_LOW_CPU_MEM_USAGE:
                raise DriverFailure("this PEFT version has no low_cpu_mem_usage option")
            kwargs["low_cpu_mem_usage"] = True
        return kwargs


class _AdapterFolders:
    """Hands out the folder to load for each adapter path of a request (a config-stripped copy
    when the request asks for `strip_unknown_config_fields`). The copies live in a case folder
    made on first use, so cases without stripping touch no disk."""

    def __init__(self, request, scratch_root):
        self._request = request
        self._scratch_root = scratch_root
        self._scratch = None
        self._count = 0

    def get(self, path):
        if not self._request.strip_unknown_config_fields:
            return path
        self._count += 1
        try:
            if self._scratch is None:
                self._scratch = tempfile.mkdtemp(prefix="case-", dir=self._scratch_root)
            loadable, removed = config_strip.stripped_copy(path, os.path.join(self._scratch, str(self._count)))
        except OSError as error:
            raise DriverFailure(f"cannot make a config-stripped copy of {path}: {error}") from error
        if removed:
            print(f"driver: {self._request.id}: stripped {removed} from {path}", file=sys.stderr)
        return loadable

    def remove(self):
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _require_folders(request):
    paths = [("base", request.base), ("adapter", request.adapter)]
    paths += [(f"loaded adapter '{name}'", path) for name, path in request.loaded]
    for role, path in paths:
        if not os.path.isdir(path):
            raise DriverFailure(f"{role} folder does not exist: {path}")


def _under_test(request, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as error:
        _log_traceback(request, f"{request.method} of the adapter under test")
        raise _LoadFailed("load", error) from error


def _log_traceback(request, what):
    print(f"driver: {request.id}: {what} raised:", file=sys.stderr)
    traceback.print_exc(file=sys.stderr)



def _setup_failure(request, name, path, error):
    """The driver failure for an already-loaded adapter that did not load (the case's set-up, not its
    answer), its traceback logged."""
    _log_traceback(request, f"loading the already-loaded adapter '{name}'")
    return DriverFailure(
        f"could not load the already-loaded adapter '{name}' from {path}: {type(error).__name__}: {error}"
    )

def elapsed_ms(started):
    return round((time.perf_counter() - started) * 1000.0, 3)
