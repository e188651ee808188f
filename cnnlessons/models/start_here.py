"""Lesson 00: TinyCNN, the small network the tour trains, traces and looks inside.

Two convolutional blocks and a linear classifier: about 20k parameters, enough for about 97%
on MNIST after three epochs on 6,000 training images (lesson 00 prints its own run's figures).
"""

from __future__ import annotations

import torch
from torch import nn


class ConvBlock(nn.Module):
    """3x3 convolution (same padding) -> BatchNorm (optional) -> ReLU -> 2x2 max-pool.

    The convolution keeps the height and width; the pool halves them. BatchNorm is optional so
    the lesson can show a plain convolution's parameter count first.
    """

    def __init__(self, in_channels: int, out_channels: int, batch_norm: bool = True) -> None:
        super().__init__()
        # With BatchNorm right after, the convolution's bias would be cancelled: leave it out.
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=not batch_norm)
        self.bn = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x in_channels x H x W
        x = self.relu(self.bn(self.conv(x)))  # N x out_channels x H x W
        return self.pool(x)  # N x out_channels x H/2 x W/2


class TinyCNN(nn.Module):
    """block1 (1 -> 16 channels) -> block2 (16 -> 32) -> flatten -> linear (32*7*7 -> 10).

    ``channels`` sets the two blocks' widths, ``batch_norm`` switches BatchNorm on or off.
    """

    def __init__(
        self,
        channels: tuple[int, int] = (16, 32),
        num_classes: int = 10,
        batch_norm: bool = True,
        in_channels: int = 1,
        image_size: int = 28,
    ) -> None:
        super().__init__()
        c1, c2 = channels
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two 2x2 pools), got {image_size}")
        self.block1 = ConvBlock(in_channels, c1, batch_norm)
        self.block2 = ConvBlock(c1, c2, batch_norm)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(c2 * (image_size // 4) ** 2, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.block1(x)  # N x 16 x 14 x 14
        x = self.block2(x)  # N x 32 x 7 x 7
        x = self.flatten(x)  # N x 1568
        return self.classifier(x)  # N x 10


def tiny_cnn(**kwargs) -> TinyCNN:
    """TinyCNN with the lesson's defaults (16 and 32 channels, BatchNorm)."""
    return TinyCNN(**kwargs)
