"""SqueezeNet: torchvision parity, parameter counts, the Fire arithmetic, bypass variants."""

import pytest
import torch
import torchvision
from torch import nn

from cnnlessons.counting import count_params as n_params
from cnnlessons.counting import params_mb
from cnnlessons.models.fire_squeezenet import (
    Fire,
    fire_sizes,
    mnist_squeezenet,
    squeezenet1_0,
    squeezenet1_1,
    squeezenet_explore,
)


@pytest.mark.parametrize(
    "ours, theirs, count",
    [
        (squeezenet1_0, torchvision.models.squeezenet1_0, 1_248_424),
        (squeezenet1_1, torchvision.models.squeezenet1_1, 1_235_496),
    ],
)
def test_torchvision_parity(ours, theirs, count):
    torch.manual_seed(0)
    ref = theirs().eval()
    model = ours()
    assert n_params(model) == count == n_params(ref)
    model.load_state_dict(ref.state_dict(), strict=True)
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        out, want = model(x), ref(x)
    assert out.shape == (2, 1000)
    assert want.abs().max() > 0  # not a trivially zero comparison
    assert torch.allclose(out, want, atol=1e-6)


def test_final_conv_special_init():
    torch.manual_seed(0)
    model = squeezenet1_0()
    final = model.classifier[1]
    assert abs(final.weight.std().item() - 0.01) < 0.001
    other = model.features[3].squeeze.weight
    assert other.std().item() > 0.1  # Kaiming: much larger than the final layer's
    assert all(m.bias.abs().max() == 0 for m in model.modules() if isinstance(m, nn.Conv2d))


def test_fire_822_weights_against_plain_conv():
    fire = Fire(96, 6, 5, 4)
    weights = sum(m.weight.numel() for m in fire.modules() if isinstance(m, nn.Conv2d))
    assert weights == 96 * 6 + 6 * 5 + 9 * 6 * 4 == 822  # "weights" = no biases
    assert n_params(fire) == 822 + 6 + 5 + 4  # biases add 15
    assert nn.Conv2d(96, 9, 3, bias=False).weight.numel() == 7_776
    assert fire(torch.randn(1, 96, 10, 10)).shape == (1, 9, 10, 10)


def test_bypass_shapes_and_errors():
    x = torch.randn(2, 16, 7, 7)
    for bypass in ("none", "simple", "complex"):
        assert Fire(16, 4, 8, 8, bypass=bypass)(x).shape == (2, 16, 7, 7)
    assert Fire(16, 4, 16, 16, bypass="complex")(x).shape == (2, 32, 7, 7)
    with pytest.raises(ValueError, match="complex"):
        Fire(16, 4, 16, 16, bypass="simple")
    with pytest.raises(ValueError):
        Fire(16, 4, 8, 8, bypass="skip")


def test_simple_bypass_adds_the_input():
    fire = Fire(8, 2, 4, 4, bypass="simple")
    with torch.no_grad():
        for p in fire.parameters():
            p.zero_()
    x = torch.randn(1, 8, 5, 5)
    assert torch.equal(fire(x), x)


def test_explore_defaults_are_squeezenet_1_0():
    assert fire_sizes()[0] == (16, 64, 64) and fire_sizes()[-1] == (64, 256, 256)
    assert n_params(squeezenet_explore(0.125, 0.5)) == 1_248_424
    assert n_params(squeezenet_explore(0.25, 0.5)) > n_params(squeezenet_explore(0.125, 0.5))
    for pct in (0.0, 1.0):  # one expand branch empty
        assert squeezenet_explore(0.125, pct)(torch.randn(1, 3, 64, 64)).shape == (1, 1000)


def test_mnist_squeezenet_sizes_and_bypass():
    counts = [n_params(mnist_squeezenet(squeeze_ratio=sr)) for sr in (0.125, 0.25, 0.5, 1.0)]
    assert counts == sorted(counts) and counts[0] < 25_000 < 150_000 < counts[-1]
    x = torch.randn(3, 1, 28, 28)
    for bypass in ("none", "simple", "complex"):
        assert mnist_squeezenet(bypass=bypass)(x).shape == (3, 10)
    none, simple, complex_ = (mnist_squeezenet(bypass=b) for b in ("none", "simple", "complex"))
    assert n_params(none) == n_params(simple) < n_params(complex_)
    kinds = [f.bypass for f in complex_.modules() if isinstance(f, Fire)]
    assert kinds == ["simple", "simple", "complex", "simple", "complex", "simple"]  # stem gives 32
    assert n_params(complex_) - n_params(none) == (32 * 64 + 64) + (64 * 96 + 96) == 8_352
    assert not any(isinstance(m, nn.BatchNorm2d) for m in mnist_squeezenet(batch_norm=False).modules())
    with pytest.raises(ValueError):
        mnist_squeezenet(pct_3x3=1.0)


def test_one_batch_norm_equals_one_per_branch():
    # BatchNorm is per channel: one over the concatenated expand outputs == one per branch.
    torch.manual_seed(0)
    fire = Fire(8, 4, 6, 10, batch_norm=True).train()
    x = torch.randn(4, 8, 5, 5)
    s = torch.relu(fire.squeeze(x))
    e1, e3 = fire.expand1x1(s), fire.expand3x3(s)
    bn1, bn3 = nn.BatchNorm2d(6), nn.BatchNorm2d(10)
    want = torch.cat([torch.relu(bn1(e1)), torch.relu(bn3(e3))], dim=1)
    assert torch.allclose(fire(x), want, atol=1e-6)


def test_params_mb():
    m = squeezenet1_1()
    assert params_mb(m) == pytest.approx(1_235_496 * 4 / 1e6)
    assert params_mb(m, 2) == pytest.approx(params_mb(m) / 2)
