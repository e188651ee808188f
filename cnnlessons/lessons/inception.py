"""Lesson 04 helpers: a plain CNN to compare with, a gradient recorder, the model with a common
mistake (auxiliary classifiers built inside ``forward``) and the lesson's exercises.

The cost formula is lesson 03's (``conv_mult_adds``): one definition, imported here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.inception import Inception, InceptionANet, googlenet
from ._checks import Exercise, Module, Number
from .one_by_one import conv_mult_adds

__all__ = [
    "conv_mult_adds",
    "PlainCNN",
    "plain_cnn",
    "GradNormRecorder",
    "HeadsBuiltInForward",
    "is_affine",
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
    "exercise_5",
]


# ---------------------------------------------------------------------------------------------
# A plain CNN of about InceptionA (MNIST)'s size (97k parameters), for a fair comparison
# ---------------------------------------------------------------------------------------------
class PlainCNN(nn.Module):
    """Two 5x5 convolutions (16, 32 filters) with max-pooling, then a hidden layer of 160 units:
    96,938 parameters, close to InceptionA (MNIST)'s 97,298, with no parallel branches."""

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
        x = F.relu(self.fc1(torch.flatten(x, 1)))  # N x 160
        return self.fc2(x)  # N x 10


def plain_cnn(num_classes: int = 10) -> PlainCNN:
    """A plain CNN with about as many parameters as ``InceptionANet`` (see ``PlainCNN``)."""
    return PlainCNN(num_classes)


# ---------------------------------------------------------------------------------------------
# Is a block linear? (the block of InceptionA (MNIST) has no ReLU inside its branches)
# ---------------------------------------------------------------------------------------------
def is_affine(block: nn.Module, input_shape: tuple[int, ...], seed: int = 0, tol: float = 1e-4) -> bool:
    """True when ``block(a + b) == block(a) + block(b) - block(0)`` for random ``a``, ``b``: the
    block is a linear map plus a constant (an affine map), whatever its depth."""
    gen = torch.Generator().manual_seed(seed)
    a, b = torch.randn(input_shape, generator=gen), torch.randn(input_shape, generator=gen)
    with torch.no_grad():
        f = block.eval()
        lhs, rhs = f(a + b), f(a) + f(b) - f(torch.zeros(input_shape))
    return bool(torch.allclose(lhs, rhs, atol=tol * float(lhs.abs().max()) + 1e-6, rtol=tol))


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
# A common mistake: auxiliary classifiers built inside forward
# ---------------------------------------------------------------------------------------------
class HeadsBuiltInForward(nn.Module):
    """A small net that creates its auxiliary classifier inside ``forward``, a common mistake.
    Each call makes a new, randomly initialized head: it is not a submodule, so its weights are
    not in ``parameters()``, no optimizer sees them and they never learn. ``fixed=True`` builds
    the head once in ``__init__``, which is the fix."""

    def __init__(self, num_classes: int = 10, fixed: bool = False) -> None:
        super().__init__()
        self.fixed = fixed
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))  # 8 x 14 x 14
        self.fc = nn.Linear(8 * 14 * 14, num_classes)
        self.aux = nn.Linear(8 * 14 * 14, num_classes) if fixed else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | torch.Tensor:
        x = torch.flatten(self.features(x), 1)  # N x 1568
        head = self.aux if self.fixed else nn.Linear(x.shape[1], self.fc.out_features)  # the mistake: new each call
        aux = head(x)  # N x 10
        main = self.fc(x)  # N x 10
        return (main, aux) if self.training else main


# ---------------------------------------------------------------------------------------------
# Exercises (see cnnlessons/lessons/_checks.py); each answer is computed, never typed in
# ---------------------------------------------------------------------------------------------
def _fc_features(image_size: int) -> int:
    """Features InceptionA (MNIST) hands its classifier for square images of ``image_size``."""
    net = InceptionANet()
    x = torch.zeros(1, 1, image_size, image_size)
    with torch.no_grad():
        x = F.relu(net.mp(net.conv1(x)))
        x = F.relu(net.mp(net.conv2(net.incep1(x))))
        return net.incep2(x)[0].numel()


def _aux1_params() -> int:
    with torch.device("meta"):
        net = googlenet(aux_logits=True)
    return sum(p.numel() for p in net.aux1.parameters())


def _madds(ch5x5red: int) -> int:
    """Multiply-adds (FLOPs / 2, no biases) of lesson 04's reduced block with this 5x5 reduction width."""
    from ..trace import trace

    block = Inception(256, 128, 64, 192, ch5x5red, 96, 64, batch_norm=False)
    return trace(block, (1, 256, 28, 28), flops=True, receptive_field=False).total_flops // 2


