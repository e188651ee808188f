"""Lesson 02 widget: the receptive field measured from gradients, next to the formula."""

import torch

from cnnlessons.widgets import vgg_small_kernels as W
from cnnlessons.widgets.start_here import ERROR_CLASS


def test_controls_change_the_measured_field_and_the_view():
    w = W.RFExplorer(torch.rand(28, 28))
    assert w.result["side"] == (5, 5) and w.result["formula"] == w.result["traced"] == 5
    view, renders = w.view.value, w.renders
    w.controls[0].value = 4  # depth
    assert w.renders == renders + 1 and w.view.value != view
    assert w.result["side"] == (9, 9) and "9 x 9" in w.text
    w.kernel.value, w.stride.value = 5, 2
    assert w.result["side"][0] == w.result["formula"] == w.result["traced"] == 1 + 4 * (1 + 2 + 4 + 8)


def test_dilation_shows_holes():
    w = W.RFExplorer()
    w.dilation.value = 2
    assert w.result["nonzero"] < w.result["side"][0] * w.result["side"][1]
    assert "holes" in w.text


def test_impossible_setting_shows_a_message():
    w = W.RFExplorer()
    w.depth.value, w.kernel.value, w.dilation.value = 8, 7, 2
    assert "error" in w.result and "Not possible" in w.readout.value and "shrinks below 1 pixel" in w.text
    assert ERROR_CLASS in w.readout._dom_classes
    w.depth.value = 2
    assert "error" not in w.result and ERROR_CLASS not in w.readout._dom_classes


def test_demo():
    assert W.demo().renders >= 1
