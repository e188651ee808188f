"""Lesson 03 helpers: a 1x1 convolution against a linear layer, bottleneck cost formulas, and
the lesson's exercises.

The formulas here are the ones the notebook sets against the tracer; the exercises compute
their answers from them (or from a model), never from a typed-in number.
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import Exercise, Module, Number


def linear_from_conv1x1(conv: nn.Conv2d) -> nn.Linear:
    """The nn.Linear that computes what the 1x1 convolution ``conv`` computes at each pixel."""
    if not isinstance(conv, nn.Conv2d) or conv.kernel_size != (1, 1) or conv.groups != 1:
        raise ValueError(
            f"expected an nn.Conv2d with kernel_size=1 and groups=1, got {conv!r}: only an "
            f"ungrouped 1x1 convolution is a per-pixel linear layer"
        )
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
    """Multiply-adds of a k x k convolution (stride 1, 'same' padding, no bias):
    H x W x c_out x (k x k x c_in), one per weight per output pixel."""
    return h * w * c_out * k * k * c_in


def bottleneck_mult_adds(c_in: int, c_reduce: int, c_out: int, k: int, h: int, w: int) -> int:
    """A 1x1 convolution c_in -> c_reduce, then the k x k convolution c_reduce -> c_out."""
    return conv_mult_adds(c_in, c_reduce, 1, h, w) + conv_mult_adds(c_reduce, c_out, k, h, w)


def break_even_width(c_in: int, c_out: int, k: int) -> float:
    """The bottleneck width at which 1x1 + k x k costs as much as the direct k x k convolution.

    From c (c_in + k^2 c_out) = k^2 c_in c_out (the H x W factor cancels). A real number:
    narrower bottlenecks save work, wider ones cost more than the direct convolution.
    """
    return k * k * c_in * c_out / (c_in + k * k * c_out)


class ReducedConv(nn.Sequential):
    """1x1 reduce to ``c_reduce`` channels, then a k x k convolution to ``c_out`` (no bias, no ReLU:
    only the cost is studied here). Not ResNet's ``Bottleneck`` block (``models.residual``), which
    adds a 1x1 expansion and a shortcut."""

    def __init__(self, c_in: int, c_reduce: int, c_out: int, k: int = 5) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(c_in, c_reduce, 1, bias=False)
        self.conv = nn.Conv2d(c_reduce, c_out, k, padding=k // 2, bias=False)


def conv_mult_adds_by_kernel(model: nn.Module, input_size: tuple[int, ...]) -> dict[str, int]:
    """The tracer's mult-adds of ``model``'s convolutions, summed by kernel size ("1x1", "3x3", ...).

    Uses ``cnnlessons.trace`` (torchinfo's count: biases included); works on the meta device.
    """
    from ..trace import trace

    table = trace(model, input_size, receptive_field=False)
    totals: dict[str, int] = {}
    for row in table.layers:
        module = model.get_submodule(row.path)
        if isinstance(module, nn.Conv2d):
            key = "x".join(str(k) for k in module.kernel_size)
            totals[key] = totals.get(key, 0) + row.mult_adds
    return totals


def _one_by_one_share(model: nn.Module, input_size: tuple[int, ...] = (1, 1, 28, 28)) -> float:
    """Percent of the traced model's mult-adds done by its 1x1 convolutions."""
    from ..trace import trace

    total = trace(model, input_size, receptive_field=False).total_mult_adds
    return 100 * conv_mult_adds_by_kernel(model, input_size).get("1x1", 0) / total


# ---------------------------------------------------------------------------------------------
# Exercises (see cnnlessons/lessons/_checks.py); each answer is computed, never typed in
# ---------------------------------------------------------------------------------------------
def _params(module: nn.Module) -> int:
    from ..trace import trace

    return trace(module, (1, module.in_channels, 5, 5), receptive_field=False).total_params


exercise_1 = Exercise(
    "03.1",
    Number(
        lambda: _params(nn.Conv2d(160, 48, kernel_size=1)),
        form="a whole number, e.g. 1234",
        near=[
            (160 * 48, "that is the weights only: add one bias per output channel"),
            (160 * 48 * 9 + 48, "that is a 3x3 kernel; a 1x1 kernel has one weight per channel pair"),
            (160 + 48, "you added the channel counts: each output channel has one weight per input channel"),
            (
                160 * 48 * 28 * 28 + 48,
                "the image size does not enter a parameter count: the same weights are used at every pixel",
            ),
        ],
    ),
    solution="answer = 160 * 48 + 48",
    hints=(
        "A 1x1 kernel has one weight per (input channel, output channel) pair.",
        "Add one bias per output channel; the image size does not matter.",
    ),
    wrong=(160 * 48, 160 * 48 * 9 + 48, 160 + 48),
    explanation="160 x 48 weights + 48 biases = 7,728, exactly nn.Linear(160, 48): the same layer, "
    "applied at every pixel.",
)

exercise_2 = Exercise(
    "03.2",
    Number(
        lambda: bottleneck_mult_adds(256, 64, 128, 3, 14, 14),
        form="a whole number, e.g. 1234",
        near=[
            (conv_mult_adds(256, 64, 1, 14, 14), "that is the 1x1 convolution only: add the 3x3"),
            (conv_mult_adds(64, 128, 3, 14, 14), "that is the 3x3 convolution only: add the 1x1"),
            (conv_mult_adds(256, 128, 3, 14, 14), "that is the direct 3x3 on all 256 channels, without the bottleneck"),
            (
                bottleneck_mult_adds(256, 64, 128, 3, 14, 14) + 14 * 14 * (64 + 128),
                "that counts the biases too (the tracer's convention); the question leaves them out",
            ),
        ],
    ),
    solution="answer = 14 * 14 * 64 * (1 * 1 * 256) + 14 * 14 * 128 * (3 * 3 * 64)",
    hints=(
        "Each convolution costs H x W x c_out x (k x k x c_in).",
        "The 1x1 reads 256 channels and writes 64; the 3x3 reads those 64 and writes 128. Add the two.",
    ),
    wrong=(conv_mult_adds(256, 64, 1, 14, 14), conv_mult_adds(256, 128, 3, 14, 14), conv_mult_adds(64, 128, 3, 14, 14)),
    explanation="14 x 14 x 64 x 256 = 3,211,264 for the 1x1, plus 14 x 14 x 128 x 9 x 64 = 14,450,688 "
    "for the 3x3: 17,661,952, against 57,802,752 for the 3x3 on all 256 channels.",
)

exercise_3 = Exercise(
    "03.3",
    Number(
        lambda: break_even_width(64, 64, 3),
        abs=0.05,
        form="a number with one decimal, e.g. 12.3",
        near=[
            (
                57,
                "57 is the widest whole number of channels that still saves work; the question asks "
                "for the width where the two costs are exactly equal, to one decimal",
            ),
            (58, "round nothing: give the width where the costs are equal, to one decimal"),
            (64, "64 channels is the input width; the bottleneck stops paying before that"),
            (288, "you left out k x k on one side: c (c_in + k*k c_out) = k*k c_in c_out"),
        ],
    ),
    solution="answer = 9 * 64 * 64 / (64 + 9 * 64)",
    hints=(
        "Write the cost of the 1x1 + 3x3 pair for a bottleneck of c channels, and the cost of the "
        "direct 3x3; the H x W factor cancels.",
        "Solve c x (c_in + k*k x c_out) = k*k x c_in x c_out for c.",
    ),
    wrong=(57, 288, 6.4, 64),
    explanation="c = 9 x 64 x 64 / (64 + 9 x 64) = 57.6: a bottleneck of 57 channels or fewer saves "
    "work, 58 or more costs more than the direct 3x3. Real networks squeeze far harder.",
)


def _mlp_head() -> nn.Module:
    """NiN's ending for a 64 x 7 x 7 map and 10 classes: per-pixel MLP, then global average pooling."""
    return nn.Sequential(
        nn.Conv2d(64, 64, kernel_size=1),
        nn.ReLU(),
        nn.Conv2d(64, 10, kernel_size=1),  # no ReLU: class scores may be negative
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),  # N x 10 x 1 x 1 -> N x 10
    )


