"""jobId, domain and salts are computed as the contract will compute them (checked against Foundry's cast)."""

from __future__ import annotations

import subprocess

import pytest

from settlefl.crypto import FIELD_MODULUS, poseidon
from settlefl.devchain import foundry_binary
from settlefl.state import job_domain, job_id, round_salt

AGGREGATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _cast(*args: str) -> str:
    # The real binary: the npm launcher node_modules/.bin/cast exits 0 even when cast fails.
    out = subprocess.run([str(foundry_binary("cast")), *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_job_id_is_the_keccak_of_the_abi_encoded_aggregator_and_nonce() -> None:
    for nonce in (0, 1, 2**64):
        encoded = _cast("abi-encode", "f(address,uint256)", AGGREGATOR, str(nonce))
        assert "0x" + job_id(AGGREGATOR, nonce).hex() == _cast("keccak", encoded)


def test_domain_is_the_keccak_of_chain_contract_and_job_reduced_into_the_field() -> None:
    job = job_id(AGGREGATOR, 3)
    encoded = _cast("abi-encode", "f(uint256,address,bytes32)", "31337", CONTRACT, "0x" + job.hex())
    digest = int(_cast("keccak", encoded), 16)
    assert job_domain(31337, CONTRACT, job) == digest % FIELD_MODULUS


def test_jobs_differ_by_nonce_and_domains_differ_by_chain_and_contract() -> None:
    a, b = job_id(AGGREGATOR, 0), job_id(AGGREGATOR, 1)
    assert a != b
    assert job_domain(1, CONTRACT, a) != job_domain(31337, CONTRACT, a)
    assert job_domain(1, CONTRACT, a) != job_domain(1, AGGREGATOR, a)


def test_round_salts_are_poseidon_of_secret_domain_and_round_and_differ_per_round() -> None:
    assert round_salt(11, 22, 3) == poseidon([11, 22, 3])
    assert len({round_salt(11, 22, r) for r in range(1, 6)}) == 5
    with pytest.raises(ValueError, match="genesis uses salt 0"):
        round_salt(11, 22, 0)
