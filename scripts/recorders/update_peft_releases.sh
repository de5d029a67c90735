#!/usr/bin/env bash
# Re-records the facts of the older PEFT releases the version-exact profiles reproduce (config classes,
# their fields, parameter prefixes) from each real release and rewrites the Swift table.
#   scripts/recorders/update_peft_releases.sh [--check]
# Each release's venv is made (or reused) by Drivers/peft/setup-venv.sh. --check writes nothing and
# exits 1 when the committed table differs from what the releases record.
set -euo pipefail
cd "$(dirname "$0")/../.."
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
releases=(0.13.2 0.14.0 0.18.1)
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
table=Sources/AdapterLoading/Loading/PEFTReleaseData.swift
records=()
for v in "${releases[@]}"; do
  python="$(Drivers/peft/setup-venv.sh "$v" | tail -n 1)"
  HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$python" scripts/recorders/record_peft_release.py "$scratch/$v.json"
  records+=("$scratch/$v.json")
done
python3 scripts/recorders/embed_peft_releases.py "$scratch/table.swift" "${records[@]}"
if [ "$check" = 1 ]; then
  if cmp -s "$scratch/table.swift" "$table"; then
    echo "PEFT release table: equal to what the releases record" >&2
  else
    echo "PEFT release table: $table differs; rerun scripts/recorders/update_peft_releases.sh" >&2
    exit 1
  fi
else
  cp "$scratch/table.swift" "$table"
fi
