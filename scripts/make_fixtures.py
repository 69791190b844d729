#!/usr/bin/env python3
"""Real Groth16 proofs for the Foundry suite, made by the Python provers for the committed test build.

    .venv/bin/python scripts/make_fixtures.py [--build circuits/builds/n32_b16_k32_j4] [--check]

Every proof binds the chain (31337), the contract address, the job and the submitting address, so the
Foundry tests deploy SettleFL at the fixed address below (forge-std ``deployCodeTo``) and act from the
fixed addresses below; this file and ``contracts/test/utils/Fixtures.sol`` must agree on them.

One "standard" job (aggregator ``AGG``, nonce 0) serves every scenario: jobId and domain do not depend on
the variant, the escrow asset or the terms, so the same states and proofs drive the CC and CP variants,
ETH and ERC-20 escrows, clean and faulted outcomes. Its genesis holds 18 participants ``0x1000..0x1011``
(the first four are where the hostile-payee tests put their mock contracts), round 1 adds two joins,
round 3 two more. A second job (``AGG2``) exists to show that one job never touches another's money.

Written to ``contracts/test/fixtures/std.json``. ``--check`` verifies that the committed file still
matches the build and the protocol library (without re-proving); the Foundry suite itself checks every
proof against the committed verifiers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from settlefl.circuits.prover import Groth16Proof, JobContext, Proved, Prover
from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import batch_words, raw_payout_inputs
from settlefl.compression import payout_challenge
from settlefl.crypto import eddsa
from settlefl.state import (
    Join,
    RewardState,
    RoundUpdate,
    commitment,
    job_domain,
    job_id,
    round_salt,
    words_hash,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUILD = ROOT / "circuits" / "builds" / "n32_b16_k32_j4"
OUT = ROOT / "contracts" / "test" / "fixtures" / "std.json"

CHAIN_ID = 31337
# Fixed addresses, mirrored in contracts/test/utils/Fixtures.sol.
SETTLE = 0x5E771E0000000000000000000000000000000001
AGG = 0xA66
AGG2 = 0xA67
SUBMITTER = 0x5B0
PARTICIPANT = 0x1004  # a genesis participant who responds and answers
PROVER = 0x9E0F  # proves equivocation
PARTICIPANTS = [0x1000 + i for i in range(18)]
JOINS_1 = [0x1012, 0x1013]
JOINS_3 = [0x1014, 0x1015]
#: The standard job's last round (rounds 16..32 make the longest history: see build_states).
LAST_ROUND = 34

MAX_UNITS = 2_000_000
JOB_SECRET = 0x5E771E5EC2E7
SIGNING_KEY = bytes.fromhex("5e" * 32)  # a published test key: never use it for anything else


def addr(value: int) -> str:
    return "0x" + f"{value:040x}"


def flat(proof: Groth16Proof) -> list[str]:
    a, b, c = proof.solidity()
    return [str(v) for v in (a[0], a[1], b[0][0], b[0][1], b[1][0], b[1][1], c[0], c[1])]


def build_states(prover: Prover, domain: int) -> dict[str, RewardState]:
    """The standard job's rounds 0..34 and the commitments an aggregator might sign besides the chain's.

    Rounds 5..34 exist so that the Foundry suite can play every dispute path with the longest history a
    call may carry (rounds 16..32: 17 links, ending at the checkpoint of round 32).
    """
    params = prover.params

    def salt(r: int) -> int:
        return round_salt(JOB_SECRET, domain, r)

    r0 = RewardState.genesis(params, domain, MAX_UNITS, PARTICIPANTS)
    r1 = r0.apply_round(
        RoundUpdate(rows=[(i, 1000 * (i + 1)) for i in range(18)], joins=[Join(JOINS_1[0], 77), Join(JOINS_1[1], 5)]),
        salt(1),
    )
    r2 = r1.apply_round(RoundUpdate(rows=[(0, 5000), (19, 12345), (4, 7)]), salt(2))
    r3 = r2.apply_round(
        RoundUpdate(rows=[(3, 1), (4, 2**20)], joins=[Join(JOINS_3[0], 100), Join(JOINS_3[1], 200)]), salt(3)
    )
    rounds = [r0, r1, r2, r3]
    for r in range(4, LAST_ROUND + 1):
        prev = rounds[-1]
        rows = [((r * 7) % prev.n, 9 + r), ((r * 7 + 1) % prev.n, r)]
        rounds.append(prev.apply_round(RoundUpdate(rows=rows), salt(r)))
    states = {f"r{r}": state for r, state in enumerate(rounds)}
    # Commitments the aggregator might sign besides the chain's (equivocation and its traps).
    states["alt0"] = RewardState.genesis(params, domain, MAX_UNITS, PARTICIPANTS[:17])
    states["alt2"] = r1.apply_round(RoundUpdate(rows=[(0, 999_000)]), salt(2))
    states["alt3"] = r2.apply_round(RoundUpdate(rows=[(1, 5)]), salt(3))
    states["alt17"] = rounds[16].apply_round(RoundUpdate(rows=[(5, 4242)]), salt(17))
    return states


def invalid_state(base: RewardState, prover: Prover, salt: int) -> dict[str, Any]:
    """``base`` plus a used slot with the zero address and 500 units: a state no valid round reaches
    (RewardState refuses it), committed as it is by a cheating aggregator."""
    words = list(base.words)
    words[base.n] = 500 << 160
    n, total = base.n + 1, base.total + 500
    c = commitment(base.domain, base.round + 1, n, total, base.max_units, words_hash(words), salt)
    return {"round": base.round + 1, "commitment": c, "n": n, "total": total, "salt": salt, "words": words,
            "domain": base.domain, "maxUnits": base.max_units}


def raw_json(raw: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of :meth:`RewardState.to_json` for a state ``RewardState`` refuses (a cheat's)."""
    return {"round": raw["round"], "commitment": str(raw["commitment"]), "n": raw["n"], "total": str(raw["total"]),
            "salt": str(raw["salt"]), "words": [str(w) for w in raw["words"][: raw["n"]]]}


