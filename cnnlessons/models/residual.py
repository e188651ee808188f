"""Lesson 06: residual learning. BasicBlock, Bottleneck, ResNet-18/34/50, their plain twins,
6n+2 nets in the paper's CIFAR-10 design for MNIST (shortcut options A, B and C), a small
MNIST net with two residual blocks, and an Inception-ResNet block.

``resnet18/34/50`` use torchvision's module names, so torchvision's state_dicts (pretrained
weights included) load with ``strict=True`` and give the same outputs. ``residual=False``
builds the plain twin: the same layers without any shortcut.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .inception import BasicConv2d


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias (a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias: the projection shortcut, and the Bottleneck's reduce/expand."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers; output = ReLU(F(x) + shortcut(x)).

    The shortcut is the identity when the shape is unchanged; ``downsample`` (a 1x1 convolution
    with the block's stride, then BN) projects x when channels or size change. With
    ``residual=False`` there is no shortcut at all: output = ReLU(F(x)), the plain twin.
    """

    expansion: int = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        residual: bool = True,
    ) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x inplanes x H x W
        out = self.relu(self.bn1(self.conv1(x)))  # N x planes x H/stride x W/stride
        out = self.bn2(self.conv2(out))  # N x planes x H/stride x W/stride: F(x)
        if self.residual:
            identity = x if self.downsample is None else self.downsample(x)
            out = out + identity  # F(x) + x
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4): the 3x3 works on a quarter of the channels.

    This is lesson 03's 1x1 trick inside a residual block. The stride sits on the 3x3
    convolution, as in torchvision (ResNet v1.5).
    """

    expansion: int = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        residual: bool = True,
    ) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x inplanes x H x W
        out = self.relu(self.bn1(self.conv1(x)))  # N x planes x H x W        (reduce)
        out = self.relu(self.bn2(self.conv2(out)))  # N x planes x H/s x W/s    (3x3)
        out = self.bn3(self.conv3(out))  # N x 4*planes x H/s x W/s  (expand)
        if self.residual:
            identity = x if self.downsample is None else self.downsample(x)
            out = out + identity
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet for 224x224 images (torchvision's layout and names).

    Stem: 7x7 conv stride 2 + max-pool; four stages (64, 128, 256, 512 planes), the last three
    halving the size; global average pool; one linear layer.
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: list[int],
        num_classes: int = 1000,
        residual: bool = True,
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        self.residual = residual
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        _init_resnet(self, zero_init_residual)

    def _make_layer(
        self, block: type[BasicBlock] | type[Bottleneck], planes: int, blocks: int, stride: int = 1
    ) -> nn.Sequential:
        downsample = None
        out_planes = planes * block.expansion
        if self.residual and (stride != 1 or self.inplanes != out_planes):
            # Projection shortcut: 1x1 conv with the block's stride, so x matches F(x)'s shape.
            downsample = nn.Sequential(conv1x1(self.inplanes, out_planes, stride), nn.BatchNorm2d(out_planes))
        layers = [block(self.inplanes, planes, stride, downsample, residual=self.residual)]
        self.inplanes = out_planes
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, residual=self.residual))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 3 x 224 x 224
        x = self.relu(self.bn1(self.conv1(x)))  # N x 64 x 112 x 112
        x = self.maxpool(x)  # N x 64 x 56 x 56
        x = self.layer1(x)  # N x 64e x 56 x 56   (e = block.expansion)
        x = self.layer2(x)  # N x 128e x 28 x 28
        x = self.layer3(x)  # N x 256e x 14 x 14
        x = self.layer4(x)  # N x 512e x 7 x 7
        x = torch.flatten(self.avgpool(x), 1)  # N x 512e
        return self.fc(x)  # N x num_classes


def _init_resnet(model: nn.Module, zero_init_residual: bool = False) -> None:
    """Kaiming (fan_out) for convolutions, BN scale 1 and shift 0, as in torchvision.

    ``zero_init_residual=True`` zeroes each block's last BN scale, so every residual block
    starts as the identity.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
    if zero_init_residual:
        for m in model.modules():
            if isinstance(m, Bottleneck):
                nn.init.constant_(m.bn3.weight, 0)
            elif isinstance(m, BasicBlock):
                nn.init.constant_(m.bn2.weight, 0)


def resnet18(num_classes: int = 1000, residual: bool = True) -> ResNet:
    """ResNet-18 (11,689,512 parameters); ``residual=False`` gives its plain twin."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, residual)


def resnet34(num_classes: int = 1000, residual: bool = True) -> ResNet:
    """ResNet-34 (21,797,672 parameters); ``residual=False`` gives its plain twin."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, residual)


