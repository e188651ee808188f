"""The training loop every lesson uses: ``fit`` -> ``History``, and ``evaluate``.

Why it is fast without being clever:
- the images live in one tensor on the device; each step slices a batch out of a seeded random
  permutation (no DataLoader, no per-image PIL transforms);
- on a CUDA GPU the whole step (forward, loss, backward, optimizer step) is captured once as a
  CUDA graph and replayed, so Python and kernel-launch overhead disappear;
- losses stay on the device and are copied to the host in chunks, not with ``.item()`` per step.

Read ``fit`` top to bottom: check the inputs, set up (the step is ``_Step``, or ``_GraphStep`` on
CUDA), loop (``_Run``), finish. History and smoothing live in ``history.py``, the losses in ``losses.py``.
No matplotlib here: live curves live in ``live.py`` and are imported only when drawn.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from .device import mps_safe, pick_device, release_memory, steady_heap
from .diagnose import check_device
from .diagnose import forward_checked as _forward_checked
from .env import in_notebook as _in_notebook
from .history import History, smooth
from .losses import LossFn, aux_loss, cross_entropy, main_output
from .preflight import after_fit, before_fit, check_batch_output, check_evaluate_args, check_fit_args
from .preflight import check_data as _check_data

Data = tuple[torch.Tensor, torch.Tensor]
__all__ = ["History", "smooth", "fit", "evaluate", "cross_entropy", "aux_loss", "main_output"]

# Defaults measured on the InceptionA (MNIST) net (benchmarks/bench_fit.py, results in
# benchmarks/results/fit_*.md): batch 256 runs much faster per image than batch 64 (CPU and
# GPU); at batch 256, one epoch with SGD lr 0.02 momentum 0.9 gave the best test accuracy of
# the settings tried (97.2% / 96.7% for two seeds), and twice that lr diverged in one seed.
DEFAULT_BATCH_SIZE = 256
DEFAULT_LR = {"sgd": 0.02, "adam": 1e-3}
DEFAULT_MOMENTUM = 0.9
_CUDA_GRAPH_WARMUP = 3


# ---------------------------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Data,
    batch_size: int = 256,
    device: torch.device | str | None = None,
) -> tuple[float, float]:
    """(mean cross-entropy loss, accuracy) over ``data``, in eval mode, without gradients.

    Batches of 256 keep the activations of a wide MNIST net to tens of MB (a batch of 1,000
    through a 64-channel 28 x 28 layer is 200 MB per activation, and the kernel keeps that
    peak): Binder's kernels have about 2 GB.

    Runs on the model's device unless ``device`` is given; the mode the model was in is restored.
    """
    batch_size, device = check_evaluate_args(model, batch_size, device)
    images, labels = _check_data(data, "data")
    if device is None:
        device = _model_device(model)
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    try:
        for i in range(0, len(images), batch_size):
            x = images[i : i + batch_size].to(device, non_blocking=True)
            y = labels[i : i + batch_size].to(device, non_blocking=True)
            logits = main_output(_forward_checked(model, x))
            if i == 0:
                check_batch_output(logits, labels, len(x), "data")
            loss_sum += F.cross_entropy(logits, y, reduction="sum")
            correct += (logits.argmax(1) == y).sum()
    finally:
        model.train(was_training)
    n = max(len(images), 1)
    return loss_sum.item() / n, correct.item() / n


# ---------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------
def fit(
    model: nn.Module,
    train_data: Data,
    test_data: Data | None = None,
    epochs: int = 1,
    *,
    steps: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lr: float | None = None,
    optimizer: str | Callable[..., torch.optim.Optimizer] = "sgd",
    momentum: float = DEFAULT_MOMENTUM,
    weight_decay: float = 0.0,
    schedule: str | None = None,
    loss_fn: LossFn | None = None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    on_step: Callable[[nn.Module, int, torch.Tensor], None] | None = None,
    device: torch.device | str | None = None,
    seed: int = 0,
    live: bool | None = None,
    progress: bool | None = None,
    label: str | None = None,
    eval_every: int | None = None,
    channels_last: bool | None = None,
    cuda_graph: bool | None = None,
    precision: str = "fp32",
) -> History:
    """Train ``model`` in place on ``train_data = (images, labels)``; return a ``History``.

    - ``epochs`` passes over the data, or exactly ``steps`` optimizer steps when given.
    - ``optimizer``: "sgd" (with ``momentum``), "adam", or a function ``params -> Optimizer``.
      ``lr=None`` picks 0.02 for SGD (momentum 0.9, measured at batch 256) and 1e-3 for Adam.
    - ``schedule="onecycle"`` warms the lr up to ``lr`` and anneals it to ~0 over the run.
    - ``loss_fn(outputs, labels)``: cross-entropy by default; ``aux_loss()`` for GoogLeNet.
    - ``augment(images) -> images``: batched, on the device (see ``cnnlessons.augment``).
    - ``on_step(model, step, loss)``: called after backward, before the optimizer step
      (gradients are there to inspect, e.g. their norms).
    - ``seed`` fixes the batch order and the global torch RNG (dropout, augmentation).
    - ``live``: curves drawn in place in a notebook (default there), a text line per
      evaluation elsewhere; ``progress=False`` silences the text.
    - ``eval_every=n``: evaluate every n steps instead of at each epoch end.
    - ``channels_last`` / ``cuda_graph``: speed switches, on where they measured faster.
      With a CUDA graph the batch size is fixed, so each epoch drops its last partial batch.
    - ``precision="bf16"``: forward and loss under bfloat16 autocast (weights stay float32).
      Opt-in: about 2x faster again on CPUs with AMX or AVX512-BF16 (recent Xeons), slower on
      CPUs without them (most laptops); accuracy on MNIST is unchanged (benchmarks/results).
    Ctrl-C (Kernel > Interrupt) stops training and returns the History so far
    (``interrupted=True``); the weights keep what they learned.
    """
    t_start = time.perf_counter()
    # 1. Check the inputs (each mistake a student can make gets a message saying what to fix).
    images, labels = _check_data(train_data, "train_data")
    test_images, test_labels = _check_data(test_data, "test_data") if test_data is not None else (None, None)
    device = check_device(device) or pick_device()
    epochs, steps, batch_size, eval_every, lr, seed = check_fit_args(
        model,
        epochs=epochs,
        steps=steps,
        batch_size=batch_size,
        eval_every=eval_every,
        lr=lr,
        seed=seed,
        loss_fn=loss_fn,
        augment=augment,
        optimizer=optimizer,
        schedule=schedule,
        precision=precision,
    )
    loss_fn = loss_fn or cross_entropy
    torch.manual_seed(seed)
    order_rng = torch.Generator().manual_seed(seed)

    # 2. Set up: model and data on the device once, the plan, the optimizer, the step.
    channels_last = _want_channels_last(device, channels_last)
    before = _model_to(
        model, device, channels_last, lambda: before_fit(model, images, labels, test_labels, device, augment, loss_fn)
    )  # dry run, doctor, notices
    if device.type == "cpu":
        steady_heap()  # reuse each step's freed buffers instead of faulting in fresh pages (device.py)
    x_all, y_all = images.to(device), labels.to(device)
    test = (test_images.to(device), test_labels.to(device)) if test_data is not None else None
    plan = _Plan.make(len(x_all), batch_size, epochs, steps, _want_graph(device, cuda_graph, on_step, schedule))
    opt = _make_optimizer(optimizer, model, lr, momentum, weight_decay, capturable=plan.graph)
    sched = _make_schedule(schedule, opt, plan.total_steps)
    hist = History(label=label, device=str(device), batch_size=plan.batch_size, channels_last=bool(channels_last))
    show = _Display(hist, live, progress, plan.total_steps, plan.n_epochs, plan.steps_per_epoch)
    show.before = before
    run = _Run(model, hist, _Recorder(device, hist), show, test, plan, eval_every)
    step_fn: _Step | _GraphStep = _Step(model, opt, sched, loss_fn, on_step, device, precision, run.record)
    if plan.graph:
        step_fn = _GraphStep(step_fn, x_all, y_all.dtype, plan.batch_size, channels_last)

    # 3. The loop. Ctrl-C stops it; a usable model and a complete History are always left behind.
    run.interruptible(step_fn, _Batches(x_all, y_all, plan, order_rng, augment, channels_last))

    # 4. Finish: the last evaluation, the summary, memory back to the OS, the notes after a run.
    run.finish()
    hist.wall_time = time.perf_counter() - t_start
    show.finish()
    if device.type == "cpu":
        release_memory()  # the run's freed buffers back to the OS (a few ms; see device.py)
    after_fit(model, hist.steps, plan.steps_per_epoch, hist.step_loss, lr)
    return hist


# ---------------------------------------------------------------------------------------------
# fit's pieces, in the order fit uses them
# ---------------------------------------------------------------------------------------------
def _want_channels_last(device: torch.device, channels_last: bool | None) -> bool:
    """On unless switched off: measured faster on both (H100 165k vs 137k img/s; 2-core Xeon 4.5k vs 2.9k)."""
    return device.type in ("cuda", "cpu") if channels_last is None else bool(channels_last)


def _model_to(model: nn.Module, device: torch.device, channels_last: bool, checks: Callable[[], str]) -> str:
    """Move the model to the device, run ``checks`` there (before channels-last), return their note."""
    model.to(device)
    if device.type == "mps":
        mps_safe(model)  # adaptive pooling MPS rejects runs on the CPU (device.py)
    note = checks()
    if channels_last:
        model.to(memory_format=torch.channels_last)
    return note


def _want_graph(device: torch.device, cuda_graph: bool | None, on_step: Any, schedule: str | None) -> bool:
    """A CUDA graph on CUDA unless switched off or blocked by a per-step Python hook."""
    if device.type != "cuda" or cuda_graph is False:
        return False
    blockers = [name for name, v in (("on_step", on_step), ("schedule", schedule)) if v is not None]
    if blockers:
        if cuda_graph:
            raise ValueError(
                f"cuda_graph=True cannot be used with {' and '.join(blockers)}; "
                "leave cuda_graph unset to fall back to ordinary steps"
            )
        return False
    return True


@dataclass
class _Plan:
    """How many steps: a CUDA graph has a fixed batch size, so its epochs drop the last partial batch."""

    n: int
    batch_size: int
    steps_per_epoch: int
    total_steps: int
    n_epochs: int
    graph: bool

    @classmethod
    def make(cls, n: int, batch_size: int, epochs: int, steps: int | None, graph: bool) -> _Plan:
        batch_size = min(batch_size, n)
        steps_per_epoch = n // batch_size if graph else math.ceil(n / batch_size)
        total_steps = steps if steps is not None else epochs * steps_per_epoch
        return cls(n, batch_size, steps_per_epoch, total_steps, math.ceil(total_steps / steps_per_epoch), graph)


def _make_schedule(schedule: str | None, opt: torch.optim.Optimizer, total_steps: int) -> Any:
    if schedule != "onecycle":
        return None
    max_lr = [g["lr"] for g in opt.param_groups]
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total_steps)


class _Step:
    """One eager training step (forward, loss, backward, ``on_step``, optimizer and lr step).

    (loss, number correct) stays on the device in one tensor, so nothing waits for it.
    """

    def __init__(
        self,
        model: nn.Module,
        opt: torch.optim.Optimizer,
        sched: Any,
        loss_fn: LossFn,
        on_step: Callable | None,
        device: torch.device,
        precision: str,
        record: _Recorder,
    ) -> None:
        self.model, self.opt, self.sched, self.loss_fn, self.on_step = model, opt, sched, loss_fn, on_step
        self.device, self.bf16, self.record = device, precision == "bf16", record

    def compute(self, x: torch.Tensor, y: torch.Tensor, step: int) -> torch.Tensor:
        self.opt.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            out = self.model(x)
            loss = self.loss_fn(out, y)
        loss.backward()
        if self.on_step is not None:
            self.on_step(self.model, step, loss.detach())
        self.opt.step()
        if self.sched is not None:
            self.sched.step()
        return torch.stack([loss.detach(), (main_output(out).argmax(1) == y).sum().to(loss.dtype)])

    def __call__(self, x: torch.Tensor, y: torch.Tensor, step: int) -> None:
        self.record.add(self.compute(x, y, step), len(y))


class _GraphStep:
    """The same step captured once as a CUDA graph and replayed: no Python or launch overhead.

    The first ``_CUDA_GRAPH_WARMUP`` steps run eagerly on a side stream (capture requires it);
    a model that cannot be captured keeps running eagerly.
    """

    def __init__(
        self, step: _Step, x_all: torch.Tensor, label_dtype: torch.dtype, batch_size: int, channels_last: bool
    ) -> None:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        device = x_all.device
        self.step, self.record = step, step.record
        self.static_x = torch.empty((batch_size, *x_all.shape[1:]), device=device).contiguous(memory_format=fmt)
        self.static_y = torch.empty(batch_size, dtype=label_dtype, device=device)
        self.side = torch.cuda.Stream()
        self.side.wait_stream(torch.cuda.current_stream())
        self.graph: torch.cuda.CUDAGraph | None = None
        self.out: torch.Tensor | None = None
        self.eager = False  # capture failed: plain eager steps from then on

    def __call__(self, x: torch.Tensor, y: torch.Tensor, step: int) -> None:
        if self.graph is None and not self.eager and step >= _CUDA_GRAPH_WARMUP:
            self._capture()
        if self.eager:
            self.step(x, y, step)
        elif self.graph is not None:
            self.static_x.copy_(x)
            self.static_y.copy_(y)
            self.graph.replay()
            self.record.add(self.out, len(y))
        else:  # warm-up steps on a side stream, as graph capture requires
            self.side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(self.side):
                self.static_x.copy_(x)
                self.static_y.copy_(y)
                self.step(self.static_x, self.static_y, step)

    def _capture(self) -> None:
        opt = self.step.opt
        torch.cuda.current_stream().wait_stream(self.side)
        opt.zero_grad(set_to_none=True)
        g = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(g):
                self.out = self.step.compute(self.static_x, self.static_y, -1)
            self.graph = g
            self.record.hist.cuda_graph = True
        except Exception:  # noqa: BLE001  (a model that cannot be captured runs eagerly)
            self.graph, self.eager = None, True
            opt.zero_grad(set_to_none=True)
            torch.cuda.synchronize()


class _Batches:
    """Each epoch: a seeded permutation, then batches sliced from the on-device tensors."""

    def __init__(
        self,
        x_all: torch.Tensor,
        y_all: torch.Tensor,
        plan: _Plan,
        order_rng: torch.Generator,
        augment: Callable | None,
        channels_last: bool,
    ) -> None:
        self.x_all, self.y_all, self.plan, self.rng = x_all, y_all, plan, order_rng
        self.augment, self.channels_last = augment, channels_last

    def epoch(self, first_step: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        plan, bs = self.plan, self.plan.batch_size
        perm = torch.randperm(plan.n, generator=self.rng).to(self.x_all.device)
        for b in range(min(plan.steps_per_epoch, plan.total_steps - first_step)):
            idx = perm[b * bs : (b + 1) * bs]
            x, y = self.x_all[idx], self.y_all[idx]
            if self.augment is not None:
                x = self.augment(x)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, y


class _Run:
    """The loop and its bookkeeping: when to evaluate, draw and log; training time without evaluation."""

    def __init__(
        self,
        model: nn.Module,
        hist: History,
        record: _Recorder,
        show: _Display,
        test: Data | None,
        plan: _Plan,
        eval_every: int | None,
    ) -> None:
        self.model, self.hist, self.record, self.show, self.test = model, hist, record, show, test
        self.plan, self.eval_every = plan, eval_every
        self.t_train = time.perf_counter()

    def interruptible(self, step_fn: Callable, batches: _Batches) -> None:
        """``loop``, stopped cleanly by Ctrl-C; the model is left in train mode and its usual memory format."""
        self.model.train()
        self.t_train = time.perf_counter()
        try:
            self.loop(step_fn, batches)
        except KeyboardInterrupt:
            self.hist.interrupted = True
            if batches.x_all.device.type == "cuda":
                torch.cuda.synchronize()
        finally:
            self.model.train()
            if batches.channels_last:
                self.model.to(memory_format=torch.contiguous_format)

    def loop(self, step_fn: Callable[[torch.Tensor, torch.Tensor, int], None], batches: _Batches) -> None:
        total, step = self.plan.total_steps, 0
        while step < total:
            for x, y in batches.epoch(step):
                step_fn(x, y, step)
                step += 1
                if self.eval_every and step % self.eval_every == 0 and step < total:
                    self.evaluate()
                elif self.show.due():
                    self.hist.train_time += time.perf_counter() - self.t_train
                    self.t_train = time.perf_counter()
                    self.record.flush()
                    self.show.draw(step)
            if not self.eval_every and step < total:
                self.evaluate()

    def evaluate(self) -> None:
        """Close a training segment: flush step records, evaluate, log, draw."""
        hist = self.hist
        self.record.flush()  # waits for the device
        hist.train_time += time.perf_counter() - self.t_train
        first = hist.eval_step[-1] if hist.eval_step else 0
        losses, accs = hist.step_loss[first:], hist.step_acc[first:]
        if losses:
            hist.train_loss.append(sum(losses) / len(losses))
            hist.train_acc.append(sum(accs) / len(accs))
            hist.eval_step.append(hist.steps)
            hist.eval_epoch.append(hist.steps / self.plan.steps_per_epoch)
            if self.test is not None:
                loss, acc = evaluate(self.model, self.test)
                hist.test_loss.append(loss)
                hist.test_acc.append(acc)
            self.show.eval_line(hist.steps)
        self.t_train = time.perf_counter()

    def finish(self) -> None:
        """The records left, and a last evaluation unless the last step was just evaluated."""
        hist = self.hist
        try:
            self.record.flush()
            if hist.steps > (hist.eval_step[-1] if hist.eval_step else 0):
                self.evaluate()
        except KeyboardInterrupt:
            hist.interrupted = True


class _Recorder:
    """Keeps per-step (loss, correct) on the device; copies them to the host History in chunks."""

    def __init__(self, device: torch.device, hist: History, chunk: int = 512) -> None:
        self.buf = torch.zeros(chunk, 2, device=device)
        self.sizes: list[int] = []
        self.hist = hist

    def add(self, rec: torch.Tensor, batch: int) -> None:
        if len(self.sizes) == len(self.buf):
            self.flush()
        self.buf[len(self.sizes)].copy_(rec)
        self.sizes.append(batch)

    def flush(self) -> None:
        hist = self.hist
        rows = self.buf[: len(self.sizes)].tolist()
        for (loss, correct), size in zip(rows, self.sizes):
            hist.step_loss.append(loss)
            hist.step_acc.append(correct / size)
        hist.images_seen += sum(self.sizes)
        self.sizes = []


class _Display:
    """Text lines or live curves, throttled so drawing costs well under 3% of the run."""

    before = ""  # " (continuing: 3.00 epochs already trained)" for a model fit trained before

    def __init__(
        self,
        hist: History,
        live: bool | None,
        progress: bool | None,
        total_steps: int,
        n_epochs: int,
        steps_per_epoch: int,
    ) -> None:
        self.hist, self.total_steps, self.n_epochs = hist, total_steps, n_epochs
        self.steps_per_epoch = steps_per_epoch
        self.progress = True if progress is None else progress
        self.live = _in_notebook() if live is None else live
        self.curves = None
        if self.live:
            from .live import LiveCurves  # noqa: PLC0415  (Pillow only when drawing)

            self.curves = LiveCurves(hist, total_steps=total_steps, steps_per_epoch=steps_per_epoch)
        self.next_draw = time.perf_counter() + 1.0

    def due(self) -> bool:
        return self.curves is not None and time.perf_counter() >= self.next_draw

    def draw(self, step: int) -> None:
        t0 = time.perf_counter()
        self.curves.update(self._status(step))
        cost = time.perf_counter() - t0
        # Wait at least 1 s and 70x the drawing time: drawing stays under ~1.5% of the run.
        self.next_draw = time.perf_counter() + max(1.0, 70 * cost)

    def eval_line(self, step: int) -> None:
        if self.curves is not None:
            # Throttled like every frame (short epochs would otherwise draw at each one); the last
            # frame, drawn by finish(), shows every evaluation.
            if step < self.total_steps and self.due():
                self.draw(step)
        elif self.progress:
            h = self.hist
            line = (
                f"{h.label + ': ' if h.label else ''}epoch {h.eval_epoch[-1]:.2f}/{self.n_epochs}{self.before} "
                f"step {step}"
            )
            line += f"  train loss {h.train_loss[-1]:.4f} acc {100 * h.train_acc[-1]:.2f}%"
            if h.test_acc:
                line += f"  test loss {h.test_loss[-1]:.4f} acc {100 * h.test_acc[-1]:.2f}%"
            line += f"  {h.images_per_s:,.0f} img/s"
            print(line, flush=True)

    def _status(self, step: int) -> str:
        h = self.hist
        ips = h.images_per_s
        left = (self.total_steps - step) * h.batch_size / ips if ips else float("nan")
        epoch = min(step // self.steps_per_epoch + 1, self.n_epochs)
        text = f"epoch {epoch}/{self.n_epochs}{self.before}, step {step}/{self.total_steps}, {ips:,.0f} img/s"
        if step < self.total_steps and math.isfinite(left):
            text += f", ~{left:.0f} s left"
        return text

    def finish(self) -> None:
        h = self.hist
        if self.curves is not None:
            self.curves.finish(("interrupted: " if h.interrupted else "done: ") + h.summary())
        if self.progress and (self.curves is not None or h.interrupted):
            print(h.summary(), flush=True)


# ---------------------------------------------------------------------------------------------
# Checks that turn a student's mistake into a message saying what to fix
# ---------------------------------------------------------------------------------------------
def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def _make_optimizer(
    choice: Any, model: nn.Module, lr: float | None, momentum: float, weight_decay: float, capturable: bool
) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(
            "the model has no trainable parameters (all frozen?); unfreeze some with p.requires_grad_(True)"
        )
    if callable(choice) and not isinstance(choice, str):
        opt = choice(params)
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError(
                "optimizer=callable must return a torch.optim.Optimizer, e.g. "
                "optimizer=lambda params: torch.optim.AdamW(params, lr=1e-3)"
            )
        return opt
    name = str(choice).lower()
    if name not in DEFAULT_LR:
        raise ValueError(
            f"unknown optimizer {choice!r}: use 'sgd', 'adam', or a function "
            "params -> torch.optim.Optimizer (e.g. lambda p: torch.optim.AdamW(p, lr=1e-3))"
        )
    lr = DEFAULT_LR[name] if lr is None else lr
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, capturable=capturable)
