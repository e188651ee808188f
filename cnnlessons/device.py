"""Which device to compute on, and seeding for repeatable runs."""

from __future__ import annotations

import math
import os
import random
import sys
from typing import Any

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
    if prefer is not None:  # the student's own argument: checked and worded like fit's device=
        from .diagnose import check_device  # noqa: PLC0415

        return check_device(prefer, "prefer")
    wanted = os.environ.get("CNNLESSONS_DEVICE", "").strip().lower() or None
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
    n = torch.get_num_threads()
    quota = ", the container's CPU quota" if n == _THREADS_SET_FROM_QUOTA else ""
    return f"cpu ({n} thread{'s' if n != 1 else ''}{quota})"


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (all devices) so a run repeats."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


BINDER_BUDGET_MB = 1500
# A hub's MEM_LIMIT covers the whole user server (Jupyter and the kernel): the kernel's budget is
# this share of it, as 1,500 MB is of Binder's 2 GiB.
MEM_LIMIT_SHARE = 0.73


def _linux_vmhwm_mb() -> float | None:
    """VmHWM (peak resident set of the current program, reset by execve) in MB, or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _peak_memory() -> tuple[float, str]:
    """(peak resident MB of this process, how it was read); (nan, reason) when nothing can read it.

    psutil first where it reports a peak (Windows' peak working set); then the OS's own peak
    (``resource``: Linux and macOS); last psutil's current resident size (macOS/others without
    ``resource``: a lower bound of the peak).
    """
    try:
        import psutil  # noqa: PLC0415

        info = psutil.Process().memory_info()
    except Exception:  # noqa: BLE001  (not installed, or no access: try the next way)
        info = None
    if info is not None and getattr(info, "peak_wset", None):
        return info.peak_wset / 2**20, "psutil peak working set"
    # Linux: this process image's own high-water mark. getrusage's ru_maxrss survives execve, so a
    # kernel started by a large parent (a pytest worker that imported torch) would report the parent's
    # size at fork time instead of its own peak.
    hwm = _linux_vmhwm_mb()
    if hwm is not None:
        return hwm, "/proc/self/status VmHWM"
    try:
        import resource  # noqa: PLC0415  (Unix only)

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return (peak / 2**20 if sys.platform == "darwin" else peak / 2**10), "getrusage"  # bytes on macOS
    except (ImportError, OSError, AttributeError):
        pass
    if info is not None:
        return info.rss / 2**20, "psutil current RSS"
    return float("nan"), "no psutil and no resource module"


def peak_memory_mb() -> float:
    """Peak resident memory of this process (the notebook's kernel) in MB; nan if unreadable.

    Works on Linux, macOS and Windows (psutil, or the standard library's ``resource`` on Unix).
    """
    return _peak_memory()[0]


def memory_budget_mb(environ: dict | None = None) -> tuple[float, str]:
    """The kernel's memory budget in MB, and a note saying where it comes from ("" for Binder's).

    A JupyterHub spawner (and Binder) sets ``MEM_LIMIT`` in bytes for the user's server; the
    budget is then 73% of it (the rest is for Jupyter itself). Otherwise Binder's 1,500 MB.
    """
    env = os.environ if environ is None else environ
    raw = str(env.get("MEM_LIMIT", "")).strip()
    if raw:
        try:
            limit = float(raw)
        except ValueError:
            limit = 0.0
        if limit > 0:
            return limit / 2**20 * MEM_LIMIT_SHARE, f"{MEM_LIMIT_SHARE:.0%} of MEM_LIMIT={limit / 2**20:,.0f} MB"
    return float(BINDER_BUDGET_MB), ""


def release_memory() -> None:
    """Collect garbage and hand freed heap memory back to the OS (glibc's malloc_trim).

    After a model is trained and dropped, glibc keeps the freed activation buffers in its heap,
    so the next model's buffers land beside them and the kernel's resident memory ratchets up.
    Calling this between runs keeps a notebook that trains many models inside Binder's memory.
    A no-op where the C library has no malloc_trim (macOS, Windows, musl).
    """
    import gc

    gc.collect()
    libc = _glibc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _glibc() -> Any:
    """The C library when it is glibc (``malloc_trim``, ``mallopt``), else None (macOS, Windows)."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


# glibc's mallopt parameters, and the largest values its own dynamic thresholds reach on 64-bit.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
STEADY_MMAP_THRESHOLD = 32 * 2**20
STEADY_TRIM_THRESHOLD = 64 * 2**20


def steady_heap() -> bool:
    """Let glibc keep a training step's freed buffers for the next step; True where it applied.

    By default glibc serves each buffer over 128 KB with fresh pages from the OS and returns
    large freed blocks at once, so every CPU training step faults its activations in again:
    about 6,500 page faults (26 MB) per step of InceptionA (MNIST) at batch 256, 10-20% of the
    step (benchmarks/results/fit_cpu_2threads.md). With the mmap threshold at 32 MB and the trim
    threshold at 64 MB, the largest values glibc's own adaptive thresholds reach, the buffers
    are reused: no faults, and the same peak memory. ``release_memory`` still hands freed memory
    back after a run. A no-op (False) where the C library is not glibc (macOS, Windows, musl),
    or with the environment variable ``CNNLESSONS_STEADY_HEAP=0`` (to measure without it).
    """
    libc = _glibc()
    if os.environ.get("CNNLESSONS_STEADY_HEAP", "1") == "0" or libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, STEADY_MMAP_THRESHOLD)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, STEADY_TRIM_THRESHOLD)
    )


