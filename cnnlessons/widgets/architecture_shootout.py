"""Lesson 08 widget: choose the models and the axes of the shootout chart.

``ShootoutExplorer(results)`` browses a finished ``lesson.shootout(...)``: a list picks the
models, two dropdowns pick what goes on each axis (test accuracy early or at the end of the
budget, parameters, mult-adds, training images per second, training time). Each model is a
point, with its range over seeds as an error bar where the axis is an accuracy; points on the
Pareto front (no other chosen model is better on both axes) are ringed. Nothing trains here.
"""

from __future__ import annotations

import html
from typing import Any

from ..viz import figure_png
from .base import Explorer

MESSAGE_CLASS = "cnnlessons-message"

# axis key -> (label, log scale?, higher is better?)
AXES = {
    "final_acc": ("test accuracy at the end of the budget (%)", False, True),
    "early_acc": ("test accuracy early in the budget (%)", False, True),
    "params": ("parameters (log scale)", True, False),
    "mult_adds": ("mult-adds per image (log scale)", True, False),
    "images_per_s": ("training images per second (log scale)", True, True),
    "train_s": ("training time in seconds (log scale)", True, False),
}


def _value(row: Any, key: str) -> tuple[float, float, float]:
    """(value, low, high) of ``row`` on axis ``key``; low/high are the range over seeds."""
    if key == "final_acc":
        lo, hi = row.acc_range
        return 100 * row.test_acc, 100 * lo, 100 * hi
    if key == "early_acc":
        accs = [r.early_acc for r in row.runs if r.early_acc is not None]
        if not accs:
            return float("nan"), float("nan"), float("nan")
        return 100 * sum(accs) / len(accs), 100 * min(accs), 100 * max(accs)
    v = float(getattr(row, key))
    return v, v, v


def pareto(points: dict[str, tuple[float, float]], x_better_high: bool, y_better_high: bool) -> list[str]:
    """Names of the points no other point beats on both axes (ties do not dominate)."""

    def better(a: float, b: float, high: bool) -> bool:
        return a > b if high else a < b

    def at_least(a: float, b: float, high: bool) -> bool:
        return a >= b if high else a <= b

    front = []
    for name, (x, y) in points.items():
        dominated = any(
            at_least(x2, x, x_better_high)
            and at_least(y2, y, y_better_high)
            and (better(x2, x, x_better_high) or better(y2, y, y_better_high))
            for other, (x2, y2) in points.items()
            if other != name
        )
        if not dominated:
            front.append(name)
    return front


