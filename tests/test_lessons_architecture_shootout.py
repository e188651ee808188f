"""Lesson 08: the shootout helper (same budget for every model, learning curves, early and final
accuracy); the exercises are tested in test_exercises_all.py."""

from __future__ import annotations

import pytest
from torch import nn

import cnnlessons as cl
from cnnlessons.counting import weights_mb
from cnnlessons.lessons import architecture_shootout as so
from cnnlessons.models import MNIST_MODELS


def tiny() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10)
    )


@pytest.fixture(scope="module")
def data():
    return cl.load_mnist("train", subset=256), cl.load_mnist("test", subset=100)


@pytest.fixture(scope="module")
def result(data):
    train, test = data
    return so.shootout(
        ["tiny", "TinyCNN"],
        train,
        test,
        steps=4,
        batch_size=32,
        seeds=(0, 1),
        models={"tiny": tiny},
        device="cpu",
        warmup_steps=1,
        eval_every=2,
        early_step=2,
        verbose=False,
    )


def test_every_model_gets_the_same_budget(result) -> None:
    assert result.names == ["tiny", "TinyCNN"]
    for row in result.rows:
        assert [r.seed for r in row.runs] == [0, 1]
        assert all(r.steps == 4 and r.images == 4 * 32 for r in row.runs)
        assert all([s for s, _ in r.curve] == [2, 4] and r.early_acc == r.curve[0][1] for r in row.runs)
        assert all(r.curve[-1][1] == r.test_acc for r in row.runs)
        assert all([s for s, _ in r.loss_curve] == [4] and r.steps_to_loss(1e9) == 4 for r in row.runs)
        assert all(r.steps_to_loss(0.0) is None for r in row.runs)
        e_lo, e_hi = row.early_range
        assert e_lo <= row.early_acc <= e_hi
        assert all(0.0 <= r.test_acc <= 1.0 and r.images_per_s > 0 and r.train_s > 0 for r in row.runs)
        lo, hi = row.acc_range
        assert lo <= row.test_acc <= hi


def test_counts_come_from_the_tracer(result) -> None:
    table = cl.trace(MNIST_MODELS["TinyCNN"](), (1, 1, 28, 28))
    row = result["TinyCNN"]
    assert (row.params, row.mult_adds) == (table.total_params, table.total_mult_adds)
    assert row.size_mb == pytest.approx(weights_mb(MNIST_MODELS["TinyCNN"]()))


def test_same_seed_same_accuracy_on_cpu(data) -> None:
    train, test = data
    a, b = (
        so.shootout(
            ["tiny"],
            train,
            test,
            steps=3,
            batch_size=32,
            models={"tiny": tiny},
            device="cpu",
            warmup_steps=0,
            verbose=False,
        )
        for _ in range(2)
    )
    assert a["tiny"].test_acc == b["tiny"].test_acc


def test_size_counts_buffers() -> None:
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8))
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    assert weights_mb(model) == pytest.approx((4 * params + buffers) / 1e6)


def test_table_text_markdown_html_and_extend(result) -> None:
    text = str(result)
    assert "TinyCNN" in text and "test acc, step 2" in text and "test acc, end" in text
    assert "4 steps of batch 32" in text
    assert "seeds" not in text.splitlines()[1] and "runs" in text.splitlines()[1]
    md = result.to_markdown().splitlines()
    assert len(md) == 2 + len(result) and md[0].startswith("| model |")
    assert "<table>" in result._repr_html_()
    more = so.Shootout(
        [
            so.Row("tiny", 1, 1, 0.0, [so.Run("tiny", 7, 0.5, 1.0, 1.0, 3, 96, "cpu")]),
            so.Row("new", 2, 2, 0.0, [so.Run("new", 0, 0.4, 1.0, 1.0, 3, 96, "cpu")]),
        ]
    )
    merged = so.Shootout(list(result.rows)).extend(more)
    assert merged.names == ["tiny", "TinyCNN", "new"] and len(merged["tiny"].runs) == 3


def test_ranked_early_and_late() -> None:
    def row(name, early, final):
        return so.Row(name, 1, 1, 0.0, [so.Run(name, 0, final, 1.0, 1.0, 2, 2, "cpu", [(1, early), (2, final)], 1)])

    table = so.Shootout([row("slow starter", 0.2, 0.98), row("quick", 0.9, 0.95)])
    assert [r.name for r in table.ranked()] == ["slow starter", "quick"]
    assert [r.name for r in table.ranked(early=True)] == ["quick", "slow starter"]


def test_early_step_needs_a_matching_eval_every(data) -> None:
    train, test = data
    with pytest.raises(ValueError, match="eval_every dividing it"):
        so.shootout(["TinyCNN"], train, test, steps=4, early_step=3, eval_every=2)


def test_plots_have_titles_and_labels(result) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for x in ("params", "train_s", "mult_adds"):
        ax = result.plot(x)
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() == "test accuracy (%)"
        assert {t.get_text() for t in ax.texts} == {"tiny", "TinyCNN"}
        plt.close(ax.figure)
    with pytest.raises(ValueError, match="choose one of"):
        result.plot("colour")


def test_errors_say_what_to_do(data) -> None:
    train, test = data
    with pytest.raises(KeyError, match="choose from"):
        so.shootout(["LeNet"], train, test, steps=1)
    with pytest.raises(ValueError, match="at least one seed"):
        so.shootout(["TinyCNN"], train, test, steps=1, seeds=())
    with pytest.raises(KeyError, match="not in this shootout"):
        so.Shootout()["TinyCNN"]
