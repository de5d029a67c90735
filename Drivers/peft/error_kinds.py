"""Sorts what a load raised into the protocol's error kinds (docs/driver-protocol.md §4).

Results compare kinds, never message text. The decision uses the exception's class, a few stable
phrases of PEFT/transformers/safetensors messages, and where in the libraries it was raised.
"""

import os
import traceback

# (phrase in the Rust error's text, SafeTensorError variant). Older bindings print the variant's
# name itself (Debug formatting), newer ones a sentence; both are matched. More specific phrases
# come first ("invalid header length" before "invalid UTF-8 in header").
_SAFETENSORS_VARIANTS = (
    ("HeaderTooSmall", "HeaderTooSmall"),
    ("header too small", "HeaderTooSmall"),
    ("HeaderTooLarge", "HeaderTooLarge"),
    ("header too large", "HeaderTooLarge"),
    ("InvalidHeaderLength", "InvalidHeaderLength"),
    ("invalid header length", "InvalidHeaderLength"),
    ("InvalidHeaderDeserialization", "InvalidHeaderDeserialization"),
    ("invalid JSON in header", "InvalidHeaderDeserialization"),
    ("InvalidHeaderStart", None),  # not among the protocol's names: leave it unclassified
    ("invalid start character", None),
    ("InvalidHeader", "InvalidHeader"),
    ("invalid UTF-8 in header", "InvalidHeader"),
    ("InvalidOffset", "InvalidOffset"),
    ("invalid offset", "InvalidOffset"),
    ("ValidationOverflow", "ValidationOverflow"),
    ("overflow computing", "ValidationOverflow"),
    ("MisalignedSlice", "MisalignedSlice"),
    ("misaligned", "MisalignedSlice"),
    ("does not end up at a byte boundary", "MisalignedSlice"),  # safetensors 0.8's sentence
    ("TensorInvalidInfo", "TensorInvalidInfo"),
    ("invalid shape, data type, or offset", "TensorInvalidInfo"),
    ("MetadataIncompleteBuffer", "MetadataIncompleteBuffer"),
    ("incomplete metadata", "MetadataIncompleteBuffer"),
    ("InvalidTensorView", "InvalidTensorView"),
    ("duplicate", "DuplicateKey"),
)

# (exception class name or None for any, phrase in the message, kind)
_BY_MESSAGE = (
    ("RuntimeError", "size mismatch for ", "size-mismatch"),
    (None, "You set `ignore_mismatched_sizes` to `False`", "size-mismatch"),
    (None, "Target modules", "target-not-found"),  # refined below: needs "not found"
    (None, "from state dictionary however they were not present", "missing-shared-weights"),
    (None, "Trying to load old OFT checkpoint", "unsupported-checkpoint"),
    (None, "Cannot combine adapters with different peft types", "incompatible-adapters"),
    (None, "already exists", "adapter-name-conflict"),  # refined below: needs "Adapter with name"
    (None, "Unknown PEFT type passed", "invalid-adapter-config"),
    (None, "Can't find weights for", "weights-not-found"),
)

# What transformers raises when the base an adapter names cannot be found (offline, not a local
# folder, not a valid repository id).
_BASE_NOT_FOUND = (
    "couldn't connect to",
    "is not a local folder and is not a valid model identifier",
    "Can't load the configuration of",
    "Repo id must",
)


def _frames(error):
    """(normalized file path, function name) of every frame the exception passed, innermost last."""
    return [
        (frame.filename.replace(os.sep, "/"), frame.name)
        for frame in traceback.extract_tb(error.__traceback__)
    ]


def _in_file(frames, suffix):
    return any(filename.endswith(suffix) for filename, _ in frames)


def _in_function(frames, name):
    return any(function == name for _, function in frames)


def safetensors_variant(message):
    for phrase, variant in _SAFETENSORS_VARIANTS:
        if phrase in message:
            return variant
    return None


def _is_format_error(error):
    names = {cls.__name__ for cls in type(error).__mro__}
    module = type(error).__module__ or ""
    return "SafetensorError" in names or module.startswith("safetensors") or "HeaderTooLarge" in names


def _kind(error, phase):
    name = type(error).__name__
    message = str(error)
    frames = _frames(error)

    if _is_format_error(error):
        return "format-error"
    if name == "NoMatchingPeftModuleError":
        return "target-not-found"
    for class_name, phrase, kind in _BY_MESSAGE:
        if class_name not in (None, name) or phrase not in message:
            continue
        if kind == "target-not-found" and "not found" not in message:
            continue
        if kind == "adapter-name-conflict" and "Adapter with name" not in message:
            continue
        return kind
    if _in_function(frames, "load_prompt_embeddings") and isinstance(error, (RuntimeError, ValueError)):
        # Cartridge's encoder checks the saved prefix's rows itself and copies it in with Tensor.copy_,
        # whose broadcast error is the size mismatch torch's load_state_dict would report.
        return "size-mismatch"
    if isinstance(error, FileNotFoundError):
        return "weights-not-found"
    if phase == "base-resolution":
        # `from_pretrained(adapter_folder)` before it builds a base: the adapter config names none, or
        # names one that is neither a local model folder nor reachable on the Hub.
        if isinstance(error, KeyError) and message == repr("base_model_name_or_path"):
            return "invalid-adapter-config"
        if isinstance(error, OSError) and any(phrase in message for phrase in _BASE_NOT_FOUND):
            return "base-not-found"
        phase = "base"
    if phase == "base":
        if isinstance(error, OSError) and ("no file named" in message or "does not appear to have" in message):
            return "weights-not-found"
        return "invalid-base-config"
    if isinstance(error, KeyError) and _in_function(frames, "set_peft_model_state_dict"):
        return "missing-auxiliary-key"
    if isinstance(error, (TypeError, ValueError, KeyError)):
        # Raised while reading or validating adapter_config.json: inside PEFT's config code
        # (peft/config.py, the tuners' config.py __post_init__), or the config-class lookup by
        # peft_type directly in from_pretrained/load_adapter.
        peft_config_code = any(
            "/peft/" in filename and filename.endswith("config.py") for filename, _ in frames
        )
        innermost = frames[-1] if frames else ("", "")
        config_lookup = (
            isinstance(error, KeyError)
            and innermost[0].endswith("peft/peft_model.py")
            and innermost[1] in ("from_pretrained", "load_adapter")
        )
        if peft_config_code or config_lookup:
            return "invalid-adapter-config"
    return "other"


def classify(error, phase):
    """The protocol's error object for an exception raised in `phase` ("base" or "load")."""
    kind = _kind(error, phase)
    return {
        "kind": kind,
        "type": type(error).__name__,
        "message": str(error),
        "format_error": safetensors_variant(str(error)) if kind == "format-error" else None,
        "phase": phase,
    }
