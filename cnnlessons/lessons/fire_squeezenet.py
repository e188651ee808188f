"""Lesson 05 helpers: the squeeze-ratio and bypass experiments, and the exercises.

The notebook trains ``models.mnist_squeezenet`` at several squeeze ratios and shares of 3x3
filters (one knob at a time, as the paper did) and with the three bypass variants; the widget
(``cnnlessons.widgets.fire_squeezenet``) browses the results it returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..models.fire_squeezenet import Fire, mnist_squeezenet
from ._checks import Exercise, Module, Number

# --- Training runs --------------------------------------------------------------------------------


def train_squeezenet(
    model: nn.Module,
    train_data: tuple[torch.Tensor, torch.Tensor],
    test_data: tuple[torch.Tensor, torch.Tensor],
    seed: int,
    steps: int = 150,
    lr: float = 3e-3,
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> float:
    """Adam with a one-cycle schedule (peak ``lr``), ``steps`` steps; the test accuracy (a fraction)
    measured once at the end. The schedule ends each run with a small learning rate, so short runs
    finish settled and settings compare more steadily than at a constant rate."""
    from ..train import evaluate, fit

    fit(
        model,
        train_data,
        None,
        steps=steps,
        batch_size=batch_size,
        optimizer="adam",
        lr=lr,
        schedule="onecycle",
        seed=seed,
        device=device,
        live=False,
        progress=False,
    )
    return evaluate(model, test_data, device=device)[1]


def run_grid(
    settings: Sequence[dict],
    train_data: tuple[torch.Tensor, torch.Tensor],
    test_data: tuple[torch.Tensor, torch.Tensor],
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 150,
    lr: float = 3e-3,
    batch_size: int = 64,
    device: torch.device | str | None = None,
    verbose: bool = True,
) -> list[dict]:
    """Train ``mnist_squeezenet(**setting)`` from each seed for every setting.

    Returns one row per setting: the setting's keyword arguments, ``params`` and ``acc`` (the
    test accuracy of each seed, in percent, in the order of ``seeds``).
    """
    from ..device import seed_everything

    rows = []
    for setting in settings:
        accs = []
        for seed in seeds:
            seed_everything(seed)
            model = mnist_squeezenet(**setting)
            accs.append(100 * train_squeezenet(model, train_data, test_data, seed, steps, lr, batch_size, device))
        params = sum(p.numel() for p in model.parameters())
        rows.append({**setting, "params": params, "acc": accs})
        if verbose:
            text = ", ".join(f"{k}={v}" for k, v in setting.items())
            print(f"{text:42s} {params:7,d} parameters, test accuracy per seed: " + " ".join(f"{a:.2f}" for a in accs))
    return rows


# --- Exercises ------------------------------------------------------------------------------------


def _fire_weights() -> int:
    fire = Fire(128, 16, 64, 64)
    return sum(m.weight.numel() for m in fire.modules() if isinstance(m, nn.Conv2d))


exercise_1 = Exercise(
    "05.1",
    Number(
        _fire_weights,
        form="a whole number, e.g. 1234",
        near=[
            (
                128 * 16 + 16 * 64 + 9 * 16 * 64 + 16 + 64 + 64,
                "the question asks for weights only: leave out the biases.",
            ),
            (
                128 * 16 + 128 * 64 + 9 * 128 * 64,
                "both expand convolutions read the 16 squeezed channels, not the 128 input channels.",
            ),
            (128 * 16 + 9 * 16 * 64, "you left out the 1x1 expand convolution (16 x 64 weights)."),
        ],
    ),
    solution="answer = 128 * 16 + 16 * 64 + 3 * 3 * 16 * 64",
    hints=(
        "Three convolutions: squeeze 1x1 (128 -> 16), expand 1x1 (16 -> 64), expand 3x3 (16 -> 64).",
        "A k x k convolution from c_in to c_out has k x k x c_in x c_out weights.",
    ),
    wrong=(128 * 16 + 16 * 64 + 9 * 16 * 64 + 144, 128 * 16 + 128 * 64 + 9 * 128 * 64, 9 * 128 * 128),
    explanation="128 x 16 + 16 x 64 + 3 x 3 x 16 x 64 weights: the 3x3 filters read 16 channels, not 128.",
)


class _FireNoReLU(nn.Module):
    """A Fire module without any ReLU: a linear map."""

    def __init__(self) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(96, 16, 1)
        self.expand1x1 = nn.Conv2d(16, 64, 1)
        self.expand3x3 = nn.Conv2d(16, 64, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(x)
        return torch.cat([self.expand1x1(s), self.expand3x3(s)], dim=1)


class _FireNoSqueezeReLU(_FireNoReLU):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(x)
        return torch.cat([torch.relu(self.expand1x1(s)), torch.relu(self.expand3x3(s))], dim=1)


class _FireExpandFromInput(nn.Module):
    """Expand convolutions reading the input instead of the squeezed channels (no saving at all)."""

    def __init__(self) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(96, 16, 1)
        self.expand1x1 = nn.Conv2d(96, 64, 1)
        self.expand3x3 = nn.Conv2d(96, 64, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.expand1x1(x)), torch.relu(self.expand3x3(x))], dim=1)


_FIRE_CODE = """
class YourFire(nn.Module):
    def __init__(self, inplanes, squeeze, e1x1, e3x3):
        super().__init__()
        self.squeeze = nn.Conv2d(inplanes, squeeze, kernel_size=1)
        self.expand1x1 = nn.Conv2d(squeeze, e1x1, kernel_size=1)
        self.expand3x3 = nn.Conv2d(squeeze, e3x3, kernel_size=3, padding=1)

    def forward(self, x):
        s = torch.relu(self.squeeze(x))
        return torch.cat([torch.relu(self.expand1x1(s)), torch.relu(self.expand3x3(s))], dim=1)
