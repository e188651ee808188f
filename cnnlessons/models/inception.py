"""Lesson 04: Inception blocks, GoogLeNet (the paper's layout and torchvision's), and
InceptionA (MNIST), a small two-block net for digits."""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class InceptionA(nn.Module):
    """InceptionA (MNIST)'s block: four parallel branches, 16 + 24 + 24 + 24 = 88 channels.

    Every branch keeps the spatial size (padding), so their outputs can be concatenated along
    the channel axis. ``relu=False`` (the default) keeps this net's original design, with no
    activation inside the branches: each branch is then one linear map (a common mistake that
    lesson 04 takes apart); ``relu=True`` puts a ReLU after every convolution, as Inception
    blocks normally have.
    """

    out_channels = 88
    branch_names = ("branch1x1", "branch5x5", "branch3x3dbl", "branch_pool")
    branch_channels = (16, 24, 24, 24)

    def __init__(self, in_channels: int, relu: bool = False) -> None:
        super().__init__()
        self.relu = relu
        self.branch1x1 = nn.Conv2d(in_channels, 16, kernel_size=1)

        self.branch5x5_1 = nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch5x5_2 = nn.Conv2d(16, 24, kernel_size=5, padding=2)

        self.branch3x3_1 = nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch3x3_2 = nn.Conv2d(16, 24, kernel_size=3, padding=1)
        self.branch3x3_3 = nn.Conv2d(24, 24, kernel_size=3, padding=1)

        self.branch_pool = nn.Conv2d(in_channels, 24, kernel_size=1)

    def _act(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x) if self.relu else x

    def branches(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The four branch outputs, in the order they are concatenated (``branch_names``)."""
        a = self._act
        # x: N x C x H x W
        b1 = a(self.branch1x1(x))  # N x 16 x H x W
        b5 = a(self.branch5x5_2(a(self.branch5x5_1(x))))  # N x 24 x H x W
        b3 = a(self.branch3x3_3(a(self.branch3x3_2(a(self.branch3x3_1(x))))))  # N x 24 x H x W
        bp = a(self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)))  # N x 24 x H x W
        return [b1, b5, b3, bp]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(self.branches(x), dim=1)  # N x 88 x H x W


class InceptionANet(nn.Module):
    """InceptionA (MNIST): two InceptionA blocks between two 5x5 convolutions, 97,298 parameters.

    1 x 28 x 28 -> conv 5x5 (10) -> max-pool -> block (88) -> conv 5x5 (20) -> max-pool -> block
    (88 x 4 x 4 = 1408 features) -> linear. ``fc_in_features`` exists to reproduce the common
    mistake of guessing the classifier's input size (the tracer gives the right number).
    ``relu=True`` adds the ReLUs inside the blocks' branches (see ``InceptionA``).
    """

    def __init__(self, num_classes: int = 10, fc_in_features: int = 1408, relu: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(InceptionA.out_channels, 20, kernel_size=5)
        self.incep1 = InceptionA(in_channels=10, relu=relu)
        self.incep2 = InceptionA(in_channels=20, relu=relu)
        self.mp = nn.MaxPool2d(2)
        self.fc = nn.Linear(fc_in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = F.relu(self.mp(self.conv1(x)))  # N x 10 x 12 x 12
        x = self.incep1(x)  # N x 88 x 12 x 12
        x = F.relu(self.mp(self.conv2(x)))  # N x 20 x 4 x 4
        x = self.incep2(x)  # N x 88 x 4 x 4
        x = torch.flatten(x, 1)  # N x 1408
        return self.fc(x)  # N x 10


# ---------------------------------------------------------------------------------------------
# GoogLeNet (Inception v1): the block, the auxiliary head, the network
# ---------------------------------------------------------------------------------------------
class BasicConv2d(nn.Module):
    """Convolution -> BatchNorm -> ReLU (torchvision's Inception unit; the 2014 paper had no BN).

    ``batch_norm=False`` gives the 2014 paper's unit: a convolution with a bias, then ReLU.
    The package's one definition: the Inception-ResNet block of lesson 06 uses it too.
    """

    def __init__(self, in_channels: int, out_channels: int, batch_norm: bool = True, **kwargs: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=not batch_norm, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001) if batch_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Four branches side by side, concatenated along channels: 1x1 | 1x1->3x3 | 1x1->5x5 | pool->1x1.

    The 1x1 convolutions before the 3x3 and 5x5 (``ch3x3red``, ``ch5x5red``) shrink the channels
    those expensive kernels see. ``reduce=False`` builds the naive block instead: the 3x3 and
    5x5 run on all ``in_channels`` and the pool branch is passed through unchanged (so its
    ``in_channels`` add to the output). ``kernel5=3`` reproduces torchvision's layout, whose
    "5x5" branch is a 3x3 (pytorch/vision issue 906).
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
        reduce: bool = True,
        kernel5: int = 5,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        conv = partial(BasicConv2d, batch_norm=batch_norm)
        self.branch1 = conv(in_channels, ch1x1, kernel_size=1)
        if reduce:
            self.branch2 = nn.Sequential(
                conv(in_channels, ch3x3red, kernel_size=1),
                conv(ch3x3red, ch3x3, kernel_size=3, padding=1),
            )
            self.branch3 = nn.Sequential(
                conv(in_channels, ch5x5red, kernel_size=1),
                conv(ch5x5red, ch5x5, kernel_size=kernel5, padding=kernel5 // 2),
            )
            self.branch4 = nn.Sequential(
                nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                conv(in_channels, pool_proj, kernel_size=1),
            )
            self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj
        else:
            self.branch2 = conv(in_channels, ch3x3, kernel_size=3, padding=1)
            self.branch3 = conv(in_channels, ch5x5, kernel_size=kernel5, padding=kernel5 // 2)
            self.branch4 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True)
            self.out_channels = ch1x1 + ch3x3 + ch5x5 + in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x in_channels x H x W; every branch keeps H x W
        outputs = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(outputs, 1)  # N x out_channels x H x W


def naive_inception(in_channels: int, ch1x1: int, ch3x3: int, ch5x5: int, batch_norm: bool = True) -> Inception:
    """The naive block: 1x1, 3x3 and 5x5 on the full input, plus a 3x3 max-pool, concatenated."""
    return Inception(in_channels, ch1x1, 0, ch3x3, 0, ch5x5, 0, reduce=False, batch_norm=batch_norm)


class InceptionAux(nn.Module):
    """An auxiliary classifier on an intermediate feature map (used in training only).

    Pool to 4x4 (the paper's 5x5/3 average pool on a 14x14 map gives the same), 1x1 conv to
    ``conv_channels``, two fully connected layers. Its loss, weighted by 0.3, sends a gradient
    straight into the middle of the network.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        dropout: float = 0.7,
        conv_channels: int = 128,
        pool_size: int = 4,
        hidden: int = 1024,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        self.pool_size = pool_size
        self.conv = BasicConv2d(in_channels, conv_channels, kernel_size=1, batch_norm=batch_norm)
        self.fc1 = nn.Linear(conv_channels * pool_size * pool_size, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x C x H x W (14 x 14 in the full network)
        x = F.adaptive_avg_pool2d(x, (self.pool_size, self.pool_size))  # N x C x 4 x 4
        x = self.conv(x)  # N x 128 x 4 x 4
        x = torch.flatten(x, 1)  # N x 2048
        x = F.relu(self.fc1(x), inplace=True)  # N x 1024
        x = self.dropout(x)
        return self.fc2(x)  # N x num_classes


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) with torchvision's module names, so its state_dict loads.

    In training mode with ``aux_logits=True`` the forward returns ``(main, aux1, aux2)``; in
    eval mode only ``main`` (the auxiliary heads are dropped at inference).
    ``kernel5=5`` and ``batch_norm=False`` give the 2014 paper's layout (a true 5x5 branch, no
    BatchNorm: each convolution has a bias and a ReLU); ``kernel5=3`` with ``batch_norm=True``
    is torchvision's (BatchNorm after every convolution, a 3x3 in the "5x5" branch).
    ``transform_input=True`` converts ImageNet-normalized input to the (x - 0.5) / 0.5
    normalization that torchvision's pretrained GoogLeNet weights expect (torchvision switches
    it on when it loads them).
    """

    def __init__(
        self,
        num_classes: int = 1000,
        aux_logits: bool = True,
        kernel5: int = 5,
        transform_input: bool = False,
        dropout: float = 0.2,
        dropout_aux: float = 0.7,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        block = partial(Inception, kernel5=kernel5, batch_norm=batch_norm)
        conv = partial(BasicConv2d, batch_norm=batch_norm)

        self.conv1 = conv(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv(64, 64, kernel_size=1)
        self.conv3 = conv(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        #                         in   1x1  3x3red 3x3  5x5red 5x5  pool
        self.inception3a = block(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = block(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = block(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = block(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = block(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = block(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = block(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = block(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = block(832, 384, 192, 384, 48, 128, 128)

        head = partial(InceptionAux, num_classes=num_classes, dropout=dropout_aux, batch_norm=batch_norm)
        self.aux1 = head(512) if aux_logits else None
        self.aux2 = head(528) if aux_logits else None

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        for m in self.modules():  # torchvision's initialization
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _transform_input(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.new_tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = x.new_tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        return x * (std / 0.5) + (mean - 0.5) / 0.5

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.transform_input:
            x = self._transform_input(x)
        # N x 3 x 224 x 224
        x = self.conv1(x)  # N x 64 x 112 x 112
        x = self.maxpool1(x)  # N x 64 x 56 x 56
        x = self.conv2(x)  # N x 64 x 56 x 56
        x = self.conv3(x)  # N x 192 x 56 x 56
        x = self.maxpool2(x)  # N x 192 x 28 x 28
        x = self.inception3a(x)  # N x 256 x 28 x 28
        x = self.inception3b(x)  # N x 480 x 28 x 28
        x = self.maxpool3(x)  # N x 480 x 14 x 14
        x = self.inception4a(x)  # N x 512 x 14 x 14
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4b(x)  # N x 512 x 14 x 14
        x = self.inception4c(x)  # N x 512 x 14 x 14
        x = self.inception4d(x)  # N x 528 x 14 x 14
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.inception4e(x)  # N x 832 x 14 x 14
        x = self.maxpool4(x)  # N x 832 x 7 x 7
        x = self.inception5a(x)  # N x 832 x 7 x 7
        x = self.inception5b(x)  # N x 1024 x 7 x 7
        x = self.avgpool(x)  # N x 1024 x 1 x 1
        x = torch.flatten(x, 1)  # N x 1024
        x = self.dropout(x)
        x = self.fc(x)  # N x num_classes
        if aux1 is not None and aux2 is not None:
            return x, aux1, aux2
        return x


def googlenet(
    num_classes: int = 1000,
    aux_logits: bool = True,
    torchvision_layout: bool = False,
    transform_input: bool = False,
    dropout: float | None = None,
    dropout_aux: float = 0.7,
) -> GoogLeNet:
    """GoogLeNet in the 2014 paper's layout or, with ``torchvision_layout=True``, torchvision's.

    - Paper (Szegedy et al. 2014, Table 1): true 5x5 branches, no BatchNorm (a bias and a ReLU
      after every convolution), dropout 0.4 before the classifier.
    - torchvision: BatchNorm after every convolution, a 3x3 where the paper has the 5x5
      (pytorch/vision issue 906), dropout 0.2; it loads torchvision's state_dict with
      ``strict=True``.

    To use torchvision's pretrained weights: ``googlenet(torchvision_layout=True,
    transform_input=True)``, then load the state_dict (drop the ``aux1.``/``aux2.`` keys when
    ``aux_logits=False``).
    """
    if dropout is None:
        dropout = 0.2 if torchvision_layout else 0.4
    return GoogLeNet(
        num_classes=num_classes,
        aux_logits=aux_logits,
        kernel5=3 if torchvision_layout else 5,
        transform_input=transform_input,
        dropout=dropout,
        dropout_aux=dropout_aux,
        batch_norm=torchvision_layout,
    )


# ---------------------------------------------------------------------------------------------
# An MNIST-sized GoogLeNet: six small Inception blocks, two auxiliary heads
# ---------------------------------------------------------------------------------------------
class MNISTGoogLeNet(nn.Module):
    """GoogLeNet's plan shrunk to 1 x 28 x 28: a stem, two blocks at 14 x 14, four at 7 x 7,
    global average pooling and one linear layer; auxiliary heads after the 3rd and 5th block.

    No BatchNorm by default (like the 2014 paper), Xavier initialization. The auxiliary heads
    are created and initialized last, so with the same seed the main path gets the same
    weights with and without them: a fair comparison.
    """

    def __init__(
        self, num_classes: int = 10, aux_logits: bool = True, batch_norm: bool = False, dropout_aux: float = 0.0
    ) -> None:
        super().__init__()
        self.aux_logits = aux_logits
        block = partial(Inception, batch_norm=batch_norm)
        self.stem = BasicConv2d(1, 32, kernel_size=3, padding=1, batch_norm=batch_norm)
        self.maxpool1 = nn.MaxPool2d(2)
        #                   in  1x1 3x3red 3x3 5x5red 5x5 pool
        self.inception3a = block(32, 16, 16, 24, 8, 12, 12)  # -> 64
        self.inception3b = block(64, 24, 24, 32, 8, 16, 16)  # -> 88
        self.maxpool2 = nn.MaxPool2d(2)
        self.inception4a = block(88, 32, 24, 40, 8, 16, 16)  # -> 104
        self.inception4b = block(104, 32, 32, 48, 8, 16, 16)  # -> 112
        self.inception4c = block(112, 32, 32, 48, 12, 24, 24)  # -> 128
        self.inception4d = block(128, 48, 32, 56, 12, 24, 24)  # -> 152
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(152, num_classes)
        _xavier_init(self)
        self.aux1 = self.aux2 = None
        if aux_logits:
            head = partial(
                InceptionAux,
                num_classes=num_classes,
                dropout=dropout_aux,
                conv_channels=32,
                pool_size=2,
                hidden=128,
                batch_norm=batch_norm,
            )
            self.aux1 = head(104)
            self.aux2 = head(128)
            _xavier_init(self.aux1)
            _xavier_init(self.aux2)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # x: N x 1 x 28 x 28
        x = self.maxpool1(self.stem(x))  # N x 32 x 14 x 14
        x = self.inception3a(x)  # N x 64 x 14 x 14
        x = self.inception3b(x)  # N x 88 x 14 x 14
        x = self.maxpool2(x)  # N x 88 x 7 x 7
        x = self.inception4a(x)  # N x 104 x 7 x 7
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4b(x)  # N x 112 x 7 x 7
        x = self.inception4c(x)  # N x 128 x 7 x 7
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.inception4d(x)  # N x 152 x 7 x 7
        x = torch.flatten(self.avgpool(x), 1)  # N x 152
        x = self.fc(x)  # N x num_classes
        if aux1 is not None and aux2 is not None:
            return x, aux1, aux2
        return x


def _xavier_init(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def mnist_googlenet(aux_logits: bool = True, batch_norm: bool = False, num_classes: int = 10) -> MNISTGoogLeNet:
    """An MNIST-sized GoogLeNet (1 x 28 x 28 -> 10 classes); see ``MNISTGoogLeNet``."""
    return MNISTGoogLeNet(num_classes=num_classes, aux_logits=aux_logits, batch_norm=batch_norm)
