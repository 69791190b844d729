"""Data sets, the aggregator's validation split and the splits across participants.

Three sources, all held as ``float32`` images ``(n, channels, height, width)`` scaled to ``[0, 1]`` with
``int64`` labels, so that one model definition and one training loop serve all of them:

* ``digits`` (the default): scikit-learn's copy of the UCI handwritten digits, 1,797 images of 8x8
  pixels (values 0..16), 10 classes. It ships inside scikit-learn, so a demo or a test never downloads.
* ``mnist``: the standard MNIST training files in one directory, each either raw or gzipped:
  ``train-images-idx3-ubyte[.gz]`` (idx magic ``0x00000803``: unsigned bytes, three dimensions
  ``n x 28 x 28``, big-endian) and ``train-labels-idx1-ubyte[.gz]`` (magic ``0x00000801``, ``n`` labels
  0..9). The ``t10k-*`` test files are not read: the aggregator's validation set is split off the
  training files like for every other source. Any ``n x h x w`` idx images are accepted, so
  Fashion-MNIST's files (same names, same format) load too.
* ``cifar10``: the "CIFAR-10 python version" directory ``cifar-10-batches-py``: ``data_batch_1`` to
  ``data_batch_5``, each a Python pickle of a dict with ``data`` (a ``uint8`` array ``n x 3072``, the red,
  green and blue 32x32 planes one after the other) and ``labels`` (``n`` ints 0..9). The pickles are read
  with an unpickler that only builds numpy arrays, lists and plain values: a pickle that names any other
  callable is refused instead of run (unpickling an untrusted file is otherwise arbitrary code).

Every problem with a file is one :class:`~settlefl.errors.BadFile` naming the path, what is wrong and
what to do.

Splits are seeded (:mod:`.seeds`) and return sorted index arrays: the validation split is stratified by
class (a small validation set still sees every class); the IID split deals a random permutation into
near-equal shards; the non-IID split draws each class's shares across participants from a symmetric
Dirichlet(alpha) -- small alpha, few classes per participant; large alpha, close to IID.
"""

from __future__ import annotations

import gzip
import importlib
import io
import logging
import pickle
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from settlefl.errors import BadFile, InputError

from .seeds import rng

log = logging.getLogger(__name__)

DatasetName = Literal["digits", "mnist", "cifar10"]
DATASETS: tuple[DatasetName, ...] = ("digits", "mnist", "cifar10")
SplitKind = Literal["iid", "dirichlet"]

Indices = NDArray[np.int64]

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_MNIST_FIX = (
    "give the directory that holds the MNIST training files train-images-idx3-ubyte and "
    "train-labels-idx1-ubyte (raw or .gz, as distributed), or use the digits data set"
)
_CIFAR_FIX = (
    "give the cifar-10-batches-py directory of the CIFAR-10 python version (data_batch_1 .. data_batch_5), "
    "or use the digits data set"
)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images ``x`` (``float32``, ``n x c x h x w``, in ``[0, 1]``) with labels ``y`` (``int64``, ``0..classes-1``)."""

    name: str
    x: NDArray[np.float32]
    y: NDArray[np.int64]
    classes: int

    def __post_init__(self) -> None:
        if self.x.ndim != 4 or self.y.ndim != 1 or len(self.x) != len(self.y):
            raise InputError(f"data set {self.name}: images {self.x.shape} and labels {self.y.shape} do not match")
        if self.x.dtype != np.float32 or self.y.dtype != np.int64:
            raise InputError(f"data set {self.name}: images must be float32 and labels int64")
        if len(self.y) and (int(self.y.min()) < 0 or int(self.y.max()) >= self.classes):
            raise InputError(f"data set {self.name}: labels must lie in 0..{self.classes - 1}")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)`` of one image: what a model is built for."""
        c, h, w = self.x.shape[1:]
        return int(c), int(h), int(w)

    def subset(self, indices: Indices, name: str | None = None) -> Dataset:
        """The samples at ``indices`` (copied, so shards never alias each other)."""
        return Dataset(name or self.name, self.x[indices].copy(), self.y[indices].copy(), self.classes)

    def label_counts(self) -> NDArray[np.int64]:
        """How many samples of each class, ``classes`` entries."""
        return np.bincount(self.y, minlength=self.classes).astype(np.int64)


