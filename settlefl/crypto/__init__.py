"""Field and hash primitives shared bit for bit with the circuits and the contract."""

from settlefl.crypto.field import FIELD_MODULUS, check_field_element
from settlefl.crypto.poseidon import poseidon

__all__ = ["FIELD_MODULUS", "check_field_element", "poseidon"]
