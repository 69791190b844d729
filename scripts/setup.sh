#!/usr/bin/env bash
# One idempotent setup step for a fresh machine: the Python virtual environment with the package and its
# dev extras, the pinned npm tools, then a check that forge builds offline and circom2 compiles.
# Each part re-runs only when its inputs (pyproject.toml, package-lock.json, this script) change, so
# calling it before every command costs a second. `scripts/setup.sh --check` forces the tool checks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
PYTHON=${PYTHON:-python3}
force_check=${1:-}

log() { printf '\033[1msetup [%3d s]:\033[0m %s\n' "$SECONDS" "$*" >&2; }
fingerprint() { cat "$@" | sha256sum | cut -c1-16; }

need() {
  command -v "$1" >/dev/null 2>&1 || { log "missing $1: $2"; exit 1; }
}
need "$PYTHON" "install Python 3.11 or newer"
need node "install Node.js 20 or newer (npm comes with it)"
need npm "install npm (it comes with Node.js)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { log "Python 3.11+ is required"; exit 1; }

changed=""

py_print=$(fingerprint pyproject.toml scripts/setup.sh)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.setup-fingerprint" 2>/dev/null)" != "$py_print" ]; then
  log "creating the Python environment in $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip 2>/dev/null
  # torch first and exactly pinned: an unpinned torch would pull a multi-GB CUDA build.
  "$VENV/bin/pip" install -q torch==2.13.0 2> >(grep -v 'is ignored: it is neither' >&2)
  # setuptools warns that a folder named like a package may shadow it: node/ is installed as settlefl_node.
  PYTHONWARNINGS="ignore:Editable installation" "$VENV/bin/pip" install -q -e ".[dev,node]" \
    2> >(grep -v 'is ignored: it is neither' >&2)
  # circomlibpy declares Python >= 3.12 but runs on 3.11; pip cannot take it as a dependency.
  "$VENV/bin/pip" install -q --no-deps --ignore-requires-python circomlibpy==1.0.0 \
    2> >(grep -v 'is ignored: it is neither' >&2)
  echo "$py_print" > "$VENV/.setup-fingerprint"
  changed=1
fi

npm_print=$(fingerprint package.json package-lock.json)
if [ ! -d node_modules ] || [ "$(cat node_modules/.setup-fingerprint 2>/dev/null)" != "$npm_print" ]; then
  log "installing the pinned npm tools (anvil, forge, cast, solc-js, circom2, snarkjs, circomlib, circomlibjs)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_print" > node_modules/.setup-fingerprint
  changed=1
fi

# The status-page test drives a real browser: Debian's chromium. Install it where apt may be used (root or
# passwordless sudo), once; elsewhere that test skips and says why.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ ! -e "$VENV/.chromium-tried" ]; then
  touch "$VENV/.chromium-tried"
  if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="no"; fi
  if [ "$sudo" != "no" ]; then
    log "installing chromium (Debian's package) for the status-page test"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        chromium; } >/dev/null 2>&1 || log "chromium could not be installed: the status-page test will skip"
  fi
fi

# The committed test builds carry keys only; compile their r1cs and wasm from circuits/ (checked against
# each manifest, so a build whose circuit sources changed is refused here). Fast when already present.
for manifest in circuits/builds/*/manifest.json; do
  [ -e "$manifest" ] || continue
  build=$(dirname "$manifest")
  result=$("$VENV/bin/settlefl" circuits materialize "$build") \
    || { log "the committed build $build does not match circuits/"; exit 1; }
  case "$result" in *"nothing (all present)"*) ;; *) log "$result" ;; esac
done

# The Python side loads the contracts' ABIs and bytecode from contracts/out/: keep it current with the
# sources (forge skips unchanged files, so this costs a second when nothing changed).
scripts/foundry forge build --offline --quiet

if [ -n "$changed" ] || [ "$force_check" = "--check" ]; then
  log "checking the toolchain"
  scripts/foundry anvil --version | head -1 >&2
  scripts/solc --version | tail -1 >&2
  probe=$(mktemp -d)
  trap 'rm -rf "$probe"' EXIT
  cat > "$probe/probe.circom" <<'CIRCOM'
pragma circom 2.2.3;
include "circomlib/circuits/poseidon.circom";
template Probe() { signal input a[2]; signal output h; h <== Poseidon(2)(a); }
component main = Probe();
CIRCOM
  node_modules/.bin/circom2 "$probe/probe.circom" --r1cs --O2 -l node_modules -o "$probe" >/dev/null \
    || { log "circom2 failed to compile a probe circuit"; exit 1; }
  "$VENV/bin/python" -c "from settlefl.crypto import poseidon; assert poseidon([1, 2]) == \
7853200120776062878684798364095072458815029376092732009249414926327459813530"
  log "ready: $($VENV/bin/python --version), node $(node --version), forge and circom2 work offline"
fi
