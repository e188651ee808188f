"""Lesson 06 helpers: degradation runs, gradient norms at initialization, and the exercises'
degenerate answers (the generic exercise tests live in test_exercises_all.py)."""

import torch
from torch import nn

from cnnlessons.lessons import residual as lesson
from cnnlessons.models.residual import BasicBlock, ShortcutA, mnist_resnet


def test_running_mean():
    assert lesson.running_mean([1, 2, 3, 4], window=2) == [1, 1.5, 2.5, 3.5]


def test_degradation_runs_keys(capsys):
    torch.manual_seed(0)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    runs = lesson.degradation_runs((x, y), depths=(8,), seeds=(0,), steps=3, device="cpu")
    assert set(runs) == {(8, False, 0), (8, True, 0)}
    assert all(len(v) == 3 for v in runs.values())
    assert lesson.final_loss(runs, 8, True, 0, last=2) > 0
    assert "plain" in capsys.readouterr().out


def test_gradient_norms_vanish_without_bn_and_grow_with_it():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 1, 28, 28, generator=g), torch.randint(0, 10, (32,), generator=g)
    grads = lesson.gradient_norms(x, y, depths=(8, 20), seeds=(0,))
    assert len(grads[8, False, True, 0]) == 7 and len(grads[20, True, False, 0]) == 19
    ratio = {k: lesson.first_last_ratio(v) for k, v in grads.items()}
    assert ratio[20, False, False, 0] < 1e-4  # plain, no BN: vanishes
    assert ratio[20, True, False, 0] > 0.1  # residual, no BN: reaches the stem
    assert ratio[20, False, True, 0] > 2 * ratio[8, False, True, 0]  # plain with BN: grows with depth


def test_conv_grad_norms_leaves_out_projections():
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    norms = lesson.conv_grad_norms(mnist_resnet(8, shortcut="C"), x, y, relative=False)
    assert len(norms) == 7 and all("shortcut" not in n for n, _ in norms)


def test_degenerate_blocks_fail(capsys):
    assert lesson.exercise_1.check(BasicBlock(16, 16))
    assert not lesson.exercise_1.check(BasicBlock(16, 16, residual=False))
    assert not lesson.exercise_1.check(nn.ReLU())
    assert lesson.exercise_2.check(ShortcutA(16, 32, stride=2))
    assert not lesson.exercise_2.check(nn.Conv2d(16, 32, 1, stride=2))
    assert "Not yet" in capsys.readouterr().out


def test_he_init_keeps_the_gradient():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 1, 28, 28, generator=g), torch.randint(0, 10, (32,), generator=g)
    torch.manual_seed(0)
    net = lesson.he_init_(mnist_resnet(20, residual=False, batch_norm=False))
    ratio = lesson.first_last_ratio([n for _, n in lesson.conv_grad_norms(net, x, y)])
    assert 1e-2 < ratio < 1e2
