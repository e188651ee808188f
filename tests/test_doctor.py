"""Tests for cnnlessons.doctor: one small faulty model per finding, and clean models with none."""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

import cnnlessons as cl
from cnnlessons.doctor import Finding, Findings
from cnnlessons.models.inception import InceptionANet

MNIST = (1, 1, 28, 28)


class SkipsLayers(nn.Module):
    """Like the source documents' VGG16: conv3_3 is defined but forward never calls it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv3_1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv3_2 = nn.Conv2d(8, 8, 3, padding=1)
        self.conv3_3 = nn.Conv2d(8, 8, 3, padding=1)
        self.relu = nn.ReLU()  # applied through F.relu instead: harmless, not reported
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.conv3_2(F.relu(self.conv3_1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class AuxHead(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.layer1 = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Conv2d(channels, 4, 1))
        self.layer2 = nn.Linear(16, 10)

    def forward(self, x):
        return F.softmax(self.layer2(torch.flatten(self.layer1(x), 1)), dim=1)


class BuildsInForward(nn.Module):
    """Like the source documents' GoogLeNet: auxiliary heads and a Dropout built in forward, softmax outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        aux = AuxHead(8)(x)
        x = nn.Dropout(0.4)(x)
        x = self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
        return F.softmax(x, dim=1), aux


class SoftmaxModule(nn.Module):
    def __init__(self, log: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4, 10)
        self.out = nn.LogSoftmax(dim=1) if log else nn.Softmax(dim=1)

    def forward(self, x):
        return self.out(self.fc(torch.flatten(F.adaptive_avg_pool2d(self.conv(x), 1), 1)))


class HardCodedView(nn.Module):
    def __init__(self, batch: int | None = 2) -> None:
        super().__init__()
        self.batch = batch
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        x = self.conv(x)
        x = x.view(self.batch, -1) if self.batch else x.view(-1, 4 * 26 * 13)
        return self.fc(x)


class PlainList(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = [nn.Conv2d(1, 4, 3), nn.Conv2d(4, 4, 3)]  # a Python list: not registered
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def test_clean_models_have_no_findings():
    for model, size in [(InceptionANet(), MNIST), (torchvision.models.resnet18(num_classes=10), (1, 3, 32, 32))]:
        found = cl.doctor(model, size)
        assert isinstance(found, Findings) and found == []
        assert str(found) == "No problems found." and "No problems found." in found._repr_html_()


def test_unused_submodule():
    found = cl.doctor(SkipsLayers(), MNIST)
    assert found.kinds() == ["unused"]
    f = found[0]
    assert f.path == "conv3_3" and "never called in forward" in f.message and "self.conv3_3(x)" in f.fix
    assert "584 parameters" in f.message


def test_modules_built_in_forward_and_softmax_outputs():
    found = cl.doctor(BuildsInForward(), MNIST)
    assert found.kinds() == ["built-in-forward", "built-in-forward", "softmax-output", "softmax-output"]
    aux, drop = found[0], found[1]
    assert "AuxHead" in aux.message and "not in model.parameters()" in aux.message and "__init__" in aux.fix
    assert "Dropout" in drop.message and "model.eval()" in drop.message
    assert "CrossEntropyLoss" in found[2].message and "logits" in found[2].fix


def test_softmax_path_and_loss_argument():
    found = cl.doctor(SoftmaxModule(), MNIST)
    assert found.kinds() == ["softmax-output"] and found[0].path == "out"
    assert cl.doctor(SoftmaxModule(), MNIST, loss=nn.MSELoss()) == []
    assert cl.doctor(SoftmaxModule(log=True), MNIST, loss=nn.NLLLoss()) == []
    log_ce = cl.doctor(SoftmaxModule(log=True), MNIST, loss=nn.CrossEntropyLoss())
    assert log_ce.kinds() == ["softmax-output"] and "NLLLoss" in log_ce[0].fix
    probs_nll = cl.doctor(SoftmaxModule(), MNIST, loss=F.nll_loss)
    assert probs_nll.kinds() == ["softmax-output"] and "log-probabilities" in probs_nll[0].message


def test_frozen_parameters():
    model = InceptionANet()
    model.fc.bias.requires_grad_(False)
    found = cl.doctor(model, MNIST)
    assert found.kinds() == ["frozen"] and found[0].path == "fc" and "model.fc.requires_grad_(True)" in found[0].fix
    model = InceptionANet().requires_grad_(False)
    found = cl.doctor(model, MNIST)
    assert found.kinds() == ["frozen"] and found[0].path == "(model)" and "97,298" in found[0].message
    head_only = InceptionANet().requires_grad_(False)
    head_only.fc.requires_grad_(True)  # transfer learning: deliberate, not reported
    assert cl.doctor(head_only, MNIST) == []


def test_batch_size_dependent_view():
    found = cl.doctor(HardCodedView(batch=2), MNIST)
    assert found.kinds() == ["batch-size"]
    assert (
        "batch of 2 but fails for a batch of 3" in found[0].message
        and "[3, 4, 26, 26] -> [2, 4056]" in found[0].message
    )
    assert "x.view(x.size(0), -1)" in found[0].fix
    found = cl.doctor(HardCodedView(batch=None), MNIST)  # view(-1, fixed): the batch doubles
    assert found.kinds() == ["batch-size"] and "[2, 4, 26, 26] -> [4, 1352]" in found[0].message


def test_unregistered_modules():
    found = cl.doctor(PlainList(), MNIST)
    assert found.kinds() == ["not-registered", "not-registered"]
    assert "nn.ModuleList" in found[0].fix and "40 parameters" in found[0].message


def test_forward_fails_uses_the_tracer_message():
    found = cl.doctor(InceptionANet(fc_in_features=1400), MNIST)
    assert found.kinds() == ["forward-fails"] and found[0].path == "fc"
    assert "1408 features" in found[0].message and "nn.Linear(1408, 10)" in found[0].fix


def test_model_rng_and_modes_left_unchanged():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5), nn.Flatten(), nn.Linear(4 * 26 * 26, 10)
    )
    model.eval()
    stats = model[1].running_mean.clone(), model[1].num_batches_tracked.clone()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    assert cl.doctor(model, MNIST) == []
    assert torch.equal(torch.rand(3), expected)
    assert not model.training and not model[2].training
    assert torch.equal(model[1].running_mean, stats[0]) and torch.equal(model[1].num_batches_tracked, stats[1])
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert nn.Module.__init__.__qualname__ == "Module.__init__"


def test_report_text_and_html():
    found = cl.doctor(SkipsLayers(), MNIST)
    text = str(found)
    assert text.startswith("Model doctor: 1 problem found\n1. [unused] conv3_3:") and "fix:" in text
    assert repr(found) == text
    html = found._repr_html_()
    assert "<ol>" in html and "conv3_3" in html
    assert str(Finding("unused", "a", "msg", "do this")) == "[unused] a: msg\n    fix: do this"
