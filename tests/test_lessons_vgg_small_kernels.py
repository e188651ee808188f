"""Lesson 02 helpers: the measured receptive field agrees with the formula (and shows dilation's
holes), digits land where they are placed, and the pitfall model leaves three layers unused."""

import pytest
import torch
from torch import nn

from cnnlessons.lessons import vgg_small_kernels as L2


def test_measured_receptive_field_grows_by_two_per_3x3_layer():
    for n in (1, 2, 3):
        m = L2.measure_rf(n, kernel=3, size=15)
        assert m["nonzero"] == (2 * n + 1) ** 2
        assert m["side"] == (2 * n + 1, 2 * n + 1) == (L2.rf_formula(n, 3)[0],) * 2


@pytest.mark.parametrize(
    "depth, kernel, stride, dilation",
    [
        (2, 3, 2, 1),
        (3, 5, 1, 2),
        (3, 3, 2, 2),
        (4, 7, 1, 1),
        (2, 1, 2, 1),
        (3, 3, 3, 1),
    ],
)
def test_measured_span_equals_formula(depth, kernel, stride, dilation):
    m = L2.measure_rf(depth, kernel, stride, dilation, size=96)
    rf, _ = L2.rf_formula(depth, kernel, stride, dilation)
    assert m["side"] == (rf, rf)


def test_dilation_leaves_holes_inside_the_span():
    m = L2.measure_rf(2, kernel=3, dilation=2, size=32)
    assert m["side"] == (9, 9) and m["nonzero"] == 25  # offsets -4, -2, 0, 2, 4 in each direction


def test_shrinking_below_one_pixel_is_a_clear_error():
    assert L2.output_sizes(10, 2, 3) == [10, 8, 6]
    with pytest.raises(ValueError, match="shrinks below 1 pixel"):
        L2.measure_rf(5, kernel=7, size=20)


def test_place_digits():
    imgs = torch.ones(2, 1, 28, 28)
    canvas = L2.place_digits(imgs, [(0, 0), (4, 40)], height=32, width=68, background=0.0)
    assert canvas.shape == (1, 1, 32, 68)
    assert canvas[0, 0, :28, :28].min() == 1 and canvas[0, 0, 30, 10] == 0 and canvas[0, 0, 4, 40] == 1
    with pytest.raises(ValueError, match="does not fit"):
        L2.place_digits(imgs[:1], [(10, 0)], height=32, width=32)


def test_skipping_vgg16_runs_but_leaves_three_convs_unused():
    with torch.device("meta"):
        m = L2.SkippingVGG16()
        called = set()
        hooks = [
            mod.register_forward_hook(lambda mod, i, o, name=name: called.add(name))
            for name, mod in m.named_modules()
            if isinstance(mod, nn.Conv2d)
        ]
        assert m(torch.empty(1, 3, 224, 224)).shape == (1, 1000)
    for h in hooks:
        h.remove()
    assert sum(p.numel() for p in m.parameters()) == 138_357_544
    convs = {n for n, mod in m.named_modules() if isinstance(mod, nn.Conv2d)}
    assert convs - called == {"conv3_3", "conv4_3", "conv5_3"}


def test_exercise_references():
    assert L2.exercise_1.reference() == 196
    assert L2.exercise_2.reference() == 4
    assert L2.exercise_4.reference() == (1, 10, 8, 15)
    assert abs(L2.exercise_5.reference() - 81 / 289) < 1e-9
    assert L2.exercise_6.reference() == 14_714_688 + 513_000
