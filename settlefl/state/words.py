"""A state word packs one participant: ``w = P + 2^160 * S`` (address ``P``, cumulative units ``S``).

Packing is canonical only while ``0 < P < 2^160`` and ``S < 2^93``; the circuits keep it so by induction
(docs/threats.md, "Non-unique packing"), and this module refuses anything else.
"""

from __future__ import annotations

from eth_utils import is_address, to_checksum_address

from settlefl.errors import InputError
from settlefl.params import ADDRESS_BITS, ADDRESS_MASK, UNITS_BITS, UNITS_SHIFT, WORD_BITS

AddressLike = str | int


def address_to_int(address: AddressLike, who: str = "address") -> int:
    """Return an Ethereum address as an integer in ``(0, 2^160)``; refuse zero and oversized values."""
    if isinstance(address, str):
        if not is_address(address):
            raise InputError(f"{who}: {address!r} is not an Ethereum address")
        value = int(address, 16)
    elif isinstance(address, int) and not isinstance(address, bool):
        value = address
    else:
        raise InputError(f"{who}: expected an address string or integer, got {type(address).__name__}")
    if value == 0:
        raise InputError(f"{who}: the zero address cannot be a payee")
    if not 0 < value < (1 << ADDRESS_BITS):
        raise InputError(f"{who}: {value} is not below 2^{ADDRESS_BITS}, so it is not an address")
    return value


def int_to_address(value: int) -> str:
    """The checksummed hex form of an address integer."""
    return to_checksum_address(value.to_bytes(20, "big"))


def pack_word(address: AddressLike, units: int) -> int:
    """``P + 2^160 * S`` for a non-zero address and ``0 <= S < 2^93``."""
    p = address_to_int(address)
    if isinstance(units, bool) or not isinstance(units, int) or not 0 <= units < (1 << UNITS_BITS):
        raise InputError(f"units {units!r} must be an integer in [0, 2^{UNITS_BITS})")
    return p + units * UNITS_SHIFT


def unpack_word(word: int) -> tuple[int, int]:
    """Split a word below ``2^253`` into ``(address, units)``; zero words give ``(0, 0)``."""
    if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word < (1 << WORD_BITS):
        raise InputError(f"word {word!r} is not an integer in [0, 2^{WORD_BITS})")
    return word & ADDRESS_MASK, word >> ADDRESS_BITS
