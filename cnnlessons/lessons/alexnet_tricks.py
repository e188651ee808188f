"""Lesson 01 helpers: the experiments' small pieces (data, measurements, plots) and the exercises.

The models live in ``cnnlessons.models.alexnet_tricks``; here is what the notebook needs around
them: a fixed "moved" copy of the test set, the paper's PCA colour noise, the LRN measurement,
dropout as an ensemble, test-time augmentation, and a per-seed plot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .. import augment as aug
from ..models.alexnet_tricks import LRN_BETA, LRN_K
from ._checks import Exercise, Number, Predicate

# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def moved_copy(images: torch.Tensor, max_shift: int = 3, degrees: float = 15.0, seed: int = 1234) -> torch.Tensor:
    """A fixed copy of ``images``, each shifted by up to ``max_shift`` pixels and rotated by up
    to ``degrees``: the same digits, placed less neatly than MNIST centres them."""
    g = torch.Generator().manual_seed(seed)
    shift, rotate = aug.RandomShift(max_shift, generator=g), aug.RandomRotation(degrees, generator=g)
    # In chunks: the batched shift and rotation build index and grid tensors several times the
    # size of the images, which for all 10,000 test digits at once would cost hundreds of MB.
    return torch.cat([rotate(shift(chunk)) for chunk in images.split(1_000)])


def synthetic_photo(size: int = 64) -> torch.Tensor:
    """A small RGB 'photo' (3, size, size) in [0, 1]: blue sky, yellow sun, green field, red roof.

    Drawn from formulas so that no image has to be downloaded; its colours vary together the way
    a photo's do (bright sky, dark field), which is what PCA colour noise is built from.
    """
    t = torch.linspace(0, 1, size)
    yy, xx = torch.meshgrid(t, t, indexing="ij")
    sky = torch.stack([0.35 + 0.3 * yy, 0.55 + 0.3 * yy, 0.95 - 0.1 * yy])
    field = torch.stack([0.15 + 0.1 * xx, 0.45 + 0.25 * (yy - 0.6), 0.1 + 0.0 * xx])
    img = torch.where(yy < 0.6, sky, field)
    sun = ((yy - 0.2) ** 2 + (xx - 0.75) ** 2) < 0.012
    img = torch.where(sun, torch.tensor([1.0, 0.9, 0.3]).view(3, 1, 1), img)
    house = (xx > 0.15) & (xx < 0.45) & (yy > 0.5) & (yy < 0.8)
    roof = (yy > 0.38) & (yy <= 0.5) & ((xx - 0.3).abs() < (yy - 0.38) * 1.25)
    img = torch.where(house, torch.tensor([0.85, 0.8, 0.7]).view(3, 1, 1), img)
    img = torch.where(roof, torch.tensor([0.7, 0.15, 0.1]).view(3, 1, 1), img)
    return img.clamp(0, 1)


def rgb_pca(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (descending) and eigenvectors (columns) of the 3 x 3 RGB covariance of ``image`` (3, H, W).

    The paper computes this covariance over all ImageNet training pixels; here over one image.
    """
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(
            f"rgb_pca wants one RGB image of shape (3, H, W), got {tuple(image.shape)}; "
            "a grey digit (1, H, W) becomes RGB with image.repeat(3, 1, 1)."
        )
    pixels = image.reshape(3, -1).double()  # 3 x H*W
    cov = torch.cov(pixels)  # 3 x 3
    vals, vecs = torch.linalg.eigh(cov)  # ascending
    vecs = vecs * torch.where(vecs.sum(0) < 0, -1.0, 1.0)  # an eigenvector's sign is arbitrary: sum >= 0
    return vals.flip(0).clamp(min=0).float(), vecs.flip(1).float()


