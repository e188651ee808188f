"""Lesson 07 helpers: the two MNIST tasks, label remapping, the four training settings, and
the exercises' check functions.

The old task is digits 0-4, the new task digits 5-9. A 5-class head needs labels 0..4, so the
new task's labels are renumbered (5 -> 0, ..., 9 -> 4) by ``remap_labels``; ``fit_new_task``
catches the labels that were forgotten and says so plainly.
"""
from __future__ import annotations

from glob import glob
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from ..data import load_mnist
from ..models.transfer import TransferNet, count_params, freeze, transfer_net
from ._checks import missing as _missing, report as _report

OLD_DIGITS = (0, 1, 2, 3, 4)
NEW_DIGITS = (5, 6, 7, 8, 9)

# name -> (start from the pretrained weights?, freeze the backbone?)
SETTINGS = {
    "frozen pretrained + new head": (True, True),
    "fine-tune all (pretrained)": (True, False),
    "from scratch": (False, False),
    "frozen RANDOM + new head": (False, True),
}


def remap_labels(labels: torch.Tensor, digits: Sequence[int] = NEW_DIGITS) -> torch.Tensor:
    """Renumber class labels to 0..len(digits)-1 in the order of ``digits`` (5..9 -> 0..4)."""
    digits = [int(d) for d in digits]
    lookup = torch.full((max(max(digits), int(labels.max())) + 1,), -1, dtype=torch.long)
    lookup[torch.tensor(digits)] = torch.arange(len(digits))
    out = lookup[labels.long().cpu()].to(labels.device)
    if (out < 0).any():
        bad = sorted(set(labels[out.to(labels.device) < 0].tolist()))
        raise ValueError(f"labels {bad} are not among digits {tuple(digits)}: load the data with "
                         f"cl.load_mnist(..., digits={tuple(digits)}) or pass the right digits")
    return out


def load_task(split: str, digits: Sequence[int], subset: int | None = None,
              seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images of ``digits`` only, labels renumbered 0..len(digits)-1 (ready for a small head)."""
    x, y = load_mnist(split, subset=subset, seed=seed, digits=tuple(digits))
    return x, remap_labels(y, digits)


def check_labels_fit_head(model: nn.Module, labels: torch.Tensor) -> None:
    """Raise a clear error when the labels do not fit the head (the usual cause: not remapped)."""
    head = getattr(model, "head", None)
    n = head.out_features if isinstance(head, nn.Linear) else None
    if n is None:
        return
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or hi >= n:
        raise ValueError(
            f"the labels go from {lo} to {hi}, but the new head has {n} outputs (classes 0..{n - 1}). "
            f"Did you forget to renumber the new task's labels? Use "
            f"y = remap_labels(y, {NEW_DIGITS}) (5 -> 0, ..., 9 -> 4), or load_task(...), which does it.")


def fit_new_task(model: nn.Module, train_data: tuple[torch.Tensor, torch.Tensor],
                 test_data: tuple[torch.Tensor, torch.Tensor] | None = None, **fit_kwargs: Any):
    """``cl.fit`` after checking that the labels fit the head (see ``check_labels_fit_head``)."""
    from ..train import fit  # noqa: PLC0415

    check_labels_fit_head(model, train_data[1])
    if test_data is not None:
        check_labels_fit_head(model, test_data[1])
    return fit(model, train_data, test_data, **fit_kwargs)


def build_setting(name: str, pretrained_state: Mapping[str, torch.Tensor],
                  num_classes: int = 5) -> TransferNet:
    """A model for one of ``SETTINGS``: pretrained or random backbone, frozen or not, new head.

    Seed the RNG before calling: the new head (and a random backbone) are drawn from it.
    """
    if name not in SETTINGS:
        raise KeyError(f"unknown setting {name!r}; choose one of: {', '.join(SETTINGS)}")
    pretrained, frozen = SETTINGS[name]
    model = transfer_net(num_classes)
    if pretrained:
        backbone = {k[len("backbone."):]: v for k, v in pretrained_state.items() if k.startswith("backbone.")}
        model.backbone.load_state_dict(backbone)
    if frozen:
        freeze(model.backbone)
    return model


def find_inception_weights() -> Path | None:
    """The torchvision Inception v3 checkpoint in the local torch hub cache, or None (never downloads)."""
    hits = sorted(glob(str(Path(torch.hub.get_dir()) / "checkpoints" / "inception_v3_google-*.pth")))
    return Path(hits[-1]) if hits else None


def check_trainable_after_freeze(answer: int | None, num_classes: int = 3) -> bool:
    """Exercise: trainable parameters of ``transfer_net`` with a frozen backbone and a new
    head of ``num_classes`` outputs."""
    if _missing(answer):
        return False
    model = transfer_net(num_classes)
    freeze(model.backbone)
    truth = count_params(model)["trainable"]
    return _report(
        int(answer) == truth,
        f"only the head trains: {TransferNet.feature_dim:,} x {num_classes} weights + {num_classes} biases "
        f"= {truth:,}.",
        f"{int(answer):,} is not it. With the backbone frozen only the head trains: it reads "
        f"{TransferNet.feature_dim:,} features and has {num_classes} outputs (do not forget the biases).",
    )


def check_unfreeze_choice(answer: str | None) -> bool:
    """Exercise: which block of ``backbone`` to unfreeze first when fine-tuning."""
    if _missing(answer):
        return False
    a = str(answer).strip().removeprefix("backbone.").removeprefix("model.backbone.")
    return _report(
        a == "block2",
        "block2, the last one: its features are the most specific to the old task; block1's edges "
        "and strokes are general and stay frozen.",
        f"{answer!r}: unfreeze the block nearest the head first (the names are block1 and block2); "
        "early features are the most general.",
    )


def check_errors_removed(answer: float | None, acc_before: float, acc_after: float) -> bool:
    """Exercise: the fraction of the errors removed going from ``acc_before`` to ``acc_after``
    (accuracies as fractions: 0.94 = 94%)."""
    if _missing(answer):
        return False
    truth = ((1 - acc_before) - (1 - acc_after)) / (1 - acc_before)
    return _report(
        abs(float(answer) - truth) < 0.01,
        f"{truth:.0%} of the errors are gone (error {1 - acc_before:.1%} -> {1 - acc_after:.1%}).",
        f"{answer} is off: take the error rates (1 - accuracy), then (before - after) / before.",
    )
