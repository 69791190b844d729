"""The reward state, its commitment, job identifiers and receipts (docs/protocol.md, "Reward state and commitment")."""

from settlefl.state.commitment import block_hashes, chain_block_hashes, commitment, words_hash
from settlefl.state.ids import GENESIS_SALT, job_domain, job_id, new_job_secret, round_salt
from settlefl.state.receipt import InvalidReceipt, Opening, Receipt, make_receipt
from settlefl.state.reward_state import InvalidRound, InvalidState, Join, RewardState, RoundUpdate
from settlefl.state.words import address_to_int, int_to_address, pack_word, unpack_word

__all__ = [
    "GENESIS_SALT",
    "InvalidReceipt",
    "InvalidRound",
    "InvalidState",
    "Join",
    "Opening",
    "Receipt",
    "RewardState",
    "RoundUpdate",
    "address_to_int",
    "block_hashes",
    "chain_block_hashes",
    "commitment",
    "int_to_address",
    "job_domain",
    "job_id",
    "make_receipt",
    "new_job_secret",
    "pack_word",
    "round_salt",
    "unpack_word",
    "words_hash",
]
