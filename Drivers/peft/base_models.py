"""Builds the base model of a case from its folder (config.json + weights) on CPU."""

import collections
import copy
import hashlib
import json
import os

import torch
import transformers

import capture

_DTYPES = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float64": torch.float64,
}

# Used when config.json names no architecture, or one this transformers does not have.
_AUTO_BY_SUFFIX = (
    ("ForCausalLM", "AutoModelForCausalLM"),
    ("LMHeadModel", "AutoModelForCausalLM"),
    ("ForConditionalGeneration", "AutoModelForSeq2SeqLM"),
    ("ForMaskedLM", "AutoModelForMaskedLM"),
    ("ForSequenceClassification", "AutoModelForSequenceClassification"),
    ("ForTokenClassification", "AutoModelForTokenClassification"),
    ("ForQuestionAnswering", "AutoModelForQuestionAnswering"),
)


class BaseModelError(Exception):
    """The base folder cannot be turned into a model (no config.json, unreadable config)."""


def _transformers_version():
    parts = []
    for piece in transformers.__version__.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


# transformers 4.56 renamed from_pretrained's `torch_dtype` to `dtype` (the old name warns).
_DTYPE_KWARG = "dtype" if _transformers_version() >= (4, 56) else "torch_dtype"


def read_config(base_dir):
    path = os.path.join(base_dir, "config.json")
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except FileNotFoundError:
        raise BaseModelError(f"base folder has no config.json: {base_dir}") from None
    except (OSError, ValueError) as error:
        raise BaseModelError(f"cannot read {path}: {error}") from None
    if not isinstance(config, dict):
        raise BaseModelError(f"{path} is not a JSON object")
    return config


def model_class_for(config):
    """The transformers class to instantiate: the first `architectures` entry when this
    transformers has it, else the Auto class its name suffix implies, else one chosen from the
    config (seq2seq for encoder-decoders, causal LM otherwise)."""
    architectures = config.get("architectures") or []
    name = architectures[0] if architectures and isinstance(architectures[0], str) else None
    if name:
        cls = getattr(transformers, name, None)
        if isinstance(cls, type):
            return cls
        for suffix, auto_name in _AUTO_BY_SUFFIX:
            if name.endswith(suffix):
                return getattr(transformers, auto_name)
        return transformers.AutoModel
    if config.get("is_encoder_decoder"):
        return transformers.AutoModelForSeq2SeqLM
    return transformers.AutoModelForCausalLM


def dtype_for(config):
    """The dtype the config declares (`torch_dtype`, or `dtype` in transformers 5), else float32."""
    for key in ("dtype", "torch_dtype"):
        value = config.get(key)
        if isinstance(value, str) and value in _DTYPES:
            return _DTYPES[value]
    return torch.float32


