"""Lesson 02 widget: the receptive field of one output unit, measured from gradients.

``rf_explorer(image)`` builds a real stack of convolutions (one channel, no padding, positive
weights, ReLU after each) from four controls: depth, kernel size, stride and dilation. Each change
backpropagates from the centre unit of the last map to the input and draws |gradient| on the input
(orange; every non-zero pixel is one the unit depends on), the formula's receptive field as a
blue square, and the three answers side by side: measured, formula, and ``cl.trace``'s RF column.
A setting that shrinks the map below one pixel shows a message instead.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import torch

from ..lessons.vgg_small_kernels import conv_stack, measure_rf, output_sizes, rf_formula
from ..viz import array_png
from .base import Explorer
from .start_here import ERROR_CLASS, _box, _html_error, _upscale

RF_CLASS = "cnnlessons-rf"  # the readout (the browser test reads it)


class RFExplorer(Explorer):
    """Depth, kernel, stride and dilation of a conv stack -> its measured receptive field.

    ``.controls``: depth, kernel, stride, dilation. ``.result``: the measurement (``side``,
    ``nonzero``, ``box``, ``unit``, ``out_size``), ``formula`` and ``traced`` receptive fields,
    or ``error``.
    """

    def __init__(self, image: torch.Tensor | None = None, size: int = 64, scale: int = 4) -> None:
        import ipywidgets as widgets

        self.size, self.scale = size, scale
        if image is None:
            image = torch.zeros(size, size)
        img = torch.as_tensor(image, dtype=torch.float32).squeeze()
        if img.dim() != 2:
            raise ValueError(f"rf_explorer takes one grey image (H x W), got shape {tuple(image.shape)}")
        if img.shape != (size, size):  # an MNIST digit: enlarge it to fill the input
            img = torch.nn.functional.interpolate(
                img[None, None], size=(size, size), mode="bilinear", align_corners=False
            )[0, 0]
        lo, hi = float(img.min()), float(img.max())
        self.image = (img - lo) / (hi - lo) if hi > lo else torch.zeros_like(img)
        style = {"description_width": "initial"}
        self.depth = widgets.IntSlider(
            value=2, min=1, max=8, description="depth (layers)", style=style, continuous_update=False
        )
        self.kernel = widgets.Dropdown(options=[1, 3, 5, 7], value=3, description="kernel size", style=style)
        self.stride = widgets.IntSlider(
            value=1, min=1, max=3, description="stride", style=style, continuous_update=False
        )
        self.dilation = widgets.IntSlider(
            value=1, min=1, max=3, description="dilation", style=style, continuous_update=False
        )
        self.controls = [self.depth, self.kernel, self.stride, self.dilation]
        self.view = widgets.Image(format="png")
        self.readout = widgets.HTML()
        self.readout.add_class(RF_CLASS)
        self.renders = 0
        self.result: dict[str, Any] = {}
        for control in self.controls:
            control.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    f"<b>Receptive field of the centre unit</b> of a stack of convolutions "
                    f"(no padding) on a {size} x {size} input: orange = |gradient| of that unit "
                    "with respect to each input pixel, blue square = the formula's receptive field"
                ),
                widgets.HBox([self.depth, self.kernel]),
                widgets.HBox([self.stride, self.dilation]),
                widgets.HBox([self.view, self.readout]),
            ]
        )
        self.update()

    def settings(self) -> dict[str, int]:
        return {
            "depth": self.depth.value,
            "kernel": self.kernel.value,
            "stride": self.stride.value,
            "dilation": self.dilation.value,
        }

    def update(self) -> None:
        """Build the stack, backpropagate from its centre unit, redraw."""
        from ..trace import trace

        self.renders += 1
        s = self.settings()
        try:
            m = measure_rf(size=self.size, image=self.image, **s)
        except ValueError as exc:
            self.result = {"error": str(exc)}
            self.readout.add_class(ERROR_CLASS)
            self.readout.value = _html_error(str(exc))
            self.view.value = array_png(self._picture(None, None))
            return
        self.readout.remove_class(ERROR_CLASS)
        rf, jump = rf_formula(**s)
        table = trace(conv_stack(**s), (1, 1, self.size, self.size))
        traced = table.rows[-1].rf
        self.result = {**m, "formula": rf, "jump": jump, "traced": traced}
        h, w = m["side"]
        holes = h * w - m["nonzero"]
        grad = m["grad"]
        inner = _centre_share(grad, m["box"])
        sizes = output_sizes(self.size, **s)
        layers = "".join(
            f"<tr><td>{i}</td><td>{sizes[i]} x {sizes[i]}</td><td>{r}</td><td>{j}</td></tr>"
            for i, (r, j) in enumerate(
                [rf_formula(d, s["kernel"], s["stride"], s["dilation"]) for d in range(1, s["depth"] + 1)], start=1
            )
        )
        self.readout.value = (
            "<div style='font-family:monospace;line-height:1.5'>"
            f"<b>measured</b> (non-zero gradient): {h} x {w} pixels, {m['nonzero']:,} of {h * w:,} non-zero"
            f"{f' ({holes:,} holes)' if holes else ''}<br>"
            f"<b>formula</b> 1 + sum of (k - 1) x d x jump: {rf} x {rf}<br>"
            f"<b>cl.trace</b> RF column: {traced}<br>"
            f"output map {m['out_size']} x {m['out_size']}; unit at row {m['unit'][0]}, column {m['unit'][1]}<br>"
            f"gradient in the middle half of the square: {inner:.0%} of the total<br>"
            "<table style='border-collapse:collapse'><tr><th>layer</th><th>map</th><th>RF</th><th>jump</th></tr>"
            f"{layers}</table></div>"
        )
        self.view.value = array_png(self._picture(grad, (m["box"], rf)))

    def _picture(self, grad: torch.Tensor | None, boxes: Any) -> np.ndarray:
        base = self.image.numpy() * 0.45  # the digit, dimmed
        rgb = np.stack([base, base, base], axis=-1)
        if grad is not None:
            g = grad.numpy()
            g = np.sqrt(g / g.max()) if g.max() > 0 else g  # square root: the faint edges stay visible
            orange = np.array([0.90, 0.62, 0.0])
            rgb = rgb * (1 - g[..., None]) + orange * g[..., None]
        rgb = _upscale((np.clip(rgb, 0, 1) * 255).astype(np.uint8), self.scale)
        if boxes is not None:
            (top, left, h, w), rf = boxes
            # the formula's square, centred on the measured box's centre
            cy, cx = top + (h - 1) / 2, left + (w - 1) / 2
            t, l = int(round(cy - (rf - 1) / 2)), int(round(cx - (rf - 1) / 2))
            _box(
                rgb,
                t * self.scale - 1,
                l * self.scale - 1,
                rf * self.scale + 2,
                rf * self.scale + 2,
                colour=(0, 114, 178),
                line=2,
            )
        return rgb

    @property
    def text(self) -> str:
        import re

        return html.unescape(re.sub(r"<[^>]+>", " ", self.readout.value)).strip()


def _centre_share(grad: torch.Tensor, box: tuple[int, int, int, int]) -> float:
    """Share of the total |gradient| inside the middle half (by side) of the measured box."""
    top, left, h, w = box
    t, l = top + h // 4, left + w // 4
    inner = grad[t : t + max(1, h - 2 * (h // 4)), l : l + max(1, w - 2 * (w // 4))].sum()
    total = grad.sum()
    return float(inner / total) if total > 0 else 0.0


def rf_explorer(image: torch.Tensor | None = None, size: int = 64) -> RFExplorer:
    """The receptive-field widget on ``image`` (one grey image; an MNIST digit is enlarged to ``size``)."""
    return RFExplorer(image, size=size)


def demo() -> RFExplorer:
    """The widget on the first test digit (cheap: no training)."""
    from ..data import load_mnist

    x, _ = load_mnist("test", subset=1)
    return RFExplorer(x[0, 0])
