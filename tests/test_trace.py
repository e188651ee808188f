"""Tests for cnnlessons.trace: totals equal torchinfo's, joins, receptive fields, errors, meta device."""

from __future__ import annotations

import pytest
import torch
import torchinfo
import torchvision
from torch import nn

import cnnlessons as cl
from cnnlessons.models.inception import Inception, InceptionANet
from cnnlessons.trace import TraceError


def small_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10),
    )


def meta_model(name: str) -> nn.Module:
    kwargs = {"init_weights": False} if name in ("vgg16", "googlenet") else {}
    with torch.device("meta"):
        return getattr(torchvision.models, name)(**kwargs)


@pytest.mark.parametrize(
    "build, size", [(small_cnn, (1, 1, 28, 28)), (InceptionANet, (1, 1, 28, 28)), (InceptionANet, (3, 1, 28, 28))]
)
def test_totals_equal_torchinfo_small(build, size):
    model = build()
    table = cl.trace(model, size)
    ref = torchinfo.summary(model, size, verbose=0)
    assert table.total_params == ref.total_params
    assert table.trainable_params == ref.trainable_params
    assert table.total_mult_adds == ref.total_mult_adds
    assert table.output_shape == (size[0], 10)


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet18", "googlenet", "squeezenet1_0"])
def test_totals_equal_torchinfo_torchvision_on_meta(name):
    model = meta_model(name)
    table = cl.trace(model, (1, 3, 224, 224))
    ref = torchinfo.summary(model, (1, 3, 224, 224), verbose=0, device="meta")
    assert (table.total_params, table.total_mult_adds) == (ref.total_params, ref.total_mult_adds)
    assert table.output_shape == (1, 1000)


def test_inception_anet_rows_and_joins():
    table = cl.trace(InceptionANet(), (1, 1, 28, 28))
    assert table.total_params == 97_298
    assert table.row("incep1.branch3x3_2").output_shape == (1, 24, 12, 12)
    assert table.row("incep2.branch_pool").output_shape == (1, 24, 4, 4)
    joins = table.joins
    assert [(j.path, j.kind, j.n_inputs, j.output_shape) for j in joins] == [
        ("incep1", "concat", 4, (1, 88, 12, 12)),
        ("incep2", "concat", 4, (1, 88, 4, 4)),
    ]
    # every branch layer is a row, in execution order, before its join
    paths = [r.path for r in table.rows]
    assert paths.index("incep1.branch_pool") < paths.index("incep1") < paths.index("conv2")
    assert len(table.layers) == 2 + 2 + 7 + 7 + 1  # conv1, mp, 7 branch convs x2, conv2, mp, fc


def test_fire_and_residual_joins():
    sq = cl.trace(torchvision.models.squeezenet1_0(), (1, 3, 224, 224))
    fire = [j for j in sq.joins if j.path == "features.3"]
    assert len(fire) == 1 and fire[0].kind == "concat" and fire[0].output_shape == (1, 128, 54, 54)
    assert {"features.3.expand1x1", "features.3.expand3x3"} <= {r.path for r in sq.layers}
    rn = cl.trace(meta_model("resnet18"), (1, 3, 224, 224))
    adds = [j for j in rn.joins if j.kind == "add"]
    assert [j.path for j in adds] == [f"layer{i}.{b}" for i in range(1, 5) for b in (0, 1)]
    assert "layer2.0.downsample.0" in {r.path for r in rn.layers}


def test_constant_arithmetic_is_not_a_join():
    class Norm(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            x = x * 2.0 + x.new_tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1)  # not two branches
            return self.conv(x)

    assert cl.trace(Norm(), (1, 3, 8, 8)).joins == []


def test_receptive_fields_plain_stacks():
    def stack(n):
        return nn.Sequential(*[nn.Conv2d(4, 4, 3, padding=1) for _ in range(n)])

    assert [r.rf for r in cl.trace(stack(2), (1, 4, 16, 16)).rows] == [3, 5]
    assert [r.rf for r in cl.trace(stack(3), (1, 4, 16, 16)).rows] == [3, 5, 7]
    pool = cl.trace(nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3)), (1, 1, 32, 32))
    assert [(r.rf, r.jump) for r in pool.rows] == [(3, 1), (4, 2), (8, 2)]


