"""Lesson 01's widget: LRN and dropout applied to the real activations of a trained network.

``lrn_dropout_explorer(model, images, labels)`` takes the activations after a trained net's first
convolution and ReLU, applies the paper's local response normalization
b = a / (k + alpha * sum of a^2 over n neighbouring channels)^beta, then dropout with
probability p (a fixed random mask, scaled by 1/(1-p) as in training), and runs the rest of the
network on the result. It shows, in place:

- the first feature maps of one digit before and after (one grey scale for both rows, so a
  uniform dimming is visible as a uniformly darker row);
- a histogram of LRN(a) / a over every positive activation, divided by k^-beta: one bar at 1
  means LRN only multiplied everything by the constant k^-beta;
- the accuracy of the network on the digits with this LRN and dropout inserted, beside the same
  network with the constant k^-beta instead of LRN, and the unchanged network.

In plain Python (tests, benchmarks) set ``w.controls[0].value = 1e-2`` and read ``w.text`` or
``w.result``. The module imports ipywidgets only inside the functions that build widgets.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..viz import array_png
from .base import Explorer
from .channel_explorer import ERROR_CLASS

READOUT_CLASS = "cnnlessons-lrn-readout"
HIST_BINS = 20


def paper_lrn_by_hand(a: torch.Tensor, k: float, n: int, alpha: float, beta: float) -> torch.Tensor:
    """The paper's formula, alpha NOT divided by n (PyTorch's nn.LocalResponseNorm divides it)."""
    channels = a.shape[1]
    sq = F.pad(a.pow(2), (0, 0, 0, 0, n // 2, (n - 1) // 2))  # zero channels beyond the ends
    window = sum(sq[:, j : j + channels] for j in range(n))  # sum over n neighbours
    return a / (k + alpha * window) ** beta


def _grey_png(rows: list[np.ndarray], vmax: float, zoom: int = 3, gap: int = 2) -> bytes:
    """Rows of H x W maps -> one PNG, white = vmax, black = 0, on a light grid."""
    n_rows, n_cols = len(rows), len(rows[0])
    h, w = rows[0][0].shape
    canvas = np.full((n_rows * (h * zoom + gap) + gap, n_cols * (w * zoom + gap) + gap), 200, np.uint8)
    for r, maps in enumerate(rows):
        for c, m in enumerate(maps):
            tile = np.clip(m / vmax, 0, 1) * 255 if vmax > 0 else np.zeros_like(m)
            tile = np.kron(tile, np.ones((zoom, zoom))).astype(np.uint8)
            y, x = gap + r * (h * zoom + gap), gap + c * (w * zoom + gap)
            canvas[y : y + h * zoom, x : x + w * zoom] = tile
    return array_png(canvas)


class LRNDropoutExplorer(Explorer):
    """Sliders for LRN's alpha, k, n, beta and dropout's p, applied inside a trained network.

    ``model`` must have ``features`` (an nn.Sequential) and ``classifier``; the new layers go
    after ``features[:cut]`` (for ``small_cnn``, cut=2 is after the first convolution and ReLU).
    ``controls`` = [alpha, k, n, beta, p]; ``update()`` redraws; ``renders`` counts redraws;
    ``result`` holds the numbers (or ``error``), ``text`` the readout as plain text.
    """

    def __init__(
        self,
        model: nn.Module,
        images: torch.Tensor,
        labels: torch.Tensor,
        cut: int = 2,
        shown: int = 8,
        mask_seed: int = 0,
    ) -> None:
        import ipywidgets as W  # noqa: PLC0415

        if not (hasattr(model, "features") and hasattr(model, "classifier")):
            raise TypeError(
                "lrn_dropout_explorer needs a model with .features and .classifier, "
                "such as cnnlessons.models.alexnet_tricks.small_cnn()"
            )
        self.model = model.eval()
        self.cut = cut
        device = next(model.parameters()).device
        self.labels = labels.cpu()
        with torch.no_grad():
            self.acts = model.features[:cut](images.to(device)).cpu()  # N x C x H x W, after the ReLU
            self.baseline = self._accuracy(self.acts)
        if self.acts.min() < 0:
            raise ValueError(
                "the activations at this cut are negative somewhere: put the cut after a ReLU, "
                "where the paper applies LRN"
            )
        self.shown = min(shown, self.acts.shape[1])
        self._positive = self.acts > 1e-6
        self._windows: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._const_acc: dict[float, float] = {}
        self.mask_seed = mask_seed
        self.renders = 0
        self.result: dict[str, Any] = {}

        self._build(W)
        for c in self.controls:
            c.observe(self.update, names="value")
        self.widget = W.VBox([self.title, *self.controls, self.image, self.caption, self.readout, self.hist])
        self.update()

    # -- the computation ------------------------------------------------------------------------
    @torch.no_grad()
    def _accuracy(self, acts: torch.Tensor) -> float:
        rest = self.model.features[self.cut :]
        x = torch.flatten(rest(acts.to(next(self.model.parameters()).device)), 1)
        return (self.model.classifier(x).argmax(1).cpu() == self.labels).float().mean().item()

    def _values(self) -> tuple[float, float, int, float, float]:
        alpha, k, n, beta, p = (c.value for c in self.controls)
        return float(alpha), float(k), int(n), float(beta), float(p)

    def _problem(self, alpha: float, k: float, n: int, beta: float, p: float) -> str | None:
        if k == 0 and beta > 0:
            return (
                "k = 0: wherever a channel and its neighbours are all 0 the formula divides 0 by 0, and "
                "small activations are blown up instead of rescaled. Keep k above 0 (the paper uses 2)."
            )
        if p >= 1:
            return (
                "p = 1 drops every unit: nothing reaches the next layer, and the 1/(1 - p) scaling of the "
                "survivors divides by zero. Choose p below 1 (AlexNet uses 0.5)."
            )
        return None

    def _window(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Sum of a^2 over the n channels around each activation, and its sorted values at (a
        sample of) the positive activations. Both depend on n only: computed once per n."""
        if n not in self._windows:
            channels = self.acts.shape[1]
            sq = F.pad(self.acts.pow(2), (0, 0, 0, 0, n // 2, (n - 1) // 2))
            window = sum(sq[:, j : j + channels] for j in range(n))
            positive = window[self._positive]
            # The histogram needs sorted values; a strided sample of at most 200,000 keeps the sort
            # (once per n) fast. The smallest and largest are kept, so min/max stay exact.
            step = max(1, len(positive) // 200_000)
            sample = torch.cat([positive[::step], positive.min().view(1), positive.max().view(1)])
            self._windows[n] = (window, sample.sort().values)
        return self._windows[n]

    @staticmethod
    def _ratio_hist(sorted_window: torch.Tensor, k: float, alpha: float, beta: float) -> list[float]:
        """Histogram over [0, 1] of (1 + alpha S / k)^-beta = LRN(a) / (a k^-beta), one value per
        positive activation. The ratio falls as S grows, so each bin is an interval of S: count
        the sorted S between the interval's ends instead of touching every activation."""
        n = len(sorted_window)
        if alpha == 0 or beta == 0:
            return [0.0] * (HIST_BINS - 1) + [float(n)]
        edges = torch.linspace(0, 1, HIST_BINS + 1, dtype=torch.float64)[1:-1]  # inner ratio edges
        s_edges = (edges.pow(-1 / beta) - 1) * k / alpha  # decreasing in the ratio
        below = torch.searchsorted(sorted_window.double(), s_edges.flip(0), right=False)  # S < edge
        counts_by_s = torch.diff(torch.cat([torch.tensor([0]), below, torch.tensor([n])]))  # S intervals, low S first
        return counts_by_s.flip(0).double().tolist()  # ratio bins, low ratio first

    @torch.no_grad()
    def compute(self) -> dict[str, Any]:
        alpha, k, n, beta, p = self._values()
        problem = self._problem(alpha, k, n, beta, p)
        if problem:
            return {"error": problem}
        a = self.acts
        window, sorted_window = self._window(n)
        b = a * (k + alpha * window).pow_(-beta)  # the paper's LRN
        const = k**-beta
        lo = (1 + alpha * sorted_window[-1].item() / k) ** -beta  # LRN(a) / (a k^-beta): 1 = a constant
        hi = (1 + alpha * sorted_window[0].item() / k) ** -beta
        if p > 0:
            g = torch.Generator().manual_seed(self.mask_seed)
            mask = (torch.rand(a.shape, generator=g) >= p).to(a.dtype) / (1 - p)
            b = b * mask
        if const not in self._const_acc:
            self._const_acc[const] = self._accuracy(a * const)
        return {
            "alpha": alpha,
            "k": k,
            "n": n,
            "beta": beta,
            "p": p,
            "constant": const,
            "ratio_min": lo * const,
            "ratio_max": hi * const,
            "spread": hi / lo - 1,
            "hist": self._ratio_hist(sorted_window, k, alpha, beta),
            "acc_lrn": self._accuracy(b),
            "acc_const": self._const_acc[const],
            "acc_plain": self.baseline,
            "maps": (a[0, : self.shown].numpy(), b[0, : self.shown].numpy()),
            "zeroed": float((b[0] == 0).float().mean()) if p > 0 else 0.0,
        }

    # -- the view -------------------------------------------------------------------------------
    def _build(self, W: Any) -> None:
        """The five sliders (paper's alpha, k, n, beta; dropout p) and the title, image and readouts."""

        def slider(kind: type, description: str, **range_: Any) -> Any:
            return kind(
                description=description,
                continuous_update=False,
                style={"description_width": "initial"},
                layout=W.Layout(width="420px"),
                **range_,
            )

        self.controls = [
            slider(
                W.FloatLogSlider, "alpha (paper's)", value=1e-4, base=10, min=-6, max=0, step=0.25, readout_format=".1e"
            ),
            slider(W.FloatSlider, "k", value=2.0, min=0.0, max=4.0, step=0.25),
            slider(W.IntSlider, "n (channels summed)", value=5, min=1, max=15),
            slider(W.FloatSlider, "beta", value=0.75, min=0.0, max=2.0, step=0.05),
            slider(W.FloatSlider, "dropout p", value=0.0, min=0.0, max=1.0, step=0.05),
        ]
        self.title = W.HTML(
            f"<b>LRN and dropout after the first convolution</b> of a trained network, "
            f"{len(self.labels)} test digits ({self.acts.shape[1]} channels of "
            f"{self.acts.shape[2]} x {self.acts.shape[3]})"
        )
        self.image = W.Image(format="png", layout=W.Layout(width="auto"))
        self.caption = W.HTML(
            f"rows: the first {self.shown} feature maps of digit 0 before (top) and after "
            "(bottom) LRN and dropout, one grey scale for both"
        )
        self.readout = W.HTML()
        self.readout.add_class(READOUT_CLASS)
        self.hist = W.HTML()

    def update(self, change: Any = None) -> None:
        """Redraw from the controls' values."""
        self.renders += 1
        try:
            r = self.compute()
        except Exception as e:  # noqa: BLE001  (a widget shows the problem, never a traceback)
            r = {"error": f"this setting cannot be computed: {e}"}
        self.result = r
        if "error" in r:
            self.readout.add_class(ERROR_CLASS)
            self.readout.value = f"<div style='color:#a0522d'><b>Not possible:</b> {html.escape(r['error'])}</div>"
            self.hist.value = ""
            return
        self.readout.remove_class(ERROR_CLASS)
        before, after = r["maps"]
        self.image.value = _grey_png([list(before), list(after)], vmax=float(before.max()))
        self.readout.value = (
            "<div>"
            f"LRN(a) / a over all positive activations: min {r['ratio_min']:.4f}, max {r['ratio_max']:.4f}; "
            f"k<sup>-beta</sup> = {r['constant']:.4f}; spread max/min &minus; 1 = <b>{100 * r['spread']:.2f}%</b><br>"
            f"accuracy on the {len(self.labels)} digits: unchanged net <b>{100 * r['acc_plain']:.1f}%</b> | "
            f"with this LRN{' and dropout' if r['p'] > 0 else ''} <b>{100 * r['acc_lrn']:.1f}%</b> | "
            f"with the constant k<sup>-beta</sup> instead of LRN <b>{100 * r['acc_const']:.1f}%</b>"
            + (f"<br>dropout zeroed {100 * r['zeroed']:.0f}% of digit 0's activations" if r["p"] > 0 else "")
            + "</div>"
        )
        total = max(sum(r["hist"]), 1)
        bars = "".join(
            f"<div title='{i / HIST_BINS:.2f}-{(i + 1) / HIST_BINS:.2f}: {100 * c / total:.1f}%' style='display:inline-block;"
            f"width:14px;margin-right:1px;vertical-align:bottom;background:#1f77b4;"
            f"height:{max(1, int(80 * c / total))}px'></div>"
            for i, c in enumerate(r["hist"])
        )
        self.hist.value = (
            f"<div><b>LRN(a) / a divided by k<sup>-beta</sup></b> (0 on the left, 1 on the right; "
            f"one bar at 1 = LRN is a constant rescaling)</div><div style='height:82px'>{bars}</div>"
        )

    @property
    def text(self) -> str:
        r = self.result
        if "error" in r:
            return "Not possible: " + r["error"]
        return (
            f"ratio min {r['ratio_min']:.4f} max {r['ratio_max']:.4f} (k^-beta {r['constant']:.4f}), "
            f"spread {100 * r['spread']:.2f}%; accuracy unchanged {100 * r['acc_plain']:.1f}%, "
            f"LRN {100 * r['acc_lrn']:.1f}%, constant {100 * r['acc_const']:.1f}%"
        )


def lrn_dropout_explorer(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, cut: int = 2, shown: int = 8
) -> LRNDropoutExplorer:
    """The lesson's widget on ``model`` (trained), with ``images``/``labels`` (a few hundred test digits)."""
    return LRNDropoutExplorer(model, images, labels, cut=cut, shown=shown)


def demo() -> LRNDropoutExplorer:
    """A ready widget from cheap data: a small CNN trained for 60 steps on 1,000 digits (about a second)."""
    from ..data import load_mnist
    from ..models.alexnet_tricks import small_cnn
    from ..train import fit

    x, y = load_mnist("train", subset=1_000)
    model = small_cnn()
    fit(model, (x, y), None, steps=60, batch_size=64, optimizer="adam", device="cpu", live=False, progress=False)
    xt, yt = load_mnist("test", subset=300)
    return lrn_dropout_explorer(model, xt, yt)
