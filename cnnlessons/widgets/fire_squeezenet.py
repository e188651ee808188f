"""Lesson 05 widget: the squeeze ratio and the share of 3x3 filters against parameters and accuracy.

``squeeze_explorer(rows)`` browses the notebook's sweep (``lesson.run_grid``): two sliders pick
a squeeze ratio SR and a share of 3x3 expand filters; the widget shows, live, what one Fire
module and the whole MNIST SqueezeNet cost at that setting (built on the meta device and traced),
and, when the notebook trained that setting, its test accuracy over the seeds, highlighted on the
parameters-against-accuracy chart of every trained setting. A setting the notebook did not train
shows a message in the widget (its cost is still shown).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from ..viz import figure_png
from .base import Explorer

SR_OPTIONS = (("1/8", 0.125), ("1/4", 0.25), ("3/8", 0.375), ("1/2", 0.5), ("3/4", 0.75), ("1", 1.0))
PCT_OPTIONS = (("1/8", 0.125), ("1/4", 0.25), ("1/2", 0.5), ("3/4", 0.75), ("7/8", 0.875))
MESSAGE_CLASS = "cnnlessons-message"


def _key(row: dict) -> tuple[float, float]:
    return float(row.get("squeeze_ratio", 0.5)), float(row.get("pct_3x3", 0.5))


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def fire_cost(squeeze_ratio: float, pct_3x3: float, index: int = 5) -> dict[str, Any]:
    """Cost of Fire module ``index`` (0-5) of the MNIST SqueezeNet and of the whole net at a setting.

    Built on the meta device (no memory) and counted by ``cnnlessons.trace``.
    """
    import torch

    from ..models.fire_squeezenet import Fire, mnist_squeezenet
    from ..trace import trace

    with torch.device("meta"):
        net = mnist_squeezenet(squeeze_ratio=squeeze_ratio, pct_3x3=pct_3x3)
    fires = [m for m in net.modules() if isinstance(m, Fire)]
    fire = fires[index]
    size = 14 if index < 2 else 7
    t = trace(fire, (1, fire.inplanes, size, size), receptive_field=False)
    return {
        "inplanes": fire.inplanes,
        "squeeze": fire.squeeze.out_channels,
        "e1x1": fire.expand1x1.out_channels,
        "e3x3": fire.expand3x3.out_channels,
        "size": size,
        "fire_params": int(t.total_params),
        "fire_mult_adds": int(t.total_mult_adds),
        "net_params": sum(p.numel() for p in net.parameters()),
    }


class SqueezeExplorer(Explorer):
    """Squeeze-ratio and 3x3-share sliders over the notebook's sweep.

    ``.widget`` is the root box, ``.controls`` = [SR slider, 3x3-share slider], ``.update()``
    redraws (``.renders`` counts), ``.text`` is the readout as plain text, ``.cost`` the live
    numbers of the current setting.
    """

    def __init__(self, rows: Sequence[dict], value: tuple[float, float] = (0.5, 0.5)) -> None:
        import ipywidgets as widgets

        if not rows:
            raise ValueError("no trained settings to show: pass the rows returned by lesson.run_grid(...).")
        self.rows = {_key(r): r for r in rows}
        self.renders = 0
        self.sr = widgets.SelectionSlider(
            options=SR_OPTIONS,
            value=value[0],
            description="squeeze ratio",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.pct = widgets.SelectionSlider(
            options=PCT_OPTIONS,
            value=value[1],
            description="share of 3x3",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.controls = [self.sr, self.pct]
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox([widgets.HBox([self.sr, self.pct]), self.readout, self.image])
        # Every chart is drawn once now (one per trained setting, one with nothing highlighted):
        # a slider move then only traces one small module and swaps an image.
        self._images = {key: self._draw(key) for key in self.rows}
        self._images[None] = self._draw(None)
        for c in self.controls:
            c.observe(lambda _: self.update(), names="value")
        self.text, self.cost = "", {}
        self.update()

    def _draw(self, selected: tuple[float, float] | None) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 3.4), dpi=72)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        names = dict((v, k) for k, v in SR_OPTIONS), dict((v, k) for k, v in PCT_OPTIONS)
        series = (
            ("squeeze ratio varied (3x3 share 1/2)", "C0", lambda k: k[1] == 0.5, 0),
            ("3x3 share varied (squeeze ratio 1/2)", "C2", lambda k: k[0] == 0.5, 1),
        )
        for label, colour, member, which in series:
            keys = sorted((k for k in self.rows if member(k)), key=lambda k: self.rows[k]["params"])
            if not keys:
                continue
            xs = [self.rows[k]["params"] for k in keys]
            accs = [self.rows[k]["acc"] for k in keys]
            means = [_mean(a) for a in accs]
            ax.errorbar(
                xs,
                means,
                yerr=[[m - min(a) for m, a in zip(means, accs)], [max(a) - m for m, a in zip(means, accs)]],
                color=colour,
                marker="o",
                capsize=3,
                label=label,
            )
            for k, x, m in zip(keys, xs, means):
                ax.annotate(
                    names[which].get(k[which], str(k[which])),
                    (x, m),
                    textcoords="offset points",
                    xytext=(4, -11 if which == 0 else 5),
                    fontsize=8,
                    color=colour,
                )
        if selected is not None:
            r = self.rows[selected]
            ax.plot(
                [r["params"]],
                [_mean(r["acc"])],
                marker="o",
                markersize=14,
                markerfacecolor="none",
                markeredgecolor="black",
                markeredgewidth=2,
                linestyle="none",
                label="your setting",
            )
        ax.set_xscale("log")
        ax.set_xlabel("parameters of the whole net (log scale)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title("MNIST SqueezeNet: mean of the seeds, bars min to max")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return figure_png(fig)

    def update(self) -> None:
        key = (float(self.sr.value), float(self.pct.value))
        self.renders += 1
        self.cost = c = fire_cost(*key)
        fire = (
            f"Fire module 6 ({c['inplanes']} channels in, {c['size']}x{c['size']}): s1x1 = {c['squeeze']}, "
            f"e1x1 = {c['e1x1']}, e3x3 = {c['e3x3']}: {c['fire_params']:,} parameters, "
            f"{c['fire_mult_adds'] / 1e6:.2f} M multiply-adds per image"
        )
        net = f"whole net: {c['net_params']:,} parameters"
        row = self.rows.get(key)
        if row is not None:
            accs = row["acc"]
            result = f"test accuracy {_mean(accs):.2f}% (min {min(accs):.2f}, max {max(accs):.2f}, {len(accs)} seeds)"
            self.text = "\n".join((fire, net, result))
            body = "<br>".join(html.escape(line) for line in self.text.splitlines())
            self.image.value = self._images[key]
        else:
            result = (
                "Not trained in this notebook: like the paper, it varies one knob at a time. Set the "
                "squeeze ratio or the share of 3x3 filters to 1/2 to see an accuracy."
            )
            self.text = "\n".join((fire, net, result))
            body = (
                "<br>".join(html.escape(line) for line in (fire, net))
                + f'<br><span class="{MESSAGE_CLASS}"><b>{html.escape(result)}</b></span>'
            )
            self.image.value = self._images[None]
        self.readout.value = body


def squeeze_explorer(rows: Sequence[dict], value: tuple[float, float] = (0.5, 0.5)) -> SqueezeExplorer:
    """The lesson's widget over the rows of ``lesson.run_grid(...)``."""
    return SqueezeExplorer(rows, value=value)


def demo() -> SqueezeExplorer:
    """A ready widget from made-up accuracies (no training), for the browser test and benchmarks."""
    import torch

    from ..models.fire_squeezenet import mnist_squeezenet

    rows = []
    for sr, pct, base in (
        (0.125, 0.5, 94.0),
        (0.25, 0.5, 95.2),
        (0.5, 0.5, 96.5),
        (1.0, 0.5, 97.1),
        (0.5, 0.25, 96.1),
        (0.5, 0.75, 96.6),
    ):
        with torch.device("meta"):
            params = sum(p.numel() for p in mnist_squeezenet(sr, pct).parameters())
        rows.append({"squeeze_ratio": sr, "pct_3x3": pct, "params": params, "acc": [base - 0.4, base, base + 0.3]})
    return SqueezeExplorer(rows)


__all__ = ["SqueezeExplorer", "squeeze_explorer", "fire_cost", "demo", "MESSAGE_CLASS", "SR_OPTIONS", "PCT_OPTIONS"]
