"""Overlay finished runs: ``plot_histories({"relu": h1, "tanh": h2}, metric="step_loss")``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .history import History
from .history import smooth as running_mean

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# metric -> (y label, per step?, shown in %)
METRICS = {
    "step_loss": ("training loss (batch)", True, False),
    "step_acc": ("training accuracy (batch, %)", True, True),
    "train_loss": ("training loss", False, False),
    "train_acc": ("training accuracy (%)", False, True),
    "test_loss": ("test loss", False, False),
    "test_acc": ("test accuracy (%)", False, True),
}


def plot_histories(
    histories: Mapping[str, History] | Sequence[History],
    metric: str = "step_loss",
    smooth: int | None = 20,
    ax: Axes | None = None,
    title: str | None = None,
    x: str = "auto",
) -> Figure:
    """One line per run for ``metric``; returns the figure (closed, so a notebook shows it once).

    Per-step metrics (``step_loss``, ``step_acc``) are drawn against the step, smoothed with a
    running mean of ``smooth`` steps; per-evaluation ones (``train_loss``, ``test_acc``, ...)
    against the epoch (``x="step"`` to use steps, e.g. for runs made with ``steps=``).
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415  (only when drawing)

    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    if not isinstance(histories, Mapping):
        histories = {h.label or f"run {i}": h for i, h in enumerate(histories)}
    if not histories:
        raise ValueError("no runs to plot: pass a dict like {'relu': hist_relu, 'tanh': hist_tanh}")
    for name, h in histories.items():
        if not isinstance(h, History):
            raise TypeError(f"{name!r} is a {type(h).__name__}, not the History that cl.fit returns")
    ylabel, per_step, percent = METRICS[metric]
    if x == "auto":
        x = "step" if per_step else "epoch"
    if x not in ("step", "epoch"):
        raise ValueError(f"x must be 'auto', 'step' or 'epoch', got {x!r}")

    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6, 3.8))
    else:
        fig = ax.figure
    for i, (name, h) in enumerate(histories.items()):
        _plot_run(ax, f"C{i}", name, h, metric, x, smooth)
    smooth_note = f" (running mean of {smooth})" if per_step and smooth and smooth > 1 else ""
    ax.set(xlabel=x, ylabel=ylabel, title=title or f"{ylabel[0].upper()}{ylabel[1:]}{smooth_note}")
    ax.legend()
    ax.grid(alpha=0.3)
    if own:
        fig.tight_layout()
        plt.close(fig)
    return fig


def _plot_run(ax: Axes, color: str, name: str, h: History, metric: str, x: str, smooth: int | None) -> None:
    """One run's line: per step (faint raw values under their running mean) or per evaluation."""
    _, per_step, percent = METRICS[metric]
    values = list(getattr(h, metric))
    if not values:
        raise ValueError(
            f"run {name!r} has no {metric!r} values"
            + (" (was it trained without test data?)" if metric.startswith("test") else "")
        )
    if percent:
        values = [100 * v for v in values]
    if per_step:
        xs = range(1, len(values) + 1)
        if x == "epoch":
            xs = [s / _steps_per_epoch(h) for s in xs]
        if smooth and smooth > 1:
            ax.plot(xs, values, color=color, alpha=0.2, lw=0.8)
            values = running_mean(values, smooth)
        ax.plot(xs, values, color=color, lw=1.6, label=name)
    else:
        xs = h.eval_step if x == "step" else h.eval_epoch
        ax.plot(xs, values, "o-", color=color, ms=4, label=name)


def _steps_per_epoch(h: History) -> float:
    if h.eval_step and h.eval_epoch and h.eval_epoch[0] > 0:
        return h.eval_step[0] / h.eval_epoch[0]
    return float("nan")
