"""Looking inside: MNIST digits, a layer's feature maps, first-layer filters.

Every ``show_*`` function returns a matplotlib figure (closed, so a notebook shows it exactly
once, as the cell's value). Feature maps come from a forward hook on the chosen layer; the hook
is removed and the model's train/eval mode restored afterwards, even when the forward fails.
matplotlib and ipywidgets are imported inside the functions that draw.
"""

from __future__ import annotations

import difflib
import io
import math
import re
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .data import denormalize
from .diagnose import FORWARD_ERRORS, check_count, check_module, explained
from .widgets.base import Explorer

# --- Digits -------------------------------------------------------------------------------------


def show_digits(
    images: torch.Tensor,
    labels: torch.Tensor | Sequence[int] | None = None,
    predictions: torch.Tensor | Sequence[int] | None = None,
    n: int = 16,
    *,
    ncols: int = 8,
    title: str = "MNIST digits",
) -> Any:
    """A grid of the first ``n`` digits (normalized as ``load_mnist`` gives them).

    Each panel's title shows its label, its prediction, or both ("3 -> 5", red when wrong).
    """
    import matplotlib.pyplot as plt

    n = check_count(n, "n", 16)  # how many digits to show
    if isinstance(images, nn.Module):
        raise TypeError(
            "show_digits shows images, not a model: pass images, e.g. cl.show_digits(x_test[:16]); to "
            "see inside a model use cl.show_feature_maps(model, image, layer)"
        )
    images = _as_image_batch(images)[:n].detach().cpu()
    n = len(images)
    if n == 0:
        raise ValueError("show_digits got no images: pass a tensor of shape (N, 1, 28, 28) with N >= 1")
    for what, given in (("labels", labels), ("predictions", predictions)):
        if given is not None and len(given) < n:
            raise ValueError(
                f"show_digits shows n={n} images but got {len(given)} {what}: pass one per image "
                f"(e.g. {what}[:n] from the same slice), or n={len(given)}"
            )
    pixels = denormalize(images).clamp(0, 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.4 * nrows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(pixels[i, 0].numpy(), cmap="gray", vmin=0, vmax=1)
        label = None if labels is None else int(labels[i])
        pred = None if predictions is None else int(predictions[i])
        if label is not None and pred is not None:
            ax.set_title(f"{label} -> {pred}", fontsize=9, color="C3" if pred != label else "black")
        elif label is not None:
            ax.set_title(f"label {label}", fontsize=9)
        elif pred is not None:
            ax.set_title(f"pred {pred}", fontsize=9)
    if labels is not None and predictions is not None:
        title += " (label -> prediction, red when wrong)"
    fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


# --- Feature maps -------------------------------------------------------------------------------


def layer_names(model: nn.Module) -> list[str]:
    """Every submodule's path, as ``show_feature_maps`` accepts it ("features.0", "block1.conv")."""
    return [name for name, _ in model.named_modules() if name]


def _resolve_layer(model: nn.Module, layer: str | nn.Module) -> tuple[str, nn.Module]:
    modules = dict(model.named_modules())
    if not isinstance(layer, (str, nn.Module)):
        raise TypeError(
            f"layer is a layer's name (a string) such as {', '.join(repr(n) for n in layer_names(model)[:3])}, "
            f"or the layer itself; got {type(layer).__name__} {layer!r}: write layer={str(layer)!r}"
        )
    if isinstance(layer, nn.Module):
        for name, module in modules.items():
            if module is layer:
                return name or type(model).__name__, module
        raise ValueError(
            f"the {type(layer).__name__} you passed is not part of this {type(model).__name__}: "
            "pass one of its own submodules, or a layer name such as "
            f"{', '.join(repr(n) for n in layer_names(model)[:4])}"
        )
    if layer in modules and layer:
        return layer, modules[layer]
    names = layer_names(model)
    close = difflib.get_close_matches(str(layer), names, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = names if len(names) <= 60 else names[:60] + [f"... ({len(names) - 60} more)"]
    raise ValueError(
        f"{type(model).__name__} has no layer named {layer!r}.{hint} Valid layer names: {', '.join(shown)}"
    )


def _as_image_batch(image: torch.Tensor) -> torch.Tensor:
    """(H, W), (C, H, W) or (N, C, H, W) -> (N, C, H, W); channels last (H, W, 1 or 3) gets the fix."""
    image = torch.as_tensor(image)
    if image.dim() == 3 and image.shape[-1] in (1, 3) and image.shape[0] not in (1, 3):
        raise ValueError(
            f"the image has shape {tuple(image.shape)}: channels last (H, W, C), but PyTorch wants the "
            "channels first (C, H, W). Fix: image.permute(2, 0, 1)"
        )
    if image.dim() == 2:
        return image[None, None]
    if image.dim() == 3:
        return image[None]
    if image.dim() == 4:
        return image
    raise ValueError(f"expected an image of shape (H, W), (C, H, W) or (N, C, H, W), got {tuple(image.shape)}")


def _model_device(model: nn.Module) -> torch.device:
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def capture_output(model: nn.Module, image: torch.Tensor, layer: str | nn.Module) -> tuple[str, torch.Tensor]:
    """Run one image through ``model`` in eval mode and return (layer name, that layer's output).

    The output of the layer's first call is copied (a later in-place ReLU cannot change it).
    The hook is removed and the train/eval mode restored even if the forward raises.
    """
    check_module(model, "cl.show_feature_maps")
    name, module = _resolve_layer(model, layer)
    x = _as_image_batch(image)[:1].to(_model_device(model))
    captured: list[torch.Tensor] = []

    def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
        if not captured:
            out = output[0] if isinstance(output, (tuple, list)) else output
            captured.append(out.detach().clone().cpu())

    was_training = model.training
    handle = module.register_forward_hook(hook)
    failed = None
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    except FORWARD_ERRORS as exc:
        failed = exc
    finally:
        handle.remove()
        model.train(was_training)
    if failed is not None:  # explained once the hook is gone and the mode is back
        raise explained(model, x, failed, "an image") from failed
    if not captured:
        raise RuntimeError(f"layer {name!r} was not called by {type(model).__name__}.forward, so it has no output")
    return name, captured[0]


def _feature_maps(name: str, out: torch.Tensor) -> torch.Tensor:
    if out.dim() != 4:
        raise ValueError(
            f"layer {name!r} outputs shape {tuple(out.shape)}, not feature maps (N x C x H x W): "
            "pick a convolution, activation or pooling layer before the flatten"
        )
    return out[0].float()


def _draw_feature_maps(fig: Any, maps: torch.Tensor, first: int, count: int, ncols: int, cmap: str, title: str) -> None:
    """Channels first..first+count-1 of ``maps`` (C x H x W) on one colour scale, with a colorbar."""
    shown = maps[first : first + count]
    count = len(shown)
    ncols = max(1, min(ncols, count))
    nrows = math.ceil(count / ncols)
    vmin, vmax = float(shown.min()), float(shown.max())
    if vmin == vmax:  # a constant map (all zero after ReLU, say) still needs a scale
        vmin, vmax = vmin - 0.5, vmax + 0.5
    axes = fig.subplots(nrows, ncols, squeeze=False)
    image = None
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= count:
            ax.axis("off")
            continue
        image = ax.imshow(shown[i].numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(f"ch {first + i}", fontsize=8)
    fig.suptitle(title)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="activation (one scale for all panels)")


def show_feature_maps(
    model: nn.Module,
    image: torch.Tensor,
    layer: str | nn.Module,
    *,
    max_channels: int = 32,
    first_channel: int = 0,
    ncols: int = 8,
    cmap: str = "viridis",
) -> Any:
    """One layer's channels for one image: a labelled grid on one shared colour scale.

    ``layer`` is a module path ("block1.conv", "features.0") or the module itself. Shows
    channels ``first_channel`` to ``first_channel + max_channels - 1``.
    """
    import matplotlib.pyplot as plt

    max_channels = check_count(max_channels, "max_channels", 32)
    first_channel = check_count(first_channel, "first_channel", 0, minimum=0)
    name, out = capture_output(model, image, layer)
    maps = _feature_maps(name, out)
    channels = maps.shape[0]
    if not 0 <= first_channel < channels:
        raise ValueError(f"first_channel must be between 0 and {channels - 1} ({name!r} has {channels} channels)")
    count = min(max_channels, channels - first_channel)
    ncols_ = max(1, min(ncols, count))
    nrows = math.ceil(count / ncols_)
    fig = plt.figure(figsize=(1.3 * ncols_ + 1.6, 1.3 * nrows + 0.9))
    shape = " x ".join(str(s) for s in out.shape)
    more = f", channels {first_channel}-{first_channel + count - 1} of {channels}" if count < channels else ""
    _draw_feature_maps(fig, maps, first_channel, count, ncols, cmap, f"{name} output ({shape}){more}")
    plt.close(fig)
    return fig


def figure_png(fig: Any, **savefig_kwargs: Any) -> bytes:
    """A Matplotlib figure as PNG bytes, for an ipywidgets ``Image`` (``savefig``'s keywords pass through)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **savefig_kwargs)
    return buf.getvalue()


def array_png(pixels: Any) -> bytes:
    """A uint8 array (H x W grey, or H x W x 3 RGB) as PNG bytes, compressed lightly: widgets redraw often."""
    from PIL import Image  # noqa: PLC0415  (pillow comes with matplotlib)

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class FeatureMapExplorer(Explorer):
    """Feature maps with controls: a layer dropdown, an image slider and a channel-page slider.

    Each change redraws one PNG shown in an ``ipywidgets.Image``, updated in place. In plain
    Python set ``explorer.layer.value``, ``explorer.image_index.value`` or ``explorer.page.value``
    and call ``render()`` (it returns the PNG bytes); ``explorer.info.value`` says what is shown.
    """

    def __init__(
        self,
        model: nn.Module,
        images: torch.Tensor,
        layers: Sequence[str] | None = None,
        per_page: int = 16,
        ncols: int = 8,
        cmap: str = "viridis",
    ) -> None:
        import ipywidgets as widgets

        per_page = check_count(per_page, "per_page", 16)
        self.model, self.images = check_module(model, "cl.feature_map_explorer"), _as_image_batch(images)
        self.per_page, self.ncols, self.cmap = per_page, ncols, cmap
        names = list(layers) if layers is not None else default_layers(model)
        if not names:
            raise ValueError(f"{type(model).__name__} has no convolution, activation or pooling layer to show")
        for name in names:
            _resolve_layer(model, name)  # a bad name fails now, with the list of valid ones
        self._cache: dict[tuple[str, int], torch.Tensor] = {}
        self.layer = widgets.Dropdown(options=names, value=names[0], description="layer")
        self.image_index = widgets.IntSlider(
            value=0, min=0, max=len(self.images) - 1, description="image", continuous_update=False
        )
        self.page = widgets.IntSlider(
            value=0,
            min=0,
            max=0,
            description="channels page",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.info = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox([widgets.HBox([self.layer, self.image_index, self.page]), self.info, self.image])
        self.layer.observe(self._on_layer, names="value")
        self.image_index.observe(self._redraw, names="value")
        self.page.observe(self._redraw, names="value")
        self._on_layer()

    def _maps(self) -> torch.Tensor:
        key = (self.layer.value, self.image_index.value)
        if key not in self._cache:
            name, out = capture_output(self.model, self.images[self.image_index.value], self.layer.value)
            self._cache[key] = _feature_maps(name, out)
        return self._cache[key]

    def _on_layer(self, change: Any = None) -> None:
        try:
            pages = math.ceil(self._maps().shape[0] / self.per_page)
        except (ValueError, RuntimeError):
            pages = 1
        with self.page.hold_trait_notifications():
            self.page.value = min(self.page.value, pages - 1)
            self.page.max = pages - 1
        self._redraw()

    def _redraw(self, change: Any = None) -> None:
        try:
            self.image.value = self.render()
        except (ValueError, RuntimeError, TypeError) as exc:  # a layer without feature maps: say so in the widget
            self.info.value = f"<b>Cannot show {self.layer.value!r}:</b> {exc}"

    def render(self) -> bytes:
        """Draw the current layer, image and channel page; return the PNG (also shown in the widget)."""
        from matplotlib.figure import Figure

        maps = self._maps()
        channels = maps.shape[0]
        first = self.page.value * self.per_page
        count = min(self.per_page, channels - first)
        ncols = max(1, min(self.ncols, count))
        nrows = math.ceil(count / ncols)
        fig = Figure(figsize=(1.3 * ncols + 1.6, 1.3 * nrows + 0.9))
        shape = " x ".join(str(s) for s in maps.shape)
        title = f"{self.layer.value} ({shape}), image {self.image_index.value}"
        _draw_feature_maps(fig, maps, first, count, ncols, self.cmap, title)
        self.info.value = (
            f"<b>{self.layer.value}</b>: {channels} channels of {maps.shape[1]} x {maps.shape[2]}; "
            f"showing channels {first}-{first + count - 1} (page {self.page.value + 1} of {self.page.max + 1})"
        )
        return figure_png(fig, dpi=80, bbox_inches="tight")

    @property
    def text(self) -> str:
        """What the info line says, as plain text."""
        return re.sub(r"<[^>]+>", "", self.info.value)


_MAP_LAYERS = (nn.Conv2d, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.MaxPool2d, nn.AvgPool2d, nn.BatchNorm2d)


def default_layers(model: nn.Module) -> list[str]:
    """Names of the layers whose outputs are usually feature maps: convolutions, activations, pools."""
    return [name for name, m in model.named_modules() if name and isinstance(m, _MAP_LAYERS)]


def feature_map_explorer(
    model: nn.Module, images: torch.Tensor, layers: Sequence[str] | None = None, *, per_page: int = 16
) -> FeatureMapExplorer:
    """Interactive feature maps: pick a layer, an image from ``images`` and a page of channels.

    ``layers`` defaults to every convolution, BatchNorm, activation and pooling layer.
    """
    return FeatureMapExplorer(model, images, layers, per_page=per_page)


# --- Filters ------------------------------------------------------------------------------------


def _first_conv(model_or_conv: nn.Module) -> tuple[str, nn.Conv2d]:
    check_module(model_or_conv, "cl.show_filters")
    if isinstance(model_or_conv, nn.Conv2d):
        return type(model_or_conv).__name__, model_or_conv
    for name, module in model_or_conv.named_modules():
        if isinstance(module, nn.Conv2d):
            return name, module
    raise ValueError(f"{type(model_or_conv).__name__} has no nn.Conv2d layer, so there are no filters to show")


def show_filters(
    model_or_conv: nn.Module, *, max_filters: int = 64, ncols: int = 8, in_channel: int = 0, cmap: str = "RdBu_r"
) -> Any:
    """The first convolution's kernels as a grid on one colour scale.

    Kernels reading 3 input channels are drawn in colour (RGB, one scale for all); otherwise
    each panel is input channel ``in_channel`` of one kernel, with a colorbar (red positive,
    blue negative, white zero).
    """
    import matplotlib.pyplot as plt

    name, conv = _first_conv(model_or_conv)
    if conv.weight.is_meta:
        raise ValueError(f"{name} is on the meta device and has no weight values: build the model on the CPU")
    weight = conv.weight.detach().float().cpu()
    out_c, in_c, kh, kw = weight.shape
    count = min(max_filters, out_c)
    ncols = max(1, min(ncols, count))
    nrows = math.ceil(count / ncols)
    rgb = in_c == 3
    if not rgb and not 0 <= in_channel < in_c:
        raise ValueError(f"in_channel must be between 0 and {in_c - 1} ({name} reads {in_c} channels)")
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols + 1.2, 1.2 * nrows + 0.7), squeeze=False)
    shown = weight[:count]
    limit = float(shown.abs().max()) or 1.0
    image = None
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= count:
            ax.axis("off")
            continue
        if rgb:  # one scale for every kernel: map [-limit, limit] to [0, 1]
            ax.imshow(((shown[i] / limit + 1) / 2).permute(1, 2, 0).numpy())
        else:
            image = ax.imshow(shown[i, in_channel].numpy(), cmap=cmap, vmin=-limit, vmax=limit)
        ax.set_title(f"filter {i}", fontsize=8)
    what = "RGB" if rgb else (f"input channel {in_channel}" if in_c > 1 else "")
    fig.suptitle(f"{name} kernels ({out_c} x {in_c} x {kh} x {kw}){', ' + what if what else ''}")
    if image is not None:
        fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    plt.close(fig)
    return fig