"""

exercise_2 = Exercise(
    "05.2",
    Module(
        lambda: Fire(96, 16, 64, 64),
        (2, 96, 14, 14),
        ignore_bias=True,
        near=[
            (_FireNoReLU, "a Fire module has a ReLU after the squeeze and after each expand convolution."),
            (_FireNoSqueezeReLU, "add the ReLU after the squeeze convolution too."),
        ],
        form="an nn.Module instance, e.g. YourFire(96, 16, 64, 64)",
    ),
    solution=_FIRE_CODE + "answer = YourFire(96, 16, 64, 64)",
    hints=(
        "Three convolutions: squeeze 1x1 (96 -> 16), then two expand convolutions that both read the "
        "16 squeezed channels: 1x1 (16 -> 64) and 3x3 with padding 1 (16 -> 64).",
        "forward: s = relu(squeeze(x)); return torch.cat([relu(expand1x1(s)), relu(expand3x3(s))], dim=1).",
    ),
    wrong=(
        _FIRE_CODE.replace("torch.relu(self.squeeze(x))", "self.squeeze(x)") + "answer = YourFire(96, 16, 64, 64)",
        _FIRE_CODE.replace("kernel_size=3, padding=1", "kernel_size=3") + "answer = YourFire(96, 16, 64, 64)",
        "answer = nn.Conv2d(96, 128, kernel_size=3, padding=1)",
    ),
    explanation="squeeze (1x1) -> ReLU -> [expand 1x1 | expand 3x3] -> ReLU -> concatenate: 128 channels, "
    "the same size as the input.",
)


def _fire_with_bypass() -> nn.Module:
    return Fire(128, 16, 64, 64, bypass="simple")


def _fire_no_bypass() -> nn.Module:
    return Fire(128, 16, 64, 64)


class _BypassBeforeReLU(nn.Module):
    """The input added before the expand ReLUs instead of after the concatenation."""

    def __init__(self) -> None:
        super().__init__()
        self.fire = Fire(128, 16, 64, 64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.fire
        s = torch.relu(f.squeeze(x))
        return torch.relu(torch.cat([f.expand1x1(s), f.expand3x3(s)], dim=1) + x)


_BYPASS_CODE = (
    _FIRE_CODE
    + """

class YourFireBypass(nn.Module):
    def __init__(self):
        super().__init__()
        self.fire = YourFire(128, 16, 64, 64)

    def forward(self, x):
        return self.fire(x) + x          # 128 channels in, 128 out: the input is added as it is
