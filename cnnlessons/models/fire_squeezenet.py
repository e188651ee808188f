"""Lesson 05: SqueezeNet's Fire module, its bypass variants, SqueezeNet 1.0/1.1 and an MNIST SqueezeNet.

``squeezenet1_0`` and ``squeezenet1_1`` use torchvision's module names, so torchvision's
state_dicts (pretrained weights included) load with ``strict=True`` and give the same outputs.
"""

from __future__ import annotations

import torch
from torch import nn

BYPASSES = ("none", "simple", "complex")


class Fire(nn.Module):
    """Squeeze (1x1, few filters), then expand with 1x1 and 3x3 filters side by side, concatenated.

    The squeeze layer is the saving: the 3x3 filters see ``squeeze_planes`` channels instead of
    ``inplanes``. ``bypass`` adds a shortcut around the module (the paper's section 6):
    ``"simple"`` adds the input itself (needs ``inplanes == expand1x1 + expand3x3``),
    ``"complex"`` adds a 1x1 convolution of the input, so it works for any channel counts.
    ``batch_norm=True`` normalizes the expand outputs before their ReLU (not in the paper; the
    MNIST variant uses it to train quickly).
    """

    def __init__(
        self,
        inplanes: int,
        squeeze_planes: int,
        expand1x1_planes: int,
        expand3x3_planes: int,
        bypass: str = "none",
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        if bypass not in BYPASSES:
            raise ValueError(f"bypass={bypass!r} is not one of {BYPASSES}.")
        out_planes = expand1x1_planes + expand3x3_planes
        if bypass == "simple" and inplanes != out_planes:
            raise ValueError(
                f"A simple bypass adds the input to the output, so the channel counts must match, "
                f"but the Fire module takes {inplanes} channels and gives {out_planes}. "
                f"Use bypass='complex' (a 1x1 convolution on the shortcut) or bypass='none'."
            )
        self.inplanes = inplanes
        self.out_planes = out_planes
        self.bypass = bypass
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)
        # BatchNorm normalizes each channel on its own, so one BatchNorm over the concatenated
        # expand outputs computes exactly what one per branch would, in half the operations.
        self.expand_bn = nn.BatchNorm2d(out_planes) if batch_norm else None
        # The complex bypass: a learned 1x1 projection of the input onto the output channels.
        self.shortcut = nn.Conv2d(inplanes, out_planes, kernel_size=1) if bypass == "complex" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x inplanes x H x W
        s = self.squeeze_activation(self.squeeze(x))  # N x squeeze x H x W
        e1 = self.expand1x1(s)  # N x e1x1 x H x W
        e3 = self.expand3x3(s)  # N x e3x3 x H x W
        if self.expand_bn is None:
            out = torch.cat([self.expand1x1_activation(e1), self.expand3x3_activation(e3)], dim=1)
        else:
            out = self.expand1x1_activation(self.expand_bn(torch.cat([e1, e3], dim=1)))
        # out: N x (e1x1 + e3x3) x H x W
        if self.bypass == "simple":
            out = out + x
        elif self.shortcut is not None:
            out = out + self.shortcut(x)
        return out


