#!/usr/bin/env bash
# The whole test suite: pytest (Python library, circuits, end-to-end against anvil) and Foundry.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k eddsa`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/python -m pytest "$@"
node_modules/.bin/forge test
# Gas regressions: every external function's snapshot (contracts/test/GasSnapshot.t.sol) must stay
# within 1% of .gas-snapshot; after an intended change run `forge snapshot --match-contract GasSnapshot`.
node_modules/.bin/forge snapshot --match-contract GasSnapshot --check --tolerance 1 >/dev/null \
  || { echo "gas snapshot changed: see \`forge snapshot --match-contract GasSnapshot --diff\`" >&2; exit 1; }
