"""Lesson 01's helpers: moved test copy, PCA colour noise, LRN ratio, dropout ensemble, TTA, plots, exercises.

The exercises themselves (answer key, right forms, wrong answers, junk) are tested for every
lesson in tests/test_exercises_all.py; here only what is specific to lesson 01's checks.
"""

import math

import torch
from torch import nn

from cnnlessons import augment as aug
from cnnlessons.lessons import alexnet_tricks as L
from cnnlessons.models.alexnet_tricks import paper_lrn


def test_moved_copy_is_fixed_and_moves_digits():
    x = torch.full((6, 1, 28, 28), aug.background_value())
    x[:, :, 10:18, 10:18] = 2.0
    a, b = L.moved_copy(x), L.moved_copy(x)
    assert torch.equal(a, b) and a.shape == x.shape
    assert not torch.allclose(a, x)


def test_shifted_moves_every_image_the_same_way():
    x = torch.zeros(2, 1, 5, 5)
    x[:, 0, 2, 2] = 1.0
    out = L.shifted(x, 1, -2, fill=0.0)
    assert out[:, 0, 3, 0].eq(1).all() and out.sum() == 2


def test_rgb_pca_and_colour_augment():
    torch.manual_seed(0)
    img = torch.rand(3, 16, 16)
    vals, vecs = L.rgb_pca(img)
    cov = torch.cov(img.reshape(3, -1))
    assert torch.all(vals[:-1] >= vals[1:])
    assert torch.allclose(cov @ vecs, vecs * vals, atol=1e-5)
    out = L.pca_color_augment(img, alphas=torch.tensor([1.0, 0.0, 0.0]))
    shift = (out - img).reshape(3, -1)
    assert torch.allclose(shift, (vals[0] * vecs[:, 0]).view(3, 1).expand_as(shift), atol=1e-6)
    try:
        L.rgb_pca(torch.rand(1, 4, 4))
    except ValueError as e:
        assert "(3, H, W)" in str(e) and "repeat" in str(e)
    else:
        raise AssertionError("no error for a grey image")


def test_grey_image_colour_noise_is_brightness():
    grey = torch.rand(1, 12, 12).repeat(3, 1, 1)
    vals, vecs = L.rgb_pca(grey)
    assert vals[1] < 1e-6 * vals[0]
    assert torch.allclose(vecs[:, 0].abs(), torch.full((3,), 3**-0.5), atol=1e-5)
    out = L.pca_color_augment(grey, 0.1, generator=torch.Generator().manual_seed(1))
    offset = (out - grey)[:, 0, 0]
    assert torch.allclose(offset, offset.mean().expand(3), atol=1e-6)


def test_synthetic_photo_is_a_coloured_image():
    photo = L.synthetic_photo(32)
    assert photo.shape == (3, 32, 32) and 0 <= photo.min() and photo.max() <= 1
    vals, _ = L.rgb_pca(photo)
    assert vals[0] > 0 and vals[1] > 0  # colours vary in more than brightness


def test_lrn_ratio_is_constant_for_small_activations_only():
    torch.manual_seed(0)
    small = torch.relu(torch.randn(2, 16, 6, 6))
    r = L.lrn_ratio(small, paper_lrn())
    assert torch.allclose(r, torch.full_like(r, 2**-0.75), rtol=2e-3)
    r_big = L.lrn_ratio(small * 100, paper_lrn())
    assert r_big.min() < 0.9 * 2**-0.75


def test_lrn_knee_solves_the_formula():
    a = L.lrn_knee(0.05)
    x = torch.zeros(1, 5, 1, 1)
    x[0, 2] = a
    ratio = (paper_lrn()(x)[0, 2] / (a * 2**-0.75)).item()
    assert math.isclose(ratio, 0.95, rel_tol=1e-4)


def test_dropout_ensemble_and_tta():
    torch.manual_seed(0)
    head = nn.Sequential(nn.Dropout(0.5), nn.Linear(8, 3))
    r = L.dropout_ensemble(head, torch.randn(20, 8), passes=7)
    assert r["single"].shape == (7, 20, 3) and r["mean"].shape == r["eval"].shape == (20, 3)
    assert not torch.allclose(r["single"][0], r["single"][1])
    assert not head.training
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    x = torch.randn(5, 1, 28, 28)
    plain, tta = L.tta_probs(model, x, batch=2)
    assert torch.allclose(plain, model(x).softmax(1), atol=1e-6) and tta.shape == (5, 10)
    assert torch.allclose(tta.sum(1), torch.ones(5), atol=1e-5)
    assert not torch.allclose(plain, tta)


def test_plot_seeds_draws_one_point_per_seed():
    fig = L.plot_seeds({"a": [0.9, 0.91, 0.92], "b": [0.93, 0.94, 0.95]}, "accuracy (%)", "title")
    ax = fig.axes[0]
    assert ax.get_title() == "title" and ax.get_ylabel() == "accuracy (%)"
    points = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(points) == 6


def test_exercise_checks_reject_the_usual_lrn_mistakes(capsys):
    ex = L.exercise_2
    assert ex.check(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0))
    assert not ex.check(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
    assert "divides its alpha" in capsys.readouterr().out
    assert not ex.check(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75))
    assert "default k is 1" in capsys.readouterr().out
    assert not ex.check(nn.LocalResponseNorm)
    assert "instance" in capsys.readouterr().out


def test_exercise_4_counts_the_receptive_field_of_both_poolings():
    assert L._rf_pixels("overlap") == 13**2
    assert L._rf_pixels("plain") == 10**2
