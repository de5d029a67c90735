"""Attributes the samples of a `perf record -g` profile to functions and phases.

Usage:
    perf record -g --call-graph dwarf -F 499 -o perf.data -- .build/release/adaptest run ...
    perf script -i perf.data | swift demangle --simplified | python3 perf_attribution.py [options]

Reads `perf script` output (one sample: a header line, then one frame a line, innermost first, then a
blank line) and prints, as shares of all samples (or of those under `--under`):

- inclusive ("children") shares: the samples whose stack holds the function anywhere, each counted
  once per sample however often the function recurses;
- self shares: the samples whose innermost frame is the function;
- with `--bucket NAME=REGEX` (repeatable, in priority order): each sample given to the first bucket
  any of whose frames matches REGEX (searched in the demangled name), the rest to `other` — how the
  Benchmarks README splits a run into planning, reading folders, building the model, the simulation,
  reports;
- with `--callers REGEX`: the frames that call the first frame matching REGEX, by share.

Options:
    --under REGEX   keep only samples with a frame matching REGEX (shares are then of those)
    --top N         rows per table (default 30)
    --thread REGEX  keep only samples whose thread (comm) matches REGEX
"""
import argparse
import collections
import re
import sys


def samples(stream):
    """Yields (comm, [frame names, innermost first]) per sample."""
    comm = None
    frames = []
    for raw in stream:
        line = raw.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
            continue
        if not line[0].isspace():
            if comm is not None:
                yield comm, frames
            comm = line.split()[0]
            frames = []
            continue
        parts = line.strip().split(" ", 1)
        if len(parts) < 2:
            continue
        name = parts[1]
        # "symbol+0x12 (/path/to/dso)": drop the offset and the object.
        name = re.sub(r" \([^()]*\)$", "", name)
        name = re.sub(r"\+0x[0-9a-f]+$", "", name)
        frames.append(name)
    if comm is not None:
        yield comm, frames


def short(name, width=110):
    return name if len(name) <= width else name[: width - 1] + "…"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--under")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--thread")
    parser.add_argument("--bucket", action="append", default=[])
    parser.add_argument("--callers")
    args = parser.parse_args()

    under = re.compile(args.under) if args.under else None
    thread = re.compile(args.thread) if args.thread else None
    buckets = []
    for spec in args.bucket:
        name, _, pattern = spec.partition("=")
        buckets.append((name, re.compile(pattern)))
    callers_of = re.compile(args.callers) if args.callers else None

    total = 0
    inclusive = collections.Counter()
    exclusive = collections.Counter()
    by_bucket = collections.Counter()
    callers = collections.Counter()
    for comm, frames in samples(sys.stdin):
        if thread and not thread.search(comm):
            continue
        if under and not any(under.search(f) for f in frames):
            continue
        total += 1
        if frames:
            exclusive[frames[0]] += 1
        for name in set(frames):
            inclusive[name] += 1
        if buckets:
            for name, pattern in buckets:
                if any(pattern.search(f) for f in frames):
                    by_bucket[name] += 1
                    break
            else:
                by_bucket["other"] += 1
        if callers_of:
            for i, f in enumerate(frames):
                if callers_of.search(f):
                    callers[frames[i + 1] if i + 1 < len(frames) else "(root)"] += 1
                    break

    if total == 0:
        sys.exit("no samples (is the input `perf script` output?)")
    print(f"{total} samples" + (f" under /{args.under}/" if under else ""))

    def table(title, counter):
        print(f"\n{title}")
        for name, count in counter.most_common(args.top):
            print(f"{100 * count / total:6.1f} %  {short(name)}")

    if buckets:
        print("\nbuckets (first match wins, in the order given)")
        for name in [b[0] for b in buckets] + ["other"]:
            print(f"{100 * by_bucket[name] / total:6.1f} %  {name}")
    table("inclusive", inclusive)
    table("self", exclusive)
    if callers_of:
        table(f"callers of /{args.callers}/", callers)


if __name__ == "__main__":
    main()