def check_memory_budget(limit_mb: float | None = None) -> None:
    """Assert the kernel stayed under its memory budget; prints a line that does not vary.

    The budget is ``limit_mb`` when given, else from ``MEM_LIMIT`` when a hub sets it, else
    1,500 MB (Binder gives about 2 GB). Where the peak cannot be read, says so instead of failing.
    """
    note = ""
    if limit_mb is None:
        limit_mb, note = memory_budget_mb()
    peak, how = _peak_memory()
    if math.isnan(peak):
        print(f"Peak kernel memory could not be measured here ({how}); install psutil to check it.")
        return
    if peak >= limit_mb:
        raise AssertionError(
            f"this kernel peaked at {peak:,.0f} MB, over the {limit_mb:,.0f} MB budget "
            f"({note + '; ' if note else ''}Binder gives about 2 GB): trace full-size models on the "
            "meta device and train on a subset"
        )
    # Without MEM_LIMIT the line is the same everywhere (strict nbval compares it).
    print(f"Peak kernel memory is under {limit_mb:,.0f} MB" + (f" ({note})." if note else "."))


# --- threads from the container's CPU quota ------------------------------------------------------
# A container (Binder, a JupyterHub pod, docker --cpus) sees every core of its machine but may use
# only a quota of their time. torch starts one thread per visible core; with a quota of one CPU
# and a busy neighbour those threads wait on each other (lesson 02 took 197 s instead of 17 s
# under Binder's limits emulated here). So the package lowers torch's thread count to the quota.

CGROUP_ROOT = "/sys/fs/cgroup"
_THREADS_SET_FROM_QUOTA: int | None = None
_USER_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _own_cgroup_paths(proc_cgroup: str) -> dict[str, str]:
    """controller -> this process's cgroup path, from /proc/self/cgroup's text ("" key: cgroup v2)."""
    paths: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _with_ancestors(mount: str, path: str) -> list[str]:
    """mount/path and each folder above it up to the mount (the effective limit is the smallest)."""
    parts = [p for p in path.strip("/").split("/") if p and p != ".."]
    return [os.path.join(mount, *parts[:n]) for n in range(len(parts), -1, -1)]


def cpu_quota(root: str = CGROUP_ROOT, proc_cgroup: str | None = None) -> float | None:
    """CPUs' worth of time this process may use by its cgroup's quota; None when there is none.

    Reads cgroup v2 (``cpu.max``: "quota period" or "max period") or cgroup v1
    (``cpu/cpu.cfs_quota_us`` and ``cpu.cfs_period_us``, quota -1 for none), in this process's own
    cgroup and each one above it. ``root`` and ``proc_cgroup`` (the text of /proc/self/cgroup) are
    parameters so tests can lay out both versions in a temporary folder.
    """
    if proc_cgroup is None:
        proc_cgroup = _read("/proc/self/cgroup") or ""
    own = _own_cgroup_paths(proc_cgroup)
    quotas: list[float] = []
    # cgroup v2: one tree; the process's path is on the "0::" line.
    if os.path.exists(os.path.join(root, "cgroup.controllers")):
        for folder in _with_ancestors(root, own.get("", "/")):
            fields = (_read(os.path.join(folder, "cpu.max")) or "").split()
            if len(fields) == 2 and fields[0] != "max":
                try:
                    quotas.append(int(fields[0]) / int(fields[1]))
                except (ValueError, ZeroDivisionError):
                    pass
    # cgroup v1: the cpu controller has its own mount (named cpu, or cpu,cpuacct).
    for mount_name in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        mount = os.path.join(root, mount_name)
        if not os.path.isdir(mount):
            continue
        for folder in _with_ancestors(mount, own.get("cpu", "/")):
            quota = _read(os.path.join(folder, "cpu.cfs_quota_us"))
            period = _read(os.path.join(folder, "cpu.cfs_period_us"))
            try:
                q, p = int(quota or "-1"), int(period or "0")
            except ValueError:
                continue
            if q > 0 and p > 0:
                quotas.append(q / p)
        break
    return min(quotas) if quotas else None


