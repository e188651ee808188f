"""Lesson 00 helpers: the exercises' check functions for the TinyCNN tour.

Each ``check_...`` prints whether the answer is right (with a hint when it is not) and returns
True or False. The right answer is computed from a TinyCNN built here, never typed in.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from ..models.start_here import TinyCNN
from ._checks import missing as _missing, report as _report


def count_params(module: nn.Module) -> int:
    """Every trainable number in ``module``: weights, biases, BatchNorm scales and shifts."""
    return sum(p.numel() for p in module.parameters())


def _as_int(answer: Any) -> int | None:
    try:
        return int(answer)
    except (TypeError, ValueError):
        print(f"Not yet: the answer should be a whole number, got {answer!r}.")
        return None


def check_conv1_params(answer: int | None) -> bool:
    """Exercise: the parameters of ``TinyCNN().block1.conv`` (16 filters, 3x3, on 1 channel)."""
    if _missing(answer) or (value := _as_int(answer)) is None:
        return False
    conv = TinyCNN().block1.conv
    truth = count_params(conv)
    with_bias = truth + conv.out_channels
    hint = (
        f"{value:,} counts a bias per filter, but block1.conv has bias=False: the BatchNorm right "
        "after it adds its own shift, so a bias would be wasted."
        if value == with_bias else
        f"{value:,} is not it. Each of the {conv.out_channels} filters has "
        f"{conv.in_channels} x 3 x 3 weights."
    )
    return _report(value == truth, f"block1.conv has {truth:,} parameters (16 x 1 x 3 x 3, no bias).", hint)


def check_conv1_mult_adds(answer: int | None) -> bool:
    """Exercise: the mult-adds of ``block1.conv`` on one 28x28 image."""
    if _missing(answer) or (value := _as_int(answer)) is None:
        return False
    conv = TinyCNN().block1.conv
    per_pixel = conv.weight.numel()  # every output pixel of every filter: in x 3 x 3 multiply-adds
    truth = per_pixel * 28 * 28
    return _report(
        value == truth,
        f"{conv.weight.numel()} weights, each used once per output pixel: {conv.weight.numel()} x 28 x 28 = {truth:,}.",
        f"{value:,} is not it. The padding keeps the output at 28 x 28; each output pixel of each "
        f"filter costs 1 x 3 x 3 mult-adds.",
    )


def check_block2_output_shape(answer: Sequence[int] | None) -> bool:
    """Exercise: the output shape of ``block2`` for a batch of one 1 x 28 x 28 image."""
    if _missing(answer):
        return False
    model = TinyCNN()
    truth = tuple(model.block2(model.block1(torch.zeros(1, 1, 28, 28))).shape)
    try:
        value = tuple(int(s) for s in answer)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return _report(False, "", f"give the shape as a tuple of four numbers, like (1, 16, 14, 14); got {answer!r}")
    return _report(
        value == truth,
        f"{truth}: 32 channels, and two 2x2 max-pools halve 28 to 14 to 7.",
        f"{value} is not it. The batch stays 1, block2 has 32 filters, and each block's max-pool halves "
        "the height and width (the 3x3 convolutions are padded, so they keep them).",
    )


def check_classifier_share(answer: float | None, tolerance: float = 0.01) -> bool:
    """Exercise: the fraction (0 to 1) of TinyCNN's parameters that sit in the classifier."""
    if _missing(answer):
        return False
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _report(False, "", f"give a fraction between 0 and 1, got {answer!r}")
    model = TinyCNN()
    truth = count_params(model.classifier) / count_params(model)
    if value > 1:
        return _report(False, "", f"{value} is above 1: give a fraction (0.5 for half), not a percentage.")
    return _report(
        abs(value - truth) <= tolerance,
        f"{count_params(model.classifier):,} of {count_params(model):,} parameters, {truth:.1%}: "
        "the linear layer reading 32 x 7 x 7 features holds most of the weights.",
        f"{value:.3f} is not it. Count the classifier (32 x 7 x 7 inputs x 10 outputs + 10 biases) "
        "and divide by the total that cl.trace prints.",
    )
