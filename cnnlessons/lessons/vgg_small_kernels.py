"""Lesson 02 helpers: the receptive field measured from gradients, digits placed on a larger
canvas (for the class-score map), the pitfall model, and the exercises.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.vgg_small_kernels import convolutionize, make_layers, mnist_vgg, vgg16
from ._checks import Exercise, Module, Number, Shape

__all__ = [
    "SkippingVGG16",
    "conv_stack",
    "output_sizes",
    "rf_formula",
    "measure_rf",
    "place_digits",
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
    "exercise_5",
    "exercise_6",
]


class SkippingVGG16(nn.Module):
    """A common mistake, rebuilt on purpose: VGG16's layers are all defined, but forward skips the
    third convolution of stages 3, 4 and 5. It runs and has VGG16's parameter count, yet it is a
    13-weight-layer net whose three skipped convolutions never train. Do not copy it."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        widths = {1: (3, 64, 2), 2: (64, 128, 2), 3: (128, 256, 3), 4: (256, 512, 3), 5: (512, 512, 3)}
        for stage, (cin, cout, n) in widths.items():
            for i in range(1, n + 1):
                setattr(self, f"conv{stage}_{i}", nn.Conv2d(cin if i == 1 else cout, cout, 3, padding=1))
        self.pool = nn.MaxPool2d(2)
        self.fc6 = nn.Linear(512 * 7 * 7, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in range(1, 6):
            x = F.relu(getattr(self, f"conv{stage}_1")(x))
            x = F.relu(getattr(self, f"conv{stage}_2")(x))
            # the bug: conv3_3, conv4_3 and conv5_3 are never called
            x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc8(F.relu(self.fc7(F.relu(self.fc6(x)))))


# ---------------------------------------------------------------------------------------------
# Receptive fields: the formula and the measurement
# ---------------------------------------------------------------------------------------------
def output_sizes(size: int, depth: int, kernel: int, stride: int = 1, dilation: int = 1) -> list[int]:
    """Side of the map after each of ``depth`` unpadded layers (the input first). A value below 1
    means the map vanished at that layer."""
    sizes = [size]
    for _ in range(depth):
        sizes.append((sizes[-1] - dilation * (kernel - 1) - 1) // stride + 1)
    return sizes


def rf_formula(depth: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(receptive field, jump) after ``depth`` identical layers: each adds (k - 1) x d x jump, then
    multiplies the jump by its stride."""
    rf, jump = 1, 1
    for _ in range(depth):
        rf += (kernel - 1) * dilation * jump
        jump *= stride
    return rf, jump


def conv_stack(depth: int, kernel: int = 3, stride: int = 1, dilation: int = 1, seed: int = 0) -> nn.Sequential:
    """``depth`` one-channel conv + ReLU layers without padding, with positive weights and a small
    positive bias: every activation is positive, so no ReLU blocks a gradient and no weights cancel
    by chance; a zero gradient then means "outside the receptive field", nothing else."""
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        conv = nn.Conv2d(1, 1, kernel, stride=stride, dilation=dilation)
        with torch.no_grad():
            conv.weight.copy_(torch.rand(conv.weight.shape, generator=g) * 0.5 + 0.5)
            conv.weight /= conv.weight.sum()  # keeps activations near the input's scale
            conv.bias.fill_(0.1)
        layers += [conv, nn.ReLU()]
    return nn.Sequential(*layers)


def measure_rf(
    depth: int, kernel: int = 3, stride: int = 1, dilation: int = 1, size: int = 64, image: torch.Tensor | None = None
) -> dict:
    """Backpropagate from the centre unit of the last layer's map to the input and see which input
    pixels get a non-zero gradient: that set IS the receptive field, measured.

    Returns ``grad`` (size x size, |d out / d input|), ``side`` (height and width of the smallest
    box holding the non-zero pixels), ``nonzero`` (how many pixels inside it), ``box``
    (top, left, height, width), ``unit`` (row, column of the output unit), ``out_size``.
    Raises ValueError when the map shrinks below one pixel.
    """
    sizes = output_sizes(size, depth, kernel, stride, dilation)
    if min(sizes) < 1:
        layer = next(i for i, s in enumerate(sizes) if s < 1)
        raise ValueError(
            f"the map shrinks below 1 pixel at layer {layer} (sizes {sizes[:layer]} then nothing): "
            f"a {kernel} x {kernel} kernel with dilation {dilation} needs "
            f"{dilation * (kernel - 1) + 1} pixels. Use fewer layers, a smaller kernel, "
            "stride or dilation."
        )
    x = (
        image.reshape(1, 1, size, size).clone().float() if image is not None else torch.ones(1, 1, size, size)
    ).requires_grad_(True)
    out = conv_stack(depth, kernel, stride, dilation)(x)
    r, c = out.shape[-2] // 2, out.shape[-1] // 2
    out[0, 0, r, c].backward()
    grad = x.grad[0, 0].abs()
    rows, cols = torch.nonzero(grad > 0, as_tuple=True)
    top, left = int(rows.min()), int(cols.min())
    h, w = int(rows.max()) - top + 1, int(cols.max()) - left + 1
    return {
        "grad": grad,
        "side": (h, w),
        "nonzero": int((grad > 0).sum()),
        "box": (top, left, h, w),
        "unit": (r, c),
        "out_size": sizes[-1],
    }


# ---------------------------------------------------------------------------------------------
# Digits on a larger canvas
# ---------------------------------------------------------------------------------------------
def place_digits(
    images: torch.Tensor, positions: list[tuple[int, int]], height: int, width: int, background: float | None = None
) -> torch.Tensor:
    """A (1, 1, height, width) canvas with each 28 x 28 image pasted with its top-left corner at
    (row, col). Images are normalized MNIST digits; the canvas is filled with MNIST's background
    value (the normalized 0) unless ``background`` is given; overlaps keep the brighter pixel."""
    from ..data import MNIST_MEAN, MNIST_STD

    fill = -MNIST_MEAN / MNIST_STD if background is None else background
    canvas = torch.full((1, 1, height, width), fill)
    for img, (r, c) in zip(images, positions):
        if r < 0 or c < 0 or r + 28 > height or c + 28 > width:
            raise ValueError(f"a digit at ({r}, {c}) does not fit in {height} x {width}")
        patch = canvas[0, 0, r : r + 28, c : c + 28]
        canvas[0, 0, r : r + 28, c : c + 28] = torch.maximum(patch, img.reshape(28, 28))
    return canvas


# ---------------------------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------------------------
def _vgg16_rf(path: str = "features.28") -> int:
    from ..trace import trace

    with torch.device("meta"):
        model = vgg16()
    return trace(model, (1, 3, 224, 224)).row(path).rf


def _half_weights_n() -> int:
    return next(n for n in range(1, 20) if n * 9 < (2 * n + 1) ** 2 / 2)


def _stage_reference() -> nn.Module:
    return make_layers([64, 64, "M"], in_channels=32)


def _no_relu_stage() -> nn.Module:
    return nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1), nn.MaxPool2d(2))


def _score_map_shape() -> tuple[int, ...]:
    with torch.device("meta"):
        fcn = convolutionize(mnist_vgg())
        return tuple(fcn(torch.empty(1, 1, 84, 140)).shape)


def _dilated_fraction() -> float:
    m = measure_rf(depth=2, kernel=5, dilation=2, size=48)
    h, w = m["side"]
    return m["nonzero"] / (h * w)


def _gap_vgg16_params() -> int:
    with torch.device("meta"):
        features = vgg16().features
    return sum(p.numel() for p in features.parameters()) + 512 * 1000 + 1000


exercise_1 = Exercise(
    "02.1",
    Number(
        lambda: _vgg16_rf("features.28"),
        form="a whole number of input pixels on a side (exact)",
        near=[
            (_vgg16_rf("features.30"), "that is after the last max-pool; the question stops at the last convolution"),
            (27, "13 layers of 3 x 3 give 27 only without pooling: each pool doubles the jump"),
            (_vgg16_rf("features.26"), "one convolution short: count conv5_3 too"),
        ],
    ),
    solution=(
        "with torch.device('meta'):\n    vgg = models.vgg16()\n"
        "answer = cl.trace(vgg, (1, 3, 224, 224)).row('features.28').rf"
    ),
    hints=(
        "Use rf += (k - 1) x jump for each layer, and jump *= stride after each 2 x 2 max-pool "
        "(which also adds (2 - 1) x jump to the receptive field).",
        "Stage 1 ends at 6 with jump 2 after its pool; stage 2 ends at 16 with jump 4.",
    ),
    wrong=(_vgg16_rf("features.30"), 27, _vgg16_rf("features.26"), 224),
    explanation="Each stage's 3 x 3 layers add 2 x jump, each pool adds jump and doubles it: 196 pixels, "
    "nearly the whole 224 x 224 image, for one unit of conv5_3.",
)

exercise_2 = Exercise(
    "02.2",
    Number(
        _half_weights_n,
        form="a whole number of layers (exact)",
        near=[
            (_half_weights_n() - 1, "check the ratio (2n + 1)^2 / (9n) at that n: it is not above 2 yet"),
            (_half_weights_n() + 1, "a smaller n already does it"),
        ],
    ),
    solution="answer = next(n for n in range(1, 20) if 9 * n < (2 * n + 1) ** 2 / 2)",
    hints=(
        "n stacked 3 x 3 layers have 9n C^2 weights; one layer with the same receptive field is "
        "(2n + 1) x (2n + 1) and has (2n + 1)^2 C^2.",
        "Find the first n with (2n + 1)^2 / (9n) > 2.",
    ),
    wrong=(_half_weights_n() - 1, _half_weights_n() + 1, 2, 7),
    explanation="(2n + 1)^2 / 9n is 1.81 at n = 3 and 2.25 at n = 4: from four layers on, the stack needs "
    "less than half the weights.",
)

exercise_3 = Exercise(
    "02.3",
    Module(
        _stage_reference,
        (2, 32, 16, 16),
        near=[
            (_no_relu_stage, "each convolution needs its own ReLU: that is VGG's extra nonlinearity"),
            (
                lambda: nn.Sequential(nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)),
                "one 5 x 5 convolution sees the same 5 x 5 window, but VGG stacks two 3 x 3 ones",
            ),
        ],
    ),
    solution=(
        "answer = nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True),\n"
        "                       nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(inplace=True),\n"
        "                       nn.MaxPool2d(2))"
    ),
    hints=(
        "Two convolutions of 3 x 3 with padding 1 keep the size; the max-pool halves it.",
        "The first convolution reads 32 channels and writes 64; the second reads 64.",
    ),
    wrong=(
        "answer = nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1), nn.MaxPool2d(2))",
        "answer = nn.Sequential(nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2))",
        "answer = nn.Sequential(nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))",
        "answer = nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU())",
    ),
    explanation="conv 3x3 (32 -> 64) - ReLU - conv 3x3 (64 -> 64) - ReLU - max-pool 2x2: one VGG stage, as "
    "make_layers([64, 64, 'M'], in_channels=32) builds it.",
)

exercise_4 = Exercise(
    "02.4",
    Shape(_score_map_shape, batch=True, form="a shape (N, C, H, W), e.g. (1, 10, 3, 4)"),
    solution=(
        "with torch.device('meta'):\n    fcn = models.convolutionize(models.mnist_vgg())\n"
        "    answer = tuple(fcn(torch.empty(1, 1, 84, 140)).shape)"
    ),
    hints=(
        "The three max-pools divide the height and width by 8, rounding down.",
        "The first classifier layer becomes a 3 x 3 convolution without padding: it removes 2 rows and 2 columns.",
    ),
    wrong=((1, 10, 10, 17), (1, 10, 3, 5), (1, 64, 8, 15), (1, 10, 9, 16)),
    explanation="84 / 8 -> 10 and 140 / 8 -> 17 (rounded down), minus 2 for the 3 x 3 classifier kernel: "
    "8 x 15 windows, 10 class scores each.",
)

exercise_5 = Exercise(
    "02.5",
    Number(
        _dilated_fraction,
        abs=0.01,
        fraction=True,
        form="a fraction between 0 and 1, 2 digits (within 0.01)",
        near=[(1.0, "look again: with dilation 2 the kernel skips every other pixel")],
    ),
    solution=(
        "m = lesson.measure_rf(depth=2, kernel=5, dilation=2, size=48)\n"
        "answer = m['nonzero'] / (m['side'][0] * m['side'][1])"
    ),
    hints=(
        "With dilation 2 a 5 x 5 kernel reads the input at offsets -4, -2, 0, 2, 4.",
        "Two such layers add their offsets: which offsets from -8 to 8 can you reach?",
    ),
    wrong=(1.0, 25 / 289, 0.5, 81 / 169),
    explanation="Offsets -8, -6, ..., 8 (9 values) in each direction: 81 of the 17 x 17 = 289 pixels. The "
    "formula's receptive field (17) is the span; inside it the stack sees a grid with holes.",
)

exercise_6 = Exercise(
    "02.6",
    Number(
        _gap_vgg16_params,
        form="a whole number (exact)",
        near=[
            (_gap_vgg16_params() - 1000, "the new Linear layer has 1,000 biases too"),
            (_gap_vgg16_params() - 513_000, "the new Linear(512, 1000) layer has parameters too"),
        ],
    ),
    solution=(
        "with torch.device('meta'):\n    vgg = models.vgg16()\n"
        "answer = sum(p.numel() for p in vgg.features.parameters()) + 512 * 1000 + 1000"
    ),
    hints=(
        "Keep VGG16's 13 convolutions (vgg.features) and count their parameters.",
        "Global average pooling has no parameters; the Linear(512, 1000) has 512 x 1000 weights and 1,000 biases.",
    ),
    wrong=(_gap_vgg16_params() - 1000, _gap_vgg16_params() - 513_000, 138_357_544, 512 * 1000 + 1000),
    explanation="14,714,688 in the convolutions + 513,000: about 11% of VGG16's parameters, for the same "
    "features. NiN (lesson 03) and GoogLeNet (04) use this head.",
)
