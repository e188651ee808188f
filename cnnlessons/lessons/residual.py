"""Lesson 06 helpers: gradient norms at initialization, the depth widget, and exercise checks.

Each ``check_...`` prints what is right or wrong and returns True or False; the right answer
is computed from a model built here.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..models.residual import Bottleneck, conv1x1, mnist_resnet
from ._checks import missing as _missing, report as _report


def conv_grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[tuple[str, float]]:
    """One forward and backward pass on (x, y); the gradient norm of each convolution's weight,
    in forward order, shortcut projections left out (they are not on the plain path)."""
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    norms = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d) and "downsample" not in name and m.weight.grad is not None:
            norms.append((name, m.weight.grad.norm().item()))
    model.zero_grad(set_to_none=True)
    return norms


def grad_norm_pair(depth: int, x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> dict[str, list[tuple[str, float]]]:
    """Per-conv gradient norms at initialization for the plain and the residual net of one depth."""
    out = {}
    for kind, residual in (("plain", False), ("residual", True)):
        torch.manual_seed(seed)
        model = mnist_resnet(depth, residual=residual).to(x.device).train()
        out[kind] = conv_grad_norms(model, x, y)
    return out


def first_last_ratio(norms: list[tuple[str, float]]) -> float:
    """Gradient norm of the first convolution over that of the last: > 1 means it grows toward the input."""
    return norms[0][1] / norms[-1][1]


def plot_grad_norms(pair: dict[str, list[tuple[str, float]]], depth: int, ax: Any = None) -> Any:
    """Bar chart of per-layer gradient norms, plain against residual, on a log scale."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    for k, (kind, colour) in enumerate((("plain", "C3"), ("residual", "C2"))):
        norms = [n for _, n in pair[kind]]
        xs = [i + (k - 0.5) * 0.4 for i in range(len(norms))]
        ax.bar(xs, norms, width=0.4, color=colour, label=f"{kind} (first/last {first_last_ratio(pair[kind]):.1f}x)")
    ax.set_yscale("log")
    ax.set_xlabel("convolution, from the input (left) to the output (right)")
    ax.set_ylabel("gradient norm of the weight")
    ax.set_title(f"Gradient norms at initialization, depth {depth}")
    ax.legend()
    return ax


def gradient_norm_explorer(x: torch.Tensor, y: torch.Tensor, depths: tuple[int, int, int] = (8, 56, 8)) -> Any:
    """A depth slider redrawing the gradient-norm bar chart (as a PNG image, no Output capture).

    Returns a VBox; ``.slider`` sets the depth, ``.readout.value`` holds the numbers shown.
    """
    import io

    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    lo, hi, value = depths
    slider = widgets.IntSlider(value=value, min=lo, max=hi, step=6, description="depth")
    image = widgets.Image(format="png")
    readout = widgets.HTML()

    def update(change: Any = None) -> None:
        depth = slider.value
        pair = grad_norm_pair(depth, x, y)
        fig, ax = plt.subplots(figsize=(8, 3.2))
        plot_grad_norms(pair, depth, ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
        plt.close(fig)
        image.value = buf.getvalue()
        readout.value = (
            f"depth {depth}: first/last conv gradient norm, plain {first_last_ratio(pair['plain']):.1f}x, "
            f"residual {first_last_ratio(pair['residual']):.1f}x"
        )

    slider.observe(update, names="value")
    update()
    box = widgets.VBox([slider, readout, image])
    box.slider, box.readout = slider, readout
    return box


def running_mean(values: list[float], window: int = 50) -> list[float]:
    """Mean of the last ``window`` values at each step (fewer at the start)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


# --- Exercise checks ----------------------------------------------------------------------------


def check_residual_block(block_cls: Callable[[int], nn.Module] | None, channels: int = 8) -> bool:
    """Exercise: your ``block_cls(channels)`` must keep the shape and add its input back.

    Tested by zeroing every parameter: F(x) becomes 0, so a residual block returns ReLU(x)
    while a plain one returns zeros.
    """
    if _missing(block_cls):
        return False
    try:
        block = block_cls(channels)
        x = torch.randn(2, channels, 6, 6)
        with torch.no_grad():
            for p in block.parameters():
                p.zero_()
            out = block.eval()(x)
    except Exception as exc:
        return _report(False, "", f"your block failed on a 2 x {channels} x 6 x 6 input: {type(exc).__name__}: {exc}")
    if out.shape != x.shape:
        return _report(False, "", f"output shape {tuple(out.shape)}, expected {tuple(x.shape)}: pad the 3x3 convolutions by 1.")
    return _report(
        torch.allclose(out, F.relu(x)),
        "with F(x) = 0 your block returns ReLU(x): the input is added back.",
        "with all weights zero your block should return ReLU(x); it does not: did you add x before the last ReLU?",
    )


def check_projection_params(answer: int | None, inplanes: int = 128, planes: int = 256) -> bool:
    """Exercise: parameters of the projection shortcut (1x1 conv, stride 2, no bias, then BN)."""
    if _missing(answer):
        return False
    truth = sum(p.numel() for p in nn.Sequential(conv1x1(inplanes, planes, 2), nn.BatchNorm2d(planes)).parameters())
    return _report(
        int(answer) == truth,
        f"the {inplanes}->{planes} projection has {truth:,} parameters.",
        f"{int(answer):,} is not it: a 1x1 kernel has in x out weights, and BN adds a scale and a shift per channel.",
    )


def check_bottleneck_weights(answer: int | None, inplanes: int = 256, planes: int = 64) -> bool:
    """Exercise: convolution weights of Bottleneck(inplanes, planes), identity shortcut."""
    if _missing(answer):
        return False
    block = Bottleneck(inplanes, planes)
    truth = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
    return _report(
        int(answer) == truth,
        f"Bottleneck({inplanes}, {planes}) has {truth:,} convolution weights.",
        f"{int(answer):,} is not it: 1x1 {inplanes}->{planes}, 3x3 {planes}->{planes}, 1x1 {planes}->{4 * planes}.",
    )
