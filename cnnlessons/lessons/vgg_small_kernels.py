"""Lesson 02 helpers: the pitfall model, the gradient receptive field, and the exercises' checks.

Each ``check_...`` prints what is right or wrong and returns True or False; the right answer
is computed from a model built here, never typed in.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.vgg_small_kernels import convolutionize, vgg16
from ._checks import missing as _missing, report as _report


class SkippingVGG16(nn.Module):
    """The source's mistake, rebuilt: VGG16's layers are all defined, but forward skips the
    third convolution of stages 3, 4 and 5. It runs and has VGG16's parameter count, yet it is a
    13-weight-layer net whose three skipped convolutions never train. Do not copy it."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        widths = {1: (3, 64, 2), 2: (64, 128, 2), 3: (128, 256, 3), 4: (256, 512, 3), 5: (512, 512, 3)}
        for stage, (cin, cout, n) in widths.items():
            for i in range(1, n + 1):
                setattr(self, f"conv{stage}_{i}", nn.Conv2d(cin if i == 1 else cout, cout, 3, padding=1))
        self.pool = nn.MaxPool2d(2)
        self.fc6 = nn.Linear(512 * 7 * 7, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in range(1, 6):
            x = F.relu(getattr(self, f"conv{stage}_1")(x))
            x = F.relu(getattr(self, f"conv{stage}_2")(x))
            # the bug: conv3_3, conv4_3 and conv5_3 are never called
            x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc8(F.relu(self.fc7(F.relu(self.fc6(x)))))


def gradient_footprint(n_layers: int, kernel: int = 3, size: int = 15) -> torch.Tensor:
    """Which input pixels move the centre output pixel of ``n_layers`` stacked convolutions.

    Returns the (size, size) map of |d out[centre] / d input| > 0, computed by backprop
    through randomly initialised convolutions (one channel, no pooling).
    """
    torch.manual_seed(0)
    layers = [nn.Conv2d(1, 1, kernel, padding=kernel // 2, bias=False) for _ in range(n_layers)]
    for conv in layers:
        nn.init.uniform_(conv.weight, 0.5, 1.5)   # positive weights: no accidental cancellation
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    out = nn.Sequential(*layers)(x)
    out[0, 0, size // 2, size // 2].backward()
    return (x.grad[0, 0].abs() > 0).float()


def check_stack_weights(answer: int | None, n: int = 3, channels: int = 64) -> bool:
    """Exercise: weights (no biases) of n stacked 3x3 convolutions, channels in and out."""
    if _missing(answer):
        return False
    with torch.device("meta"):
        truth = sum(nn.Conv2d(channels, channels, 3).weight.numel() for _ in range(n))
    return _report(int(answer) == truth, f"{n} x 3 x 3 x {channels} x {channels} = {truth:,}.",
                   f"{int(answer):,} is not it: one 3x3 layer has 9 x C x C weights.")


def check_receptive_field(answer: int | None, n: int = 4) -> bool:
    """Exercise: side of the receptive field of n stacked 3x3 convolutions (stride 1)."""
    if _missing(answer):
        return False
    truth = int(gradient_footprint(n, size=4 * n + 3).sum(0).max().item())
    return _report(int(answer) == truth, f"{n} layers see {truth} x {truth} pixels: each adds 2.",
                   f"{answer} is not it: one 3x3 layer sees 3 pixels, and each further layer adds 2.")


def check_fc6_params(answer: int | None) -> bool:
    """Exercise: parameters of VGG16's first fully connected layer (weights and biases)."""
    if _missing(answer):
        return False
    with torch.device("meta"):
        fc6 = vgg16().classifier[0]
    truth = sum(p.numel() for p in fc6.parameters())
    return _report(int(answer) == truth, f"FC6 holds {truth:,} parameters, about 74% of VGG16.",
                   f"{int(answer):,} is not it: it reads 512 x 7 x 7 = 25,088 numbers and has 4,096 outputs.")


def check_score_map(answer: tuple[int, int] | None, size: int = 448) -> bool:
    """Exercise: (height, width) of the class-score map of convolutionized VGG16 on a size x size image."""
    if _missing(answer):
        return False
    with torch.device("meta"):
        out = convolutionize(vgg16())(torch.empty(1, 3, size, size))
    truth = tuple(out.shape[-2:])
    return _report(tuple(answer) == truth, f"{size} / 32 = {size // 32}, minus 6 for the 7x7 kernel: {truth}.",
                   f"{tuple(answer)} is not it: the features shrink the image 32 times, then FC6's 7x7 kernel slides.")
