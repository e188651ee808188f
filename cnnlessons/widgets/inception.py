"""Lesson 04 widget: switch the branches of a trained InceptionA (MNIST) net off and watch.

``branch_switch(model, images, labels)`` takes a trained ``InceptionANet`` and a fixed set of test
images (a few hundred). Eight checkboxes, one per branch of its two Inception blocks; a branch
switched off has its output replaced by zeros (its channels in the concatenation are 0). The
widget shows the accuracy on those images, the prediction for one digit, and the two blocks'
output maps for that digit (a row of tiles per branch).

Speed: everything up to the first block's branches is computed once. What follows depends only
on which first-block branches are on, so it is computed once per such setting (16 at most, about
a tenth of a second each for 500 images on one CPU core) and cached; switching a second-block
branch then costs one small matrix product. Every update stays well under 200 ms.

The widget contract of the lessons: ``.widget`` (the root box), ``.controls`` (the value widgets
a student moves: the checkboxes first), ``.update()`` (redraw; counts ``.renders``), a message in
the widget when a setting leaves a block with nothing, and ``demo()`` for the browser test and the
benchmarks.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..models.inception import InceptionA, InceptionANet
from ..viz import array_png
from .base import Explorer
from .start_here import _to_rgb, _upscale

ACCURACY_CLASS = "cnnlessons-branch-accuracy"  # the readout (the browser test reads it)
ERROR_CLASS = "cnnlessons-error"  # added to the readout while a block has no branch on

BLOCKS = ("incep1", "incep2")
BRANCH_LABELS = {
    "branch1x1": "1x1",
    "branch5x5": "1x1 -> 5x5",
    "branch3x3dbl": "1x1 -> 3x3 -> 3x3",
    "branch_pool": "avg-pool -> 1x1",
}


def _branch_costs(model: InceptionANet, image_size: int = 28) -> dict[tuple[str, str], int]:
    """Mult-adds of each branch of each block for one image (the tracer's count)."""
    from ..trace import trace

    table = trace(model, (1, 1, image_size, image_size), receptive_field=False)
    prefixes = {
        "branch1x1": ("branch1x1",),
        "branch5x5": ("branch5x5_",),
        "branch3x3dbl": ("branch3x3_",),
        "branch_pool": ("branch_pool",),
    }
    costs = {}
    for block in BLOCKS:
        for name, starts in prefixes.items():
            costs[block, name] = sum(
                r.mult_adds for r in table.layers if any(r.path.startswith(f"{block}.{s}") for s in starts)
            )
    return costs


class BranchSwitch(Explorer):
    """Checkboxes switch InceptionA (MNIST)'s branches off; see the module docstring.

    ``.accuracy()`` is the accuracy on the images with the current switches, ``.baseline`` with
    every branch on; ``.logits()`` the scores of every image; ``.text`` the readout as plain text.
    """

    def __init__(
        self, model: InceptionANet, images: torch.Tensor, labels: torch.Tensor, digit: int = 0, zoom: int = 3
    ) -> None:
        import ipywidgets as widgets

        if not isinstance(model, InceptionANet):
            raise TypeError(f"branch_switch needs a trained InceptionANet, got {type(model).__name__}")
        if images.dim() != 4 or images.shape[1:] != (1, 28, 28):
            raise ValueError(f"images must be N x 1 x 28 x 28 MNIST digits, got shape {tuple(images.shape)}")
        self.model = model.cpu().eval()
        self.images, self.labels = images.detach().cpu().float(), labels.detach().cpu().long()
        self.zoom, self.renders = zoom, 0
        self._precompute()
        self._cache: dict[tuple[bool, ...], list[torch.Tensor]] = {}
        self.costs = _branch_costs(self.model)

        self.switches: dict[tuple[str, str], Any] = {}
        for block in BLOCKS:
            for name in InceptionA.branch_names:
                self.switches[block, name] = widgets.Checkbox(
                    value=True,
                    indent=False,
                    layout=widgets.Layout(width="330px"),
                    description=f"{block} · {BRANCH_LABELS[name]} ({self.costs[block, name] / 1e3:,.0f}k mult-adds)",
                )
        self.digit = widgets.IntSlider(
            value=digit,
            min=0,
            max=len(self.images) - 1,
            description="digit",
            continuous_update=True,
            layout=widgets.Layout(width="330px"),
        )
        self.controls = [*self.switches.values(), self.digit]
        self.baseline = self.accuracy(all_on=True)

        self.widget = self._layout(widgets)
        for control in self.controls:
            control.observe(self.update, names="value")
        self.update()

    def _precompute(self) -> None:
        """The first block's branch outputs and conv2's share of each, once: a switch is then a sum."""
        with torch.no_grad():
            stem = F.relu(self.model.mp(self.model.conv1(self.images)))  # N x 10 x 12 x 12
            self._b1 = self.model.incep1.branches(stem)  # 4 x (N x c x 12 x 12)
            # conv2 is linear: its output is the sum of what it makes of each branch's channels, plus
            # its bias. Computed once per branch, any on/off setting is then a sum (exact).
            w, lo = self.model.conv2.weight, 0
            self._conv2_parts = []
            for b in self._b1:
                self._conv2_parts.append(F.conv2d(b, w[:, lo : lo + b.shape[1]]))  # N x 20 x 8 x 8
                lo += b.shape[1]

    def _layout(self, widgets: Any) -> Any:
        """The readouts, and the root box: heading, switches, digit slider, readout, images."""
        self.readout = widgets.HTML()
        self.readout.add_class(ACCURACY_CLASS)
        self.maps_image = widgets.Image(format="png")
        self.digit_image = widgets.Image(format="png")
        self.probs = widgets.HTML()
        heading = widgets.HTML(
            "<b>InceptionA (MNIST), trained: switch branches off</b> (a branch switched off outputs zeros)"
        )
        columns = [
            widgets.VBox([widgets.HTML(f"<b>{b}</b>"), *[self.switches[b, n] for n in InceptionA.branch_names]])
            for b in BLOCKS
        ]
        maps_caption = widgets.HTML(
            "<span style='font-size:12px'>The chosen digit's block outputs, one row of tiles per branch "
            "(top to bottom: 1x1, 5x5, 3x3 -> 3x3, pool); left incep1 (12 x 12 maps), right incep2 (4 x 4). "
            "Orange above 0, purple below, grey: switched off.</span>"
        )
        return widgets.VBox(
            [
                heading,
                widgets.HBox(columns),
                self.digit,
                self.readout,
                widgets.HBox(
                    [widgets.VBox([self.digit_image, self.probs]), widgets.VBox([maps_caption, self.maps_image])]
                ),
            ]
        )

    # -- the computation ------------------------------------------------------------------------
    def mask(self, block: str) -> tuple[bool, ...]:
        return tuple(bool(self.switches[block, n].value) for n in InceptionA.branch_names)

    def _second_block(self, mask1: tuple[bool, ...]) -> list[torch.Tensor]:
        """incep2's branch outputs for every image when incep1's branches follow ``mask1`` (cached)."""
        if mask1 not in self._cache:
            with torch.no_grad():
                x = sum((p for p, on in zip(self._conv2_parts, mask1) if on), torch.zeros_like(self._conv2_parts[0]))
                x = x + self.model.conv2.bias.view(1, -1, 1, 1)  # = conv2(concat with zeros)
                x = F.relu(self.model.mp(x))  # N x 20 x 4 x 4
                self._cache[mask1] = self.model.incep2.branches(x)  # 4 x (N x c x 4 x 4)
        return self._cache[mask1]

    def logits(self, mask1: tuple[bool, ...] | None = None, mask2: tuple[bool, ...] | None = None) -> torch.Tensor:
        mask1 = self.mask("incep1") if mask1 is None else mask1
        mask2 = self.mask("incep2") if mask2 is None else mask2
        b2 = self._second_block(mask1)
        with torch.no_grad():
            x = torch.cat([b if on else torch.zeros_like(b) for b, on in zip(b2, mask2)], 1)
            return self.model.fc(torch.flatten(x, 1))

    def accuracy(self, all_on: bool = False) -> float:
        on = (True,) * 4 if all_on else None
        return float((self.logits(on, on).argmax(1) == self.labels).float().mean())

    # -- drawing --------------------------------------------------------------------------------
    def _tiles(
        self, branches: list[torch.Tensor], mask: tuple[bool, ...], factor: int, ncols: int = 12, gap: int = 2
    ) -> np.ndarray:
        """One block's output for the chosen digit: a row (or two) of tiles per branch, one colour scale."""
        i = self.digit.value
        maps = [b[i].numpy() for b in branches]
        hi = max(float(np.abs(m).max()) for m, on in zip(maps, mask) if on) if any(mask) else 1.0
        hi = hi if hi > 0 else 1.0
        h, w = maps[0].shape[1:]
        rows_per_branch = [-(-m.shape[0] // ncols) for m in maps]
        cell_h, cell_w = h + 1, w + 1
        values = np.zeros((sum(rows_per_branch) * cell_h + 3, ncols * cell_w - 1), np.float32)
        kind = np.zeros(values.shape, np.uint8)  # 0 background, 1 a map, 2 a map switched off
        top = 0
        for m, on, rows in zip(maps, mask, rows_per_branch):
            for c in range(m.shape[0]):
                r, q = divmod(c, ncols)
                y, x = top + r * cell_h, q * cell_w
                values[y : y + h, x : x + w] = m[c]
                kind[y : y + h, x : x + w] = 1 if on else 2
            top += rows * cell_h + 1
        rgb = _to_rgb(values, "PuOr_r", -hi, hi)
        rgb[kind == 0] = 255
        rgb[kind == 2] = 200
        return _upscale(rgb, factor)

    def update(self, change: Any = None) -> None:
        """Recompute the accuracy and redraw the maps from the checkboxes and the digit slider."""
        mask1, mask2 = self.mask("incep1"), self.mask("incep2")
        logits = self.logits(mask1, mask2)
        acc = float((logits.argmax(1) == self.labels).float().mean())
        off = [f"{b} · {BRANCH_LABELS[n]}" for (b, n), s in self.switches.items() if not s.value]
        lines = [
            f"<b>Accuracy on these {len(self.labels)} test digits: {100 * acc:.1f}%</b> "
            f"(every branch on: {100 * self.baseline:.1f}%; change {100 * (acc - self.baseline):+.1f} points)",
            "Switched off: " + (html.escape(", ".join(off)) if off else "nothing"),
        ]
        empty = [b for b, m in (("incep1", mask1), ("incep2", mask2)) if not any(m)]
        if empty:
            self.readout.add_class(ERROR_CLASS)
            lines.insert(
                0,
                "<span style='color:#b00020'><b>No branch left in "
                f"{' and '.join(empty)}:</b> that block outputs only zeros, so nothing about the digit "
                "reaches the layers after it"
                + (" and every digit gets the same answer" if "incep2" in empty else "")
                + ".</span>",
            )
        else:
            self.readout.remove_class(ERROR_CLASS)
        self.readout.value = "<div>" + "<br>".join(lines) + "</div>"

        i = self.digit.value
        probs = torch.softmax(logits[i], 0)
        self.digit_image.value = array_png(
            _upscale(
                _to_rgb(self.images[i, 0].numpy(), "gray", float(self.images[i].min()), float(self.images[i].max())), 4
            )
        )
        bars = "".join(
            f"<div style='font-family:monospace;font-size:12px'>{k} "
            f"<span style='display:inline-block;background:{'#e69f00' if k == int(probs.argmax()) else '#56b4e9'};"
            f"width:{100 * float(p):.0f}px;height:9px'></span> {100 * float(p):.0f}%</div>"
            for k, p in enumerate(probs)
        )
        self.probs.value = (
            f"<div style='font-size:12px'>label {int(self.labels[i])}, "
            f"predicted <b>{int(probs.argmax())}</b></div>{bars}"
        )
        left = self._tiles(self._b1, mask1, factor=self.zoom)
        right = self._tiles(self._second_block(mask1), mask2, factor=self.zoom * 3)
        height = max(left.shape[0], right.shape[0])
        both = np.full((height, left.shape[1] + 16 + right.shape[1], 3), 255, np.uint8)
        both[: left.shape[0], : left.shape[1]] = left
        both[: right.shape[0], left.shape[1] + 16 :] = right
        self.maps_image.value = array_png(both)
        self.renders += 1

    @property
    def text(self) -> str:
        """The readout as plain text (what the student reads)."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", " ", self.readout.value)).strip()


def branch_switch(model: InceptionANet, images: torch.Tensor, labels: torch.Tensor, digit: int = 0) -> BranchSwitch:
    """The branch switches for a trained InceptionA (MNIST) net on a fixed set of test digits."""
    return BranchSwitch(model, images, labels, digit=digit)


def demo() -> BranchSwitch:
    """A ready widget from cheap data: InceptionA (MNIST) trained for 40 steps on 2,560 digits,
    switched on 300 test digits (a few seconds on the CPU)."""
    from ..data import load_mnist
    from ..train import fit

    x_train, y_train = load_mnist("train", subset=2_560)
    x_test, y_test = load_mnist("test", subset=300)
    torch.manual_seed(0)
    model = InceptionANet()
    fit(
        model,
        (x_train, y_train),
        steps=40,
        batch_size=64,
        optimizer="adam",
        lr=3e-3,
        seed=0,
        device="cpu",
        live=False,
        progress=False,
    )
    return BranchSwitch(model, x_test, y_test)


__all__ = ["BranchSwitch", "branch_switch", "demo", "ACCURACY_CLASS", "ERROR_CLASS", "nn"]
