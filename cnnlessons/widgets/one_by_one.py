"""Lesson 03 widget: a 1x1 convolution mixing the channels of a real feature map.

``channel_mixer(model, images, layer="features.0")`` runs a trained model on a few digits,
keeps the feature maps of ``layer`` (after its ReLU: every value >= 0) and picks a few of their
channels. One slider per channel is the weight of a one-output 1x1 convolution, plus a bias and
a ReLU switch; the mixed map is redrawn at each move:

    out[y, x] = ReLU(w_1 * map_1[y, x] + ... + w_K * map_K[y, x] + b)

The same sum at every pixel, reading no neighbour: what a 1x1 convolution (one output channel)
computes. Every update is a K-term weighted sum of 28 x 28 maps and a PNG: about a millisecond.

The widget contract of the lessons: ``.widget`` (the root box), ``.controls`` (the value widgets
a student moves: the weights first), ``.update()`` (redraw; counts ``.renders``), a message in
the widget when the setting shows nothing, and ``demo()`` for the browser test and the benchmarks.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..viz import array_png
from .base import Explorer
from .start_here import _to_rgb, _upscale

MIXER_CLASS = "cnnlessons-mixer-readout"  # the readout under the output map (the browser test reads it)
ERROR_CLASS = "cnnlessons-error"  # added to the readout while the setting shows nothing


def pick_channels(maps: torch.Tensor, k: int = 4) -> list[int]:
    """``k`` channels of ``maps`` (N x C x H x W) worth mixing: active ones that differ.

    Among the 2k channels with the largest mean activation, greedily take the one least
    correlated (over all pixels of all images) with those already taken.
    """
    if maps.dim() != 4:
        raise ValueError(f"maps must be N x C x H x W, got shape {tuple(maps.shape)}")
    c = maps.shape[1]
    k = max(1, min(k, c))
    flat = maps.detach().float().transpose(0, 1).reshape(c, -1)  # C x (N*H*W)
    candidates = flat.mean(1).argsort(descending=True)[: 2 * k].tolist()
    corr = torch.nan_to_num(torch.corrcoef(flat[candidates]), nan=1.0).abs()
    chosen = [0]
    while len(chosen) < min(k, len(candidates)):
        rest = [i for i in range(len(candidates)) if i not in chosen]
        chosen.append(min(rest, key=lambda i: float(corr[i, chosen].max())))
    return [candidates[i] for i in chosen]


class ChannelMixer(Explorer):
    """Sliders are the weights of a 1x1 convolution with one output; see the module docstring.

    ``maps``: N x C x H x W feature maps (one row per image); ``channels``: the C indices to mix
    (default: ``pick_channels``); ``images`` (N x 1 x H' x W') and ``labels`` are shown beside.
    ``.output()`` is the mixed map of the current image, ``.text`` the readout as plain text.
    """

    def __init__(
        self,
        maps: torch.Tensor,
        channels: Sequence[int] | None = None,
        images: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        layer: str = "",
        weights: Sequence[float] | None = None,
        zoom: int = 5,
    ) -> None:
        import ipywidgets as widgets

        if maps.dim() != 4:
            raise ValueError(f"maps must be N x C x H x W (one row per image), got shape {tuple(maps.shape)}")
        self.channels = list(channels) if channels is not None else pick_channels(maps)
        bad = [c for c in self.channels if not 0 <= c < maps.shape[1]]
        if bad:
            raise ValueError(
                f"channels {bad} do not exist: the maps have {maps.shape[1]} channels (0..{maps.shape[1] - 1})"
            )
        self.maps = maps.detach().float().cpu()[:, self.channels].numpy()  # N x K x H x W
        self.images = None if images is None else images.detach().float().cpu().numpy()[:, 0]
        self.labels = None if labels is None else [int(v) for v in labels]
        self.layer, self.zoom, self.renders = layer, zoom, 0
        k = len(self.channels)
        start = list(weights) if weights is not None else [1.0] + [0.0] * (k - 1)

        self._make_controls(widgets, start)
        self.widget = self._layout(widgets, layer)
        self._shown_image: int | None = None
        for control in self.controls:
            control.observe(self.update, names="value")
        self.update()

    def _make_controls(self, widgets: Any, start: Sequence[float]) -> None:
        """One weight slider per channel, the bias, the ReLU switch and the digit slider."""
        slider = dict(
            min=-2.0,
            max=2.0,
            step=0.1,
            continuous_update=True,
            readout_format=".1f",
            layout=widgets.Layout(width="300px"),
            style={"description_width": "90px"},
        )
        self.weights = [
            widgets.FloatSlider(value=float(w), description=f"w (ch {c})", **slider)
            for w, c in zip(start, self.channels)
        ]
        self.bias = widgets.FloatSlider(value=0.0, description="bias b", **slider)
        self.relu = widgets.Checkbox(value=True, description="ReLU after the sum", indent=False)
        self.image = widgets.IntSlider(
            value=0,
            min=0,
            max=len(self.maps) - 1,
            description="digit",
            continuous_update=True,
            layout=widgets.Layout(width="300px"),
            style={"description_width": "90px"},
        )
        self.controls = [*self.weights, self.bias, self.relu, self.image]

    def _layout(self, widgets: Any, layer: str) -> Any:
        """The input tiles with their captions, the output map, the readout, and the root box."""
        k = len(self.channels)
        self.input_images = [widgets.Image(format="png") for _ in range(k + (self.images is not None))]
        self.captions = [widgets.HTML() for _ in self.input_images]
        self.output_image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        self.readout.add_class(MIXER_CLASS)
        where = f" of <code>{html.escape(layer)}</code>" if layer else ""
        heading = widgets.HTML(
            f"<b>A 1x1 convolution with one output channel</b>, mixing {k} channels{where} "
            "(the same weighted sum at every pixel)"
        )
        tiles = widgets.HBox([widgets.VBox([cap, im]) for cap, im in zip(self.captions, self.input_images)])
        left = widgets.VBox([*self.weights, self.bias, self.relu, self.image])
        right = widgets.VBox(
            [
                widgets.HTML("<b>output map</b> (orange above 0, purple below; same colour scale as the inputs)"),
                self.output_image,
            ]
        )
        return widgets.VBox([heading, tiles, widgets.HBox([left, right]), self.readout])

    # -- the computation ------------------------------------------------------------------------
    @property
    def w(self) -> np.ndarray:
        return np.array([s.value for s in self.weights], dtype=np.float32)

    def output(self, relu: bool | None = None) -> np.ndarray:
        """The mixed map of the current image: sum_k w_k map_k + b, then ReLU if switched on."""
        maps = self.maps[self.image.value]  # K x H x W
        out = np.tensordot(self.w, maps, axes=1) + np.float32(self.bias.value)  # H x W
        use_relu = self.relu.value if relu is None else relu
        return np.maximum(out, 0.0) if use_relu else out

    def _scale(self) -> float:
        top = float(self.maps[self.image.value].max())
        return top if top > 0 else 1.0

    # -- drawing --------------------------------------------------------------------------------
    def _draw_inputs(self) -> None:
        i, hi, z = self.image.value, self._scale(), self.zoom
        tiles = []
        if self.images is not None:
            digit = self.images[i]
            label = f" (label {self.labels[i]})" if self.labels is not None else ""
            tiles.append((_to_rgb(digit, "gray", float(digit.min()), float(digit.max())), f"input digit{label}"))
        for k, c in enumerate(self.channels):
            tiles.append((_to_rgb(self.maps[i, k], "PuOr_r", -hi, hi), f"channel {c}"))
        for (rgb, _), im in zip(tiles, self.input_images):
            factor = max(1, round(z * self.maps.shape[-1] / rgb.shape[0]))
            im.value = array_png(_upscale(rgb, factor))
        self._tile_names = [name for _, name in tiles]
        self._shown_image = i

    def update(self, change: Any = None) -> None:
        """Recompute the mixed map from the controls and redraw it (inputs only when the digit changed)."""
        if self._shown_image != self.image.value:
            self._draw_inputs()
        w, b, hi = self.w, float(self.bias.value), self._scale()
        offset = int(self.images is not None)
        for j, name in enumerate(self._tile_names):
            weight = "" if j < offset else f" &times; <b>{w[j - offset]:+.1f}</b>"
            self.captions[j].value = f"<span style='font-size:12px'>{name}{weight}</span>"
        out = self.output()
        self.output_image.value = array_png(_upscale(_to_rgb(out, "PuOr_r", -hi, hi), 2 * self.zoom))

        maps = self.maps[self.image.value]
        strongest = np.unravel_index(np.argmax(maps.sum(0)), maps.shape[1:])
        at = maps[:, strongest[0], strongest[1]]
        terms = "".join(
            f"{' - ' if wk < 0 else (' + ' if j else '')}{abs(wk) if j else wk:.1f}&times;{v:.2f}"
            for j, (wk, v) in enumerate(zip(w, at))
        )
        raw = float(np.dot(w, at) + b)
        relu = self.relu.value
        background = maps.sum(0) == 0
        lines = [
            f"At pixel {tuple(int(s) for s in strongest)} (where the shown channels are strongest): "
            f"{terms} {'-' if b < 0 else '+'} {abs(b):.1f} = {raw:.2f}"
            + (f" &rarr; ReLU &rarr; {max(raw, 0.0):.2f}" if relu else ""),
            f"Pixels above 0: {int((out > 0).sum())} of {out.size}. "
            f"Where every shown channel is 0 ({int(background.sum())} pixels) the output is "
            f"{max(b, 0.0) if relu else b:.2f} everywhere: there, only the bias counts.",
        ]
        problem = None
        if relu and not (out > 0).any():
            problem = (
                "Every weighted sum is 0 or below, so the ReLU outputs 0 at every pixel and the map is "
                "blank. Raise a weight on a channel that is active here, or the bias."
            )
        if problem:
            self.readout.add_class(ERROR_CLASS)
            self.readout.value = (
                f"<div style='color:#b00020'><b>Blank map:</b> {html.escape(problem)}</div>" + "<br>".join(lines)
            )
        else:
            self.readout.remove_class(ERROR_CLASS)
            self.readout.value = "<div>" + "<br>".join(lines) + "</div>"
        self.renders += 1

    @property
    def text(self) -> str:
        """The readout as plain text (what the student reads)."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", " ", self.readout.value)).strip()


