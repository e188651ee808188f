"""The model doctor: run a model once and list the mistakes that make it train badly or not at all.

``doctor(model, (1, 1, 28, 28))`` runs two small random batches (2 and 3 images) through the
model in training mode, watching every module call and a few torch functions, and returns a
list of ``Finding`` (empty when all is well). It looks for:

- ``unused``: a submodule defined in ``__init__`` but never called in ``forward``;
- ``built-in-forward``: a module constructed inside ``forward`` (its weights are not in
  ``model.parameters()``, so the optimizer never sees them; a Dropout made there ignores
  ``model.eval()``);
- ``not-registered``: a module called in forward that the model does not own (kept in a plain
  Python list or dict instead of ``nn.ModuleList`` / ``nn.ModuleDict``);
- ``softmax-output``: the output is already probabilities (or log-probabilities) although a
  loss that applies its own softmax, like ``CrossEntropyLoss``, will follow;
- ``frozen``: some but not all parameters of a layer have ``requires_grad=False``, or all of
  the model's parameters do;
- ``batch-size``: a shape that only works for one batch size (a ``view`` with a hard-coded
  size): batch 3 fails, or the output's first dimension does not follow the input's;
- ``forward-fails``: the model does not run on this input at all (the tracer's message says why).

The model is left as it was: hooks removed, train/eval flags, buffers (BatchNorm statistics)
and the random number generator restored.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .counting import count_params
from .diagnose import check_input_size, check_instance, check_module

__all__ = ["doctor", "Finding", "Findings"]


@dataclass
class Finding:
    """One problem: what kind, where (module path), what is wrong, how to fix it."""

    kind: str
    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.path}: {self.message}\n    fix: {self.fix}"


class Findings(list):
    """A list of ``Finding`` that prints as a short report."""

    def __str__(self) -> str:
        if not self:
            return "No problems found."
        head = f"Model doctor: {len(self)} problem{'s' if len(self) > 1 else ''} found"
        return "\n".join([head, *(f"{i}. {f}" for i, f in enumerate(self, 1))])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        if not self:
            return "<p><b>No problems found.</b></p>"
        items = "".join(
            f"<li><b>[{html.escape(f.kind)}] <code>{html.escape(f.path)}</code></b>: {html.escape(f.message)}"
            f"<br><i>fix:</i> {html.escape(f.fix)}</li>"
            for f in self
        )
        return f"<p><b>Model doctor: {len(self)} problem{'s' if len(self) > 1 else ''} found</b></p><ol>{items}</ol>"

    def kinds(self) -> list[str]:
        return [f.kind for f in self]


# ---------------------------------------------------------------------------------------------
# Watching one forward pass
# ---------------------------------------------------------------------------------------------
def _tensors(obj: Any) -> Iterator[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


class _Watch(TorchFunctionMode):
    """Records softmax calls and views that change the batch dimension, with the module running."""

    def __init__(self, run: _Run) -> None:
        super().__init__()
        self.run = run

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        out = func(*args, **(kwargs or {}))
        name = getattr(func, "__name__", "").lstrip("_")
        if name in ("softmax", "log_softmax") and isinstance(out, torch.Tensor):
            self.run.softmax[id(out)] = (self.run.where(), name)
        elif (
            name in ("view", "reshape") and args and isinstance(args[0], torch.Tensor) and isinstance(out, torch.Tensor)
        ):
            x = args[0]
            if x.dim() > 0 and out.dim() > 0 and x.shape[0] == self.run.batch and out.shape[0] != self.run.batch:
                self.run.bad_views.append((self.run.where(), tuple(x.shape), tuple(out.shape)))
        return out


class _Run:
    """Global module hooks plus ``nn.Module.__init__`` patched to see modules built during forward."""

    def __init__(self, model: nn.Module, batch: int) -> None:
        self.model = model
        self.batch = batch
        self.names = {m: n for n, m in model.named_modules()}
        self.called: set[int] = set()
        self.stack: list[nn.Module] = []
        self.created: list[tuple[str, nn.Module]] = []  # (path of the module running, new module)
        self.foreign: list[tuple[str, nn.Module]] = []  # called but not owned, built before forward
        self.softmax: dict[int, tuple[str, str]] = {}
        self.bad_views: list[tuple[str, tuple, tuple]] = []

    def where(self) -> str:
        for m in reversed(self.stack):
            if m in self.names:
                return self.names[m] or "(model)"
        return "(model)"

    def pre(self, module: nn.Module, args: Any) -> None:
        self.stack.append(module)

    def post(self, module: nn.Module, args: Any, out: Any) -> None:
        if self.stack:
            self.stack.pop()
        self.called.add(id(module))
        if (
            module not in self.names
            and not any(m is module for _, m in self.created)
            and not any(m is module for _, m in self.foreign)
        ):
            self.foreign.append((self.where(), module))

    def forward(self, x: torch.Tensor) -> Any:
        from torch.nn.modules import module as module_mod

        original_init = nn.Module.__init__
        run = self

        def init(self_: nn.Module, *args: Any, **kwargs: Any) -> None:
            original_init(self_, *args, **kwargs)
            run.created.append((run.where(), self_))

        handles = [
            module_mod.register_module_forward_pre_hook(self.pre),
            module_mod.register_module_forward_hook(self.post),
        ]
        nn.Module.__init__ = init  # type: ignore[method-assign]
        try:
            with _Watch(self):
                return self.model(x)
        finally:
            nn.Module.__init__ = original_init  # type: ignore[method-assign]
            for h in handles:
                h.remove()


# ---------------------------------------------------------------------------------------------
# The public function
# ---------------------------------------------------------------------------------------------
def doctor(model: nn.Module, input_size: Sequence[int], *, loss: Any = None) -> Findings:
    """Check ``model`` on random inputs shaped like ``input_size`` (batch included; batches of 2
    and 3 are used) and return the problems found, each with the module path and a fix.

    ``loss``: the loss that will follow (``nn.CrossEntropyLoss()``, ``nn.NLLLoss()``, a function,
    or None meaning cross-entropy, which ``cl.fit`` uses).
    """
    check_module(model, "cl.doctor")
    input_size = check_input_size(model, input_size, "cl.doctor")
    check_instance(loss, "loss", "nn.CrossEntropyLoss()")
    findings = Findings()
    findings += _frozen(model)
    runs, outs, errors = _watch_runs(model, input_size)
    if errors[0] is not None:
        if runs[0].bad_views:  # the real cause is a view that changed the batch dimension
            findings += _batch(model, runs[:1], outs, errors, failed=True)
        else:
            findings.append(_fails(model, input_size, errors[0]))
        return findings
    first = runs[0]
    if outs[0] is None:
        findings.append(
            Finding(
                "no-output",
                "(model)",
                "forward returned None: it ends without `return` (Python then returns None)",
                "add `return x` as the last line of forward",
            )
        )
        return findings
    findings += _unused(model, set().union(*(r.called for r in runs)))
    findings += _built_in_forward(model, first)
    findings += _foreign(first)
    findings += _softmax(outs[0], first, loss)
    findings += _batch(model, runs, outs, errors)
    return findings


def _watch_runs(model: nn.Module, input_size: tuple[int, ...]) -> tuple[list[_Run], list[Any], list[Any]]:
    """Batches of 2 and 3 random inputs in training mode, watched; the model's state restored."""
    params = list(model.parameters()) + list(model.buffers())
    device = params[0].device if params else torch.device("cpu")
    training = {m: m.training for m in model.modules()}
    buffers = [(b, b.detach().clone()) for b in model.buffers() if b.device.type != "meta"]
    runs: list[_Run] = []
    outs: list[Any] = []
    errors: list[BaseException | None] = []
    try:
        rng_devices = [device.index or 0] if device.type == "cuda" else []
        gen = torch.Generator().manual_seed(0)
        with torch.random.fork_rng(devices=rng_devices), torch.no_grad():  # dropout draws are given back
            model.train()
            for batch in (2, 3):
                run = _Run(model, batch)
                shape = (batch, *input_size[1:])
                x = (
                    torch.randn(shape, generator=gen).to(device)
                    if device.type != "meta"
                    else torch.empty(shape, device="meta")
                )
                try:
                    outs.append(run.forward(x))
                    errors.append(None)
                except Exception as exc:  # noqa: BLE001 -- reported as a finding
                    outs.append(None)
                    errors.append(exc)
                runs.append(run)
                if batch == 2 and errors[0] is not None:
                    break
    finally:
        for m, t in training.items():
            m.training = t
        for b, saved in buffers:
            b.copy_(saved)
    return runs, outs, errors


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------
def _frozen(model: nn.Module) -> list[Finding]:
    params = list(model.parameters())
    if params and not any(p.requires_grad for p in params):
        return [
            Finding(
                "frozen",
                "(model)",
                f"all {sum(p.numel() for p in params):,} parameters have requires_grad=False: training changes nothing",
                "unfreeze what should learn: model.requires_grad_(True), or at least the new head "
                "(model.fc.requires_grad_(True)) for transfer learning",
            )
        ]
    found = []
    for path, m in model.named_modules():
        own = list(m.named_parameters(recurse=False))
        frozen = [n for n, p in own if not p.requires_grad]
        if frozen and len(frozen) < len(own):
            found.append(
                Finding(
                    "frozen",
                    path or "(model)",
                    f"{type(m).__name__} has {', '.join(frozen)} frozen "
                    f"(requires_grad=False) but not {', '.join(n for n, p in own if p.requires_grad)}: "
                    "half a layer trains, usually by accident",
                    f"model.{path}.requires_grad_(True) (or freeze the whole layer)"
                    if path
                    else "model.requires_grad_(True)",
                )
            )
    return found


