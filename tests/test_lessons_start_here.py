"""Lesson 00 helpers: the common-mistake models behave like the mistakes they show."""

import torch

import cnnlessons as cl
from cnnlessons.lessons import start_here as lesson
from cnnlessons.models.start_here import TinyCNN


def test_layer_built_in_forward_is_random_each_call_and_flagged():
    torch.manual_seed(0)
    model = lesson.LayerBuiltInForward().eval()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert not torch.allclose(model(x), model(x))
    assert sum(p.numel() for p in model.parameters()) == 144 + 32 + 4608 + 64
    kinds = [f.kind for f in cl.doctor(model, (1, 1, 28, 28))]
    assert kinds == ["built-in-forward"]


def test_small_net_needs_the_right_in_features():
    x = torch.randn(3, 1, 28, 28)
    assert lesson.SmallNet(16 * 4 * 4)(x).shape == (3, 10)
    try:
        lesson.SmallNet(16 * 5 * 5)(x)
    except RuntimeError as e:
        assert "cannot be multiplied" in str(e)
    else:
        raise AssertionError("a wrong in_features must fail")


def test_exercise_answers_follow_the_models():
    # The references are computed, not typed: they must follow TinyCNN and the trace.
    assert lesson.exercise_1.reference() == sum(p.numel() for p in TinyCNN(channels=(8, 16)).parameters())
    assert lesson.exercise_5.reference() == 22
    assert abs(lesson.exercise_3.reference() - 4 / 9) < 1e-6