def pca_color_augment(
    image: torch.Tensor,
    sigma: float = 0.1,
    generator: torch.Generator | None = None,
    alphas: torch.Tensor | None = None,
) -> torch.Tensor:
    """The paper's colour noise: add sum_i alpha_i * lambda_i * p_i to every pixel, alpha_i ~ N(0, sigma^2).

    One RGB offset for the whole image, along the directions in which its colours vary most.
    """
    vals, vecs = rgb_pca(image)
    if alphas is None:
        alphas = torch.randn(3, generator=generator) * sigma
    shift = vecs @ (alphas * vals)  # 3: one RGB offset
    return image + shift.view(3, 1, 1)


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


@torch.no_grad()
def lrn_ratio(activations: torch.Tensor, lrn: nn.Module) -> torch.Tensor:
    """LRN(a) / a for every positive activation: a constant k**-beta means LRN only rescales."""
    out = lrn(activations)
    keep = activations > 1e-6
    return out[keep] / activations[keep]


@torch.no_grad()
def dropout_ensemble(
    head: nn.Module, features: torch.Tensor, passes: int = 30, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Eval-mode probabilities, the mean of ``passes`` dropout-sampled probabilities, and every sample's."""
    head.eval()
    p_eval = F.softmax(head(features), dim=1)
    head.train()
    torch.manual_seed(seed)
    samples = torch.stack([F.softmax(head(features), dim=1) for _ in range(passes)])
    head.eval()
    return {"eval": p_eval, "mean": samples.mean(0), "single": samples}


def shifted(images: torch.Tensor, dy: int, dx: int, fill: float | None = None) -> torch.Tensor:
    """Every image moved by the same (dy, dx) pixels (down and right when positive), background filled."""
    fill = aug.background_value() if fill is None else fill
    n = len(images)
    return aug._shift(images, torch.full((n,), dy), torch.full((n,), dx), fill)


@torch.no_grad()
def tta_probs(model: nn.Module, images: torch.Tensor, batch: int = 250) -> tuple[torch.Tensor, torch.Tensor]:
    """Class probabilities for the images as they are, and averaged over them and their four
    1-pixel shifts (the paper averaged the softmax over ten crops and flips).

    Without gradients and in batches, so the five views of the test set stay small.
    """
    model.eval()
    device = next(model.parameters()).device
    plain, tta = [], []
    for i in range(0, len(images), batch):
        x = images[i : i + batch].to(device)
        views = [shifted(x, dy, dx) for dy, dx in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))]
        probs = [F.softmax(model(v), dim=1) for v in views]
        plain.append(probs[0])
        tta.append(torch.stack(probs).mean(0))
    return torch.cat(plain).cpu(), torch.cat(tta).cpu()


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------


