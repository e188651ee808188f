"""cnnlessons: helpers for the notebooks that go from AlexNet to ResNet.

Core pieces (data, device, training, tracing, the model doctor) import no plotting or widget
library; the visual helpers (feature maps, channel widgets) load matplotlib and ipywidgets
only when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from .data import load_mnist
from .device import (
    check_memory_budget,
    describe_device,
    match_threads_to_cpu_quota,
    mps_safe,
    peak_memory_mb,
    pick_device,
    seed_everything,
)

# trace and doctor share their module's name, so they are imported eagerly: a lazy attribute
# would be shadowed by the submodule as soon as anything imported it. Both are plotting-free.
from .doctor import Findings, doctor
from .trace import TraceError, TraceTable, trace

__version__ = "0.1.0"

# Nothing for the student to do: in a container with a CPU quota below its visible cores (Binder,
# a hub's pod) torch gets one thread per CPU of quota; on Colab third-party widgets are enabled.
try:
    THREADS_FROM_QUOTA = match_threads_to_cpu_quota()
except Exception:  # noqa: BLE001  (never let a platform quirk stop the import)
    THREADS_FROM_QUOTA = None
from .env import enable_colab_widgets as _enable_colab_widgets  # noqa: E402

_enable_colab_widgets()

# Public name -> module that defines it, imported on first use.
_LAZY = {
    "fit": "train",
    "evaluate": "train",
    "History": "train",
    "show_digits": "viz",
    "show_feature_maps": "viz",
    "show_filters": "viz",
    "feature_map_explorer": "viz",
    "plot_histories": "curves",
    "channel_explorer": "widgets",
    "count_params": "counting",
    "param_counts": "counting",
    "weights_mb": "counting",
    "params_mb": "counting",
}

__all__ = [
    "load_mnist",
    "pick_device",
    "describe_device",
    "seed_everything",
    "peak_memory_mb",
    "check_memory_budget",
    "mps_safe",
    "trace",
    "TraceTable",
    "TraceError",
    "doctor",
    "Findings",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cnnlessons' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