exercise_1 = Exercise(
    "04.1",
    Number(
        lambda: conv_mult_adds(480, 16, 1, 14, 14) + conv_mult_adds(16, 48, 5, 14, 14),
        form="a whole number, e.g. 1234",
        near=[
            (
                conv_mult_adds(480, 48, 5, 14, 14),
                "that is the naive branch, the 5x5 on all 480 channels: the 1x1 reduction to 16 comes first",
            ),
            (conv_mult_adds(16, 48, 5, 14, 14), "that is the 5x5 convolution only: add the 1x1 reduction"),
            (conv_mult_adds(480, 16, 1, 14, 14), "that is the 1x1 reduction only: add the 5x5"),
            (
                conv_mult_adds(480, 16, 1, 28, 28) + conv_mult_adds(16, 48, 5, 28, 28),
                "block 4a works on 14 x 14 maps (after the third max-pool), not 28 x 28",
            ),
        ],
    ),
    solution="answer = 14 * 14 * 16 * (1 * 1 * 480) + 14 * 14 * 48 * (5 * 5 * 16)",
    hints=(
        "Each convolution costs H x W x c_out x (k x k x c_in); block 4a works on 14 x 14 maps.",
        "The 1x1 reads 480 channels and writes 16; the 5x5 reads those 16 and writes 48. Add the two.",
    ),
    wrong=(conv_mult_adds(480, 48, 5, 14, 14), conv_mult_adds(16, 48, 5, 14, 14), conv_mult_adds(480, 16, 1, 14, 14)),
    explanation="1,505,280 (1x1, 480 -> 16) + 3,763,200 (5x5, 16 -> 48) = 5,268,480 multiply-adds, "
    "against 112,896,000 for a 5x5 on all 480 channels: 21x less.",
)


def _small_block() -> nn.Module:
    return Inception(32, 16, 16, 24, 8, 12, 12, batch_norm=False)


