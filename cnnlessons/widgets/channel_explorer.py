"""Channel widgets: move a slider, see what a block costs.

``channel_explorer(build, input_size=..., c=(4, 64, 4, 16))`` shows one slider per channel
count. Each change rebuilds the block on the meta device (shapes only, no weights, no memory),
measures it and updates, in place, the parameters, mult-adds, output shape and a bar chart of
the cost of each branch (top-level child). A value the block cannot take shows a message in
the widget instead of a traceback.

In plain Python (tests, a notebook cell that checks the numbers) set
``explorer.sliders["c"].value = 32`` and read ``explorer.text`` or ``explorer.result``.
"""

from __future__ import annotations

import html
import inspect
import re
from typing import Any, Callable

import torch
from torch import nn

from ..diagnose import check_shape, input_size_problem
from .base import Explorer

# CSS classes the browser test (and a curious student's inspector) can find.
COST_CLASS = "cnnlessons-cost"  # the readout: parameters, mult-adds, output shape, or the problem
BARS_CLASS = "cnnlessons-branch-bars"  # the bar chart of cost per branch
ERROR_CLASS = "cnnlessons-error"  # added to the readout while a value is impossible


def _count(module: nn.Module, input_size: tuple[int, ...]) -> dict[str, Any]:
    """Parameters, mult-adds and output shape of ``module`` on a meta input, in total and per
    branch (top-level child), from ``cnnlessons.trace``: the package's single source of counts."""
    from ..trace import trace

    table = trace(module, input_size, receptive_field=False)  # meta device by default
    return {
        "params": int(table.total_params),
        "mult_adds": int(table.total_mult_adds),
        "output_shape": tuple(table.output_shape),
        "branches": [(g.name, g.params, g.mult_adds) for g in table.by_group(depth=1)],
    }


def _short(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n:.0f}"


def _shape(shape: Any) -> str:
    if shape and isinstance(shape[0], (tuple, list, torch.Size)):
        return ", ".join(_shape(s) for s in shape)
    return " x ".join(str(int(s)) for s in shape)


def _parse_range(name: str, spec: Any) -> tuple[int, int, int, int]:
    """(min, max), (min, max, step) or (min, max, step, value) -> (min, max, step, value)."""
    if not isinstance(spec, (tuple, list)) or not 2 <= len(spec) <= 4:
        raise ValueError(
            f"{name}={spec!r}: give a slider range as (min, max), (min, max, step) or "
            f"(min, max, step, value), e.g. {name}=(4, 64, 4, 16); a plain int is passed to build unchanged"
        )
    lo, hi = int(spec[0]), int(spec[1])
    step = int(spec[2]) if len(spec) > 2 else 1
    value = int(spec[3]) if len(spec) > 3 else lo
    if not (lo <= value <= hi and step > 0):
        raise ValueError(f"{name}={spec!r}: need min <= value <= max and step > 0")
    return lo, hi, step, value