exercise_4 = Exercise(
    "03.4",
    Module(
        _mlp_head,
        (2, 64, 7, 7),
        near=[
            (
                lambda: nn.Sequential(
                    nn.Conv2d(64, 64, 1),
                    nn.ReLU(),
                    nn.Conv2d(64, 10, 1),
                    nn.ReLU(),
                    nn.AdaptiveAvgPool2d(1),
                    nn.Flatten(),
                ),
                "a ReLU after the last 1x1 convolution keeps every class score at 0 or above; leave it out",
            )
        ],
    ),
    solution=(
        "answer = nn.Sequential(\n"
        "    nn.Conv2d(64, 64, kernel_size=1), nn.ReLU(),\n"
        "    nn.Conv2d(64, 10, kernel_size=1),\n"
        "    nn.AdaptiveAvgPool2d(1), nn.Flatten(),\n"
        ")"
    ),
    hints=(
        "Two 1x1 convolutions make a small MLP that runs at every pixel: 64 -> 64 (with a ReLU), "
        "then 64 -> 10, one map per class.",
        "nn.AdaptiveAvgPool2d(1) averages each map to one number; nn.Flatten() turns N x 10 x 1 x 1 into N x 10.",
    ),
    wrong=(
        "answer = nn.Sequential(nn.Conv2d(64, 64, 1), nn.Conv2d(64, 10, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())",
        "answer = nn.Sequential(nn.Conv2d(64, 64, 1), nn.ReLU(), nn.Conv2d(64, 10, 1), nn.Flatten())",
        "answer = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))",
        "answer = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 10, 3, padding=1),\n"
        "                       nn.AdaptiveAvgPool2d(1), nn.Flatten())",
        "answer = nn.Sequential(nn.Conv2d(64, 64, 1), nn.ReLU(), nn.Conv2d(64, 10, 1), nn.ReLU(),\n"
        "                       nn.AdaptiveAvgPool2d(1), nn.Flatten())",
    ),
    explanation="4,160 + 650 = 4,810 parameters, and the same head works on a map of any size. A flatten "
    "and fully connected layers in its place would need 64 x 7 x 7 inputs per unit.",
)


