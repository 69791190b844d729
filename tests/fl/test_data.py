"""Data: digits by default, MNIST and CIFAR-10 from local files with one clear error per bad file, the
aggregator's validation split and the participant splits (disjoint, covering, seeded)."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from settlefl.errors import BadFile, InputError
from settlefl_node.fl.data import (
    CIFAR10_BATCHES,
    Dataset,
    SplitSpec,
    dirichlet_split,
    federate,
    iid_split,
    label_skew,
    load_cifar10,
    load_dataset,
    load_mnist,
    validation_split,
)


def _disjoint_and_covering(parts: list[np.ndarray], total: int) -> None:
    joined = np.concatenate(parts)
    assert len(joined) == total, "every sample is in exactly one part"
    assert np.array_equal(np.sort(joined), np.arange(total))


def test_digits_ship_with_the_package_as_1797_scaled_8x8_images(digits: Dataset) -> None:
    assert digits.x.shape == (1797, 1, 8, 8) and digits.x.dtype == np.float32
    assert digits.y.shape == (1797,) and digits.y.dtype == np.int64
    assert digits.x.min() == 0.0 and digits.x.max() == 1.0
    assert digits.classes == 10 and digits.input_shape == (1, 8, 8)
    assert (digits.label_counts() > 170).all()


def test_load_dataset_names_what_each_source_needs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="takes no path"):
        load_dataset("digits", tmp_path)
    with pytest.raises(InputError, match="give their directory"):
        load_dataset("mnist")
    with pytest.raises(InputError, match="unknown data set 'svhn'"):
        load_dataset("svhn")


def test_validation_split_is_stratified_disjoint_and_seeded(digits: Dataset) -> None:
    training, validation = validation_split(digits, 0.2, seed=7)
    assert len(training) + len(validation) == len(digits)
    assert abs(len(validation) - 0.2 * len(digits)) <= digits.classes
    # stratified: every class keeps about a fifth of its samples in the validation set
    share = validation.label_counts() / digits.label_counts()
    assert np.all(np.abs(share - 0.2) < 0.01)
    # disjoint: no image is on both sides (the digits set has a few exact duplicates, so compare indices
    # through a second split with the same seed, which must be identical)
    again_training, again_validation = validation_split(digits, 0.2, seed=7)
    assert np.array_equal(again_validation.x, validation.x) and np.array_equal(again_training.y, training.y)
    other, _ = validation_split(digits, 0.2, seed=8)
    assert not np.array_equal(other.y, training.y)
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        validation_split(digits, 1.0, seed=0)


@pytest.mark.parametrize("participants", [1, 4, 7])
def test_iid_split_is_disjoint_covering_balanced_and_seeded(participants: int) -> None:
    parts = iid_split(1000, participants, seed=3)
    _disjoint_and_covering(parts, 1000)
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1
    assert all(np.array_equal(a, b) for a, b in zip(parts, iid_split(1000, participants, seed=3), strict=True))
    if participants > 1:
        assert not np.array_equal(parts[0], iid_split(1000, participants, seed=4)[0])


def test_dirichlet_split_is_disjoint_covering_seeded_and_gives_everyone_data(digits: Dataset) -> None:
    parts = dirichlet_split(digits.y, 5, alpha=0.3, seed=1, min_samples=20)
    _disjoint_and_covering(parts, len(digits))
    assert min(len(p) for p in parts) >= 20
    again = dirichlet_split(digits.y, 5, alpha=0.3, seed=1, min_samples=20)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))
    with pytest.raises(InputError, match="alpha must be positive"):
        dirichlet_split(digits.y, 5, alpha=0.0, seed=1)
    with pytest.raises(InputError, match="cannot give"):
        dirichlet_split(digits.y, 5, alpha=1.0, seed=1, min_samples=400)


def test_dirichlet_skews_the_label_mix_and_iid_does_not(digits: Dataset) -> None:
    iid = label_skew(digits.y, iid_split(len(digits), 4, seed=0), 10)
    skewed = label_skew(digits.y, dirichlet_split(digits.y, 4, alpha=0.1, seed=0), 10)
    mild = label_skew(digits.y, dirichlet_split(digits.y, 4, alpha=100.0, seed=0), 10)
    assert iid < 0.06, "an IID shard of ~450 samples has nearly the overall label mix"
    assert skewed > 0.5, "Dirichlet(0.1) gives each participant a few classes"
    # class by class in near-equal shares: as even as IID, or more (it is stratified, IID is not)
    assert mild < 0.06 and mild < skewed
    one_class = [np.flatnonzero(digits.y == c) for c in range(10)]
    assert label_skew(digits.y, one_class, 10) > 0.85


def test_federate_holds_out_validation_then_splits_the_rest(digits: Dataset) -> None:
    spec = SplitSpec(participants=4, kind="dirichlet", alpha=0.5, validation_fraction=0.25, seed=2)
    federation = federate(digits, spec)
    assert len(federation.shards) == 4
    assert sum(len(s) for s in federation.shards) + len(federation.validation) == len(digits)
    assert SplitSpec.from_dict(spec.to_dict()) == spec
    assert SplitSpec.from_dict(SplitSpec(3).to_dict()) == SplitSpec(3)
    with pytest.raises(InputError, match="iid or dirichlet"):
        SplitSpec.from_dict({"kind": "pathological", "participants": 3})


# -- MNIST from idx files --------------------------------------------------------------------------------


def _idx(array: np.ndarray) -> bytes:
    return struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def _write_mnist(directory: Path, n: int = 12, gz: bool = True, labels: np.ndarray | None = None) -> np.ndarray:
    directory.mkdir(parents=True, exist_ok=True)
    images = np.random.default_rng(0).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10 if labels is None else labels
    for name, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        data = _idx(array)
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return images


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_the_standard_idx_files_raw_or_gzipped(tmp_path: Path, gz: bool) -> None:
    images = _write_mnist(tmp_path, gz=gz)
    data = load_mnist(tmp_path)
    assert data.x.shape == (12, 1, 28, 28) and data.input_shape == (1, 28, 28)
    assert np.allclose(data.x[:, 0] * 255.0, images)
    assert list(data.y) == [i % 10 for i in range(12)]
    assert load_dataset("mnist", tmp_path).name == "mnist"


def _one_line_naming(exc: pytest.ExceptionInfo[BadFile], path: Path) -> str:
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    assert exc.value.path == path
    return message


def test_mnist_missing_directory_or_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(BadFile) as missing_dir:
        load_mnist(tmp_path / "nowhere")
    assert "does not exist" in _one_line_naming(missing_dir, tmp_path / "nowhere")
    _write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(BadFile) as missing_file:
        load_mnist(tmp_path)
    assert "does not exist" in _one_line_naming(missing_file, tmp_path / "train-labels-idx1-ubyte.gz")


def test_mnist_malformed_files_name_the_path(tmp_path: Path) -> None:
    _write_mnist(tmp_path, gz=False)
    images = tmp_path / "train-images-idx3-ubyte"
    good = images.read_bytes()

    images.write_bytes(b"\x00\x00\x08\x01" + good[4:])  # a labels magic on the images file
    with pytest.raises(BadFile) as wrong_magic:
        load_mnist(tmp_path)
    assert "expected magic 0x00000803" in _one_line_naming(wrong_magic, images)

    images.write_bytes(good[:-100])
    with pytest.raises(BadFile) as truncated:
        load_mnist(tmp_path)
    assert "header (12, 28, 28) promises" in _one_line_naming(truncated, images)

    images.unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(BadFile) as not_gzip:
        load_mnist(tmp_path)
    assert "decompressed" in _one_line_naming(not_gzip, tmp_path / "train-images-idx3-ubyte.gz")


def test_mnist_labels_must_match_the_images(tmp_path: Path) -> None:
    _write_mnist(tmp_path, labels=np.zeros(11, dtype=np.uint8))
    with pytest.raises(BadFile) as count:
        load_mnist(tmp_path)
    assert "holds 11 labels for the 12 images" in _one_line_naming(count, tmp_path / "train-labels-idx1-ubyte.gz")
    _write_mnist(tmp_path, labels=np.full(12, 10, dtype=np.uint8))
    with pytest.raises(BadFile, match="the label 10"):
        load_mnist(tmp_path)


# -- CIFAR-10 from python pickles ------------------------------------------------------------------------


def _write_cifar(directory: Path, per_batch: int = 3) -> np.ndarray:
    """Five batches as the CIFAR-10 python version has them: pickled dicts with bytes keys."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    everything = []
    for index, name in enumerate(CIFAR10_BATCHES):
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [(index + i) % 10 for i in range(per_batch)]
        batch = {b"batch_label": name.encode(), b"labels": labels, b"data": data,
                 b"filenames": [f"{i}.png".encode() for i in range(per_batch)]}
        (directory / name).write_bytes(pickle.dumps(batch, protocol=2))
        everything.append(data)
    return np.concatenate(everything)


