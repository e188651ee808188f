"""Lesson 00 widgets: draw a digit for a trained TinyCNN, and one convolution computed by hand.

``DigitCanvas`` (``digit_canvas(model)``): draw with the mouse, see what the network answers.
Data flow, one stroke at a time:

1. The browser's canvas (ipycanvas, 280 x 280 pixels) sends mouse positions to Python; the
   stroke is drawn on the canvas as the mouse moves (that drawing is only for the eye).
2. When the button is released, ``add_stroke(points)`` receives the stroke's points, in canvas
   pixels (tests and the browser test call the same method). The strokes are kept in Python.
3. ``ink()`` rasterizes all strokes again in Python (PIL, a 22-pixel pen) into a 280 x 280 array.
4. ``to_mnist(ink)`` prepares it the way MNIST's digits were prepared (LeCun et al., 1998): crop
   the ink, scale its longer side to 20 pixels, put it in a 28 x 28 image with its centre of mass
   in the middle, then normalize with MNIST's mean and standard deviation. Without this step a
   digit drawn small or off-centre looks nothing like a training image (the "centre like MNIST"
   box switches it off, to see that).
5. The model runs in eval mode; the probabilities (softmax of the scores) and the feature maps of
   one layer are drawn into an HTML bar chart and a PNG.

``ConvStep`` (``conv_step(image)``): pick an output pixel and a kernel; see the 3 x 3 input
window, the kernel, the nine products and their sum, which is the output value.

Both follow the lessons' widget contract: ``.widget`` (the root box), ``.controls`` (the value
widgets a student moves), ``.update()`` (redraw; counts ``.renders``), a message in the widget
for impossible settings, and ``demo()`` for the browser test and the benchmarks.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data import MNIST_MEAN, MNIST_STD
from ..viz import array_png
from .base import Explorer

PROBS_CLASS = "cnnlessons-digit-probs"  # the probability bars (the browser test reads them)
ERROR_CLASS = "cnnlessons-error"  # added to a message while a setting is impossible

CANVAS_SIZE = 280  # pixels of the drawing area (10 per MNIST pixel)
PEN_WIDTH = 22  # pixels; after scaling to 20 pixels of digit height, about MNIST's 2-3 pixel strokes


# ---------------------------------------------------------------------------------------------
# Pictures without matplotlib figures (fast: a few milliseconds per update)
# ---------------------------------------------------------------------------------------------
def _colormap(name: str) -> np.ndarray:
    import matplotlib

    return (matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def _to_rgb(values: np.ndarray, cmap: str, lo: float, hi: float) -> np.ndarray:
    """values (H, W) -> (H, W, 3) uint8 through a matplotlib colormap, ``lo``..``hi`` mapped to 0..255."""
    scale = (np.asarray(values, dtype=np.float64) - lo) / max(hi - lo, 1e-12)
    return _colormap(cmap)[np.clip((scale * 255).round(), 0, 255).astype(np.int64)]


def _upscale(rgb: np.ndarray, factor: int) -> np.ndarray:
    return rgb.repeat(factor, axis=0).repeat(factor, axis=1)


def _box(rgb: np.ndarray, top: int, left: int, height: int, width: int, colour=(230, 159, 0), line: int = 2) -> None:
    """Draw a rectangle outline in place (pixel coordinates of ``rgb``), clipped to the image."""
    h, w = rgb.shape[:2]
    t, l = max(top, 0), max(left, 0)
    b, r = min(top + height, h), min(left + width, w)
    if t >= b or l >= r:
        return
    rgb[t : min(t + line, b), l:r] = colour
    rgb[max(b - line, t) : b, l:r] = colour
    rgb[t:b, l : min(l + line, r)] = colour
    rgb[t:b, max(r - line, l) : r] = colour


def _grid(maps: np.ndarray, ncols: int, factor: int, cmap: str = "viridis", gap: int = 2) -> np.ndarray:
    """(C, H, W) feature maps -> one RGB image, all maps on one colour scale (0 .. the largest value)."""
    c, h, w = maps.shape
    hi = float(maps.max()) if maps.size and maps.max() > 0 else 1.0
    nrows = -(-c // ncols)
    cell_h, cell_w = h * factor + gap, w * factor + gap
    out = np.full((nrows * cell_h - gap, ncols * cell_w - gap, 3), 255, np.uint8)
    for i in range(c):
        r, q = divmod(i, ncols)
        out[r * cell_h : r * cell_h + h * factor, q * cell_w : q * cell_w + w * factor] = _upscale(
            _to_rgb(maps[i], cmap, 0.0, hi), factor
        )
    return out


def _side_by_side(images: Sequence[np.ndarray], gap: int = 12) -> np.ndarray:
    height = max(im.shape[0] for im in images)
    width = sum(im.shape[1] for im in images) + gap * (len(images) - 1)
    out = np.full((height, width, 3), 255, np.uint8)
    x = 0
    for im in images:
        out[: im.shape[0], x : x + im.shape[1]] = im
        x += im.shape[1] + gap
    return out


def _html_error(text: str) -> str:
    return f"<div style='color:#b00020;white-space:pre-wrap'><b>Not possible:</b> {html.escape(text)}</div>"


# ---------------------------------------------------------------------------------------------
# From strokes to an MNIST-like input
# ---------------------------------------------------------------------------------------------
def rasterize(
    strokes: Sequence[Sequence[tuple[float, float]]], size: int = CANVAS_SIZE, pen: int = PEN_WIDTH
) -> np.ndarray:
    """Strokes (lists of (x, y) canvas pixels) -> (size, size) float array of ink in 0..1."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    r = pen / 2
    for stroke in strokes:
        pts = [(float(x), float(y)) for x, y in stroke]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=pen, joint="curve")
        for x, y in pts:  # round ends and joints
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(img, dtype=np.float32) / 255.0


