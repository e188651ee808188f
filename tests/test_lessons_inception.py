"""Lesson 04: helpers and the check functions accept right answers and reject wrong ones."""
import torch

import cnnlessons as cl
from cnnlessons.lessons import inception as l04
from cnnlessons.models import inception as inc


def test_conv_mult_adds_and_counts():
    assert l04.conv_mult_adds(256, 192, 3) == 28 * 28 * 192 * 9 * 256
    naive = inc.naive_inception(256, 128, 192, 96, batch_norm=False)
    assert l04.count_weights(naive) == 256 * 128 + 9 * 256 * 192 + 25 * 256 * 96
    assert l04.count_params(naive) == l04.count_weights(naive) + 128 + 192 + 96


def test_plain_cnn_size_close_to_inceptionanet():
    assert l04.count_params(l04.plain_cnn()) == 96_938
    assert l04.plain_cnn()(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_grad_norm_recorder_with_fit():
    x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
    rec = l04.GradNormRecorder("conv1")
    cl.fit(l04.plain_cnn(), (x, y), steps=3, batch_size=16, on_step=rec, live=False, progress=False, device="cpu")
    assert len(rec.norms) == 3 and all(n > 0 for n in rec.norms)
    assert rec.mean(2) == sum(rec.norms[:2]) / 2


def test_heads_built_in_forward_is_the_bug_and_fixed_is_not():
    buggy = l04.HeadsBuiltInForward().train()
    assert not any(n.startswith("aux") for n, _ in buggy.named_parameters())
    x = torch.randn(2, 1, 28, 28)
    assert not torch.allclose(buggy(x)[1], buggy(x)[1])  # a new head on each call
    assert [f.kind for f in cl.doctor(buggy, (1, 1, 28, 28))] == ["built-in-forward"]
    fixed = l04.HeadsBuiltInForward(fixed=True).train()
    assert any(n.startswith("aux") for n, _ in fixed.named_parameters())
    torch.testing.assert_close(fixed(x)[1], fixed(x)[1])
    assert len(cl.doctor(fixed, (1, 1, 28, 28))) == 0
    assert isinstance(fixed.eval()(x), torch.Tensor)


def test_check_branch_mult_adds(capsys):
    right = 28 * 28 * (192 * 16 + 16 * 32 * 25)
    assert l04.check_branch_mult_adds(right)
    assert "Correct" in capsys.readouterr().out
    assert not l04.check_branch_mult_adds(28 * 28 * 32 * 25 * 192)  # naive branch
    assert "naive" in capsys.readouterr().out
    assert not l04.check_branch_mult_adds(28 * 28 * 16 * 32 * 25)   # 5x5 only
    assert "add the other" in capsys.readouterr().out
    assert not l04.check_branch_mult_adds(12345)
    assert "H x W x c_out" in capsys.readouterr().out
    assert not l04.check_branch_mult_adds(None)
    assert "replace None" in capsys.readouterr().out


def test_check_fc_in_features(capsys):
    assert l04.check_fc_in_features(88 * 5 * 5, image_size=32)
    assert l04.check_fc_in_features(1408, image_size=28)
    capsys.readouterr()
    assert not l04.check_fc_in_features(1408, image_size=32)
    out = capsys.readouterr().out
    assert "Not yet" in out and "2200" not in out  # the message helps without giving the answer away
    assert not l04.check_fc_in_features(None)


def test_check_block_channels(capsys):
    assert l04.check_block_channels(832, block="inception4e")
    assert l04.check_block_channels(256, block="inception3a")
    assert not l04.check_block_channels(800, block="inception4e")
    assert "reductions" in capsys.readouterr().out
    assert not l04.check_block_channels(832, block="inception9z")
    assert "no block" in capsys.readouterr().out
