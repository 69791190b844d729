"""Job identifiers and per-job secrets, computed exactly as the contract computes them.

* ``jobId = keccak256(abi.encode(aggregator, aggregatorNonce))``: known before the creating
  transaction, so the genesis proof can bind it;
* ``domain = keccak256(abi.encode(chainId, contract, jobId)) mod p``: separates jobs, contracts and
  chains inside every commitment;
* ``salt_r = Poseidon(jobSecret, domain, r)``: hides a round's words from outsiders; one round's salt
  reveals no other. The genesis uses salt 0 (its words are public anyway).
"""

from __future__ import annotations

import secrets

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from settlefl.crypto.field import FIELD_MODULUS, check_field_element
from settlefl.crypto.poseidon import poseidon
from settlefl.errors import InputError

GENESIS_SALT = 0


def job_id(aggregator: str, nonce: int) -> bytes:
    """``keccak256(abi.encode(address aggregator, uint256 nonce))``: 32 bytes."""
    return keccak(encode(["address", "uint256"], [to_checksum_address(aggregator), nonce]))


def job_domain(chain_id: int, contract: str, job: bytes) -> int:
    """``keccak256(abi.encode(uint256 chainId, address contract, bytes32 jobId)) mod p``."""
    if len(job) != 32:
        raise InputError("jobId must be 32 bytes")
    digest = keccak(encode(["uint256", "address", "bytes32"], [chain_id, to_checksum_address(contract), job]))
    return int.from_bytes(digest, "big") % FIELD_MODULUS


def new_job_secret() -> int:
    """A fresh per-job secret field element from the OS random source."""
    return secrets.randbelow(FIELD_MODULUS)


def round_salt(job_secret: int, domain: int, round_number: int) -> int:
    """``Poseidon(jobSecret, domain, r)`` for rounds ``r >= 1``; the genesis salt is 0."""
    check_field_element(job_secret, "job secret")
    if round_number < 1:
        raise InputError("rounds from 1 on take a salt from the job secret; the genesis uses salt 0")
    return poseidon([job_secret, check_field_element(domain, "domain"), round_number])