def visible_cpus() -> int:
    """Cores this process may be scheduled on (its affinity), or all the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def match_threads_to_cpu_quota(
    root: str = CGROUP_ROOT, proc_cgroup: str | None = None, environ: dict | None = None
) -> int | None:
    """Lower torch's thread count to the container's CPU quota; returns the count set, or None.

    Leaves torch alone when there is no quota, when the quota is not below the visible cores or
    torch's current count, or when the user chose threads (``OMP_NUM_THREADS``/``MKL_NUM_THREADS``).
    A quota of 1.5 CPUs gives 1 thread: a second would wait half the time. Runs on import.
    """
    env = os.environ if environ is None else environ
    if any(str(env.get(name, "")).strip() for name in _USER_THREAD_VARS):
        return None
    quota = cpu_quota(root, proc_cgroup)
    if quota is None:
        return None
    threads = max(1, int(quota))
    if threads >= visible_cpus() or threads >= torch.get_num_threads():
        return None
    global _THREADS_SET_FROM_QUOTA  # noqa: PLW0603
    torch.set_num_threads(threads)
    _THREADS_SET_FROM_QUOTA = threads
    return threads


# --- Apple's MPS: adaptive pooling to a size that does not divide the input ----------------------
_MPS_NOTICE_SHOWN = False
_REJECTING_DEVICES = ("mps",)  # device types whose adaptive pooling needs divisible sizes


def _adaptive_pool_on_mps(module, x, pool_fn):
    """Run the pooling on the CPU when MPS would reject it (input not a multiple of the output)."""
    global _MPS_NOTICE_SHOWN  # noqa: PLW0603
    size = module.output_size
    size = (size, size) if isinstance(size, int) or size is None else tuple(size)
    divides = all(o is None or x.shape[-2 + i] % o == 0 for i, o in enumerate(size[-2:]))
    if x.device.type not in _REJECTING_DEVICES or divides:
        return None
    if not _MPS_NOTICE_SHOWN:
        _MPS_NOTICE_SHOWN = True
        print(
            f"Note: MPS cannot pool {tuple(x.shape[-2:])} to {module.output_size}; "
            "that pooling runs on the CPU (the rest stays on MPS)."
        )
    out = pool_fn(x.cpu())
    return out.to(x.device)


def mps_safe(model: torch.nn.Module) -> torch.nn.Module:
    """Make the model's adaptive pooling layers work on Apple's MPS (in place; returns the model).

    MPS raises "Adaptive pool MPS: input sizes must be divisible by output sizes" for, say,
    AlexNet's 6x6 pooling of a 13x13 map. Each AdaptiveAvgPool2d/AdaptiveMaxPool2d then computes
    that one case on the CPU (with a one-line notice, once); everywhere else nothing changes.
    The layers keep their class names, weights and ``isinstance`` checks.
    """
    from torch import nn  # noqa: PLC0415

    for module in model.modules():
        kind = type(module)
        if kind in (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d):
            module.__class__ = _MPS_SAFE[kind]
    return model


def _make_mps_safe_classes() -> dict:
    from torch import nn  # noqa: PLC0415

    class MPSSafeAdaptiveAvgPool2d(nn.AdaptiveAvgPool2d):
        def forward(self, x):  # noqa: D102
            out = _adaptive_pool_on_mps(self, x, super().forward)
            return super().forward(x) if out is None else out

        def _get_name(self) -> str:
            return "AdaptiveAvgPool2d"

    class MPSSafeAdaptiveMaxPool2d(nn.AdaptiveMaxPool2d):
        def forward(self, x):  # noqa: D102
            out = _adaptive_pool_on_mps(self, x, super().forward)
            return super().forward(x) if out is None else out

        def _get_name(self) -> str:
            return "AdaptiveMaxPool2d"

    return {nn.AdaptiveAvgPool2d: MPSSafeAdaptiveAvgPool2d, nn.AdaptiveMaxPool2d: MPSSafeAdaptiveMaxPool2d}


_MPS_SAFE = _make_mps_safe_classes()
