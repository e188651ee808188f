"""MNIST ships with the package, loads offline, and fails loudly when damaged."""

import gzip
import shutil

import numpy as np
import pytest
import torch

from cnnlessons import data
from cnnlessons.data import MNIST_FILES, MNISTFileError, load_mnist, stratified_indices


def test_full_splits_have_the_standard_sizes_and_normalization():
    x, y = load_mnist("train")
    assert x.shape == (60_000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (60_000,) and y.dtype == torch.int64
    assert abs(x.mean().item()) < 1e-3 and abs(x.std().item() - 1) < 1e-3
    xt, yt = load_mnist("test")
    assert xt.shape == (10_000, 1, 28, 28)
    assert torch.equal(torch.bincount(yt), torch.tensor([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]))


def test_first_training_label_is_the_famous_five():
    _, y = load_mnist("train")
    assert y[:5].tolist() == [5, 0, 4, 1, 9]


def test_subset_is_stratified_and_seeded():
    x1, y1 = load_mnist("train", subset=10_000, seed=0)
    x2, y2 = load_mnist("train", subset=10_000, seed=0)
    x3, _ = load_mnist("train", subset=10_000, seed=1)
    assert x1.shape == (10_000, 1, 28, 28)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, x3)
    _, yfull = load_mnist("train")
    expected = torch.bincount(yfull).double() / len(yfull) * 10_000
    assert (torch.bincount(y1).double() - expected).abs().max() <= 1


def test_digits_filter_keeps_only_those_classes():
    _, y = load_mnist("test", digits=(5, 6, 7, 8, 9))
    assert set(y.unique().tolist()) == {5, 6, 7, 8, 9}
    assert len(y) == 4861


@pytest.mark.parametrize("bad", [0, -3, 70_000])
def test_impossible_subset_says_what_is_allowed(bad):
    with pytest.raises(ValueError, match="subset must be between 1 and"):
        load_mnist("train", subset=bad)


def test_unknown_split_and_digit_are_explained():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("valid")
    with pytest.raises(ValueError, match="between 0 and 9"):
        load_mnist("test", digits=(3, 12))


def test_stratified_indices_add_up_exactly():
    labels = np.array([0] * 7 + [1] * 3)
    idx = stratified_indices(labels, 5, seed=0)
    assert len(idx) == 5 and len(set(idx.tolist())) == 5


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    for name in MNIST_FILES:
        shutil.copy(data.DATA_DIR / f"{name}.gz", tmp_path / f"{name}.gz")
    monkeypatch.setenv("CNNLESSONS_DATA", str(tmp_path))
    monkeypatch.setenv("CNNLESSONS_CACHE", str(tmp_path / "cache"))
    data._read_idx.cache_clear()
    yield tmp_path
    data._read_idx.cache_clear()


def test_missing_file_names_it_and_says_how_to_repair(data_copy):
    (data_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(MNISTFileError) as err:
        load_mnist("test")
    msg = str(err.value)
    assert "t10k-labels-idx1-ubyte.gz" in msg and "reinstall" in msg and "build_mnist.py" in msg


def test_corrupted_file_fails_the_checksum_and_names_the_file(data_copy):
    path = data_copy / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[5000] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(MNISTFileError, match="t10k-images-idx3-ubyte.gz is corrupted: the sha256"):
        load_mnist("test")


def test_truncated_gzip_is_reported_not_a_bare_traceback(data_copy):
    path = data_copy / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(MNISTFileError, match="cannot be decompressed"):
        load_mnist("train")


def test_core_import_needs_no_network(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("cnnlessons tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    data._read_idx.cache_clear()
    x, _ = load_mnist("test", subset=100)
    assert x.shape == (100, 1, 28, 28)
