"""Lesson 04 helpers: cost arithmetic, a plain CNN to compare with, a gradient recorder, the
pitfall model (classifiers built inside ``forward``) and the exercises' check functions.

Each ``check_...`` prints what is right or wrong and returns True or False; the right answer
is always computed from a model built here, never typed in.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.inception import InceptionANet, googlenet
from ..trace import TraceError, trace
from ._checks import missing as _missing, report as _report


# ---------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------
def conv_mult_adds(c_in: int, c_out: int, kernel: int, height: int = 28, width: int = 28) -> int:
    """Multiply-adds of a stride-1, size-keeping convolution, bias left out:
    H x W x c_out x (kernel x kernel x c_in). One per weight per output pixel."""
    return height * width * c_out * kernel * kernel * c_in


def count_weights(module: nn.Module) -> int:
    """Convolution and linear weights only, biases left out: how the paper and the source count."""
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


def count_params(module: nn.Module) -> int:
    """Every trainable number: weights, biases and BatchNorm scales and shifts."""
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------------------------------------
# A plain CNN of about the InceptionA net's size (97k parameters), for a fair comparison
# ---------------------------------------------------------------------------------------------
class PlainCNN(nn.Module):
    """Two 5x5 convolutions (16, 32 filters) with max-pooling, then a hidden layer of 160 units:
    96,938 parameters, close to the InceptionA net's 97,298, with no parallel branches."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=5)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5)
        self.fc1 = nn.Linear(32 * 4 * 4, 160)
        self.fc2 = nn.Linear(160, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = F.relu(F.max_pool2d(self.conv1(x), 2))  # N x 16 x 12 x 12
        x = F.relu(F.max_pool2d(self.conv2(x), 2))  # N x 32 x 4 x 4
        x = F.relu(self.fc1(torch.flatten(x, 1)))   # N x 160
        return self.fc2(x)                          # N x 10


def plain_cnn(num_classes: int = 10) -> PlainCNN:
    """A plain CNN with about as many parameters as ``InceptionANet`` (see ``PlainCNN``)."""
    return PlainCNN(num_classes)


# ---------------------------------------------------------------------------------------------
# Gradient norms during training (for cl.fit's on_step hook)
# ---------------------------------------------------------------------------------------------
class GradNormRecorder:
    """``cl.fit(..., on_step=rec)`` calls ``rec(model, step, loss)`` after backward; this records
    the L2 norm of the gradient of the parameters under ``module`` (e.g. ``"stem"``)."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.norms: list[float] = []
        self.losses: list[float] = []

    def __call__(self, model: nn.Module, step: int, loss: torch.Tensor) -> None:
        grads = [p.grad for p in model.get_submodule(self.module).parameters() if p.grad is not None]
        self.norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
        self.losses.append(float(loss))

    def mean(self, first: int | None = None) -> float:
        """Mean gradient norm over the first ``first`` steps (all when None)."""
        values = self.norms[:first] if first else self.norms
        return sum(values) / len(values)


# ---------------------------------------------------------------------------------------------
# The pitfall: auxiliary classifiers built inside forward
# ---------------------------------------------------------------------------------------------
class HeadsBuiltInForward(nn.Module):
    """A small net that, like the source's GoogLeNet, creates its auxiliary classifier inside
    ``forward``. Each call makes a new, randomly initialized head: it is not a submodule, so its
    weights are not in ``parameters()``, no optimizer sees them and they never learn.
    ``fixed=True`` builds the head once in ``__init__``, which is the fix."""

    def __init__(self, num_classes: int = 10, fixed: bool = False) -> None:
        super().__init__()
        self.fixed = fixed
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))  # 8 x 14 x 14
        self.fc = nn.Linear(8 * 14 * 14, num_classes)
        self.aux = nn.Linear(8 * 14 * 14, num_classes) if fixed else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | torch.Tensor:
        x = torch.flatten(self.features(x), 1)  # N x 1568
        head = self.aux if self.fixed else nn.Linear(x.shape[1], self.fc.out_features)  # the bug: new each call
        aux = head(x)                           # N x 10
        main = self.fc(x)                       # N x 10
        return (main, aux) if self.training else main


# ---------------------------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------------------------


def check_branch_mult_adds(answer: int | None, in_channels: int = 192, reduce: int = 16, out_channels: int = 32,
                           kernel: int = 5, size: int = 28) -> bool:
    """Exercise: multiply-adds (no biases) of a reduced branch, 1x1 ``reduce`` then
    ``kernel`` x ``kernel`` ``out_channels``, on a ``size`` x ``size`` x ``in_channels`` input.
    The defaults are the 5x5 branch of GoogLeNet's inception (3a)."""
    if _missing(answer):
        return False
    first = conv_mult_adds(in_channels, reduce, 1, size, size)
    second = conv_mult_adds(reduce, out_channels, kernel, size, size)
    truth = first + second
    if int(answer) == first or int(answer) == second:
        return _report(False, "", f"{int(answer):,} is one of the two convolutions only: add the other one.")
    if int(answer) == conv_mult_adds(in_channels, out_channels, kernel, size, size):
        return _report(False, "", f"{int(answer):,} is the naive branch (the {kernel}x{kernel} on all {in_channels} "
                                  f"channels): the 1x1 reduction to {reduce} comes first.")
    return _report(
        int(answer) == truth,
        f"{first:,} (1x1) + {second:,} ({kernel}x{kernel}) = {truth:,} multiply-adds.",
        f"{int(answer):,} is not it. Each convolution costs H x W x c_out x k x k x c_in: the 1x1 reads "
        f"{in_channels} channels, the {kernel}x{kernel} reads the {reduce} reduced ones.",
    )


def check_fc_in_features(answer: int | None, image_size: int = 32) -> bool:
    """Exercise: the classifier's input features of ``InceptionANet`` on ``image_size`` x
    ``image_size`` images. The check builds the net with your number and traces it."""
    if _missing(answer):
        return False
    try:
        trace(InceptionANet(fc_in_features=int(answer)), (1, 1, image_size, image_size), receptive_field=False)
    except TraceError as err:
        return _report(False, "", f"with fc_in_features={int(answer)} the net fails on {image_size}x{image_size} images "
                                  f"at `{err.failing_path}`. Work through the shapes: conv 5x5 (no padding), "
                                  f"max-pool /2, block (88 channels), conv 5x5, max-pool /2, block; then "
                                  f"channels x height x width. (cl.trace on the model tells you too.)")
    return _report(True, f"{int(answer)} features reach the classifier on {image_size}x{image_size} images.", "")


def check_block_channels(answer: int | None, block: str = "inception4e") -> bool:
    """Exercise: the output channels of one of GoogLeNet's Inception blocks (e.g. "inception4e")."""
    if _missing(answer):
        return False
    with torch.device("meta"):
        net = googlenet(aux_logits=False)
    try:
        module = net.get_submodule(block)
    except AttributeError:
        names = [n for n, _ in net.named_children() if n.startswith("inception")]
        return _report(False, "", f"GoogLeNet has no block {block!r}; try one of {names}.")
    truth = module.out_channels
    return _report(
        int(answer) == truth,
        f"{block} gives {truth} channels.",
        f"{int(answer)} is not it: add the outputs of the four branches (1x1, 3x3, 5x5, pool projection); "
        f"the reductions (3x3red, 5x5red) do not reach the output.",
    )
