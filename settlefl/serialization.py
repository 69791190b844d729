"""Pydantic field types for the protocol's big integers.

Field elements and units exceed JavaScript's safe integers, so JSON carries them as decimal strings;
loading accepts a string or an integer and checks the range, so a malformed file fails with a message
naming the field instead of producing a value another system would read differently.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from settlefl.crypto.field import FIELD_MODULUS


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise ValueError(f"{value!r} is not a decimal or 0x-hex integer") from None
    raise ValueError(f"expected an integer or a decimal string, got {type(value).__name__}")


def _check_field(value: int) -> int:
    if not 0 <= value < FIELD_MODULUS:
        raise ValueError(f"{value} is outside the BN254 scalar field")
    return value


def _check_non_negative(value: int) -> int:
    if value < 0:
        raise ValueError(f"{value} is negative")
    return value


#: A BN254 scalar field element, serialized as a decimal string.
FieldInt = Annotated[
    int,
    BeforeValidator(lambda v: _check_field(_parse_int(v))),
    PlainSerializer(str, return_type=str, when_used="json"),
]
#: A non-negative integer of any size, serialized as a decimal string.
BigUInt = Annotated[
    int,
    BeforeValidator(lambda v: _check_non_negative(_parse_int(v))),
    PlainSerializer(str, return_type=str, when_used="json"),
]
