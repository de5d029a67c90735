"""Makes an adapter folder loadable by a PEFT that does not know every field of its config.

PEFT <= 0.13 builds the config with `ConfigClass(**adapter_config_json)`, so a field written by a
newer PEFT (`exclude_modules`, `peft_version`, ...) raises TypeError before any weight is read.
To still observe that version's key semantics, the driver can load a copy of the folder whose
adapter_config.json keeps only the fields the installed config class accepts. Weight files are
linked, not copied.
"""

import dataclasses
import json
import os
import shutil

CONFIG_NAME = "adapter_config.json"


def accepted_fields(config_cls):
    """Names the config class's constructor accepts."""
    return {field.name for field in dataclasses.fields(config_cls) if field.init}


def config_class_for(peft_type):
    import peft

    mapping = getattr(peft, "PEFT_TYPE_TO_CONFIG_MAPPING", None)
    if mapping is None:
        from peft.mapping import PEFT_TYPE_TO_CONFIG_MAPPING as mapping
    try:
        return mapping[peft_type]
    except (KeyError, ValueError):
        return None


def stripped_copy(adapter_dir, scratch_dir):
    """Returns (folder to load, removed field names).

    When nothing needs removing (or the config cannot be interpreted, in which case PEFT's own
    error is the right outcome) the original folder is returned unchanged.
    """
    config_path = os.path.join(adapter_dir, CONFIG_NAME)
    try:
        with open(config_path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError):
        return adapter_dir, []
    if not isinstance(config, dict) or not isinstance(config.get("peft_type"), str):
        return adapter_dir, []
    config_cls = config_class_for(config["peft_type"])
    if config_cls is None:
        return adapter_dir, []
    known = accepted_fields(config_cls)
    removed = [name for name in config if name not in known]
    if not removed:
        return adapter_dir, []

    os.makedirs(scratch_dir)
    for name in os.listdir(adapter_dir):
        if name == CONFIG_NAME:
            continue
        source = os.path.join(os.path.abspath(adapter_dir), name)
        target = os.path.join(scratch_dir, name)
        try:
            os.symlink(source, target)
        except OSError:
            if os.path.isdir(source):
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
    reduced = {name: value for name, value in config.items() if name in known}
    with open(os.path.join(scratch_dir, CONFIG_NAME), "w", encoding="utf-8") as handle:
        json.dump(reduced, handle, indent=2, sort_keys=True)
    return scratch_dir, removed
