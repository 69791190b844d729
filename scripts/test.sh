#!/usr/bin/env bash
# The whole test suite: pytest (Python library, circuits, end-to-end against anvil) and Foundry.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k eddsa`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/python -m pytest "$@"
if compgen -G "contracts/test/*.t.sol" >/dev/null || compgen -G "contracts/test/**/*.t.sol" >/dev/null; then
  node_modules/.bin/forge test
fi
