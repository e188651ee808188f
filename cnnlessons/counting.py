"""The package's one place for counting parameters and sizing weights (one meaning per name).

- ``count_params(model)``: the number of parameters (shared ones once), optionally only the
  trainable or only the frozen ones; ``param_counts(model)`` gives all three as a dict.
- ``weights_mb(model)``: the saved weights (``state_dict``: parameters AND buffers, each at its
  own dtype) in MB of 10**6 bytes, what ``torch.save`` writes, give or take the file's header.
- ``params_mb(model, bytes_per_param=4)``: the parameters alone at a chosen width (4 bytes at
  float32, 2 at float16, 1 at int8), for "how big would it be at ..." questions.

``cl.trace`` counts the same parameters per layer (its totals equal ``count_params``).
"""

from __future__ import annotations

from torch import nn

__all__ = ["count_params", "param_counts", "weights_mb", "params_mb"]


def count_params(model: nn.Module, trainable: bool | None = None) -> int:
    """Parameters in ``model``; ``trainable=True`` only those that train, ``False`` only the frozen."""
    return sum(p.numel() for p in model.parameters() if trainable is None or p.requires_grad == trainable)


def param_counts(model: nn.Module) -> dict[str, int]:
    """``{"trainable": ..., "frozen": ..., "total": ...}`` (transfer learning's question)."""
    trainable, frozen = count_params(model, trainable=True), count_params(model, trainable=False)
    return {"trainable": trainable, "frozen": frozen, "total": trainable + frozen}


def weights_mb(model: nn.Module) -> float:
    """The saved weights in MB (10**6 bytes): every parameter and buffer at its own dtype."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values()) / 1e6


def params_mb(model: nn.Module, bytes_per_param: float = 4) -> float:
    """The parameters alone in MB (10**6 bytes) at ``bytes_per_param`` each (4 = float32, 2 = float16)."""
    return count_params(model) * bytes_per_param / 1e6