def resnet50(num_classes: int = 1000, residual: bool = True) -> ResNet:
    """ResNet-50 (25,557,032 parameters), Bottleneck blocks; ``residual=False`` gives its plain twin."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, residual)


def plain18(num_classes: int = 1000) -> ResNet:
    """ResNet-18 without shortcuts (and so without projection convolutions)."""
    return resnet18(num_classes, residual=False)


def plain34(num_classes: int = 1000) -> ResNet:
    """ResNet-34 without shortcuts: the paper's 34-layer plain net."""
    return resnet34(num_classes, residual=False)


# --- The paper's CIFAR-10 design (6n+2 layers), for MNIST -------------------------------------

SHORTCUTS = ("A", "B", "C")


class ShortcutA(nn.Module):
    """The ResNet paper's option A: an identity shortcut that still works when the shape changes.

    Where a stage halves the size and doubles the channels, x is subsampled (every second row
    and column, like the stride-2 convolution) and the new channels are zeros. No parameters,
    so a residual net and its plain twin have exactly the same number of weights.
    """

    def __init__(self, in_planes: int, out_planes: int, stride: int = 1) -> None:
        super().__init__()
        if out_planes < in_planes:
            raise ValueError(
                f"option A pads channels with zeros, so it cannot go from {in_planes} down to "
                f"{out_planes}: use a projection (option B) there."
            )
        self.extra = out_planes - in_planes
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x in x H x W
        x = x[:, :, :: self.stride, :: self.stride]  # N x in x H/s x W/s (s = stride, rounded up)
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))  # N x out x H/s x W/s, the new channels zero


