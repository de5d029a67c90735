#!/usr/bin/env python3
"""Loads generated (base, adapter) pairs with real transformers + PEFT and reports what PEFT says.

Each argument is a pair folder written by `adaptest generate` (safetensors format): `base/`,
`adapter/`, optional `loaded/NAME/`, and `case.json` (for the adapter name, the adapters already
loaded and `ignore_mismatched_sizes`). The base is built with `from_pretrained` from its own
`config.json`. Without loaded adapters the adapter is loaded with `PeftModel.from_pretrained`
(the result of the `load_adapter` call inside it is captured); otherwise the loaded adapters come
first and the adapter is added with `load_adapter`.

Prints one JSON object per pair: `missing_keys` and `unexpected_keys` as PEFT returned them (in
order), `error` (`{kind, message}`) if loading raised, and `warnings` (`{category, message}`).
Usage: check_adapters.py PAIR [PAIR ...]
"""
import json
import os
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import peft  # noqa: E402
import torch  # noqa: E402,F401
import transformers  # noqa: E402

transformers.logging.set_verbosity_error()

AUTO = {
    "AutoModelForCausalLM": transformers.AutoModelForCausalLM,
    "AutoModelForSeq2SeqLM": transformers.AutoModelForSeq2SeqLM,
    "AutoModelForMaskedLM": transformers.AutoModelForMaskedLM,
}


def base_model(folder):
    config = transformers.AutoConfig.from_pretrained(folder)
    for auto in AUTO.values():
        if type(config) in auto._model_mapping:
            model_class = auto._model_mapping[type(config)]
            if model_class.__name__ == config.architectures[0]:
                return model_class.from_pretrained(folder)
    return getattr(transformers, config.architectures[0]).from_pretrained(folder)


def check(pair):
    with open(os.path.join(pair, "case.json")) as f:
        case = json.load(f)
    load = case["load"]
    name = load["adapter_name"]
    ignore = load["ignore_mismatched_sizes"]
    report = {"pair": os.path.basename(pair.rstrip("/")), "missing_keys": None, "unexpected_keys": None,
              "error": None, "warnings": []}
    captured = []
    original = peft.PeftModel.load_adapter

    def capture(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        captured.append(result)
        return result

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = base_model(os.path.join(pair, "base"))
            adapter = os.path.join(pair, "adapter")
            if load["loaded"]:
                first, *rest = load["loaded"]
                wrapped = peft.PeftModel.from_pretrained(model, os.path.join(pair, "loaded", first), adapter_name=first)
                for other in rest:
                    wrapped.load_adapter(os.path.join(pair, "loaded", other), adapter_name=other)
                caught.clear()
                result = wrapped.load_adapter(adapter, adapter_name=name, ignore_mismatched_sizes=ignore)
            else:
                peft.PeftModel.load_adapter = capture
                try:
                    peft.PeftModel.from_pretrained(model, adapter, adapter_name=name, ignore_mismatched_sizes=ignore)
                finally:
                    peft.PeftModel.load_adapter = original
                result = captured[-1]
            report["missing_keys"] = list(result.missing_keys)
            report["unexpected_keys"] = list(result.unexpected_keys)
        except Exception as error:  # the outcome under test, not a crash of this script
            report["error"] = {"kind": type(error).__name__, "message": str(error)}
        report["warnings"] = [{"category": w.category.__name__, "message": str(w.message)} for w in caught
                              if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    return report


def main():
    for pair in sys.argv[1:]:
        print(json.dumps(check(pair)), flush=True)


if __name__ == "__main__":
    main()