class ShootoutExplorer(Explorer):
    """``.widget`` (the box), ``.controls`` ([x axis, y axis, models]), ``.update()`` (redraw;
    counts ``.renders``), ``.text`` (the readout as plain text), ``.front`` (the Pareto names)."""

    def __init__(self, results: Any, x: str = "mult_adds", y: str = "final_acc") -> None:
        import ipywidgets as widgets

        self.results = results
        names = results.names
        if not names:
            raise ValueError("the shootout is empty: run lesson.shootout(...) first")
        options = [(label.split(" (")[0], key) for key, (label, _, _) in AXES.items()]
        style = {"description_width": "initial"}
        self.x = widgets.Dropdown(options=options, value=x, description="x axis", style=style)
        self.y = widgets.Dropdown(options=options, value=y, description="y axis", style=style)
        self.models = widgets.SelectMultiple(
            options=names, value=tuple(names), description="models", rows=min(len(names), 9), style=style
        )
        self.controls = [self.x, self.y, self.models]
        self.image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        help_ = widgets.HTML(
            "Pick the axes, and the models (ctrl/cmd-click). Ringed points are on the Pareto "
            "front: no other shown model is better on both axes."
        )
        self.widget = widgets.VBox(
            [help_, widgets.HBox([widgets.VBox([self.x, self.y]), self.models]), self.image, self.readout]
        )
        self.renders = 0
        self.text = ""
        self.front: list[str] = []
        self._fig = None
        for c in self.controls:
            c.observe(lambda _change: self.update(), names="value")
        self.update()

    def update(self) -> None:
        self.renders += 1
        chosen = [n for n in self.results.names if n in self.models.value]
        if len(chosen) < 2:
            self._message("Pick at least two models to compare (ctrl/cmd-click in the list).")
            return
        if self.x.value == self.y.value:
            self._message("The two axes show the same quantity: pick a different one for x or y.")
            return
        xs = {n: _value(self.results[n], self.x.value) for n in chosen}
        ys = {n: _value(self.results[n], self.y.value) for n in chosen}
        missing = [n for n in chosen if xs[n][0] != xs[n][0] or ys[n][0] != ys[n][0]]  # NaN: not measured
        if missing:
            self._message(
                f"No early accuracy was recorded for {', '.join(missing)}: run the shootout with "
                "early_step=... to compare that."
            )
            return
        (xl, _, xhigh), (yl, _, yhigh) = AXES[self.x.value], AXES[self.y.value]
        self.front = pareto({n: (xs[n][0], ys[n][0]) for n in chosen}, xhigh, yhigh)
        self.image.value = self._draw(chosen, xs, ys)
        self.text = (
            f"{yl.split(' (')[0]} against {xl.split(' (')[0]}: on the Pareto front "
            f"({'higher' if yhigh else 'lower'} y and {'higher' if xhigh else 'lower'} x are better): "
            + ", ".join(self.front)
        )
        self.readout.remove_class(MESSAGE_CLASS)
        self.readout.value = html.escape(self.text)

    def _message(self, text: str) -> None:
        self.text = text
        self.front = []
        self.readout.add_class(MESSAGE_CLASS)
        self.readout.value = f"<b>{html.escape(text)}</b>"

    def _draw(self, chosen: list[str], xs: dict, ys: dict) -> bytes:
        from matplotlib.figure import Figure  # no pyplot: no global state, no display

        if self._fig is None:
            self._fig = Figure(figsize=(7.5, 4.4), dpi=72)
            self._ax = self._fig.subplots()
            self._fig.subplots_adjust(left=0.11, right=0.97, bottom=0.13, top=0.9)
        ax = self._ax
        ax.clear()
        (xl, xlog, _), (yl, ylog, _) = AXES[self.x.value], AXES[self.y.value]
        for i, n in enumerate(self.results.names):
            if n not in chosen:
                continue
            (x, x_lo, x_hi), (y, y_lo, y_hi) = xs[n], ys[n]
            ax.errorbar(
                [x],
                [y],
                xerr=[[x - x_lo], [x_hi - x]],
                yerr=[[y - y_lo], [y_hi - y]],
                fmt="o",
                color=f"C{i % 10}",
                capsize=3,
                ms=6,
            )
            if n in self.front:
                ax.plot([x], [y], "o", ms=14, mfc="none", mec="k", mew=1.2)
            ax.annotate(n, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
        from matplotlib.ticker import EngFormatter, LogLocator, NullLocator

        for axis, log in ((ax.xaxis, xlog), (ax.yaxis, ylog)):
            if log:
                (ax.set_xscale if axis is ax.xaxis else ax.set_yscale)("log")
                axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
                axis.set_major_formatter(EngFormatter())
                axis.set_minor_locator(NullLocator())
        ax.margins(x=0.15, y=0.08)  # room for the names next to the points
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_title(f"{yl.split(' (')[0]} against {xl.split(' (')[0]} (bars: range over seeds)", fontsize=10)
        ax.grid(alpha=0.3)
        return figure_png(self._fig)


def shootout_explorer(results: Any, x: str = "mult_adds", y: str = "final_acc") -> ShootoutExplorer:
    """The lesson's widget over a finished ``lesson.shootout(...)``."""
    return ShootoutExplorer(results, x, y)


def demo() -> ShootoutExplorer:
    """A ready widget over made-up numbers (no training): for tests and benchmarks."""
    import random

    from ..lessons.architecture_shootout import Row, Run, Shootout

    rng = random.Random(0)
    rows = []
    for i, name in enumerate(("small", "medium", "large", "deep")):
        row = Row(name, 10_000 * (i + 1) ** 2, 1_000_000 * (i + 1), 0.04 * (i + 1))
        for seed in (0, 1, 2):
            acc = 0.95 + 0.01 * i + rng.uniform(-0.005, 0.005)
            row.runs.append(
                Run(
                    name,
                    seed,
                    acc,
                    5000 / (i + 1),
                    2.0 * (i + 1),
                    100,
                    6400,
                    "cpu",
                    curve=[(10, acc - 0.3 + 0.05 * i), (100, acc)],
                    early_step=10,
                )
            )
        rows.append(row)
    return ShootoutExplorer(Shootout(rows, budget="made-up numbers"))
