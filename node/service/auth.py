"""Who sent a request: EIP-712 signatures by the participant's Ethereum key.

Registration and every update upload are signed as EIP-712 typed data bound to the chain, the SettleFL
contract and the job, so a signature cannot be replayed on another chain, contract, job or round, and an
update cannot be swapped for another one (its sha256 is signed). The server recovers the signer and never
trusts an address a client merely states.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

DOMAIN_NAME = "SettleFL"
DOMAIN_VERSION = "2"

_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
TYPES: dict[str, list[dict[str, str]]] = {
    "Register": [{"name": "job", "type": "bytes32"}, {"name": "participant", "type": "address"}],
    "Update": [
        {"name": "job", "type": "bytes32"},
        {"name": "round", "type": "uint256"},
        {"name": "updateHash", "type": "bytes32"},
        {"name": "samples", "type": "uint256"},
    ],
}


class BadSignature(ValueError):
    """A signature that does not recover to the claimed participant (or is malformed)."""


def _typed(kind: str, chain_id: int, contract: str, message: dict[str, Any]) -> Any:
    return encode_typed_data(
        full_message={
            "types": {"EIP712Domain": _DOMAIN_TYPE, kind: TYPES[kind]},
            "primaryType": kind,
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": chain_id,
                "verifyingContract": to_checksum_address(contract),
            },
            "message": message,
        }
    )


def register_message(chain_id: int, contract: str, job_id: bytes, participant: str) -> Any:
    return _typed("Register", chain_id, contract, {"job": job_id, "participant": to_checksum_address(participant)})


def update_message(
    chain_id: int, contract: str, job_id: bytes, round_number: int, update_hash: bytes, samples: int
) -> Any:
    """An update upload: the model bytes' sha256 and the sample count that weights it in FedAvg are signed."""
    return _typed(
        "Update",
        chain_id,
        contract,
        {"job": job_id, "round": round_number, "updateHash": update_hash, "samples": samples},
    )


def sign(account: LocalAccount, message: Any) -> str:
    """A 65-byte signature, as 0x-hex."""
    return "0x" + bytes(account.sign_message(message).signature).hex()


def recover(message: Any, signature: str) -> str:
    """The checksummed address that signed ``message``; :class:`BadSignature` if the signature is malformed."""
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
        if len(raw) != 65:
            raise ValueError("a signature is 65 bytes")
        return str(Account.recover_message(message, signature=raw))
    except Exception as exc:  # noqa: BLE001 - any decoding failure is a bad signature, with its reason
        raise BadSignature(f"the signature cannot be read: {exc}") from None


def require_signer(message: Any, signature: str, participant: str) -> None:
    """Refuse unless ``participant`` signed ``message``."""
    signer = recover(message, signature)
    if signer.lower() != participant.lower():
        raise BadSignature(f"the signature is by {signer}, not by {to_checksum_address(participant)}")