# -- loading ---------------------------------------------------------------------------------------------


def load_dataset(name: str, path: Path | None = None) -> Dataset:
    """The data set ``name`` (``digits``, ``mnist`` or ``cifar10``); MNIST and CIFAR-10 need ``path``."""
    if name == "digits":
        if path is not None:
            raise InputError("the digits data set ships with scikit-learn: it takes no path")
        return load_digits()
    if name in ("mnist", "cifar10"):
        if path is None:
            raise InputError(f"the {name} data set is read from local files: give their directory")
        return load_mnist(path) if name == "mnist" else load_cifar10(path)
    raise InputError(f"unknown data set {name!r}: choose among {', '.join(DATASETS)}")


def load_digits() -> Dataset:
    """scikit-learn's 1,797 handwritten digits (8x8, values 0..16), scaled to ``[0, 1]``."""
    from sklearn.datasets import load_digits as sklearn_digits  # imported here: scikit-learn is slow to import

    bunch = sklearn_digits()
    x = (np.asarray(bunch.data, dtype=np.float32) / 16.0).reshape(-1, 1, 8, 8)
    return Dataset("digits", x, np.asarray(bunch.target, dtype=np.int64), 10)


def _directory(path: Path, fix: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise BadFile(path, "the data directory does not exist", fix)
    if not path.is_dir():
        raise BadFile(path, "is a file, not the data directory", fix)
    return path


def _read_maybe_gzip(directory: Path, name: str, fix: str) -> tuple[Path, bytes]:
    """The bytes of ``directory/name`` or ``directory/name.gz`` (decompressed), and which one was read."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            try:
                raw = candidate.read_bytes()
                return candidate, gzip.decompress(raw) if candidate.suffix == ".gz" else raw
            except (OSError, EOFError, zlib.error) as exc:
                raise BadFile(candidate, f"cannot be read or decompressed ({exc})", fix) from None
    raise BadFile(directory / f"{name}.gz", f"does not exist (nor does {name})", fix)


def _parse_idx(path: Path, raw: bytes, dims: int) -> NDArray[np.uint8]:
    """An idx array of unsigned bytes with ``dims`` dimensions (the header is checked against the body)."""
    header = 4 + 4 * dims
    magic = 0x0800 + dims
    if len(raw) < header or struct.unpack(">I", raw[:4])[0] != magic:
        found = raw[:4].hex() if len(raw) >= 4 else f"{len(raw)} bytes"
        raise BadFile(path, f"is not an idx file of unsigned bytes in {dims} dimensions "
                      f"(expected magic 0x{magic:08x}, found {found})", _MNIST_FIX)
    shape = struct.unpack(f">{dims}I", raw[4:header])
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise BadFile(path, f"holds {len(raw) - header} bytes of data where its header {shape} promises "
                      f"{expected} (truncated or not an idx file)", _MNIST_FIX)
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist(directory: Path) -> Dataset:
    """The MNIST training files in ``directory`` (the format is in the module docstring)."""
    directory = _directory(directory, _MNIST_FIX)
    images_path, images_raw = _read_maybe_gzip(directory, MNIST_FILES[0], _MNIST_FIX)
    labels_path, labels_raw = _read_maybe_gzip(directory, MNIST_FILES[1], _MNIST_FIX)
    images = _parse_idx(images_path, images_raw, 3)
    labels = _parse_idx(labels_path, labels_raw, 1)
    if len(images) != len(labels):
        raise BadFile(labels_path, f"holds {len(labels)} labels for the {len(images)} images of {images_path}",
                      _MNIST_FIX)
    if len(labels) == 0:
        raise BadFile(images_path, "holds no images", _MNIST_FIX)
    if int(labels.max()) > 9:
        raise BadFile(labels_path, f"holds the label {int(labels.max())} (MNIST labels are 0..9)", _MNIST_FIX)
    x = (images.astype(np.float32) / 255.0)[:, None, :, :]
    log.info("loaded MNIST from %s: %d images of %dx%d", directory, len(x), x.shape[2], x.shape[3])
    return Dataset("mnist", x, labels.astype(np.int64), 10)


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that builds numpy arrays and plain values and refuses every other callable."""

    _ALLOWED = {
        ("_codecs", "encode"),  # how Python 3's protocol 2 writes bytes: a pure function of a str
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"it names {module}.{name}, which a CIFAR-10 batch never does")
        if module == "_codecs":
            return super().find_class(module, name)
        # numpy 2 moved numpy.core to numpy._core; files pickled by either load under both.
        for candidate in (module.replace("numpy.core", "numpy._core"), module.replace("numpy._core", "numpy.core")):
            try:
                return getattr(importlib.import_module(candidate), name)
            except (ImportError, AttributeError):
                continue
        raise pickle.UnpicklingError(f"numpy has no {module}.{name}")


def _read_cifar_batch(path: Path) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    if not path.is_file():
        raise BadFile(path, "does not exist", _CIFAR_FIX)
    try:
        # The batches were pickled by Python 2: encoding="bytes" keeps their str keys as bytes.
        loaded = _ArraysOnly(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except OSError as exc:
        raise BadFile(path, f"cannot be read ({exc})", _CIFAR_FIX) from None
    except Exception as exc:  # a corrupt pickle raises nearly anything (UnpicklingError, EOFError, ValueError, ...)
        raise BadFile(path, f"is not a CIFAR-10 python batch ({type(exc).__name__}: {exc})", _CIFAR_FIX) from None
    if not isinstance(loaded, dict):
        raise BadFile(path, f"is not a CIFAR-10 python batch (a pickled {type(loaded).__name__}, not a dict)",
                      _CIFAR_FIX)
    entries = {k.decode() if isinstance(k, bytes) else k: v for k, v in loaded.items()}
    data, labels = entries.get("data"), entries.get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        described = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise BadFile(path, f"has no 'data' array of uint8 n x 3072 (found {described})", _CIFAR_FIX)
    try:
        label_array = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        label_array = np.zeros(0, dtype=np.int64) - 1
    if label_array.shape != (len(data),) or (len(data) and not 0 <= label_array.min() <= label_array.max() <= 9):
        raise BadFile(path, f"has no 'labels' list of {len(data)} ints 0..9", _CIFAR_FIX)
    return data, label_array


def load_cifar10(directory: Path) -> Dataset:
    """The five CIFAR-10 training batches in ``directory`` (the format is in the module docstring)."""
    directory = _directory(directory, _CIFAR_FIX)
    parts = [_read_cifar_batch(directory / name) for name in CIFAR10_BATCHES]
    data = np.concatenate([d for d, _ in parts])
    if len(data) == 0:
        raise BadFile(directory, "the CIFAR-10 batches hold no images", _CIFAR_FIX)
    x = (data.astype(np.float32) / 255.0).reshape(-1, 3, 32, 32)
    log.info("loaded CIFAR-10 from %s: %d images", directory, len(x))
    return Dataset("cifar10", x, np.concatenate([y for _, y in parts]), 10)


# -- splits ----------------------------------------------------------------------------------------------


def validation_split(data: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """``(training, validation)``: about ``fraction`` of every class is held out for the aggregator.

    The aggregator scores every update on this set and never hands it out, so a participant cannot tune
    its update to the set that prices it.
    """
    if not 0.0 < fraction < 1.0:
        raise InputError(f"the validation fraction must lie strictly between 0 and 1, got {fraction}")
    generator = rng(seed, "validation")
    held: list[Indices] = []
    for label in range(data.classes):
        members = np.flatnonzero(data.y == label)
        take = round(fraction * len(members))
        held.append(generator.permutation(members)[:take])
    validation = np.sort(np.concatenate(held)).astype(np.int64)
    training = np.setdiff1d(np.arange(len(data), dtype=np.int64), validation)
    if len(validation) == 0 or len(training) == 0:
        raise InputError(f"a validation fraction of {fraction} leaves nothing on one side of {len(data)} samples")
    return data.subset(training), data.subset(validation, f"{data.name}-validation")


def iid_split(samples: int, participants: int, seed: int) -> list[Indices]:
    """A seeded permutation of ``range(samples)`` dealt into ``participants`` shards of near-equal size."""
    _check_participants(samples, participants)
    order = rng(seed, "iid").permutation(samples).astype(np.int64)
    return [np.sort(part) for part in np.array_split(order, participants)]


def dirichlet_split(
    labels: NDArray[np.int64], participants: int, alpha: float, seed: int, min_samples: int = 1, tries: int = 100
) -> list[Indices]:
    """Non-IID shards: each class's samples are divided in proportions drawn from Dirichlet(alpha).

    Draws again (up to ``tries`` times, on the same seeded stream) until every participant holds at least
    ``min_samples``: a participant with no data cannot train.
    """
    _check_participants(len(labels), participants)
    if not alpha > 0.0:
        raise InputError(f"the Dirichlet alpha must be positive, got {alpha}")
    if min_samples * participants > len(labels):
        raise InputError(f"{len(labels)} samples cannot give {participants} participants {min_samples} each")
    generator = rng(seed, "dirichlet")
    classes = int(labels.max()) + 1 if len(labels) else 0
    for _ in range(tries):
        shards: list[list[Indices]] = [[] for _ in range(participants)]
        for label in range(classes):
            members = generator.permutation(np.flatnonzero(labels == label))
            shares = generator.dirichlet(np.full(participants, alpha))
            cuts = (np.cumsum(shares)[:-1] * len(members)).astype(np.int64)
            for shard, part in zip(shards, np.split(members, cuts), strict=True):
                shard.append(part)
        result = [np.sort(np.concatenate(s)).astype(np.int64) for s in shards]
        if min(len(r) for r in result) >= min_samples:
            return result
    raise InputError(
        f"no Dirichlet({alpha}) split in {tries} draws gave each of {participants} participants {min_samples} "
        "samples: raise alpha or lower the number of participants"
    )


def _check_participants(samples: int, participants: int) -> None:
    if participants < 1:
        raise InputError(f"a split needs at least one participant, got {participants}")
    if participants > samples:
        raise InputError(f"{samples} samples cannot be split across {participants} participants")


def label_skew(labels: NDArray[np.int64], shards: Sequence[Indices], classes: int) -> float:
    """How far the shards' label mixes are from the whole set's: mean total-variation distance in [0, 1].

    Close to 0 for an IID split; near 1 when every participant holds a single class.
    """
    overall = np.bincount(labels, minlength=classes) / max(len(labels), 1)
    distances = []
    for shard in shards:
        mix = np.bincount(labels[shard], minlength=classes) / max(len(shard), 1)
        distances.append(0.5 * float(np.abs(mix - overall).sum()))
    return float(np.mean(distances)) if distances else 0.0


@dataclass(frozen=True)
class SplitSpec:
    """How a job's data is divided: a small record for the job metadata (``to_dict``/``from_dict``)."""

    participants: int
    kind: SplitKind = "iid"
    alpha: float = 0.5
    validation_fraction: float = 0.2
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"kind": self.kind, "participants": self.participants,
                                  "validation_fraction": self.validation_fraction, "seed": self.seed}
        if self.kind == "dirichlet":
            record["alpha"] = self.alpha
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> SplitSpec:
        kind = record.get("kind")
        if kind not in ("iid", "dirichlet"):
            raise InputError(f"split kind {kind!r}: choose iid or dirichlet")
        return cls(int(record["participants"]), kind, float(record.get("alpha", 0.5)),
                   float(record.get("validation_fraction", 0.2)), int(record.get("seed", 0)))


@dataclass(frozen=True, eq=False)
class Federation:
    """The aggregator's validation set and one training shard per participant."""

    validation: Dataset
    shards: tuple[Dataset, ...]
    skew: float


def federate(data: Dataset, spec: SplitSpec) -> Federation:
    """Hold out the validation set, then split the rest across the participants as ``spec`` says."""
    training, validation = validation_split(data, spec.validation_fraction, spec.seed)
    if spec.kind == "iid":
        parts = iid_split(len(training), spec.participants, spec.seed)
    else:
        parts = dirichlet_split(training.y, spec.participants, spec.alpha, spec.seed)
    shards = tuple(training.subset(p, f"{data.name}-{i}") for i, p in enumerate(parts))
    skew = label_skew(training.y, parts, data.classes)
    log.info("split %s: %d validation samples, shards of %s samples, label skew %.3f",
             data.name, len(validation), [len(s) for s in shards], skew)
    return Federation(validation, shards, skew)
