"""plot_histories overlays finished runs with a title, axis labels and a legend."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import cnnlessons as cl  # noqa: E402


def fake(label: str, shift: float) -> cl.History:
    h = cl.History(label=label, batch_size=8)
    h.step_loss = [2.0 - shift - 0.01 * i for i in range(100)]
    h.step_acc = [min(1.0, 0.1 + 0.01 * i) for i in range(100)]
    h.eval_step, h.eval_epoch = [50, 100], [1.0, 2.0]
    h.train_loss, h.train_acc = [1.5, 1.0], [0.5, 0.8]
    h.test_loss, h.test_acc = [1.4, 0.9], [0.55, 0.85]
    return h


def test_overlay_step_loss():
    fig = cl.plot_histories({"relu": fake("a", 0.0), "tanh": fake("b", 0.3)}, metric="step_loss", smooth=10)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() == "step" and "loss" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["relu", "tanh"]
    assert not plt.fignum_exists(fig.number)  # closed: a notebook shows it exactly once


def test_eval_metric_against_epoch_in_percent():
    fig = cl.plot_histories([fake("a", 0), fake("b", 0)], metric="test_acc", title="Test accuracy")
    ax = fig.axes[0]
    assert ax.get_title() == "Test accuracy" and ax.get_xlabel() == "epoch"
    assert list(ax.lines[0].get_ydata()) == pytest.approx([55.0, 85.0])
    fig = cl.plot_histories([fake("a", 0)], metric="train_loss", x="step")
    assert list(fig.axes[0].lines[0].get_xdata()) == [50, 100]


def test_draws_into_a_given_axis():
    fig, ax = plt.subplots()
    out = cl.plot_histories({"a": fake("a", 0)}, metric="step_acc", ax=ax)
    assert out is fig and ax.lines
    plt.close(fig)


def test_errors():
    with pytest.raises(ValueError, match="unknown metric 'accuracy'"):
        cl.plot_histories({"a": fake("a", 0)}, metric="accuracy")
    with pytest.raises(TypeError, match="History"):
        cl.plot_histories({"a": [1, 2, 3]})
    empty = cl.History()
    with pytest.raises(ValueError, match="without test data"):
        cl.plot_histories({"a": empty}, metric="test_acc")
