"""Lesson 06 widget: depth against training loss and gradient norms, plain against residual.

``depth_explorer(runs, grads)`` browses what the notebook measured: the training loss of the
plain and residual twins of each depth (one line per seed) and, per convolution from the input
to the output, the relative gradient norm at initialization, with or without BatchNorm. Nothing
is trained or measured on a slider move: every view is drawn once when the widget is built, and
an update shows the stored PNG.
A depth the notebook did not train shows a message in the widget.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from ..viz import figure_png
from .base import Explorer

RunKey = tuple[int, bool, int]  # (depth, residual, seed) -> per-step training loss
GradKey = tuple[int, bool, bool, int]  # (depth, residual, batch_norm, seed) -> relative norms
MESSAGE_CLASS = "cnnlessons-message"


def _running_mean(values: Sequence[float], window: int) -> list[float]:
    from ..lessons.residual import running_mean

    return running_mean(values, window)


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


class DepthExplorer(Explorer):
    """Depth slider and BatchNorm toggle over precomputed runs and gradient norms.

    ``.widget`` is the root box, ``.controls`` = [depth slider, BatchNorm toggle], ``.update()``
    redraws from the controls (``.renders`` counts the redraws), ``.text`` holds the readout as
    plain text.
    """

    def __init__(
        self,
        runs: Mapping[RunKey, Sequence[float]],
        grads: Mapping[GradKey, Sequence[float]],
        window: int = 50,
        value: int | None = None,
    ) -> None:
        import ipywidgets as widgets

        self.runs, self.grads, self.window = dict(runs), dict(grads), window
        self.depths = sorted({k[0] for k in self.runs} | {k[0] for k in self.grads})
        if not self.depths:
            raise ValueError("no runs and no gradient norms to show: pass the notebook's results.")
        self.seeds = sorted({k[2] for k in self.runs})
        self.renders = 0
        self._cache: dict[tuple[int, bool], bytes] = {}
        lo, hi = min(self.depths), max(self.depths)
        self.depth = widgets.IntSlider(
            value=value or hi, min=min(8, lo), max=max(56, hi), step=6, description="depth", continuous_update=False
        )
        self.batch_norm = widgets.ToggleButtons(
            options=[("with BatchNorm", True), ("without BatchNorm", False)], value=True, description="gradients"
        )
        self.controls = [self.depth, self.batch_norm]
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox([widgets.HBox([self.depth, self.batch_norm]), self.readout, self.image])
        for c in self.controls:
            c.observe(lambda _: self.update(), names="value")
        self.text = ""
        # Draw every view once now (about a tenth of a second each), so moving a control only
        # swaps images: well under the 200 ms an update may take.
        for depth in self.depths:
            for bn in (True, False):
                self._cache[depth, bn] = self._draw(depth, bn)
        self.update()

    # -- numbers ----------------------------------------------------------------------------------
    def _final(self, depth: int, residual: bool) -> list[float]:
        return [
            _mean(self.runs[depth, residual, s][-self.window :])
            for s in self.seeds
            if (depth, residual, s) in self.runs
        ]

    def _grad_ratio(self, depth: int, residual: bool, bn: bool) -> list[float]:
        return [
            g[0] / g[-1]
            for (d, r, b, _), g in sorted(self.grads.items())
            if d == depth and r == residual and b == bn and g[-1] > 0
        ]

    def describe(self, depth: int, bn: bool) -> str:
        parts = []
        if any(k[0] == depth for k in self.runs):
            for residual in (False, True):
                f = self._final(depth, residual)
                parts.append(f"{'residual' if residual else 'plain'} {_mean(f):.3f} [{min(f):.3f}, {max(f):.3f}]")
            loss = f"training loss (mean of the last {self.window} steps, over {len(self.seeds)} seeds): " + ", ".join(
                parts
            )
        else:
            loss = f"depth {depth}: no training runs at this depth."
        ratios = []
        for residual in (False, True):
            r = self._grad_ratio(depth, residual, bn)
            if r:
                ratios.append(f"{'residual' if residual else 'plain'} {_fmt_ratio(_mean(r))}")
        grad = (
            (
                f"first / last convolution's relative gradient {'with' if bn else 'without'} BatchNorm: "
                + ", ".join(ratios)
            )
            if ratios
            else "no gradient norms measured at this depth."
        )
        return f"depth {depth}: {loss}\n{grad}"

    # -- drawing ------------------------------------------------------------------------------------
    def _draw(self, depth: int, bn: bool) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9.5, 3.2), dpi=72)
        FigureCanvasAgg(fig)
        ax1, ax2 = fig.subplots(1, 2)
        for residual, colour in ((False, "C0"), (True, "C1")):
            for i, seed in enumerate(self.seeds):
                losses = self.runs.get((depth, residual, seed))
                if losses:
                    ax1.plot(
                        _running_mean(losses, self.window),
                        color=colour,
                        alpha=0.9 if i == 0 else 0.5,
                        label=("residual" if residual else "plain") if i == 0 else None,
                    )
            norms = [g for (d, r, b, _), g in sorted(self.grads.items()) if d == depth and r == residual and b == bn]
            if norms:
                xs = list(range(len(norms[0])))
                mean = [_mean([n[i] for n in norms]) for i in xs]
                ax2.fill_between(
                    xs,
                    [min(n[i] for n in norms) for i in xs],
                    [max(n[i] for n in norms) for i in xs],
                    color=colour,
                    alpha=0.25,
                    linewidth=0,
                )
                ax2.plot(
                    xs,
                    mean,
                    marker="o",
                    markersize=3,
                    color=colour,
                    label=f"{'residual' if residual else 'plain'} (band: {len(norms)} seeds)",
                )
        ax1.set_yscale("log")
        ax1.set_xlabel("training step")
        ax1.set_ylabel(f"training loss (mean of {self.window})")
        ax1.set_title(f"{depth} layers: training loss, one line per seed")
        ax1.legend(loc="upper right")
        ax2.set_yscale("log")
        ax2.set_xlabel("convolution (0 = first, at the input)")
        ax2.set_ylabel("||gradient|| / ||weight||")
        ax2.set_title(f"at initialization, {'with' if bn else 'without'} BatchNorm")
        if ax2.lines:
            ax2.legend(loc="best")
        fig.tight_layout()
        return figure_png(fig)

    def update(self) -> None:
        depth, bn = int(self.depth.value), bool(self.batch_norm.value)
        self.renders += 1
        if depth not in self.depths:
            trained = ", ".join(str(d) for d in self.depths)
            self.text = (
                f"Depth {depth} was not trained in this notebook: move the slider to one of {trained} "
                f"(or add {depth} to DEPTHS and run the cells again)."
            )
            self.readout.value = f'<div class="{MESSAGE_CLASS}"><b>{html.escape(self.text)}</b></div>'
            return
        self.text = self.describe(depth, bn)
        self.readout.value = "<br>".join(html.escape(line) for line in self.text.splitlines())
        key = (depth, bn)
        if key not in self._cache:
            self._cache[key] = self._draw(depth, bn)
        self.image.value = self._cache[key]


def _fmt_ratio(r: float) -> str:
    if r == 0:
        return "0 (underflow)"
    if r < 0.01:
        return f"{r:.1e}x"
    return f"{r:,.1f}x" if r < 100 else f"{r:,.0f}x"


def depth_explorer(
    runs: Mapping[RunKey, Sequence[float]],
    grads: Mapping[GradKey, Sequence[float]],
    window: int = 50,
    value: int | None = None,
) -> DepthExplorer:
    """The lesson's widget over ``lesson.degradation_runs(...)`` and ``lesson.gradient_norms(...)``."""
    return DepthExplorer(runs, grads, window=window, value=value)


def demo() -> DepthExplorer:
    """A ready widget from cheap data: real gradient norms at initialization on random images
    (depths 8 and 14), and made-up loss curves (no training) for the browser test and benchmarks."""
    import math

    import torch

    from ..lessons.residual import gradient_norms

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 1, 28, 28, generator=g), torch.randint(0, 10, (32,), generator=g)
    grads = gradient_norms(x, y, depths=(8, 14), seeds=(0, 1))
    runs = {}
    for depth in (8, 14):
        for residual in (False, True):
            for seed in (0, 1):
                floor = 0.1 if residual else 0.1 * depth / 8
                runs[depth, residual, seed] = [
                    floor + 2.2 * math.exp(-i / 20) + 0.02 * ((i * 7 + seed) % 5) for i in range(100)
                ]
    return DepthExplorer(runs, grads, window=20, value=14)


__all__ = ["DepthExplorer", "depth_explorer", "demo", "MESSAGE_CLASS"]
