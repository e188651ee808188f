"""Live training curves in a notebook: one PNG, one display handle, updated in place.

Why this way: ``display(..., display_id=True)`` once and ``handle.update(...)`` afterwards
replace the same output, so the saved notebook holds exactly one (final) image, strict nbval
sees one output in the cell (and does not compare PNGs), and the cells after it are untouched
(``clear_output`` loops and tqdm widgets break both). The progress readout is the image's title.

Why not matplotlib: laying out a two-panel figure's text costs about 50 ms a frame (100 ms in a
notebook, whose inline backend draws twice for its tight bounding box), 10% of a one-second GPU
epoch for the first and last frames alone. The curves here are drawn with Pillow in a few ms
(benchmarks/results/live_curves_cpu.md): two panels, ticks, labels and legends, in the
matplotlib default blue and orange, a pair colour-blind readers tell apart.
"""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .history import History, smooth

TRAIN, TEST = (31, 119, 180), (255, 127, 14)  # matplotlib's C0 (blue) and C1 (orange)
TRAIN_FAINT = (188, 214, 233)  # C0 at 30% on white: the raw per-batch loss
INK, GRID, FRAME = (30, 30, 30), (225, 225, 225), (90, 90, 90)
WIDTH, HEIGHT, SCALE = 1000, 360, 2  # drawn at twice the size, then halved: smooth lines
MAX_POINTS = 800  # longer series are thinned to this many points per line


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    """DejaVu Sans (shipped with matplotlib) at ``size`` px; Pillow's own font if it is missing."""
    from PIL import ImageFont  # noqa: PLC0415

    try:
        import matplotlib  # noqa: PLC0415

        return ImageFont.truetype(os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf"), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values (steps of 1, 2 or 5 x 10^k) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _label(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:g}"


def _thin(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    stride = max(1, math.ceil(len(ys) / MAX_POINTS))
    return list(xs[::stride]), list(ys[::stride])


class _Panel:
    """One plot area: data limits -> pixels, frame, grid, ticks, title, axis labels, legend."""

    def __init__(self, draw: Any, box: tuple[int, int, int, int], xlim: tuple[float, float]) -> None:
        self.draw, self.box, self.xlim = draw, box, xlim
        self.ylim = (0.0, 1.0)

    def xy(self, x: float, y: float) -> tuple[float, float]:
        (x0, y0, x1, y1), (a, b), (c, d) = self.box, self.xlim, self.ylim
        return x0 + (x - a) / (b - a) * (x1 - x0), y1 - (y - c) / (d - c) * (y1 - y0)

    def axes(self, title: str, xlabel: str, ylabel: str, image: Any) -> None:
        d, (x0, y0, x1, y1), s = self.draw, self.box, SCALE
        small, mid = _font(10 * s), _font(11 * s)
        for v in nice_ticks(*self.ylim):
            if self.ylim[0] <= v <= self.ylim[1]:
                _, py = self.xy(self.xlim[0], v)
                d.line([(x0, py), (x1, py)], fill=GRID, width=s)
                d.text((x0 - 6 * s, py), _label(v), fill=INK, font=small, anchor="rm")
        for v in nice_ticks(*self.xlim):
            if self.xlim[0] <= v <= self.xlim[1]:
                px, _ = self.xy(v, self.ylim[0])
                d.line([(px, y1), (px, y1 + 4 * s)], fill=FRAME, width=s)
                d.text((px, y1 + 6 * s), _label(v), fill=INK, font=small, anchor="mt")
        d.rectangle([x0, y0, x1, y1], outline=FRAME, width=s)
        d.text(((x0 + x1) / 2, y0 - 6 * s), title, fill=INK, font=_font(12 * s), anchor="mb")
        d.text(((x0 + x1) / 2, y1 + 22 * s), xlabel, fill=INK, font=mid, anchor="mt")
        _vertical_text(image, (x0 - 48 * s, (y0 + y1) / 2), ylabel, mid)

    def line(self, xs: Sequence[float], ys: Sequence[float], color: tuple, width: float, marker: bool) -> None:
        xs, ys = _thin(xs, ys)
        pts = [self.xy(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
        if len(pts) > 1:
            self.draw.line(pts, fill=color, width=round(width * SCALE), joint="curve")
        if marker:
            r = 3.5 * SCALE
            for px, py in pts:
                self.draw.ellipse([px - r, py - r, px + r, py + r], fill=color)

    def legend(self, entries: list[tuple[str, tuple, float, bool]], corner: str) -> None:
        d, (_, y0, x1, y1), s = self.draw, self.box, SCALE
        font = _font(10 * s)
        w = max(d.textlength(name, font=font) for name, *_ in entries) + 40 * s
        h = len(entries) * 15 * s + 6 * s
        left = x1 - w - 8 * s
        top = y0 + 8 * s if corner == "upper" else y1 - h - 8 * s
        d.rectangle([left, top, left + w, top + h], fill=(255, 255, 255), outline=GRID, width=s)
        for i, (name, color, width, marker) in enumerate(entries):
            cy = top + 3 * s + (i + 0.5) * 15 * s
            d.line([(left + 6 * s, cy), (left + 28 * s, cy)], fill=color, width=round(width * s))
            if marker:
                r = 3.5 * s
                d.ellipse([left + 17 * s - r, cy - r, left + 17 * s + r, cy + r], fill=color)
            d.text((left + 34 * s, cy), name, fill=INK, font=font, anchor="lm")


def _vertical_text(image: Any, center: tuple[float, float], text: str, font: Any) -> None:
    from PIL import Image, ImageDraw  # noqa: PLC0415

    w = int(ImageDraw.Draw(image).textlength(text, font=font)) + 4
    h = int(font.size * 1.4)
    tile = Image.new("RGB", (w, h), (255, 255, 255))
    ImageDraw.Draw(tile).text((w / 2, h / 2), text, fill=INK, font=font, anchor="mm")
    tile = tile.rotate(90, expand=True)
    image.paste(tile, (int(center[0] - tile.width / 2), int(center[1] - tile.height / 2)))


def _span(values: Sequence[float], floor: float | None = None) -> tuple[float, float]:
    """Y limits with a margin, from the finite values (0..1 when there are none)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return (0.0, 1.0)
    lo, hi = min(finite), max(finite)
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi) * 0.05, 0.5)
    lo = lo - pad if floor is None else max(floor, lo - pad)
    return lo, hi + pad


class LiveCurves:
    """Loss per step (left) and accuracy per evaluation (right), train blue and test orange."""

    def __init__(self, hist: History, total_steps: int, steps_per_epoch: int, notebook: bool | None = None) -> None:
        from .env import in_notebook as _in_notebook  # noqa: PLC0415

        self.hist, self.total_steps = hist, max(total_steps, 1)
        self.epochs = max(total_steps / max(steps_per_epoch, 1), 1e-3)
        self.title = self._prefix() + "starting..."
        self.png = b""
        self.frames = 0
        self.notebook = _in_notebook() if notebook is None else notebook
        self.handle = None
        if self.notebook:
            from IPython.display import display  # noqa: PLC0415

            # A text placeholder is free to show; the first update replaces it with the curves.
            self.handle = display(
                {"text/plain": self._prefix() + "training... (curves in a moment)"}, raw=True, display_id=True
            )

    def _prefix(self) -> str:
        return f"{self.hist.label}: " if self.hist.label else ""

    def update(self, status: str, prefix: bool = True) -> None:
        """Redraw from the History with ``status`` as the title."""
        self.title = (self._prefix() if prefix else "") + status
        self.png = self.render()
        self.frames += 1
        if self.handle is not None:
            data = base64.b64encode(self.png).decode("ascii")
            self.handle.update({"image/png": data, "text/plain": f"<training curves: {self.title}>"}, raw=True)

    def render(self) -> bytes:
        """The current curves as PNG bytes."""
        from PIL import Image, ImageDraw  # noqa: PLC0415  (Pillow comes with matplotlib)

        h, s = self.hist, SCALE
        image = Image.new("RGB", (WIDTH * s, HEIGHT * s), (255, 255, 255))
        draw = ImageDraw.Draw(image)
        draw.text((WIDTH * s / 2, 8 * s), self.title, fill=INK, font=_font(13 * s), anchor="mt")
        top, bottom = 58 * s, 300 * s
        loss = _Panel(draw, (80 * s, top, 480 * s, bottom), (0.0, float(self.total_steps)))
        acc = _Panel(draw, (580 * s, top, 980 * s, bottom), (0.0, self.epochs * 1.02))
        steps = list(range(1, len(h.step_loss) + 1))
        smoothed = smooth(h.step_loss, 20)
        loss.ylim = _span([*h.step_loss, *h.test_loss], floor=0.0)
        train_acc, test_acc = [100 * a for a in h.train_acc], [100 * a for a in h.test_acc]
        acc.ylim = _span([*train_acc, *test_acc])
        loss.axes("Loss per step", "step", "cross-entropy loss", image)
        acc.axes("Accuracy per evaluation", "epoch", "accuracy (%)", image)
        loss.line(steps, h.step_loss, TRAIN_FAINT, 1.0, marker=False)
        loss.line(steps, smoothed, TRAIN, 1.6, marker=False)
        loss.line(h.eval_step[: len(h.test_loss)], h.test_loss, TEST, 1.6, marker=True)
        acc.line(h.eval_epoch[: len(train_acc)], train_acc, TRAIN, 1.6, marker=True)
        acc.line(h.eval_epoch[: len(test_acc)], test_acc, TEST, 1.6, marker=True)
        loss.legend(
            [
                ("train (batch)", TRAIN_FAINT, 1.0, False),
                ("train (mean of 20)", TRAIN, 1.6, False),
                ("test", TEST, 1.6, True),
            ],
            "upper",
        )
        acc.legend([("train", TRAIN, 1.6, True), ("test", TEST, 1.6, True)], "lower")
        buf = io.BytesIO()
        image.reduce(s).save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def finish(self, status: str) -> None:
        """Last redraw: the image the saved notebook keeps."""
        self.update(status, prefix=False)
