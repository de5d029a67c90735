"""Checks that two runs' results.json files hold the same results apart from timing.

Usage: python3 same_results.py BEFORE/results.json AFTER/results.json

A speed change must not change a result: every result (loader, id, format, status, message,
expected and actual outcomes, expectation note, coordinates) must be identical, in the same order.
Only each result's `time` and the run's timestamp may differ. Exits 1 and prints the first
differences otherwise.
"""
import json
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    for result in data["results"]:
        result.pop("time", None)
    info = data.get("run_info", {})
    info.pop("timestamp", None)
    return data


before, after = (load(p) for p in sys.argv[1:3])
differences = []
if len(before["results"]) != len(after["results"]):
    differences.append(f"{len(before['results'])} results before, {len(after['results'])} after")
for old, new in zip(before["results"], after["results"]):
    if old != new:
        differences.append(f"{old.get('loader')} {old.get('id')} {old.get('format')}:\n  before {old}\n  after  {new}")
for key in sorted(set(before) | set(after)):
    if key != "results" and before.get(key) != after.get(key):
        differences.append(f"{key}: before {before.get(key)!r}, after {after.get(key)!r}")
if differences:
    print(f"{len(differences)} difference(s)")
    for d in differences[:10]:
        print(d)
    sys.exit(1)
print(f"same {len(after['results'])} results (times aside)")
