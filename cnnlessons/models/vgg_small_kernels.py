"""Lesson 02: VGG, small kernels stacked deep.

One config table (``cfgs``, the paper's columns A, B, D, E) builds VGG11/13/16/19 with and
without batch norm, with torchvision's module names so torchvision's state_dicts load with
``strict=True``. ``convolutionize`` turns the fully connected classifier into 7x7 and 1x1
convolutions (the paper's test-time trick) so the network takes any input size and returns a
map of class scores. ``mnist_vgg`` is the same recipe for 1 x 28 x 28 digits, and
``KernelPair`` is the lesson's head-to-head: one 5x5 layer against two 3x3 layers.
"""
from __future__ import annotations

from typing import Union

import torch
from torch import nn

# An int is a 3x3 convolution (padding 1) with that many filters followed by ReLU; "M" is a
# 2x2 max-pool with stride 2. Column letters follow table 1 of the paper.
cfgs: dict[str, list[Union[str, int]]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],                      # VGG11
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],              # VGG13
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],  # VGG16
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
          512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],                                        # VGG19
}


def make_layers(cfg: list[Union[str, int]], batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """Turn a config column into conv(-BN)-ReLU and max-pool layers (torchvision's indices)."""
    layers: list[nn.Module] = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        if not isinstance(v, int) or v <= 0:
            raise ValueError(f"A VGG config holds positive filter counts or 'M' (max-pool), got {v!r}.")
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """Convolution stack from the config table, pooled to 7 x 7, then three fully connected layers.

    ``hidden`` (4096 in the paper) is the width of FC6 and FC7; the features must end with 512 channels.
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, dropout: float = 0.5,
                 init_weights: bool = True, hidden: int = 4096) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes),
        )
        if init_weights:  # torchvision's initialization
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 3 x 224 x 224
        x = self.features(x)        # N x 512 x 7 x 7 (five pools: 224 / 32)
        x = self.avgpool(x)         # N x 512 x 7 x 7
        x = torch.flatten(x, 1)     # N x 25088
        return self.classifier(x)   # N x num_classes


def _vgg(cfg: str, batch_norm: bool, **kwargs) -> VGG:
    return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)


def vgg11(**kwargs) -> VGG:
    """VGG11, config A (132,863,336 parameters)."""
    return _vgg("A", False, **kwargs)


def vgg13(**kwargs) -> VGG:
    """VGG13, config B."""
    return _vgg("B", False, **kwargs)


def vgg16(**kwargs) -> VGG:
    """VGG16, config D (138,357,544 parameters)."""
    return _vgg("D", False, **kwargs)


def vgg19(**kwargs) -> VGG:
    """VGG19, config E."""
    return _vgg("E", False, **kwargs)


def vgg11_bn(**kwargs) -> VGG:
    """VGG11 with batch norm after every convolution."""
    return _vgg("A", True, **kwargs)


def vgg13_bn(**kwargs) -> VGG:
    """VGG13 with batch norm."""
    return _vgg("B", True, **kwargs)


def vgg16_bn(**kwargs) -> VGG:
    """VGG16 with batch norm."""
    return _vgg("D", True, **kwargs)


def vgg19_bn(**kwargs) -> VGG:
    """VGG19 with batch norm."""
    return _vgg("E", True, **kwargs)


class FullyConvVGG(nn.Module):
    """VGG with its classifier as convolutions: FC6 -> 7x7 conv, FC7 and FC8 -> 1x1 convs.

    At 224 x 224 it returns N x classes x 1 x 1 with the same numbers as the original; on a
    larger image it slides the classifier over the feature map and returns a map of scores.
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, dropout: float = 0.5,
                 hidden: int = 4096) -> None:
        super().__init__()
        self.features = features
        self.classifier = nn.Sequential(
            nn.Conv2d(512, hidden, kernel_size=7),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Conv2d(hidden, hidden, kernel_size=1),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Conv2d(hidden, num_classes, kernel_size=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 3 x H x W (H, W >= 224)
        x = self.features(x)        # N x 512 x H/32 x W/32
        return self.classifier(x)   # N x classes x (H/32 - 6) x (W/32 - 6)


def convolutionize(model: VGG) -> FullyConvVGG:
    """A FullyConvVGG that shares ``model``'s weights, the linear weights viewed as kernels.

    FC6's weight is 4096 x 25088 = 4096 x (512 * 7 * 7), and flatten ordered the 25088 inputs
    as channel, row, column: exactly the layout of a 4096 x 512 x 7 x 7 convolution kernel.
    Nothing is copied (VGG16's classifier alone is 480 MB), so training one trains the other.
    """
    if not isinstance(model, VGG):
        raise TypeError(f"convolutionize expects a VGG from this module, got {type(model).__name__}.")
    fc6, fc7, fc8 = (m for m in model.classifier if isinstance(m, nn.Linear))
    with torch.device("meta"):  # build the shell without allocating its weights
        out = FullyConvVGG(nn.Identity(), num_classes=fc8.out_features, dropout=model.classifier[2].p,
                           hidden=fc6.out_features)
    out.features = model.features
    convs = [i for i, m in enumerate(out.classifier) if isinstance(m, nn.Conv2d)]
    for i, fc in zip(convs, (fc6, fc7, fc8)):
        conv = out.classifier[i]
        conv.weight = nn.Parameter(fc.weight.view(conv.weight.shape))
        conv.bias = fc.bias
    return out


# MNIST: three stages of two 3x3 convolutions, 28 -> 14 -> 7 -> 3.
MNIST_CFG: list[Union[str, int]] = [16, 16, "M", 32, 32, "M", 64, 64, "M"]


class MNISTVGG(nn.Module):
    """VGG's recipe for 1 x 28 x 28 digits: 3x3 convolutions from a config list, then two FC layers."""

    def __init__(self, cfg: list[Union[str, int]] | None = None, num_classes: int = 10,
                 batch_norm: bool = False, hidden: int = 128, dropout: float = 0.5) -> None:
        super().__init__()
        cfg = list(MNIST_CFG if cfg is None else cfg)
        self.features = make_layers(cfg, batch_norm=batch_norm, in_channels=1)
        side = 28 // 2 ** cfg.count("M")
        if side == 0:
            raise ValueError(f"{cfg.count('M')} max-pools shrink 28 x 28 to nothing; use at most 4.")
        channels = [v for v in cfg if v != "M"][-1]
        self.classifier = nn.Sequential(
            nn.Linear(channels * side * side, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.features(x)        # N x 64 x 3 x 3 with MNIST_CFG
        x = torch.flatten(x, 1)     # N x 576
        return self.classifier(x)   # N x num_classes


def mnist_vgg(cfg: list[Union[str, int]] | None = None, num_classes: int = 10, batch_norm: bool = False,
              **kwargs) -> MNISTVGG:
    """VGG for MNIST (``MNIST_CFG`` by default)."""
    return MNISTVGG(cfg=cfg, num_classes=num_classes, batch_norm=batch_norm, **kwargs)


class KernelPair(nn.Module):
    """Same receptive field, two ways: one 5x5 convolution or two stacked 3x3 (``kind``).

    Both see a 5 x 5 patch per stage; the stack has 2 * 9 = 18 C^2 weights against 25 C^2 and
    one more ReLU. Two stages at ``channels`` filters, then a linear classifier.
    """

    def __init__(self, kind: str = "3x3x2", channels: int = 32, num_classes: int = 10) -> None:
        super().__init__()
        if kind not in ("5x5", "3x3x2"):
            raise ValueError(f"kind={kind!r}: use '5x5' (one layer) or '3x3x2' (two stacked 3x3 layers).")
        self.kind = kind

        def stage(cin: int, cout: int) -> list[nn.Module]:
            if kind == "5x5":
                return [nn.Conv2d(cin, cout, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(2)]
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(True),
                    nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2)]

        self.features = nn.Sequential(*stage(1, channels), *stage(channels, channels))
        self.classifier = nn.Linear(channels * 7 * 7, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.features(x)        # N x channels x 7 x 7
        return self.classifier(torch.flatten(x, 1))
