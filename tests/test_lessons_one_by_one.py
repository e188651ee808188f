"""Lesson 03 exercise checks: right answers pass, wrong ones fail with a useful message."""
from torch import nn

from cnnlessons.lessons import one_by_one as l03


def test_check_bottleneck_mult_adds(capsys):
    right = 14 * 14 * 64 * 256 + 14 * 14 * 128 * 9 * 64
    assert l03.check_bottleneck_mult_adds(right)
    assert "Correct" in capsys.readouterr().out
    assert not l03.check_bottleneck_mult_adds(14 * 14 * 64 * 256)
    assert "only one of the two" in capsys.readouterr().out
    assert not l03.check_bottleneck_mult_adds(123)
    assert "H x W x out x k x k x in" in capsys.readouterr().out
    assert not l03.check_bottleneck_mult_adds(None)
    assert "replace None" in capsys.readouterr().out


def test_check_break_even(capsys):
    assert l03.check_break_even(25 * 192 * 32 / (192 + 25 * 32))
    assert not l03.check_break_even(16)
    assert "solve for c" in capsys.readouterr().out
    assert l03.check_break_even(9 * 64 * 64 / (64 + 9 * 64), c_in=64, c_out=64, k=3)


def test_check_conv1x1_params(capsys):
    assert l03.check_conv1x1_params(192 * 64 + 64)
    assert "nn.Linear(192, 64)" in capsys.readouterr().out
    assert not l03.check_conv1x1_params(192 * 64)
    assert "biases" in capsys.readouterr().out
    assert l03.check_conv1x1_params(192 * 64, bias=False)
    assert not l03.check_conv1x1_params(192 * 64 * 28 * 28)
    assert "image size" in capsys.readouterr().out
    assert sum(p.numel() for p in nn.Linear(192, 64).parameters()) == 192 * 64 + 64