def test_receptive_fields_alexnet_vgg_and_blank_after_flatten():
    alex = cl.trace(meta_model("alexnet"), (1, 3, 224, 224))
    assert alex.row("features.10").rf == 163 and alex.row("features.10").jump == 16  # conv5
    assert alex.row("features.12").rf == 195 and alex.row("features.12").jump == 32  # pool5
    assert alex.row("classifier.1").rf is None  # a Linear
    vgg = cl.trace(meta_model("vgg16"), (1, 3, 224, 224))
    assert vgg.row("features.28").rf == 196 and vgg.row("features.30").rf == 212


def test_vgg16_on_meta_allocates_nothing():
    model = meta_model("vgg16")
    table = cl.trace(model, (1, 3, 224, 224))
    assert table.total_params == 138_357_544
    assert all(p.device.type == "meta" for p in model.parameters())


def test_real_model_is_left_unchanged():
    model = InceptionANet()
    model.train()
    model.incep1.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    params = list(model.parameters())
    table = cl.trace(model, (1, 1, 28, 28))  # on meta by default
    assert table.total_params == 97_298
    assert list(model.parameters()) == params and all(p.device.type == "cpu" for p in params)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert model.training and not model.incep1.training and not model.incep1.branch1x1.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    real = cl.trace(model, (1, 1, 28, 28), device=None)  # a real input on the model's device
    assert real.total_mult_adds == table.total_mult_adds
    assert all(not m._forward_hooks for m in model.modules())


def test_error_names_layers_shapes_and_fix_for_1400():
    with pytest.raises(TraceError) as info:
        cl.trace(InceptionANet(fc_in_features=1400), (1, 1, 28, 28))
    err = info.value
    text = str(err)
    assert isinstance(err, RuntimeError)
    assert "`fc` (Linear)" in text and "1408 features" in text
    assert "in_features=1408" in text and "fc = nn.Linear(1408, 10)" in text
    assert "incep2" in text and "[1, 88, 4, 4]" in text and "[1, 1408]" in text
    assert err.failing_path == "fc" and err.last_ok.path == "incep2"
    assert err.partial.row("incep2.branch_pool").output_shape == (1, 24, 4, 4)


def test_error_conv_channel_mismatch():
    model = nn.Sequential()
    model.add_module("conv1", nn.Conv2d(1, 20, 5))
    model.add_module("conv2", nn.Conv2d(88, 10, 5))
    with pytest.raises(TraceError, match=r"conv2 expects 88 input channels, got 20: set in_channels=20") as info:
        cl.trace(model, (1, 1, 28, 28))
    assert "conv1 (Conv2d) -> output [1, 20, 24, 24]" in str(info.value)
    assert "conv2 = nn.Conv2d(20, 10, kernel_size=5)" in info.value.fix


def test_error_input_too_small():
    layers = []
    for _ in range(5):
        layers += [nn.Conv2d(2, 2, 3, padding=1), nn.MaxPool2d(2)]
    with pytest.raises(TraceError, match=r"too small") as info:
        cl.trace(nn.Sequential(*layers), (1, 2, 16, 16))
    assert info.value.failing_path == "9" and "feed a larger input" in info.value.fix


