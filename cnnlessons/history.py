"""What a training run leaves behind: ``History``, and the running mean its curves use.

A leaf module (it imports nothing from the package): ``train`` fills a History, and the
display (``live``, ``curves``) reads one, so the dependencies run one way:
``history`` <- ``train`` and ``history`` <- ``live`` / ``curves``, never the display into ``train``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class History:
    """Everything ``fit`` measured. Accuracies are fractions (0.98 = 98%).

    Per step: ``step_loss`` and ``step_acc`` (the training batch's accuracy).
    Per evaluation (each epoch end, or every ``eval_every`` steps): ``eval_step``,
    ``eval_epoch``, ``train_loss`` / ``train_acc`` (mean over the training batches since the
    previous evaluation) and ``test_loss`` / ``test_acc`` (the whole test set, eval mode).
    """

    label: str | None = None
    device: str = "cpu"
    batch_size: int = 0
    step_loss: list[float] = field(default_factory=list)
    step_acc: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_epoch: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    images_seen: int = 0
    train_time: float = 0.0  # seconds in training steps (evaluation excluded)
    wall_time: float = 0.0  # seconds for the whole call
    interrupted: bool = False
    cuda_graph: bool = False
    channels_last: bool = False

    @property
    def steps(self) -> int:
        return len(self.step_loss)

    @property
    def images_per_s(self) -> float:
        return self.images_seen / self.train_time if self.train_time > 0 else 0.0

    @property
    def final_test_acc(self) -> float | None:
        return self.test_acc[-1] if self.test_acc else None

    @property
    def final_train_loss(self) -> float | None:
        return self.train_loss[-1] if self.train_loss else None

    def steps_to(self, accuracy: float = 0.95, window: int = 20) -> int | None:
        """First step at which the running mean of batch accuracy reaches ``accuracy``."""
        run = smooth(self.step_acc, window)
        return next((i + 1 for i, a in enumerate(run) if a >= accuracy), None)

    def summary(self) -> str:
        """One line: label, steps, final losses and accuracies, speed, device."""
        parts = [self.label or "run", f"{self.steps} steps"]
        if self.train_loss:
            parts.append(f"train loss {self.train_loss[-1]:.3f} acc {100 * self.train_acc[-1]:.1f}%")
        if self.test_acc:
            parts.append(f"test loss {self.test_loss[-1]:.3f} acc {100 * self.test_acc[-1]:.2f}%")
        parts.append(f"{self.images_per_s:,.0f} img/s on {self.device}, {self.wall_time:.1f} s")
        if self.interrupted:
            parts.append("INTERRUPTED")
        return " | ".join(parts)

    def __str__(self) -> str:
        return self.summary()


def smooth(values: Sequence[float], window: int) -> list[float]:
    """Trailing running mean (the first points average what exists so far)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out
