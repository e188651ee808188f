"""Lesson 04 helpers: the plain twin, the gradient recorder, the affine test, the model with the
heads-in-forward mistake, and the exercises' answers (generic checks: test_exercises_all.py)."""

import torch

import cnnlessons as cl
from cnnlessons.lessons import inception as l04
from cnnlessons.lessons import one_by_one as l03
from cnnlessons.models import inception as inc


def test_cost_formula_is_lesson_03s_and_matches_the_tracer():
    assert l04.conv_mult_adds is l03.conv_mult_adds
    naive = inc.naive_inception(256, 128, 192, 96, batch_norm=False)
    t = cl.trace(naive, (1, 256, 28, 28), flops=True, receptive_field=False)
    assert t.total_flops // 2 == sum(l04.conv_mult_adds(256, c, k, 28, 28) for c, k in ((128, 1), (192, 3), (96, 5)))


def test_plain_cnn_size_close_to_inceptionanet():
    n = sum(p.numel() for p in l04.plain_cnn().parameters())
    assert n == 96_938 and abs(n - sum(p.numel() for p in inc.InceptionANet().parameters())) < 500
    assert l04.plain_cnn()(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_is_affine_tells_linear_blocks_apart():
    torch.manual_seed(0)
    assert l04.is_affine(inc.InceptionA(10), (2, 10, 12, 12))
    assert not l04.is_affine(inc.InceptionA(10, relu=True), (2, 10, 12, 12))
    assert not l04.is_affine(inc.Inception(16, 8, 8, 8, 4, 8, 8, batch_norm=False), (2, 16, 8, 8))


def test_grad_norm_recorder_with_fit():
    x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
    rec = l04.GradNormRecorder("conv1")
    cl.fit(l04.plain_cnn(), (x, y), steps=3, batch_size=16, on_step=rec, live=False, progress=False, device="cpu")
    assert len(rec.norms) == 3 and all(n > 0 for n in rec.norms)
    assert rec.mean(2) == sum(rec.norms[:2]) / 2


def test_heads_built_in_forward_is_the_mistake_and_fixed_is_not():
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


def test_exercise_answers():
    assert l04.exercise_1.reference() == 14 * 14 * 16 * 480 + 14 * 14 * 48 * 25 * 16 == 5_268_480
    assert l04.exercise_3.reference() == 88 * 5 * 5
    assert l04.exercise_4.reference() == 512 * 128 + 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000
    assert l04.exercise_5.reference() == 404_619_264 - 271_351_808
    with torch.device("meta"):
        net = inc.googlenet(aux_logits=True)
    assert sum(p.numel() for p in net.aux1.parameters()) == l04.exercise_4.reference()
