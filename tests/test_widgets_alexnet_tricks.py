"""Lesson 01's widget: LRN and dropout on a trained network's real activations."""

import pytest
import torch

pytest.importorskip("ipywidgets")

from cnnlessons.widgets import alexnet_tricks as W  # noqa: E402
from cnnlessons.widgets.channel_explorer import ERROR_CLASS  # noqa: E402


@pytest.fixture(scope="module")
def explorer():
    return W.demo()


def test_demo_follows_the_widget_contract(explorer):
    assert explorer.widget is not None and len(explorer.controls) == 5
    assert explorer.renders >= 1 and explorer.image.value[:4] == b"\x89PNG"
    assert "spread" in explorer.text
    # At the paper's alpha the ratio LRN(a)/a is k^-beta everywhere: a constant rescaling.
    r = explorer.result
    assert abs(r["ratio_max"] - 2**-0.75) < 1e-3 and r["spread"] < 0.05


def test_moving_alpha_changes_what_the_network_computes(explorer):
    before_png, renders = explorer.image.value, explorer.renders
    explorer.controls[0].value = 1.0
    try:
        assert explorer.renders == renders + 1
        assert explorer.result["spread"] > 0.5  # no longer a constant
        assert explorer.image.value != before_png
        assert explorer.result["acc_const"] != explorer.result["acc_lrn"] or explorer.result["spread"] > 0.5
    finally:
        explorer.controls[0].value = 1e-4


def test_dropout_zeroes_about_p_of_the_activations(explorer):
    explorer.controls[4].value = 0.5
    try:
        assert 0.4 < explorer.result["zeroed"] <= 1.0
        assert "dropout zeroed" in explorer.readout.value
    finally:
        explorer.controls[4].value = 0.0


@pytest.mark.parametrize("index, value, words", [(1, 0.0, "k = 0"), (4, 1.0, "p = 1")])
def test_impossible_settings_show_a_message(explorer, index, value, words):
    old = explorer.controls[index].value
    explorer.controls[index].value = value
    try:
        assert "error" in explorer.result and words in explorer.text
        assert "Not possible" in explorer.readout.value and ERROR_CLASS in explorer.readout._dom_classes
        assert "Traceback" not in explorer.readout.value
    finally:
        explorer.controls[index].value = old
    assert ERROR_CLASS not in explorer.readout._dom_classes and "error" not in explorer.result


def test_paper_lrn_by_hand_matches_the_package_layer():
    from cnnlessons.models.alexnet_tricks import paper_lrn

    x = torch.relu(torch.randn(2, 12, 5, 5)) * 30
    assert torch.allclose(W.paper_lrn_by_hand(x, 2.0, 5, 1e-4, 0.75), paper_lrn()(x), rtol=1e-5)


def test_refuses_a_cut_before_the_relu():
    from cnnlessons.models.alexnet_tricks import small_cnn

    with pytest.raises(ValueError, match="after a ReLU"):
        W.lrn_dropout_explorer(small_cnn(), torch.randn(4, 1, 28, 28), torch.zeros(4, dtype=torch.long), cut=1)
