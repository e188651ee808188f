"""Lesson 06 helpers: the degradation runs, gradient norms at initialization, and the exercises.

The notebook trains plain and residual twins (``models.mnist_resnet``, option A shortcuts, equal
parameters) and measures each convolution's gradient before training; the depth widget
(``cnnlessons.widgets.residual``) browses what these functions return.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..models.residual import mnist_resnet
from ._checks import Choice, Exercise, Module, Number

# --- Training loss of plain and residual twins ---------------------------------------------------


def running_mean(values: Sequence[float], window: int = 50) -> list[float]:
    """Mean of the last ``window`` values at each step (fewer at the start)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def degradation_runs(
    train_data: tuple[torch.Tensor, torch.Tensor],
    depths: Sequence[int] = (8, 20, 32),
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 150,
    lr: float = 0.1,
    batch_size: int = 64,
    device: torch.device | str | None = None,
    verbose: bool = True,
) -> dict[tuple[int, bool, int], list[float]]:
    """Train plain and residual twins of each depth from each seed; return the per-step training loss.

    Keys are ``(depth, residual, seed)``. SGD with momentum 0.9 at a constant ``lr``; no test set
    is evaluated (the claim is about fitting the training data).
    """
    from ..device import seed_everything
    from ..train import fit

    runs: dict[tuple[int, bool, int], list[float]] = {}
    for depth in depths:
        for residual in (False, True):
            for seed in seeds:
                seed_everything(seed)
                model = mnist_resnet(depth, residual=residual)
                hist = fit(
                    model,
                    train_data,
                    None,
                    steps=steps,
                    batch_size=batch_size,
                    optimizer="sgd",
                    lr=lr,
                    momentum=0.9,
                    seed=seed,
                    device=device,
                    live=False,
                    progress=False,
                )
                runs[depth, residual, seed] = list(hist.step_loss)
                if verbose:
                    tail = sum(hist.step_loss[-50:]) / len(hist.step_loss[-50:])
                    print(
                        f"{'residual' if residual else 'plain':8s} {depth:2d} layers, seed {seed}: "
                        f"mean training loss of the last 50 steps {tail:.3f}"
                    )
    return runs


def final_loss(
    runs: dict[tuple[int, bool, int], list[float]], depth: int, residual: bool, seed: int, last: int = 50
) -> float:
    """Mean training loss over the last ``last`` steps of one run."""
    losses = runs[depth, residual, seed]
    return sum(losses[-last:]) / len(losses[-last:])


# --- Gradient norms at initialization -------------------------------------------------------------


def conv_grad_norms(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, relative: bool = True
) -> list[tuple[str, float]]:
    """One forward and backward pass on (x, y); for each convolution on the main path, in forward
    order, the norm of its weight's gradient, divided by the norm of the weight when ``relative``.

    ||grad|| / ||weight|| is the size of one SGD step (times the learning rate) relative to the
    weight itself, so layers of different sizes can be compared. Shortcut projections are left out.
    """
    model.train()
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    norms = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d) and "shortcut" not in name and "downsample" not in name:
            g = m.weight.grad.norm().item()
            norms.append((name, g / m.weight.norm().item() if relative else g))
    model.zero_grad(set_to_none=True)
    return norms


def gradient_norms(
    x: torch.Tensor,
    y: torch.Tensor,
    depths: Sequence[int] = (8, 20, 32),
    seeds: Sequence[int] = (0, 1, 2),
    batch_norm: Sequence[bool] = (True, False),
) -> dict[tuple[int, bool, bool, int], list[float]]:
    """Relative gradient norm of every main-path convolution at initialization.

    Keys are ``(depth, residual, batch_norm, seed)``; values list the convolutions from the input
    (index 0, the stem) to the output.
    """
    out: dict[tuple[int, bool, bool, int], list[float]] = {}
    for depth in depths:
        for bn in batch_norm:
            for residual in (False, True):
                for seed in seeds:
                    torch.manual_seed(seed)
                    model = mnist_resnet(depth, residual=residual, batch_norm=bn).to(x.device)
                    out[depth, residual, bn, seed] = [n for _, n in conv_grad_norms(model, x, y)]
    return out


