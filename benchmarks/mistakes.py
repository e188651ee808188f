"""The mistake sweep: student mistakes run against the package, each classified automatically.

Each mistake is a few lines a student could write (tiny data, a step or two of training, or
none) and declares the words its diagnosis must contain (the cause and the fix). Running it
gives one of three outcomes:

- ``diagnosed``: an exception, a warning or a widget's message contains every keyword (and
  none of the ``forbid`` words, which mark wrong advice);
- ``raw``: an error or warning without those words (a traceback from inside torch or Python,
  or advice that points the wrong way);
- ``silent``: it ran to the end with nothing said.

A few mistakes are ``handled``: the right answer is to do what the student meant (``subset=1e4``
is 10000 images); they count as diagnosed when they run without an error.

    .venv/bin/python benchmarks/mistakes.py            # the table and the counts
    PYTHONPATH=/tmp/old benchmarks/mistakes.py         # the same mistakes against other code

``tests/test_mistakes.py`` runs it and asserts the target (>= 90% diagnosed, none silent).
Mistakes that need something this machine lacks (a CUDA-less machine for ``device="cuda"``)
are skipped there.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

import cnnlessons as cl

OUTCOMES = ("diagnosed", "raw", "silent")


@dataclass
class Mistake:
    name: str
    run: Callable[[], Any]
    keywords: tuple[str, ...]  # all must appear in the message (case-insensitive)
    forbid: tuple[str, ...] = ()  # wrong advice: none may appear
    needs: Callable[[], bool] | None = None  # skipped when this returns False
    handled: bool = False  # the fix is to accept it: diagnosed when it runs as meant


MISTAKES: list[Mistake] = []


def mistake(
    *keywords: str, forbid: tuple[str, ...] = (), needs: Callable[[], bool] | None = None, handled: bool = False
):
    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        MISTAKES.append(Mistake(fn.__name__, fn, keywords, forbid, needs, handled))
        return fn

    return register


# ---------------------------------------------------------------------------------------------
# Data and models a student would have at hand
# ---------------------------------------------------------------------------------------------
_DATA: dict[str, Any] = {}


def train() -> tuple[torch.Tensor, torch.Tensor]:
    if "train" not in _DATA:
        _DATA["train"] = cl.load_mnist("train", subset=256)
    return _DATA["train"]


def test() -> tuple[torch.Tensor, torch.Tensor]:
    if "test" not in _DATA:
        _DATA["test"] = cl.load_mnist("test", subset=128)
    return _DATA["test"]


def quiet(**kw: Any) -> dict[str, Any]:
    base = dict(live=False, progress=False, device="cpu", batch_size=64)
    if "epochs" not in kw:
        base["steps"] = 2
    return {**base, **kw}


class Tiny(nn.Module):
    """conv (stride 2) -> BatchNorm -> ReLU -> flatten -> linear: 1 x 28 x 28 -> 10 classes."""

    def __init__(self, in_channels: int = 1, classes: int = 10) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 8, 3, stride=2)  # N x 8 x 13 x 13
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 13 * 13, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn(self.conv(x)))
        return self.fc(torch.flatten(x, 1))


def make_tiny() -> nn.Module:
    return Tiny()


class Variant(Tiny):
    """Tiny with one line of forward changed (``kind`` picks the mistake)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        if kind == "plain-list":
            self.extra = [nn.Conv2d(8, 8, 3, padding=1)]
        if kind == "unused":
            self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        if kind == "wrong-in":
            self.fc = nn.Linear(1000, 10)
        if kind == "no-flatten":
            self.pool = nn.MaxPool2d(2)  # N x 8 x 6 x 6
            self.fc = nn.Linear(8 * 6 * 6, 10)
        if kind == "bn1d":
            self.bn = nn.BatchNorm1d(8)
        if kind == "tuple-attr":
            self.head = (nn.Linear(8 * 13 * 13, 10),)  # a trailing comma
        if kind == "relu-last":
            self.out = nn.ReLU()

    def forward(self, x: torch.Tensor) -> Any:  # noqa: C901  (one branch per mistake)
        k = self.kind
        x = F.relu(self.bn(self.conv(x)))
        if k == "no-flatten":
            return self.fc(self.pool(x))
        if k == "plain-list":
            for layer in self.extra:
                x = layer(x)
        if k == "built-in-forward":
            x = nn.Conv2d(8, 8, 3, padding=1)(x)
        if k == "dropout-in-forward":
            x = nn.Dropout(0.5)(x)
        if k == "no-return":
            x = self.fc(torch.flatten(x, 1))
            return None
        if k == "view-64":
            return self.fc(x.view(64, -1))
        if k == "view-fixed":
            return self.fc(x.reshape(-1, 8 * 13 * 13 // 2))
        if k == "cat-dim0":
            return self.fc(torch.flatten(torch.cat([x, x], 0), 1))
        if k == "tuple-attr":
            return self.head(torch.flatten(x, 1))
        y = self.fc(torch.flatten(x, 1))
        if k == "softmax":
            return F.softmax(y, dim=1)
        if k == "log-softmax":
            return F.log_softmax(y, dim=1)
        if k == "relu-last":
            return self.out(y)
        return y


class BadResidual(nn.Module):
    """A residual block whose shortcut is not widened: 8 channels + 16 channels."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x) + x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def bottleneck(c_reduce: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(192, c_reduce, 1), nn.ReLU(), nn.Conv2d(c_reduce, 64, 3, padding=1))


def no_cuda() -> bool:
    return not torch.cuda.is_available()


# ---------------------------------------------------------------------------------------------
# 1. A class, a function or a tensor where something else was needed
# ---------------------------------------------------------------------------------------------
@mistake("class", "Tiny()")
def fit_model_class():
    cl.fit(Tiny, train(), **quiet())


@mistake("function", "make_tiny()")
def fit_model_factory_not_called():
    cl.fit(make_tiny, train(), **quiet())


@mistake("class", "Tiny()")
def evaluate_model_class():
    cl.evaluate(Tiny, test())


@mistake("class", "Tiny()")
def trace_model_class():
    cl.trace(Tiny, (1, 1, 28, 28))


@mistake("class", "Tiny()")
def doctor_model_class():
    return str(cl.doctor(Tiny, (1, 1, 28, 28)))


@mistake("class", "Tiny()")
def show_feature_maps_model_class():
    cl.show_feature_maps(Tiny, test()[0][0], "conv")


@mistake("class", "Tiny()")
def show_filters_model_class():
    cl.show_filters(Tiny)


@mistake("CrossEntropyLoss()")
def fit_loss_class_without_parentheses():
    cl.fit(Tiny(), train(), loss_fn=nn.CrossEntropyLoss, **quiet())


@mistake("RandomShift(")
def fit_augment_class_without_parentheses():
    from cnnlessons.augment import RandomShift

    cl.fit(Tiny(), train(), augment=RandomShift, **quiet())


@mistake("CrossEntropyLoss()")
def doctor_loss_class_without_parentheses():
    return str(cl.doctor(Variant("softmax"), (1, 1, 28, 28), loss=nn.CrossEntropyLoss))


@mistake("optimizer", "lambda")
def fit_optimizer_instance():
    model = Tiny()
    cl.fit(model, train(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **quiet())


@mistake("function", "lambda")
def channel_explorer_module_as_build():
    cl.channel_explorer(nn.Conv2d(192, 16, 1), input_size=(1, 192, 28, 28), c_reduce=(4, 64))


@mistake("tuple(x.shape)")
def trace_tensor_as_input_size():
    cl.trace(Tiny(), torch.randn(1, 1, 28, 28))


@mistake("'0'")
def show_feature_maps_int_layer():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    cl.show_feature_maps(model, test()[0][0], 0)


# ---------------------------------------------------------------------------------------------
# 2. A float or a string where a count or a tuple was needed
# ---------------------------------------------------------------------------------------------
@mistake("number of images", "subset=6000")
def load_mnist_subset_fraction():
    cl.load_mnist("train", subset=0.1)


@mistake("subset", handled=True)
def load_mnist_subset_in_scientific_notation():
    x, _ = cl.load_mnist("train", subset=1e3)
    assert len(x) == 1000


@mistake("subset=1000")
def load_mnist_subset_string():
    cl.load_mnist("train", subset="1000")


@mistake("subset", "between 1")
def load_mnist_subset_negative():
    cl.load_mnist("train", subset=-100)


@mistake("60,000")
def load_mnist_subset_too_large():
    cl.load_mnist("train", subset=100_000)


@mistake("'train' or 'test'")
def load_mnist_split_name():
    cl.load_mnist("training", subset=100)


@mistake("digits", "(5,)")
def load_mnist_digits_int():
    cl.load_mnist("train", subset=100, digits=5)


@mistake("digits", "(0, 1, 2, 3, 4)")
def load_mnist_digits_string():
    cl.load_mnist("train", subset=100, digits="01234")


@mistake("epochs", "steps=")
def fit_epochs_fraction():
    cl.fit(Tiny(), train(), **quiet(epochs=0.5))


@mistake("epochs=3")
def fit_epochs_string():
    cl.fit(Tiny(), train(), **quiet(epochs="3"))


@mistake("batch_size", "whole number")
def fit_batch_size_fraction():
    cl.fit(Tiny(), train(), **quiet(batch_size=64.5))


@mistake("batch_size=64")
def fit_batch_size_string():
    cl.fit(Tiny(), train(), **quiet(batch_size="64"))


@mistake("steps", ">= 1")
def fit_steps_negative():
    cl.fit(Tiny(), train(), **quiet(steps=-3))


@mistake("lr=0.01")
def fit_lr_string():
    cl.fit(Tiny(), train(), lr="0.01", **quiet())


@mistake("lr", "positive")
def fit_lr_negative():
    cl.fit(Tiny(), train(), lr=-0.1, **quiet())


@mistake("eval_every", ">= 1")
def fit_eval_every_zero():
    cl.fit(Tiny(), train(), eval_every=0, **quiet())


@mistake("seed", "whole number")
def fit_seed_none():
    cl.fit(Tiny(), train(), seed=None, **quiet())


@mistake("batch_size", ">= 1")
def evaluate_batch_size_zero():
    cl.evaluate(Tiny(), test(), batch_size=0)


@mistake("max_shift", "whole number")
def random_shift_fraction():
    from cnnlessons.augment import RandomShift

    RandomShift(max_shift=2.5)(train()[0][:4])


@mistake("degrees", "degrees=15")
def random_rotation_string():
    from cnnlessons.augment import RandomRotation

    RandomRotation(degrees="15")(train()[0][:4])


@mistake("max_channels", ">= 1")
def show_feature_maps_zero_channels():
    cl.show_feature_maps(Tiny(), test()[0][0], "conv", max_channels=0)


@mistake("n", ">= 1")
def show_digits_zero():
    cl.show_digits(test()[0], n=0)


# ---------------------------------------------------------------------------------------------
# 3. input_size / input shapes
# ---------------------------------------------------------------------------------------------
@mistake("batch dimension", "(1, 1, 28, 28)", forbid=("num_features", "BatchNorm2d("))
def trace_without_batch_dimension():
    cl.trace(Tiny(), (1, 28, 28))


@mistake("batch dimension", "(1, 1, 28, 28)", forbid=("num_features", "BatchNorm2d("))
def doctor_without_batch_dimension():
    return str(cl.doctor(Tiny(), (1, 28, 28)))


@mistake("tuple", "(1, 1, 28, 28)")
def trace_input_size_string():
    cl.trace(Tiny(), "1, 1, 28, 28")


@mistake("input_size", "(1, 1, 28, 28)")
def trace_input_size_int():
    cl.trace(Tiny(), 28)


@mistake("channels", "(1, 1, 28, 28)")
def trace_channels_last():
    cl.trace(Tiny(), (1, 28, 28, 1))


@mistake("channels", "(1, 1, 28, 28)")
def doctor_channels_last():
    return str(cl.doctor(Tiny(), (1, 28, 28, 1)))


@mistake("extra", "(1, 1, 28, 28)")
def trace_extra_batch_dimension():
    cl.trace(Tiny(), (1, 1, 1, 28, 28))


@mistake("batch dimension", "(1, 192, 28, 28)")
def channel_explorer_without_batch_dimension():
    cl.channel_explorer(bottleneck, input_size=(192, 28, 28), c_reduce=(4, 64, 4, 16))


@mistake("tuple", "(1, 192, 28, 28)")
def channel_explorer_input_size_string():
    cl.channel_explorer(bottleneck, input_size="1, 192, 28, 28", c_reduce=(4, 64, 4, 16))


@mistake("0 channels")
def channel_explorer_zero_channels():
    explorer = cl.channel_explorer(bottleneck, input_size=(1, 192, 28, 28), c_reduce=(0, 64, 4, 16))
    explorer.sliders["c_reduce"].value = 0
    return explorer.text


@mistake("flatten", forbid=("nn.Linear(6,", "in_features=6"))
def trace_missing_flatten():
    cl.trace(Variant("no-flatten"), (1, 1, 28, 28))


@mistake("flatten", forbid=("nn.Linear(6,", "in_channels"))
def fit_missing_flatten():
    cl.fit(Variant("no-flatten"), train(), **quiet())


@mistake("flatten", forbid=("nn.Linear(6,",))
def doctor_missing_flatten():
    return str(cl.doctor(Variant("no-flatten"), (1, 1, 28, 28)))


@mistake("batch", "x.size(0)")
def fit_hard_coded_view():
    cl.fit(Variant("view-64"), train(), **quiet(batch_size=32))


@mistake("batch", "flatten(x, 1)")
def trace_view_mixes_images():
    cl.trace(Variant("view-fixed"), (1, 1, 28, 28))


@mistake("in_features", "1352", forbid=("in_channels",))
def fit_wrong_in_features():
    cl.fit(Variant("wrong-in"), train(), **quiet())


@mistake("nn.Linear(1352, 10)")
def trace_wrong_in_features():
    cl.trace(Variant("wrong-in"), (1, 1, 28, 28))


@mistake("channels", "permute(0, 3, 1, 2)")
def fit_images_channels_last():
    x, y = train()
    cl.fit(Tiny(), (x.permute(0, 2, 3, 1), y), **quiet())


@mistake("channels", "permute(0, 3, 1, 2)")
def evaluate_images_channels_last():
    x, y = test()
    cl.evaluate(Tiny(), (x.permute(0, 2, 3, 1), y))


@mistake("unsqueeze(1)")
def fit_images_without_channel_axis():
    x, y = train()
    cl.fit(Tiny(), (x[:, 0], y), **quiet())


@mistake("squeeze(1)")
def fit_images_extra_dimension():
    x, y = train()
    cl.fit(Tiny(), (x[:, None], y), **quiet())


@mistake("3 input channels", "in_channels=1")
def fit_rgb_model_on_gray_images():
    cl.fit(Tiny(in_channels=3), train(), **quiet())


@mistake("in_channels=3")
def trace_wrong_input_channels():
    cl.trace(Tiny(), (1, 3, 28, 28))


@mistake("channels", "permute")
def show_feature_maps_channels_last_image():
    cl.show_feature_maps(Tiny(), test()[0][0].permute(1, 2, 0), "conv")


@mistake("dim=1")
def fit_concatenates_along_the_batch():
    cl.fit(Variant("cat-dim0"), train(), **quiet())


@mistake("BatchNorm2d")
def fit_batchnorm1d_on_feature_maps():
    cl.fit(Variant("bn1d"), train(), **quiet())


@mistake("comma")
def fit_layer_stored_in_a_tuple():
    cl.fit(Variant("tuple-attr"), train(), **quiet())


@mistake("shortcut", "1x1")
def trace_residual_channels_differ():
    cl.trace(BadResidual(), (1, 1, 28, 28))


@mistake("too small")
def trace_input_too_small():
    layers = []
    for _ in range(5):
        layers += [nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2)]
    cl.trace(nn.Sequential(*layers), (1, 1, 16, 16))


# ---------------------------------------------------------------------------------------------
# 4. Labels
# ---------------------------------------------------------------------------------------------
@mistake("negative", "labels")
def fit_negative_labels():
    x, y = train()
    cl.fit(Tiny(), (x, y - 1), **quiet())


@mistake("outputs", "renumber")
def fit_labels_beyond_a_new_head():
    x, y = cl.load_mnist("train", subset=200, digits=(5, 6, 7, 8, 9))
    cl.fit(Tiny(classes=5), (x, y), **quiet())


@mistake("renumber")
def evaluate_labels_beyond_the_head():
    cl.evaluate(Tiny(classes=5), test())


@mistake("test_data", "renumber")
def fit_test_labels_beyond_the_head():
    x, y = train()
    keep = y < 5
    cl.fit(Tiny(classes=5), (x[keep], y[keep]), test(), **quiet())


@mistake("negative", "labels")
def evaluate_negative_labels():
    x, y = test()
    cl.evaluate(Tiny(), (x, y - 1))


@mistake("(images, labels)")
def fit_labels_and_images_swapped():
    x, y = train()
    cl.fit(Tiny(), (y, x), **quiet())


@mistake("torch.as_tensor")
def fit_labels_as_list():
    x, y = train()
    cl.fit(Tiny(), (x, y.tolist()), **quiet())


@mistake("argmax")
def fit_one_hot_labels():
    x, y = train()
    cl.fit(Tiny(), (x, F.one_hot(y, 10)), **quiet())


@mistake("labels", "slice")
def fit_labels_sliced_separately():
    x, y = train()
    cl.fit(Tiny(), (x[:200], y), **quiet())


@mistake("pair")
def fit_images_and_labels_as_two_arguments():
    x, y = train()
    cl.fit(Tiny(), x, y, **quiet())


# ---------------------------------------------------------------------------------------------
# 5. Models that run but train badly (the doctor's findings), and training settings
# ---------------------------------------------------------------------------------------------
@mistake("softmax", "logits")
def fit_softmax_output():
    cl.fit(Variant("softmax"), train(), **quiet())


@mistake("log", "NLLLoss")
def fit_log_softmax_output():
    cl.fit(Variant("log-softmax"), train(), **quiet())


@mistake("nn.ModuleList")
def fit_layers_in_a_plain_list():
    cl.fit(Variant("plain-list"), train(), **quiet())


@mistake("forward builds", "__init__")
def fit_layer_built_in_forward():
    cl.fit(Variant("built-in-forward"), train(), **quiet())


@mistake("Dropout", "__init__")
def fit_dropout_built_in_forward():
    cl.fit(Variant("dropout-in-forward"), train(), **quiet())


@mistake("never called")
def fit_layer_never_called():
    cl.fit(Variant("unused"), train(), **quiet())


@mistake("None", "return")
def fit_forward_without_return():
    cl.fit(Variant("no-return"), train(), **quiet())


@mistake("None", "return")
def evaluate_forward_without_return():
    cl.evaluate(Variant("no-return"), test())


@mistake("None", "return")
def trace_forward_without_return():
    cl.trace(Variant("no-return"), (1, 1, 28, 28))


@mistake("ReLU", "logits")
def fit_relu_after_the_last_layer():
    cl.fit(Variant("relu-last"), train(), **quiet())


@mistake("frozen", "requires_grad_")
def fit_half_frozen_layer():
    model = Tiny()
    model.fc.weight.requires_grad_(False)
    cl.fit(model, train(), **quiet())


@mistake("no trainable parameters")
def fit_everything_frozen():
    cl.fit(Tiny().requires_grad_(False), train(), **quiet())


@mistake("NLLLoss", "log_softmax")
def fit_nll_loss_on_logits():
    cl.fit(Tiny(), train(), loss_fn=nn.NLLLoss(), **quiet())


@mistake("loss_fn", "CrossEntropyLoss")
def fit_mse_loss_on_class_labels():
    cl.fit(Tiny(), train(), loss_fn=nn.MSELoss(), **quiet())


@mistake("255", "normaliz")
def fit_unnormalized_pixels():
    x, y = train()
    cl.fit(Tiny(), ((x * 0.3081 + 0.1307) * 255, y), **quiet())


@mistake("blew up", "lr")
def fit_learning_rate_far_too_high():
    cl.fit(Tiny(), train(), lr=1e4, **quiet(steps=6))


@mistake("aux_loss")
def fit_model_with_two_outputs():
    class TwoOut(Tiny):
        def forward(self, x):
            y = super().forward(x)
            return y, y

    cl.fit(TwoOut(), train(), **quiet())


@mistake("continues", "Tiny()")
def fit_an_already_trained_model_again():
    model = Tiny()
    cl.fit(model, train(), **quiet())
    cl.fit(model, train(), **quiet())


@mistake("unknown optimizer", "adam")
def fit_unknown_optimizer():
    cl.fit(Tiny(), train(), optimizer="adamw", **quiet())


@mistake("augment must return")
def fit_augment_changes_the_shape():
    cl.fit(Tiny(), train(), augment=lambda x: x[:, :, 2:-2, 2:-2], **quiet())


# ---------------------------------------------------------------------------------------------
# 6. Devices, layer names
# ---------------------------------------------------------------------------------------------
@mistake("CUDA", "cpu", needs=no_cuda)
def fit_on_cuda_without_cuda():
    cl.fit(Tiny(), train(), **quiet(device="cuda"))


@mistake("CUDA", "cpu", needs=no_cuda)
def evaluate_on_cuda_without_cuda():
    cl.evaluate(Tiny(), test(), device="cuda")


@mistake("'gpu'", "'cuda'")
def fit_device_gpu():
    cl.fit(Tiny(), train(), **quiet(device="gpu"))


@mistake("'gpu'", "'cuda'", forbid=("CNNLESSONS_DEVICE='gpu'",))
def pick_device_gpu():
    cl.pick_device("gpu")


@mistake("Did you mean")
def show_feature_maps_layer_typo():
    cl.show_feature_maps(Tiny(), test()[0][0], "conv1")


@mistake("feature maps")
def show_feature_maps_of_a_linear_layer():
    cl.show_feature_maps(Tiny(), test()[0][0], "fc")


# ---------------------------------------------------------------------------------------------
# 7. A second batch, written before any fix for them
# ---------------------------------------------------------------------------------------------
@mistake("(images, labels)")
def evaluate_images_and_labels_as_two_arguments():
    x, y = test()
    cl.evaluate(Tiny(), x, y)


@mistake("compose")
def fit_augment_as_a_list():
    from cnnlessons.augment import RandomRotation, RandomShift

    cl.fit(Tiny(), train(), augment=[RandomShift(2), RandomRotation(10)], **quiet())


@mistake("forward", "foward")
def fit_forward_misspelled():
    class Misspelled(Tiny):
        forward = nn.Module.forward

        def foward(self, x):
            return Tiny.forward(self, x)

    cl.fit(Misspelled(), train(), **quiet())


@mistake("meta", "to_empty")
def fit_model_built_on_meta():
    with torch.device("meta"):
        model = Tiny()
    cl.fit(model, train(), **quiet())


@mistake("float64", ".float()")
def fit_images_in_double_precision():
    x, y = train()
    cl.fit(Tiny(), (x.double(), y), **quiet())


@mistake("labels.long()")
def fit_int32_labels():
    x, y = train()
    cl.fit(Tiny(), (x, y.int()), **quiet())


@mistake("labels", "n")
def show_digits_fewer_labels_than_images():
    x, y = test()
    cl.show_digits(x, y[:4], n=8)


@mistake("model", "images")
def show_digits_given_a_model():
    cl.show_digits(Tiny())


@mistake("one number", "reduction")
def fit_loss_without_reduction():
    cl.fit(Tiny(), train(), loss_fn=nn.CrossEntropyLoss(reduction="none"), **quiet())


@mistake("flatten", "784")
def fit_linear_model_without_flatten():
    cl.fit(nn.Sequential(nn.Linear(784, 10)), train(), **quiet())


@mistake("in_features", "28 x 28")
def trace_model_for_28_on_32_pixels():
    cl.trace(Tiny(), (1, 1, 32, 32))


@mistake("dim=1")
def trace_branches_concatenated_along_the_batch():
    class TwoBranches(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(1, 4, 3, padding=1)
            self.b = nn.Conv2d(1, 4, 5, padding=2)
            self.fc = nn.Linear(8 * 28 * 28, 10)

        def forward(self, x):
            return self.fc(torch.flatten(torch.cat([self.a(x), self.b(x)]), 1))

    cl.trace(TwoBranches(), (1, 1, 28, 28))


@mistake("loss", "string")
def doctor_loss_as_a_string():
    return str(cl.doctor(Variant("softmax"), (1, 1, 28, 28), loss="cross_entropy"))


@mistake("model", "parameters")
def fit_given_the_parameters():
    cl.fit(Tiny().parameters(), train(), **quiet())


@mistake("input_size", handled=True)
def channel_explorer_input_size_positional():
    cl.channel_explorer(bottleneck, (1, 192, 28, 28), c_reduce=(4, 64, 4, 16))


@mistake("batch_size")
def fit_batch_size_positional():
    cl.fit(Tiny(), train(), test(), 1, 64, live=False, progress=False, device="cpu")


# ---------------------------------------------------------------------------------------------
# Running and classifying
# ---------------------------------------------------------------------------------------------
def _has(text: str, words: tuple[str, ...]) -> bool:
    low = text.lower()
    return all(w.lower() in low for w in words)


def _clean(text: str, words: tuple[str, ...]) -> bool:
    low = text.lower()
    return not any(w.lower() in low for w in words)


def classify(m: Mistake) -> tuple[str, str]:
    """(outcome, the message that decided it)."""
    shown: str | None = None
    error: str | None = None
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        try:
            shown = m.run()
        except Exception as exc:  # noqa: BLE001  (every error is classified)
            error = f"{type(exc).__name__}: {exc}"
    texts = [t for t in [error, shown if isinstance(shown, str) else None] if t]  # a widget's text, a report
    texts += [f"{w.category.__name__}: {w.message}" for w in caught]
    for text in texts:
        if _has(text, m.keywords) and _clean(text, m.forbid):
            return "diagnosed", text
    if m.handled and error is None:
        return "diagnosed", "handled: it ran as the student meant"
    if error is not None:
        return "raw", error
    ours = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if "cnnlessons" in str(w.filename)
        or "cnnlessons" in str(w.message)
        or w.category.__module__.startswith("cnnlessons")
    ]
    if ours:
        return "raw", ours[0]
    return "silent", texts[0] if texts else ""


def sweep(verbose: bool = False) -> dict[str, list[tuple[str, str]]]:
    """Run every mistake that applies here; returns outcome -> [(name, message)]."""
    torch.manual_seed(0)
    results: dict[str, list[tuple[str, str]]] = {k: [] for k in OUTCOMES}
    for m in MISTAKES:
        if m.needs is not None and not m.needs():
            continue
        t0 = time.perf_counter()
        outcome, text = classify(m)
        results[outcome].append((m.name, text))
        if verbose:
            first = text.strip().splitlines()[0] if text.strip() else ""
            print(f"{outcome:9s} {time.perf_counter() - t0:5.2f}s {m.name:42s} {first[:150]}", flush=True)
    return results


def main() -> None:
    t0 = time.perf_counter()
    results = sweep(verbose="-q" not in sys.argv)
    n = sum(len(v) for v in results.values())
    counts = ", ".join(f"{k} {len(results[k])}" for k in OUTCOMES)
    share = 100 * len(results["diagnosed"]) / n if n else 0.0
    print(
        f"\n{n} mistakes: {counts} ({share:.0f}% diagnosed) in {time.perf_counter() - t0:.1f} s "
        f"[cnnlessons from {cl.__file__}]"
    )


if __name__ == "__main__":
    main()
