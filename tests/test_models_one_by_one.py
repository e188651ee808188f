"""NiN (lesson 03): shapes, parameter counts, block structure, and the 1x1 conv == Linear helper."""

import pytest
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import one_by_one as l03
from cnnlessons.models.one_by_one import MLPConv, mnist_nin, nin


def test_nin_imagenet_shape_and_params_on_meta():
    with torch.device("meta"):
        model = nin()
    table = cl.trace(model, (1, 3, 224, 224))
    assert table.output_shape == (1, 1000)
    assert table.total_params == 7_595_176


def test_nin_has_no_linear_layer_and_ends_in_gap():
    for model in (nin(num_classes=10), mnist_nin()):
        assert not any(isinstance(m, nn.Linear) for m in model.modules())
        assert isinstance(model.avgpool, nn.AdaptiveAvgPool2d)


def test_mnist_nin_shape_and_params():
    model = mnist_nin()
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == 71_924
    assert model.features[-1].mlp2[0].out_channels == 10  # one map per class before GAP


def test_mlpconv_structure():
    block = MLPConv(8, 16, kernel_size=3, padding=1, mid_channels=12, final_relu=False)
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(3, 3), (1, 1), (1, 1)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(8, 12), (12, 12), (12, 16)]
    assert not isinstance(block.mlp2[-1], nn.ReLU)
    assert isinstance(MLPConv(8, 16, 3).mlp2[-1], nn.ReLU)
    assert block(torch.randn(1, 8, 5, 5)).shape == (1, 16, 5, 5)


def test_conv1x1_equals_linear():
    torch.manual_seed(0)
    conv = nn.Conv2d(7, 5, 1)
    assert l03.conv1x1_vs_linear(conv, torch.randn(3, 7, 4, 6)) < 1e-5
    lin = l03.linear_from_conv1x1(conv)
    assert torch.equal(lin.weight, conv.weight[:, :, 0, 0])


def test_conv1x1_helper_can_fail_and_explains():
    conv = nn.Conv2d(7, 5, 1)
    with pytest.raises(ValueError, match="1x1"):
        l03.linear_from_conv1x1(nn.Conv2d(7, 5, 3))
    with pytest.raises(ValueError, match="N x 7 x H x W"):
        l03.conv1x1_vs_linear(conv, torch.randn(3, 6, 4, 4))
    # a Linear with the wrong weight layout (not transposed back) does differ
    lin = l03.linear_from_conv1x1(conv)
    with torch.no_grad():
        lin.weight.mul_(2)
    x = torch.randn(2, 7, 3, 3)
    assert not torch.allclose(conv(x), lin(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