def _fingerprint(base_dir):
    """Identifies a base folder's current contents cheaply (names, sizes, mtimes)."""
    entries = []
    for root, dirs, files in os.walk(base_dir):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            entries.append((os.path.relpath(path, base_dir), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


def _content_digest(base_dir, fingerprint):
    """Identifies what loading a base folder reads: every file's relative name and bytes.

    Generated pairs each have a `base/` folder of their own, and the pairs that share an
    architecture and a base mutation hold byte-identical ones; keying the cache by content lets
    them share one loaded model.
    """
    digest = hashlib.sha256()
    for relative, size, _ in fingerprint:
        digest.update(relative.encode("utf-8", "surrogateescape") + b"\0" + str(size).encode() + b"\0")
        try:
            with open(os.path.join(base_dir, relative), "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as error:
            # Loading will fail or differ the same way; keep such folders apart from readable ones.
            digest.update(f"\0unreadable: {error.errno}\0".encode())
    return digest.hexdigest()


def _moved(text, source_dir, base_dir):
    return text.replace(source_dir, base_dir) if isinstance(text, str) else text


def _rename_origin(model, source_dir, base_dir):
    """Points a copy loaded from `source_dir` at `base_dir`, as loading `base_dir` would have.

    transformers keeps the folder it loaded from in `config._name_or_path` (sub-configs too) and
    in `model.name_or_path`; PEFT reads the latter into `base_model_name_or_path` when the adapter
    config has none.
    """
    seen = set()

    def fix_config(config):
        if config is None or id(config) in seen:
            return
        seen.add(id(config))
        if getattr(config, "_name_or_path", None) == source_dir:
            config._name_or_path = base_dir
        for value in list(vars(config).values()):
            if isinstance(value, transformers.PretrainedConfig):
                fix_config(value)

    for module in model.modules():
        if module.__dict__.get("name_or_path") == source_dir:
            module.name_or_path = base_dir
        fix_config(module.__dict__.get("config"))


def load_base(base_dir):
    config = read_config(base_dir)
    cls = model_class_for(config)
    kwargs = {_DTYPE_KWARG: dtype_for(config), "local_files_only": True}
    model = cls.from_pretrained(base_dir, **kwargs)
    model.eval()
    return model


def _tensor_bytes(model):
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(tensor.numel() * tensor.element_size() for tensor in tensors)


class BaseCache:
    """Keeps the last pristine base models (by count and by tensor bytes) and hands out deep copies.

    PEFT mutates the model it wraps (it injects adapter layers), so every case needs a fresh
    base; copying an already-loaded model gives the same parameters, buffers and tied weights as
    loading the folder again, at a fraction of the cost. Entries are keyed by the folder's content
    (`_content_digest`), so folders holding the same files share one model; a copy handed out for
    another folder than the one loaded gets that folder's name wherever loading records it (the
    configs' `_name_or_path`, the model's `name_or_path`, the warnings' and log records' texts).
    What loading the folder warned or logged is kept with the model and handed out again with
    every copy, so a case's outcome does not depend on whether its base came from the cache. A
    folder whose files changed is hashed and, if its content is new, loaded again. `capacity=0`
    disables caching.
    """

    def __init__(self, capacity=32, byte_budget=1 << 30):
        self._capacity = capacity
        # Real-size bases are kept too, but only as many as fit in the budget (always the newest).
        self._byte_budget = byte_budget
        self._entries = collections.OrderedDict()  # digest -> (source_dir, model, warnings, log, bytes)
        self._bytes = 0
        self._digests = {}  # realpath -> (fingerprint, digest)

    def _digest(self, base_dir):
        key = os.path.realpath(base_dir)
        fingerprint = _fingerprint(key)
        known = self._digests.get(key)
        if known is not None and known[0] == fingerprint:
            return known[1]
        digest = _content_digest(key, fingerprint)
        self._digests[key] = (fingerprint, digest)
        if len(self._digests) > 4096:  # paths of finished runs; their digests are cheap to redo
            self._digests.pop(next(iter(self._digests)))
        return digest

    def get(self, base_dir):
        """Returns (model, warnings, log records) of building the base; raises what loading raised."""
        if self._capacity <= 0:
            seen = capture.Capture()
            with seen.recording():
                model = load_base(base_dir)
            return model, list(seen.warnings), list(seen.log)
        digest = self._digest(base_dir)
        entry = self._entries.get(digest)
        if entry is None:
            seen = capture.Capture()
            with seen.recording():
                model = load_base(base_dir)
            entry = (base_dir, model, seen.warnings, seen.log, _tensor_bytes(model))
            self._entries[digest] = entry
            self._bytes += entry[4]
            while len(self._entries) > 1 and (
                    len(self._entries) > self._capacity or self._bytes > self._byte_budget):
                self._bytes -= self._entries.popitem(last=False)[1][4]
        self._entries.move_to_end(digest)
        source_dir, model, warnings, log, _ = entry
        model = copy.deepcopy(model)
        if source_dir != base_dir:
            _rename_origin(model, source_dir, base_dir)
        warnings = [{k: _moved(v, source_dir, base_dir) for k, v in w.items()} for w in warnings]
        log = [{k: _moved(v, source_dir, base_dir) for k, v in r.items()} for r in log]
        return model, warnings, log
