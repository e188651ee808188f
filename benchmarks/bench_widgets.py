"""How long one channel_explorer update takes (a slider change -> rebuild on meta -> count -> readout).

The budget is 200 ms per update for block-sized modules. Each block's slider is swept over
its whole range a few times; prints the median and the worst update in milliseconds.

    .venv/bin/python benchmarks/bench_widgets.py
"""
from __future__ import annotations

import statistics
import time

import torch
from torch import nn
from torchvision.models.googlenet import Inception

import cnnlessons as cl
from cnnlessons.models.fire_squeezenet import Fire
from cnnlessons.models.residual import BasicBlock


def bottleneck_1x1(c_reduce: int) -> nn.Module:
    """192 -> c_reduce (1x1) -> 64 (3x3): the 1x1-before-3x3 trick at GoogLeNet's 28x28x192."""
    return nn.Sequential(nn.Conv2d(192, c_reduce, 1), nn.ReLU(inplace=True), nn.Conv2d(c_reduce, 64, 3, padding=1))


def inception_3b(ch3x3red: int) -> nn.Module:
    """GoogLeNet's inception (3b) at 28x28x256, with the 3x3 branch's reduction on a slider."""
    return Inception(256, 128, ch3x3red, 192, 32, 96, 64)


def fire(squeeze: int) -> nn.Module:
    return Fire(128, squeeze, 64, 64)


def basic_block(planes: int) -> nn.Module:
    """A stage-2 BasicBlock at 56x56x64; a 1x1 projection on the shortcut when planes != 64."""
    downsample = None if planes == 64 else nn.Sequential(nn.Conv2d(64, planes, 1, bias=False), nn.BatchNorm2d(planes))
    return BasicBlock(64, planes, downsample=downsample)


BLOCKS = [
    ("1x1 bottleneck, 28x28x192", bottleneck_1x1, (1, 192, 28, 28), "c_reduce", (4, 192, 4, 16)),
    ("Inception 3b, 28x28x256", inception_3b, (1, 256, 28, 28), "ch3x3red", (16, 256, 16, 128)),
    ("Fire(128, s, 64, 64), 28x28", fire, (1, 128, 28, 28), "squeeze", (4, 64, 4, 16)),
    ("BasicBlock, 56x56x64", basic_block, (1, 64, 56, 56), "planes", (16, 128, 16, 64)),
]


def main(sweeps: int = 3) -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    print(f"{'block':32s} {'updates':>7s} {'median ms':>10s} {'max ms':>8s}")
    for label, build, input_size, name, spec in BLOCKS:
        explorer = cl.channel_explorer(build, input_size=input_size, **{name: spec})
        slider = explorer.sliders[name]
        values = list(range(slider.min, slider.max + 1, slider.step))
        times = []
        for _ in range(sweeps):
            for v in values:
                if v == slider.value:
                    continue
                start = time.perf_counter()
                slider.value = v  # the observer rebuilds, counts and rewrites the readout
                times.append(1000 * (time.perf_counter() - start))
                assert "error" not in explorer.result, explorer.text
        print(f"{label:32s} {len(times):7d} {statistics.median(times):10.1f} {max(times):8.1f}")


if __name__ == "__main__":
    main()
