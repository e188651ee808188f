"""Lesson 02: VGG, small kernels stacked deep.

One config table (``cfgs``, the paper's columns A, B, D, E) builds VGG11/13/16/19 with and
without batch norm, with torchvision's module names so torchvision's state_dicts load with
``strict=True``. ``paper_cfgs`` adds the paper's two other columns, A-LRN and C, which torchvision
does not provide (``vgg_paper("C")``). ``convolutionize`` turns the fully connected classifier into 7x7 and 1x1
convolutions (the paper's test-time trick) so the network takes any input size and returns a
map of class scores. ``mnist_vgg`` is the same recipe for 1 x 28 x 28 digits, and
``KernelPair`` is the lesson's head-to-head: one 5x5 layer against two 3x3 layers,
with and without a ReLU between them.
"""

from __future__ import annotations

import torch
from torch import nn

# An int is a 3x3 convolution (padding 1) with that many filters followed by ReLU; "M" is a
# 2x2 max-pool with stride 2. Column letters follow table 1 of the paper.
cfgs: dict[str, list[str | int]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # VGG11
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # VGG13
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],  # VGG16
    "E": [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
        "M",
    ],  # VGG19
}


# Table 1 of the paper, all six columns. Two entries torchvision's table does not need:
# "LRN" is local response normalisation (A-LRN, with AlexNet's settings, as the paper says), and
# (256, 1) is a 1x1 convolution with 256 filters (column C's third layer in stages 3, 4 and 5).
paper_cfgs: dict[str, list[str | int | tuple[int, int]]] = {
    "A": cfgs["A"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": cfgs["B"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M", 512, 512, (512, 1), "M", 512, 512, (512, 1), "M"],
    "D": cfgs["D"],
    "E": cfgs["E"],
}


