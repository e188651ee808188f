"""channel_explorer: sliders rebuild the block and the readout follows; impossible values are messages."""

from __future__ import annotations

import pytest
from torch import nn

import cnnlessons as cl
from cnnlessons.models.fire_squeezenet import Fire
from cnnlessons.widgets import COST_CLASS, ERROR_CLASS


def bottleneck(c_reduce: int, c_out: int = 64) -> nn.Module:
    """1x1 reduction from 192 channels, then a 3x3 convolution."""
    return nn.Sequential(nn.Conv2d(192, c_reduce, 1), nn.ReLU(), nn.Conv2d(c_reduce, c_out, 3, padding=1))


def test_slider_change_updates_readout_and_values():
    explorer = cl.channel_explorer(bottleneck, input_size=(1, 192, 28, 28), c_reduce=(4, 192, 4, 16))
    assert explorer.values == {"c_reduce": 16}
    # 192*16 + 16 + 16*64*9 + 64 parameters; the same per output pixel in mult-adds (biases not counted).
    assert explorer.result["params"] == 192 * 16 + 16 + 16 * 64 * 9 + 64
    assert "parameters 12,368" in explorer.text and "output 1 x 64 x 28 x 28" in explorer.text
    before = explorer.text
    explorer.sliders["c_reduce"].value = 32
    assert explorer.values == {"c_reduce": 32}
    assert explorer.result["params"] == 192 * 32 + 32 + 32 * 64 * 9 + 64
    assert explorer.text != before and f"parameters {explorer.result['params']:,}" in explorer.text
    assert f"{explorer.result['mult_adds']:,}" in explorer.text
    assert COST_CLASS in explorer.readout._dom_classes


def test_mult_adds_and_branch_bars_for_fire():
    explorer = cl.channel_explorer(
        lambda squeeze: Fire(128, squeeze, 64, 64), input_size=(1, 128, 28, 28), squeeze=(4, 64, 4, 16)
    )
    r = explorer.result
    conv_weights = 128 * 16 + 16 * 64 + 16 * 64 * 9
    biases = 16 + 64 + 64  # torchinfo's convention (cl.trace's): a bias add counts once per output value
    assert r["mult_adds"] == (conv_weights + biases) * 28 * 28
    names = [name for name, _, _ in r["branches"]]
    assert {"squeeze", "expand1x1", "expand3x3"} <= set(names)
    assert sum(p for _, p, _ in r["branches"]) == r["params"]
    bars = explorer.bars.value
    assert "expand3x3" in bars and "squeeze_activation" not in bars  # zero-cost children are not drawn


def test_impossible_values_show_a_message_not_an_exception():
    def grouped(c_in: int, groups: int) -> nn.Module:
        return nn.Conv2d(c_in, 32, 3, groups=groups)

    explorer = cl.channel_explorer(grouped, input_size=(1, 24, 8, 8), c_in=24, groups=(1, 8, 1, 1))
    ok_text = explorer.text
    explorer.sliders["groups"].value = 5  # 24 channels cannot split into 5 groups
    assert explorer.text.startswith("Not possible:") and "divisible by groups" in explorer.text
    assert ERROR_CLASS in explorer.readout._dom_classes and explorer.bars.value == ""
    assert "error" in explorer.result
    explorer.sliders["groups"].value = 4  # back to a possible value: the numbers return
    assert ERROR_CLASS not in explorer.readout._dom_classes
    assert explorer.text.startswith("parameters") and explorer.text != ok_text


def test_output_that_does_not_fit_is_a_message():
    explorer = cl.channel_explorer(lambda k: nn.Conv2d(3, 8, k), input_size=(1, 3, 8, 8), k=(1, 12, 1, 3))
    explorer.sliders["k"].value = 11
    assert explorer.text.startswith("Not possible:") and "k=11" in explorer.text
    assert "Traceback" not in explorer.text


def test_wrong_input_channels_is_a_message():
    explorer = cl.channel_explorer(bottleneck, input_size=(1, 64, 8, 8), c_reduce=(4, 8))
    assert explorer.text.startswith("Not possible:") and "in_channels" in explorer.text


def test_values_round_trip_and_bad_ranges():
    explorer = cl.channel_explorer(bottleneck, input_size=(1, 192, 7, 7), c_reduce=(8, 64, 8), c_out=(16, 64, 16, 32))
    assert explorer.values == {"c_reduce": 8, "c_out": 32}
    explorer.sliders["c_out"].value = 64
    explorer.sliders["c_reduce"].value = 24
    assert explorer.values == {"c_reduce": 24, "c_out": 64}
    assert explorer.result["output_shape"] == (1, 64, 7, 7)
    assert explorer.sliders["c_reduce"].continuous_update is False and explorer.sliders["c_reduce"].readout
    with pytest.raises(TypeError, match="no argument named 'width'.*c_reduce, c_out"):
        cl.channel_explorer(bottleneck, input_size=(1, 192, 7, 7), width=(1, 4))
    with pytest.raises(ValueError, match="min <= value <= max"):
        cl.channel_explorer(bottleneck, input_size=(1, 192, 7, 7), c_reduce=(8, 4))
    with pytest.raises(ValueError, match="at least one slider"):
        cl.channel_explorer(bottleneck, input_size=(1, 192, 7, 7), c_reduce=8)


def test_zero_channels_is_a_message_not_a_zero_cost_result():
    explorer = cl.channel_explorer(bottleneck, input_size=(1, 192, 28, 28), c_reduce=(0, 64, 4, 16))
    explorer.sliders["c_reduce"].value = 0
    assert explorer.text.startswith("Not possible:") and "0 channels" in explorer.text and "1 or more" in explorer.text
    assert "error" in explorer.result and explorer.bars.value == ""
    explorer.sliders["c_reduce"].value = 4
    assert explorer.text.startswith("parameters")


def test_input_size_and_build_are_checked_first():
    with pytest.raises(ValueError, match=r"add the batch dimension: \(1, 192, 28, 28\)"):
        cl.channel_explorer(bottleneck, input_size=(192, 28, 28), c_reduce=(4, 64, 4, 16))
    with pytest.raises(TypeError, match=r"build is a function.*already built"):
        cl.channel_explorer(nn.Conv2d(192, 16, 1), input_size=(1, 192, 28, 28), c_reduce=(4, 64))
