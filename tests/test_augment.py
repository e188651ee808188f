"""Batched augmentations: shapes, fill values, seeding, and what each one does to pixels."""

from __future__ import annotations

import pytest
import torch

from cnnlessons import augment as A


@pytest.fixture
def batch():
    torch.manual_seed(0)
    return torch.randn(16, 1, 28, 28)


@pytest.mark.parametrize(
    "make",
    [
        lambda g: A.RandomShift(2, generator=g),
        lambda g: A.RandomCrop(3, generator=g),
        lambda g: A.RandomRotation(15, generator=g),
        lambda g: A.RandomHorizontalFlip(generator=g),
        lambda g: A.compose(A.RandomShift(1, generator=g), A.RandomRotation(5, generator=g)),
    ],
)
def test_shape_dtype_and_seeding(batch, make):
    out1 = make(torch.Generator().manual_seed(1))(batch)
    out2 = make(torch.Generator().manual_seed(1))(batch)
    out3 = make(torch.Generator().manual_seed(2))(batch)
    assert out1.shape == batch.shape and out1.dtype == batch.dtype
    assert torch.equal(out1, out2) and not torch.equal(out1, out3)
    rgb = make(None)(torch.randn(4, 3, 32, 32))  # global RNG, colour images
    assert rgb.shape == (4, 3, 32, 32)


def test_global_rng_is_seeded_by_manual_seed(batch):
    aug = A.RandomShift(2)
    torch.manual_seed(5)
    a = aug(batch)
    torch.manual_seed(5)
    assert torch.equal(a, aug(batch))


def test_shift_moves_pixels_and_fills_background():
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 2, 2] = 1.0
    out = A._shift(x, torch.tensor([1]), torch.tensor([-2]), fill=-0.5)
    assert out[0, 0, 3, 0] == 1.0  # down 1, left 2
    assert out[0, 0, 0, 4] == -0.5  # uncovered border gets the fill
    assert (out == 1.0).sum() == 1
    assert A.background_value() == pytest.approx(-0.1307 / 0.3081)


def test_shift_zero_and_crop_keep_content_bounds(batch):
    assert torch.equal(A.RandomShift(0)(batch), batch)
    out = A.RandomCrop(2, fill=-9.0, generator=torch.Generator().manual_seed(0))(batch)
    # every image is the original moved by at most 2 pixels: a 24x24 core survives somewhere
    assert ((out == -9.0).sum(dim=(1, 2, 3)) <= 28 * 4 * 2).all()


def test_rotation_zero_degrees_is_identity_and_keeps_background(batch):
    assert torch.allclose(A.RandomRotation(0)(batch), batch, atol=1e-5)
    flat = torch.full((2, 1, 28, 28), A.background_value())
    assert torch.allclose(A.RandomRotation(30)(flat), flat, atol=1e-5)  # corners filled with background


def test_flip_probability(batch):
    assert torch.equal(A.RandomHorizontalFlip(p=1.0)(batch), batch.flip(-1))
    assert torch.equal(A.RandomHorizontalFlip(p=0.0)(batch), batch)


def test_errors():
    with pytest.raises(ValueError, match=r"unsqueeze\(0\)"):
        A.RandomShift(2)(torch.zeros(1, 28, 28))
    with pytest.raises(ValueError, match="max_shift"):
        A.RandomShift(-1)