def plot_seeds(results: Mapping[str, Sequence[float]], ylabel: str, title: str, ax=None, percent: bool = True):
    """One column per arm, one point per seed (labelled by seed), and the mean as a bar.

    ``results`` maps an arm's name to its per-seed values (seed 0, 1, 2, ... in order).
    Returns the figure (closed, so a notebook shows it once).
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415  (only when drawing)

    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(1.6 + 1.5 * len(results), 3.4))
    else:
        fig = ax.figure
    scale = 100 if percent else 1
    n_seeds = max(len(v) for v in results.values())
    for i, values in enumerate(results.values()):
        vals = [scale * v for v in values]
        ax.bar(i, sum(vals) / len(vals), width=0.6, color="0.88", edgecolor="0.6")
        for s, v in enumerate(vals):
            ax.plot(
                i + (s - (n_seeds - 1) / 2) * 0.12, v, "o", color=f"C{s}", ms=6, label=f"seed {s}" if i == 0 else None
            )
    lo = min(min(v) for v in results.values()) * scale
    hi = max(max(v) for v in results.values()) * scale
    pad = max((hi - lo) * 0.4, 0.5 if percent else 1e-3)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xticks(range(len(results)), list(results))
    ax.set(ylabel=ylabel, title=title)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3, axis="y")
    if own:
        fig.tight_layout()
        plt.close(fig)
    return fig


# ---------------------------------------------------------------------------------------------
# Exercises (the checks live in ._checks; each answer is computed, never typed in)
# ---------------------------------------------------------------------------------------------


def lrn_knee(drop: float = 0.05, k: float = LRN_K, alpha: float = 1e-4, beta: float = LRN_BETA) -> float:
    """The activation a (one active channel, its neighbours 0) at which the paper's LRN output is
    ``drop`` below the constant rescaling a * k**-beta: (1 + alpha a^2 / k)^beta = 1 / (1 - drop)."""
    return math.sqrt(((1 - drop) ** (-1 / beta) - 1) * k / alpha)


def _paper_formula(
    x: torch.Tensor, k: float = LRN_K, n: int = 5, alpha: float = 1e-4, beta: float = LRN_BETA
) -> torch.Tensor:
    channels = x.shape[1]
    sq = F.pad(x.pow(2), (0, 0, 0, 0, n // 2, (n - 1) // 2))
    window = sum(sq[:, j : j + channels] for j in range(n))
    return x / (k + alpha * window) ** beta


def _check_paper_lrn(answer) -> tuple[bool, str]:
    """Exercise 2: the answer is a layer that computes the paper's LRN on large activations too."""
    if isinstance(answer, type):
        return False, "that is a class; give a layer (an instance), e.g. nn.LocalResponseNorm(size=..., ...)."
    if not isinstance(answer, nn.Module):
        return (
            False,
            "expected a layer (an nn.Module), e.g. answer = nn.LocalResponseNorm(size=..., alpha=..., beta=..., k=...).",
        )
    g = torch.Generator().manual_seed(0)
    x = torch.relu(torch.randn(2, 12, 5, 5, generator=g)) * 40  # large activations: LRN matters
    with torch.no_grad():
        got = answer(x)
    want = _paper_formula(x)
    if isinstance(got, torch.Tensor) and got.shape == want.shape and torch.allclose(got, want, rtol=1e-4, atol=1e-5):
        return True, ""
    if isinstance(answer, nn.LocalResponseNorm):
        if answer.size != 5:
            return (
                False,
                f"size={answer.size}: the paper sums over n = 5 neighbouring channels (the channel itself included).",
            )
        if answer.k != LRN_K:
            return False, f"k={answer.k}: PyTorch's default k is 1, the paper's is 2; pass k=2.0."
        if answer.beta != LRN_BETA:
            return False, f"beta={answer.beta}: the paper's beta is 0.75."
        if math.isclose(answer.alpha, 1e-4, rel_tol=1e-6):
            return False, (
                "alpha=1e-4 normalizes too weakly: read the formula in nn.LocalResponseNorm's "
                "documentation; PyTorch divides its alpha by size before using it."
            )
        return False, f"alpha={answer.alpha:g} does not give the paper's alpha of 1e-4 after PyTorch's own arithmetic."
    return False, "its output differs from the paper's formula b = a / (2 + 1e-4 * sum of a^2 over 5 channels)^0.75."


def _rf_pixels(pool: str = "overlap") -> int:
    """Exercise 4's answer, measured by the tracer (the RF column is the window's side)."""
    from ..models.alexnet_tricks import small_cnn
    from ..trace import trace

    table = trace(small_cnn(pool=pool), (1, 1, 28, 28))
    return next(r.rf for r in table.layers if r.path == "features.7") ** 2


def _rf_by_formula(pool: str = "overlap") -> int:
    """The same by the formula (cheap, for the hints): side += (k - 1) * jump; jump *= stride."""
    side, jump = 1, 1
    k = 3 if pool == "overlap" else 2
    for kernel, stride in ((3, 1), (k, 2), (3, 1), (k, 2)):
        side, jump = side + (kernel - 1) * jump, jump * stride
    return side * side


def _shift_gain(seed: int = 0) -> float:
    """Exercise 5's measurement: accuracy gain (points) of RandomShift(3) training on digits moved 3 px right."""
    from ..data import load_mnist
    from ..models.alexnet_tricks import small_cnn
    from ..train import evaluate, fit

    x, y = load_mnist("train", subset=1_000)
    x_test, y_test = load_mnist("test", subset=2_000)
    moved = shifted(x_test, 0, 3)
    acc = []
    for augment in (None, aug.RandomShift(3)):
        torch.manual_seed(seed)  # the same initial weights for both
        model = small_cnn()
        fit(
            model,
            (x, y),
            None,
            steps=150,
            batch_size=64,
            optimizer="adam",
            seed=seed,
            augment=augment,
            device="cpu",
            live=False,
            progress=False,
        )
        acc.append(evaluate(model, (moved, y_test))[1])
    return 100 * (acc[1] - acc[0])


