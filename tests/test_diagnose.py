"""The diagnosis of a student's mistakes: each message names the cause and the fix.

One test (at least) per root cause: fit's pre-flight doctor checks, shape errors by cause,
input_size without a batch dimension, argument kinds, labels, a forward without return, a
device that is not there, fit on an already-trained model, a loss that blew up.
"""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import cnnlessons as cl
from cnnlessons.augment import RandomShift
from cnnlessons.diagnose import LessonWarning, check_count, check_shape


@pytest.fixture(scope="module")
def data():
    return cl.load_mnist("train", subset=256), cl.load_mnist("test", subset=128)


def quiet(**kw):
    return {"live": False, "progress": False, "device": "cpu", "batch_size": 64, "steps": 2} | kw


class Net(nn.Module):
    """conv (stride 2) -> ReLU -> [pool] -> Linear; ``kind`` switches one mistake on."""

    def __init__(self, kind: str = "", classes: int = 10) -> None:
        super().__init__()
        self.kind = kind
        self.conv = nn.Conv2d(1, 8, 3, stride=2)  # N x 8 x 13 x 13
        self.pool = nn.MaxPool2d(2)  # N x 8 x 6 x 6
        self.fc = nn.Linear(1000 if kind == "wrong-in" else 8 * 6 * 6, classes)
        self.extra = [nn.Conv2d(8, 8, 1)] if kind == "plain-list" else []

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        for layer in self.extra:
            x = layer(x)
        if self.kind == "built-in-forward":
            x = nn.Conv2d(8, 8, 1)(x)
        if self.kind == "no-flatten":
            return self.fc(x)
        if self.kind == "view-64":
            return self.fc(x.view(64, -1))
        if self.kind == "no-return":
            self.fc(torch.flatten(x, 1))
            return None
        y = self.fc(torch.flatten(x, 1))
        return F.softmax(y, dim=1) if self.kind == "softmax" else y


def lesson_warnings(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, LessonWarning)]


# ----- 1. fit runs the doctor's cheap checks before the first step -----------------------------
@pytest.mark.parametrize(
    "kind, words",
    [
        ("softmax", ("softmax", "logits")),
        ("plain-list", ("not a submodule", "nn.ModuleList")),
        ("built-in-forward", ("forward builds a new Conv2d", "__init__")),
    ],
)
def test_fit_warns_once_with_the_doctors_finding_and_trains_on(data, kind, words):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        hist = cl.fit(Net(kind), data[0], **quiet())
    said = lesson_warnings(record)
    assert len(said) == 1 and all(w in said[0] for w in words), said
    assert hist.steps == 2  # training went on


def test_a_healthy_model_trains_without_a_warning(data):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cl.fit(Net(), data[0], data[1], **quiet())
        cl.evaluate(Net(), data[1])
    assert lesson_warnings(record) == []


def test_the_warning_points_at_the_students_line(data):
    with pytest.warns(LessonWarning) as record:
        cl.fit(Net("softmax"), data[0], **quiet())
    assert record[0].filename == __file__


def test_nll_loss_on_logits_and_relu_after_the_last_layer(data):
    with pytest.warns(LessonWarning, match=r"NLLLoss expects log-probabilities"):
        cl.fit(Net(), data[0], loss_fn=nn.NLLLoss(), **quiet())
    relu_last = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.ReLU())
    with pytest.warns(LessonWarning, match=r"never negative \(a ReLU"):
        cl.fit(relu_last, data[0], **quiet())


# ----- 2. shape errors by cause ---------------------------------------------------------------
def test_missing_flatten_says_flatten_not_a_new_linear(data):
    with pytest.raises(cl.TraceError) as info:
        cl.trace(Net("no-flatten"), (1, 1, 28, 28))
    text = str(info.value)
    assert "flatten is missing" in text and "torch.flatten(x, 1)" in text and "288 features" in text
    assert "nn.Linear(6," not in text and "in_features=6" not in text
    with pytest.raises(ValueError, match=r"flatten is missing") as info:
        cl.fit(Net("no-flatten"), data[0], **quiet())
    assert "in_channels" not in str(info.value)
    assert "flatten is missing" in str(cl.doctor(Net("no-flatten"), (1, 1, 28, 28)))


def test_wrong_in_features_names_the_right_number(data):
    with pytest.raises(ValueError, match=r"receives 288 features.*in_features=1000") as info:
        cl.fit(Net("wrong-in"), data[0], **quiet())
    assert "fc = nn.Linear(288, 10)" in str(info.value)


def test_hard_coded_batch_size_in_view(data):
    with pytest.raises(ValueError, match=r"batch dimension changed from 2 to 64.*hard-coded") as info:
        cl.fit(Net("view-64"), data[0], **quiet())
    assert "x.view(x.size(0), -1)" in str(info.value)


def test_images_with_channels_last(data):
    x, y = data[0]
    with pytest.raises(ValueError, match=r"channels last.*images.permute\(0, 3, 1, 2\)"):
        cl.fit(Net(), (x.permute(0, 2, 3, 1), y), **quiet())
    with pytest.raises(ValueError, match=r"image.permute\(2, 0, 1\)"):
        cl.show_feature_maps(Net(), x[0].permute(1, 2, 0), "conv")


