"""Lesson 03 widget: sliders are a 1x1 convolution's weights on real feature maps."""

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("ipywidgets")
from cnnlessons.widgets import one_by_one as W  # noqa: E402


@pytest.fixture(scope="module")
def mixer():
    return W.demo()


def test_contract(mixer):
    assert mixer.widget is not None and mixer.controls[0] is mixer.weights[0]
    assert len(mixer.controls) == len(mixer.channels) + 3 and mixer.renders >= 1
    assert mixer.output_image.value[:4] == b"\x89PNG"


def test_moving_a_weight_changes_the_view_and_equals_a_1x1_conv(mixer):
    before, renders = mixer.output_image.value, mixer.renders
    mixer.controls[0].value = -0.7
    mixer.weights[1].value = 1.3
    mixer.bias.value = 0.2
    assert mixer.renders > renders and mixer.output_image.value != before
    conv = nn.Conv2d(len(mixer.channels), 1, kernel_size=1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(mixer.w).view(1, -1, 1, 1))
        conv.bias.fill_(mixer.bias.value)
        want = torch.relu(conv(torch.from_numpy(mixer.maps[mixer.image.value])[None]))[0, 0].numpy()
    np.testing.assert_allclose(mixer.output(), want, atol=1e-5)
    mixer.relu.value = False
    assert (mixer.output() < 0).any()
    mixer.relu.value = True


def test_background_takes_the_bias_only(mixer):
    mixer.bias.value = 0.5
    background = mixer.maps[mixer.image.value].sum(0) == 0
    if background.any():
        assert np.allclose(mixer.output()[background], 0.5)
    assert "only the bias counts" in mixer.text


def test_a_blank_setting_shows_a_message(mixer):
    for s in mixer.weights:
        s.value = -1.0
    mixer.bias.value = -0.5
    assert "Blank map" in mixer.text and W.ERROR_CLASS in mixer.readout._dom_classes
    mixer.weights[0].value, mixer.bias.value = 2.0, 0.0
    for s in mixer.weights[1:]:
        s.value = 0.0
    assert W.ERROR_CLASS not in mixer.readout._dom_classes


def test_channel_mixer_on_a_model_and_bad_channels():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 28 * 28, 10))
    images = torch.rand(3, 1, 28, 28)
    m = W.channel_mixer(model, images, torch.arange(3), layer="1", k=3)
    assert len(m.channels) == 3 and len(set(m.channels)) == 3 and m.maps.shape == (3, 3, 28, 28)
    with pytest.raises(ValueError, match="do not exist"):
        W.ChannelMixer(torch.rand(2, 4, 5, 5), channels=[0, 9])
