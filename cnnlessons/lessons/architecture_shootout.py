"""Lesson 08 helpers: every MNIST-sized model on the same budget, and the exercises' checks.

``shootout(names, train, test, steps=..., seeds=...)`` builds each model from
``cnnlessons.models.MNIST_MODELS``, counts its parameters and mult-adds with ``cl.trace``,
trains it with ``cl.fit`` on exactly the same data, steps, batch size and optimizer, and
returns a ``Shootout``: one row per model (accuracy averaged over seeds, with the spread), a
text/HTML table and two plots (accuracy against parameters, against training time).

Same budget means same number of images seen, not same wall time: a model that is slow per
image pays for it in the time column, not in accuracy. At a few hundred steps the ranking is
noisy; run several seeds to see how much.
"""
from __future__ import annotations

import html
import statistics
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn

from ..models import MNIST_MODELS
from ._checks import missing as _missing, report as _report

Data = tuple[torch.Tensor, torch.Tensor]


def model_size_mb(model: nn.Module) -> float:
    """The saved weights in MB (10**6 bytes): every parameter and buffer at its own dtype."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values()) / 1e6


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

    def extend(self, other: "Shootout") -> "Shootout":
        """Add ``other``'s runs (for example more seeds of a few models) to this shootout."""
        for row in other.rows:
            if row.name in self:
                self[row.name].runs.extend(row.runs)
            else:
                self.rows.append(row)
        return self

    def ranked(self) -> list[Row]:
        return sorted(self.rows, key=lambda r: -r.test_acc)

    # --- the table ---------------------------------------------------------------------------
    def _cells(self) -> list[tuple[str, ...]]:
        out = [("model", "params", "mult-adds", "size MB", "images/s", "train s", "test acc", "seeds")]
        for r in self.rows:
            lo, hi = r.acc_range
            acc = f"{100 * r.test_acc:.2f}%" + (f" ({100 * lo:.1f}-{100 * hi:.1f})" if len(r.runs) > 1 else "")
            out.append((r.name, f"{r.params:,}", f"{r.mult_adds / 1e6:.2f}M", f"{r.size_mb:.2f}",
                        f"{r.images_per_s:,.0f}", f"{r.train_s:.1f}", acc, str(len(r.runs))))
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

        labels = {"params": "parameters (log scale)", "mult_adds": "mult-adds per image (log scale)",
                  "train_s": "training time in seconds (log scale)"}
        if x not in labels:
            raise ValueError(f"x={x!r}: choose one of {sorted(labels)}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.2))
        for i, r in enumerate(self.rows):
            xv = getattr(r, x)
            lo, hi = r.acc_range
            yerr = [[100 * (r.test_acc - lo)], [100 * (hi - r.test_acc)]]
            ax.errorbar([xv], [100 * r.test_acc], yerr=yerr if len(r.runs) > 1 else None, fmt="o",
                        color=f"C{i % 10}", capsize=3)
            ax.annotate(r.name, (xv, 100 * r.test_acc), textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel(labels[x])
        ax.set_ylabel("test accuracy (%)")
        title = {"params": "Accuracy against size", "mult_adds": "Accuracy against compute",
                 "train_s": "Accuracy against training time"}[x]
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
    One line per run is printed when ``verbose``.
    """
    from ..train import fit  # the training loop; imported here to keep this module light

    builders = {**MNIST_MODELS, **(models or {})}
    names = list(builders if names is None else names)
    unknown = [n for n in names if n not in builders]
    if unknown:
        raise KeyError(f"unknown model(s) {unknown}: choose from {list(builders)} or pass models={{name: builder}}")
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed, e.g. seeds=(0,)")
    budget = (f"{steps} steps" if steps is not None else f"{epochs} epoch(s)") + \
        f" of batch {batch_size} on {len(train[0]):,} training images, {optimizer}, " \
        f"tested on {len(test[0]):,} images"
    result = Shootout(budget=budget)
    for name in names:
        build = builders[name]
        model = build()
        if counts is not None and name in counts:
            params, mult_adds = counts[name]
        else:
            params, mult_adds = count_model(model)
        row = Row(name, params, mult_adds, model_size_mb(model))
        if warmup_steps:
            fit(build(), train, None, steps=warmup_steps, batch_size=batch_size, optimizer=optimizer, lr=lr,
                device=device, live=False, progress=False)
        for seed in seeds:
            torch.manual_seed(seed)
            model = build()
            hist = fit(model, train, test, epochs=epochs, steps=steps, batch_size=batch_size,
                       optimizer=optimizer, lr=lr, seed=seed, device=device, live=False, progress=False,
                       label=name)
            run = Run(name, seed, float(hist.final_test_acc), hist.images_per_s, hist.train_time,
                      hist.steps, hist.images_seen, hist.device)
            row.runs.append(run)
            if verbose:
                print(f"{name:28s} seed {seed}: test acc {100 * run.test_acc:6.2f}%  "
                      f"{run.images_per_s:8,.0f} images/s  {run.train_s:6.1f} s", flush=True)
            del model  # fit already handed the run's freed buffers back to the OS (CPU)
        result.rows.append(row)
    return result


# ---------------------------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------------------------


def check_size_mb(name: str, answer: float | None) -> bool:
    """Exercise: the size in MB (10**6 bytes) of MNIST model ``name`` at float32.

    Parameters x 4 bytes, plus BatchNorm's running statistics where the model has them.
    """
    if _missing(answer):
        return False
    if name not in MNIST_MODELS:
        print(f"Not yet: {name!r} is not one of {list(MNIST_MODELS)}.")
        return False
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        print(f"Not yet: the answer should be a number of megabytes, got {answer!r}.")
        return False
    model = MNIST_MODELS[name]()
    truth = model_size_mb(model)
    params_only = sum(p.numel() for p in model.parameters()) * 4 / 1e6
    def close(a: float, b: float) -> bool:  # 0.2%, and rounding to 4 decimals
        return abs(a - b) <= 0.002 * b + 5e-5

    ok = close(value, truth)
    if not ok and close(value, params_only):
        hint = (f"{value:.4f} MB counts the parameters only; {name} also saves BatchNorm's running "
                f"mean and variance (buffers): look at model.state_dict().")
    elif not ok and close(value * 2**20 / 1e6, truth):
        hint = "that is in MiB (2**20 bytes); the lesson uses MB = 10**6 bytes."
    else:
        hint = f"{value:.4f} MB is not it: add up numel() x 4 bytes over model.state_dict().values()."
    return _report(ok, f"{name} takes {truth:.4f} MB at float32.", hint)


def check_best_per_param(table: Shootout, answer: str | None) -> bool:
    """Exercise: in ``table``, the model with the highest test accuracy per million parameters...

    ...above a floor: only models that reached at least 90% count (a model stuck near chance is
    'efficient' only in a useless way).
    """
    if _missing(answer):
        return False
    eligible = [r for r in table.rows if r.test_acc >= 0.90]
    if not eligible:
        print("Not yet: no model in this table reached 90%; train longer (more steps) first.")
        return False
    best = max(eligible, key=lambda r: r.test_acc / r.params)
    if answer not in table:
        return _report(False, "", f"{answer!r} is not in the table; names are {table.names}.")
    mine = table[answer]
    return _report(
        answer == best.name,
        f"{best.name}: {100 * best.test_acc:.1f}% with {best.params:,} parameters.",
        f"{answer} has {100 * mine.test_acc / (mine.params / 1e6):,.0f} accuracy points per million parameters"
        f"{'' if mine.test_acc >= 0.90 else ' but stayed under 90%'}; one model does better.",
    )


def check_small_model(model: nn.Module | None, max_params: int = 25_000) -> bool:
    """Exercise: your own MNIST model with at most ``max_params`` parameters (N x 1 x 28 x 28 -> N x 10)."""
    if _missing(model):
        return False
    if not isinstance(model, nn.Module):
        print(f"Not yet: build an nn.Module, got {type(model).__name__}.")
        return False
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.zeros(3, 1, 28, 28))
    except Exception as e:  # noqa: BLE001 - the student's model, any failure is the lesson
        print(f"Not yet: the model fails on a batch of 3 MNIST images: {type(e).__name__}: {e}")
        return False
    finally:
        model.train()
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (3, 10):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        print(f"Not yet: a batch of 3 images should give 3 x 10 logits, got {shape}.")
        return False
    n = sum(p.numel() for p in model.parameters())
    return _report(n <= max_params, f"{n:,} parameters, within the budget of {max_params:,}.",
                   f"{n:,} parameters is over the budget of {max_params:,}; global average pooling "
                   "instead of a big linear layer, or fewer channels, will get you there.")


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
    result = shootout(names, train, test, steps=args.steps, epochs=args.epochs, batch_size=args.batch_size,
                      seeds=seeds, device=device)
    print(result)
    if args.out:
        minutes = (dt.datetime.now(dt.timezone.utc) - start).total_seconds() / 60
        text = [f"# Architecture shootout on {device.type.upper()}", "",
                f"Measured {start:%Y-%m-%d %H:%M} UTC on {machine} (at start), {minutes:.1f} min in all.", "",
                f"Budget: {result.budget}; Adam (lr 1e-3), the same seeds for every model "
                "(accuracy: mean over seeds, range in brackets). images/s counts training steps only.",
                "Parameters and mult-adds per image from `cl.trace` (torchinfo's conventions); size = "
                "float32 state_dict in MB (10^6 bytes).", "",
                f"Command: `python -m cnnlessons.lessons.architecture_shootout {' '.join(argv or [])}`", "",
                result.to_markdown(), ""]
        Path(args.out).write_text("\n".join(text))
        print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
