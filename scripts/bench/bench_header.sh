#!/usr/bin/env bash
# Builds the safetensors benchmark in release mode and runs it side by side with Python
# `safetensors` (ADAPTEST_PYTHON must name a python with safetensors and numpy).
# Extra arguments go to Benchmarks/run.py (--rounds N, --keep DIR). See Benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${ADAPTEST_PYTHON:?set ADAPTEST_PYTHON to a python with safetensors and numpy}"
swift build -c release --product safetensors-bench >&2
python3 Benchmarks/run.py "$@"
