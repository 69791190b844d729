"""Receipts serialize to JSON and load back only if every off-chain check passes."""

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


def _states() -> tuple[RewardState, RewardState]:
    genesis = RewardState.genesis(PARAMS, DOMAIN, 1_000_000, [0xA1, 0xB2])
    secret = 987654321
    first = genesis.apply_round(RoundUpdate([(0, 10)], [Join(0xC3, 4)]), round_salt(secret, DOMAIN, 1))
    return genesis, first


def _receipt() -> Receipt:
    genesis, first = _states()
    return make_receipt(chain_id=CHAIN, contract=CONTRACT, job_id=JOB, state=first, private_key=KEY, previous=genesis)


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
        (lambda b: b["previous"].__setitem__("words", b["previous"]["words"][::-1]),
         "does not follow the previous opening"),
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
