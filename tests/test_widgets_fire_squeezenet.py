"""Lesson 05 widget: moving a slider changes the view; an untrained setting shows a message."""

import pytest

pytest.importorskip("ipywidgets")

from cnnlessons.widgets import fire_squeezenet as widgets  # noqa: E402


@pytest.fixture(scope="module")
def explorer():
    return widgets.demo()


def test_contract(explorer):
    assert explorer.widget is not None and explorer.controls[0] is explorer.sr
    assert explorer.image.value and "test accuracy" in explorer.text


def test_moving_a_slider_changes_the_view(explorer):
    before, image, renders = explorer.text, explorer.image.value, explorer.renders
    explorer.controls[0].value = 0.125
    assert explorer.renders == renders + 1
    assert explorer.text != before and explorer.image.value != image
    assert explorer.cost["net_params"] < 30_000


def test_untrained_setting_shows_a_message(explorer):
    explorer.controls[0].value = 0.375
    explorer.controls[1].value = 0.875
    assert "Not trained" in explorer.text and widgets.MESSAGE_CLASS in explorer.readout.value
    assert explorer.cost["e3x3"] > explorer.cost["e1x1"]  # the cost is still shown


def test_fire_cost_matches_the_model():
    from cnnlessons.models.fire_squeezenet import mnist_squeezenet

    c = widgets.fire_cost(0.5, 0.5)
    assert c["net_params"] == sum(p.numel() for p in mnist_squeezenet(0.5, 0.5).parameters())
    assert (c["squeeze"], c["e1x1"], c["e3x3"]) == (48, 48, 48)
