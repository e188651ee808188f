"""Lesson 08 helpers: every MNIST-sized model on the same budget, and the exercises.

``shootout(names, train, test, steps=..., seeds=..., eval_every=..., early_step=...)`` builds
each model from ``cnnlessons.models.MNIST_MODELS``, counts its parameters and mult-adds with
``cl.trace``, trains it with ``cl.fit`` on exactly the same data, steps, batch size and
optimizer, and returns a ``Shootout``: one row per model with one run per seed (final and early
test accuracy with their range over seeds, the test-accuracy and training-loss curves), a
text/HTML table and plots (accuracy against parameters, mult-adds or training time).

Same budget means same number of images seen, not same wall time: a model that is slow per
image pays for it in the time column, not in accuracy. A short run ranks how fast each model
starts; look at the curves and the spread over seeds before ranking anything.
"""

from __future__ import annotations

import html
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from ..counting import weights_mb
from ..history import History
from ..models import MNIST_MODELS

Data = tuple[torch.Tensor, torch.Tensor]
LOSS_WINDOW = 10  # Run.loss_curve: the mean training loss of every 10 steps


def count_model(model: nn.Module, input_size: Sequence[int] = (1, 1, 28, 28)) -> tuple[int, int]:
    """(parameters, mult-adds for one image) from ``cl.trace`` (torchinfo's conventions)."""
    from ..trace import trace  # imported here: the tracer needs torchinfo

    table = trace(model, input_size, receptive_field=False)
    return table.total_params, table.total_mult_adds


@dataclass
class Run:
    """One model trained once (one seed)."""

    name: str
    seed: int
    test_acc: float
    images_per_s: float
    train_s: float
    steps: int
    images: int
    device: str
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, test accuracy) along the run
    early_step: int | None = None
    loss_curve: list[tuple[int, float]] = field(default_factory=list)  # (last step, mean training loss) per window

    def steps_to_loss(self, level: float) -> int | None:
        """The first window end at which the mean training loss is below ``level`` (None: never)."""
        return next((s for s, loss in self.loss_curve if loss < level), None)

    @property
    def early_acc(self) -> float | None:
        """Test accuracy at ``early_step`` (None when the run did not record it)."""
        return next((a for s, a in self.curve if s == self.early_step), None)


@dataclass
class Row:
    """One model: its counts and its runs (one per seed)."""

    name: str
    params: int
    mult_adds: int
    size_mb: float
    runs: list[Run] = field(default_factory=list)

    @property
    def test_acc(self) -> float:
        return statistics.mean(r.test_acc for r in self.runs)

    @property
    def acc_range(self) -> tuple[float, float]:
        accs = [r.test_acc for r in self.runs]
        return min(accs), max(accs)

    @property
    def early_acc(self) -> float | None:
        accs = [r.early_acc for r in self.runs if r.early_acc is not None]
        return statistics.mean(accs) if accs else None

    @property
    def early_range(self) -> tuple[float, float] | None:
        accs = [r.early_acc for r in self.runs if r.early_acc is not None]
        return (min(accs), max(accs)) if accs else None

    @property
    def images_per_s(self) -> float:
        return statistics.median(r.images_per_s for r in self.runs)

    @property
    def train_s(self) -> float:
        return statistics.median(r.train_s for r in self.runs)


