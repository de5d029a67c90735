#!/usr/bin/env python3
"""Records the facts of one installed PEFT release that its version-exact profile needs.

    <venv>/bin/python scripts/recorders/record_peft_release.py OUT.json

For every PEFT method the release registers: its config class, the fields the config class's
constructor accepts (an older release raises TypeError, or warns, on the others) and the parameter
prefix its `set_peft_model_state_dict` inserts the adapter name after (`PEFT_TYPE_TO_PREFIX_MAPPING`;
0.13 keeps the table inside the function, so it is read from the source there). Deterministic:
sorted keys, no paths, no timestamps.
"""
import ast
import dataclasses
import inspect
import json
import sys

import peft
import transformers
from peft.utils import save_and_load


def config_mapping():
    mapping = getattr(peft, "PEFT_TYPE_TO_CONFIG_MAPPING", None)
    if mapping is None:
        from peft.mapping import PEFT_TYPE_TO_CONFIG_MAPPING as mapping
    return mapping


def prefix_mapping():
    for module in ("peft.mapping", "peft.utils.constants"):
        try:
            table = getattr(__import__(module, fromlist=["_"]), "PEFT_TYPE_TO_PREFIX_MAPPING")
        except (ImportError, AttributeError):
            continue
        return {str(getattr(k, "value", k)): v for k, v in table.items()}
    # Older releases: the dict literal `parameter_prefix = {PeftType.X: "x_", ...}[config.peft_type]`.
    tree = ast.parse(inspect.getsource(save_and_load.set_peft_model_state_dict))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "parameter_prefix" for t in node.targets):
            table = node.value.value if isinstance(node.value, ast.Subscript) else node.value
            if isinstance(table, ast.Dict):
                return {k.attr: v.value for k, v in zip(table.keys, table.values)}
    raise SystemExit("cannot find the parameter prefix table of this PEFT")


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    prefixes = prefix_mapping()
    methods = {}
    for peft_type, config_cls in config_mapping().items():
        name = str(getattr(peft_type, "value", peft_type))
        fields = sorted(f.name for f in dataclasses.fields(config_cls) if f.init)
        methods[name] = {"config_class": config_cls.__name__, "fields": fields, "prefix": prefixes.get(name)}
    record = {"peft": peft.__version__, "transformers": transformers.__version__, "methods": methods}
    with open(sys.argv[1], "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1, sort_keys=True)
        handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
