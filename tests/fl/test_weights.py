"""The canonical model encoding and its content hash: stable, strict, and free of pickles."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from settlefl.errors import InputError
from settlefl_node.fl.models import ModelSpec, build_model
from settlefl_node.fl.weights import (
    MAGIC,
    content_hash,
    decode,
    encode,
    flatten,
    hash_bytes,
    layout_of,
    state_of,
    unflatten,
)

ROOT = Path(__file__).resolve().parents[2]


def _fixed_state() -> dict[str, torch.Tensor]:
    """A state built without any random generator, so its hash can be pinned."""
    return {
        "b.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4,
        "a.bias": torch.tensor([-1.5, 0.0, 2.25], dtype=torch.float32),
    }


#: sha256 of the version-1 encoding of _fixed_state(), computed from the documented layout by hand (struct
#: and hashlib, no SettleFL code). A change here changes every stored model hash: that needs a new version.
PINNED = "0xb949c44bf767a74db6207bf7de2b077b740f24023d9c1d96e5be39c5696efc4b"


def test_encoding_is_the_documented_byte_layout() -> None:
    data = encode(_fixed_state())
    assert data.startswith(MAGIC)
    (length,) = struct.unpack_from("<I", data, len(MAGIC))
    header = data[len(MAGIC) + 4 : len(MAGIC) + 4 + length]
    assert header == b'{"float32":[["a.bias",[3]],["b.weight",[2,3]]]}'
    values = data[len(MAGIC) + 4 + length :]
    assert values == struct.pack("<9f", -1.5, 0.0, 2.25, 0, 0.25, 0.5, 0.75, 1.0, 1.25)


def test_the_hash_is_sha256_of_the_encoding_and_pinned() -> None:
    assert content_hash(_fixed_state()) == hash_bytes(encode(_fixed_state()))
    assert content_hash(_fixed_state()) == "0x" + hashlib.sha256(encode(_fixed_state())).hexdigest()
    assert content_hash(_fixed_state()) == PINNED


def test_equal_values_give_equal_bytes_whatever_the_dict_order_or_the_sign_of_zero() -> None:
    state = _fixed_state()
    reordered = dict(reversed(list(state.items())))
    negative_zero = {k: v.clone() for k, v in state.items()}
    negative_zero["a.bias"][1] = -0.0
    assert encode(reordered) == encode(state) == encode(negative_zero)
    strided = {k: v.t().contiguous().t() if v.ndim == 2 else v for k, v in state.items()}
    assert encode(strided) == encode(state)


def test_decode_round_trips_and_checks_the_layout() -> None:
    model = build_model(ModelSpec("cnn", (1, 8, 8), 10), seed=1)
    state = state_of(model)
    data = encode(state)
    back = decode(data, expected=layout_of(state), max_bytes=len(data))
    assert set(back) == set(state) and all(torch.equal(back[k], state[k]) for k in state)
    model.load_state_dict(back)
    other = layout_of(state_of(build_model(ModelSpec("mlp", (1, 8, 8), 10))))
    with pytest.raises(InputError, match="are not the model's"):
        decode(data, expected=other)
    with pytest.raises(InputError, match="more than the limit"):
        decode(data, max_bytes=len(data) - 1)


def _with_header(header: bytes, values: bytes) -> bytes:
    return MAGIC + struct.pack("<I", len(header)) + header + values


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"PK\x03\x04 a torch.save zip", "magic"),
        (MAGIC + b"\x00", "magic"),
        (MAGIC + struct.pack("<I", 999) + b"{}", "does not fit"),
        (_with_header(b"[1, 2]", b""), "not a list of"),
        (_with_header(b'{"float32":[["w",[2]]]}', struct.pack("<f", 1.0)), "promises 8"),
        (_with_header(b'{"float32":[["w",[2]]]}', struct.pack("<2f", 1.0, float("nan"))), "NaN or infinite"),
        (_with_header(b'{"float32":[["w",[2]]]}', struct.pack("<2f", 1.0, float("inf"))), "NaN or infinite"),
        (_with_header(b'{"float32": [["w", [2]]]}', struct.pack("<2f", 1.0, 2.0)), "canonical"),
        (_with_header(b'{"float32":[["z",[1]],["a",[1]]]}', struct.pack("<2f", 1.0, 2.0)), "canonical"),
        (_with_header(b'{"float32":[["a",[1]],["a",[1]]]}', struct.pack("<2f", 1.0, 2.0)), "canonical"),
        (_with_header(b'{"float32":[["w",[2]]]}', struct.pack("<2f", -0.0, 2.0)), "canonical"),
        (_with_header(b'{"float32":[["w",[-2]]]}', b""), "negative"),
    ],
)
def test_decode_refuses_anything_but_canonical_finite_model_bytes(data: bytes, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        decode(data)


def test_encode_refuses_non_finite_and_non_float32() -> None:
    with pytest.raises(InputError, match="NaN"):
        encode({"w": torch.tensor([float("nan")])})
    with pytest.raises(InputError, match="float32 only"):
        encode({"w": torch.tensor([1.0], dtype=torch.float64)})


def test_flatten_and_unflatten_are_inverse_in_layout_order() -> None:
    state = _fixed_state()
    vector = flatten(state)
    assert vector.tolist() == [-1.5, 0.0, 2.25, 0, 0.25, 0.5, 0.75, 1.0, 1.25]
    back = unflatten(vector, layout_of(state))
    assert all(torch.equal(back[k], state[k]) for k in state)
    with pytest.raises(InputError, match="does not fit"):
        unflatten(vector[:-1], layout_of(state))


_HASH_OF_A_SEEDED_MODEL = """
import json
from settlefl_node.fl.models import ModelSpec, build_model
from settlefl_node.fl.weights import content_hash, state_of
print(json.dumps([content_hash(state_of(build_model(ModelSpec(a, (1, 8, 8), 10), seed=42))) for a in ("mlp", "cnn")]))
"""


@pytest.mark.slow
def test_a_seeded_model_hashes_the_same_in_fresh_processes() -> None:
    # the checkout first (node/ is importable as settlefl_node through typings/), whatever is installed
    path = os.pathsep.join([str(ROOT), str(ROOT / "typings"), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONHASHSEED": "random"}
    runs = [
        subprocess.run([sys.executable, "-c", _HASH_OF_A_SEEDED_MODEL], capture_output=True, text=True, check=True,
                       env=env, timeout=120).stdout
        for _ in range(2)
    ]
    here = [content_hash(state_of(build_model(ModelSpec(a, (1, 8, 8), 10), seed=42))) for a in ("mlp", "cnn")]
    assert json.loads(runs[0]) == json.loads(runs[1]) == here