class ChannelExplorer(Explorer):
    """Sliders for a block's channel counts and its cost, updated in place.

    ``.sliders`` maps each argument name to its IntSlider; ``.values`` holds the current values;
    ``.readout`` is the HTML widget with the costs (CSS class ``cnnlessons-cost``), ``.bars``
    the per-branch bar chart, ``.text`` the readout as plain text, ``.result`` the numbers
    (``params``, ``mult_adds``, ``output_shape``, ``branches``) or ``error``.
    """

    def __init__(
        self,
        build: Callable[..., nn.Module],
        input_size: tuple[int, ...],
        ranges: dict[str, Any],
        fixed: dict[str, Any],
        title: str | None = None,
    ) -> None:
        import ipywidgets as widgets

        self.build, self.fixed = build, fixed
        self.input_size = check_shape(input_size, "input_size", (1, 192, 28, 28))
        self._check_names(list(ranges) + list(fixed))
        self.sliders: dict[str, Any] = {}
        for name, spec in ranges.items():
            lo, hi, step, value = _parse_range(name, spec)
            self.sliders[name] = widgets.IntSlider(
                value=value,
                min=lo,
                max=hi,
                step=step,
                description=name,
                continuous_update=False,
                readout=True,
                style={"description_width": "initial"},
                layout=widgets.Layout(width="460px"),
            )
        self.readout = widgets.HTML()
        self.readout.add_class(COST_CLASS)
        self.bars = widgets.HTML()
        self.bars.add_class(BARS_CLASS)
        name = title or getattr(build, "__name__", "build")
        heading = widgets.HTML(
            f"<b>{html.escape(name)}</b> on an input of {_shape(self.input_size)} "
            "(move a slider, or click its number and type a value)"
        )
        self.widget = widgets.VBox([heading, *self.sliders.values(), self.readout, self.bars])
        self.result: dict[str, Any] = {}
        for slider in self.sliders.values():
            slider.observe(self.update, names="value")
        self.update()

    def _check_names(self, names: list[str]) -> None:
        try:
            params = inspect.signature(self.build).parameters
        except (TypeError, ValueError):  # a builtin or C callable: let build() complain
            return
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return
        unknown = [n for n in names if n not in params]
        if unknown:
            raise TypeError(
                f"build has no argument named {', '.join(map(repr, unknown))}; "
                f"its arguments are {', '.join(params) or '(none)'}. Name each slider after one of them."
            )

    @property
    def values(self) -> dict[str, int]:
        """The sliders' current values, by argument name."""
        return {name: slider.value for name, slider in self.sliders.items()}

    @property
    def text(self) -> str:
        """The readout as plain text (what the student reads)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.readout.value)).strip()

    def measure(self, values: dict[str, int]) -> dict[str, Any]:
        """Build the block with ``values`` on the meta device and count it; ``error`` when that fails."""
        kwargs = {**self.fixed, **values}
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        try:
            with torch.device("meta"):
                module = self.build(**kwargs)
        except Exception as exc:  # the student's values are impossible: say why, never raise
            return {"error": f"build({args}) cannot be built: {type(exc).__name__}: {exc}"}
        if not isinstance(module, nn.Module):
            return {"error": f"build({args}) returned a {type(module).__name__}, not an nn.Module"}
        empty = _empty_layer(module)
        if empty:
            return {
                "error": f"build({args}) gives {empty}: a layer needs at least 1 channel, so nothing would flow "
                "through this block. Move the slider to 1 or more"
            }
        try:
            return _count(module, self.input_size)
        except Exception as exc:
            from ..trace import TraceError

            message = str(exc).strip().rstrip(".")
            # trace's own message names the failing layer and the fix; other errors get a hint.
            hint = (
                ""
                if isinstance(exc, TraceError)
                else (
                    f". Check that the block reads {self.input_size[1]} input channels and that its output still fits"
                )
            )
            return {
                "error": f"build({args}) fails on an input of {_shape(self.input_size)}: "
                f"{type(exc).__name__}: {message}{hint}."
            }

    def update(self, change: Any = None) -> None:
        """Rebuild with the sliders' values and refresh the readout and the bars."""
        self.result = self.measure(self.values)
        if "error" in self.result:
            self.readout.add_class(ERROR_CLASS)
            self.readout.value = (
                "<div style='color:#b00020;white-space:pre-wrap'><b>Not possible:</b> "
                f"{html.escape(self.result['error'])}</div>"
            )
            self.bars.value = ""
            return
        self.readout.remove_class(ERROR_CLASS)
        r = self.result
        self.readout.value = (
            f"<div><b>parameters</b> {r['params']:,} &nbsp;|&nbsp; <b>mult-adds</b> {r['mult_adds']:,} "
            f"({_short(r['mult_adds'])}) &nbsp;|&nbsp; <b>output</b> {_shape(r['output_shape'])}</div>"
        )
        self.bars.value = _bar_chart(r["branches"], r["mult_adds"], r["params"])


def _empty_layer(module: nn.Module) -> str | None:
    """'`conv` (Conv2d) 0 channels' for the first layer with no channels or features, else None."""
    for path, m in module.named_modules():
        sizes = [
            getattr(m, a, None) for a in ("in_channels", "out_channels", "in_features", "out_features", "num_features")
        ]
        if any(s == 0 for s in sizes):
            return f"`{path or type(module).__name__}` ({type(m).__name__}) 0 channels"
    return None


