"""The lessons' models: torchvision-named ImageNet factories and a registry of the MNIST-sized ones.

One module per lesson (see DEVELOPING.md). The ImageNet factories load torchvision's
state_dicts with ``strict=True``; ``MNIST_MODELS`` maps a display name to a function that builds
a fresh, freshly initialized MNIST model (1 x 28 x 28 -> 10 logits) with its lesson's defaults,
so the shootout (lesson 08) can train them all on the same budget.

Importing this package imports only torch (each module is a few small classes).
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from .alexnet_tricks import alexnet, mnist_alexnet
from .fire_squeezenet import mnist_squeezenet, squeezenet1_0, squeezenet1_1
from .inception import InceptionANet, googlenet, mnist_googlenet
from .one_by_one import mnist_nin
from .residual import TwoBlockResidualNet, mnist_resnet, resnet18, resnet34, resnet50
from .start_here import TinyCNN
from .vgg_small_kernels import (
    mnist_vgg,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)


def _googlenet_main_head() -> nn.Module:
    # Without the auxiliary heads every registry entry returns plain logits in train mode too,
    # so one loss trains them all; lesson 04 is where the heads are compared.
    return mnist_googlenet(aux_logits=False)


def _resnet20() -> nn.Module:
    # The ResNet paper's CIFAR design at depth 20 (n = 3 blocks per stage, 16/32/64 channels,
    # option A shortcuts), with a stride-2 first convolution for 28x28 digits.
    return mnist_resnet(depth=20)


# Display name -> builder of a fresh MNIST model, in the order of the lessons.
MNIST_MODELS: dict[str, Callable[[], nn.Module]] = {
    "TinyCNN": TinyCNN,  # 00
    "AlexNet": mnist_alexnet,  # 01
    "VGG": mnist_vgg,  # 02
    "NiN": mnist_nin,  # 03
    "InceptionA (MNIST)": InceptionANet,  # 04
    "GoogLeNet": _googlenet_main_head,  # 04
    "SqueezeNet": mnist_squeezenet,  # 05
    "ResNet-20": _resnet20,  # 06
    "Two-block residual net": TwoBlockResidualNet,  # 06
}

__all__ = [
    "MNIST_MODELS",
    "alexnet",
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "vgg11_bn",
    "vgg13_bn",
    "vgg16_bn",
    "vgg19_bn",
    "googlenet",
    "squeezenet1_0",
    "squeezenet1_1",
    "resnet18",
    "resnet34",
    "resnet50",
    "TinyCNN",
    "mnist_alexnet",
    "mnist_vgg",
    "mnist_nin",
    "InceptionANet",
    "mnist_googlenet",
    "mnist_squeezenet",
    "mnist_resnet",
    "TwoBlockResidualNet",
]
