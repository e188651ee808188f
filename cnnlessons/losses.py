"""fit's losses and the one rule for a model with several outputs (``main_output``).

A leaf module: ``train`` and ``preflight`` both import it, so neither imports the other for it.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

LossFn = Callable[[Any, torch.Tensor], torch.Tensor]


def main_output(outputs: Any) -> torch.Tensor:
    """The main logits of a model that may return several outputs (GoogLeNet's (main, aux...))."""
    if isinstance(outputs, (tuple, list)):
        return outputs[0]
    return outputs


def cross_entropy(outputs: Any, labels: torch.Tensor) -> torch.Tensor:
    """fit's default loss. A tuple of outputs is refused: say how to weigh the extra heads."""
    if isinstance(outputs, (tuple, list)):
        raise TypeError(
            f"the model returned {len(outputs)} outputs (for example GoogLeNet's main and auxiliary "
            "logits in train mode), and the default loss does not know how to weigh them. Pass "
            "loss_fn=cnnlessons.train.aux_loss() for main + 0.3 x (aux1 + aux2), or your own "
            "loss_fn(outputs, labels)."
        )
    return F.cross_entropy(outputs, labels)


def aux_loss(weight: float = 0.3) -> LossFn:
    """GoogLeNet's training loss: main + ``weight`` x (sum of auxiliary losses).

    Works on a plain tensor too (eval mode returns only the main logits).
    """

    def loss_fn(outputs: Any, labels: torch.Tensor) -> torch.Tensor:
        if not isinstance(outputs, (tuple, list)):
            return F.cross_entropy(outputs, labels)
        main, *aux = outputs
        loss = F.cross_entropy(main, labels)
        for a in aux:
            loss = loss + weight * F.cross_entropy(a, labels)
        return loss

    return loss_fn
