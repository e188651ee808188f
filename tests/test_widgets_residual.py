"""Lesson 06 widget: moving the depth slider changes the view; an untrained depth shows a message."""

import pytest

pytest.importorskip("ipywidgets")

from cnnlessons.widgets import residual as widgets  # noqa: E402


@pytest.fixture(scope="module")
def explorer():
    return widgets.demo()


def test_contract(explorer):
    assert explorer.widget is not None and explorer.controls[0] is explorer.depth
    assert explorer.image.value and "depth 14" in explorer.text


def test_moving_the_depth_changes_the_view(explorer):
    before, image, renders = explorer.text, explorer.image.value, explorer.renders
    explorer.controls[0].value = 8
    assert explorer.renders == renders + 1
    assert "depth 8" in explorer.text and explorer.text != before and explorer.image.value != image
    explorer.controls[1].value = False
    assert "without BatchNorm" in explorer.text


def test_untrained_depth_shows_a_message(explorer):
    explorer.controls[0].value = 32
    assert "not trained" in explorer.text and widgets.MESSAGE_CLASS in explorer.readout.value
