"""Lesson 08: the shootout helper (same budget for every model) and the exercises' checks."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import architecture_shootout as so
from cnnlessons.models import MNIST_MODELS


def tiny() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))


@pytest.fixture(scope="module")
def data():
    return cl.load_mnist("train", subset=256), cl.load_mnist("test", subset=100)


@pytest.fixture(scope="module")
def result(data):
    train, test = data
    return so.shootout(["tiny", "TinyCNN"], train, test, steps=3, batch_size=32, seeds=(0, 1),
                       models={"tiny": tiny}, device="cpu", warmup_steps=1, verbose=False)


def test_every_model_gets_the_same_budget(result) -> None:
    assert result.names == ["tiny", "TinyCNN"]
    for row in result.rows:
        assert [r.seed for r in row.runs] == [0, 1]
        assert all(r.steps == 3 and r.images == 3 * 32 for r in row.runs)
        assert all(0.0 <= r.test_acc <= 1.0 and r.images_per_s > 0 and r.train_s > 0 for r in row.runs)
        lo, hi = row.acc_range
        assert lo <= row.test_acc <= hi


def test_counts_come_from_the_tracer(result) -> None:
    table = cl.trace(MNIST_MODELS["TinyCNN"](), (1, 1, 28, 28))
    row = result["TinyCNN"]
    assert (row.params, row.mult_adds) == (table.total_params, table.total_mult_adds)
    assert row.size_mb == pytest.approx(so.model_size_mb(MNIST_MODELS["TinyCNN"]()))


def test_same_seed_same_accuracy_on_cpu(data) -> None:
    train, test = data
    a, b = (so.shootout(["tiny"], train, test, steps=3, batch_size=32, models={"tiny": tiny}, device="cpu",
                        warmup_steps=0, verbose=False) for _ in range(2))
    assert a["tiny"].test_acc == b["tiny"].test_acc


def test_size_counts_buffers() -> None:
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8))
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    assert so.model_size_mb(model) == pytest.approx((4 * params + buffers) / 1e6)


def test_table_text_markdown_html_and_extend(result) -> None:
    text = str(result)
    assert "TinyCNN" in text and "test acc" in text and "3 steps of batch 32" in text
    md = result.to_markdown().splitlines()
    assert len(md) == 2 + len(result) and md[0].startswith("| model |")
    assert "<table>" in result._repr_html_()
    more = so.Shootout([so.Row("tiny", 1, 1, 0.0, [so.Run("tiny", 7, 0.5, 1.0, 1.0, 3, 96, "cpu")]),
                        so.Row("new", 2, 2, 0.0, [so.Run("new", 0, 0.4, 1.0, 1.0, 3, 96, "cpu")])])
    merged = so.Shootout(list(result.rows)).extend(more)
    assert merged.names == ["tiny", "TinyCNN", "new"] and len(merged["tiny"].runs) == 3


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


def test_check_size_mb(capsys) -> None:
    truth = so.model_size_mb(MNIST_MODELS["TinyCNN"]())
    assert so.check_size_mb("TinyCNN", truth)
    params_only = sum(p.numel() for p in MNIST_MODELS["TinyCNN"]().parameters()) * 4 / 1e6
    assert not so.check_size_mb("TinyCNN", params_only)
    assert "buffers" in capsys.readouterr().out
    assert not so.check_size_mb("TinyCNN", None)
    assert not so.check_size_mb("TinyCNN", "big")
    assert not so.check_size_mb("LeNet", 1.0)


def test_check_best_per_param(capsys) -> None:
    def row(name, params, acc):
        return so.Row(name, params, 0, 0.0, [so.Run(name, 0, acc, 1.0, 1.0, 1, 1, "cpu")])

    table = so.Shootout([row("big", 100_000, 0.99), row("small", 20_000, 0.95), row("stuck", 1_000, 0.11)])
    assert so.check_best_per_param(table, "small")
    assert not so.check_best_per_param(table, "stuck")  # below the 90% floor
    assert not so.check_best_per_param(table, "big")
    assert not so.check_best_per_param(table, "nope")
    assert not so.check_best_per_param(table, None)
    assert not so.check_best_per_param(so.Shootout([row("stuck", 10, 0.1)]), "stuck")


def test_check_small_model(capsys) -> None:
    assert so.check_small_model(tiny())
    assert not so.check_small_model(MNIST_MODELS["VGG"]())  # 146,938 parameters
    assert "over the budget" in capsys.readouterr().out
    assert not so.check_small_model(nn.Linear(10, 10))  # fails on images
    assert not so.check_small_model(nn.Flatten())      # wrong output shape
    assert not so.check_small_model(None)
    assert not so.check_small_model("model")
