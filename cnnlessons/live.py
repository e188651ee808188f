"""Live training curves in a notebook: one figure, one display handle, updated in place.

Why this way: ``display(fig, display_id=True)`` once and ``handle.update(fig)`` afterwards
replace the same output, so the saved notebook holds exactly one (final) figure, strict nbval
sees one output in the cell, and the cells after it are untouched (``clear_output`` loops and
tqdm widgets break both). The progress readout is the figure's title. ``fit`` decides how
often to redraw (throttled so drawing stays a small share of the run).
"""

from __future__ import annotations

import io

from .history import History, smooth

TRAIN, TEST = "C0", "C1"


class LiveCurves:
    """Loss per step (left) and accuracy per evaluation (right), train C0 and test C1."""

    def __init__(self, hist: History, total_steps: int, steps_per_epoch: int, notebook: bool | None = None) -> None:
        import matplotlib.pyplot as plt  # noqa: PLC0415  (only when drawing)

        from .env import in_notebook as _in_notebook  # noqa: PLC0415

        self.hist, self.plt = hist, plt
        self.fig, (self.ax_loss, self.ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
        fig, al, aa = self.fig, self.ax_loss, self.ax_acc
        (self.l_step,) = al.plot([], [], color=TRAIN, alpha=0.3, lw=0.8, label="train (batch)")
        (self.l_smooth,) = al.plot([], [], color=TRAIN, lw=1.5, label="train (mean of 20)")
        (self.l_test_loss,) = al.plot([], [], "o-", color=TEST, ms=4, label="test")
        al.set(title="Loss per step", xlabel="step", ylabel="cross-entropy loss", xlim=(0, total_steps))
        (self.l_train_acc,) = aa.plot([], [], "o-", color=TRAIN, ms=4, label="train")
        (self.l_test_acc,) = aa.plot([], [], "o-", color=TEST, ms=4, label="test")
        epochs = total_steps / steps_per_epoch
        aa.set(
            title="Accuracy per evaluation", xlabel="epoch", ylabel="accuracy (%)", xlim=(0, max(epochs, 1e-3) * 1.02)
        )
        al.legend(loc="upper right", fontsize=8)
        aa.legend(loc="lower right", fontsize=8)
        self.title = fig.suptitle(self._prefix() + "starting...", fontsize=10)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.82, wspace=0.22)  # tight_layout costs a draw
        self.notebook = _in_notebook() if notebook is None else notebook
        self.handle = None
        if self.notebook:
            from IPython.display import display  # noqa: PLC0415

            # A text placeholder is free to show; the first update replaces it with the figure.
            self.handle = display(
                {"text/plain": self._prefix() + "training... (curves in a moment)"}, raw=True, display_id=True
            )

    def _prefix(self) -> str:
        return f"{self.hist.label}: " if self.hist.label else ""

    def update(self, status: str, prefix: bool = True) -> None:
        """Redraw from the History with ``status`` as the title."""
        h = self.hist
        steps = range(1, len(h.step_loss) + 1)
        self.l_step.set_data(steps, h.step_loss)
        self.l_smooth.set_data(steps, smooth(h.step_loss, 20))
        if h.test_loss:
            self.l_test_loss.set_data(h.eval_step, h.test_loss)
        self.l_train_acc.set_data(h.eval_epoch, [100 * a for a in h.train_acc])
        if h.test_acc:
            self.l_test_acc.set_data(h.eval_epoch, [100 * a for a in h.test_acc])
        for ax in (self.ax_loss, self.ax_acc):
            ax.relim()
            ax.autoscale_view(scalex=False)
        self.title.set_text((self._prefix() if prefix else "") + status)
        self._show()

    def _show(self) -> None:
        if self.handle is not None:
            self.handle.update(self.fig)
        else:  # outside a notebook: render as a notebook would (PNG), so the cost is the same
            self.fig.savefig(io.BytesIO(), format="png")

    def finish(self, status: str) -> None:
        """Last redraw, then close the figure so the notebook keeps only this one."""
        try:
            self.update(status, prefix=False)
        finally:
            self.plt.close(self.fig)