class _NoReLUBlock(nn.Module):
    """The exercise's block without its ReLUs (a plausible wrong answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.b1 = nn.Conv2d(32, 16, 1)
        self.b2 = nn.Sequential(nn.Conv2d(32, 16, 1), nn.Conv2d(16, 24, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(32, 8, 1), nn.Conv2d(8, 12, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(32, 12, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


def _avg_pool_block() -> nn.Module:
    block = _small_block()
    block.branch4[0] = nn.AvgPool2d(3, stride=1, padding=1)
    return block


exercise_2 = Exercise(
    "04.2",
    Module(
        _small_block,
        (2, 32, 14, 14),
        near=[
            (
                lambda: Inception(32, 16, 16, 24, 8, 12, 12, batch_norm=False, kernel5=3),
                "the third branch's large convolution is a 5x5 (padding 2), not a 3x3",
            ),
            (_NoReLUBlock, "every convolution needs its ReLU; without them each branch is one linear map"),
            (_avg_pool_block, "the pool branch starts with a 3x3 max-pool (stride 1, padding 1), not an average pool"),
        ],
    ),
    solution=(
        "class Block(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.b1 = nn.Sequential(nn.Conv2d(32, 16, 1), nn.ReLU())\n"
        "        self.b2 = nn.Sequential(nn.Conv2d(32, 16, 1), nn.ReLU(), nn.Conv2d(16, 24, 3, padding=1), nn.ReLU())\n"
        "        self.b3 = nn.Sequential(nn.Conv2d(32, 8, 1), nn.ReLU(), nn.Conv2d(8, 12, 5, padding=2), nn.ReLU())\n"
        "        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(32, 12, 1), nn.ReLU())\n"
        "\n"
        "    def forward(self, x):\n"
        "        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)\n"
        "\n"
        "answer = Block()"
    ),
    hints=(
        "Four branches, each a small nn.Sequential; every convolution is followed by a ReLU and keeps "
        "14 x 14 (padding 1 for the 3x3, 2 for the 5x5, stride 1 and padding 1 for the max-pool).",
        "forward returns torch.cat([...], dim=1) of the four branch outputs, in the order given: "
        "16 + 24 + 12 + 12 = 64 channels.",
    ),
    wrong=(
        # no ReLU anywhere: the block is linear
        "class Block(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.b1 = nn.Conv2d(32, 16, 1)\n"
        "        self.b2 = nn.Sequential(nn.Conv2d(32, 16, 1), nn.Conv2d(16, 24, 3, padding=1))\n"
        "        self.b3 = nn.Sequential(nn.Conv2d(32, 8, 1), nn.Conv2d(8, 12, 5, padding=2))\n"
        "        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(32, 12, 1))\n"
        "    def forward(self, x):\n"
        "        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)\n"
        "answer = Block()",
        # the naive block: no reductions, pool passed through
        "answer = models.naive_inception(32, 16, 24, 12, batch_norm=False)",
        # average pooling instead of max pooling
        "answer = models.Inception(32, 16, 16, 24, 8, 12, 12, batch_norm=False)\n"
        "answer.branch4[0] = nn.AvgPool2d(3, stride=1, padding=1)",
        # the 5x5 branch as a 3x3
        "answer = models.Inception(32, 16, 16, 24, 8, 12, 12, batch_norm=False, kernel5=3)",
    ),
    explanation="64 output channels (16 + 24 + 12 + 12) at 14 x 14, 7,608 parameters: the same block as "
    "models.Inception(32, 16, 16, 24, 8, 12, 12, batch_norm=False).",
)

exercise_3 = Exercise(
    "04.3",
    Number(
        lambda: _fc_features(32),
        form="a whole number, e.g. 1234",
        near=[
            (lambda: _fc_features(28), "that is the number for 28 x 28 images"),
            (20 * 5 * 5, "the second block widens its 20 input channels to 88 before the flatten"),
            (
                88 * 6 * 6,
                "recount the sizes: a 5x5 convolution without padding takes 4 pixels off "
                "each side's length, and each max-pool halves it (rounding down)",
            ),
        ],
    ),
    solution=(
        "net = models.InceptionANet()\n"
        "x = torch.zeros(1, 1, 32, 32)\n"
        "x = F.relu(net.mp(net.conv1(x)))                  # the layers of net.forward, up to fc\n"
        "x = F.relu(net.mp(net.conv2(net.incep1(x))))\n"
        "answer = net.incep2(x)[0].numel()                 # channels x height x width"
    ),
    hints=(
        "Follow the size: 32 -> conv 5x5 (no padding) -> max-pool /2 -> block (keeps the size, 88 "
        "channels) -> conv 5x5 -> max-pool /2 -> block.",
        "Then channels x height x width. cl.trace(models.InceptionANet(), (1, 1, 32, 32)) fails at fc "
        "with a message that tells you the number: try it after your prediction.",
    ),
    wrong=(1408, 500, 3168),
    explanation="32 -> 28 -> 14 -> 10 -> 5: 88 x 5 x 5 = 2,200 features, so fc would need "
    "nn.Linear(2200, 10); a net that ends in global average pooling would not care.",
)

exercise_4 = Exercise(
    "04.4",
    Number(
        _aux1_params,
        form="a whole number, e.g. 1234",
        near=[
            (lambda: _aux1_params() - 128 - 1024 - 1000, "that leaves out the biases (128 + 1,024 + 1,000)"),
            (lambda: 2048 * 1024 + 1024 + 1024 * 1000 + 1000, "add the 1x1 convolution (512 -> 128)"),
            (
                lambda: 512 * 14 * 14 * 1024,
                "the head pools the 14 x 14 map to 4 x 4 and reduces it to "
                "128 channels before its first fully connected layer",
            ),
        ],
    ),
    solution=(
        "conv = 512 * 128 + 128           # 1x1 convolution, 512 -> 128\n"
        "fc1 = 128 * 4 * 4 * 1024 + 1024  # 4 x 4 x 128 = 2,048 features -> 1,024\n"
        "fc2 = 1024 * 1000 + 1000         # -> 1,000 classes\n"
        "answer = conv + fc1 + fc2"
    ),
    hints=(
        "Pooling has no parameters: count the 1x1 convolution (512 -> 128, with biases) and the two "
        "fully connected layers.",
        "The first fully connected layer reads 4 x 4 x 128 = 2,048 features and has 1,024 units; the "
        "second maps 1,024 to 1,000 classes. Include every bias.",
    ),
    wrong=(3186688, 3123176, 2 * 3188840),
    explanation="65,664 (1x1 conv) + 2,098,176 (fc1) + 1,025,000 (fc2) = 3,188,840: one head has almost half "
    "as many parameters as the whole main network, and is thrown away after training.",
)

exercise_5 = Exercise(
    "04.5",
    Number(
        lambda: _madds(128) - _madds(64),
        form="a whole number, e.g. 1234",
        near=[
            (
                conv_mult_adds(64, 96, 5, 28, 28),
                "that is what the 5x5 convolution adds; its 1x1 reduction (256 -> ch5x5red) doubles too",
            ),
            (
                conv_mult_adds(256, 64, 1, 28, 28),
                "that is what the 1x1 reduction adds; the 5x5 reads twice as many channels too",
            ),
            (lambda: _madds(128), "that is the new total: the question asks how much it grows (new - old)"),
            (lambda: _madds(64), "that is the old total: the question asks how much it grows (new - old)"),
        ],
    ),
    solution=(
        "def cost(red5):\n"
        "    block = models.Inception(256, 128, 64, 192, red5, 96, 64, batch_norm=False)\n"
        "    return cl.trace(block, (1, 256, 28, 28), flops=True).total_flops // 2\n"
        "answer = cost(128) - cost(64)"
    ),
    hints=(
        "Only two terms change: the 1x1 reduction (256 -> ch5x5red) and the 5x5 convolution "
        "(ch5x5red -> 96). Both double.",
        "Or measure: build models.Inception(256, 128, 64, 192, ch5x5red, 96, 64, batch_norm=False) twice and "
        "trace each on (1, 256, 28, 28) with flops=True; FLOPs / 2 are the multiply-adds.",
    ),
    wrong=(conv_mult_adds(64, 96, 5, 28, 28), conv_mult_adds(256, 64, 1, 28, 28), 271_351_808),
    explanation="12,845,056 more for the 1x1 reduction and 120,422,400 more for the 5x5: 133,267,456, the block "
    "grows by about half for one number changed. The reduction width before the 5x5 is the "
    "block's most expensive knob.",
)
