"""The node's tests: a real anvil and deployment (shared with tests/roles), real training, real HTTP."""

from __future__ import annotations

from tests.roles.conftest import anvil, chain, deployment, prover  # noqa: F401 - fixtures reused here
