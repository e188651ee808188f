"""The MNIST model registry (lesson 08) and the torchvision-named re-exports."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import cnnlessons.models as models
from cnnlessons.models import MNIST_MODELS

TORCHVISION_NAMES = [
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
]


def test_registry_covers_every_lesson_family() -> None:
    names = " ".join(MNIST_MODELS)
    for family in ("TinyCNN", "AlexNet", "VGG", "NiN", "InceptionA", "GoogLeNet", "SqueezeNet", "ResNet"):
        assert family in names, f"no {family} in {list(MNIST_MODELS)}"


@pytest.mark.parametrize("name", list(MNIST_MODELS))
def test_entry_maps_a_batch_to_ten_logits(name: str) -> None:
    torch.manual_seed(0)
    model = MNIST_MODELS[name]()
    assert isinstance(model, nn.Module)
    x = torch.randn(2, 1, 28, 28)
    for train in (True, False):  # plain logits in both modes: one loss trains them all
        model.train(train)
        out = model(x)
        assert isinstance(out, torch.Tensor) and out.shape == (2, 10), (name, train, type(out))
        assert torch.isfinite(out).all()
    # a gradient reaches every parameter, so nothing in the registry is dead weight
    model.train()
    model(x).logsumexp(1).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"{name}: no gradient for {missing}"


def test_entries_build_fresh_models() -> None:
    build = MNIST_MODELS["TinyCNN"]
    a, b = build(), build()
    assert a is not b
    assert all(p.data_ptr() != q.data_ptr() for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("name", TORCHVISION_NAMES)
def test_torchvision_named_factories_are_exported(name: str) -> None:
    factory = getattr(models, name)
    assert callable(factory) and name in models.__all__
    with torch.device("meta"):  # full-size nets on the meta device: no memory, no time
        model = factory()
    assert isinstance(model, nn.Module)
