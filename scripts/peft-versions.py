#!/usr/bin/env python3
"""Builds the cross-version compatibility report of real PEFT releases from `adaptest run` results.

    scripts/peft-versions.py AS_IS_RESULTS [STRIPPED_RESULTS] OUT_STEM

AS_IS_RESULTS: results.json of `adaptest run --loader peft@A --loader peft@B …` on the corpus.
STRIPPED_RESULTS: optional results.json of the same run with ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS=1
(old releases refuse config fields they do not know; stripping shows their key semantics).
Writes OUT_STEM.md and OUT_STEM.json (deterministic: sorted, no timestamps). No third-party deps.
"""
import json
import re
import sys

# Scratch folders of a run (with its process id) would make the report differ between runs.
SCRATCH = re.compile(r"/(?:dev/shm|tmp)/adaptest-run-[0-9]+/")

SYMBOL = {"PASS": "pass", "XFAIL": "known", "FAIL": "**FAIL**", "ERROR": "**ERROR**", "TIMEOUT": "**TIMEOUT**",
          "XPASS": "**XPASS**", "SKIP": "skip"}


def version_key(loader):
    return tuple(int(p) for p in loader.split("@", 1)[1].split("."))


def load(path, suffix=""):
    doc = json.load(open(path, encoding="utf-8"))
    rows = {}
    for r in doc["results"]:
        if r["format"] != "safetensors":  # PEFT reads safetensors only; HDF5 runs are skipped
            continue
        loader = r["loader"] + suffix
        rows.setdefault(loader, {})[r["id"]] = {
            "status": r["status"],
            "message": SCRATCH.sub("<scratch>/", (r.get("message") or "").split("\n")[0][:300]),
            "reason": ((r.get("expectation") or {}).get("reason") or "").strip(),
        }
    return rows


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = sys.argv[-1]
    columns = load(sys.argv[1])
    loaders = sorted(columns, key=version_key)
    if len(sys.argv) == 4:
        stripped = load(sys.argv[2], " (stripped config)")
        columns.update(stripped)
        loaders += sorted(stripped, key=lambda l: version_key(l.split(" ")[0]))
    ids = sorted(set().union(*(set(c) for c in columns.values())))
    json.dump({"loaders": loaders, "cases": {i: {l: columns[l].get(i) for l in loaders} for i in ids}},
              open(out + ".json", "w", encoding="utf-8"), indent=1, sort_keys=True)

    lines = ["# Real PEFT across releases", "",
             "Every corpus case (safetensors; PEFT cannot read HDF5) and a slice of the generated matrix (every",
             "architecture; the same, vocab-up and wider bases; LoRA, IA3, VeRA and prompt tuning; intact and",
             "`no-prefix` adapters) run through the PEFT driver against each release, checked against the",
             "case's `expect` (what a correct loader reports) and the release's",
             "expectation files. `known` = a known deviation listed with its reason (XFAIL); `skip` = the",
             "release cannot run the case (a tuner or architecture it lacks). Made by `scripts/peft-versions.py`",
             "from `adaptest run --loader peft@X.Y.Z …` (see the README).", "",
             "Adapters are written as PEFT 0.21 writes them. PEFT 0.13 builds its config class with every field",
             "of `adapter_config.json` and raises `TypeError` on the ones it does not know, so as-is nearly every",
             "case fails on it; the *stripped config* column loads a copy reduced to the fields 0.13 knows and",
             "shows its key semantics: every base weight reported missing before PEFT #2084 (0.14).", "",
             "| release | pass | known deviation | FAIL | ERROR | skip |", "|---|---:|---:|---:|---:|---:|"]
    for loader in loaders:
        counts = {}
        for row in columns[loader].values():
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        lines.append(f"| `{loader}` | {counts.get('PASS', 0)} | {counts.get('XFAIL', 0)} | {counts.get('FAIL', 0)}"
                     f" | {counts.get('ERROR', 0) + counts.get('TIMEOUT', 0)} | {counts.get('SKIP', 0)} |")
    lines += ["", "## Known differences", ""]
    reasons = {}
    for loader in loaders:
        for case, row in columns[loader].items():
            if row["status"] == "XFAIL" and row["reason"]:
                reasons.setdefault(" ".join(row["reason"].split()), {}).setdefault(loader, []).append(case)
    for reason, by_loader in sorted(reasons.items()):
        where = "; ".join(f"`{l}`: {len(c)} case(s)" for l, c in sorted(by_loader.items(), key=lambda x: loaders.index(x[0])))
        lines.append(f"- {reason} ({where})")
    unexpected = [(l, i, columns[l][i]) for l in loaders for i in ids
                  if i in columns[l] and columns[l][i]["status"] in ("FAIL", "ERROR", "TIMEOUT", "XPASS")]
    lines += ["", "## Unexpected results", ""]
    lines += [f"- `{l}` `{i}`: {r['status']}: {r['message']}" for l, i, r in unexpected] or ["None."]
    lines += ["", "## Every case", "", "| case | " + " | ".join(f"`{l}`" for l in loaders) + " |",
              "|---|" + "---|" * len(loaders)]
    for i in ids:
        cells = [SYMBOL.get((columns[l].get(i) or {}).get("status"), "") for l in loaders]
        lines.append(f"| `{i}` | " + " | ".join(cells) + " |")
    open(out + ".md", "w", encoding="utf-8").write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
