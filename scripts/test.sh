#!/usr/bin/env bash
# The whole test suite, in three stages; the first failing stage fails the command with its status.
#   lint     ruff (style, imports, likely bugs) and mypy --strict over every Python directory
#   python   pytest: the library, the circuits (real witnesses and proofs), real anvil chains, the wheel
#   foundry  forge test and the gas snapshot check, with the real forge binary (scripts/foundry): the
#            npm launcher of forge (under node_modules/.bin) exits 0 even when tests fail
#
#   scripts/test.sh                     every stage (what `make test` and CI run)
#   scripts/test.sh lint|python|foundry [PYTEST ARGS]    one stage; e.g. `scripts/test.sh python -m "not slow"`
#   scripts/test.sh -k eddsa            every stage, the arguments go to pytest
#
# The project is the directory above this script, so a copy of the project runs its own checks
# (tests/test_test_command.py plants failures in such copies and expects each stage to fail).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1mtest:\033[0m %s\n' "$*" >&2; }

stage_lint() {
  say "lint: ruff check, mypy --strict"
  .venv/bin/ruff check --quiet .
  .venv/bin/mypy
}

stage_python() {
  # Two workers (pytest-xdist), one test file each at a time: most tests wait on anvil, node or a child
  # process, so two interleave well even on two cores. PYTEST_WORKERS=0 runs in one process.
  local workers=${PYTEST_WORKERS:-2}
  say "python: pytest with $workers workers $*"
  if [ "$workers" = 0 ]; then
    .venv/bin/python -m pytest "$@"
  else
    .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
  fi
}

stage_foundry() {
  say "foundry: forge test, gas snapshot"
  scripts/foundry forge test
  # Gas regressions: every external function's snapshot (contracts/test/GasSnapshot.t.sol) must stay
  # within 1% of .gas-snapshot; after an intended change run `scripts/foundry forge snapshot --match-contract GasSnapshot`.
  if ! scripts/foundry forge snapshot --match-contract GasSnapshot --check --tolerance 1 >/dev/null; then
    echo "gas snapshot changed: see \`scripts/foundry forge snapshot --match-contract GasSnapshot --diff\`" >&2
    return 1
  fi
}

case "${1:-}" in
  lint) shift; stage_lint ;;
  python) shift; stage_python "$@" ;;
  foundry) shift; stage_foundry ;;
  *)
    stage_lint
    stage_python "$@"
    stage_foundry
    ;;
esac
