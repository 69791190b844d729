"""A model's parameters as bytes with one canonical form, and its content hash.

The service serves "the global model with its hash", participants upload "an update with its hash" and
sign that hash (EIP-712, a later issue). So two honest parties must turn equal parameters into equal bytes,
and the aggregator must be able to read an upload without running anything in it. ``torch.save`` fails
both: its zip container carries pickles (loading one from a stranger runs code, unless restricted) and
its bytes vary with the torch version and the tensors' storage. So the encoding is ours, version 1:

====================  ======================================================================
bytes                 content
====================  ======================================================================
5                     ``b"SFLW\\x01"``: magic and version
4                     the header's length ``H``, unsigned little-endian
``H``                 the header: ``{"float32":[[name,[d0,d1,...]],...]}``, UTF-8 JSON without
                      spaces, entries sorted by name
``4 * size``          every tensor's values in header order, each in row-major order, as
                      little-endian IEEE-754 float32; ``-0.0`` is written as ``0.0``
====================  ======================================================================

The content hash is ``0x`` + the hex sha256 of those bytes: it covers names and shapes as well as values,
so the same numbers in another architecture hash differently. :func:`decode` accepts only the canonical
form -- re-encoding what it read must give the same bytes -- and only finite values, so a hash names one
model and a NaN or an infinity never reaches FedAvg or the scorer.

The flat vector (:func:`flatten`) is the payload's order: one float32 vector per model, which FedAvg and
the scorer combine in float64.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from settlefl.errors import InputError

StateDict = dict[str, torch.Tensor]

MAGIC = b"SFLW\x01"
_HEADER_LIMIT = 1 << 20  # a header of a million bytes would be some ten thousand tensors: none of ours


@dataclass(frozen=True)
class Layout:
    """The names and shapes of a model's tensors, sorted by name: what a flat vector means."""

    entries: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def size(self) -> int:
        """How many float32 values: the flat vector's length."""
        return sum(math.prod(shape) for _, shape in self.entries)

    def header(self) -> bytes:
        """The canonical JSON header of the encoding."""
        listed = [[name, list(shape)] for name, shape in self.entries]
        return json.dumps({"float32": listed}, separators=(",", ":"), ensure_ascii=True).encode()

    def describe(self) -> str:
        return ", ".join(f"{name} {list(shape)}" for name, shape in self.entries)


def state_of(model: nn.Module) -> StateDict:
    """A detached copy of a model's state dict (safe to keep while the model trains on)."""
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def layout_of(state: Mapping[str, torch.Tensor]) -> Layout:
    """The layout of a state dict; every tensor must be float32 (our models hold nothing else)."""
    for name, tensor in state.items():
        if tensor.dtype != torch.float32:
            raise InputError(f"tensor {name} is {tensor.dtype}: the model encoding holds float32 only")
    return Layout(tuple((name, tuple(int(d) for d in state[name].shape)) for name in sorted(state)))


def flatten(state: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Every tensor of ``state``, in layout order (sorted by name), as one float32 vector."""
    layout = layout_of(state)
    if not layout.entries:
        return torch.zeros(0, dtype=torch.float32)
    return torch.cat([state[name].detach().reshape(-1).to(torch.float32) for name, _ in layout.entries])


def unflatten(vector: torch.Tensor, layout: Layout) -> StateDict:
    """The state dict that ``vector`` encodes under ``layout`` (float32, new storage)."""
    if vector.ndim != 1 or vector.numel() != layout.size:
        raise InputError(f"a vector of {tuple(vector.shape)} values does not fit a layout of {layout.size}")
    flat = vector.detach().to(torch.float32)
    state: StateDict = {}
    offset = 0
    for name, shape in layout.entries:
        count = math.prod(shape)
        state[name] = flat[offset : offset + count].reshape(shape).clone()
        offset += count
    return state


def encode(state: Mapping[str, torch.Tensor]) -> bytes:
    """The canonical bytes of ``state`` (format in the module docstring)."""
    layout = layout_of(state)
    header = layout.header()
    # + 0.0 turns -0.0 into 0.0 (IEEE round-to-nearest), so equal values give equal bytes.
    values = (flatten(state) + 0.0).numpy().astype("<f4", copy=False)
    if not np.isfinite(values).all():
        raise InputError("a model with a NaN or infinite value has no encoding")
    return MAGIC + struct.pack("<I", len(header)) + header + values.tobytes()


def hash_bytes(data: bytes) -> str:
    """``0x`` + the hex sha256 of ``data``: the content hash of an encoded model."""
    return "0x" + hashlib.sha256(data).hexdigest()


def content_hash(state: Mapping[str, torch.Tensor]) -> str:
    """The content hash of ``state``: :func:`hash_bytes` of its canonical encoding."""
    return hash_bytes(encode(state))


def decode(data: bytes, expected: Layout | None = None, max_bytes: int | None = None) -> StateDict:
    """Read canonical model bytes; :class:`~settlefl.errors.InputError` for anything else.

    ``expected`` is the layout the caller's model has (an upload must match the global model's);
    ``max_bytes`` refuses larger inputs before reading them.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(f"model bytes: {len(data)} bytes, more than the limit of {max_bytes}")
    if len(data) < len(MAGIC) + 4 or not data.startswith(MAGIC):
        raise InputError(f"model bytes: do not start with the SettleFL model magic {MAGIC!r} (version 1)")
    (header_length,) = struct.unpack_from("<I", data, len(MAGIC))
    start = len(MAGIC) + 4
    if header_length > min(_HEADER_LIMIT, len(data) - start):
        raise InputError(f"model bytes: a header of {header_length} bytes does not fit in {len(data)} bytes")
    try:
        header = json.loads(data[start : start + header_length].decode("utf-8"))
        listed = header["float32"]
        layout = Layout(tuple((str(name), tuple(int(d) for d in shape)) for name, shape in listed))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"model bytes: the header is not a list of [name, shape] ({exc})") from None
    if any(d < 0 for _, shape in layout.entries for d in shape):
        raise InputError("model bytes: the header has a negative dimension")
    payload = data[start + header_length :]
    if len(payload) != 4 * layout.size:
        raise InputError(f"model bytes: {len(payload)} bytes of values where the header promises "
                         f"{4 * layout.size} ({layout.size} float32)")
    if expected is not None and layout != expected:
        raise InputError(f"model bytes: the tensors ({layout.describe()}) are not the model's "
                         f"({expected.describe()})")
    values = np.frombuffer(payload, dtype="<f4")
    if not np.isfinite(values).all():
        raise InputError("model bytes: a value is NaN or infinite")
    state = unflatten(torch.from_numpy(values.astype(np.float32)), layout)
    if encode(state) != data:  # unsorted or duplicate names, spaces in the header, -0.0
        raise InputError("model bytes: not in the canonical form (the header must be compact JSON sorted by "
                         "name, and zeros must be +0.0)")
    return state