def _mnist_nin() -> nn.Module:
    from ..models.one_by_one import mnist_nin

    return mnist_nin()


exercise_5 = Exercise(
    "03.5",
    Number(
        lambda: _one_by_one_share(_mnist_nin()),
        abs=0.5,
        unit="%",
        form="a percentage with one decimal, e.g. 12.3",
        near=[
            (
                lambda: 100 - _one_by_one_share(_mnist_nin()),
                "that is the share of the 5x5 and 3x3 convolutions; the question asks for the 1x1 ones",
            ),
            (20.8, "that is the 1x1 layers' share of the parameters, not of the multiply-adds"),
            (24.9, "that is the ImageNet NiN's share; measure the MNIST one"),
        ],
    ),
    solution=(
        "model = models.mnist_nin()\n"
        "table = cl.trace(model, (1, 1, 28, 28))\n"
        "one = sum(r.mult_adds for r in table.layers\n"
        "          if isinstance(model.get_submodule(r.path), nn.Conv2d)\n"
        "          and model.get_submodule(r.path).kernel_size == (1, 1))\n"
        "answer = 100 * one / table.total_mult_adds"
    ),
    hints=(
        "cl.trace(model, (1, 1, 28, 28)) has a row per layer: row.path names the module "
        "(model.get_submodule(row.path)) and row.mult_adds is its cost.",
        "Add up the rows whose module is an nn.Conv2d with kernel_size (1, 1), divide by "
        "table.total_mult_adds, times 100.",
    ),
    wrong=(20.8, 24.9, 63.7),
    explanation="About 36% of the MNIST NiN's multiply-adds are in its 1x1 layers, more than in the ImageNet "
    "NiN: its first 5x5 convolution reads a single channel (25 weights per filter), while the two "
    "1x1 layers after it mix 32 channels at every one of the 28 x 28 pixels.",
)
