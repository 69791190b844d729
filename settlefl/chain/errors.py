"""What can go wrong talking to a chain, in words a user can act on.

Reverts are decoded into the contract's custom error with its arguments (``WindowClosed(round=3,
end=1700086400)``) from the ABI, never shown as raw hex; a dead endpoint is one error that names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector

from settlefl.errors import ChainError  # the base of every chain-side failure a user can act on

__all__ = [
    "ChainError", "DeploymentMismatch", "ErrorDecoder", "FeeCapExceeded", "RpcUnavailable", "TransactionReverted",
    "TransactionTimeout",
]


class RpcUnavailable(ChainError):
    """The RPC endpoint did not answer (after retries)."""


class TransactionTimeout(ChainError):
    """A transaction was not mined in time (even after fee bumps)."""


class FeeCapExceeded(ChainError):
    """The network's fees are above the user's cap."""


class DeploymentMismatch(ChainError):
    """A deployment's code does not match the verified build it claims to use."""


class TransactionReverted(ChainError):
    """The contract refused a call; ``error`` and ``args`` are its decoded custom error."""

    def __init__(self, what: str, error: str, args: Mapping[str, Any], raw: bytes = b"") -> None:
        self.what = what
        self.error = error
        self.args_ = dict(args)
        self.raw = raw
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args_.items())
        super().__init__(f"{what} reverted: {error}({shown})")


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


@dataclass(frozen=True)
class _ErrorAbi:
    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]


def _canonical(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


class ErrorDecoder:
    """Maps revert data to a custom error of the given ABIs (plus ``Error(string)`` and ``Panic``)."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, _ErrorAbi] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = tuple(_canonical(p) for p in item.get("inputs", []))
                selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
                names = tuple(p.get("name") or f"arg{i}" for i, p in enumerate(item.get("inputs", [])))
                self._errors[selector] = _ErrorAbi(item["name"], names, types)
        standard = (_ErrorAbi("Error", ("message",), ("string",)), _ErrorAbi("Panic", ("code",), ("uint256",)))
        for spec in standard:
            self._errors[function_signature_to_4byte_selector(f"{spec.name}({spec.types[0]})")] = spec

    def decode(self, data: bytes) -> tuple[str, dict[str, Any]]:
        """``(name, {arg: value})``; unknown data decodes as ``("unknown", {"data": data})``."""
        if len(data) < 4:
            return ("empty revert (out of gas, or a call to an account without code)", {})
        spec = self._errors.get(bytes(data[:4]))
        if spec is None:
            return ("unknown", {"data": bytes(data)})
        try:
            values = decode(list(spec.types), bytes(data[4:]))
        except Exception:  # noqa: BLE001 - malformed revert data is reported as such, never raised
            return (spec.name, {"data": bytes(data)})
        return (spec.name, dict(zip(spec.names, values, strict=True)))


class CalldataUnavailable(ChainError):
    """A transaction's input cannot be read as a call of the contract (it went through another contract)."""
