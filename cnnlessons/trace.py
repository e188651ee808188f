"""The shape tracer: one forward pass, a row per layer, totals equal to torchinfo's.

``trace(model, (1, 1, 28, 28))`` runs one input through the model and records, for every leaf
layer in the order it runs (including the layers inside parallel branches), the output shape,
parameters, mult-adds and receptive field, plus a row where branches are joined (``concat``
for ``torch.cat``, ``add`` for a residual ``+``).

How it works, in three small pieces:

- forward pre/post hooks on every module give the call order, each leaf's output and, when
  something fails, the layer that was running (hooks are removed afterwards);
- a ``TorchFunctionMode`` sees every torch function (``F.conv2d``, ``torch.cat``, ``a + b``,
  ``torch.flatten``...) and follows each tensor derived from the input: that is how it finds
  the joins and carries the receptive field through functional code;
- mult-adds use torchinfo's own rule (``torchinfo.layer_info.LayerInfo.calculate_macs``), so
  the totals equal ``torchinfo.summary(model, input_size).total_mult_adds``.

Mult-add conventions (they differ, and the lessons quote torchinfo's):

- torchinfo: a convolution costs ``(weight + bias parameters) x N x H_out x W_out``; every
  other layer with parameters costs ``(its parameters) x N`` (so a Linear counts its bias, and
  a BatchNorm counts ``2C`` per image); layers without parameters (ReLU, pooling) count 0.
- ``torch.utils.flop_counter.FlopCounterMode`` counts FLOPs = 2 x the multiplications of
  matmuls and convolutions only: no bias, no BatchNorm. So FLOPs / 2 is torchinfo's number minus
  the bias and BatchNorm terms (VGG16 at 224: 15,470,264,320 vs torchinfo's 15,483,821,032).
  ``trace(..., flops=True)`` adds that count per row (``row.flops``) and in ``total_flops``.

The meta device (the default) gives shapes without memory: VGG16's 138M parameters are
replaced by meta tensors for the duration of the pass, so nothing is allocated and the model
you passed is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import html
import math
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .diagnose import (
    built_for,
    check_device,
    check_input_size,
    check_module,
    explain_code_error,
    explain_layer,
)

__all__ = ["trace", "TraceTable", "TraceRow", "GroupRow", "TraceError"]

_CAT = {"cat", "concat", "concatenate"}
_ADD = {"add", "add_", "__add__", "__iadd__", "__radd__"}


class TraceError(RuntimeError):
    """The model failed on the traced input. The message names the last layer that worked, the
    failing layer, the shapes on both sides and a fix. Attributes keep the same facts."""

    def __init__(
        self,
        message: str,
        *,
        last_ok: TraceRow | None,
        failing_path: str | None,
        failing_type: str | None,
        input_shapes: list[tuple[int, ...]],
        fix: str,
        partial: TraceTable | None = None,
        what: str = "",
    ) -> None:
        super().__init__(message)
        self.what = what  # the cause in one sentence (the message's line that says what went wrong)
        self.last_ok = last_ok
        self.failing_path = failing_path
        self.failing_type = failing_type
        self.input_shapes = input_shapes
        self.fix = fix
        self.partial = partial


@dataclass
class TraceRow:
    """One layer call (``kind="layer"``) or one join of branches (``kind`` "concat" or "add")."""

    path: str  # module path, e.g. "incep1.branch3x3_2" ("" is the model)
    type: str  # class name, or "concat" / "add" for a join
    output_shape: tuple[int, ...] | None
    params: int  # counted on the first call of a module only
    trainable_params: int
    mult_adds: int  # torchinfo's convention (see the module docstring)
    rf: int | None = None  # receptive field on the input, in pixels (one side)
    jump: int | None = None  # input pixels between neighbouring outputs
    output_bytes: int = 0
    kind: str = "layer"
    depth: int = 0  # number of dots in path + 1 (0 for the model itself)
    n_inputs: int = 1  # joins: how many branches meet here
    flops: int | None = None  # FlopCounterMode's FLOPs (trace(..., flops=True))


@dataclass
class GroupRow:
    """Parameters and mult-adds summed over the layers under one top-level child (or branch)."""

    name: str
    params: int
    mult_adds: int
    output_shape: tuple[int, ...] | None = None


@dataclass
class TraceTable:
    """The result of ``trace``: rows, totals, a text table (``print``) and an HTML table."""

    rows: list[TraceRow]
    total_params: int
    trainable_params: int
    total_mult_adds: int
    output_shape: tuple[int, ...] | None
    input_shape: tuple[int, ...] = ()
    model_name: str = ""
    unused_params: int = 0  # parameters of modules never called in forward
    total_flops: int | None = None
    input_bytes: int = 0

    @property
    def layers(self) -> list[TraceRow]:
        return [r for r in self.rows if r.kind == "layer"]

    @property
    def joins(self) -> list[TraceRow]:
        return [r for r in self.rows if r.kind != "layer"]

    def row(self, path: str) -> TraceRow:
        """The first layer row with this module path (a join row if no layer has it)."""
        for r in self.layers + self.joins:
            if r.path == path:
                return r
        known = ", ".join(r.path for r in self.layers[:8])
        raise KeyError(f"no row {path!r} in the trace; layer paths look like: {known}, ...")

    def by_group(self, depth: int = 1) -> list[GroupRow]:
        """Sum params and mult-adds per module path cut to ``depth`` parts (``depth=1``: per
        top-level child, e.g. one group per Inception branch when the model is a block)."""
        groups: dict[str, GroupRow] = {}
        for r in self.rows:  # in call order, joins included: a group's output is its last row's
            name = ".".join(r.path.split(".")[:depth]) if r.path else (self.model_name or "(model)")
            if r.kind != "layer":
                if name in groups:
                    groups[name].output_shape = r.output_shape
                continue
            g = groups.setdefault(name, GroupRow(name, 0, 0))
            g.params += r.params
            g.mult_adds += r.mult_adds
            g.output_shape = r.output_shape
        return list(groups.values())

    def activation_memory(self, per_row: bool = False) -> int | list[tuple[str, int]]:
        """Bytes of the layers' outputs for this input (what a forward pass keeps for backward,
        roughly). ``per_row=True``: a list of (path, bytes) for each layer call."""
        if per_row:
            return [(r.path, r.output_bytes) for r in self.layers]
        return sum(r.output_bytes for r in self.layers)

    # -- printing --------------------------------------------------------------------------
    _HEADER = ("Layer", "Type", "Output shape", "Params", "Mult-adds", "RF", "Jump")

    def _cells(self) -> list[tuple[str, ...]]:
        out = []
        for r in self.rows:
            if r.kind == "layer":
                name = r.path or "(model)"
                typ = r.type
            else:
                name = f"{r.path}  [{r.kind}]" if r.path else f"[{r.kind}]"
                typ = f"{r.kind} of {r.n_inputs}"
            out.append(
                (
                    name,
                    typ,
                    _shape(r.output_shape),
                    f"{r.params:,}",
                    f"{r.mult_adds:,}",
                    "" if r.rf is None else str(r.rf),
                    "" if r.jump is None else str(r.jump),
                )
            )
        return out

    def _totals(self) -> list[str]:
        lines = [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
            f"Total mult-adds: {self.total_mult_adds:,}",
            f"Input {_shape(self.input_shape)} -> output {_shape(self.output_shape)}",
        ]
        if self.unused_params:
            lines.append(f"Note: {self.unused_params:,} parameters belong to modules never called in forward")
        if self.total_flops is not None:
            lines.append(f"FLOPs (torch flop counter, no bias/BN): {self.total_flops:,}")
        return lines

    def __str__(self) -> str:
        cells = [self._HEADER, *self._cells()]
        widths = [max(len(c[i]) for c in cells) for i in range(len(self._HEADER))]
        right = {3, 4, 5, 6}

        def fmt(c: Sequence[str]) -> str:
            cols = (s.rjust(w) if i in right else s.ljust(w) for i, (s, w) in enumerate(zip(c, widths)))
            return "  ".join(cols).rstrip()

        rule = "-" * len(fmt(self._HEADER))
        return "\n".join([fmt(self._HEADER), rule, *map(fmt, cells[1:]), rule, *self._totals()])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self._HEADER)
        body = []
        for r, c in zip(self.rows, self._cells()):
            style = ' style="background:#eef5ff"' if r.kind != "layer" else ""
            tds = [
                f'<td style="text-align:left">{html.escape(c[0]).replace(" ", "&nbsp;")}</td>',
                *(f'<td style="text-align:left">{html.escape(s)}</td>' for s in c[1:3]),
                *(f'<td style="text-align:right">{html.escape(s)}</td>' for s in c[3:]),
            ]
            body.append(f"<tr{style}>{''.join(tds)}</tr>")
        totals = "<br>".join(html.escape(s) for s in self._totals())
        return (
            f'<table class="cnnlessons-trace"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table><p>{totals}</p>"
        )


def _shape(shape: tuple[int, ...] | None) -> str:
    return "" if shape is None else "[" + ", ".join(str(s) for s in shape) + "]"


# ---------------------------------------------------------------------------------------------
# Following tensors: receptive field and joins
# ---------------------------------------------------------------------------------------------
@dataclass
class _Info:
    rf: int | None
    jump: int | None


def _tensors(obj: Any) -> Iterator[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            if isinstance(o, torch.Tensor):
                yield o


def _first(v: Any) -> int:
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def _arg(args: tuple, kwargs: dict, i: int, name: str, default: Any) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[i] if len(args) > i else default


class _Follow(TorchFunctionMode):
    """Sees every torch function during the pass; hands the ones touching the input's
    descendants to the tracer."""

    def __init__(self, tracer: _Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        self.tracer.on_function(func, args, kwargs, out)
        return out


class _Tracer:
    def __init__(self, model: nn.Module, receptive_field: bool) -> None:
        self.model = model
        self.receptive_field = receptive_field
        self.names = {m: n for n, m in model.named_modules()}
        self.info: dict[int, tuple[Any, _Info]] = {}  # id(tensor) -> (weak reference, info)
        self.rows: list[TraceRow] = []
        self.stack: list[tuple[nn.Module, list[tuple[int, ...]]]] = []
        self.seen: set[int] = set()  # modules already given their parameters in a row
        self.called: set[int] = set()

    # tensors we follow -------------------------------------------------------------------
    def get(self, t: torch.Tensor) -> _Info | None:
        entry = self.info.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else None

    def put(self, t: torch.Tensor, info: _Info) -> None:
        self.info[id(t)] = (weakref.ref(t), info)

    def on_function(self, func: Any, args: tuple, kwargs: dict, out: Any) -> None:
        given = [*(x for a in args for x in _tensors(a)), *(x for v in kwargs.values() for x in _tensors(v))]
        ins = [(t, i) for t in given if (i := self.get(t)) is not None]
        if not ins:
            return
        outs = list(_tensors(out))
        if not outs:
            return
        name = getattr(func, "__name__", "").lstrip("_")
        if name.startswith("new_") or name.endswith("_like"):
            return  # a constant made from the input's dtype/device, not from its values
        x, base = ins[0]
        info = _Info(None, None)
        if name in _CAT or name in _ADD:
            rfs = [i for _, i in ins if i.rf is not None]
            if len(rfs) == len(ins):
                best = max(rfs, key=lambda i: i.rf)
                info = _Info(best.rf, best.jump)
            if len(ins) >= 2:
                self.join("concat" if name in _CAT else "add", len(ins), outs[0], info)
        elif base.rf is not None:
            info = self.propagate(name, args, kwargs, x, base, outs[0])
        for o in outs:
            self.put(o, info)

    def propagate(self, name: str, args: tuple, kwargs: dict, x: torch.Tensor, base: _Info, y: torch.Tensor) -> _Info:
        spatial_in, spatial_out = tuple(x.shape[2:]), tuple(y.shape[2:])
        if name.startswith("conv") and "transpose" not in name and len(args) > 1:
            k = args[1].shape[-1]
            s = _first(_arg(args, kwargs, 3, "stride", 1))
            d = _first(_arg(args, kwargs, 5, "dilation", 1))
            return _Info(base.rf + (k - 1) * d * base.jump, base.jump * s)
        if "pool" in name and "adaptive" not in name and "lp_pool" not in name:
            k = _first(_arg(args, kwargs, 1, "kernel_size", 1))
            s = _arg(args, kwargs, 2, "stride", None)
            s = k if s is None or s == [] or s == () else _first(s)
            d = _first(_arg(args, kwargs, 4, "dilation", 1)) if "max" in name else 1
            return _Info(base.rf + (k - 1) * d * base.jump, base.jump * s)
        if y.dim() >= 3 and y.dim() == x.dim() and spatial_in == spatial_out:
            return _Info(base.rf, base.jump)  # elementwise, normalisation, 1x1 adaptive no-op...
        return _Info(None, None)  # flatten, linear, global pooling: no longer defined

    # rows --------------------------------------------------------------------------------
    def path(self, module: nn.Module) -> str:
        return self.names.get(module, "?")

    def join(self, kind: str, n: int, out: torch.Tensor, info: _Info) -> None:
        parent = self.path(self.stack[-1][0]) if self.stack else ""
        self.rows.append(
            TraceRow(
                parent,
                kind,
                tuple(out.shape),
                0,
                0,
                0,
                info.rf,
                info.jump,
                out.numel() * out.element_size(),
                kind,
                parent.count(".") + 1 if parent else 0,
                n,
            )
        )

    def pre_hook(self, module: nn.Module, inputs: tuple) -> None:
        self.stack.append((module, [tuple(t.shape) for t in _tensors(inputs)]))

    def post_hook(self, module: nn.Module, inputs: tuple, output: Any) -> None:
        self.stack.pop()
        self.called.add(id(module))
        if any(True for _ in module.children()):
            return
        outs = list(_tensors(output))
        y = outs[0] if outs else None
        first = id(module) not in self.seen
        self.seen.add(id(module))
        params = [p for p in module.parameters()] if first else []
        macs = 0
        if y is not None:
            from torchinfo.layer_info import LayerInfo  # torchinfo's own mult-add rule

            li = LayerInfo(type(module).__name__, module, 0)
            li.output_size = list(y.shape)
            li.calculate_macs()
            macs = int(li.macs)
        info = self.get(y) if y is not None else None
        p = self.path(module)
        self.rows.append(
            TraceRow(
                p,
                type(module).__name__,
                tuple(y.shape) if y is not None else None,
                sum(q.numel() for q in params),
                sum(q.numel() for q in params if q.requires_grad),
                macs,
                info.rf if info else None,
                info.jump if info else None,
                y.numel() * y.element_size() if y is not None else 0,
                "layer",
                p.count(".") + 1 if p else 0,
            )
        )


# ---------------------------------------------------------------------------------------------
# The public function
# ---------------------------------------------------------------------------------------------
def trace(
    model: nn.Module,
    input_size: Sequence[int],
    *,
    device: str | torch.device | None = "meta",
    dtype: torch.dtype = torch.float32,
    depth: int | None = None,
    mode: str = "eval",
    receptive_field: bool = True,
    flops: bool = False,
) -> TraceTable:
    """Run one input of ``input_size`` (batch included, like torchinfo: ``(1, 1, 28, 28)``)
    through ``model`` and return a ``TraceTable``.

    - ``device="meta"`` (default): shapes only, no memory; parameters on another device are
      swapped for meta tensors during the pass and put back. ``device=None``: a random real
      input on the model's own device (for models that need real values).
    - ``depth=k``: rows for the modules ``k`` levels deep (their leaves summed) instead of leaves.
    - ``mode="eval"`` like torchinfo (so GoogLeNet's auxiliary heads do not run); ``"train"``
      runs them. The model's own train/eval flags are restored afterwards.
    - ``receptive_field=False`` skips following tensors (faster; no RF and no join rows);
      ``flops=True`` adds torch's FlopCounterMode count (2 per multiply, no bias/BN).

    Raises ``TraceError`` naming the failing layer and the fix when the model rejects the input.
    """
    input_size = _check_args(model, input_size, device, mode)
    tracer = _Tracer(model, receptive_field)
    try:
        out, counter = _run(model, tracer, input_size, device, dtype, mode == "train", flops)
    except TraceError as err:
        better = _with_size_that_fits(err, model, input_size)
        if better is None:
            raise
        raise better from err.__cause__
    if out is None:
        fix = "add `return x` as the last line of forward"
        raise TraceError(
            f"{type(model).__name__}.forward returned None: it ends without `return` (Python then "
            f"returns None).\n  fix: {fix}",
            last_ok=tracer.rows[-1] if tracer.rows else None,
            failing_path=None,
            failing_type=None,
            input_shapes=[],
            fix=fix,
            partial=_partial(tracer, input_size),
        )
    return _table(model, tracer, out, counter, input_size, dtype, depth)


def _run(
    model: nn.Module,
    tracer: _Tracer,
    input_size: tuple[int, ...],
    device: Any,
    dtype: torch.dtype,
    train: bool,
    flops: bool,
) -> tuple[Any, Any]:
    """One forward pass with the hooks (and the function mode) on; (output, flop counter or None).
    The model gets its parameters, buffers and train/eval flags back whatever happens."""
    params0 = list(model.parameters())
    target = (
        torch.device("meta")
        if device is not None and str(device) == "meta"
        else (torch.device(device) if device is not None else (params0[0].device if params0 else torch.device("cpu")))
    )
    training = {m: m.training for m in model.modules()}
    handles = []
    swapped: list[tuple[dict, str, Any]] = []
    try:
        if target.type == "meta":
            _swap_to_meta(model, swapped)
            x = torch.empty(input_size, dtype=dtype, device="meta")
        else:
            g = torch.Generator().manual_seed(0)
            x = (torch.randn(input_size, generator=g) if dtype.is_floating_point else torch.zeros(input_size)).to(
                dtype=dtype, device=target
            )
        model.train(train)
        for m in model.modules():
            handles.append(m.register_forward_pre_hook(tracer.pre_hook))
            handles.append(m.register_forward_hook(tracer.post_hook))
        tracer.put(x, _Info(1, 1) if x.dim() >= 3 else _Info(None, None))
        from torch.utils.flop_counter import FlopCounterMode

        counter = FlopCounterMode(display=False) if flops else None
        follow = _Follow(tracer) if tracer.receptive_field else contextlib.nullcontext()
        try:
            with torch.no_grad(), counter or contextlib.nullcontext(), follow:
                return model(x), counter
        except TraceError:
            raise
        except Exception as exc:  # the model rejected the input: say where and how to fix it
            raise _diagnose(exc, tracer, model, input_size, x.device.type == "meta") from exc
    finally:
        for h in handles:
            h.remove()
        for store, name, value in swapped:
            store[name] = value
        for m, t in training.items():
            m.training = t


def _table(
    model: nn.Module,
    tracer: _Tracer,
    out: Any,
    counter: Any,
    input_size: tuple[int, ...],
    dtype: torch.dtype,
    depth: int | None,
) -> TraceTable:
    """The rows (joins only when followed, FLOPs when counted, cut to ``depth``) and the totals."""
    outs = list(_tensors(out))
    rows = tracer.rows if tracer.receptive_field else [r for r in tracer.rows if r.kind == "layer"]
    if counter is not None:
        counts = {k: sum(v.values()) for k, v in counter.get_flop_counts().items()}
        root = type(model).__name__
        for r in rows:
            if r.kind == "layer":
                r.flops = counts.get(f"{root}.{r.path}" if r.path else root, 0)
    if depth is not None:
        rows = _cut(rows, depth)
    all_params = {id(p): p for p in model.parameters()}
    called_params = {id(p) for m in model.modules() if id(m) in tracer.called for p in m.parameters(recurse=False)}
    return TraceTable(
        rows=rows,
        total_params=sum(p.numel() for p in all_params.values()),
        trainable_params=sum(p.numel() for p in all_params.values() if p.requires_grad),
        total_mult_adds=sum(r.mult_adds for r in tracer.rows),
        output_shape=tuple(outs[0].shape) if outs else None,
        input_shape=input_size,
        model_name=type(model).__name__,
        unused_params=sum(p.numel() for i, p in all_params.items() if i not in called_params),
        total_flops=None if counter is None else int(counter.get_total_flops()),
        input_bytes=math.prod(input_size) * torch.empty((), dtype=dtype).element_size(),
    )


def _fits(model: nn.Module, input_size: tuple[int, ...]) -> bool:
    """Whether the model runs on this input size (one meta pass, no rows kept, no diagnosis)."""
    try:
        _run(model, _Tracer(model, False), input_size, "meta", torch.float32, False, False)
    except Exception:  # noqa: BLE001  (any failure means: not this size)
        return False
    return True


def _with_size_that_fits(err: TraceError, model: nn.Module, input_size: tuple[int, ...]) -> TraceError | None:
    """A Linear whose in_features fits another image size: find that size (a few meta passes) and
    name the fitting size nearest the estimate; None when the estimate was right or nothing fits."""
    guess = getattr(err, "size_guess", None)
    if not guess:
        return None
    fits = [side for side in range(max(1, guess - 4), guess + 5) if _fits(model, (1, input_size[1], side, side))]
    if not fits:
        return None
    side = min(fits, key=lambda v: (abs(v - guess), -v))  # the fitting size nearest the estimate
    if side == guess:
        return None
    text, what = str(err), err.what
    for old, new in (
        (f"about {guess} x {guess}", f"about {side} x {side}"),
        (f"resize the images to {guess} x {guess}", f"resize the images to {side} x {side}"),
    ):
        text, what = text.replace(old, new), what.replace(old, new)
    return TraceError(
        text,
        last_ok=err.last_ok,
        failing_path=err.failing_path,
        failing_type=err.failing_type,
        input_shapes=err.input_shapes,
        fix=err.fix,
        partial=err.partial,
        what=what,
    )


def _check_args(model: Any, input_size: Any, device: Any, mode: str) -> tuple[int, ...]:
    """The model, its input_size (batch first) and the options, checked before anything runs."""
    check_module(model, "cl.trace")
    input_size = check_input_size(model, input_size, "cl.trace")
    if len(input_size) < 2:
        raise ValueError(f"input_size {input_size} must include the batch, e.g. (1, 1, 28, 28)")
    if mode not in ("eval", "train"):
        raise ValueError(f"mode must be 'eval' or 'train', got {mode!r}")
    if device is not None and str(device) != "meta":
        check_device(device)
    return input_size


def _swap_to_meta(model: nn.Module, swapped: list) -> None:
    """Replace real parameters and buffers by meta ones (same shapes and requires_grad), in
    place, recording how to put the originals back. Allocates nothing."""
    done: dict[int, Any] = {}
    for m in model.modules():
        for store in (m._parameters, m._buffers):
            for name, t in list(store.items()):
                if t is None or t.device.type == "meta":
                    continue
                if id(t) not in done:
                    meta = torch.empty_like(t, device="meta")
                    is_param = isinstance(t, nn.Parameter)
                    done[id(t)] = nn.Parameter(meta, requires_grad=t.requires_grad) if is_param else meta
                swapped.append((store, name, t))
                store[name] = done[id(t)]


def _cut(rows: list[TraceRow], depth: int) -> list[TraceRow]:
    """Collapse layer rows deeper than ``depth`` into one row per module call at that depth."""
    out: list[TraceRow] = []
    for r in rows:
        if r.depth <= depth and not (
            r.kind != "layer" and out and out[-1].type == "(group)" and out[-1].path == r.path
        ):
            out.append(r)
            continue
        prefix = ".".join(r.path.split(".")[:depth])
        last = out[-1] if out else None
        if r.kind != "layer":
            # A join hidden inside a collapsed module: when it is the module's latest call, the
            # module's output is the join's (an Inception block's output is its concat).
            if last is not None and last.type == "(group)" and last.path == prefix:
                last.output_shape, last.rf, last.jump, last.output_bytes = r.output_shape, r.rf, r.jump, r.output_bytes
            continue
        if last is not None and last.kind == "layer" and last.path == prefix and last.type == "(group)":
            last.params += r.params
            last.trainable_params += r.trainable_params
            last.mult_adds += r.mult_adds
            last.output_shape, last.rf, last.jump, last.output_bytes = r.output_shape, r.rf, r.jump, r.output_bytes
        else:
            out.append(
                TraceRow(
                    prefix,
                    "(group)",
                    r.output_shape,
                    r.params,
                    r.trainable_params,
                    r.mult_adds,
                    r.rf,
                    r.jump,
                    r.output_bytes,
                    "layer",
                    depth,
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# Saying what went wrong
# ---------------------------------------------------------------------------------------------
def _diagnose(
    exc: Exception, tracer: _Tracer, model: nn.Module, input_size: tuple[int, ...], x_is_meta: bool = False
) -> TraceError:
    """The TraceError for ``exc``: which layer failed, on what input, why, and what to change."""
    last = tracer.rows[-1] if tracer.rows else None
    if last is not None:
        before = f"last layer that worked: {last.path or '(model)'} ({last.type}) -> output {_shape(last.output_shape)}"
    else:
        before = f"no layer worked yet; the input was {_shape(input_size)}"
    partial = _partial(tracer, input_size)
    if x_is_meta and isinstance(exc, (NotImplementedError, RuntimeError)) and "meta" in str(exc).lower():
        fix = (
            "this model needs real values (e.g. .item() or data-dependent shapes), which the meta device does "
            "not have: trace it with device=None (a real input on the model's device)."
        )
        failing = tracer.path(tracer.stack[-1][0]) if tracer.stack else None
        msg = f"the model cannot run on the meta device.\n  {before}\n  error: {_first_line(exc)}\n  fix: {fix}"
        return TraceError(
            msg, last_ok=last, failing_path=failing, failing_type=None, input_shapes=[], fix=fix, partial=partial
        )
    code_what, code_fix = explain_code_error(exc, model, input_size[0])
    if not tracer.stack:
        fix = code_fix or "check the model's forward (the error is outside every module)."
        what = code_what or ""
        msg = f"the model failed on input {_shape(input_size)}.\n  {before}\n  error: {what or _first_line(exc)}"
        return TraceError(
            f"{msg}\n  fix: {fix}",
            last_ok=last,
            failing_path=None,
            failing_type=None,
            input_shapes=[],
            fix=fix,
            partial=partial,
            what=what,
        )
    module, shapes = tracer.stack[-1]
    path = tracer.path(module) or "(model)"
    typ = type(module).__name__
    shape = shapes[0] if shapes else ()
    what, fix, guess = _layer_cause(exc, tracer, module, path, shape, input_size, (code_what, code_fix))
    msg = f"trace failed at `{path}` ({typ}).\n  {before}\n  `{path}` got input {_shape(shape)}: {what}\n  fix: {fix}"
    err = TraceError(
        msg,
        last_ok=last,
        failing_path=path,
        failing_type=typ,
        input_shapes=shapes,
        fix=fix,
        partial=partial,
        what=f"`{path}` ({typ}) got input {_shape(shape)}: {what}",
    )
    err.size_guess = guess  # trace() checks it with a few meta passes (_with_size_that_fits)
    return err


def _layer_cause(
    exc: Exception,
    tracer: _Tracer,
    module: nn.Module,
    path: str,
    shape: tuple[int, ...],
    input_size: tuple[int, ...],
    code: tuple[str | None, str | None],
) -> tuple[str, str, int | None]:
    """(what went wrong, the fix, an input size that would fit) for a failure inside ``module``.

    A known layer rule first (_explain), then a cause read from the error text (``code``), then a
    generic message that still names the layer and its input.
    """
    typ, short = type(module).__name__, path.split(".")[-1]
    what, fix = _explain(module, shape, short, input_size[0])
    guess = None
    if isinstance(module, nn.Linear) and what and "was built with in_features" in what:
        maps = next((r.output_shape for r in reversed(tracer.rows) if r.output_shape and len(r.output_shape) == 4), ())
        hint, guess = built_for(module.in_features, maps, input_size)
        what += hint
    if what is None and code[0]:
        what, fix = code
    if what is None:
        if any(True for _ in module.children()):
            what = (
                f"the error is in {typ}.forward's own code (a view/flatten/cat/+ between layers), "
                f"not in a layer; its input was {_shape(shape)}: {_first_line(exc)}"
            )
            fix = (
                f"print x.shape between the lines of {typ}.forward and compare with the rows so far "
                f"(exc.partial); branches that are concatenated must keep the same height and width."
            )
        else:
            what = f"`{path}` ({typ}) failed on input {_shape(shape)}: {_first_line(exc)}"
            fix = f"make the previous layer's output match what {typ} expects, or change {short}'s arguments."
    return what, fix, guess


def _explain(m: nn.Module, shape: tuple[int, ...], short: str, batch: int) -> tuple[str | None, str]:
    what, fix = explain_layer(m, shape, short, batch)  # the causes shared with fit (diagnose.py)
    if what is not None:
        return what, fix
    if isinstance(m, nn.modules.conv._ConvNd):
        return _too_small(m, shape[-len(m.kernel_size) :], m.kernel_size, m.padding, m.dilation, short)
    if isinstance(m, (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)):
        nd = int(type(m).__name__[-2])
        k = m.kernel_size if isinstance(m.kernel_size, tuple) else (m.kernel_size,) * nd
        p = m.padding if isinstance(m.padding, tuple) else (m.padding,) * nd
        d = getattr(m, "dilation", 1)
        d = d if isinstance(d, tuple) else (d,) * nd
        return _too_small(m, shape[-nd:], k, p, d, short)
    return None, ""


def _too_small(
    m: nn.Module, size: Sequence[int], k: Sequence[int], p: Any, d: Sequence[int], short: str
) -> tuple[str | None, str]:
    if isinstance(p, str):
        return None, ""
    for s, kk, pp, dd in zip(size, k, p, d):
        if s + 2 * pp < dd * (kk - 1) + 1:
            return (
                f"the feature map is {' x '.join(map(str, size))} (padding {pp}) but {short}'s kernel covers "
                f"{dd * (kk - 1) + 1} pixels: the input is too small for this many layers",
                "feed a larger input, remove a pooling/stride-2 layer before it, or pad; the rows so far "
                "(exc.partial) show where the map shrinks.",
            )
    return None, ""


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _partial(tracer: _Tracer, input_size: tuple[int, ...]) -> TraceTable:
    rows = tracer.rows
    return TraceTable(
        rows=list(rows),
        total_params=sum(r.params for r in rows),
        trainable_params=sum(r.trainable_params for r in rows),
        total_mult_adds=sum(r.mult_adds for r in rows),
        output_shape=None,
        input_shape=input_size,
    )
