"""Lesson 01 helpers: the experiments' small pieces and the exercises' check functions.

Each ``check_...`` prints what is right or wrong and returns True or False; the right answer
is computed from a model or formula here, never typed in.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.alexnet_tricks import LRN_ALPHA, LRN_N, alexnet
from ._checks import missing as _missing, report as _report

ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def activation_cnn(activation: str = "relu") -> nn.Sequential:
    """The activation race's net: conv 32 -> pool -> conv 64 -> pool -> FC 128 -> FC 10."""
    if activation not in ACTS:
        raise ValueError(f"activation={activation!r} is not one of {sorted(ACTS)}.")
    act = ACTS[activation]
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), act(), nn.MaxPool2d(2),     # N x 32 x 14 x 14
        nn.Conv2d(32, 64, 3, padding=1), act(), nn.MaxPool2d(2),    # N x 64 x 7 x 7
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), act(), nn.Linear(128, 10),
    )


def rgb_pca(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (descending) and eigenvectors (columns) of the 3 x 3 RGB covariance of ``image`` (3, H, W)."""
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"rgb_pca wants one RGB image of shape (3, H, W), got {tuple(image.shape)}.")
    pixels = image.reshape(3, -1).T.double()                # H*W x 3
    cov = torch.cov(pixels.T)                               # 3 x 3
    vals, vecs = torch.linalg.eigh(cov)                     # ascending
    return vals.flip(0).float(), vecs.flip(1).float()


def pca_color_augment(image: torch.Tensor, sigma: float = 0.1, generator: torch.Generator | None = None,
                      alphas: torch.Tensor | None = None) -> torch.Tensor:
    """The paper's colour augmentation: add sum_i alpha_i * lambda_i * p_i to every pixel, alpha ~ N(0, sigma)."""
    vals, vecs = rgb_pca(image)
    if alphas is None:
        alphas = torch.randn(3, generator=generator) * sigma
    shift = vecs @ (alphas * vals)                          # one RGB offset for the whole image
    return image + shift.view(3, 1, 1)


@torch.no_grad()
def dropout_ensemble(head: nn.Module, features: torch.Tensor, passes: int = 50, seed: int = 0) -> dict[str, torch.Tensor]:
    """Eval-mode probabilities, the mean of ``passes`` dropout-sampled probabilities, and one sample's."""
    head.eval()
    p_eval = F.softmax(head(features), dim=1)
    head.train()
    torch.manual_seed(seed)
    samples = torch.stack([F.softmax(head(features), dim=1) for _ in range(passes)])
    head.eval()
    return {"eval": p_eval, "mean": samples.mean(0), "single": samples}


@torch.no_grad()
@torch.no_grad()
def tta_logits(model: nn.Module, images: torch.Tensor, fill: float, batch: int = 250) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits for the images as they are, and averaged over them and their four 1-pixel shifts.

    Without gradients and in batches of 250, so the five views of the test set stay small.
    """
    model.eval()
    plain, tta = [], []
    for i in range(0, len(images), batch):
        x = images[i:i + batch]
        padded = F.pad(x, (1, 1, 1, 1), value=fill)
        views = [padded[..., 1 + dy:29 + dy, 1 + dx:29 + dx] for dy, dx in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))]
        outs = [model(v) for v in views]
        plain.append(outs[0])
        tta.append(torch.stack(outs).mean(0))
    return torch.cat(plain), torch.cat(tta)


def check_conv1_params(answer: int | None) -> bool:
    """Exercise: parameters (weights and biases) of torchvision AlexNet's first convolution."""
    if _missing(answer):
        return False
    with torch.device("meta"):
        conv1 = alexnet().features[0]
    truth = sum(p.numel() for p in conv1.parameters())
    return _report(int(answer) == truth, f"conv1 has {truth:,} parameters (11 x 11 x 3 x 64 weights + 64 biases).",
                   f"{int(answer):,} is not it: kernel height x width x input channels x filters, plus one bias per filter.")


def check_lrn_alpha(answer: float | None, paper_alpha: float = LRN_ALPHA, n: int = LRN_N) -> bool:
    """Exercise: the ``alpha`` to pass to nn.LocalResponseNorm(size=n) to get the paper's alpha."""
    if _missing(answer):
        return False
    x = torch.randn(1, 16, 3, 3) * 20
    sq = F.pad(x.pow(2), (0, 0, 0, 0, n // 2, (n - 1) // 2))
    window = sum(sq[:, j:j + 16] for j in range(n))
    want = x / (2.0 + paper_alpha * window) ** 0.75
    got = nn.LocalResponseNorm(n, alpha=float(answer), beta=0.75, k=2.0)(x)
    return _report(torch.allclose(got, want, rtol=1e-4, atol=1e-6),
                   f"alpha={answer} reproduces the paper's formula: PyTorch divides alpha by n={n}.",
                   f"alpha={answer} does not match: PyTorch computes a / (k + alpha/n * sum a^2)^beta.")


def check_grouped_weights(answer: int | None, cin: int = 96, cout: int = 256, kernel: int = 5, groups: int = 2) -> bool:
    """Exercise: the weights (no biases) of Conv2d(cin, cout, kernel, groups=groups)."""
    if _missing(answer):
        return False
    with torch.device("meta"):
        truth = nn.Conv2d(cin, cout, kernel, groups=groups).weight.numel()
    return _report(int(answer) == truth, f"{truth:,} weights: each filter reads only {cin // groups} of the {cin} channels.",
                   f"{int(answer):,} is not it: each of the {cout} filters sees cin / groups channels.")


def check_pool_size(answer: int | None, size: int = 55, kernel: int = 3, stride: int = 2) -> bool:
    """Exercise: output side of MaxPool2d(kernel, stride) on a size x size map."""
    if _missing(answer):
        return False
    truth = nn.MaxPool2d(kernel, stride)(torch.zeros(1, 1, size, size)).shape[-1]
    return _report(int(answer) == truth, f"{size} -> {truth}: (size - kernel) // stride + 1.",
                   f"{answer} is not it: count how many windows of {kernel} fit with steps of {stride}.")