class Shootout:
    """The results: ``rows`` (one per model, in the order run), a table and two plots."""

    def __init__(self, rows: Iterable[Row] = (), budget: str = "") -> None:
        self.rows: list[Row] = list(rows)
        self.budget = budget

    def __getitem__(self, name: str) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"{name!r} is not in this shootout; it has {[r.name for r in self.rows]}")

    def __contains__(self, name: object) -> bool:
        return any(r.name == name for r in self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rows]

    def extend(self, other: Shootout) -> Shootout:
        """Add ``other``'s runs (for example more seeds of a few models) to this shootout."""
        for row in other.rows:
            if row.name in self:
                self[row.name].runs.extend(row.runs)
            else:
                self.rows.append(row)
        return self

    def ranked(self, early: bool = False) -> list[Row]:
        """Rows by mean test accuracy, best first: at the end of the budget, or ``early``."""
        if early:
            return sorted(self.rows, key=lambda r: -(r.early_acc if r.early_acc is not None else -1.0))
        return sorted(self.rows, key=lambda r: -r.test_acc)

    # --- the table ---------------------------------------------------------------------------
    def _cells(self) -> list[tuple[str, ...]]:
        def acc(mean: float, rng: tuple[float, float], n: int) -> str:
            return f"{100 * mean:.2f}%" + (f" [{100 * rng[0]:.1f}, {100 * rng[1]:.1f}]" if n > 1 else "")

        early_step = next((run.early_step for r in self.rows for run in r.runs if run.early_acc is not None), None)
        head = ["model", "params", "mult-adds", "size MB", "images/s", "train s"]
        if early_step is not None:
            head.append(f"test acc, step {early_step}")
        head += ["test acc, end", "runs"]
        out = [tuple(head)]
        for r in self.rows:
            cells = [
                r.name,
                f"{r.params:,}",
                f"{r.mult_adds / 1e6:.2f}M",
                f"{r.size_mb:.2f}",
                f"{r.images_per_s:,.0f}",
                f"{r.train_s:.2f}",
            ]
            if early_step is not None:
                cells.append(acc(r.early_acc, r.early_range, len(r.runs)) if r.early_acc is not None else "-")
            cells += [acc(r.test_acc, r.acc_range, len(r.runs)), str(len(r.runs))]
            out.append(tuple(cells))
        return out

    def __str__(self) -> str:
        cells = self._cells()
        widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
        lines = ["  ".join(c[i].ljust(w) if i == 0 else c[i].rjust(w) for i, w in enumerate(widths)) for c in cells]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(([self.budget] if self.budget else []) + lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        cells = self._cells()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cells[0])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in cells[1:])
        caption = f"<caption>{html.escape(self.budget)}</caption>" if self.budget else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def to_markdown(self) -> str:
        cells = self._cells()
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(cells[0])]
        lines += ["| " + " | ".join(c) + " |" for c in cells[1:]]
        return "\n".join(lines)

    # --- the plots ---------------------------------------------------------------------------
    def plot(self, x: str = "params", ax: Any = None) -> Any:
        """Test accuracy against ``x`` ("params", "mult_adds" or "train_s"), each point named.

        Error bars show the range over seeds where a model ran more than once.
        """
        import matplotlib.pyplot as plt  # only when drawing

        labels = {
            "params": "parameters (log scale)",
            "mult_adds": "mult-adds per image (log scale)",
            "train_s": "training time in seconds (log scale)",
        }
        if x not in labels:
            raise ValueError(f"x={x!r}: choose one of {sorted(labels)}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.2))
        for i, r in enumerate(self.rows):
            xv = getattr(r, x)
            lo, hi = r.acc_range
            yerr = [[100 * (r.test_acc - lo)], [100 * (hi - r.test_acc)]]
            ax.errorbar(
                [xv], [100 * r.test_acc], yerr=yerr if len(r.runs) > 1 else None, fmt="o", color=f"C{i % 10}", capsize=3
            )
            ax.annotate(r.name, (xv, 100 * r.test_acc), textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel(labels[x])
        ax.set_ylabel("test accuracy (%)")
        title = {
            "params": "Accuracy against size",
            "mult_adds": "Accuracy against compute",
            "train_s": "Accuracy against training time",
        }[x]
        ax.set_title(f"{title}" + (f"\n{self.budget}" if self.budget else ""), fontsize=10)
        ax.grid(True, alpha=0.3)
        return ax


def shootout(
    names: Iterable[str] | None,
    train: Data,
    test: Data,
    *,
    steps: int | None = None,
    epochs: int = 1,
    batch_size: int = 128,
    optimizer: str = "adam",
    lr: float | None = None,
    seeds: Sequence[int] = (0,),
    device: torch.device | str | None = None,
    models: dict[str, Callable[[], nn.Module]] | None = None,
    counts: dict[str, tuple[int, int]] | None = None,
    warmup_steps: int = 2,
    early_step: int | None = None,
    eval_every: int | None = None,
    verbose: bool = True,
) -> Shootout:
    """Train every model in ``names`` (all of ``MNIST_MODELS`` when None) on the same budget.

    - ``steps`` optimizer steps per run when given, else ``epochs`` passes over ``train``.
    - Same data, batch size, optimizer (Adam by default: it trains every family without
      per-model tuning) and seeds for all; ``seeds=(0, 1, 2)`` runs each model three times.
    - ``models`` adds or replaces builders (name -> function returning a fresh model).
    - ``counts`` gives (params, mult-adds) per name instead of tracing (the tracer needs torchinfo).
    - ``warmup_steps`` untimed steps on a throwaway copy first, so the first model does not pay
      for the math library's start-up in its images/s.
    - ``eval_every``: test accuracy every so many steps (the learning curve, ``Run.curve``);
      ``early_step`` (a multiple of ``eval_every``) is the early point the table also shows.
    One line per run is printed when ``verbose``.
    """
    from ..train import fit  # the training loop; imported here to keep this module light

    builders = {**MNIST_MODELS, **(models or {})}
    names = _check_shootout_args(names, builders, seeds, early_step, eval_every)
    budget = (
        f"{steps} steps" if steps is not None else f"{epochs} epoch(s)"
    ) + f" of batch {batch_size} on {len(train[0]):,} training images, {optimizer}, tested on {len(test[0]):,} images"
    result = Shootout(budget=budget)
    for name in names:
        build = builders[name]
        model = build()
        if counts is not None and name in counts:
            params, mult_adds = counts[name]
        else:
            params, mult_adds = count_model(model)
        row = Row(name, params, mult_adds, weights_mb(model))
        if warmup_steps:
            fit(
                build(),
                train,
                None,
                steps=warmup_steps,
                batch_size=batch_size,
                optimizer=optimizer,
                lr=lr,
                device=device,
                live=False,
                progress=False,
            )
        for seed in seeds:
            torch.manual_seed(seed)
            model = build()
            hist = fit(
                model,
                train,
                test,
                epochs=epochs,
                steps=steps,
                batch_size=batch_size,
                optimizer=optimizer,
                lr=lr,
                seed=seed,
                device=device,
                live=False,
                progress=False,
                label=name,
                eval_every=eval_every,
            )
            run = _run_from(hist, name, seed, early_step)
            row.runs.append(run)
            if verbose:
                early = f"step {early_step}: {100 * run.early_acc:6.2f}%  " if run.early_acc is not None else ""
                print(
                    f"{name:24s} seed {seed}: {early}end: {100 * run.test_acc:6.2f}%  "
                    f"{run.images_per_s:7,.0f} images/s  {run.train_s:6.2f} s",
                    flush=True,
                )
            del model  # fit already handed the run's freed buffers back to the OS (CPU)
        result.rows.append(row)
    return result


def _check_shootout_args(
    names: Iterable[str] | None,
    builders: dict[str, Callable[[], nn.Module]],
    seeds: Sequence[int],
    early_step: int | None,
    eval_every: int | None,
) -> list[str]:
    """The model names to race, after checking that each is known and the settings fit together."""
    names = list(builders if names is None else names)
    unknown = [n for n in names if n not in builders]
    if unknown:
        raise KeyError(f"unknown model(s) {unknown}: choose from {list(builders)} or pass models={{name: builder}}")
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed, e.g. seeds=(0,)")
    if early_step is not None and (eval_every is None or early_step % eval_every):
        raise ValueError(
            f"early_step={early_step} needs eval_every dividing it (e.g. eval_every={early_step}): "
            "the test set is only measured every eval_every steps"
        )
    return names


def _run_from(hist: History, name: str, seed: int, early_step: int | None) -> Run:
    """One race's Run: its accuracy curve, its training loss averaged over windows of LOSS_WINDOW steps."""
    curve = [(int(st), float(a)) for st, a in zip(hist.eval_step, hist.test_acc)]
    losses = hist.step_loss
    loss_curve = [
        (min(i + LOSS_WINDOW, len(losses)), statistics.mean(losses[i : i + LOSS_WINDOW]))
        for i in range(0, len(losses), LOSS_WINDOW)
    ]
    return Run(
        name,
        seed,
        float(hist.final_test_acc),
        hist.images_per_s,
        hist.train_time,
        hist.steps,
        hist.images_seen,
        hist.device,
        curve,
        early_step,
        loss_curve,
    )


# ---------------------------------------------------------------------------------------------
# Exercises (checked by cnnlessons.lessons._checks; the notebook calls lesson.exercise_N.check)
# ---------------------------------------------------------------------------------------------
from ._checks import Exercise, Number, Predicate  # noqa: E402


def _mult_adds(name: str, side: int) -> int:
    from ..trace import trace  # noqa: PLC0415

    return trace(MNIST_MODELS[name](), (1, 1, side, side), receptive_field=False).total_mult_adds


exercise_1 = Exercise(
    "08.1",
    Number(
        lambda: _mult_adds("NiN", 56) / _mult_adds("NiN", 28),
        rel=0.01,
        unit="x",
        form="a ratio with two decimals, e.g. 1.23",
        near=[
            (
                2.0,
                "that is the ratio of the sides; a convolution pays its weights once per output "
                "position, and the positions grow with the area.",
            ),
            (
                1.0,
                "that holds for the parameters, not for the mult-adds: every output position costs "
                "the weights once more.",
            ),
            (16.0, "that would be the sides to the fourth power; count output positions per layer."),
        ],
    ),
    solution="from cnnlessons.models import MNIST_MODELS\n"
    "model = MNIST_MODELS['NiN']()\n"
    "big = cl.trace(model, (1, 1, 56, 56)).total_mult_adds\n"
    "small = cl.trace(model, (1, 1, 28, 28)).total_mult_adds\n"
    "answer = big / small",
    hints=(
        "Predict first: a convolution costs its weights once per output position. How many more positions "
        "does a 56 x 56 image give?",
        "Measure: cl.trace(model, (1, 1, 56, 56)).total_mult_adds over the same at 28 x 28.",
    ),
    wrong=(2.0, 1.0, 16.0),
    explanation="4.00x: NiN is all convolutions and pooling, ending in global average pooling, so every layer's "
    "output positions, and its mult-adds, grow with the image area, while its parameters stay "
    "the same. Models with a fixed-size fully connected layer cannot even take a 56 x 56 image.",
)


def _linear_fraction(name: str) -> float:
    model = MNIST_MODELS[name]()
    linear = sum(p.numel() for m in model.modules() if isinstance(m, nn.Linear) for p in m.parameters())
    return linear / sum(p.numel() for p in model.parameters())


exercise_2 = Exercise(
    "08.2",
    Number(
        lambda: _linear_fraction("AlexNet"),
        abs=0.0005,
        fraction=True,
        form="a fraction with three decimals, e.g. 0.123 (or 12.3%)",
        near=[
            (
                lambda: 1 - _linear_fraction("AlexNet"),
                "that is the share of everything else (the "
                "convolutions); the question asks for the fully connected (nn.Linear) layers.",
            )
        ],
    ),
    solution="from cnnlessons.models import MNIST_MODELS\n"
    "model = MNIST_MODELS['AlexNet']()\n"
    "fc = sum(p.numel() for m in model.modules() if isinstance(m, nn.Linear) for p in m.parameters())\n"
    "answer = fc / sum(p.numel() for p in model.parameters())",
    hints=(
        "Loop over model.modules(), keep those that are nn.Linear, and add up their parameters (biases too).",
        "Divide by the model's total parameter count.",
    ),
    wrong=(0.643, 0.5, 0.9),
    explanation="AlexNet (MNIST)'s fully connected layers hold about a third of its weights but use each "
    "only once per image, which is why it does few mult-adds per parameter (only ResNet-20, whose late convolutions run on small maps, does fewer).",
)


def _check_small_cnn(answer: Any, max_params: int = 15_000, floor: float = 0.93) -> tuple[bool, str]:
    """A CNN with at most ``max_params`` parameters that reaches ``floor`` test accuracy."""
    import copy as _copy  # noqa: PLC0415

    from ..data import load_mnist  # noqa: PLC0415
    from ..train import evaluate, fit  # noqa: PLC0415

    if isinstance(answer, type) and issubclass(answer, nn.Module):
        answer = answer()
    if not isinstance(answer, nn.Module):
        return False, f"a {type(answer).__name__} is not an nn.Module; expected an instance, e.g. MyNet()."
    model = _copy.deepcopy(answer).cpu()
    if not any(isinstance(m, nn.Conv2d) for m in model.modules()):
        return False, "it has no nn.Conv2d: the exercise asks for a convolutional network."
    n = sum(p.numel() for p in model.parameters())
    if n > max_params:
        return False, (
            f"{n:,} parameters is over the budget of {max_params:,}: fewer channels, or a smaller "
            "fully connected layer (pool more before it)."
        )
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.zeros(3, 1, 28, 28))
    except Exception as exc:  # noqa: BLE001 - the student's model; any failure is the lesson
        return False, f"it fails on a batch of 3 MNIST images: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (3, 10):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        return False, f"a batch of 3 images should give 3 x 10 scores, got {shape}."
    train, test = load_mnist("train", subset=10_000), load_mnist("test", subset=1_000)
    fit(
        model, train, None, steps=300, batch_size=64, optimizer="adam", seed=0, device="cpu", live=False, progress=False
    )
    acc = evaluate(model, test)[1]
    if acc < floor:
        return False, (
            f"{n:,} parameters, but after 300 Adam steps it reaches {acc:.1%} on 1,000 test images, "
            f"under {floor:.0%}: it needs enough channels and a way to see the whole digit."
        )
    return True, f"{n:,} parameters and {acc:.1%} after 300 steps."


exercise_3 = Exercise(
    "08.3",
    Predicate(_check_small_cnn, form="an nn.Module: a CNN with at most 15,000 parameters (N x 1 x 28 x 28 -> N x 10)"),
    solution="answer = nn.Sequential(\n"
    "    nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 8 x 14 x 14\n"
    "    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16 x 7 x 7\n"
    "    nn.Flatten(), nn.Linear(16 * 7 * 7, 10))",
    hints=(
        "TinyCNN has 20,538 parameters, most in its fully connected layers: where can you save?",
        "Two small convolutions (8 and 16 channels) with 2x2 pools, then one nn.Linear(16 * 7 * 7, 10): "
        "about 9,100 parameters.",
    ),
    wrong=(
        "from cnnlessons.models import MNIST_MODELS\nanswer = MNIST_MODELS['TinyCNN']()",
        "answer = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))",
        "answer = nn.Sequential(nn.Conv2d(1, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))",
    ),
    explanation="a CNN under 15,000 parameters that still reaches 93% within 300 steps. Enter it in the race: "
    "lesson.shootout(['mine'], train, test, models={'mine': lambda: copy.deepcopy(answer)}, **budget).",
)


def _size_kb(name: str, bytes_per_number: int | None = None, params_only: bool = False) -> float:
    model = MNIST_MODELS[name]()
    tensors = list(model.parameters()) if params_only else list(model.state_dict().values())
    return sum(t.numel() * (bytes_per_number or t.element_size()) for t in tensors) / 1e3


def _buffers_kb(name: str, counters: bool = True, bytes_per_number: int | None = None) -> float:
    model = MNIST_MODELS[name]()
    tensors = [t for n, t in model.named_buffers() if counters or "num_batches" not in n]
    return sum(t.numel() * (bytes_per_number or t.element_size()) for t in tensors) / 1e3


exercise_4 = Exercise(
    "08.4",
    Number(
        lambda: _buffers_kb("SqueezeNet"),
        abs=0.05,
        unit="KB",
        form="kilobytes with one decimal (1 KB = 1,000 bytes), e.g. 1.2 KB",
        near=[
            (
                lambda: _buffers_kb("SqueezeNet", counters=False),
                "close: each BatchNorm layer also saves its counter of batches, one int64 (8 bytes).",
            ),
            (
                lambda: _buffers_kb("SqueezeNet", bytes_per_number=2),
                "that is float16 (2 bytes a number); the saved file holds float32 (4 bytes).",
            ),
            (
                lambda: _size_kb("SqueezeNet"),
                "that is the whole file; the question asks only for the part that is not parameters.",
            ),
        ],
    ),
    solution="from cnnlessons.models import MNIST_MODELS\n"
    "model = MNIST_MODELS['SqueezeNet']()\n"
    "answer = sum(b.numel() * b.element_size() for b in model.buffers()) / 1e3",
    hints=(
        "The state_dict holds the parameters and the buffers: model.buffers() lists the buffers.",
        "BatchNorm keeps a running mean and a running variance per channel (float32) and one batch counter (int64).",
    ),
    wrong=(344.6, 348.0, 1.7),  # the parameters, the whole file, float16 (for the model of 2026-12)
    explanation="BatchNorm's running mean and variance (4 bytes per channel each) and one int64 counter per "
    "BatchNorm layer: a few kilobytes, about 1% of the file; the rest is the parameters.",
)


# ---------------------------------------------------------------------------------------------
# The full comparison from the command line (the README's tables):
#   python -m cnnlessons.lessons.architecture_shootout --subset 10000 --epochs 2 \
#       --out benchmarks/results/shootout_cpu.md
#   CNNLESSONS_DEVICE=cuda python -m cnnlessons.lessons.architecture_shootout --epochs 3 --seeds 0,1 \
#       --out benchmarks/results/shootout_cuda.md
# ---------------------------------------------------------------------------------------------
def _machine(device: torch.device) -> str:
    import os
    import platform

    cpu = platform.processor() or "CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    where = f"CPU {cpu}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"
    if device.type == "cuda":
        where = f"GPU {torch.cuda.get_device_name(device)}; {where}"
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{where}; torch {torch.__version__}{load}"


def main(argv: Sequence[str] | None = None) -> Shootout:
    import argparse
    import datetime as dt
    from pathlib import Path

    from ..data import load_mnist
    from ..device import pick_device

    p = argparse.ArgumentParser(description="Every MNIST model of the lessons on the same budget.")
    p.add_argument("--subset", type=int, default=None, help="training images (default all 60,000)")
    p.add_argument("--test-subset", type=int, default=None, help="test images (default all 10,000)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--steps", type=int, default=None, help="optimizer steps instead of epochs")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seeds", default="0", help="comma-separated, e.g. 0,1,2")
    p.add_argument("--names", default=None, help="comma-separated model names (default all)")
    p.add_argument("--device", default=None)
    p.add_argument("--out", default=None, help="write the table (markdown) here")
    args = p.parse_args(argv)

    device = pick_device(args.device)
    start = dt.datetime.now(dt.timezone.utc)
    machine = _machine(device)
    print(f"device {device}: {machine}", flush=True)
    train = load_mnist("train", subset=args.subset)
    test = load_mnist("test", subset=args.test_subset)
    names = args.names.split(",") if args.names else None
    seeds = tuple(int(s) for s in args.seeds.split(","))
    result = shootout(
        names, train, test, steps=args.steps, epochs=args.epochs, batch_size=args.batch_size, seeds=seeds, device=device
    )
    print(result)
    if args.out:
        minutes = (dt.datetime.now(dt.timezone.utc) - start).total_seconds() / 60
        text = [
            f"# Architecture shootout on {device.type.upper()}",
            "",
            f"Measured {start:%Y-%m-%d %H:%M} UTC on {machine} (at start), {minutes:.1f} min in all.",
            "",
            f"Budget: {result.budget}; Adam (lr 1e-3), the same random seeds for every model "
            "(accuracy: mean over the runs, one per seed, range in brackets). images/s counts training "
            "steps only.",
            "Parameters and mult-adds per image from `cl.trace` (torchinfo's conventions); size = "
            "float32 state_dict in MB (10^6 bytes).",
            "",
            f"Command: `python -m cnnlessons.lessons.architecture_shootout {' '.join(argv or [])}`",
            "",
            result.to_markdown(),
            "",
        ]
        Path(args.out).write_text("\n".join(text))
        print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
