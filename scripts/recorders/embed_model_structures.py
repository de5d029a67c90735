#!/usr/bin/env python3
"""Writes the Swift table of model structures from the recorder's JSON lines.

Usage: embed_model_structures.py RECORD.jsonl OUT.swift

The table is one line per model type, `<model_type>\\t<json>`, after a `#transformers\\t<version>` line and a
`#legacy\\t<json>` line, embedded as a raw string literal: the package needs no resource bundle and Adaptest
decodes a model type only when it is asked for.
"""
import json
import sys


def main():
    source, out = sys.argv[1], sys.argv[2]
    lines = [json.loads(line) for line in open(source) if line.strip()]
    header = next(line for line in lines if line["type"] == "")
    # Sorted by code point, which is UTF-8 byte order: ModelStructureTable finds a model type's line by a
    # binary search over the bytes.
    body = sorted((line for line in lines if line["type"]), key=lambda line: line["type"])
    compact = {"sort_keys": True, "separators": (",", ":")}
    rows = [f"#transformers\t{header['transformers']}", "#legacy\t" + json.dumps(header["legacy"], **compact),
            "#peft\t" + json.dumps(header["peft"], **compact)]
    for line in body:
        model_type = line.pop("type")
        line.pop("transformers", None)
        rows.append(model_type + "\t" + json.dumps(line, sort_keys=True, separators=(",", ":")))
    text = "\n".join(rows)
    if '"""#' in text:
        raise SystemExit("the record contains the raw-string terminator")
    swift = (
        "// Recorded from transformers " + header["transformers"] + " and PEFT " + header["peft"]["version"] + " by scripts/recorders/record_model_structures.py\n"
        "// and written by scripts/recorders/embed_model_structures.py. Do not edit: rerun\n"
        "// scripts/recorders/update_model_structures.sh.\n"
        "// swift-format-ignore-file\n\n"
        "extension ModelStructureTable {\n"
        "  /// One line per model type: `<model_type>\\t<json>`.\n"
        "  static let recorded: StaticString = #\"\"\"\n" + text + "\n\"\"\"#\n}\n"
    )
    with open(out + ".tmp", "w") as fh:
        fh.write(swift)
    import os

    os.replace(out + ".tmp", out)
    print(f"{len(body)} model types -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