class CifarBlock(nn.Module):
    """BasicBlock of the ResNet paper's CIFAR nets: two 3x3 conv-BN layers, ReLU after the add.

    ``shortcut``: "A" (zero-padding identity, ShortcutA), "B" (1x1 conv + BN only where the shape
    changes) or "C" (1x1 conv + BN on every block); ``residual=False`` drops the shortcut (the
    plain twin). ``batch_norm=False`` removes the BatchNorms and gives the convolutions biases.
    """

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        residual: bool = True,
        shortcut: str = "A",
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        if shortcut not in SHORTCUTS:
            raise ValueError(
                f"shortcut={shortcut!r}: use 'A' (zero padding), 'B' (projection where the "
                f"shape changes) or 'C' (projection everywhere)."
            )
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(planes) if batch_norm else nn.Identity()
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=not batch_norm)
        self.bn2 = nn.BatchNorm2d(planes) if batch_norm else nn.Identity()
        self.residual = residual
        changes = stride != 1 or inplanes != planes
        self.shortcut: nn.Module | None = None
        if residual and (shortcut == "C" or (shortcut == "B" and changes)):
            self.shortcut = nn.Sequential(conv1x1(inplanes, planes, stride), nn.BatchNorm2d(planes))
        elif residual and changes:
            self.shortcut = ShortcutA(inplanes, planes, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x inplanes x H x W
        out = self.relu(self.bn1(self.conv1(x)))  # N x planes x H/s x W/s
        out = self.bn2(self.conv2(out))  # N x planes x H/s x W/s: F(x)
        if self.residual:
            out = out + (x if self.shortcut is None else self.shortcut(x))  # F(x) + x
        return self.relu(out)


class MNISTResNet(nn.Module):
    """A 6n+2-layer net in the ResNet paper's CIFAR-10 design, for 1 x 28 x 28 digits.

    As in the paper: three stages of n two-conv blocks with 16, 32 and 64 channels, the last two
    stages starting with stride 2, global average pooling, one linear layer; 6n + 2 weighted
    layers; option A shortcuts by default. One change for speed: the first 3x3 convolution has
    stride 2 (28 -> 14), so the stages work at 14x14, 7x7 and 4x4 (the paper's at 32, 16, 8).
    ``residual=False`` is the plain twin; with option A both have the same parameters.
    PyTorch's default initialization (the settings in the notebook were measured with it).
    """

    def __init__(
        self,
        depth: int = 20,
        residual: bool = True,
        widths: tuple[int, int, int] = (16, 32, 64),
        shortcut: str = "A",
        batch_norm: bool = True,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        if depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError(f"depth={depth} must be 6n+2 with n >= 1 (8, 14, 20, 26, 32, ..., 56).")
        n = (depth - 2) // 6
        self.depth, self.residual, self.shortcut, self.batch_norm = depth, residual, shortcut, batch_norm
        self.conv1 = nn.Conv2d(1, widths[0], 3, stride=2, padding=1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(widths[0]) if batch_norm else nn.Identity()
        self.relu = nn.ReLU(inplace=True)
        inplanes = widths[0]
        stages = []
        for i, planes in enumerate(widths):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(CifarBlock(inplanes, planes, stride, residual, shortcut, batch_norm))
                inplanes = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.relu(self.bn1(self.conv1(x)))  # N x 16 x 14 x 14
        x = self.layer1(x)  # N x 16 x 14 x 14
        x = self.layer2(x)  # N x 32 x 7 x 7
        x = self.layer3(x)  # N x 64 x 4 x 4
        x = torch.flatten(self.avgpool(x), 1)  # N x 64
        return self.fc(x)  # N x 10


def mnist_resnet(
    depth: int = 20,
    residual: bool = True,
    widths: tuple[int, int, int] = (16, 32, 64),
    shortcut: str = "A",
    batch_norm: bool = True,
    num_classes: int = 10,
) -> MNISTResNet:
    """The degradation experiment's nets: ``mnist_resnet(32, residual=False)`` is plain-32."""
    return MNISTResNet(depth, residual, widths, shortcut, batch_norm, num_classes)


# --- A small MNIST net with two residual blocks ------------------------------------------------


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions (padding 1) keeping ``channels``; output = ReLU(x + F(x)). No BatchNorm."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x C x H x W
        y = F.relu(self.conv1(x))  # N x C x H x W
        y = self.conv2(y)  # N x C x H x W: F(x)
        return F.relu(x + y)  # the addition needs F(x) and x of the same shape


class TwoBlockResidualNet(nn.Module):
    """A small MNIST net with two residual blocks (41,514 parameters).

    conv 1->16 (5x5), max-pool, ResidualBlock(16), conv 16->32 (5x5), max-pool,
    ResidualBlock(32), linear 512 -> 10 (32 x 4 x 4 = 512). Each block must be built for the
    channels it receives: the lesson shows the net failing when the second block is built
    for 16.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=5)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5)
        self.mp = nn.MaxPool2d(2)
        self.rblock1 = ResidualBlock(16)
        self.rblock2 = ResidualBlock(32)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = F.relu(self.mp(self.conv1(x)))  # N x 16 x 12 x 12
        x = self.rblock1(x)  # N x 16 x 12 x 12
        x = F.relu(self.mp(self.conv2(x)))  # N x 32 x 4 x 4
        x = self.rblock2(x)  # N x 32 x 4 x 4
        x = torch.flatten(x, 1)  # N x 512
        return self.fc(x)  # N x 10


# --- Inception-ResNet ------------------------------------------------------------------------

# BasicConv2d (conv without bias -> BatchNorm -> ReLU) is defined once, in the Inception lesson's
# models; imported at the top of this module.


class InceptionResNetA(nn.Module):
    """An Inception block whose concatenated branches are projected back and ADDED to the input.

    Branches (Inception-ResNet-A of Inception-v4, Szegedy et al. 2016): 1x1; 1x1 -> 3x3;
    1x1 -> 3x3 -> 3x3. Their concatenation goes through a linear 1x1 convolution back to
    ``in_channels`` (so the addition is possible), is multiplied by ``scale`` (the paper scales
    residuals by 0.1-0.3 to keep very wide nets stable), added to x, then ReLU.
    """

    def __init__(self, in_channels: int = 256, branch: int = 32, scale: float = 0.17) -> None:
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(in_channels, branch, kernel_size=1)
        self.branch1 = nn.Sequential(
            BasicConv2d(in_channels, branch, kernel_size=1),
            BasicConv2d(branch, branch, kernel_size=3, padding=1),
        )
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, branch, kernel_size=1),
            BasicConv2d(branch, branch * 3 // 2, kernel_size=3, padding=1),
            BasicConv2d(branch * 3 // 2, branch * 2, kernel_size=3, padding=1),
        )
        self.conv = nn.Conv2d(branch * 4, in_channels, kernel_size=1)  # linear: no ReLU before the add
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x C x H x W
        b0 = self.branch0(x)  # N x b x H x W
        b1 = self.branch1(x)  # N x b x H x W
        b2 = self.branch2(x)  # N x 2b x H x W
        out = torch.cat([b0, b1, b2], dim=1)  # N x 4b x H x W
        out = self.conv(out)  # N x C x H x W
        return self.relu(x + self.scale * out)  # N x C x H x W


__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "plain18",
    "plain34",
    "SHORTCUTS",
    "ShortcutA",
    "CifarBlock",
    "MNISTResNet",
    "mnist_resnet",
    "ResidualBlock",
    "TwoBlockResidualNet",
    "BasicConv2d",
    "InceptionResNetA",
]
