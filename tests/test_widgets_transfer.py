"""Lesson 07 widget: the labels-per-class slider and the settings list change the view;
no setting chosen is a message, not an exception."""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from cnnlessons.widgets import transfer as w  # noqa: E402


def test_moving_the_slider_changes_the_view():
    explorer = w.demo()
    assert explorer.controls[0] is explorer.count and explorer.widget is not None
    first_image, first_text, renders = explorer.image.value, explorer.text, explorer.renders
    assert first_image[:4] == b"\x89PNG" and "per digit" in first_text
    explorer.count.value = 5 if explorer.count.value != 5 else 1000
    assert explorer.renders == renders + 1
    assert explorer.image.value != first_image and explorer.text != first_text


def test_settings_list_filters_the_readout():
    explorer = w.demo()
    explorer.settings.value = ("from scratch",)
    assert "from scratch" in explorer.text and "frozen random" not in explorer.text


def test_no_setting_is_a_message():
    explorer = w.demo()
    explorer.settings.value = ()
    assert explorer.text.startswith("Pick at least one setting")
    assert w.MESSAGE_CLASS in explorer.readout._dom_classes
    explorer.settings.value = ("fine-tuned",)
    assert w.MESSAGE_CLASS not in explorer.readout._dom_classes


def test_empty_sweep_is_refused_with_a_message():
    from cnnlessons.lessons.transfer import Sweep

    with pytest.raises(ValueError, match="run lesson.sweep"):
        w.transfer_explorer(Sweep())