def _unused(model: nn.Module, called: set[int]) -> list[Finding]:
    found: list[Finding] = []
    reported: list[str] = []
    for path, m in model.named_modules():
        if not path or id(m) in called or any(path.startswith(r + ".") for r in reported):
            continue
        if not any(True for _ in m.parameters()) and not any(True for _ in m.children()):
            # a parameter-free layer (ReLU, pooling) kept as an attribute and applied through F: harmless
            if type(m).__name__ in ("ReLU", "MaxPool2d", "AvgPool2d", "Dropout", "Flatten", "Identity", "Softmax"):
                continue
        n = count_params(m)
        reported.append(path)
        found.append(
            Finding(
                "unused",
                path,
                f"{type(m).__name__} is defined in __init__ but never called in "
                f"forward; its {n:,} parameters never see data (they still count in the model's size)",
                f"call it in forward (x = self.{path}(x)) if the architecture has it, or delete it",
            )
        )
    return found


def _built_in_forward(model: nn.Module, run: _Run) -> list[Finding]:
    owned = {id(p) for p in model.parameters()}
    found: list[Finding] = []
    seen: dict[tuple[str, str], int] = {}
    for where, m in run.created:
        if any(m is child for _, parent in run.created for child in parent.children()):
            continue  # a part of a bigger module created here: report the outer one
        key = (where, type(m).__name__)
        seen[key] = seen.get(key, 0) + 1  # the same class built twice in one forward: one finding
    for (where, name), count in seen.items():
        mods = [m for w, m in run.created if w == where and type(m).__name__ == name]
        n = sum(p.numel() for p in mods[0].parameters() if id(p) not in owned)
        times = f" ({count} times)" if count > 1 else ""
        holder = "self" if where == "(model)" else f"self.{where}"
        if n:
            found.append(
                Finding(
                    "built-in-forward",
                    where,
                    f"forward builds a new {name}{times} on every call: its "
                    f"{n:,} parameters are not in model.parameters(), start random each time and "
                    "never train",
                    f"create it once in __init__ ({holder}.{name.lower()} = {name}(...)) and call "
                    "that attribute in forward",
                )
            )
        elif any(isinstance(m, (nn.Dropout, nn.modules.batchnorm._BatchNorm)) for m in mods):
            found.append(
                Finding(
                    "built-in-forward",
                    where,
                    f"forward builds a new {name}{times} on every call: it is "
                    "always in training mode, so model.eval() does not switch it off",
                    f"create it once in __init__ ({holder}.{name.lower()} = {name}(...)) or use "
                    "F.dropout(x, p, training=self.training)",
                )
            )
    return found