def test_residual_add_with_different_channels():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(8, 16, 3, padding=1)

        def forward(self, x):
            return self.conv(x) + x

    with pytest.raises(cl.TraceError, match=r"8 and 16 channels") as info:
        cl.trace(Block(), (1, 8, 10, 10))
    assert "nn.Conv2d(8, 16, 1)" in info.value.fix


def test_layer_kept_in_a_tuple_names_the_trailing_comma(data):
    class Comma(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = (nn.Linear(784, 10),)

        def forward(self, x):
            return self.head(torch.flatten(x, 1))

    with pytest.raises(TypeError, match=r"trailing comma.*self.head = nn.Linear\(...\)"):
        cl.fit(Comma(), data[0], **quiet())


# ----- input_size and the input are checked first -----------------------------------------------
def test_input_size_without_batch_dimension_blames_no_layer():
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
    for fn in (cl.trace, cl.doctor):
        with pytest.raises(ValueError, match=r"add the batch dimension: \(1, 1, 28, 28\)") as info:
            fn(model, (1, 28, 28))
        assert "num_features" not in str(info.value) and "in_channels" not in str(info.value)
    with pytest.raises(ValueError, match=r"channels last.*\(1, 1, 28, 28\)"):
        cl.trace(model, (1, 28, 28, 1))
    with pytest.raises(ValueError, match=r"extra dimension.*\(1, 1, 28, 28\)"):
        cl.trace(model, (1, 1, 1, 28, 28))
    assert cl.trace(model, [1, 1, 28, 28]).output_shape == (1, 8, 26, 26)  # a list is fine


def test_channel_explorer_without_batch_dimension():
    def block(c: int) -> nn.Module:
        return nn.Conv2d(192, c, 1)

    with pytest.raises(ValueError, match=r"add the batch dimension: \(1, 192, 28, 28\)"):
        cl.channel_explorer(block, input_size=(192, 28, 28), c=(4, 64, 4, 16))
    with pytest.raises(TypeError, match=r"input_size=\(1, 192, 28, 28\) without quotes"):
        cl.channel_explorer(block, input_size="1, 192, 28, 28", c=(4, 64, 4, 16))


# ----- 3. argument kinds ----------------------------------------------------------------------
def test_a_class_where_a_model_is_needed(data):
    for call in (
        lambda: cl.fit(Net, data[0], **quiet()),
        lambda: cl.evaluate(Net, data[1]),
        lambda: cl.trace(Net, (1, 1, 28, 28)),
        lambda: cl.doctor(Net, (1, 1, 28, 28)),
        lambda: cl.show_filters(Net),
    ):
        with pytest.raises(TypeError, match=r"got the class Net, not a model.*model = Net\(\)"):
            call()


def test_a_loss_or_augmentation_class_without_parentheses(data):
    with pytest.raises(TypeError, match=r"loss_fn=nn.CrossEntropyLoss\(\)"):
        cl.fit(Net(), data[0], loss_fn=nn.CrossEntropyLoss, **quiet())
    with pytest.raises(TypeError, match=r"not an augment.*augment=RandomShift\(\)"):
        cl.fit(Net(), data[0], augment=RandomShift, **quiet())


def test_counts_accept_whole_floats_and_explain_fractions_and_strings(data):
    x, _ = cl.load_mnist("test", subset=1e3)
    assert len(x) == 1000
    with pytest.raises(ValueError, match=r"subset is a number of images, e\.g\. subset=6000; for a fraction.*= 6000"):
        cl.load_mnist("train", subset=0.1)
    with pytest.raises(TypeError, match=r"write subset=1000 \(no quotes\)"):
        cl.load_mnist("train", subset="1000")
    with pytest.raises(ValueError, match=r"for part of an epoch use steps="):
        cl.fit(Net(), data[0], **quiet(epochs=0.5, steps=None))
    hist = cl.fit(Net(), data[0], **quiet(steps=2.0, batch_size=64.0))
    assert hist.steps == 2 and hist.batch_size == 64
    with pytest.raises(TypeError, match=r"write lr=0.01 \(no quotes\)"):
        cl.fit(Net(), data[0], lr="0.01", **quiet())
    with pytest.raises(TypeError, match=r"digits=\(5,\)"):
        cl.load_mnist("train", subset=100, digits=5)
    assert check_count(torch.tensor(3), "n", 1) == 3 and check_shape(torch.Size([1, 2])) == (1, 2)


def test_a_string_or_tensor_where_a_shape_is_needed():
    with pytest.raises(TypeError, match=r"input_size=\(1, 1, 28, 28\) without quotes"):
        cl.trace(Net(), "1, 1, 28, 28")
    with pytest.raises(TypeError, match=r"tuple\(x.shape\)"):
        cl.trace(Net(), torch.zeros(1, 1, 28, 28))


def test_device_that_is_not_there(data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"no CUDA GPU on this machine.*device='cpu'"):
        cl.fit(Net(), data[0], **(quiet() | {"device": "cuda"}))
    with pytest.raises(RuntimeError, match=r"no CUDA GPU"):
        cl.evaluate(Net(), data[1], device="cuda")
    with pytest.raises(ValueError, match=r"'gpu' is not a device name: use 'cuda'"):
        cl.pick_device("gpu")


# ----- labels and outputs ---------------------------------------------------------------------
def test_negative_labels(data):
    x, y = data[0]
    with pytest.raises(ValueError, match=r"smallest is -1: negative labels name no class"):
        cl.fit(Net(), (x, y - 1), **quiet())
    with pytest.raises(ValueError, match=r"negative labels"):
        cl.evaluate(Net(), (data[1][0], data[1][1] - 1))


def test_labels_beyond_the_head_name_both_fixes(data):
    x, y = data[0]
    for call in (
        lambda: cl.fit(Net(classes=5), (x, y), **quiet()),
        lambda: cl.evaluate(Net(classes=5), data[1]),
        lambda: cl.fit(Net(classes=5), (x[y < 5], y[y < 5]), data[1], **quiet()),
    ):
        with pytest.raises(ValueError, match=r"outputs 5 classes but the labels go up to 9") as info:
            call()
        text = str(info.value)
        assert "give the last layer 10 outputs" in text and "renumber them 0..4" in text


def test_forward_that_forgot_return(data):
    for call in (lambda: cl.fit(Net("no-return"), data[0], **quiet()), lambda: cl.evaluate(Net("no-return"), data[1])):
        with pytest.raises(ValueError, match=r"forward returned None.*`return x`"):
            call()
    with pytest.raises(cl.TraceError, match=r"returned None"):
        cl.trace(Net("no-return"), (1, 1, 28, 28))
    assert cl.doctor(Net("no-return"), (1, 1, 28, 28)).kinds() == ["no-output"]


# ----- 4. fit on an already-trained model; a loss that blew up --------------------------------
def test_fit_again_says_it_continues_and_its_log_does_not_pretend_to_be_fresh(data, capsys):
    model = Net()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cl.fit(model, data[0], epochs=1, batch_size=64, live=False, device="cpu")
    assert lesson_warnings(record) == []
    first = capsys.readouterr().out
    assert "continuing" not in first
    with pytest.warns(LessonWarning, match=r"already trained.*continues from its current weights.*model = Net\(\)"):
        cl.fit(model, data[0], epochs=1, batch_size=64, live=False, device="cpu")
    assert "epoch 1.00/1 (continuing: 1.00 epochs already trained)" in capsys.readouterr().out


def test_a_loss_that_blows_up_names_the_learning_rate(data):
    with pytest.warns(LessonWarning, match=r"loss blew up at step \d+ of 6.*learning rate is too high \(lr=10000\)"):
        cl.fit(Net(), data[0], lr=1e4, **quiet(steps=6))


def test_raw_pixels_are_noticed(data):
    x, y = data[0]
    with pytest.warns(LessonWarning, match=r"raw pixels \(0 to 255\).*x / 255"):
        cl.fit(Net(), ((x * 0.3081 + 0.1307) * 255, y), **quiet())


# ----- the second batch of mistakes ------------------------------------------------------------
def test_python_slips_between_the_layers(data):
    class Misspelled(Net):
        forward = nn.Module.forward

        def foward(self, x):
            return Net.forward(self, x)

    with pytest.raises(ValueError, match=r"has no forward method \(it has foward: a typo\?\)"):
        cl.fit(Misspelled(), data[0], **quiet())
    x, y = data[0]
    with pytest.raises(ValueError, match=r"(?s)float64 \(double\).*images = images.float\(\)"):
        cl.fit(Net(), (x.double(), y), **quiet())
    with pytest.raises(TypeError, match=r"got torch.int32; use labels.long\(\)"):
        cl.fit(Net(), (x, y.int()), **quiet())


def test_arguments_in_the_wrong_shape_of_call(data):
    from cnnlessons.augment import RandomRotation

    with pytest.raises(TypeError, match=r"compose\(RandomShift\(...\), RandomRotation\(...\)\)"):
        cl.fit(Net(), data[0], augment=[RandomShift(2), RandomRotation(10)], **quiet())
    with pytest.raises(TypeError, match=r"cl.evaluate\(model, \(images, labels\)\)"):
        cl.evaluate(Net(), *data[1])
    with pytest.raises(TypeError, match=r"model.parameters\(\): pass the model itself"):
        cl.fit(Net().parameters(), data[0], **quiet())
    with torch.device("meta"):
        ghost = Net()
    with pytest.raises(ValueError, match=r"meta device.*Build it again"):
        cl.fit(ghost, data[0], **quiet())
    with pytest.raises(ValueError, match=r"n=8 images but got 4 labels"):
        cl.show_digits(data[1][0], data[1][1][:4], n=8)


def test_in_features_mismatch_from_another_image_size_names_the_size():
    with pytest.raises(
        cl.TraceError,
        match=r"fits about (2[5-8]) x \1 images, and this input is 32 x 32 \(resize the images to \1 x \1",
    ):
        cl.trace(Net(), (1, 1, 32, 32))
