"""Lesson 05 helpers: weight counting and the exercises' check functions.

Each ``check_...`` prints what is right or wrong and returns True or False; the right answer
is always computed from a model built here, never typed in.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..models.fire_squeezenet import Fire, mnist_squeezenet, squeezenet1_1
from ._checks import missing as _missing, report as _report


def count_weights(module: nn.Module) -> int:
    """Convolution and linear weights only, biases left out: how the paper and the source count."""
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


def count_params(module: nn.Module) -> int:
    """Every trainable number: weights, biases and BatchNorm scales and shifts."""
    return sum(p.numel() for p in module.parameters())


def check_fire_weights(answer: int | None, inplanes: int = 128, squeeze: int = 16, e1x1: int = 64, e3x3: int = 64) -> bool:
    """Exercise: the weights (no biases) of Fire(inplanes, squeeze, e1x1, e3x3)."""
    if _missing(answer):
        return False
    truth = count_weights(Fire(inplanes, squeeze, e1x1, e3x3))
    return _report(
        int(answer) == truth,
        f"Fire({inplanes}, {squeeze}, {e1x1}, {e3x3}) has {truth:,} weights.",
        f"{int(answer):,} is not it. Count squeeze (1x1 x {inplanes} x {squeeze}), then the two expand "
        f"convolutions, which both read the {squeeze} squeezed channels.",
    )


def check_fire_module(build: Callable[[], nn.Module] | None, inplanes: int = 96, squeeze: int = 6,
                      e1x1: int = 5, e3x3: int = 4) -> bool:
    """Exercise: ``build()`` returns your own Fire(96, 6, 5, 4); it must match the package's in
    output shape and parameter count."""
    if _missing(build):
        return False
    try:
        mine = build()
        out = mine(torch.randn(2, inplanes, 9, 9))
    except Exception as exc:  # the student's code failed: say how, do not raise
        return _report(False, "", f"your module failed on a 2 x {inplanes} x 9 x 9 input: {type(exc).__name__}: {exc}")
    ref = Fire(inplanes, squeeze, e1x1, e3x3)
    want = (2, e1x1 + e3x3, 9, 9)
    if tuple(out.shape) != want:
        return _report(False, "", f"output shape {tuple(out.shape)}, expected {want}: did you concatenate "
                                  f"the two expand outputs along dim=1 and pad the 3x3 by 1?")
    return _report(
        count_params(mine) == count_params(ref),
        f"shape {want} and {count_params(ref):,} parameters, like the package's Fire.",
        f"{count_params(mine):,} parameters, expected {count_params(ref):,}: check which channels each "
        f"convolution reads.",
    )


def check_size_mb(answer: float | None, dtype: str = "float16") -> bool:
    """Exercise: SqueezeNet 1.1's parameters in MB (10**6 bytes) at ``dtype``."""
    if _missing(answer):
        return False
    nbytes = {"float32": 4, "float16": 2, "int8": 1}[dtype]
    truth = count_params(squeezenet1_1()) * nbytes / 1e6
    return _report(
        abs(float(answer) - truth) < 0.01,
        f"{truth:.2f} MB at {dtype}.",
        f"{answer} MB is off: parameters x {nbytes} bytes / 10**6.",
    )


def check_sr_params(answer: int | None, squeeze_ratio: float = 0.25) -> bool:
    """Exercise: parameters of ``mnist_squeezenet(squeeze_ratio)`` (use a tool or count)."""
    if _missing(answer):
        return False
    truth = count_params(mnist_squeezenet(squeeze_ratio=squeeze_ratio))
    return _report(
        int(answer) == truth,
        f"mnist_squeezenet(squeeze_ratio={squeeze_ratio}) has {truth:,} parameters.",
        f"{int(answer):,} is not it: build the model and count, or read the tracer's total.",
    )