class SqueezeNet(nn.Module):
    """SqueezeNet 1.0 or 1.1 (torchvision's layout and names).

    1.1 uses a 3x3 stem with 64 filters and pools earlier, which cuts the multiply-adds by
    about 2.4x at nearly the same parameter count.
    """

    def __init__(self, version: str = "1_0", num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(96, 16, 64, 64),
                Fire(128, 16, 64, 64),
                Fire(128, 32, 128, 128),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(256, 32, 128, 128),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(512, 64, 256, 256),
            )
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(64, 16, 64, 64),
                Fire(128, 16, 64, 64),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(128, 32, 128, 128),
                Fire(256, 32, 128, 128),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256),
            )
        else:
            raise ValueError(f"Unknown SqueezeNet version {version!r}: use '1_0' or '1_1'.")
        # No fully connected layer: a 1x1 convolution gives one map per class, averaged.
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )
        _init_squeezenet(self, final_conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 3 x 224 x 224
        x = self.features(x)  # N x 512 x 13 x 13 (1.0 and 1.1 alike)
        x = self.classifier(x)  # N x num_classes x 1 x 1
        return torch.flatten(x, 1)  # N x num_classes


def _init_squeezenet(model: nn.Module, final_conv: nn.Conv2d) -> None:
    """The paper's initialization: the final convolution gets small weights, normal(0, 0.01).

    With Kaiming weights there, the class scores start large and, after the ReLU, often
    exactly zero for many classes; small weights start every class near the same score.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            if m is final_conv:
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
            else:
                nn.init.kaiming_uniform_(m.weight)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)


def squeezenet1_0(num_classes: int = 1000, dropout: float = 0.5) -> SqueezeNet:
    """SqueezeNet 1.0: 1,248,424 parameters, about 0.82 G multiply-adds at 224x224."""
    return SqueezeNet("1_0", num_classes=num_classes, dropout=dropout)


def squeezenet1_1(num_classes: int = 1000, dropout: float = 0.5) -> SqueezeNet:
    """SqueezeNet 1.1: 1,235,496 parameters, about 0.35 G multiply-adds at 224x224."""
    return SqueezeNet("1_1", num_classes=num_classes, dropout=dropout)


# --- The paper's design-space exploration ------------------------------------------------------


def fire_sizes(
    squeeze_ratio: float = 0.125,
    pct_3x3: float = 0.5,
    base_e: int = 128,
    incr_e: int = 128,
    freq: int = 2,
    n_fire: int = 8,
) -> list[tuple[int, int, int]]:
    """(s1x1, e1x1, e3x3) for each Fire module, from the paper's metaparameters.

    Fire module i has e_i = base_e + incr_e * floor(i / freq) expand filters, a share
    ``pct_3x3`` of them 3x3, and s1x1 = squeeze_ratio * e_i squeeze filters. The defaults give
    SqueezeNet 1.0's eight Fire modules.
    """
    if not 0.0 < squeeze_ratio:
        raise ValueError(f"squeeze_ratio={squeeze_ratio} must be positive (the paper uses 0.125 to 1).")
    if not 0.0 <= pct_3x3 <= 1.0:
        raise ValueError(f"pct_3x3={pct_3x3} is a share: give a value from 0 to 1.")
    sizes = []
    for i in range(n_fire):
        e = base_e + incr_e * (i // freq)
        e3 = round(e * pct_3x3)
        s = max(1, round(e * squeeze_ratio))
        sizes.append((s, e - e3, e3))
    return sizes


class FireNet(nn.Module):
    """SqueezeNet 1.0's layout with every Fire module sized by ``fire_sizes`` (the paper's section 5).

    A branch with zero filters is left out (pct_3x3 of 0 or 1), so the whole range is buildable.
    """

    def __init__(self, squeeze_ratio: float = 0.125, pct_3x3: float = 0.5, num_classes: int = 1000) -> None:
        super().__init__()
        sizes = fire_sizes(squeeze_ratio, pct_3x3)
        layers: list[nn.Module] = [
            nn.Conv2d(3, 96, kernel_size=7, stride=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        ]
        inplanes = 96
        for i, (s, e1, e3) in enumerate(sizes):
            if i in (3, 7):  # pool after Fire4 and Fire8, as in SqueezeNet 1.0 (late downsampling)
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True))
            layers.append(_FlexFire(inplanes, s, e1, e3))
            inplanes = e1 + e3
        self.features = nn.Sequential(*layers)
        final_conv = nn.Conv2d(inplanes, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )
        _init_squeezenet(self, final_conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


class _FlexFire(nn.Module):
    """A Fire module whose 1x1 or 3x3 expand branch may be empty (for the exploration only)."""

    def __init__(self, inplanes: int, squeeze_planes: int, e1: int, e3: int) -> None:
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(inplanes, squeeze_planes, 1), nn.ReLU(inplace=True))
        self.expand1x1 = nn.Sequential(nn.Conv2d(squeeze_planes, e1, 1), nn.ReLU(inplace=True)) if e1 else None
        self.expand3x3 = (
            nn.Sequential(nn.Conv2d(squeeze_planes, e3, 3, padding=1), nn.ReLU(inplace=True)) if e3 else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(x)
        return torch.cat([b(s) for b in (self.expand1x1, self.expand3x3) if b is not None], dim=1)


def squeezenet_explore(squeeze_ratio: float = 0.125, pct_3x3: float = 0.5, num_classes: int = 1000) -> FireNet:
    """The whole ImageNet network for one point of the paper's (SR, share of 3x3) grid.

    ``squeezenet_explore(0.125, 0.5)`` has exactly SqueezeNet 1.0's 1,248,424 parameters.
    """
    return FireNet(squeeze_ratio, pct_3x3, num_classes)


# --- MNIST-sized SqueezeNet -------------------------------------------------------------------


class MNISTSqueezeNet(nn.Module):
    """A small SqueezeNet for 1 x 28 x 28 digits.

    A 3x3 stem convolution with 32 filters and stride 2 (28 -> 14, like SqueezeNet 1.1's
    stride-2 conv1), Fire modules with 32, 32 expand filters at 14x14, max-pool, then 64, 64,
    96, 96 at 7x7 (late downsampling), a 1x1 convolution to the classes and global average
    pooling; no fully connected layer. Each Fire has s1x1 = squeeze_ratio x (e1x1 + e3x3) and a
    share ``pct_3x3`` of 3x3 expand filters. BatchNorm on the stem and the expand outputs (not in
    the paper) makes it train in a few hundred steps; ``batch_norm=False`` removes it. No ReLU
    after the final convolution: class scores may be negative.
    """

    expand_sizes = (32, 32, 64, 64, 96, 96)

    def __init__(
        self,
        squeeze_ratio: float = 0.5,
        pct_3x3: float = 0.5,
        bypass: str = "none",
        batch_norm: bool = True,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        if bypass not in BYPASSES:
            raise ValueError(f"bypass={bypass!r} is not one of {BYPASSES}.")
        if not 0.0 < pct_3x3 < 1.0:
            raise ValueError(f"pct_3x3={pct_3x3}: give a share strictly between 0 and 1.")
        if squeeze_ratio <= 0:
            raise ValueError(f"squeeze_ratio={squeeze_ratio} must be positive (the paper uses 0.125 to 1).")
        layers: list[nn.Module] = [nn.Conv2d(1, 32, kernel_size=3, stride=2, padding=1)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(32))
        layers.append(nn.ReLU(inplace=True))
        inplanes = 32
        for i, e in enumerate(self.expand_sizes):
            if i == 2:
                layers.append(nn.MaxPool2d(2))
            e3 = max(1, min(e - 1, round(e * pct_3x3)))
            s = max(1, round(e * squeeze_ratio))
            # Simple bypass where channels match; "complex" puts a 1x1 convolution on the others.
            block_bypass = bypass
            if bypass != "none" and inplanes == e:
                block_bypass = "simple"
            elif bypass == "simple":
                block_bypass = "none"
            layers.append(Fire(inplanes, s, e - e3, e3, bypass=block_bypass, batch_norm=batch_norm))
            inplanes = e
        self.features = nn.Sequential(*layers)
        self.final_conv = nn.Conv2d(inplanes, num_classes, kernel_size=1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.features(x)  # N x 96 x 7 x 7 (14 x 14 until the max-pool)
        x = self.final_conv(x)  # N x 10 x 7 x 7
        return torch.flatten(self.pool(x), 1)  # N x 10


def mnist_squeezenet(
    squeeze_ratio: float = 0.5,
    pct_3x3: float = 0.5,
    bypass: str = "none",
    batch_norm: bool = True,
    num_classes: int = 10,
) -> MNISTSqueezeNet:
    """The MNIST SqueezeNet used for the squeeze-ratio sweep and the bypass comparison."""
    return MNISTSqueezeNet(squeeze_ratio, pct_3x3, bypass, batch_norm, num_classes)


__all__ = [
    "Fire",
    "SqueezeNet",
    "squeezenet1_0",
    "squeezenet1_1",
    "fire_sizes",
    "FireNet",
    "squeezenet_explore",
    "MNISTSqueezeNet",
    "mnist_squeezenet",
]