"""
)

exercise_3 = Exercise(
    "05.3",
    Module(
        _fire_with_bypass,
        (2, 128, 7, 7),
        ignore_bias=True,
        near=[
            (_fire_no_bypass, "the module never adds its input: a simple bypass returns fire(x) + x."),
            (_BypassBeforeReLU, "add x to the Fire module's output, after its ReLUs and the concatenation."),
        ],
        form="an nn.Module instance, e.g. YourFireBypass()",
    ),
    solution=_BYPASS_CODE + "answer = YourFireBypass()",
    setup="",
    hints=(
        "Reuse your Fire module from exercise 2 with Fire(128, 16, 64, 64): 128 channels in and out.",
        "A simple bypass is an addition: return fire(x) + x. No new parameters.",
    ),
    wrong=(
        _BYPASS_CODE.replace("self.fire(x) + x", "self.fire(x)") + "answer = YourFireBypass()",
        "answer = nn.Identity()",
        _BYPASS_CODE.replace("self.fire(x) + x", "torch.relu(x)") + "answer = YourFireBypass()",
    ),
    explanation="fire(x) + x: the simple bypass adds no parameter; it needs as many output channels as input channels.",
)


def _complex_bypass_extra() -> int:
    # SqueezeNet 1.0: 1x1 convolutions (with biases) around Fire2, 4, 6 and 8, where channels change.
    return sum(cin * cout + cout for cin, cout in ((96, 128), (128, 256), (256, 384), (384, 512)))


exercise_4 = Exercise(
    "05.4",
    Number(
        _complex_bypass_extra,
        form="a whole number, e.g. 123456",
        near=[
            (
                96 * 128 + 128 * 256 + 256 * 384 + 384 * 512,
                "each 1x1 bypass convolution also has one bias per output channel.",
            ),
        ],
    ),
    solution="answer = sum(c_in * c_out + c_out for c_in, c_out in [(96, 128), (128, 256), (256, 384), (384, 512)])",
    hints=(
        "In SqueezeNet 1.0 the channels change at Fire2 (96 -> 128), Fire4 (128 -> 256), Fire6 (256 -> 384) "
        "and Fire8 (384 -> 512); those four get a 1x1 convolution on the bypass.",
        "A 1x1 convolution from c_in to c_out with biases has c_in x c_out + c_out parameters.",
    ),
    wrong=(96 * 128 + 128 * 256 + 256 * 384 + 384 * 512, 128 * 128 + 256 * 256 + 384 * 384 + 512 * 512, 8_352),
    explanation="four 1x1 convolutions (96->128, 128->256, 256->384, 384->512) with biases: about 27% more "
    "parameters than SqueezeNet 1.0's. The paper's table lists 7.7 MB against 4.8 MB, a larger "
    "increase; the paper does not say how it counted, and its layout or storage may differ from this count.",
)


def _final_conv_share() -> float:
    from ..models.fire_squeezenet import squeezenet1_1

    net = squeezenet1_1()
    final = net.classifier[1]
    return sum(p.numel() for p in final.parameters()) / sum(p.numel() for p in net.parameters())


exercise_5 = Exercise(
    "05.5",
    Number(
        _final_conv_share,
        abs=0.01,
        fraction=True,
        form="a fraction with two decimals, e.g. 0.12 (or 12%)",
        near=[(512 * 1000 / 1_235_496 / 10, "off by a factor of ten: conv10 has 512 x 1000 weights.")],
    ),
    solution=(
        "net = models.squeezenet1_1()\n"
        "answer = sum(p.numel() for p in net.classifier[1].parameters()) / "
        "sum(p.numel() for p in net.parameters())"
    ),
    hints=(
        "SqueezeNet has no fully connected layer; its last layer, conv10, is a 1x1 convolution from 512 "
        "channels to the 1,000 classes.",
        "Count conv10's weights and biases, then divide by the whole net's parameters "
        "(models.squeezenet1_1(); net.classifier[1] is conv10).",
    ),
    wrong=(0.05, 0.9, 0.25),
    explanation="conv10 (512 x 1,000 weights + 1,000 biases) holds about two fifths of SqueezeNet 1.1: "
    "with eight Fire modules this small, the classifier is the largest single layer.",
)

__all__ = ["train_squeezenet", "run_grid", "exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]
