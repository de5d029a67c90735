"""Writes a generated Swift table all-or-nothing, or with --check compares it with a fresh recording.

Shared by the recorders that render a table from the real libraries (adaption prompt's model table,
Shadow's mirror table): exit status 0 when written or equal, 1 when --check finds it stale.
"""
import argparse
import sys
from pathlib import Path

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def swift_literal(value) -> str:
    """A Swift string literal for `value` (None is nil): every control character escaped as Swift spells it."""
    if value is None:
        return "nil"
    out = []
    for char in str(value):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append("\\u{%x}" % ord(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def write_or_check(out: Path, text: str, check: bool, label: str, script: str, detail: str) -> int:
    if check:
        if out.exists() and out.read_text(encoding="utf-8") == text:
            print(f"{label}: equal to a fresh recording ({detail})", file=sys.stderr)
            return 0
        print(f"{label}: {out.name} differs from a fresh recording ({detail}); rerun {script}", file=sys.stderr)
        return 1
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)  # all or nothing
    print(f"{label}: {detail} -> {out.name}", file=sys.stderr)
    return 0


def arguments(doc: str, default_out: Path) -> argparse.ArgumentParser:
    """The options every table recorder takes: --out FILE (default: the committed table) and --check."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(default_out))
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    return ap
