"""Lesson 03 helpers: 1x1 convolution against a linear layer, bottleneck cost formulas, exercise checks.

Each ``check_...`` prints what is right or wrong and returns True or False; the right answer is
computed by the formulas here (which the tests compare with the tracer), never typed in.
"""
from __future__ import annotations

import torch
from torch import nn
from ._checks import missing as _missing, report as _report


def count_params(module: nn.Module) -> int:
    """Every trainable number: weights, biases and BatchNorm scales and shifts."""
    return sum(p.numel() for p in module.parameters())


def linear_from_conv1x1(conv: nn.Conv2d) -> nn.Linear:
    """The nn.Linear that computes what the 1x1 convolution ``conv`` computes at each pixel."""
    if not isinstance(conv, nn.Conv2d) or conv.kernel_size != (1, 1) or conv.groups != 1:
        raise ValueError(f"expected an nn.Conv2d with kernel_size=1 and groups=1, got {conv!r}: only an "
                         f"ungrouped 1x1 convolution is a per-pixel linear layer")
    linear = nn.Linear(conv.in_channels, conv.out_channels, bias=conv.bias is not None)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.reshape(conv.out_channels, conv.in_channels))  # out x in x 1 x 1 -> out x in
        if conv.bias is not None:
            linear.bias.copy_(conv.bias)
    return linear


def conv1x1_vs_linear(conv: nn.Conv2d, x: torch.Tensor) -> float:
    """Max absolute difference between ``conv(x)`` and the copied Linear applied at every pixel.

    ``x`` is N x C x H x W; the Linear sees it as (N*H*W) x C (channels last), then the result is
    put back to N x C' x H x W.
    """
    if x.dim() != 4 or x.shape[1] != conv.in_channels:
        raise ValueError(f"x must be N x {conv.in_channels} x H x W for this convolution, got {tuple(x.shape)}")
    linear = linear_from_conv1x1(conv)
    with torch.no_grad():
        by_conv = conv(x)
        by_linear = linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # N x H x W x C -> N x C' x H x W
    return float((by_conv - by_linear).abs().max())


def conv_mult_adds(c_in: int, c_out: int, k: int, h: int, w: int) -> int:
    """Multiply-adds of a k x k convolution (stride 1, 'same' padding, no bias): H x W x c_out x k x k x c_in."""
    return h * w * c_out * k * k * c_in


def bottleneck_mult_adds(c_in: int, c_reduce: int, c_out: int, k: int, h: int, w: int) -> int:
    """A 1x1 convolution c_in -> c_reduce, then the k x k convolution c_reduce -> c_out."""
    return conv_mult_adds(c_in, c_reduce, 1, h, w) + conv_mult_adds(c_reduce, c_out, k, h, w)


def break_even_width(c_in: int, c_out: int, k: int) -> float:
    """The bottleneck width at which 1x1 + k x k costs as much as the direct k x k convolution.

    From c (c_in + k^2 c_out) = k^2 c_in c_out (the H x W factor cancels). Narrower pays, wider loses.
    """
    return k * k * c_in * c_out / (c_in + k * k * c_out)


class Bottleneck(nn.Sequential):
    """1x1 reduce to ``c_reduce`` channels, then a k x k convolution to ``c_out`` (no bias, no ReLU:
    only the cost is studied here)."""

    def __init__(self, c_in: int, c_reduce: int, c_out: int, k: int = 5) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(c_in, c_reduce, 1, bias=False)
        self.conv = nn.Conv2d(c_reduce, c_out, k, padding=k // 2, bias=False)


def check_bottleneck_mult_adds(answer: int | None, c_in: int = 256, c_reduce: int = 64, c_out: int = 128,
                               k: int = 3, h: int = 14, w: int = 14) -> bool:
    """Exercise: mult-adds of a 1x1 bottleneck c_in -> c_reduce followed by a k x k conv to c_out."""
    if _missing(answer):
        return False
    truth = bottleneck_mult_adds(c_in, c_reduce, c_out, k, h, w)
    first = conv_mult_adds(c_in, c_reduce, 1, h, w)
    if int(answer) == truth:
        return _report(True, f"{first:,} + {truth - first:,} = {truth:,} multiply-adds.", "")
    hint = (f"you counted only one of the two convolutions ({first:,} for the 1x1, {truth - first:,} for the "
            f"{k}x{k}); add both." if int(answer) in (first, truth - first) else
            f"count each convolution as H x W x out x k x k x in ({h} x {w} x ...), the 1x1 with k = 1, "
            f"the {k}x{k} reading the {c_reduce} reduced channels, and add them.")
    return _report(False, "", f"{int(answer):,} is not it: {hint}")


def check_break_even(answer: float | None, c_in: int = 192, c_out: int = 32, k: int = 5) -> bool:
    """Exercise: the bottleneck width where 1x1 + k x k costs as much as the direct k x k conv."""
    if _missing(answer):
        return False
    truth = break_even_width(c_in, c_out, k)
    return _report(
        abs(float(answer) - truth) < 0.5,
        f"about {truth:.1f} channels: narrower bottlenecks save work, wider ones cost more than the direct conv.",
        f"{answer} is off: set c x (c_in + k*k x c_out) equal to k*k x c_in x c_out and solve for c "
        f"(the H x W factor cancels).",
    )


def check_conv1x1_params(answer: int | None, c_in: int = 192, c_out: int = 64, bias: bool = True) -> bool:
    """Exercise: parameters of ``nn.Conv2d(c_in, c_out, kernel_size=1, bias=bias)``."""
    if _missing(answer):
        return False
    truth = count_params(nn.Conv2d(c_in, c_out, 1, bias=bias))
    if int(answer) == truth:
        return _report(True, f"{c_in} x {c_out}{' + ' + str(c_out) + ' biases' if bias else ''} = {truth:,}, "
                             f"the same as nn.Linear({c_in}, {c_out}).", "")
    hint = ("did you forget the biases (one per output channel)?" if bias and int(answer) == c_in * c_out
            else "a 1x1 kernel has one weight per (input channel, output channel) pair, plus one bias per "
                 "output channel; the image size does not matter.")
    return _report(False, "", f"{int(answer):,} is not it: {hint}")