_TWO_TOWER = 256 * (96 // 2) * 5 * 5 + 256
exercise_1 = Exercise(
    "01.1",
    Number(
        lambda: sum(p.numel() for p in nn.Conv2d(96, 256, 5, padding=2, groups=2).parameters()),
        form="a whole number (exact), e.g. 123456",
        near=[
            (
                256 * 96 * 25 + 256,
                "that is conv2 as one tower: with groups=2 each filter reads only half of the 96 channels.",
            ),
            (256 * 48 * 25, "add the biases: one per filter."),
            (
                256 * 96 * 25,
                "with groups=2 each filter reads only half of the 96 channels; and add one bias per filter.",
            ),
            (256 * 24 * 25 + 256, "groups=2 halves the input channels each filter reads once, not twice."),
        ],
    ),
    solution="answer = sum(p.numel() for p in nn.Conv2d(96, 256, 5, padding=2, groups=2).parameters())",
    hints=(
        "Each of the 256 filters belongs to one tower and reads only that tower's 48 input channels.",
        "Weights: 256 filters x 48 channels x 5 x 5; then one bias per filter.",
    ),
    wrong=(256 * 96 * 25 + 256, 256 * 48 * 25, 256 * 96 * 25, 256 * 24 * 25 + 256),
    explanation=f"256 filters x (48 x 5 x 5 weights + 1 bias) = {_TWO_TOWER:,}: half of one tower's "
    f"{256 * 96 * 25 + 256:,}, because each GPU's 128 filters see only its own 48 channels.",
)
exercise_2 = Exercise(
    "01.2",
    Predicate(_check_paper_lrn, form="a layer: answer = nn.LocalResponseNorm(size=..., alpha=..., beta=..., k=...)"),
    solution="answer = nn.LocalResponseNorm(size=5, alpha=5 * 1e-4, beta=0.75, k=2.0)",
    hints=(
        "Open nn.LocalResponseNorm's documentation (or run help(nn.LocalResponseNorm)) and compare its "
        "formula with the paper's: what happens to alpha?",
        "PyTorch uses alpha / size where the paper uses alpha; its default k is 1, not 2.",
    ),
    wrong=(
        "answer = nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)",
        "answer = nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75)",
        "answer = nn.LocalResponseNorm(size=5, alpha=1e-4 / 5, beta=0.75, k=2.0)",
        "answer = nn.LocalResponseNorm(size=2, alpha=5e-4, beta=0.75, k=2.0)",
    ),
    explanation="nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0): PyTorch divides alpha by size, "
    "so the paper's 1e-4 is passed as 5 x 1e-4, and k must be set to 2 (PyTorch's default is 1).",
)
exercise_3 = Exercise(
    "01.3",
    Number(
        lambda: lrn_knee(0.05),
        rel=0.02,
        form="a number within 2%, e.g. 12.3",
        near=[
            (lrn_knee(0.10), "that is where the output is 10% below the constant; the question asks for 5%."),
            (
                lrn_knee(0.05, alpha=1e-4 / 5),
                "that uses alpha / 5 (PyTorch's convention); the paper's formula uses alpha itself.",
            ),
            (lrn_knee(0.05, beta=1.0), "keep the exponent beta = 0.75: the ratio is (1 + alpha a^2 / k)^-beta."),
            (lrn_knee(0.05, k=1.0), "k is 2 in the paper (1 is PyTorch's default)."),
        ],
    ),
    solution="answer = (((1 - 0.05) ** (-1 / 0.75) - 1) * 2.0 / 1e-4) ** 0.5",
    hints=(
        "With one active channel the sum of squares is just a^2, so b = a / (k + alpha a^2)^beta, and "
        "b / (a k^-beta) = (1 + alpha a^2 / k)^-beta.",
        "Set (1 + alpha a^2 / k)^-beta = 0.95 and solve for a; check it with your layer from exercise 2.",
    ),
    wrong=(lrn_knee(0.10), lrn_knee(0.05, alpha=1e-4 / 5), lrn_knee(0.05, beta=1.0), lrn_knee(0.05, k=1.0)),
    explanation=f"(1 + 1e-4 a^2 / 2)^-0.75 = 0.95 gives a = {lrn_knee(0.05):.1f}: activations need to be tens, "
    "not the ones of MNIST-scale nets, before the paper's LRN does more than multiply by 2^-0.75.",
)
exercise_4 = Exercise(
    "01.4",
    Number(
        lambda: _rf_pixels("overlap"),
        form="a whole number of pixels (side x side), e.g. 144",
        near=[
            (_rf_by_formula("plain"), "that is the plain 2x2 pooling's window; each 3x3 pooling widens it more."),
            (81, "you stopped at the second convolution; the second pooling widens the window again."),
            (49, "7 x 7 is the size of the output map, not of the window one of its units sees."),
            (121, "count again: each 3x3 stride-2 pooling adds 2 x (the jump so far) to the side."),
        ],
    ),
    solution="table = cl.trace(models.small_cnn(pool='overlap'), (1, 1, 28, 28))\n"
    "answer = next(r.rf for r in table.layers if r.path == 'features.7') ** 2",
    hints=(
        "A layer with kernel k adds (k - 1) x jump to the receptive field's side, and multiplies the "
        "jump by its stride. Start from side 1, jump 1.",
        "conv 3x3, pool 3x3 s2, conv 3x3, pool 3x3 s2; check with cl.trace (the RF column is the side).",
    ),
    wrong=(_rf_by_formula("plain"), 81, 49, 121),
    explanation=f"side 3 -> 5 -> 9 -> 13, so {_rf_by_formula('overlap')} pixels, against "
    f"{_rf_by_formula('plain')} with 2x2 pooling: the overlapping net's units see more of the digit, "
    "one reason the pooling experiment cannot separate overlap from window size.",
)
exercise_5 = Exercise(
    "01.5",
    Number(
        _shift_gain,
        abs=3.0,
        form="a number of percentage points within 3, e.g. 12.5 (negative if it lowers accuracy)",
        near=[
            (0.0, "measure it: train both nets and evaluate them on the moved digits."),
            (1.0, "that is about the gain on the unmoved test digits; evaluate on lesson.shifted(x_test, 0, 3)."),
        ],
    ),
    setup="",
    solution="x, y = cl.load_mnist('train', subset=1_000)\n"
    "x_test, y_test = cl.load_mnist('test', subset=2_000)\n"
    "moved = lesson.shifted(x_test, 0, 3)\n"
    "acc = []\n"
    "for augment in (None, cl.augment.RandomShift(3)):\n"
    "    torch.manual_seed(0)                  # the same initial weights for both\n"
    "    model = models.small_cnn()\n"
    "    cl.fit(model, (x, y), None, steps=150, batch_size=64, optimizer='adam', seed=0,\n"
    "           augment=augment, device='cpu', live=False, progress=False)\n"
    "    acc.append(cl.evaluate(model, (moved, y_test))[1])\n"
    "answer = 100 * (acc[1] - acc[0])",
    hints=(
        "Train two nets that differ only in augment=None against augment=cl.augment.RandomShift(3): "
        "torch.manual_seed(0) right before building each, the same 150 steps with seed=0.",
        "Evaluate both with cl.evaluate on (lesson.shifted(x_test, 0, 3), y_test) and subtract, in points.",
    ),
    wrong=(0.0, -10.0, 1.0, 60.0, 90.0),
    explanation="training on digits moved by up to 3 pixels gains tens of points on digits moved 3 pixels "
    "right: a network learns the invariances its training data shows it, and two max-pools do "
    "not give a 3-pixel shift for free.",
)