def layer_maps(model: nn.Module, images: torch.Tensor, layer: str) -> torch.Tensor:
    """The output of ``model``'s submodule ``layer`` for ``images`` (eval mode, no gradients)."""
    module = model.get_submodule(layer)
    captured: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda _m, _i, out: captured.append(out.detach()))
    was_training = model.training
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            model.eval()(images.to(device))
    finally:
        handle.remove()
        model.train(was_training)
    return captured[0].cpu()


def channel_mixer(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor | None = None,
    layer: str = "features.0",
    channels: Sequence[int] | None = None,
    k: int = 4,
) -> ChannelMixer:
    """Mix ``k`` channels of ``layer``'s feature maps of a trained ``model`` with a 1x1 convolution.

    ``layer="features.0"`` is the MNIST NiN's first block; pass ``"features.0.conv"`` for the maps
    its own 1x1 layers mix. ``channels`` overrides the automatic choice (``pick_channels``).
    """
    maps = layer_maps(model, images, layer)
    if channels is None:
        channels = pick_channels(maps, k)
    return ChannelMixer(maps, channels=channels, images=images, labels=labels, layer=layer)


def demo() -> ChannelMixer:
    """A ready widget from cheap data: eight test digits through a random 5x5 convolution + ReLU."""
    from ..data import load_mnist

    images, labels = load_mnist("test", subset=8)
    torch.manual_seed(0)
    features = nn.Sequential(nn.Conv2d(1, 8, kernel_size=5, padding=2), nn.ReLU())
    with torch.no_grad():
        maps = features(images)
    return ChannelMixer(maps, images=images, labels=labels, layer="a random 5x5 convolution")
