#!/usr/bin/env bash
# Creates (or reuses) a Python virtual environment holding one PEFT version plus the torch,
# transformers and safetensors it needs, for the PEFT driver (driver.py).
#
#   setup-venv.sh PEFT_VERSION [VENV_ROOT]
#
# The venv is VENV_ROOT/peft-PEFT_VERSION, VENV_ROOT defaulting to
# ${XDG_CACHE_HOME:-$HOME/.cache}/adaptest/venvs. A complete venv carries the stamp file
# .adaptest-venv-complete (installed versions, one `name=version` a line) and is reused as is.
# A venv without a stamp (an interrupted run, or one made by hand) is completed and stamped.
#
# Progress goes to stderr; on success the last line on stdout is the venv's python interpreter.
#
# Environment overrides:
#   PYTHON                     interpreter used to create the venv (default: python3)
#   ADAPTEST_TORCH_SPEC        pip requirement for torch (default: torch==2.13.0+cpu when it
#                              resolves from the configured indexes/find-links, else plain torch)
#   ADAPTEST_TRANSFORMERS_SPEC pip requirement for transformers (default: chosen per PEFT version)
set -euo pipefail

readonly STAMP_NAME=".adaptest-venv-complete"
readonly CPU_TORCH="torch==2.13.0+cpu"

say() { printf 'setup-venv: %s\n' "$*" >&2; }
die() { printf 'setup-venv: error: %s\n' "$1" >&2; exit "${2:-1}"; }

usage() {
  cat >&2 <<'EOF'
usage: setup-venv.sh PEFT_VERSION [VENV_ROOT]
  PEFT_VERSION  an exact release such as 0.21.2
  VENV_ROOT     folder holding the venvs (default: ${XDG_CACHE_HOME:-$HOME/.cache}/adaptest/venvs)
EOF
}

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  usage
  exit 2
fi

peft_version="$1"
[[ "$peft_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] \
  || die "PEFT_VERSION must be an exact release like 0.21.2, got '$peft_version'" 2

venv_root="${2:-${XDG_CACHE_HOME:-$HOME/.cache}/adaptest/venvs}"
venv="$venv_root/peft-$peft_version"
stamp="$venv/$STAMP_NAME"
vpy="$venv/bin/python"

# The transformers release each PEFT line works with. PEFT 0.13 breaks on transformers > 4.46 and
# 0.14.0 was observed with 4.46.3. PEFT 0.16/0.17 do not import with transformers 5.x, and 0.18.1
# imports but cannot wrap encoder-decoders (PeftModelForSeq2SeqLM needs a generation hook that
# transformers 5 removed), so 0.15-0.18 get the last 4.x. 0.19 and later get transformers 5.24.0, the
# release the ground truth and the profiles' transformers tables were recorded with (0.21.2 observed;
# 0.19/0.20 assumed).
transformers_spec_for() {
  local major minor
  IFS=. read -r major minor _ <<<"$1"
  if [ "$major" != "0" ] || [ "$minor" -ge 19 ]; then
    echo "transformers==5.24.0"
  elif [ "$minor" -le 14 ]; then
    echo "transformers==4.46.3"
  else
    echo "transformers==4.57.6"
  fi
}

# Prints name=version for the packages the driver needs; fails when one is not installed.
installed_versions() {
  "$vpy" - <<'EOF'
import importlib.metadata as md, platform
for name in ("peft", "torch", "transformers", "safetensors", "pytest"):
    print(f"{name}={md.version(name)}")
print(f"python={platform.python_version()}")
EOF
}

transformers_spec="${ADAPTEST_TRANSFORMERS_SPEC:-$(transformers_spec_for "$peft_version")}"

# Reuse: a stamped venv whose python still runs, still holds the requested PEFT and was made for
# the same transformers requirement.
if [ -f "$stamp" ] && [ -x "$vpy" ]; then
  if have="$(installed_versions 2>/dev/null)" && grep -qx "peft=$peft_version" <<<"$have" \
    && grep -qxF "transformers_spec=$transformers_spec" "$stamp"; then
    say "reusing $venv ($(paste -sd' ' <<<"$have"))"
    echo "$vpy"
    exit 0
  fi
  say "stamp present but the venv is broken or was made for other requirements; updating it"
  rm -f "$stamp"
fi

python_bin="${PYTHON:-python3}"
command -v "$python_bin" >/dev/null 2>&1 \
  || die "'$python_bin' not found; install Python 3.9+ with venv support: apt-get install -y python3 python3-venv"

mkdir -p "$venv_root" || die "cannot create $venv_root; check its permissions or pass another VENV_ROOT"

# One setup per venv at a time (two runners may ask for the same version).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$venv_root/.peft-$peft_version.lock"
  flock 9
  if [ -f "$stamp" ]; then   # another process finished it while we waited
    say "reusing $venv (completed by a concurrent setup)"
    echo "$vpy"
    exit 0
  fi
fi

started=$SECONDS
if [ ! -x "$vpy" ]; then
  say "creating venv $venv with $("$python_bin" --version 2>&1)"
  rm -rf "$venv"
  "$python_bin" -m venv "$venv" \
    || die "'$python_bin -m venv' failed; install venv support: apt-get install -y python3-venv"
else
  say "completing the existing venv $venv"
fi

pip=("$vpy" -m pip --disable-pip-version-check)

torch_spec="${ADAPTEST_TORCH_SPEC:-}"
if [ -z "$torch_spec" ]; then
  if "${pip[@]}" install --quiet --dry-run --no-deps "$CPU_TORCH" >/dev/null 2>&1; then
    torch_spec="$CPU_TORCH"
  else
    torch_spec="torch"
    say "'$CPU_TORCH' does not resolve here; falling back to plain torch (a much larger download)"
  fi
fi

requirements=("$torch_spec" "peft==$peft_version" "$transformers_spec" "safetensors" "pytest")
say "installing ${requirements[*]}"
pip_cmd="$vpy -m pip install ${requirements[*]}"
"${pip[@]}" install --quiet "${requirements[@]}" >&2 \
  || die "pip install failed (see above); fix the cause and rerun: $0 $peft_version${2:+ $2} (or run: $pip_cmd)"

say "checking that torch, transformers, peft and safetensors import"
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$vpy" -c "
import sys, torch, transformers, safetensors, peft
if peft.__version__ != sys.argv[1]:
    sys.exit(f'peft {peft.__version__} imported, expected {sys.argv[1]}')
" "$peft_version" >&2 \
  || die "the new venv cannot import its packages (see above); pick another transformers with ADAPTEST_TRANSFORMERS_SPEC=... and rerun: $0 $peft_version${2:+ $2}"

have="$(installed_versions)" || die "cannot list the installed packages; rerun: $0 $peft_version${2:+ $2}"
tmp_stamp="$(mktemp "$venv/.stamp.XXXXXX")"
printf '%s\n' "$have" "transformers_spec=$transformers_spec" >"$tmp_stamp"
mv -f "$tmp_stamp" "$stamp"
say "ready in $((SECONDS - started)) s: $venv ($(paste -sd' ' <<<"$have"))"
echo "$vpy"
