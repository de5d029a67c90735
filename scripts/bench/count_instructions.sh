#!/usr/bin/env bash
# Counts the instructions a command executes (valgrind's callgrind), with the functions that execute most.
#
#   scripts/bench/count_instructions.sh [--top N] BINARY ARGS...
#
# Wall time on a shared 2-core VM moved by a third for one binary within minutes; instruction counts repeat
# to a few tenths of a percent, so two builds compare on them where a change is smaller than the noise.
# They leave out what is not an instruction of the process (page faults, cache misses, the kernel), so a
# change is still confirmed in wall time (Benchmarks/README.md). valgrind cannot read the DWARF of a Swift
# release build: the command runs a copy without debug sections (symbols kept).
set -euo pipefail
top=25
if [[ "${1:-}" == "--top" ]]; then top=$2; shift 2; fi
binary=${1:?usage: count_instructions.sh [--top N] BINARY ARGS...}
shift
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
strip --strip-debug "$binary" -o "$work/$(basename "$binary")"
status=0
valgrind --tool=callgrind --callgrind-out-file="$work/out" "$work/$(basename "$binary")" "$@" >/dev/null 2>"$work/log" || status=$?
# The command's own messages (a count of a command that failed early measures little).
grep -v '^==[0-9]*==' "$work/log" >&2 || true
echo "exit status $status"
grep -E "Collected" "$work/log" | sed 's/^==[0-9]*== *//'
demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
callgrind_annotate "$work/out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -n "$((top + 1))" | demangle | cut -c1-160