def first_last_ratio(norms: Sequence[float]) -> float:
    """The first convolution's (relative) gradient norm over the last one's: > 1 grows toward the input."""
    return norms[0] / norms[-1]


# --- Exercises ------------------------------------------------------------------------------------


def _reference_block() -> nn.Module:
    from ..models.residual import BasicBlock

    return BasicBlock(16, 16)


class _NoShortcut(nn.Module):
    """The plain twin: the same layers, output ReLU(F(x))."""

    def __init__(self, c: int = 16) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


class _NoInnerReLU(_NoShortcut):
    """Two conv-BN layers with no ReLU between them: F is linear."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))) + x)


class _ReLUBeforeAdd(_NoShortcut):
    """ReLU(F(x)) + x: the output can be negative wherever x is."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))) + x


_BLOCK_CODE = """
class YourBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        f = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))   # F(x)
        return torch.relu(f + x)
"""

exercise_1 = Exercise(
    "06.1",
    Module(
        _reference_block,
        (2, 16, 14, 14),
        near=[
            (_NoShortcut, "your block never adds its input x: y = ReLU(F(x) + x), the add before the last ReLU."),
            (_NoInnerReLU, "there is no ReLU between the two convolutions: conv-BN-ReLU, then conv-BN."),
            (_ReLUBeforeAdd, "the last ReLU comes after the addition, not before it: ReLU(F(x) + x)."),
        ],
    ),
    solution=_BLOCK_CODE + "answer = YourBlock(16)",
    hints=(
        "Two 3x3 convolutions with padding 1 and 16 channels, each followed by BatchNorm2d(16); a ReLU between them.",
        "forward: f = bn2(conv2(relu(bn1(conv1(x))))), then return relu(f + x).",
    ),
    wrong=(
        _BLOCK_CODE.replace("torch.relu(f + x)", "torch.relu(f)") + "answer = YourBlock(16)",
        _BLOCK_CODE.replace("torch.relu(f + x)", "torch.relu(x)") + "answer = YourBlock(16)",
        _BLOCK_CODE.replace("torch.relu(self.bn1(self.conv1(x)))", "self.bn1(self.conv1(x))")
        + "answer = YourBlock(16)",
    ),
    explanation="y = ReLU(F(x) + x) with F = conv-BN-ReLU-conv-BN: with F's weights at zero it passes ReLU(x) on.",
)


def _reference_shortcut() -> nn.Module:
    from ..models.residual import ShortcutA

    return ShortcutA(16, 32, stride=2)


class _PadNoSubsample(nn.Module):
    """Zero channels added but the size kept: the shapes of x and F(x) would not match."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (0, 0, 0, 0, 0, 16))


class _PadFirst(nn.Module):
    """Subsampled, but the zero channels put in front of x's channels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 16, 0))


class _AvgPoolPad(nn.Module):
    """Averages each 2x2 window instead of taking every second pixel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(F.avg_pool2d(x, 2, ceil_mode=True), (0, 0, 0, 0, 0, 16))


_SHORTCUT_CODE = """
class YourShortcutA(nn.Module):
    def forward(self, x):
        x = x[:, :, ::2, ::2]                       # every second row and column: 14x14 -> 7x7
        zeros = torch.zeros_like(x)                 # 16 more channels, all zero
        return torch.cat([x, zeros], dim=1)         # N x 32 x 7 x 7
