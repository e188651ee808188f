"""Lesson 03 helpers: the cost formulas against the tracer, the per-kernel breakdown, and the
exercises' answers (the generic checks of every exercise are in test_exercises_all.py)."""

import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import one_by_one as l03
from cnnlessons.models.one_by_one import mnist_nin, nin


def test_bottleneck_formulas_match_tracer():
    direct = cl.trace(nn.Conv2d(192, 32, 5, padding=2, bias=False), (1, 192, 28, 28))
    reduced = cl.trace(l03.ReducedConv(192, 16, 32, 5), (1, 192, 28, 28))
    assert direct.total_mult_adds == l03.conv_mult_adds(192, 32, 5, 28, 28) == 120_422_400
    assert reduced.total_mult_adds == l03.bottleneck_mult_adds(192, 16, 32, 5, 28, 28) == 12_443_648


def test_break_even_width_is_a_real_number_between_the_whole_widths():
    c = l03.break_even_width(64, 64, 3)
    assert abs(c - 57.6) < 1e-9
    direct = l03.conv_mult_adds(64, 64, 3, 14, 14)
    assert l03.bottleneck_mult_adds(64, 57, 64, 3, 14, 14) < direct < l03.bottleneck_mult_adds(64, 58, 64, 3, 14, 14)
    c5 = l03.break_even_width(192, 32, 5)
    assert l03.bottleneck_mult_adds(192, int(c5), 32, 5, 28, 28) < l03.conv_mult_adds(192, 32, 5, 28, 28)
    assert l03.bottleneck_mult_adds(192, int(c5) + 1, 32, 5, 28, 28) > l03.conv_mult_adds(192, 32, 5, 28, 28)


def test_nin_compute_is_in_its_spatial_convolutions():
    with torch.device("meta"):
        model = nin()
    by_kernel = l03.conv_mult_adds_by_kernel(model, (1, 3, 224, 224))
    total = cl.trace(model, (1, 3, 224, 224), receptive_field=False).total_mult_adds
    assert sum(by_kernel.values()) == total == 1_101_892_896
    assert by_kernel["1x1"] == 274_887_840  # about a quarter
    assert set(by_kernel) == {"1x1", "11x11", "5x5", "3x3"}


def test_exercise_answers():
    assert l03.exercise_1.reference() == 160 * 48 + 48
    assert l03.exercise_2.reference() == 14 * 14 * 64 * 256 + 14 * 14 * 128 * 9 * 64 == 17_661_952
    assert abs(l03.exercise_3.reference() - 57.6) < 1e-9
    share = l03.exercise_5.reference()
    assert 35 < share < 37.5
    assert abs(share - l03._one_by_one_share(mnist_nin())) < 1e-9


def test_exercise_3_states_its_precision_and_rejects_the_whole_number(capsys):
    assert "one decimal" in l03.exercise_3.form
    assert not l03.exercise_3.check(57)
    assert "one decimal" in capsys.readouterr().out
    assert l03.exercise_3.check("57.6")
