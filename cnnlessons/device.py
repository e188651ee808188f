"""Which device to compute on, and seeding for repeatable runs."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

_CHOICES = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(prefer: str | None = None) -> torch.device:
    """CUDA if present, then Apple's MPS, then the CPU.

    ``CNNLESSONS_DEVICE`` (or ``prefer``) overrides, e.g. ``CNNLESSONS_DEVICE=cpu`` to compare
    speeds; asking for a device that is not there is an error rather than a silent fallback.
    """
    wanted = prefer or os.environ.get("CNNLESSONS_DEVICE", "").strip().lower() or None
    if wanted is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = wanted.split(":")[0]
    if kind not in _CHOICES:
        raise ValueError(
            f"CNNLESSONS_DEVICE={wanted!r} is not a device; use one of {', '.join(_CHOICES)} "
            "(or unset it to choose automatically)"
        )
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "CNNLESSONS_DEVICE asks for 'cuda' but PyTorch sees no CUDA GPU here "
            f"(torch {torch.__version__}). Unset CNNLESSONS_DEVICE or set it to 'cpu'."
        )
    if kind == "mps" and not _mps_available():
        raise RuntimeError(
            "CNNLESSONS_DEVICE asks for 'mps' but Apple's MPS backend is not available here. "
            "Unset CNNLESSONS_DEVICE or set it to 'cpu'."
        )
    return torch.device(wanted)


def describe_device(device: torch.device | str | None = None) -> str:
    """One line for a notebook's first cell: the device and what it is."""
    device = torch.device(device) if device is not None else pick_device()
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (all devices) so a run repeats."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


BINDER_BUDGET_MB = 1500


def peak_memory_mb() -> float:
    """Peak resident memory of this process (the notebook's kernel) in MB."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def release_memory() -> None:
    """Collect garbage and hand freed heap memory back to the OS (glibc's malloc_trim).

    After a model is trained and dropped, glibc keeps the freed activation buffers in its heap,
    so the next model's buffers land beside them and the kernel's resident memory ratchets up.
    Calling this between runs keeps a notebook that trains many models inside Binder's memory.
    A no-op where the C library has no malloc_trim (macOS, Windows, musl).
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def check_memory_budget(limit_mb: float = BINDER_BUDGET_MB) -> None:
    """Assert the kernel stayed under Binder's budget; prints a line that does not vary."""
    peak = peak_memory_mb()
    if peak >= limit_mb:
        raise AssertionError(
            f"this kernel peaked at {peak:,.0f} MB, over the {limit_mb:,.0f} MB budget "
            "(Binder gives about 2 GB): trace full-size models on the meta device and train on a subset"
        )
    print(f"Peak kernel memory is under {limit_mb:,.0f} MB.")
