"""Lesson 00 widgets: the digit canvas and the convolution step by step."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnlessons.models.start_here import TinyCNN
from cnnlessons.widgets import start_here as W


@pytest.fixture(scope="module")
def canvas():
    torch.manual_seed(0)
    return W.DigitCanvas(TinyCNN())


def test_canvas_stroke_updates_prediction_view_and_clear(canvas):
    canvas.clear()
    assert canvas.prediction is None and "draw a digit first" in canvas.bars.value
    empty_view, renders = canvas.view.value, canvas.renders
    canvas.add_stroke([(140, 40), (140, 240)])
    assert canvas.renders == renders + 1
    assert canvas.prediction in range(10) and abs(float(canvas.probs.sum()) - 1) < 1e-5
    assert f"Prediction: {canvas.prediction}" in canvas.bars.value
    assert canvas.view.value != empty_view and canvas.image28.max() > 0.5
    view = canvas.view.value
    canvas.controls[1].value = "block2.relu"  # another layer's feature maps
    assert canvas.view.value != view
    canvas.clear()
    assert canvas.prediction is None and canvas.strokes == []


def test_mouse_events_make_a_stroke(canvas):
    canvas.clear()
    canvas._on_down(100, 60)
    canvas._on_move(120, 150)
    canvas._on_move(130, 230)
    assert canvas.prediction is None  # nothing is predicted before the button is released
    canvas._on_up(130, 230)
    assert len(canvas.strokes) == 1 and canvas.prediction is not None


def test_mnist_preparation_centres_and_scales():
    ink = W.rasterize([[(20, 20), (20, 60)]])  # a short stroke in the top-left corner
    centred = W.to_mnist(ink, center=True)
    ys, xs = np.nonzero(centred > 0.1)
    assert abs(ys.mean() - 13.5) < 1.5 and abs(xs.mean() - 13.5) < 1.5
    assert ys.max() - ys.min() >= 18  # scaled to about 20 pixels tall
    raw = W.to_mnist(ink, center=False)
    ys, xs = np.nonzero(raw > 0.1)
    assert ys.mean() < 8 and xs.mean() < 5
    assert W.to_mnist(np.zeros((280, 280)), center=True).max() == 0
    x = W.to_model_input(centred)
    assert x.shape == (1, 1, 28, 28)


def test_canvas_turns_off_centring_changes_the_input(canvas):
    canvas.clear()
    canvas.add_stroke([(20, 20), (20, 60)])
    centred = canvas.image28.copy()
    canvas.center.value = False
    assert not np.allclose(centred, canvas.image28)
    canvas.center.value = True
    canvas.clear()


def test_conv_step_sum_equals_conv2d_everywhere_and_slider_changes_view():
    torch.manual_seed(0)
    image = torch.rand(28, 28)
    w = W.ConvStep(image)
    for name, kernel in W.KERNELS.items():
        w.kernel.value = name
        ref = F.conv2d(image.view(1, 1, 28, 28), torch.tensor(kernel, dtype=torch.float32).view(1, 1, 3, 3), padding=1)[
            0, 0
        ]
        for r, c in ((0, 0), (0, 27), (13, 5), (27, 27)):
            w.row.value, w.col.value = r, c
            assert abs(w.result["sum"] - float(ref[r, c])) < 1e-5
    before = w.view.value
    w.controls[0].value = 3
    assert w.view.value != before and "row 3" in w.detail.value


def test_conv_step_impossible_pixel_shows_a_message():
    w = W.ConvStep(torch.rand(28, 28))
    w.padding.value = 0
    w.row.value = 27
    assert "Not possible" in w.detail.value and "26 x 26" in w.detail.value
    assert W.ERROR_CLASS in w.detail._dom_classes and w.result == {"error": True}
    w.row.value = 25
    assert "Not possible" not in w.detail.value and w.result["output_shape"] == (26, 26)
    with pytest.raises(ValueError, match="3 x 3"):
        W.ConvStep(torch.rand(8, 8), kernels={"big": torch.ones(5, 5)})


def test_demo_conv_is_ready():
    w = W.demo("conv")
    assert w.renders >= 1 and w.view.value
