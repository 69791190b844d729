"""The project's published test vectors: ``jobId``, ``domain``, both ``(x, y)`` formulas, ``rs``, commitments.

Python, circom and Solidity must agree on these bit for bit. ``scripts/make_vectors.py`` writes them to
``tests/vectors/protocol.json`` (the library only computes them); the Python suite checks that the
library still reproduces that file, the circuit suite proves openings of its states, and the Foundry
suite recomputes ``jobId``, ``domain``, both ``x``/``y`` pairs (the header inside ``y``) and the packed
``rs = sender + 2^160 * r`` from it. All inputs are fixed, so the file changes only when the protocol
does. States are written in the project's one JSON form (:meth:`RewardState.to_json`: the used words).
"""

from __future__ import annotations

from typing import Any

from settlefl.circuits.witness import pack_round_and_sender
from settlefl.compression import TAG_OPENING, TAG_PAYOUT, opening_challenge, payout_challenge
from settlefl.crypto import eddsa
from settlefl.params import BuildParams
from settlefl.state import Join, RewardState, RoundUpdate, job_domain, job_id, round_salt

CHAIN_ID = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
AGGREGATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SUBMITTER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
NONCE = 7
JOB_SECRET = 0x5E771E5EC2E7
SIGNING_KEY = bytes.fromhex("0b" * 32)  # a published test key: never use it for anything else
PARAMS = BuildParams(participants=32, batch=16, row_bits=32, max_joins=4)
MAX_UNITS = 10**12


def _state_json(state: RewardState) -> dict[str, Any]:
    """The project's JSON form of a state (:meth:`RewardState.to_json`), with what the commitment also
    hashes (``maxUnits``, ``hW``) so that another implementation can recompute ``C`` from the file."""
    return {**state.to_json(), "maxUnits": str(state.max_units), "hW": str(state.words_hash)}


def generate() -> dict[str, Any]:
    """Compute every vector from the fixed inputs above."""
    job = job_id(AGGREGATOR, NONCE)
    domain = job_domain(CHAIN_ID, CONTRACT, job)
    addresses = [0x1000 + i for i in range(18)]
    genesis = RewardState.genesis(PARAMS, domain, MAX_UNITS, addresses)
    first = genesis.apply_round(
        RoundUpdate(rows=[(i, 1000 * (i + 1)) for i in range(18)], joins=[Join(0xBEEF, 77), Join(0xCAFE, 5)]),
        round_salt(JOB_SECRET, domain, 1),
    )
    opening = opening_challenge(
        chain_id=CHAIN_ID, contract=CONTRACT, job_id=job, sender=AGGREGATOR, commitment=genesis.commitment,
        domain=domain, round_number=0, n=genesis.n, total=0, max_units=MAX_UNITS, salt=0,
        words=list(genesis.words[: genesis.n]),
    )
    batch_words = list(first.words[16:32])
    payout = payout_challenge(
        chain_id=CHAIN_ID, contract=CONTRACT, job_id=job, sender=SUBMITTER, commitment=first.commitment,
        domain=domain, round_number=1, n=first.n, total=first.total, batch=1, words=batch_words,
    )
    key = eddsa.public_key(SIGNING_KEY)
    signature = eddsa.sign(SIGNING_KEY, first.commitment)
    return {
        "about": "SettleFL protocol test vectors (settlefl/testvectors.py). Values are decimal strings.",
        "chainId": CHAIN_ID,
        "contract": CONTRACT,
        "aggregator": AGGREGATOR,
        "submitter": SUBMITTER,
        "nonce": NONCE,
        "jobId": "0x" + job.hex(),
        "domain": str(domain),
        "build": PARAMS.name,
        "tags": {"opening": "0x" + TAG_OPENING.hex(), "payout": "0x" + TAG_PAYOUT.hex()},
        "genesis": _state_json(genesis),
        "round1": _state_json(first),
        "openingChallenge": {
            "sender": AGGREGATOR, "words": [str(w) for w in genesis.words[: genesis.n]],
            "x": str(opening.x), "y": str(opening.y),
        },
        "payoutChallenge": {
            "sender": SUBMITTER, "batch": 1, "words": [str(w) for w in batch_words],
            "x": str(payout.x), "y": str(payout.y),
        },
        "packedRoundSender": {"round": 1, "sender": SUBMITTER, "rs": str(pack_round_and_sender(1, SUBMITTER))},
        "receipt": {
            "signingKey": "0x" + SIGNING_KEY.hex(), "Ax": str(key[0]), "Ay": str(key[1]),
            "pubHash": str(eddsa.public_key_hash(key)), "message": str(first.commitment),
            "R8x": str(signature.r8x), "R8y": str(signature.r8y), "S": str(signature.s),
        },
    }

