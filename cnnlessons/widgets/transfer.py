"""Lesson 07 widget: how many labels per class, and which way of training, against accuracy.

``TransferExplorer(sweep)`` browses a labels-per-class sweep the notebook has already run
(``cnnlessons.lessons.transfer.sweep``): a slider picks the number of labelled images per digit,
a list picks the settings (frozen pretrained, fine-tuned, from scratch, frozen random). The
view shows test accuracy against labels per class (every seed a point, the mean a line, the
chosen count marked) and, at the chosen count, the test accuracy of each digit per setting (HTML
bars).
Nothing trains here: each update only redraws (well under 200 ms).
"""

from __future__ import annotations

import html
from typing import Any

from ..viz import figure_png
from .base import Explorer

# One colour and marker per setting, the same as the notebook's plots (tab10; no red/green pair).
STYLE = {
    "frozen pretrained": ("C0", "o"),
    "fine-tuned": ("C1", "s"),
    "from scratch": ("C2", "^"),
    "frozen random": ("C7", "D"),
}
HEX = {"C0": "#1f77b4", "C1": "#ff7f0e", "C2": "#2ca02c", "C7": "#7f7f7f"}  # tab10's colours
DIGITS = (5, 6, 7, 8, 9)
MESSAGE_CLASS = "cnnlessons-message"


