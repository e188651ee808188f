"""Batched data augmentation on the device: whole batches at once, no per-image PIL transforms.

Each augmentation is a small callable ``aug(images) -> images`` for (N, C, H, W) float tensors,
drawing one random setting per image. Pass one to ``fit(augment=...)``. Randomness comes from
``generator`` when given (a ``torch.Generator`` on the images' device), else from torch's
global RNG, which ``fit(seed=...)`` seeds.

``fill`` is in the images' own units: MNIST is normalized, so its black background is
``background_value()`` = -0.1307 / 0.3081 = -0.4242, not 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Callable

import torch
import torch.nn.functional as F

from .data import MNIST_MEAN, MNIST_STD
from .diagnose import check_count, check_instance, check_number

Augment = Callable[[torch.Tensor], torch.Tensor]


def background_value(mean: float = MNIST_MEAN, std: float = MNIST_STD) -> float:
    """A black (0) pixel after normalization: the fill that looks like MNIST's background."""
    return (0.0 - mean) / std


def _check(images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(
            f"augmentations take a batch shaped (N, C, H, W), got {shape}; for one image use image.unsqueeze(0)"
        )


def _fill(fill: float | None) -> float:
    """The value for pixels shifted in: MNIST's black background unless given."""
    return background_value() if fill is None else check_number(fill, "fill", round(background_value(), 4))


def _rand(shape: Sequence[int], images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Uniform [0, 1) on the images' device (on the generator's device if one is given)."""
    dev = generator.device if generator is not None else images.device
    return torch.rand(*shape, generator=generator, device=dev).to(images.device)


def _randint(high: int, shape: Sequence[int], images: torch.Tensor, generator: torch.Generator | None):
    dev = generator.device if generator is not None else images.device
    return torch.randint(high, tuple(shape), generator=generator, device=dev).to(images.device)


class RandomShift:
    """Shift each image by a whole number of pixels, up to ``max_shift`` each way, filling with ``fill``."""

    def __init__(self, max_shift: int = 2, fill: float | None = None, generator: torch.Generator | None = None) -> None:
        self.max_shift = check_count(max_shift, "max_shift", 2, minimum=0)
        self.fill = _fill(fill)
        self.generator = generator

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        _check(images)
        s = self.max_shift
        if s == 0:
            return images
        n = len(images)
        dy = _randint(2 * s + 1, (n,), images, self.generator) - s
        dx = _randint(2 * s + 1, (n,), images, self.generator) - s
        return _shift(images, dy, dx, self.fill)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, fill={self.fill:.4f})"


def _shift(images: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, fill: float) -> torch.Tensor:
    """Pad by the largest shift, then gather each image's window: one batched indexing step."""
    n, c, h, w = images.shape
    s = int(max(dy.abs().max(), dx.abs().max())) if n else 0
    padded = F.pad(images, (s, s, s, s), value=fill)
    rows = torch.arange(h, device=images.device) + s - dy[:, None]  # N x H
    cols = torch.arange(w, device=images.device) + s - dx[:, None]  # N x W
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    chan = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]


class RandomCrop:
    """Pad by ``padding`` on each side, then cut a random window of the original size (CIFAR style)."""

    def __init__(self, padding: int = 2, fill: float | None = None, generator: torch.Generator | None = None) -> None:
        self.padding = check_count(padding, "padding", 2, minimum=0)
        self.fill = _fill(fill)
        self.generator = generator

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        _check(images)
        p = self.padding
        n = len(images)
        # A crop at offset (oy, ox) in the padded image is a shift by (p - oy, p - ox).
        oy = _randint(2 * p + 1, (n,), images, self.generator)
        ox = _randint(2 * p + 1, (n,), images, self.generator)
        return _shift(images, p - oy, p - ox, self.fill)

    def __repr__(self) -> str:
        return f"RandomCrop(padding={self.padding}, fill={self.fill:.4f})"


class RandomRotation:
    """Rotate each image by a random angle in [-degrees, degrees] about its centre (bilinear)."""

    def __init__(
        self, degrees: float = 10.0, fill: float | None = None, generator: torch.Generator | None = None
    ) -> None:
        self.degrees = check_number(degrees, "degrees", 10)
        self.fill = _fill(fill)
        self.generator = generator

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        _check(images)
        n = len(images)
        angle = (_rand((n,), images, self.generator) * 2 - 1) * math.radians(self.degrees)
        cos, sin = torch.cos(angle), torch.sin(angle)
        zero = torch.zeros_like(cos)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)  # N x 2 x 3
        grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
        # grid_sample fills with 0; shift so that 0 is the background, then shift back.
        out = F.grid_sample(images - self.fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return out + self.fill

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, fill={self.fill:.4f})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p`` (not for digits: a flipped 2 is no 2)."""

    def __init__(self, p: float = 0.5, generator: torch.Generator | None = None) -> None:
        self.p = check_number(p, "p", 0.5)
        if not 0 <= self.p <= 1:
            raise ValueError(f"p is a probability between 0 and 1 (0.5 flips half the images), got {self.p:g}")
        self.generator = generator

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        _check(images)
        flip = _rand((len(images),), images, self.generator) < self.p
        return torch.where(flip[:, None, None, None], images.flip(-1), images)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class Compose:
    """Apply augmentations one after another."""

    def __init__(self, *augments: Augment) -> None:
        if len(augments) == 1 and isinstance(augments[0], (list, tuple)):
            augments = tuple(augments[0])
        for aug in augments:
            check_instance(aug, "augment", "RandomShift(2)")
        self.augments = augments

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        for aug in self.augments:
            images = aug(images)
        return images

    def __repr__(self) -> str:
        return f"Compose({', '.join(map(repr, self.augments))})"


def compose(*augments: Augment) -> Compose:
    return Compose(*augments)
