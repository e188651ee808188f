"""Lesson 00 helpers: the common mistakes shown in the tour, and the exercises.

Each mistake is a small model that runs (or fails) the way the mistake does in real code, so the
notebook can show it failing and then fixed. The exercises use the package's Exercise API
(``lesson.exercise_1.check(answer)``, ``lesson.exercise_1.hint()``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.start_here import ConvBlock, TinyCNN
from ._checks import Exercise, Module, Number

__all__ = ["LayerBuiltInForward", "SmallNet", "exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]


# ---------------------------------------------------------------------------------------------
# Common mistakes
# ---------------------------------------------------------------------------------------------
class LayerBuiltInForward(nn.Module):
    """A common mistake, rebuilt on purpose: the classifier is created inside ``forward``.

    Every call makes a NEW randomly initialised Linear layer. Its weights are not in
    ``model.parameters()``, so the optimizer never updates them, and two calls on the same image
    give different scores. Do not copy it: create layers in ``__init__``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.block1 = ConvBlock(1, 16)
        self.block2 = ConvBlock(16, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block2(self.block1(x)).flatten(1)  # N x 1568
        classifier = nn.Linear(32 * 7 * 7, 10).to(x.device)  # the mistake: a new layer every call
        return classifier(x)


class SmallNet(nn.Module):
    """A LeNet-like net for 1 x 28 x 28 digits: two unpadded 5 x 5 convolutions, each followed by
    ReLU and a 2 x 2 max-pool, then a linear layer. ``in_features`` must match what the
    convolutions leave (exercise 4 asks for it)."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=5)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=5)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(in_features, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))  # N x 8 x 12 x 12
        x = self.pool(F.relu(self.conv2(x)))  # N x 16 x 4 x 4
        return self.fc(torch.flatten(x, 1))  # N x 10


def _tiny_params(c1: int, c2: int) -> int:
    from ..trace import trace

    return trace(TinyCNN(channels=(c1, c2)), (1, 1, 28, 28), receptive_field=False).total_params


def _three_block_rf() -> int:
    from ..trace import trace

    net = nn.Sequential(ConvBlock(1, 16), ConvBlock(16, 32), ConvBlock(32, 64))
    return trace(net, (1, 1, 28, 28)).rows[-1].rf


def _corner_blur() -> float:
    ones = torch.ones(1, 1, 6, 6)
    blur = torch.full((1, 1, 3, 3), 1 / 9)
    return float(F.conv2d(ones, blur, padding=1)[0, 0, 0, 0])


# ---------------------------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------------------------
exercise_1 = Exercise(
    "00.1",
    Number(
        lambda: _tiny_params(8, 16),
        form="a whole number, e.g. 1234 (exact)",
        near=[
            (_tiny_params(8, 16) - 48, "you left out BatchNorm's scale and shift: 2 numbers per channel"),
            (_tiny_params(8, 16) + 24, "the block convolutions have bias=False (BatchNorm follows them)"),
        ],
    ),
    solution="answer = cl.trace(models.TinyCNN(channels=(8, 16)), (1, 1, 28, 28)).total_params",
    hints=(
        "Count each part: block1.conv has 8 filters of 1 x 3 x 3, block2.conv 16 filters of 8 x 3 x 3, "
        "no biases; each BatchNorm has 2 numbers per channel.",
        "The classifier reads 16 x 7 x 7 numbers and has 10 outputs, each with a bias.",
    ),
    wrong=(_tiny_params(8, 16) - 48, _tiny_params(8, 16) + 24, 16 * 7 * 7 * 10 + 10, 20_538),
    explanation="72 + 16 + 1,152 + 32 + 7,850: the classifier still holds most of the parameters.",
)

exercise_2 = Exercise(
    "00.2",
    Number(
        lambda: 16 * 28 * 28,
        form="a whole number (exact)",
        near=[
            (32, "that is the trace's convention (2 numbers per channel); count the work on each value"),
            (2 * 16 * 28 * 28, "count one multiply-add per value, not the multiply and the add apart"),
        ],
    ),
    solution="answer = 16 * 28 * 28   # y = scale * x + shift, once per value of the 16 x 28 x 28 output",
    hints=(
        "In eval mode a BatchNorm computes y = a * x + b for every value of its input, with a and b fixed per channel.",
        "block1.bn sees 16 channels of 28 x 28.",
    ),
    wrong=(32, 2 * 16 * 28 * 28, 16 * 14 * 14, 112_896),
    explanation="16 x 28 x 28 values, one multiply-add each; cl.trace, like torchinfo, lists 32.",
)

exercise_3 = Exercise(
    "00.3",
    Number(
        _corner_blur,
        abs=0.005,
        form="a decimal with 3 digits, e.g. 0.123 (within 0.005)",
        near=[
            (1.0, "the corner's window hangs over the edge: padding adds zeros there"),
            (6 / 9, "that is a pixel on an edge, not in a corner"),
        ],
    ),
    solution=(
        "answer = F.conv2d(torch.ones(1, 1, 6, 6), torch.full((1, 1, 3, 3), 1 / 9), padding=1)[0, 0, 0, 0].item()"
    ),
    hints=(
        "With padding 1, the window of output (0, 0) covers input rows -1, 0, 1 and columns -1, 0, 1.",
        "How many of those 9 positions are real pixels (value 1), and how many padding zeros?",
    ),
    wrong=(1.0, 6 / 9, 1 / 9, 0.5),
    explanation="4 of the 9 window positions are real pixels: 4 x (1/9) = 0.444.",
)

exercise_4 = Exercise(
    "00.4",
    Module(
        lambda: SmallNet(16 * 4 * 4),
        (2, 1, 28, 28),
        near=[
            (
                lambda: SmallNet(16 * 5 * 5),
                "each 5 x 5 convolution without padding removes 4 pixels, and each pool halves what is left",
            )
        ],
    ),
    solution="answer = lesson.SmallNet(in_features=16 * 4 * 4)",
    hints=(
        "Follow the size: 28 -> conv 5x5 (no padding) -> ? -> pool -> ? -> conv 5x5 -> ? -> pool -> ?",
        "in_features = channels x height x width of the last pool's output; cl.trace can tell you "
        "(its message names the layer that fails).",
    ),
    wrong=(
        "answer = lesson.SmallNet(in_features=16 * 5 * 5)",
        "answer = lesson.SmallNet(in_features=16 * 7 * 7)",
        "answer = lesson.SmallNet(in_features=8 * 4 * 4)",
    ),
    explanation="28 -> 24 -> 12 -> 8 -> 4: the last pool leaves 16 x 4 x 4 = 256 numbers per image.",
)

exercise_5 = Exercise(
    "00.5",
    Number(
        _three_block_rf,
        form="a whole number of input pixels on a side (exact)",
        near=[
            (_three_block_rf() - 4, "that is the third block's convolution; its pool widens it too"),
            (14, "the pools double the jump: each later 3 x 3 adds 2 x jump pixels, not 2"),
        ],
    ),
    solution=(
        "net = nn.Sequential(models.ConvBlock(1, 16), models.ConvBlock(16, 32), models.ConvBlock(32, 64))\n"
        "answer = cl.trace(net, (1, 1, 28, 28)).rows[-1].rf"
    ),
    hints=(
        "After block2's pool the receptive field is 10 pixels and the jump is 4.",
        "A k x k layer adds (k - 1) x jump to the receptive field, then multiplies the jump by its stride.",
    ),
    wrong=(_three_block_rf() - 4, 14, 12, 16),
    explanation="conv3 adds 2 x 4 = 8 (10 -> 18), its 2 x 2 pool adds 1 x 4 = 4 (18 -> 22); the jump becomes 8.",
)