def _foreign(run: _Run) -> list[Finding]:
    found = []
    for where, m in run.foreign:
        n = count_params(m)
        if not n:
            continue
        found.append(
            Finding(
                "not-registered",
                where,
                f"a {type(m).__name__} called in forward is not a submodule "
                f"of the model: its {n:,} parameters are not in model.parameters() and never train",
                "assign it as an attribute in __init__, and keep lists of layers in nn.ModuleList "
                "(dicts in nn.ModuleDict), not plain Python lists",
            )
        )
    return found


def _softmax(out: Any, run: _Run, loss: Any) -> list[Finding]:
    """Outputs that do not suit the loss: probabilities or log-probabilities into a loss that applies
    its own softmax, raw scores into NLLLoss, or scores that can never be negative."""
    loss_name = (
        "CrossEntropyLoss"
        if loss is None
        else (type(loss).__name__ if isinstance(loss, nn.Module) else getattr(loss, "__name__", str(loss)))
    )
    wants_log = "nll" in loss_name.lower()
    wants_logits = "crossentropy" in loss_name.lower().replace("_", "") or loss is None
    if not (wants_log or wants_logits):
        return []
    found = []
    for i, y in enumerate(_tensors(out)):
        if y.device.type == "meta" or y.dim() != 2 or y.shape[1] < 2 or not y.is_floating_point():
            continue
        which = f"output {i} " if i or isinstance(out, (tuple, list)) else "the output "
        found += _output_finding(y, which, run, loss_name, wants_log)
    return found


