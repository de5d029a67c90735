#!/usr/bin/env python3
"""What Python's `re` answers for (pattern, text) pairs: the ground truth of BoundedRegexTests.

Reads a JSON list of [pattern, text] from stdin; writes one JSON object per pair with the results
of re.fullmatch, re.match and re.search (whether they match, and every group of the match), or
the re.error text when the pattern does not compile.
"""
import json
import re
import sys


def groups(m):
    if m is None:
        return None
    return [m.group(0)] + list(m.groups())


out = []
for pattern, text in json.load(sys.stdin):
    try:
        compiled = re.compile(pattern)
    except re.error as e:
        out.append({"error": str(e)})
        continue
    out.append({
        "fullmatch": groups(compiled.fullmatch(text)),
        "match": groups(compiled.match(text)),
        "search": groups(compiled.search(text)),
    })
json.dump(out, sys.stdout)