def make_layers(cfg: list, batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """Turn a config column into conv(-BN)-ReLU and max-pool layers (torchvision's indices).

    An int is a 3x3 convolution, ``(filters, k)`` a k x k one, "M" a max-pool, "LRN" a local
    response normalisation.
    """
    layers: list[nn.Module] = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        if v == "LRN":
            layers.append(nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0))
            continue
        v, k = v if isinstance(v, tuple) and len(v) == 2 else (v, 3)
        if not isinstance(v, int) or v <= 0 or not isinstance(k, int) or k % 2 == 0:
            raise ValueError(
                f"A VGG config holds positive filter counts, (filters, odd kernel) pairs, "
                f"'M' (max-pool) or 'LRN', got {v!r}."
            )
        layers.append(nn.Conv2d(in_channels, v, kernel_size=k, padding=k // 2))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """Convolution stack from the config table, pooled to 7 x 7, then three fully connected layers.

    ``hidden`` (4096 in the paper) is the width of FC6 and FC7; the features must end with 512 channels.
    """

    def __init__(
        self,
        features: nn.Module,
        num_classes: int = 1000,
        dropout: float = 0.5,
        init_weights: bool = True,
        hidden: int = 4096,
    ) -> None:
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
        x = self.features(x)  # N x 512 x 7 x 7 (five pools: 224 / 32)
        x = self.avgpool(x)  # N x 512 x 7 x 7
        x = torch.flatten(x, 1)  # N x 25088
        return self.classifier(x)  # N x num_classes


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


def vgg_paper(column: str, **kwargs) -> VGG:
    """One column of the paper's table 1 ("A", "A-LRN", "B", "C", "D", "E"), without batch norm."""
    if column not in paper_cfgs:
        raise ValueError(f"column {column!r} is not in the paper's table; use one of {', '.join(paper_cfgs)}")
    return VGG(make_layers(paper_cfgs[column]), **kwargs)


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
    """A VGG whose classifier is made of convolutions: the first fully connected layer becomes a
    convolution as large as the feature map it read (7 x 7 for VGG), the others 1 x 1 convolutions.

    On the training size it returns N x classes x 1 x 1 with the same numbers as the original; on a
    larger image it slides the classifier over the feature map and returns a map of scores.
    """

    def __init__(self, features: nn.Module, classifier: nn.Sequential) -> None:
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 3 x H x W (H, W >= 224 for VGG)
        x = self.features(x)  # N x 512 x H/32 x W/32
        return self.classifier(x)  # N x classes x (H/32 - 6) x (W/32 - 6)


def convolutionize(model: nn.Module) -> FullyConvVGG:
    """A FullyConvVGG that shares ``model``'s weights (a ``VGG`` or an ``MNISTVGG``).

    FC6's weight is 4096 x 25088 = 4096 x (512 * 7 * 7), and flatten ordered the 25088 inputs
    as channel, row, column: exactly the layout of a 4096 x 512 x 7 x 7 convolution kernel.
    Nothing is copied (VGG16's classifier alone is 480 MB), so training one trains the other.
    VGG's adaptive pool is left out: on a 224 x 224 image it does nothing (7 x 7 stays 7 x 7).
    """
    if isinstance(model, VGG):
        side = 7
    elif isinstance(model, MNISTVGG):
        side = model.side
    else:
        raise TypeError(f"convolutionize expects a VGG or MNISTVGG from this module, got {type(model).__name__}.")
    layers: list[nn.Module] = []
    first = True
    for m in model.classifier:
        if not isinstance(m, nn.Linear):
            layers.append(m)  # ReLU and Dropout work on maps as they do on vectors
            continue
        k = side if first else 1
        with torch.device("meta"):  # build the shell without allocating its weights
            conv = nn.Conv2d(m.in_features // (k * k), m.out_features, kernel_size=k)
        conv.weight = nn.Parameter(m.weight.view(conv.weight.shape))
        conv.bias = m.bias
        layers.append(conv)
        first = False
    return FullyConvVGG(model.features, nn.Sequential(*layers))


# MNIST: three stages of two 3x3 convolutions, 28 -> 14 -> 7 -> 3.
MNIST_CFG: list[str | int] = [16, 16, "M", 32, 32, "M", 64, 64, "M"]


class MNISTVGG(nn.Module):
    """VGG's recipe for 1 x 28 x 28 digits: 3x3 convolutions from a config list, then two FC layers."""

    def __init__(
        self,
        cfg: list[str | int] | None = None,
        num_classes: int = 10,
        batch_norm: bool = False,
        hidden: int = 128,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        cfg = list(MNIST_CFG if cfg is None else cfg)
        self.features = make_layers(cfg, batch_norm=batch_norm, in_channels=1)
        side = 28 // 2 ** cfg.count("M")
        self.side = side  # the feature map's height and width (3 with MNIST_CFG)
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
        x = self.features(x)  # N x 64 x 3 x 3 with MNIST_CFG
        x = torch.flatten(x, 1)  # N x 576
        return self.classifier(x)  # N x num_classes


def mnist_vgg(
    cfg: list[str | int] | None = None, num_classes: int = 10, batch_norm: bool = False, **kwargs
) -> MNISTVGG:
    """VGG for MNIST (``MNIST_CFG`` by default)."""
    return MNISTVGG(cfg=cfg, num_classes=num_classes, batch_norm=batch_norm, **kwargs)


class KernelPair(nn.Module):
    """Same receptive field per stage, three ways (``kind``):

    - ``"5x5"``: one 5x5 convolution and one ReLU per stage (25 C^2 weights at C channels);
    - ``"3x3x2"``: two stacked 3x3 convolutions, each followed by a ReLU (2 x 9 = 18 C^2);
    - ``"3x3x2-linear"``: the same two 3x3 convolutions with no ReLU between them: the same
      weights as "3x3x2" but one nonlinearity, like the 5x5 (the pair is then one 5x5 filter
      constrained to be a composition of two 3x3 ones).

    A stem (3x3 convolution from 1 to ``channels``, ReLU; the same in every kind), then two stages
    of ``channels`` in and out (28 -> 14 -> 7, a 2x2 max-pool after each), then a linear classifier.
    Every stage maps C channels to C, so the stages compare exactly as 25 C^2 against 18 C^2.
    """

    KINDS = ("5x5", "3x3x2", "3x3x2-linear")

    def __init__(self, kind: str = "3x3x2", channels: int = 16, num_classes: int = 10) -> None:
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(
                f"kind={kind!r}: use '5x5' (one layer), '3x3x2' (two stacked 3x3 layers) "
                "or '3x3x2-linear' (two 3x3 layers with no ReLU between them)."
            )
        self.kind = kind
        c = channels

        def stage() -> nn.Sequential:
            if kind == "5x5":
                return nn.Sequential(nn.Conv2d(c, c, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(2))
            between = [nn.ReLU(True)] if kind == "3x3x2" else []
            return nn.Sequential(
                nn.Conv2d(c, c, 3, padding=1), *between, nn.Conv2d(c, c, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2)
            )

        self.stem = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.ReLU(True))
        self.stage1 = stage()
        self.stage2 = stage()
        self.classifier = nn.Linear(c * 7 * 7, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.stem(x)  # N x channels x 28 x 28
        x = self.stage1(x)  # N x channels x 14 x 14
        x = self.stage2(x)  # N x channels x 7 x 7
        return self.classifier(torch.flatten(x, 1))
