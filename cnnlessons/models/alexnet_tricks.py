"""Lesson 01: AlexNet and its tricks.

- ``alexnet`` is torchvision's layout with torchvision's module names, so its state_dict
  (pretrained weights included) loads with ``strict=True`` and gives the same outputs.
- ``AlexNetLRN`` is the 2012 paper's version: 96-256-384-384-256 filters, local response
  normalization after the first two convolutions, and (``two_tower=True``) the two-GPU split
  written as grouped convolutions (``groups=2``) where the paper's towers do not talk.
- ``mnist_alexnet`` is the same recipe shrunk for 1 x 28 x 28 digits (the architecture
  shootout's "AlexNet"), with switches for activation, pooling, LRN and dropout.
- ``small_cnn`` is the lesson's test bench: two convolutions and two fully connected layers,
  small enough to train 3 seeds of every experiment on a 2-core CPU, with one switch per trick.
"""

from __future__ import annotations

import torch
from torch import nn

# The paper's LRN constants (section 3.3). PyTorch divides alpha by n inside
# nn.LocalResponseNorm, so the paper's alpha becomes alpha * n there.
LRN_K, LRN_N, LRN_ALPHA, LRN_BETA = 2.0, 5, 1e-4, 0.75


def paper_lrn() -> nn.LocalResponseNorm:
    """``nn.LocalResponseNorm`` that computes the paper's formula b = a / (k + alpha * sum a^2)^beta."""
    return nn.LocalResponseNorm(size=LRN_N, alpha=LRN_ALPHA * LRN_N, beta=LRN_BETA, k=LRN_K)


class AlexNet(nn.Module):
    """torchvision's AlexNet (the 'one weird trick' variant: 64-192-384-256-256 filters, no LRN).

    ``widths`` changes the five convolutions' filter counts (the lesson's widget); the default
    is torchvision's, whose weights then load unchanged.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        dropout: float = 0.5,
        widths: tuple[int, int, int, int, int] = (64, 192, 384, 256, 256),
    ) -> None:
        super().__init__()
        if len(widths) != 5:
            raise ValueError(f"widths needs five filter counts (one per convolution), got {len(widths)}.")
        c1, c2, c3, c4, c5 = widths
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # overlapping pooling
            nn.Conv2d(c1, c2, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(c2, c3, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(c5 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 3 x 224 x 224
        x = self.features(x)  # N x c5 x 6 x 6
        x = self.avgpool(x)  # N x c5 x 6 x 6 (other input sizes are pooled to 6 x 6)
        x = torch.flatten(x, 1)  # N x c5*36 (9216)
        return self.classifier(x)  # N x num_classes


def alexnet(num_classes: int = 1000, dropout: float = 0.5, **kwargs) -> AlexNet:
    """AlexNet as torchvision builds it (61,100,840 parameters for 1000 classes)."""
    return AlexNet(num_classes=num_classes, dropout=dropout, **kwargs)


class AlexNetLRN(nn.Module):
    """The paper's AlexNet: 96-256-384-384-256 filters, LRN after conv1 and conv2.

    ``two_tower=True`` reproduces the two-GPU split: conv2, conv4 and conv5 only see the
    channels of their own tower, which is exactly a grouped convolution with ``groups=2``
    (half the weights of those layers). conv3 and the fully connected layers read both towers.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, two_tower: bool = False) -> None:
        super().__init__()
        g = 2 if two_tower else 1
        self.two_tower = two_tower
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            paper_lrn(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=g),
            nn.ReLU(inplace=True),
            paper_lrn(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1),  # both towers meet here
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=g),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=g),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 3 x 224 x 224
        x = self.features(x)  # N x 256 x 6 x 6
        x = self.avgpool(x)
        x = torch.flatten(x, 1)  # N x 9216
        return self.classifier(x)  # N x num_classes