def to_mnist(ink: np.ndarray, center: bool = True) -> np.ndarray:
    """A drawing (H, W) in 0..1 -> a 28 x 28 image in 0..1, prepared like MNIST's digits.

    ``center=True``: crop the ink, scale its longer side to 20 pixels (antialiased), paste it in a
    28 x 28 image and shift it so its centre of mass sits at the centre. ``center=False``: only
    shrink the whole drawing to 28 x 28 (a small digit in a corner stays small and in the corner).
    """
    from PIL import Image

    ink = np.asarray(ink, dtype=np.float32)
    if not center:
        img = Image.fromarray((ink * 255).astype(np.uint8)).resize((28, 28), Image.BOX)
        return np.asarray(img, dtype=np.float32) / 255.0
    rows, cols = np.nonzero(ink > 0.05)
    if rows.size == 0:
        return np.zeros((28, 28), np.float32)
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS)
    small = np.asarray(small, dtype=np.float32) / 255.0
    out = np.zeros((28, 28), np.float32)
    top, left = (28 - nh) // 2, (28 - nw) // 2
    out[top : top + nh, left : left + nw] = small
    total = out.sum()
    if total > 0:  # move the centre of mass to (13.5, 13.5), the middle of the 28 x 28 grid
        ys, xs = np.mgrid[0:28, 0:28]
        dy = int(round(13.5 - (ys * out).sum() / total))
        dx = int(round(13.5 - (xs * out).sum() / total))
        shifted = np.zeros_like(out)
        src = out[max(0, -dy) : 28 - max(0, dy), max(0, -dx) : 28 - max(0, dx)]
        shifted[max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
        out = shifted
    return np.clip(out, 0.0, 1.0)


def to_model_input(image28: np.ndarray) -> torch.Tensor:
    """A 28 x 28 image in 0..1 -> the (1, 1, 28, 28) tensor the lessons' MNIST models expect."""
    return ((torch.from_numpy(np.ascontiguousarray(image28)) - MNIST_MEAN) / MNIST_STD).view(1, 1, 28, 28)


# ---------------------------------------------------------------------------------------------
# Draw a digit
# ---------------------------------------------------------------------------------------------
class DigitCanvas(Explorer):
    """Draw a digit; the model's prediction, class probabilities and feature maps follow.

    ``.controls``: the "centre like MNIST" checkbox and the layer whose maps are shown.
    ``.add_stroke(points)`` adds a stroke (list of (x, y) in canvas pixels) and updates;
    ``.clear()`` wipes the drawing. After an update: ``.probs`` (10 probabilities),
    ``.prediction`` (the most likely digit or None), ``.image28`` (what the network saw, 0..1).
    """

    def __init__(self, model: nn.Module, layer: str | None = None, size: int = CANVAS_SIZE) -> None:
        import ipywidgets as widgets

        self.model = model.eval()
        self.size = size
        self.strokes: list[list[tuple[float, float]]] = []
        self._current: list[tuple[float, float]] = []
        self.renders = 0
        self.probs: torch.Tensor | None = None
        self.prediction: int | None = None
        self.image28 = np.zeros((28, 28), np.float32)

        from ..viz import default_layers

        layers = [n for n in default_layers(model) if n.endswith(("relu", "pool")) or "relu" in n] or default_layers(
            model
        )
        self.layer = widgets.Dropdown(
            options=layers, value=layer if layer in layers else layers[0], description="feature maps of"
        )
        self.center = widgets.Checkbox(value=True, description="centre like MNIST", indent=False)
        self.controls = [self.center, self.layer]
        self.clear_button = widgets.Button(description="clear", icon="eraser", layout=widgets.Layout(width="90px"))
        self.clear_button.on_click(lambda _b: self.clear())
        self.canvas = self._make_canvas()
        self.bars = widgets.HTML()
        self.bars.add_class(PROBS_CLASS)
        self.view = widgets.Image(format="png")
        self.message = widgets.HTML()
        for control in self.controls:
            control.observe(lambda _change: self.update(), names="value")
        left = widgets.VBox([self.canvas, widgets.HBox([self.clear_button, self.center])])
        right = widgets.VBox([self.bars, self.message])
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    "<b>Draw a digit</b> with the mouse (one stroke per press); the prediction "
                    "updates after each stroke."
                ),
                widgets.HBox([left, right]),
                self.layer,
                widgets.HTML(
                    "<small>Left: the 28 x 28 image the network receives. Right: the feature maps of "
                    "the chosen layer, one per channel, on one colour scale (bright = strong).</small>"
                ),
                self.view,
            ]
        )
        self.update()

    def _make_canvas(self) -> Any:
        if "google.colab" in sys.modules:  # Colab shows third-party widgets only with this switch
            from google.colab import output  # type: ignore[import-not-found]

            output.enable_custom_widget_manager()
        from ipycanvas import Canvas

        canvas = Canvas(
            width=self.size,
            height=self.size,
            layout={"width": f"{self.size}px", "height": f"{self.size}px", "border": "1px solid #888"},
        )
        canvas.fill_style = "black"
        canvas.fill_rect(0, 0, self.size, self.size)
        canvas.stroke_style = "white"
        canvas.line_width = PEN_WIDTH
        canvas.line_cap = "round"
        canvas.line_join = "round"
        canvas.on_mouse_down(self._on_down)
        canvas.on_mouse_move(self._on_move)
        canvas.on_mouse_up(self._on_up)
        canvas.on_mouse_out(self._on_up)
        return canvas

    # mouse events -> strokes (the drawing on the canvas is only what the eye sees)
    def _on_down(self, x: float, y: float) -> None:
        self._current = [(x, y)]
        self.canvas.fill_style = "white"
        self.canvas.fill_circle(x, y, PEN_WIDTH / 2)

    def _on_move(self, x: float, y: float) -> None:
        if not self._current:
            return
        x0, y0 = self._current[-1]
        self.canvas.stroke_line(x0, y0, x, y)
        self._current.append((x, y))

    def _on_up(self, x: float, y: float) -> None:
        if not self._current:
            return
        stroke, self._current = self._current, []
        self.add_stroke(stroke, draw=False)

    def add_stroke(self, points: Sequence[tuple[float, float]], draw: bool = True) -> None:
        """Add one stroke (a list of (x, y) in canvas pixels, 0..size) and update the prediction."""
        pts = [(float(x), float(y)) for x, y in points]
        if not pts:
            return
        if draw:  # strokes fed from code are drawn too, so the canvas shows them
            self.canvas.fill_style = "white"
            self.canvas.fill_circle(pts[0][0], pts[0][1], PEN_WIDTH / 2)
            if len(pts) > 1:
                self.canvas.stroke_lines(pts)
        self.strokes.append(pts)
        self.update()

    def clear(self) -> None:
        """Wipe the drawing and the prediction."""
        self.strokes, self._current = [], []
        self.canvas.fill_style = "black"
        self.canvas.fill_rect(0, 0, self.size, self.size)
        self.update()

    def ink(self) -> np.ndarray:
        """All strokes rasterized: (size, size) in 0..1."""
        return rasterize(self.strokes, self.size)

    @torch.no_grad()
    def update(self) -> None:
        """Rasterize, prepare like MNIST, run the model, redraw the bars and the maps."""
        from ..viz import capture_output

        self.renders += 1
        self.message.remove_class(ERROR_CLASS)
        if not self.strokes:
            self.probs, self.prediction = None, None
            self.image28 = np.zeros((28, 28), np.float32)
            self.bars.value = "<div><b>Prediction:</b> draw a digit first.</div>"
            self.message.value = ""
            self.view.value = array_png(_upscale(_to_rgb(self.image28, "gray", 0, 1), 4))
            return
        self.image28 = to_mnist(self.ink(), center=self.center.value)
        x = to_model_input(self.image28).to(next(self.model.parameters()).device)
        self.model.eval()
        _, maps = capture_output(self.model, x[0], self.layer.value)
        self.probs = self.model(x).softmax(1)[0].cpu()
        self.prediction = int(self.probs.argmax())
        self.bars.value = _prob_bars(self.probs)
        ink_share = float((self.image28 > 0.5).mean())
        self.message.value = (
            "<div style='color:#555'>The digit looks very thick after scaling: draw it larger.</div>"
            if ink_share > 0.35
            else ""
        )
        maps = maps[0].float().cpu().numpy()
        if maps.ndim != 3:
            self.message.add_class(ERROR_CLASS)
            self.message.value = _html_error(f"{self.layer.value} gives no feature maps (shape {maps.shape}).")
            return
        seen = _upscale(_to_rgb(self.image28, "gray", 0, 1), 4)
        factor = max(1, 112 // maps.shape[1])
        self.view.value = array_png(_side_by_side([seen, _grid(maps, 8, factor // 2 or 1)]))


def _prob_bars(probs: torch.Tensor) -> str:
    top = int(probs.argmax())
    rows = []
    for digit, p in enumerate(probs.tolist()):
        colour = "#e69f00" if digit == top else "#0072b2"
        weight = "bold" if digit == top else "normal"
        rows.append(
            f"<tr><td style='font-family:monospace;font-weight:{weight};padding-right:6px'>{digit}</td>"
            f"<td style='width:200px'><div style='background:{colour};height:12px;width:{100 * p:.1f}%'></div></td>"
            f"<td style='padding-left:6px;font-family:monospace'>{100 * p:5.1f}%</td></tr>"
        )
    return (
        f"<div><b>Prediction: {top}</b> ({100 * float(probs[top]):.1f}%)</div>"
        f"<table style='border-collapse:collapse'>{''.join(rows)}</table>"
    )


def digit_canvas(model: nn.Module, layer: str | None = None) -> DigitCanvas:
    """A drawing canvas wired to ``model`` (a trained MNIST classifier such as TinyCNN)."""
    return DigitCanvas(model, layer=layer)


# ---------------------------------------------------------------------------------------------
# A convolution step by step
# ---------------------------------------------------------------------------------------------
KERNELS: dict[str, list[list[float]]] = {
    "vertical edge": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "horizontal edge": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "blur (mean of 9)": [[1 / 9] * 3] * 3,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
}


class ConvStep(Explorer):
    """One 3 x 3 convolution on a digit (pixel values 0..1), one output pixel at a time.

    ``.controls``: output row, output column, kernel, padding. ``.result`` holds the window, the
    kernel, the products, their sum and the output map's value at that pixel (they agree).
    """

    def __init__(self, image: torch.Tensor, kernels: dict[str, Any] | None = None) -> None:
        import ipywidgets as widgets

        img = torch.as_tensor(image, dtype=torch.float32).squeeze()
        if img.dim() != 2:
            raise ValueError(f"ConvStep takes one grey image (H x W), got shape {tuple(image.shape)}")
        self.image = img
        self.kernels = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in (kernels or KERNELS).items()}
        for name, k in self.kernels.items():
            if tuple(k.shape) != (3, 3):
                raise ValueError(f"kernel {name!r} must be 3 x 3, got {tuple(k.shape)}")
        h, w = img.shape
        style = {"description_width": "initial"}
        self.row = widgets.IntSlider(
            value=h // 2, min=0, max=h - 1, description="output row", continuous_update=True, style=style
        )
        self.col = widgets.IntSlider(
            value=w // 2, min=0, max=w - 1, description="output column", continuous_update=True, style=style
        )
        self.kernel = widgets.Dropdown(options=list(self.kernels), value=list(self.kernels)[0], description="kernel")
        self.padding = widgets.Dropdown(
            options=[("1 (output keeps 28 x 28)", 1), ("0 (no padding)", 0)],
            value=1,
            description="padding",
            style=style,
        )
        self.controls = [self.row, self.col, self.kernel, self.padding]
        self.view = widgets.Image(format="png")
        self.detail = widgets.HTML()
        self.renders = 0
        self.result: dict[str, Any] = {}
        self._out_cache: dict[tuple[str, int], torch.Tensor] = {}
        for control in self.controls:
            control.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.row, self.col]),
                widgets.HBox([self.kernel, self.padding]),
                widgets.HTML(
                    "<small>Left: the input (black 0 to white 1; light-blue frame: padding zeros), the "
                    "orange box is the 3 x 3 window. Right: the output map (orange positive, purple "
                    "negative), the orange box is the chosen output pixel.</small>"
                ),
                self.view,
                self.detail,
            ]
        )
        self.update()

    def output_map(self) -> torch.Tensor:
        """The whole output map for the current kernel and padding (what nn.Conv2d computes)."""
        key = (self.kernel.value, self.padding.value)
        if key not in self._out_cache:
            k = self.kernels[self.kernel.value].view(1, 1, 3, 3)
            self._out_cache[key] = F.conv2d(self.image.view(1, 1, *self.image.shape), k, padding=self.padding.value)[
                0, 0
            ]
        return self._out_cache[key]

    def update(self) -> None:
        """Recompute the chosen output pixel by hand and redraw."""
        self.renders += 1
        pad, r, c = self.padding.value, self.row.value, self.col.value
        out = self.output_map()
        oh, ow = out.shape
        if r >= oh or c >= ow:
            self.result = {"error": True}
            self.detail.add_class(ERROR_CLASS)
            self.detail.value = _html_error(
                f"with padding {pad} the output is {oh} x {ow}, so rows and columns go from 0 to {oh - 1}; "
                f"output ({r}, {c}) does not exist. A 3 x 3 window fits {oh} times across a row of "
                f"{self.image.shape[1]} pixels without padding. Move the sliders to {oh - 1} or less, "
                "or set padding to 1."
            )
            self.view.value = array_png(self._picture(out, None))
            return
        self.detail.remove_class(ERROR_CLASS)
        padded = F.pad(self.image, (pad, pad, pad, pad))
        window = padded[r : r + 3, c : c + 3]  # output (r, c) reads input rows r-pad .. r-pad+2
        kernel = self.kernels[self.kernel.value]
        products = window * kernel
        total = float(products.sum())
        self.result = {
            "window": window,
            "kernel": kernel,
            "products": products,
            "sum": total,
            "output": float(out[r, c]),
            "output_shape": (oh, ow),
        }
        self.detail.value = self._tables(window, kernel, products, total, r, c, pad)
        self.view.value = array_png(self._picture(out, (r, c)))

    def _picture(self, out: torch.Tensor, pixel: tuple[int, int] | None) -> np.ndarray:
        f = 8
        pad = self.padding.value
        img = F.pad(self.image, (1, 1, 1, 1), value=float("nan")).numpy()  # a frame for the padding
        rgb = _to_rgb(np.nan_to_num(img, nan=0.0), "gray", 0.0, max(1.0, float(self.image.max())))
        if pad:
            rgb[0, :] = rgb[-1, :] = rgb[:, 0] = rgb[:, -1] = (86, 180, 233)  # zeros added by padding
        else:
            rgb[0, :] = rgb[-1, :] = rgb[:, 0] = rgb[:, -1] = (255, 255, 255)
        rgb = _upscale(rgb, f)
        o = out.numpy()
        lim = max(float(np.abs(o).max()), 1e-6)
        orgb = _upscale(_to_rgb(o, "PuOr_r", -lim, lim), f)
        if pixel is not None:
            r, c = pixel
            # window in the framed picture: framed row = input row + 1 = r - pad + 1
            _box(rgb, (r - pad + 1) * f, (c - pad + 1) * f, 3 * f, 3 * f)
            _box(orgb, r * f, c * f, f, f)
        return _side_by_side([rgb, orgb], gap=24)

    @staticmethod
    def _tables(
        window: torch.Tensor, kernel: torch.Tensor, products: torch.Tensor, total: float, r: int, c: int, pad: int
    ) -> str:
        def table(m: torch.Tensor, title: str) -> str:
            cells = "".join(
                "<tr>"
                + "".join(
                    f"<td style='border:1px solid #bbb;padding:2px 6px;text-align:right;"
                    f"font-family:monospace'>{v:+.2f}</td>"
                    for v in row.tolist()
                )
                + "</tr>"
                for row in m
            )
            return f"<td style='vertical-align:top;padding-right:14px'><b>{title}</b><table>{cells}</table></td>"

        terms = " + ".join(f"({v:+.2f})" for v in products.flatten().tolist())
        return (
            f"<div>output pixel (row {r}, column {c}) reads input rows {r - pad} to {r - pad + 2} and "
            f"columns {c - pad} to {c - pad + 2} (rows or columns below 0 or past the edge are padding zeros)</div>"
            f"<table><tr>{table(window, 'input window')}{table(kernel, 'kernel')}"
            f"{table(products, 'window x kernel')}</tr></table>"
            f"<div style='font-family:monospace'>sum = {terms}<br><b>= {total:+.3f}</b> "
            f"(the output map holds {total:+.3f} at this pixel)</div>"
        )