def _output_finding(y: torch.Tensor, which: str, run: _Run, loss_name: str, wants_log: bool) -> list[Finding]:
    ones = torch.ones(len(y), device=y.device)
    probs = bool((y >= 0).all()) and torch.allclose(y.sum(1), ones, atol=1e-4)
    logp = bool((y <= 0).all()) and torch.allclose(y.exp().sum(1), ones, atol=1e-4)
    where, fn = run.softmax.get(id(y), ("(model)", "softmax" if probs else "log_softmax"))
    if probs and not wants_log:
        return [
            Finding(
                "softmax-output",
                where,
                f"{which}is already probabilities (rows >= 0 summing to 1, "
                f"from {fn}) but {loss_name} applies its own softmax: the loss is squashed and "
                "learning slows or stalls",
                "return the raw scores (logits) from forward and drop the softmax; apply softmax "
                "only when you need probabilities for display",
            )
        ]
    if logp and not wants_log:
        return [
            Finding(
                "softmax-output",
                where,
                f"{which}is log-probabilities (from {fn}) but {loss_name} applies log_softmax itself",
                "return logits, or keep log_softmax and use nn.NLLLoss",
            )
        ]
    if probs and wants_log:
        return [
            Finding(
                "softmax-output",
                where,
                f"{which}is probabilities but {loss_name} expects log-probabilities",
                "use log_softmax in forward, or return logits and use nn.CrossEntropyLoss",
            )
        ]
    if wants_log and not logp:
        return [
            Finding(
                "loss-mismatch",
                "(model)",
                f"{which}is raw scores (logits) but {loss_name} expects "
                "log-probabilities (it does not apply log_softmax itself): the loss is wrong and can go "
                "below zero",
                "use nn.CrossEntropyLoss() (it applies log_softmax for you), or end forward "
                "with F.log_softmax(x, dim=1)",
            )
        ]
    if not wants_log and bool((y >= 0).all()) and len(y) * y.shape[1] >= 8:
        return [
            Finding(
                "relu-output",
                "(model)",
                f"{which}is never negative (a ReLU or sigmoid after the last "
                f"layer?): logits must be free to go below zero, so {loss_name} cannot push the wrong "
                "classes down",
                "drop the activation after the last layer: forward returns the last Linear's raw scores (logits)",
            )
        ]
    return []


def _batch(
    model: nn.Module, runs: list[_Run], outs: list[Any], errors: list[BaseException | None], failed: bool = False
) -> list[Finding]:
    fix = "use the batch size of the input: x.view(x.size(0), -1) or torch.flatten(x, 1), never a fixed number"
    if failed:
        where, before, after = runs[0].bad_views[0]
        return [
            Finding(
                "batch-size",
                where,
                f"a view/reshape turns a batch of {runs[0].batch} into "
                f"{list(before)} -> {list(after)}, and the model then fails ({_line(errors[0])})",
                fix,
            )
        ]
    if len(runs) < 2:
        return []
    run3 = runs[1]
    if errors[1] is not None:
        where, detail = run3.where(), ""
        if run3.bad_views:
            where, before, after = run3.bad_views[0]
            detail = f"; a view/reshape gives {list(before)} -> {list(after)}"
        return [
            Finding(
                "batch-size",
                where,
                f"forward works for a batch of 2 but fails for a batch of 3 ({_line(errors[1])}){detail}",
                fix,
            )
        ]
    for out, run in zip(outs, runs):
        ys = list(_tensors(out))
        if ys and ys[0].dim() > 0 and ys[0].shape[0] != run.batch:
            where, before, after = run.bad_views[0] if run.bad_views else ("(model)", None, None)
            detail = f" ({list(before)} -> {list(after)})" if before else ""
            return [
                Finding(
                    "batch-size",
                    where,
                    f"a batch of {run.batch} images gives an output of shape "
                    f"{list(ys[0].shape)}: a view/reshape mixes images together{detail}",
                    fix,
                )
            ]
    return []


def _line(exc: BaseException | None) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _fails(model: nn.Module, input_size: tuple[int, ...], exc: BaseException) -> Finding:
    from .trace import TraceError, trace

    try:
        trace(model, (2, *input_size[1:]))
    except TraceError as err:
        lines = [s.strip().rstrip(".") for s in str(err).splitlines()[:-1]]
        return Finding("forward-fails", err.failing_path or "(model)", "; ".join(lines), err.fix)
    except Exception:  # noqa: BLE001 -- fall back to the original error
        pass
    return Finding(
        "forward-fails",
        "(model)",
        f"the model does not run on a batch shaped {[2, *input_size[1:]]}: "
        f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
        "run cl.trace(model, input_size) to see the shapes layer by layer",
    )
