"""Crash a role engine at a chosen instruction: run it in a child process that SIGKILLs itself there.

A real crash, not a simulated one: the child is the production engine on the role's own store file, and
at the chosen point it sends itself SIGKILL, so nothing runs after it (no ``finally``, no ``atexit``, no
SQLite close) and everything in its memory is lost: the Sender's nonce, the projection, a proof being
made. Only what the engine wrote to its store before that instruction survives, which is exactly what a
power cut or ``kill -9`` leaves. The test then builds a new engine on the same store and checks that it
carries on without losing or repeating anything.

The kill points are chosen in the child by wrapping one function of the engine's own code (no hook in the
production code, nothing it could trigger by mistake):

* ``sign``: the aggregator enters :meth:`Aggregator._sign` (the round is committed and seen on chain; its
  commitment is not yet in the signing log);
* ``signed``: the commitment has just entered the signing log (no receipt stored yet);
* ``prove-transition``: a role starts a Transition proof (it has seen a challenge and decided to answer);
* ``journaled``: the transaction of an action whose key starts with ``key`` is signed and journaled, not yet
  broadcast;
* ``broadcast``: that transaction has just been handed to the node (it is in the node's pool; whether it is
  mined depends on the node's mining mode, which the test controls).

The parent (:func:`kill_during`) passes everything through stdin (the account key is a test-only key).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from settlefl.roles.follower import Timing

ROOT = Path(__file__).resolve().parents[2]
KILL_POINTS = ("sign", "signed", "prove-transition", "journaled", "broadcast")


def _die() -> None:
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(point: str, key_prefix: str) -> None:
    """Make the engine's code SIGKILL this process at ``point``."""
    from web3.eth import Eth

    from settlefl.circuits.prover import Prover
    from settlefl.roles.aggregator import Aggregator
    from settlefl.roles.store import RoleStore

    if point == "sign":
        Aggregator._sign = lambda *args, **kwargs: _die()  # type: ignore[assignment,method-assign]
        return
    if point == "signed":
        log_signature = RoleStore.log_signature

        def logged(self: RoleStore, round_number: int, commitment: int) -> None:
            log_signature(self, round_number, commitment)
            _die()

        RoleStore.log_signature = logged  # type: ignore[method-assign]
        return
    if point == "prove-transition":
        Prover.prove_transition = lambda *args, **kwargs: _die()  # type: ignore[method-assign,assignment]
        return
    armed: list[str] = []
    journal_sent = RoleStore.journal_sent

    def journaled(self: RoleStore, key: str, nonce: int, raw: bytes, tx_hash: str) -> None:
        journal_sent(self, key, nonce, raw, tx_hash)
        if key.startswith(key_prefix):
            if point == "journaled":
                _die()
            armed.append(key)

    RoleStore.journal_sent = journaled  # type: ignore[method-assign]
    if point == "broadcast":
        send_raw_transaction = Eth.send_raw_transaction

        def broadcast(self: Eth, raw: Any) -> Any:
            tx_hash = send_raw_transaction(self, raw)
            if armed:
                _die()
            return tx_hash

        Eth.send_raw_transaction = broadcast  # type: ignore[method-assign,assignment]


def _child() -> int:
    spec = json.load(sys.stdin)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="child %(levelname)s %(name)s: %(message)s")
    _arm(spec["die"], spec.get("key", ""))

    from eth_account import Account

    from settlefl.chain.client import Chain
    from settlefl.chain.contract import SettleFL
    from settlefl.chain.deploy import Deployment
    from settlefl.circuits.prover import Prover
    from settlefl.roles.aggregator import Aggregator
    from settlefl.roles.follower import RoleContext, Timing
    from settlefl.roles.participant import Participant
    from settlefl.roles.store import RoleStore

    chain = Chain(spec["rpc"], max_wait=30)
    deployment = Deployment.model_validate_json(spec["deployment"])
    settle = SettleFL(chain, deployment.settlefl)
    account = Account.from_key(spec["account"])
    ctx = RoleContext(chain, settle, deployment, settle.sender(account), RoleStore(spec["store"]),
                      Prover(Path(spec["build"])), Timing(**spec["timing"]))
    role: Aggregator | Participant
    if spec["role"] == "aggregator":
        role = Aggregator.resume(ctx, bytes.fromhex(spec["signing_key"]))
    else:
        role = Participant(ctx, bytes.fromhex(spec["job"]))
    if spec["action"] == "submit_round":
        assert isinstance(role, Aggregator)
        role.submit_round(spec["units"])
    else:
        role.tick()
    print(f"finished {spec['action']} without reaching the kill point {spec['die']!r}", file=sys.stderr)
    return 3


def kill_during(*, rpc: str, deployment_json: str, build: Path, store: Path, account: LocalAccount, timing: Timing,
                role: str, action: str, die: str, key: str = "", job: bytes | None = None,
                signing_key: bytes | None = None, units: Mapping[str, int] | None = None,
                timeout: float = 180) -> str:
    """Run ``role.action`` on ``store`` in a child process killed at ``die``; returns the child's log."""
    assert die in KILL_POINTS, die
    spec = {"rpc": rpc, "deployment": deployment_json, "build": str(build), "store": str(store),
            "account": account.key.hex(), "timing": asdict(timing),
            "role": role, "action": action, "die": die, "key": key, "job": job.hex() if job else None,
            "signing_key": signing_key.hex() if signing_key else None, "units": dict(units or {})}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    child = subprocess.run([sys.executable, "-m", "tests.roles.crash"], input=json.dumps(spec), capture_output=True,
                           text=True, timeout=timeout, cwd=ROOT, env=env, check=False)
    assert child.returncode == -signal.SIGKILL, (
        f"the {role} was to be killed at {die!r} but exited with status {child.returncode}:\n{child.stderr[-4000:]}"
    )
    return child.stderr


if __name__ == "__main__":
    sys.exit(_child())