def build_fingerprint(prover: Prover) -> dict[str, dict[str, str]]:
    """The sha256 of each circuit's zkey and Solidity verifier, from the build's manifest (the Foundry
    suite compares them with circuits/builds/<build>/manifest.json to flag stale fixtures)."""
    return {
        circuit.value: {kind: entry.files[kind].sha256 for kind in ("zkey", "verifier")}
        for circuit, entry in sorted(prover.manifest.circuits.items())
    }


def generate(build: Path) -> dict[str, Any]:
    prover = Prover(build)
    fingerprint = build_fingerprint(prover)
    started = time.perf_counter()
    job = job_id(addr(AGG), 0)
    domain = job_domain(CHAIN_ID, addr(SETTLE), job)
    ctx = JobContext(CHAIN_ID, addr(SETTLE), job)
    s = build_states(prover, domain)
    key = eddsa.public_key(SIGNING_KEY)

    def p(proved: Proved) -> list[str]:
        return flat(proved.proof)

    def receipt(state: RewardState, sender: int) -> list[str]:
        signature = eddsa.sign(SIGNING_KEY, state.commitment)
        return p(prover.prove_receipt(state, signature, key, sender))

    proofs: dict[str, list[str]] = {
        "genesis": p(prover.prove_opening(s["r0"], ctx, addr(AGG))),
        "transition1Agg": p(prover.prove_transition(s["r0"], s["r1"], addr(AGG))),
        "transition2Agg": p(prover.prove_transition(s["r1"], s["r2"], addr(AGG))),
        "transition3Agg": p(prover.prove_transition(s["r2"], s["r3"], addr(AGG))),
        "transition2Participant": p(prover.prove_transition(s["r1"], s["r2"], addr(PARTICIPANT))),
        "transition17Participant": p(prover.prove_transition(s["r16"], s["r17"], addr(PARTICIPANT))),
        "transition17Agg": p(prover.prove_transition(s["r16"], s["r17"], addr(AGG))),
        "opening2Participant": p(prover.prove_opening(s["r2"], ctx, addr(PARTICIPANT))),
        "opening3Participant": p(prover.prove_opening(s["r3"], ctx, addr(PARTICIPANT))),
        "opening17Participant": p(prover.prove_opening(s["r17"], ctx, addr(PARTICIPANT))),
        "receiptAlt2": receipt(s["alt2"], PROVER),
        "receiptAlt3": receipt(s["alt3"], PROVER),
        "receiptAlt0": receipt(s["alt0"], PROVER),
        "receiptAlt17": receipt(s["alt17"], PROVER),
        "receiptR4": receipt(s["r4"], PROVER),
        "receiptHonest2": receipt(s["r2"], PROVER),
    }
    payouts: dict[str, list[dict[str, Any]]] = {}
    for name in ("r0", "r1", "r2", "r3", "r16", "r34"):
        state = s[name]
        batches = -(-state.n // prover.params.batch)
        payouts[name] = []
        for batch in range(batches):
            proved = prover.prove_payout(state, batch, ctx, addr(SUBMITTER))
            payouts[name].append({"words": [str(w) for w in proved.words], "proof": p(proved)})

    # An invalid round 4 that nobody challenged: slot 22 is "used" but has no payee (the zero address).
    # Only the Payout circuit sees it, and it checks no addresses: the contract must skip the word.
    bad4 = invalid_state(s["r3"], prover, salt=round_salt(JOB_SECRET, domain, 4))
    states_extra = {"bad4": bad4}
    payouts["bad4"] = []
    for batch in range(-(-bad4["n"] // prover.params.batch)):
        words = batch_words(bad4["words"], batch, prover.params.batch)
        challenge = payout_challenge(
            chain_id=ctx.chain_id, contract=ctx.contract, job_id=ctx.job_id, sender=addr(SUBMITTER),
            commitment=bad4["commitment"], domain=bad4["domain"], round_number=bad4["round"], n=bad4["n"],
            total=bad4["total"], batch=batch, words=words,
        )
        inputs = raw_payout_inputs(
            commitment=bad4["commitment"], domain=bad4["domain"], round_number=bad4["round"], n=bad4["n"],
            total=bad4["total"], max_units=bad4["maxUnits"], salt=bad4["salt"], words=bad4["words"], batch=batch,
            batch_size=prover.params.batch, challenge=challenge,
        )
        proved = prover.prove(Circuit.PAYOUT, inputs, words=words)
        payouts["bad4"].append({"words": [str(w) for w in proved.words], "proof": p(proved)})

    job2 = job_id(addr(AGG2), 0)
    ctx2 = JobContext(CHAIN_ID, addr(SETTLE), job2)
    domain2 = job_domain(CHAIN_ID, addr(SETTLE), job2)
    g2 = RewardState.genesis(prover.params, domain2, MAX_UNITS, PARTICIPANTS[:3])
    proofs["genesisJob2"] = p(prover.prove_opening(g2, ctx2, addr(AGG2)))

    sys.stderr.write(f"made {len(proofs) + sum(len(v) for v in payouts.values())} proofs in "
                     f"{time.perf_counter() - started:.1f} s\n")
    return {
        "about": "Real proofs for the Foundry suite. Made by scripts/make_fixtures.py; do not edit.",
        "build": prover.params.name,
        "buildFiles": fingerprint,
        "chainId": CHAIN_ID,
        "contract": addr(SETTLE),
        "actors": {"aggregator": addr(AGG), "aggregator2": addr(AGG2), "submitter": addr(SUBMITTER),
                   "participant": addr(PARTICIPANT), "prover": addr(PROVER)},
        "job": {"nonce": 0, "jobId": "0x" + job.hex(), "domain": str(domain), "maxUnits": str(MAX_UNITS),
                "pubHash": str(eddsa.public_key_hash(key))},
        "job2": {"jobId": "0x" + job2.hex(), "domain": str(domain2), "genesis": g2.to_json()},
        "states": {**{name: state.to_json() for name, state in s.items()},
                   **{name: raw_json(raw) for name, raw in states_extra.items()}},
        "proofs": proofs,
        "payouts": payouts,
    }


def check(build: Path, data: dict[str, Any]) -> list[str]:
    """Re-derive the states and compare them with the committed file."""
    prover = Prover(build)
    problems = []
    job = job_id(addr(AGG), 0)
    domain = job_domain(CHAIN_ID, addr(SETTLE), job)
    for name, state in build_states(prover, domain).items():
        if data["states"][name] != state.to_json():
            problems.append(f"state {name} differs from the protocol library")
    if data["build"] != prover.params.name:
        problems.append(f"fixtures are for {data['build']}, the build is {prover.params.name}")
    if data.get("buildFiles") != build_fingerprint(prover):
        problems.append("the build's zkeys or verifiers changed since the fixtures were made: rerun this script")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, default=DEFAULT_BUILD)
    parser.add_argument("--check", action="store_true", help="check the committed fixtures, make nothing")
    args = parser.parse_args()
    if args.check:
        problems = check(args.build, json.loads(OUT.read_text()))
        for problem in problems:
            sys.stderr.write(problem + "\n")
        return 1 if problems else 0
    data = generate(args.build)
    if build_fingerprint(Prover(args.build)) != data["buildFiles"]:
        sys.stderr.write("the build changed while proving; run again once it is stable\n")
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    sys.stderr.write(f"wrote {OUT.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