class TransferExplorer(Explorer):
    """``.widget`` (the box), ``.controls`` ([labels-per-class slider, settings list]),
    ``.update()`` (redraw; counts ``.renders``), ``.text`` (the readout as plain text)."""

    def __init__(self, sweep: Any, labels_per_class: int | None = None) -> None:
        import ipywidgets as widgets

        self.sweep = sweep
        counts = sweep.labels_per_class
        if not counts:
            raise ValueError("the sweep is empty: run lesson.sweep(...) first")
        start = labels_per_class if labels_per_class in counts else counts[len(counts) // 2]
        self.count = widgets.SelectionSlider(
            options=counts,
            value=start,
            description="labels per class",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"),
        )
        self.settings = widgets.SelectMultiple(
            options=sweep.settings,
            value=tuple(sweep.settings),
            description="settings",
            rows=len(sweep.settings),
            style={"description_width": "initial"},
        )
        self.controls = [self.count, self.settings]
        self.image = widgets.Image(format="png")
        self.digits = widgets.HTML()
        self.readout = widgets.HTML()
        help_ = widgets.HTML(
            "Move the slider; ctrl/cmd-click to show or hide settings. Each point is one "
            "seed; the line is the mean over seeds."
        )
        self.widget = widgets.VBox(
            [help_, widgets.HBox([self.count, self.settings]), widgets.HBox([self.image, self.digits]), self.readout]
        )
        self.renders = 0
        self.text = ""
        self._fig = None
        for c in self.controls:
            c.observe(lambda _change: self.update(), names="value")
        self.update()

    # ------------------------------------------------------------------------------------------
    def update(self) -> None:
        self.renders += 1
        chosen = [s for s in self.sweep.settings if s in self.settings.value]
        if not chosen:
            self._message("Pick at least one setting in the list (ctrl/cmd-click to select several).")
            return
        n = self.count.value
        self.image.value = self._draw(chosen, n)
        self.digits.value = self._digit_bars(chosen, n)
        lines = []
        for s in chosen:
            accs = self.sweep.accs(s, n)
            lines.append(
                f"{s}: {100 * sum(accs) / len(accs):.2f}% (seeds {100 * min(accs):.1f} to {100 * max(accs):.1f}%)"
            )
        self.text = (
            f"{n} labelled images per digit; mean test accuracy over {len(self.sweep.seeds)} seeds: " + "; ".join(lines)
        )
        self.readout.remove_class(MESSAGE_CLASS)
        self.readout.value = (
            "<b>" + html.escape(f"{n} labelled images per digit") + "</b>, mean test accuracy "
            f"over {len(self.sweep.seeds)} seeds:<br>" + "<br>".join(html.escape(line) for line in lines)
        )

    def _message(self, text: str) -> None:
        self.text = text
        self.readout.add_class(MESSAGE_CLASS)
        self.readout.value = f"<b>{html.escape(text)}</b>"
        self.digits.value = ""

    def _digit_bars(self, chosen: list[str], n: int) -> str:
        """Per digit, one bar per setting: mean test accuracy over seeds at ``n`` labels per class."""
        seeds = self.sweep.seeds
        acc = {
            s: [
                sum(self.sweep.runs[n, seed, s].per_class[d] for seed in seeds) / len(seeds) for d in range(len(DIGITS))
            ]
            for s in chosen
        }
        lo = max(0.0, min(min(v) for v in acc.values()) - 0.05)
        rows = [
            f"<div><b>Per digit at {n} labels per class</b> (test accuracy, mean over seeds; bars from "
            f"{100 * lo:.0f}% to 100%)</div><table style='border-collapse:collapse'>"
        ]
        for d, digit in enumerate(DIGITS):
            bars = "".join(
                f"<div style='background:{HEX.get(STYLE.get(s, ('C0', ''))[0], '#1f77b4')};height:9px;"
                f"width:{max(1.0, 100 * (acc[s][d] - lo) / (1 - lo)):.1f}%;margin:1px 0' "
                f"title='{html.escape(s)}: {100 * acc[s][d]:.1f}%'></div>"
                for s in chosen
            )
            numbers = " / ".join(f"{100 * acc[s][d]:.1f}" for s in chosen)
            rows.append(
                f"<tr><td style='padding-right:6px'><b>{digit}</b></td><td style='width:180px'>{bars}</td>"
                f"<td style='padding-left:6px;font-size:85%'>{numbers}</td></tr>"
            )
        rows.append("</table><div style='font-size:85%'>" + " / ".join(html.escape(s) for s in chosen) + "</div>")
        return "".join(rows)

    def _draw(self, chosen: list[str], n: int) -> bytes:
        from matplotlib.figure import Figure  # no pyplot: no global state, no display

        if self._fig is None:
            self._fig = Figure(figsize=(5.6, 3.6), dpi=72)
            self._ax = self._fig.subplots()
            self._fig.subplots_adjust(left=0.13, right=0.97, bottom=0.15, top=0.9)
        fig, left = self._fig, self._ax
        left.clear()
        counts = self.sweep.labels_per_class
        for i, s in enumerate(chosen):
            colour, marker = STYLE.get(s, (f"C{i}", "o"))
            means = [100 * self.sweep.mean(s, c) for c in counts]
            left.plot(range(len(counts)), means, color=colour, marker=marker, label=s)
            xs = [i for i, c in enumerate(counts) for _ in self.sweep.accs(s, c)]
            ys = [100 * a for c in counts for a in self.sweep.accs(s, c)]
            left.plot(xs, ys, color=colour, marker=marker, ls="none", ms=4, alpha=0.5)
        left.axvline(counts.index(n), color="k", lw=0.8, ls="--")
        left.set(xlabel="labelled images per digit", ylabel="test accuracy (%)", title="Test accuracy on digits 5-9")
        left.set_xticks(range(len(counts)), [str(c) for c in counts])
        left.legend(fontsize=8, loc="lower right")
        left.grid(alpha=0.3)
        return figure_png(fig, pil_kwargs={"compress_level": 1})


def transfer_explorer(sweep: Any, labels_per_class: int | None = None) -> TransferExplorer:
    """The lesson's widget over a finished ``lesson.sweep(...)``."""
    return TransferExplorer(sweep, labels_per_class)


def demo() -> TransferExplorer:
    """A ready widget over made-up numbers (no training): for tests and benchmarks."""
    import random

    from ..lessons.transfer import SETTINGS, Sweep, TransferRun

    rng = random.Random(0)
    sw = Sweep()
    base = {"frozen pretrained": 0.85, "fine-tuned": 0.84, "from scratch": 0.78, "frozen random": 0.8}
    for i, n in enumerate((5, 50, 200, 1000)):
        for seed in (0, 1, 2):
            for s in SETTINGS:
                acc = min(0.99, base[s] + 0.04 * i + rng.uniform(-0.01, 0.01))
                sw.runs[n, seed, s] = TransferRun(
                    s, n, seed, acc, 1.0, [min(1.0, acc + rng.uniform(-0.05, 0.05)) for _ in DIGITS], [1.0, 0.1], 0
                )
    return TransferExplorer(sw)
