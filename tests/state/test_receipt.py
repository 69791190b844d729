"""Receipts serialize to JSON and load back only if every off-chain check passes, including the join
rule: the history of openings from the last closed round is consecutive and leads to the round."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from settlefl.crypto import eddsa
from settlefl.params import BuildParams
from settlefl.state import Join, Receipt, RewardState, RoundUpdate, job_domain, job_id, make_receipt, round_salt

PARAMS = BuildParams(16, 16, 32, 4)
CHAIN, CONTRACT = 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3"
JOB = job_id("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 0)
DOMAIN = job_domain(CHAIN, CONTRACT, JOB)
KEY = eddsa.generate_private_key()


SECRET = 987654321


def _states() -> tuple[RewardState, RewardState]:
    genesis = RewardState.genesis(PARAMS, DOMAIN, 1_000_000, [0xA1, 0xB2])
    first = genesis.apply_round(RoundUpdate([(0, 10)], [Join(0xC3, 4)]), round_salt(SECRET, DOMAIN, 1))
    return genesis, first


def _rounds(count: int) -> list[RewardState]:
    """Genesis and ``count`` honest rounds; round r lets participant 0xD0 + r join."""
    chain = [_states()[0]]
    for r in range(1, count + 1):
        update = RoundUpdate([(0, r)], [Join(0xD0 + r, r)])
        chain.append(chain[-1].apply_round(update, round_salt(SECRET, DOMAIN, r)))
    return chain


def _receipt_for(state: RewardState, history: list[RewardState]) -> Receipt:
    return make_receipt(chain_id=CHAIN, contract=CONTRACT, job_id=JOB, state=state, private_key=KEY, history=history)


def _receipt() -> Receipt:
    genesis, first = _states()
    return _receipt_for(first, [genesis])


def test_a_receipt_round_trips_through_json_with_big_integers_as_strings() -> None:
    receipt = _receipt()
    text = receipt.model_dump_json()
    assert isinstance(json.loads(text)["opening"]["salt"], str)
    loaded = Receipt.model_validate_json(text)
    assert loaded == receipt
    assert loaded.state().commitment == receipt.commitment
    loaded.check_signer(eddsa.public_key_hash(eddsa.public_key(KEY)))


def _tampered(edit: object) -> str:
    body = json.loads(_receipt().model_dump_json())
    edit(body)  # type: ignore[operator]
    return json.dumps(body)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda b: b["opening"]["words"].__setitem__(0, str(int(b["opening"]["words"][0]) + 2**160)),
         "total = 14 but the participants' units add up to 15"),
        (lambda b: b["opening"].__setitem__("salt", "1"), "does not hash to the signed commitment"),
        (lambda b: b["signature"].__setitem__("s", str(int(b["signature"]["s"]) ^ 1)), "signature .* is invalid"),
        (lambda b: b.__setitem__("chain_id", 1), "does not hash to the signed commitment"),
        (lambda b: b["history"][0].__setitem__("words", b["history"][0]["words"][::-1]),
         "round 1 does not follow round 0"),
        (lambda b: b["opening"].__setitem__("total", "-1"), "negative"),
        (lambda b: b["opening"]["words"].__setitem__(1, "x"), "not a decimal"),
        (lambda b: b.__setitem__("surprise", 1), "Extra inputs are not permitted"),
    ],
)
def test_a_tampered_receipt_is_refused_on_load_with_the_failed_check(edit: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Receipt.model_validate_json(_tampered(edit))


def test_a_receipt_signed_by_another_key_is_refused_against_the_jobs_key_hash() -> None:
    receipt = _receipt()
    other = eddsa.public_key_hash(eddsa.public_key(eddsa.generate_private_key()))
    with pytest.raises(ValueError, match="signed by a key other than the job's"):
        receipt.check_signer(other)


def test_a_receipt_for_a_state_of_another_job_cannot_be_made() -> None:
    _, first = _states()
    with pytest.raises(ValueError, match="not this job's domain"):
        make_receipt(chain_id=1, contract=CONTRACT, job_id=JOB, state=first, private_key=KEY)


def test_a_multi_round_history_from_the_last_closed_round_is_accepted_and_says_what_it_defends() -> None:
    chain = _rounds(5)
    receipt = Receipt.model_validate_json(_receipt_for(chain[5], chain[2:5]).model_dump_json())
    assert [opening.round for opening in receipt.history] == [2, 3, 4]
    assert [state.commitment for state in receipt.history_states()] == [s.commitment for s in chain[2:5]]
    assert receipt.defends_from == 3  # rounds 3, 4, 5: each with the openings of its two ends
    assert _receipt_for(chain[5], []).defends_from == 6  # made after round 5 closed: nothing left to defend


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([1, 2, 4], r"holds rounds \[1, 2, 4\]; a receipt for round 5 needs consecutive rounds ending at round 4"),
        ([2, 4, 3], r"holds rounds \[2, 4, 3\]"),
        ([1, 2, 3], "ending at round 4"),
        ([4, 4], r"holds rounds \[4, 4\]"),
    ],
    ids=["gap", "wrong-order", "stops-short", "repeated"],
)
def test_a_history_with_a_gap_a_wrong_order_or_a_missing_last_round_is_refused(
    history: list[int], message: str
) -> None:
    chain = _rounds(5)
    with pytest.raises(ValidationError, match=message):
        _receipt_for(chain[5], [chain[r] for r in history])


def test_a_history_state_the_next_round_does_not_follow_from_is_refused() -> None:
    chain = _rounds(5)
    # Another round 3 (participant 0xA1 got more units there than it holds in round 4): a consecutive,
    # well-formed history whose round 4 cannot follow.
    other3 = chain[2].apply_round(RoundUpdate([(0, 1000)]), round_salt(SECRET, DOMAIN, 3))
    with pytest.raises(ValidationError, match="round 4 does not follow round 3: .* would lose units"):
        _receipt_for(chain[5], [chain[2], other3, chain[4]])


def test_a_history_whose_last_round_does_not_lead_to_the_receipts_round_is_refused() -> None:
    chain = _rounds(5)
    other4 = chain[3].apply_round(RoundUpdate([], [Join(0xEE, 1)]), round_salt(SECRET, DOMAIN, 4))
    with pytest.raises(ValidationError, match="round 5 does not follow round 4: .* was replaced by"):
        _receipt_for(chain[5], [chain[3], other4])
