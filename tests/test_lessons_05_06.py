"""Lessons 05 and 06: the check functions accept right answers and reject wrong ones."""
import torch
from torch import nn

from cnnlessons.lessons import fire_squeezenet as l05
from cnnlessons.lessons import residual as l06
from cnnlessons.models.fire_squeezenet import Fire
from cnnlessons.models.residual import ResidualBlock, mnist_resnet


def test_count_weights_excludes_biases():
    assert l05.count_weights(Fire(96, 6, 5, 4)) == 822
    assert l05.count_params(Fire(96, 6, 5, 4)) == 837


def test_check_fire_weights(capsys):
    assert l05.check_fire_weights(128 * 16 + 16 * 64 + 9 * 16 * 64)
    assert not l05.check_fire_weights(12345)
    assert "Not yet" in capsys.readouterr().out


def test_check_fire_module(capsys):
    assert l05.check_fire_module(lambda: Fire(96, 6, 5, 4))
    assert not l05.check_fire_module(lambda: Fire(96, 6, 4, 5 + 1))
    assert not l05.check_fire_module(lambda: nn.Conv2d(96, 9, 3))  # shape right, count wrong
    assert not l05.check_fire_module(lambda: nn.Conv2d(3, 9, 3))   # fails: message, no traceback
    assert "failed" in capsys.readouterr().out


def test_check_size_and_sr_params():
    assert l05.check_size_mb(1_235_496 * 2 / 1e6)
    assert not l05.check_size_mb(1_235_496 * 4 / 1e6)
    assert l05.check_sr_params(44_330, squeeze_ratio=0.25)
    assert not l05.check_sr_params(44_000, squeeze_ratio=0.25)


class PlainBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv2(torch.relu(self.conv1(x))))


def test_check_residual_block():
    assert l06.check_residual_block(ResidualBlock)
    assert not l06.check_residual_block(PlainBlock)
    assert not l06.check_residual_block(lambda c: nn.Conv2d(c, c, 3))  # shape changes


def test_check_projection_and_bottleneck():
    assert l06.check_projection_params(128 * 256 + 2 * 256)
    assert not l06.check_projection_params(128 * 256)
    assert l06.check_projection_params(64 * 128 + 2 * 128, inplanes=64, planes=128)
    assert l06.check_bottleneck_weights(256 * 64 + 9 * 64 * 64 + 64 * 256)
    assert not l06.check_bottleneck_weights(2 * 9 * 256 * 256)


def test_grad_norms_and_running_mean():
    torch.manual_seed(0)
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    norms = l06.conv_grad_norms(mnist_resnet(8, residual=False), x, y)
    assert len(norms) == 7 and all(n > 0 for _, n in norms)
    pair = l06.grad_norm_pair(8, x, y)
    assert len(pair["residual"]) == len(pair["plain"]) == 7  # projections left out
    assert l06.running_mean([1, 2, 3, 4], window=2) == [1, 1.5, 2.5, 3.5]


def test_gradient_norm_explorer_updates():
    torch.manual_seed(0)
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    box = l06.gradient_norm_explorer(x, y, depths=(8, 20, 8))
    assert "depth 8" in box.readout.value
    box.slider.value = 14
    assert "depth 14" in box.readout.value and len(box.children[2].value) > 1000


def test_checks_left_as_none_say_so(capsys):
    for check in (l05.check_fire_weights, l05.check_fire_module, l05.check_size_mb, l05.check_sr_params,
                  l06.check_residual_block, l06.check_projection_params, l06.check_bottleneck_weights):
        assert check(None) is False
        assert "replace None" in capsys.readouterr().out
