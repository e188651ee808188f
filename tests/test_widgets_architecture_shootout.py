"""Lesson 08 widget: the axes and the models change the chart; impossible choices are messages."""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from cnnlessons.widgets import architecture_shootout as w  # noqa: E402


def test_changing_an_axis_changes_the_view():
    explorer = w.demo()
    first_image, first_text, renders = explorer.image.value, explorer.text, explorer.renders
    assert first_image[:4] == b"\x89PNG" and "Pareto front" in first_text
    explorer.controls[0].value = "params"
    assert explorer.renders == renders + 1
    assert explorer.image.value != first_image and explorer.text != first_text


def test_pareto_front():
    points = {"a": (1.0, 90.0), "b": (2.0, 95.0), "c": (3.0, 94.0), "d": (1.0, 89.0)}
    # lower x better, higher y better: c is beaten by b, d by a
    assert sorted(w.pareto(points, x_better_high=False, y_better_high=True)) == ["a", "b"]
    explorer = w.demo()  # made-up numbers: accuracy rises with cost, so every model is on the front
    assert explorer.front == explorer.results.names


def test_early_axis_and_model_choice():
    explorer = w.demo()
    explorer.y.value = "early_acc"
    assert "early" in explorer.text
    explorer.models.value = ("small", "deep")
    assert set(explorer.front) <= {"small", "deep"}


def test_impossible_choices_are_messages():
    explorer = w.demo()
    explorer.models.value = ("small",)
    assert explorer.text.startswith("Pick at least two models")
    assert w.MESSAGE_CLASS in explorer.readout._dom_classes
    explorer.models.value = ("small", "large")
    explorer.x.value = explorer.y.value
    assert "same quantity" in explorer.text