def test_cifar10_reads_the_five_python_batches_as_rgb_planes(tmp_path: Path) -> None:
    raw = _write_cifar(tmp_path)
    data = load_cifar10(tmp_path)
    assert data.x.shape == (15, 3, 32, 32) and data.input_shape == (3, 32, 32)
    # the first 1024 bytes of a row are the red plane, row-major
    assert np.isclose(data.x[0, 0, 0, 1] * 255.0, raw[0, 1])
    assert np.isclose(data.x[0, 1, 0, 0] * 255.0, raw[0, 1024])
    assert np.isclose(data.x[4, 2, 31, 31] * 255.0, raw[4, 3071])
    assert list(data.y[:3]) == [0, 1, 2] and list(data.y[3:6]) == [1, 2, 3]


def test_cifar10_missing_batch_names_the_path(tmp_path: Path) -> None:
    _write_cifar(tmp_path)
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(BadFile) as missing:
        load_cifar10(tmp_path)
    assert "does not exist" in _one_line_naming(missing, tmp_path / "data_batch_3")
    with pytest.raises(BadFile) as not_a_dir:
        load_cifar10(tmp_path / "data_batch_1")
    assert "is a file" in _one_line_naming(not_a_dir, tmp_path / "data_batch_1")


def test_cifar10_malformed_batches_name_the_path(tmp_path: Path) -> None:
    _write_cifar(tmp_path)
    batch = tmp_path / "data_batch_2"

    batch.write_bytes(b"\x80\x02garbage")
    with pytest.raises(BadFile) as garbage:
        load_cifar10(tmp_path)
    assert "is not a CIFAR-10 python batch" in _one_line_naming(garbage, batch)

    batch.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), dtype=np.uint8), b"labels": [0, 1]}, protocol=2))
    with pytest.raises(BadFile) as wrong_shape:
        load_cifar10(tmp_path)
    assert "uint8 n x 3072" in _one_line_naming(wrong_shape, batch)

    batch.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), dtype=np.uint8), b"labels": [0]}, protocol=2))
    with pytest.raises(BadFile) as short_labels:
        load_cifar10(tmp_path)
    assert "'labels' list of 2 ints" in _one_line_naming(short_labels, batch)


class _Exploit:
    """A pickle that would create a file when loaded by a plain unpickler."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.target), "w")


def test_cifar10_refuses_a_pickle_that_would_run_code(tmp_path: Path) -> None:
    _write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps({b"data": _Exploit(marker), b"labels": []}, protocol=2))
    with pytest.raises(BadFile) as refused:
        load_cifar10(tmp_path)
    assert "io.open, which a CIFAR-10 batch never does" in _one_line_naming(refused, tmp_path / "data_batch_1")
    assert not marker.exists(), "the pickle's callable must never run"