def conv_step(image: torch.Tensor, kernels: dict[str, Any] | None = None) -> ConvStep:
    """A convolution step by step on ``image`` (one grey H x W image, values 0..1 read best)."""
    return ConvStep(image, kernels)


# ---------------------------------------------------------------------------------------------
# demo(): cheap, ready widgets for the browser test and benchmarks/bench_widgets.py
# ---------------------------------------------------------------------------------------------
EXAMPLE_SEVEN = [(70, 70), (140, 66), (210, 64), (185, 120), (160, 175), (140, 230)]


def demo(kind: str = "canvas") -> DigitCanvas | ConvStep:
    """``kind="canvas"``: a TinyCNN trained for one short epoch on 2,000 digits (a few seconds),
    with a 7 already drawn; ``kind="conv"``: the convolution of the first test digit."""
    from ..data import load_mnist

    if kind == "conv":
        x, _ = load_mnist("test", subset=1)
        return ConvStep(x[0, 0] * MNIST_STD + MNIST_MEAN)
    if kind != "canvas":
        raise ValueError(f"kind={kind!r}: use 'canvas' or 'conv'")
    from ..models.start_here import TinyCNN
    from ..train import fit

    x, y = load_mnist("train", subset=2_000)
    torch.manual_seed(0)
    model = TinyCNN()
    fit(model, (x, y), epochs=1, batch_size=64, optimizer="adam", device="cpu", live=False, progress=False)
    w = DigitCanvas(model)
    w.add_stroke(EXAMPLE_SEVEN)
    return w
