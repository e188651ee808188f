"""Lesson 04: Inception blocks, GoogLeNet, and the source documents' MNIST InceptionA net."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class InceptionA(nn.Module):
    """The source documents' MNIST block: four parallel branches, 16 + 24 + 24 + 24 = 88 channels.

    Every branch keeps the spatial size (padding), so their outputs can be concatenated
    along the channel axis.
    """

    out_channels = 88

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch1x1 = nn.Conv2d(in_channels, 16, kernel_size=1)

        self.branch5x5_1 = nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch5x5_2 = nn.Conv2d(16, 24, kernel_size=5, padding=2)

        self.branch3x3_1 = nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch3x3_2 = nn.Conv2d(16, 24, kernel_size=3, padding=1)
        self.branch3x3_3 = nn.Conv2d(24, 24, kernel_size=3, padding=1)

        self.branch_pool = nn.Conv2d(in_channels, 24, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x C x H x W
        b1 = self.branch1x1(x)                                  # N x 16 x H x W
        b5 = self.branch5x5_2(self.branch5x5_1(x))              # N x 24 x H x W
        b3 = self.branch3x3_3(self.branch3x3_2(self.branch3x3_1(x)))  # N x 24 x H x W
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))  # N x 24 x H x W
        return torch.cat([b1, b5, b3, bp], dim=1)               # N x 88 x H x W


class InceptionANet(nn.Module):
    """The source documents' MNIST network: 97,298 parameters, 1408 features into the classifier.

    ``fc_in_features`` exists to reproduce the classic mistake of guessing the classifier's
    input size (the tracer tells you the right number: 88 x 4 x 4 = 1408).
    """

    def __init__(self, num_classes: int = 10, fc_in_features: int = 1408) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(InceptionA.out_channels, 20, kernel_size=5)
        self.incep1 = InceptionA(in_channels=10)
        self.incep2 = InceptionA(in_channels=20)
        self.mp = nn.MaxPool2d(2)
        self.fc = nn.Linear(fc_in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = F.relu(self.mp(self.conv1(x)))  # N x 10 x 12 x 12
        x = self.incep1(x)                  # N x 88 x 12 x 12
        x = F.relu(self.mp(self.conv2(x)))  # N x 20 x 4 x 4
        x = self.incep2(x)                  # N x 88 x 4 x 4
        x = torch.flatten(x, 1)             # N x 1408
        return self.fc(x)                   # N x 10
