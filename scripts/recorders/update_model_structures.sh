#!/usr/bin/env bash
# Re-records the model-structure table from the transformers of the driver's venv and rewrites the Swift table.
#   scripts/recorders/update_model_structures.sh [--check] [PYTHON]
# --check writes nothing: it exits 1 when the committed table differs from what the recorder produces.
# PYTHON defaults to $ADAPTEST_PYTHON, else the cached venv of PEFT 0.21.2 (made by Drivers/peft/setup-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
python="${1:-${ADAPTEST_PYTHON:-$(Drivers/peft/setup-venv.sh 0.21.2 | tail -n 1)}}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
table=Sources/AdapterLoading/Model/Structures/ModelStructureData.swift
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$python" scripts/recorders/record_model_structures.py "$scratch/record.jsonl"
python3 scripts/recorders/embed_model_structures.py "$scratch/record.jsonl" "$scratch/table.swift"
if [ "$check" = 1 ]; then
  if cmp -s "$scratch/table.swift" "$table"; then
    echo "model-structure table: equal to what transformers records" >&2
  else
    echo "model-structure table: $table differs from what this transformers records; rerun scripts/recorders/update_model_structures.sh" >&2
    diff <(tr ',' '\n' < "$table") <(tr ',' '\n' < "$scratch/table.swift") | head -20 >&2 || true
    exit 1
  fi
else
  cp "$scratch/table.swift" "$table"
fi
