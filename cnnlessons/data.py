"""MNIST, shipped with the package and held in memory as tensors.

The four standard IDX files live gzipped in ``cnnlessons/data_files/`` (about 11 MB), so no
lesson ever needs the network. Each file's uncompressed bytes are checked against the
official sha256 the first time it is read.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import cache
from pathlib import Path

import numpy as np
import torch

from .diagnose import check_count

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
CLASSES = tuple(str(d) for d in range(10))

DATA_DIR = Path(__file__).resolve().parent / "data_files"

# sha256 of the *uncompressed* official files.
MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
_SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000),
}
_REPAIR = (
    "Repair it by reinstalling the package (`pip install -e .` from the repository, or "
    "`git checkout -- cnnlessons/data_files` in a clone), or rebuild the files with "
    "`python scripts/build_mnist.py` (see its docstring). When online you can also call "
    "`cnnlessons.data.download_mnist()`, which fetches MNIST through torchvision into "
    "~/.cache/cnnlessons and is used automatically when the shipped files are missing."
)


class MNISTFileError(RuntimeError):
    """A shipped MNIST file is missing or its bytes are not the official ones."""


def _data_dir() -> Path:
    return Path(os.environ.get("CNNLESSONS_DATA", DATA_DIR))


def _cache_dir() -> Path:
    return Path(os.environ.get("CNNLESSONS_CACHE", Path.home() / ".cache" / "cnnlessons"))


def _find(name: str) -> Path:
    for folder in (_data_dir(), _cache_dir() / "MNIST" / "raw"):
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.exists():
                return candidate
    raise MNISTFileError(
        f"MNIST file {name}.gz was not found in {_data_dir()}. It ships with cnnlessons, so "
        f"the installation is incomplete. {_REPAIR}"
    )


@cache
def _read_idx(name: str) -> np.ndarray:
    path = _find(name)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise MNISTFileError(f"MNIST file {path} cannot be decompressed ({exc}). {_REPAIR}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MNIST_FILES[name]:
        raise MNISTFileError(
            f"MNIST file {path} is corrupted: the sha256 of its bytes is {digest}, "
            f"expected {MNIST_FILES[name]}. {_REPAIR}"
        )
    magic = int.from_bytes(raw[:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load_mnist_uint8(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Raw pixels (N, 28, 28) uint8 and labels (N,) uint8, read-only and cached."""
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, labels, _ = _SPLITS[split]
    return _read_idx(images), _read_idx(labels)


def stratified_indices(labels: np.ndarray | torch.Tensor, n: int, seed: int = 0) -> np.ndarray:
    """n indices with each class in proportion to its share of ``labels``, seeded."""
    labels = np.asarray(labels)
    if not 0 < n <= len(labels):
        raise ValueError(
            f"subset must be between 1 and {len(labels):,} (the size of this split), got {n!r}; "
            "use subset=None for the whole split"
        )
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    # Largest-remainder allocation so the shares add up to exactly n.
    quota = counts * n / len(labels)
    take = np.floor(quota).astype(int)
    for i in np.argsort(-(quota - take), kind="stable")[: n - take.sum()]:
        take[i] += 1
    picked = [rng.permutation(np.flatnonzero(labels == c))[:k] for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))


def normalize(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float32 with MNIST's mean and std, shape (N, 1, 28, 28)."""
    x = pixels.to(torch.float32).div_(255.0)
    return x.sub_(MNIST_MEAN).div_(MNIST_STD).reshape(-1, 1, 28, 28)


def denormalize(images: torch.Tensor) -> torch.Tensor:
    """Back to the [0, 1] range, for display."""
    return images * MNIST_STD + MNIST_MEAN


def load_mnist(
    split: str = "train",
    subset: int | None = None,
    seed: int = 0,
    digits: tuple[int, ...] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as in-memory tensors: images (N, 1, 28, 28) float32 normalized, labels int64.

    ``subset=n`` gives a stratified sample of n images chosen with ``seed``; ``digits``
    keeps only those classes (for the transfer-learning lesson). Labels stay the digits.
    """
    pixels, labels = load_mnist_uint8(split)
    subset = _check_subset(subset, split, len(labels))
    seed = check_count(seed, "seed", 0, minimum=0)
    index = np.arange(len(labels))
    if digits is not None:
        digits = _check_digits(digits)
        bad = [d for d in digits if d not in range(10)]
        if bad:
            raise ValueError(f"digits must be between 0 and 9, got {bad}")
        index = index[np.isin(labels, digits)]
    if subset is not None:
        index = index[stratified_indices(labels[index], subset, seed)]
    images = normalize(torch.from_numpy(pixels[index].copy()))
    return images, torch.from_numpy(labels[index].astype(np.int64))


def _check_subset(subset: object, split: str, size: int) -> int | None:
    """subset is a count of images: 1e4 is taken as 10000, a fraction or a string gets the fix."""
    if isinstance(subset, float) and 0 < subset < 1:
        raise ValueError(
            f"subset is a number of images, e.g. subset={size // 10}; for a fraction of the "
            f"{size:,} {split} images use subset=int({subset} * {size}) (= {int(subset * size)})"
        )
    return check_count(subset, "subset", size // 10, minimum=None, allow_none=True)


def _check_digits(digits: object) -> tuple[int, ...]:
    """A tuple of digits such as (5, 6, 7, 8, 9); a single number or a string gets the fix."""
    if isinstance(digits, (int, np.integer)) and not isinstance(digits, bool):
        raise TypeError(
            f"digits is a tuple of digits such as (0, 1, 2, 3, 4), got the single number {digits}: "
            f"for one digit write digits=({digits},)"
        )
    if isinstance(digits, str):
        wanted = tuple(int(c) for c in digits if c.isdigit())
        raise TypeError(
            f"digits is a tuple of whole numbers such as (0, 1, 2, 3, 4), got the string {digits!r}: "
            f"write digits={wanted if len(wanted) != 1 else f'({wanted[0]},)'}"
        )
    return tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in digits)


def download_mnist(root: str | os.PathLike | None = None) -> Path:
    """Optional: fetch MNIST through torchvision when online. Never needed for the lessons."""
    from torchvision.datasets import MNIST  # noqa: PLC0415  (optional path)

    root = Path(root) if root is not None else _cache_dir()
    MNIST(str(root), train=True, download=True)
    MNIST(str(root), train=False, download=True)
    _read_idx.cache_clear()
    return root / "MNIST" / "raw"
