#!/usr/bin/env python3
"""Compares two loaders' observed outcomes case by case in one results.json (no third-party deps).

    scripts/differential.py RESULTS_JSON LOADER_A LOADER_B

Prints the agreement rate on the cases both ran (status SKIP excluded) and every disagreement:
missing and unexpected keys compared as ordered lists, errors by kind. Exits 1 on a disagreement.
"""
import json
import sys


def outcome(result):
    actual = result.get("actual") or {}
    error = actual.get("error")
    return {
        "missing_keys": actual.get("missing_keys"),
        "unexpected_keys": actual.get("unexpected_keys"),
        "error": (error or {}).get("kind") if error else None,
    }


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, a, b = sys.argv[1:]
    results = json.load(open(path, encoding="utf-8"))["results"]
    by_loader = {}
    for result in results:
        key = (result["id"], result.get("format"))
        by_loader.setdefault(result["loader"], {})[key] = result
    left, right = by_loader.get(a, {}), by_loader.get(b, {})
    common = sorted(k for k in left.keys() & right.keys()
                    if left[k]["status"] != "SKIP" and right[k]["status"] != "SKIP")
    disagreements = [k for k in common if outcome(left[k]) != outcome(right[k])]
    agreed = len(common) - len(disagreements)
    print(f"{a} vs {b}: {agreed}/{len(common)} cases agree"
          + (f" ({100.0 * agreed / len(common):.1f}%)" if common else ""))
    for key in disagreements:
        print(f"  {key[0]} [{key[1]}]")
        print(f"    {a}: {json.dumps(outcome(left[key]))}")
        print(f"    {b}: {json.dumps(outcome(right[key]))}")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
