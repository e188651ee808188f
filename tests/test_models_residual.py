"""ResNet: torchvision parity, parameter counts, shortcut options A/B/C, equal-parameter plain twins,
the two-block net."""

import pytest
import torch
import torchvision
from torch import nn

from cnnlessons.counting import count_params as n_params
from cnnlessons.models.residual import (
    BasicBlock,
    Bottleneck,
    CifarBlock,
    InceptionResNetA,
    ShortcutA,
    TwoBlockResidualNet,
    mnist_resnet,
    plain34,
    resnet18,
    resnet34,
    resnet50,
)


@pytest.mark.parametrize(
    "ours, theirs, count",
    [
        (resnet18, torchvision.models.resnet18, 11_689_512),
        (resnet34, torchvision.models.resnet34, 21_797_672),
        (resnet50, torchvision.models.resnet50, 25_557_032),
    ],
)
def test_torchvision_parity(ours, theirs, count):
    torch.manual_seed(0)
    ref = theirs()
    with torch.no_grad():  # non-trivial BN statistics, so eval mode really uses them
        for m in ref.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    ref.eval()
    model = ours()
    assert n_params(model) == count == n_params(ref)
    model.load_state_dict(ref.state_dict(), strict=True)
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        out, want = model(x), ref(x)
    assert out.shape == (2, 1000)
    assert torch.allclose(out, want, atol=1e-5, rtol=1e-5)


def test_plain_twins_have_no_shortcut():
    plain = plain34()
    assert not any("downsample" in name for name, _ in plain.named_modules())
    assert n_params(plain) == 21_797_672 - sum(
        n_params(m.downsample) for m in resnet34().modules() if isinstance(m, BasicBlock) and m.downsample is not None
    )
    # Zero F(x): the residual block passes ReLU(x) through, the plain block gives zeros.
    x = torch.randn(2, 8, 5, 5)
    for residual, want in ((True, torch.relu(x)), (False, torch.zeros_like(x))):
        block = BasicBlock(8, 8, residual=residual).eval()
        nn.init.zeros_(block.bn2.weight)
        with torch.no_grad():
            assert torch.allclose(block(x), want)


def test_projection_shortcut_shapes():
    proj = nn.Sequential(nn.Conv2d(64, 128, 1, stride=2, bias=False), nn.BatchNorm2d(128))
    block = BasicBlock(64, 128, stride=2, downsample=proj)
    assert block(torch.randn(1, 64, 8, 8)).shape == (1, 128, 4, 4)
    with pytest.raises(RuntimeError):  # without the projection the shapes cannot be added
        BasicBlock(64, 128, stride=2)(torch.randn(1, 64, 8, 8))
    proj4 = nn.Sequential(nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256))
    assert Bottleneck(64, 64, downsample=proj4)(torch.randn(1, 64, 8, 8)).shape == (1, 256, 8, 8)


def test_mnist_resnet_depths_and_equal_twins():
    x = torch.randn(2, 1, 28, 28)
    for depth, count in ((8, 75_002), (20, 269_434), (32, 463_866)):
        res, plain = mnist_resnet(depth, residual=True), mnist_resnet(depth, residual=False)
        convs = [m for m in plain.modules() if isinstance(m, nn.Conv2d)]
        linears = [m for m in plain.modules() if isinstance(m, nn.Linear)]
        assert len(convs) + len(linears) == depth
        assert n_params(res) == n_params(plain) == count  # option A: no parameters on the shortcuts
        assert res(x).shape == plain(x).shape == (2, 10)
        assert [m.out_channels for m in convs][-1] == 64  # the paper's widths 16/32/64
    with pytest.raises(ValueError, match="6n\\+2"):
        mnist_resnet(10)


def test_shortcut_options():
    base = n_params(mnist_resnet(20))
    assert n_params(mnist_resnet(20, shortcut="B")) - base == (16 * 32 + 64) + (32 * 64 + 128)
    assert n_params(mnist_resnet(20, shortcut="C")) > n_params(mnist_resnet(20, shortcut="B"))
    with pytest.raises(ValueError, match="zero padding"):
        mnist_resnet(20, shortcut="D")
    x = torch.randn(2, 16, 7, 7)
    out = ShortcutA(16, 32, stride=2)(x)
    assert out.shape == (2, 32, 4, 4)
    assert torch.equal(out[:, :16], x[:, :, ::2, ::2]) and out[:, 16:].abs().max() == 0
    with pytest.raises(ValueError):
        ShortcutA(32, 16)


def test_cifar_block_without_batch_norm_and_plain_twin():
    block = CifarBlock(8, 8, batch_norm=False)
    assert block.conv1.bias is not None and not any(isinstance(m, nn.BatchNorm2d) for m in block.modules())
    x = torch.randn(2, 8, 5, 5)
    for residual, want in ((True, torch.relu(x)), (False, torch.zeros_like(x))):
        blk = CifarBlock(8, 8, residual=residual).eval()
        nn.init.zeros_(blk.bn2.weight)
        with torch.no_grad():
            assert torch.allclose(blk(x), want)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in mnist_resnet(8, batch_norm=False).modules())


def test_two_block_residual_net_runs_and_trains_a_step():
    torch.manual_seed(0)
    model = TwoBlockResidualNet()
    assert n_params(model) == 41_514
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert model.fc.in_features == 512
    assert all(p.grad is not None for p in model.parameters())  # every layer is used


def test_one_bottleneck_definition():
    import cnnlessons.lessons.residual as lesson

    assert Bottleneck(256, 64)(torch.randn(1, 256, 4, 4)).shape == (1, 256, 4, 4)
    assert not hasattr(lesson, "Bottleneck") or lesson.Bottleneck is Bottleneck


def test_inception_resnet_block_adds_scaled_residual():
    block = InceptionResNetA(64, branch=16, scale=0.2).eval()
    x = torch.randn(2, 64, 6, 6)
    assert block(x).shape == x.shape
    nn.init.zeros_(block.conv.weight)
    nn.init.zeros_(block.conv.bias)
    with torch.no_grad():
        assert torch.allclose(block(x), torch.relu(x))
