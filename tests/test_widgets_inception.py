"""Lesson 04 widget: switching branches of a trained InceptionA (MNIST) off."""

import pytest
import torch

pytest.importorskip("ipywidgets")
from cnnlessons.models.inception import InceptionA, InceptionANet  # noqa: E402
from cnnlessons.widgets import inception as W  # noqa: E402


@pytest.fixture(scope="module")
def switch():
    torch.manual_seed(0)
    model = InceptionANet().eval()
    images, labels = torch.randn(40, 1, 28, 28), torch.randint(0, 10, (40,))
    return W.BranchSwitch(model, images, labels)


def test_contract_and_baseline_is_the_model(switch):
    assert switch.controls[0] is switch.switches["incep1", "branch1x1"] and len(switch.controls) == 9
    with torch.no_grad():
        want = switch.model(switch.images)
    torch.testing.assert_close(switch.logits(), want, atol=1e-5, rtol=1e-5)


def test_switching_a_branch_off_equals_zeroing_its_output(switch):
    before, renders = switch.maps_image.value, switch.renders
    switch.controls[0].value = False
    assert switch.renders > renders and switch.maps_image.value != before
    model = switch.model

    def zeroed_forward(x):
        x = torch.relu(model.mp(model.conv1(x)))
        b = model.incep1.branches(x)
        b[0] = torch.zeros_like(b[0])
        x = torch.relu(model.mp(model.conv2(torch.cat(b, 1))))
        return model.fc(torch.flatten(model.incep2(x), 1))

    with torch.no_grad():
        torch.testing.assert_close(switch.logits(), zeroed_forward(switch.images), atol=1e-4, rtol=1e-4)
    switch.controls[0].value = True
    with torch.no_grad():
        torch.testing.assert_close(switch.logits(), model(switch.images), atol=1e-5, rtol=1e-5)


def test_a_block_with_no_branch_shows_a_message(switch):
    for name in InceptionA.branch_names:
        switch.switches["incep2", name].value = False
    assert "No branch left in incep2" in switch.text and W.ERROR_CLASS in switch.readout._dom_classes
    assert switch.logits().argmax(1).unique().numel() == 1
    for name in InceptionA.branch_names:
        switch.switches["incep2", name].value = True
    assert W.ERROR_CLASS not in switch.readout._dom_classes


def test_wrong_model_or_images_are_refused():
    with pytest.raises(TypeError, match="InceptionANet"):
        W.BranchSwitch(torch.nn.Linear(2, 2), torch.zeros(2, 1, 28, 28), torch.zeros(2))
    with pytest.raises(ValueError, match="28 x 28"):
        W.BranchSwitch(InceptionANet(), torch.zeros(2, 1, 32, 32), torch.zeros(2))