def test_error_generic_fallback_in_forward_code():
    class BadCat(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(3, 4, 3, padding=1)
            self.b = nn.Conv2d(3, 4, 3)  # no padding: smaller map

        def forward(self, x):
            return torch.cat([self.a(x), self.b(x)], 1)

    with pytest.raises(TraceError) as info:
        cl.trace(BadCat(), (1, 3, 8, 8))
    text = str(info.value)
    assert "BadCat.forward" in text and "last layer that worked: b (Conv2d) -> output [1, 4, 6, 6]" in text
    assert "same height and width" in text


def test_error_hard_coded_view_before_linear():
    class View(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.fc = nn.Linear(4 * 26 * 26, 10)

        def forward(self, x):
            return self.fc(self.conv(x).view(-1, 4 * 26 * 13))

    with pytest.raises(TraceError, match=r"batch dimension changed from 1 to 2 before fc"):
        cl.trace(View(), (1, 1, 28, 28))


def test_depth_cut_gives_a_block_the_output_of_its_join():
    table = cl.trace(InceptionANet(), (1, 1, 28, 28), depth=1)
    assert [r.path for r in table.rows] == ["conv1", "mp", "incep1", "conv2", "mp", "incep2", "fc"]
    assert table.row("incep1").output_shape == (1, 88, 12, 12)
    assert table.row("incep2").output_shape == (1, 88, 4, 4)
    assert table.total_params == 97_298


def test_printing_html_lookup_groups_and_memory():
    table = cl.trace(InceptionANet(), (1, 1, 28, 28))
    text = str(table)
    assert "incep1.branch5x5_2" in text and "9,624" in text and "Total params: 97,298" in text
    assert "incep1  [concat]" in text and "Total mult-adds: 6,049,290" in text
    lines = text.splitlines()
    assert len({len(line) for line in lines[2:5]}) == 1  # aligned columns
    html = table._repr_html_()
    assert html == cl.trace(InceptionANet(), (1, 1, 28, 28))._repr_html_()  # deterministic
    assert "<table" in html and "incep2.branch_pool" in html
    groups = {g.name: g for g in table.by_group(depth=1)}
    assert list(groups) == ["conv1", "mp", "incep1", "conv2", "incep2", "fc"]
    assert sum(g.params for g in groups.values()) == 97_298
    assert sum(g.mult_adds for g in groups.values()) == table.total_mult_adds
    assert groups["incep1"].output_shape == (1, 88, 12, 12)  # the block's concat, not its last branch
    assert table.activation_memory() == sum(
        4 * r.output_shape.numel() if hasattr(r.output_shape, "numel") else 4 * torch.Size(r.output_shape).numel()
        for r in table.layers
    )
    assert table.row("conv1").output_bytes == 10 * 24 * 24 * 4
    with pytest.raises(KeyError, match="no row 'conv9'"):
        table.row("conv9")


def test_block_groups_fast_path_depth_and_flops():
    block = Inception(192, 64, 96, 128, 16, 32, 32)
    full = cl.trace(block, (1, 192, 28, 28))
    fast = cl.trace(block, (1, 192, 28, 28), receptive_field=False)
    assert (fast.total_params, fast.total_mult_adds) == (full.total_params, full.total_mult_adds)
    assert fast.joins == [] and full.joins[-1].output_shape == (1, 256, 28, 28)
    assert [g.name for g in full.by_group()] == ["branch1", "branch2", "branch3", "branch4"]
    cut = cl.trace(block, (1, 192, 28, 28), depth=1)
    assert [r.path for r in cut.layers] == ["branch1", "branch2", "branch3", "branch4"]
    assert sum(r.mult_adds for r in cut.layers) == full.total_mult_adds
    conv = nn.Conv2d(3, 8, 3, bias=False)
    counted = cl.trace(conv, (2, 3, 10, 10), flops=True)
    assert counted.total_flops == 2 * counted.total_mult_adds == 2 * (8 * 3 * 9) * 2 * 8 * 8


def test_bad_arguments():
    with pytest.raises(ValueError, match="include the batch"):
        cl.trace(nn.Linear(3, 3), (3,))
    with pytest.raises(TypeError, match="nn.Module"):
        cl.trace("model", (1, 3))


def test_flops_per_row_and_meta_hint():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    table = cl.trace(model, (2, 3, 8, 8), flops=True)
    assert [r.flops for r in table.rows] == [2 * 2 * 4 * 27 * 36, 0, 2 * 2 * 144 * 5]
    assert table.total_flops == sum(r.flops for r in table.rows)
    # torchinfo's convention adds the biases: conv (108 + 4) x 36 pixels, linear (720 + 5), per image
    assert table.total_mult_adds == 2 * (112 * 36 + 725)

    class NeedsValues(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c = nn.Conv2d(1, 1, 3)

        def forward(self, x):
            y = self.c(x)
            return y * y.mean().item()

    with pytest.raises(TraceError, match="device=None"):
        cl.trace(NeedsValues(), (1, 1, 8, 8))
    assert cl.trace(NeedsValues(), (1, 1, 8, 8), device=None).output_shape == (1, 1, 6, 6)