def _check_block(build: Any, input_size: tuple[int, ...], ranges: dict[str, Any], fixed: dict[str, Any]) -> None:
    """build must be a function; input_size must suit the block it builds (batch dimension first)."""
    if isinstance(build, nn.Module) or not callable(build):
        what = f"a {type(build).__name__} that is already built" if isinstance(build, nn.Module) else repr(build)
        raise TypeError(
            "build is a function that builds the block from the slider values, e.g. "
            f"build=lambda c_reduce: nn.Conv2d(192, c_reduce, 1); you passed {what}"
        )
    kwargs = {**fixed, **{k: _parse_range(k, v)[3] for k, v in ranges.items()}}
    try:
        with torch.device("meta"):
            module = build(**kwargs)
    except Exception:  # noqa: BLE001  (the widget shows why, on its first update)
        return
    problem = input_size_problem(module, tuple(input_size)) if isinstance(module, nn.Module) else None
    if problem:
        raise ValueError(f"channel_explorer: {problem}")


def _bar_chart(branches: list[tuple[str, int, int]], total_mult_adds: int, total_params: int) -> str:
    """Per-branch cost as HTML bars: mult-adds (blue) and parameters (orange), share of the total."""
    if not branches:
        return ""
    rows = []
    for name, params, mult_adds in branches:
        if not params and not mult_adds:  # activations, pools: nothing to draw
            continue
        ma = mult_adds / total_mult_adds if total_mult_adds else 0.0
        pa = params / total_params if total_params else 0.0
        rows.append(
            "<tr>"
            f"<td style='padding-right:8px;font-family:monospace'>{html.escape(name)}</td>"
            f"<td style='width:220px'><div style='background:#1f77b4;height:10px;width:{100 * ma:.1f}%'></div>"
            f"<div style='background:#ff7f0e;height:10px;width:{100 * pa:.1f}%;margin-top:2px'></div></td>"
            f"<td style='padding-left:8px'>{_short(mult_adds)} mult-adds ({100 * ma:.0f}%), "
            f"{params:,} params ({100 * pa:.0f}%)</td>"
            "</tr>"
        )
    return (
        "<div><b>Cost per branch</b> (share of the block's total: "
        "<span style='color:#1f77b4'>&#9632; mult-adds</span>, "
        "<span style='color:#ff7f0e'>&#9632; parameters</span>)</div>"
        f"<table style='border-collapse:collapse'>{''.join(rows)}</table>"
    )


def channel_explorer(
    build: Callable[..., nn.Module],
    input_size: tuple[int, ...] | None = None,
    *,
    title: str | None = None,
    **ranges: Any,
) -> ChannelExplorer:
    """One slider per channel count of ``build``; shows the block's cost, updated on each change.

    ``ranges`` maps argument names of ``build`` to ``(min, max)``, ``(min, max, step)`` or
    ``(min, max, step, value)``; a plain int is passed to ``build`` unchanged. ``input_size`` is
    the input's shape with the batch, e.g. ``(1, 192, 28, 28)``. Example::

        cl.channel_explorer(lambda c_reduce: Bottleneck1x1(192, c_reduce, 64),
                            input_size=(1, 192, 28, 28), c_reduce=(4, 192, 4, 16))
    """
    if input_size is None:
        raise TypeError(
            "channel_explorer needs input_size, the block's input with the batch first, e.g. "
            "input_size=(1, 192, 28, 28)"
        )
    sliders = {k: v for k, v in ranges.items() if not isinstance(v, int)}
    fixed = {k: v for k, v in ranges.items() if isinstance(v, int)}
    if not sliders:
        raise ValueError("channel_explorer needs at least one slider range, e.g. c=(4, 64, 4, 16)")
    _check_block(build, check_shape(input_size, "input_size", (1, 192, 28, 28)), sliders, fixed)
    return ChannelExplorer(build, input_size, sliders, fixed, title)