"""

exercise_2 = Exercise(
    "06.2",
    Module(
        _reference_shortcut,
        (2, 16, 14, 14),
        near=[
            (
                _PadNoSubsample,
                "the shortcut must also halve the size, like the stride-2 convolution: x[:, :, ::2, ::2].",
            ),
            (_PadFirst, "keep x's 16 channels first and append the 16 zero channels after them."),
            (_AvgPoolPad, "option A subsamples (takes every second row and column); it does not average."),
        ],
        form="an nn.Module instance with no parameters, e.g. YourShortcutA()",
    ),
    solution=_SHORTCUT_CODE + "answer = YourShortcutA()",
    hints=(
        "Two steps: keep every second row and column (x[:, :, ::2, ::2]), then append 16 channels of zeros.",
        "torch.cat([x, torch.zeros_like(x)], dim=1) doubles the channels with zeros.",
    ),
    wrong=(
        "answer = nn.Conv2d(16, 32, 1, stride=2, bias=False)",
        _SHORTCUT_CODE.replace("x[:, :, ::2, ::2]", "x") + "answer = YourShortcutA()",
        _SHORTCUT_CODE.replace("[x, zeros]", "[zeros, x]") + "answer = YourShortcutA()",
    ),
    explanation="option A: subsample by 2 and pad the new channels with zeros; no parameters, so "
    "plain and residual twins stay equal in size.",
)


def _option_b_extra() -> int:
    # 1x1 conv (no bias) + BN at the two stage changes, 16 -> 32 and 32 -> 64.
    return sum(cin * cout + 2 * cout for cin, cout in ((16, 32), (32, 64)))


exercise_3 = Exercise(
    "06.3",
    Number(
        _option_b_extra,
        form="a whole number, e.g. 1234",
        near=[
            (16 * 32 + 32 * 64, "add the BatchNorm after each projection: a scale and a shift per output channel."),
            (16 * 32 + 32 * 64 + 32 + 64, "a BatchNorm has two parameters per channel (scale and shift)."),
        ],
    ),
    solution="answer = (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)",
    hints=(
        "Option B puts a 1x1 convolution (stride 2, no bias) and a BatchNorm on the two shortcuts where "
        "the shape changes: 16 -> 32 and 32 -> 64 channels.",
        "A 1x1 convolution from c_in to c_out has c_in x c_out weights; its BatchNorm adds 2 x c_out.",
    ),
    wrong=(16 * 32 + 32 * 64, 16 * 32 + 32 * 64 + 32 + 64, 2 * (16 * 32 + 32 * 64)),
    explanation="(16 x 32 + 2 x 32) + (32 x 64 + 2 x 64) parameters, at every depth: option B only adds "
    "projections where a stage starts.",
)


def he_init_(model: nn.Module) -> nn.Module:
    """He (Kaiming) normal initialization for every convolution (fan_in, ReLU gain), biases zero."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


_HE_CODE = """
g = torch.Generator().manual_seed(0)
idx = torch.randperm(len(x_train), generator=g)[:128]
torch.manual_seed(0)
net = lesson.he_init_(models.mnist_resnet(32, residual=False, batch_norm=False))
norms = [n for _, n in lesson.conv_grad_norms(net, x_train[idx], y_train[idx])]
ratio = norms[0] / norms[-1]
answer = "vanishes" if ratio < 1e-3 else "explodes" if ratio > 1e3 else "healthy"
"""

exercise_4 = Exercise(
    "06.4",
    Choice(
        "healthy",
        options={
            "vanishes": ("vanishes", "vanish", "vanishing"),
            "healthy": ("healthy", "within", "same order", "neither"),
            "explodes": ("explodes", "explode", "exploding", "grows"),
        },
        near={
            "vanishes": "measure it: with He initialization the stem's relative gradient is within a factor of "
            "about ten of the last convolution's.",
            "explodes": "measure it: without BatchNorm and with He initialization nothing blows up at 32 layers.",
        },
    ),
    solution=_HE_CODE,
    setup="x_train, y_train = cl.load_mnist('train', subset=10_000)",
    hints=(
        "Build models.mnist_resnet(32, residual=False, batch_norm=False), call lesson.he_init_(net), and "
        "measure lesson.conv_grad_norms(net, x, y) on 128 training images.",
        "Compare the first convolution's relative gradient with the last one's: below 1/1000 is "
        "'vanishes', above 1000 'explodes', anything between 'healthy'.",
    ),
    wrong=("vanishes", "explodes", "vanish"),
    explanation="He initialization keeps each ReLU layer's output variance the same, so the "
    "gradient reaches the stem without BatchNorm too (PyTorch's default initialization "
    "shrinks it at every layer).",
)

__all__ = [
    "running_mean",
    "degradation_runs",
    "final_loss",
    "conv_grad_norms",
    "gradient_norms",
    "first_last_ratio",
    "he_init_",
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
]
