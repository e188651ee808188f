"""Lesson 03: 1x1 convolutions and Network in Network (NiN).

A 1x1 convolution is a fully connected layer applied at every pixel, across channels. NiN's
"mlpconv" block follows an ordinary convolution with two of them (a tiny MLP per pixel), and
the network ends with global average pooling over one map per class instead of fully
connected layers.
"""

from __future__ import annotations

import torch
from torch import nn


class MLPConv(nn.Module):
    """NiN's mlpconv block: a k x k convolution, then two 1x1 convolutions, each with a ReLU.

    ``final_relu=False`` leaves the last 1x1 convolution linear (used for the block that
    outputs one map per class: the scores should be free to go negative).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        mid_channels: int | None = None,
        batch_norm: bool = False,
        final_relu: bool = True,
    ) -> None:
        super().__init__()
        mid = mid_channels or out_channels

        def unit(cin: int, cout: int, k: int, s: int = 1, p: int = 0, relu: bool = True) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=not batch_norm)]
            if batch_norm:
                layers.append(nn.BatchNorm2d(cout))
            if relu:
                layers.append(nn.ReLU(inplace=True))
            return layers

        self.conv = nn.Sequential(*unit(in_channels, mid, kernel_size, stride, padding))
        self.mlp1 = nn.Sequential(*unit(mid, mid, 1))
        self.mlp2 = nn.Sequential(*unit(mid, out_channels, 1, relu=final_relu))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x in x H x W
        x = self.conv(x)  # N x mid x H' x W' (the only layer that looks at neighbours)
        x = self.mlp1(x)  # N x mid x H' x W' (per-pixel MLP, layer 1)
        return self.mlp2(x)  # N x out x H' x W' (per-pixel MLP, layer 2)


class NiN(nn.Module):
    """Network in Network for ImageNet (the NiN authors' released 4-block model, 224 x 224 input).

    No fully connected layer: the last mlpconv outputs ``num_classes`` maps and global average
    pooling turns each map into one score. That is why it has about 7.6M parameters where
    AlexNet, with a similar convolutional trunk, has 61M (58.6M in its three FC layers).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            MLPConv(3, 96, kernel_size=11, stride=4),  # N x 96 x 54 x 54
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # N x 96 x 27 x 27
            MLPConv(96, 256, kernel_size=5, padding=2),  # N x 256 x 27 x 27
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # N x 256 x 13 x 13
            MLPConv(256, 384, kernel_size=3, padding=1),  # N x 384 x 13 x 13
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # N x 384 x 6 x 6
            nn.Dropout(dropout),
            MLPConv(384, num_classes, kernel_size=3, padding=1, mid_channels=1024, final_relu=False),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 3 x 224 x 224
        x = self.features(x)  # N x num_classes x 6 x 6
        x = self.avgpool(x)  # N x num_classes x 1 x 1
        return torch.flatten(x, 1)  # N x num_classes


def nin(num_classes: int = 1000, dropout: float = 0.5) -> NiN:
    """NiN for 3 x 224 x 224 images: 7.6M parameters, no fully connected layer."""
    return NiN(num_classes=num_classes, dropout=dropout)


class MNISTNiN(nn.Module):
    """NiN sized for 1 x 28 x 28 MNIST digits: three mlpconv blocks and global average pooling.

    BatchNorm after each convolution (not in the 2014 paper) lets it train in a few hundred steps.
    """

    def __init__(self, num_classes: int = 10, batch_norm: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        self.features = nn.Sequential(
            MLPConv(1, 32, kernel_size=5, padding=2, batch_norm=batch_norm),  # N x 32 x 28 x 28
            nn.MaxPool2d(2),  # N x 32 x 14 x 14
            MLPConv(32, 64, kernel_size=3, padding=1, batch_norm=batch_norm),  # N x 64 x 14 x 14
            nn.MaxPool2d(2),  # N x 64 x 7 x 7
            nn.Dropout(dropout),
            MLPConv(
                64, num_classes, kernel_size=3, padding=1, mid_channels=64, batch_norm=batch_norm, final_relu=False
            ),  # N x 10 x 7 x 7
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.features(x)  # N x num_classes x 7 x 7: one map per class
        x = self.avgpool(x)  # N x num_classes x 1 x 1
        return torch.flatten(x, 1)  # N x num_classes


def mnist_nin(num_classes: int = 10, batch_norm: bool = True) -> MNISTNiN:
    """An MNIST-sized NiN (1 x 28 x 28 -> 10 classes); see ``MNISTNiN``."""
    return MNISTNiN(num_classes=num_classes, batch_norm=batch_norm)