def alexnet_two_tower(num_classes: int = 1000, dropout: float = 0.5) -> AlexNetLRN:
    """The paper's two-GPU AlexNet on one device: groups=2 where the towers are separate."""
    return AlexNetLRN(num_classes=num_classes, dropout=dropout, two_tower=True)


ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def _pooled(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1


class MNISTAlexNet(nn.Module):
    """AlexNet's recipe for 1 x 28 x 28 digits: 5 convolutions, 3 max-pools, 3 fully connected layers.

    Switches for the lesson's experiments:
    ``activation`` ("relu", "tanh", "sigmoid"), ``overlap`` (3x3 stride-2 pooling against 2x2
    stride 2), ``lrn`` (the paper's LRN after conv1 and conv2), ``dropout`` (before FC1 and FC2),
    ``widths`` (the five convolutions' filters) and ``hidden`` (the FC width).
    """

    def __init__(
        self,
        num_classes: int = 10,
        widths: tuple[int, int, int, int, int] = (16, 32, 48, 48, 32),
        hidden: int = 128,
        activation: str = "relu",
        overlap: bool = True,
        lrn: bool = False,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r} is not one of {sorted(ACTIVATIONS)}.")
        if len(widths) != 5:
            raise ValueError(f"widths needs five filter counts (one per convolution), got {len(widths)}.")
        act = ACTIVATIONS[activation]
        k, s = (3, 2) if overlap else (2, 2)
        c1, c2, c3, c4, c5 = widths

        def norm() -> nn.Module:
            return paper_lrn() if lrn else nn.Identity()

        self.features = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=5, padding=2),
            act(),
            norm(),  # 28 x 28
            nn.MaxPool2d(kernel_size=k, stride=s),  # 13 (overlap) or 14
            nn.Conv2d(c1, c2, kernel_size=5, padding=2),
            act(),
            norm(),
            nn.MaxPool2d(kernel_size=k, stride=s),  # 6 or 7
            nn.Conv2d(c2, c3, kernel_size=3, padding=1),
            act(),
            nn.Conv2d(c3, c4, kernel_size=3, padding=1),
            act(),
            nn.Conv2d(c4, c5, kernel_size=3, padding=1),
            act(),
            nn.MaxPool2d(kernel_size=k, stride=s),  # 2 or 3
        )
        side = _pooled(_pooled(_pooled(28, k, s), k, s), k, s)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(c5 * side * side, hidden),
            act(),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            act(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.features(x)  # N x c5 x 2 x 2 (overlapping pools) or N x c5 x 3 x 3
        x = torch.flatten(x, 1)  # N x c5*side*side
        return self.classifier(x)  # N x num_classes


def mnist_alexnet(num_classes: int = 10, **kwargs) -> MNISTAlexNet:
    """AlexNet for MNIST; keyword arguments are MNISTAlexNet's switches."""
    return MNISTAlexNet(num_classes=num_classes, **kwargs)


POOLS = ("plain", "overlap")
NORMS = ("none", "lrn", "scale")


class SmallCNN(nn.Module):
    """conv3x3(c1) - act - [norm] - pool - conv3x3(c2) - act - [norm] - pool - FC(hidden) - act - FC(10).

    One switch per AlexNet trick, everything else identical:
    - ``activation``: "relu", "tanh" or "sigmoid";
    - ``pool``: "plain" (2x2, stride 2) or "overlap" (3x3, stride 2, padding 1). Both give
      28 -> 14 -> 7 and the same parameters, so only the pooling windows differ;
    - ``dropout``: p before each fully connected layer (0 = none);
    - ``norm``: "none", "lrn" (the paper's LRN after each activation), or "scale", a constant
      k**-beta = 2**-0.75, which is what LRN computes when sum(a^2) is tiny.
    """

    def __init__(
        self,
        activation: str = "relu",
        pool: str = "plain",
        dropout: float = 0.0,
        norm: str = "none",
        widths: tuple[int, int] = (16, 32),
        hidden: int = 128,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r} is not one of {sorted(ACTIVATIONS)}.")
        if pool not in POOLS:
            raise ValueError(
                f"pool={pool!r} is not one of {POOLS}: 'plain' is 2x2 stride 2, 'overlap' is 3x3 stride 2 padding 1."
            )
        if norm not in NORMS:
            raise ValueError(f"norm={norm!r} is not one of {NORMS}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout={dropout} must be in [0, 1): it is the probability of zeroing a unit.")
        act = ACTIVATIONS[activation]
        c1, c2 = widths

        def pooling() -> nn.MaxPool2d:
            return nn.MaxPool2d(2, 2) if pool == "plain" else nn.MaxPool2d(3, 2, padding=1)

        def normalization() -> nn.Module:
            if norm == "lrn":
                return paper_lrn()
            if norm == "scale":
                return ConstantScale(LRN_K**-LRN_BETA)
            return nn.Identity()

        self.features = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=3, padding=1),
            act(),
            normalization(),
            pooling(),
            nn.Conv2d(c1, c2, kernel_size=3, padding=1),
            act(),
            normalization(),
            pooling(),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(c2 * 7 * 7, hidden),
            act(),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.features(x)  # N x c2 x 7 x 7 (both poolings)
        x = torch.flatten(x, 1)  # N x c2*49
        return self.classifier(x)  # N x num_classes


class ConstantScale(nn.Module):
    """Multiply by a fixed number: the stand-in that shows LRN is a constant rescaling here."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = float(factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor:.4f}"


def small_cnn(**kwargs) -> SmallCNN:
    """The lesson's small CNN; keyword arguments are SmallCNN's switches."""
    return SmallCNN(**kwargs)
