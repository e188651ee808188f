"""Turning a student's mistake into a message: what went wrong, in their terms, and the fix.

One place for the checks every public entry point shares (``fit``, ``evaluate``, ``trace``,
``doctor``, ``load_mnist``, the viewers and widgets):

- argument kinds: a class where a model is needed (``cl.fit(TinyCNN, ...)``), a loss or an
  augmentation class without ``()``, a float or a string where a count or a shape is needed;
- ``input_size`` against the model's first layer: a missing or extra batch dimension, channels
  in the last place;
- shape errors explained by their cause: a missing flatten (feature maps into a Linear), wrong
  ``in_features`` (with the right number), a hard-coded batch size in ``view``, channels that
  differ on the two sides of a residual ``+``, a layer kept in a tuple (a trailing comma);
- labels (negative, or beyond the model's outputs), a ``forward`` that forgot ``return``, a
  device that is not there.

Warnings use ``LessonWarning`` and point at the student's own line, not at this package.
"""

from __future__ import annotations

import inspect
import math
import os
import re
import sys
import warnings
from typing import Any

import torch
from torch import nn

__all__ = ["LessonWarning", "warn"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class LessonWarning(UserWarning):
    """A likely mistake that does not stop the code: it runs on, probably to a poor result."""


def warn(message: str) -> None:
    """Warn once per call, pointing at the first frame outside cnnlessons (the student's line)."""
    level, frame = 2, sys._getframe(1)  # stacklevel 2 is warn()'s caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        level, frame = level + 1, frame.f_back
    with warnings.catch_warnings():
        warnings.simplefilter("always", LessonWarning)  # the same mistake twice is said twice
        warnings.warn(message, LessonWarning, stacklevel=level)


# ---------------------------------------------------------------------------------------------
# Argument kinds
# ---------------------------------------------------------------------------------------------
def _call_hint(obj: Any) -> str:
    """How to call a class or function: ``TinyCNN()``, or ``TinyCNN(...)`` when it needs arguments."""
    try:
        params = inspect.signature(obj).parameters.values()
        needs = any(
            p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            for p in params
        )
    except (TypeError, ValueError):
        needs = False
    prefix = "nn." if getattr(obj, "__module__", "").startswith("torch.nn") else ""
    return f"{prefix}{obj.__name__}({'...' if needs else ''})"


def check_module(obj: Any, fn: str, name: str = "model") -> nn.Module:
    """``obj`` must be a model instance; a class or a factory function gets the call to make one."""
    if isinstance(obj, nn.Module):
        return obj
    if isinstance(obj, type) and issubclass(obj, nn.Module):
        call = _call_hint(obj)
        raise TypeError(
            f"{fn} got the class {obj.__name__}, not a model made from it: create the model "
            f"first, {name} = {call}, then pass {name} (a class is the blueprint; {call} builds one)"
        )
    if inspect.isgenerator(obj):
        raise TypeError(f"{fn} got a generator, probably model.parameters(): pass the model itself, {fn}({name}, ...)")
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        call = _call_hint(obj)
        raise TypeError(
            f"{fn} got the function {obj.__name__}, not a model: call it to build one, "
            f"{name} = {call}, then pass {name}"
        )
    raise TypeError(f"{fn} expects a model (an nn.Module, e.g. {name} = TinyCNN()), got {_kind(obj)}")


def _kind(obj: Any) -> str:
    if isinstance(obj, str):
        return f"the string {obj!r}"
    if isinstance(obj, torch.Tensor):
        return f"a tensor of shape {tuple(obj.shape)}"
    return f"{type(obj).__name__} {obj!r}"[:120]


def check_instance(obj: Any, name: str, example: str) -> Any:
    """A loss, augmentation or other callable object: refuse its class (forgotten ``()``)."""
    if obj is None:
        return obj
    if isinstance(obj, type):
        call, word = _call_hint(obj), name.split("_")[0]
        raise TypeError(
            f"{name}={obj.__name__} is the class, not {'an' if word[0] in 'aeiou' else 'a'} {word} "
            f"made from it: add the parentheses, {name}={call}"
        )
    if isinstance(obj, (list, tuple)) and obj and all(callable(o) for o in obj) and name == "augment":
        parts = ", ".join(type(o).__name__ + "(...)" for o in obj)
        raise TypeError(
            f"augment takes one augmentation, got a {type(obj).__name__} of {len(obj)}: to apply several "
            f"in turn, compose them, augment=cnnlessons.augment.compose({parts})"
        )
    if not callable(obj):
        raise TypeError(f"{name} must be a function or object to call, such as {example}; got {_kind(obj)}")
    return obj


def check_count(
    value: Any, name: str, example: int, minimum: int | None = 1, *, fraction: str = "", allow_none: bool = False
) -> int | None:
    """A whole number >= ``minimum``. ``1e4`` is taken as 10000; ``0.1`` or ``"64"`` get a message.

    ``fraction`` is what to say for a value between 0 and 1 (e.g. how to ask for a share).
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{name} is a whole number such as {name}={example}, got {value!r}")
    if isinstance(value, str):
        hint = f": write {name}={value.strip()} (no quotes)" if value.strip().lstrip("-").isdigit() else ""
        raise TypeError(f"{name} is a whole number such as {name}={example}, got the string {value!r}{hint}")
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) and hasattr(value, "__index__"):
        value = int(value.__index__())  # numpy integers
    if isinstance(value, float):
        extra = f"; {fraction}" if fraction and 0 < value < 1 else ""
        raise ValueError(f"{name} is a whole number such as {name}={example}, got {value}{extra}")
    if not isinstance(value, int):
        raise TypeError(f"{name} is a whole number such as {name}={example}, got {_kind(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value}")
    return value


def check_number(
    value: Any, name: str, example: float, *, positive: bool = False, allow_none: bool = False
) -> float | None:
    """A real number (``lr``, ``momentum``, ``degrees``); a string of a number is named as such."""
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        try:
            float(value)
            hint = f": write {name}={value.strip()} (no quotes)"
        except ValueError:
            hint = ""
        raise TypeError(f"{name} is a number such as {name}={example}, got the string {value!r}{hint}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{name} is a number such as {name}={example}, got {_kind(value)}")
    value = float(value)
    if not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{name} must be a positive number such as {name}={example}, got {value:g}")
    return value


def check_shape(value: Any, name: str = "input_size", example: tuple[int, ...] = (1, 1, 28, 28)) -> tuple[int, ...]:
    """A shape such as ``(1, 1, 28, 28)``: a tuple, list or torch.Size of whole numbers."""
    if isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} is a shape such as {example}, not a tensor: pass {name}=tuple(x.shape) (here {tuple(value.shape)})"
        )
    if isinstance(value, str):
        nums = re.findall(r"\d+", value)
        hint = f": write {name}=({', '.join(nums)}) without quotes" if nums else ""
        raise TypeError(f"{name} is a tuple of whole numbers such as {example}, got the string {value!r}{hint}")
    if isinstance(value, (int, float)):
        raise TypeError(
            f"{name} is a whole shape with the batch first, such as {example}, got the single number {value!r}"
        )
    try:
        shape = tuple(value)
    except TypeError:
        raise TypeError(f"{name} is a tuple of whole numbers such as {example}, got {_kind(value)}") from None
    if not shape or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 1 or isinstance(s, float) and s.is_integer() and s >= 1
        for s in shape
    ):
        raise ValueError(f"{name} must hold whole numbers >= 1, such as {example}, got {value!r}")
    return tuple(int(s) for s in shape)


# ---------------------------------------------------------------------------------------------
# input_size against the model's first layer
# ---------------------------------------------------------------------------------------------
def first_layer(model: nn.Module) -> nn.Module | None:
    """The first convolution or Linear the model registers (usually the first one it calls)."""
    for m in model.modules():
        if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear)):
            return m
    return None


def input_size_problem(model: nn.Module, size: tuple[int, ...], what: str = "input_size") -> str | None:
    """A message when ``size`` cannot be right for the model's first layer, else None.

    Catches the batch dimension left out ((1, 28, 28) for a Conv2d), one dimension too many,
    and channels in the last place ((1, 28, 28, 1)).
    """
    layer = first_layer(model)
    if isinstance(layer, nn.modules.conv._ConvNd):
        nd, c = len(layer.kernel_size), layer.in_channels
        want = nd + 2
        if len(size) == want - 1 and size[0] == c:  # (C, H, W): the channels are there, the batch is not
            fixed = (1, *size)
            return (
                f"{what}={size} has no batch dimension: {type(layer).__name__} layers need "
                f"(batch, channels, {', '.join('HWD'[:nd])}); add the batch dimension: {fixed}"
            )
        if len(size) > want and all(s == 1 for s in size[: len(size) - want + 1]):
            fixed = size[len(size) - want :]
            return f"{what}={size} has an extra dimension (one 1 too many at the front): use {fixed}"
        if len(size) == want and nd == 2 and size[1] != c and size[-1] == c:
            fixed = (size[0], size[-1], *size[1:-1])
            return (
                f"{what}={size} puts the channels last (N, H, W, C); PyTorch wants them second "
                f"(N, C, H, W): use {fixed}"
            )
    if isinstance(layer, nn.Linear) and len(size) == 1 and size[0] == layer.in_features:
        return f"{what}={size} has no batch dimension: include the batch in front, {(1, *size)}"
    return None


def check_input_size(
    model: nn.Module, size: Any, fn: str, example: tuple[int, ...] = (1, 1, 28, 28)
) -> tuple[int, ...]:
    """``check_shape`` and then ``input_size_problem``, raising ValueError with the fix."""
    shape = check_shape(size, "input_size", example)
    problem = input_size_problem(model, shape)
    if problem:
        raise ValueError(f"{fn}: {problem}")
    return shape


def image_batch_problem(model: nn.Module, images: torch.Tensor, name: str = "images") -> str | None:
    """Images (N, H, W, C) for a model whose first convolution reads C channels: say permute."""
    layer = first_layer(model)
    if images.dim() != 4 or not isinstance(layer, nn.Conv2d):
        return None
    c = layer.in_channels
    if images.shape[1] != c and images.shape[-1] == c:
        return (
            f"the {name} tensor has shape {tuple(images.shape)}: channels last (N, H, W, C), but PyTorch "
            f"wants the channels second (N, C, H, W). Fix: {name} = {name}.permute(0, 3, 1, 2)"
        )
    return None


# ---------------------------------------------------------------------------------------------
# Labels and outputs
# ---------------------------------------------------------------------------------------------
def labels_problem(low: int, top: int, classes: int, name: str) -> str | None:
    """Labels must be 0..classes-1: negative ones, or ones beyond the last layer's outputs."""
    if low < 0:
        return (
            f"{name}: labels must be class numbers 0, 1, 2, ... but the smallest is {low}: negative labels "
            f"name no class (cross-entropy cannot use them). If they were shifted, shift them back "
            f"(labels - labels.min() makes them start at 0)"
        )
    if top >= classes:  # fit's training labels keep the wording lesson 07 shows
        where = "" if name == "train_data" else f"{name}: "
        return (
            f"{where}the model outputs {classes} classes but the labels go up to {top}; give the last layer "
            f"{top + 1} outputs, or, if the labels are a few of the classes (say digits 5..9 for a new "
            f"{classes}-class head), renumber them 0..{classes - 1}"
        )
    return None


def check_output(out: Any, batch: int) -> None:
    """The model's (main) output for a batch of ``batch`` images must be logits (batch, classes)."""
    if out is None:
        raise ValueError(
            "the model's forward returned None: it ends without `return` (Python then returns "
            "None). Add `return x` as the last line of forward"
        )
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the model's forward must return a tensor of logits (N, classes), got {_kind(out)}")
    shape = tuple(out.shape)
    if out.dim() >= 1 and shape[0] != batch and shape[0] % batch == 0:
        raise ValueError(
            f"the model returns {shape[0]} rows for a batch of {batch} images ({shape}): something "
            "stacks images along dim 0, the batch. Join channels with torch.cat([...], dim=1) (not "
            "dim=0), and flatten with torch.flatten(x, 1), which keeps one row per image"
        )
    if out.dim() != 2 or shape[0] != batch:
        raise ValueError(
            f"the model must return logits of shape (N, classes), got {shape} for a batch of {batch}; "
            "flatten before the classifier (torch.flatten(x, 1))"
        )


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------
def check_device(device: Any, name: str = "device") -> torch.device | None:
    """``None`` stays None (the caller picks); a device that is not there gets the fix."""
    if device is None:
        return None
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"{name} is a name such as 'cpu' or 'cuda', got {_kind(device)}")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"{name}={device!r} is not a device name: use 'cuda' (an NVIDIA GPU), 'mps' (an Apple "
            "GPU) or 'cpu', or leave it out and cl.pick_device() chooses"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"{name}={device!r} asks for a CUDA GPU, but PyTorch sees no CUDA GPU on this "
            f"machine (torch {torch.__version__}). Use {name}='cpu', or leave {name} out: "
            "cl.pick_device() uses the GPU where there is one"
        )
    mps = getattr(torch.backends, "mps", None)
    if dev.type == "mps" and not (mps is not None and mps.is_available()):
        raise RuntimeError(
            f"{name}={device!r} asks for Apple's MPS GPU, which is not available here. "
            f"Use {name}='cpu', or leave {name} out"
        )
    return dev


# ---------------------------------------------------------------------------------------------
# Shape errors by cause
# ---------------------------------------------------------------------------------------------
def explain_layer(m: nn.Module, shape: tuple[int, ...], short: str, batch: int) -> tuple[str | None, str]:
    """(what went wrong, the fix) when layer ``m`` rejected an input of ``shape``; (None, "") if unknown."""
    if isinstance(m, nn.Linear):
        return _explain_linear(m, shape, short, batch)
    if isinstance(m, nn.modules.conv._ConvNd):
        return _explain_conv(m, shape, short, batch)
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        return _explain_batchnorm(m, shape, short)
    return None, ""


def _explain_linear(m: nn.Linear, shape: tuple[int, ...], short: str, batch: int) -> tuple[str | None, str]:
    if len(shape) >= 3:
        n = math.prod(shape[1:])
        rebuild = (
            "" if n == m.in_features else f", and build {short} for them: {short} = nn.Linear({n}, {m.out_features})"
        )
        return (
            f"{short} got feature maps {list(shape)} (one {' x '.join(map(str, shape[1:]))} block per image), "
            "but a Linear layer needs one flat vector per image: the flatten is missing",
            f"flatten before it: x = torch.flatten(x, 1) (or nn.Flatten() in a Sequential); that gives "
            f"{' * '.join(map(str, shape[1:]))} = {n} features{rebuild}",
        )
    if len(shape) == 2 and shape[0] != batch:
        per_image = math.prod(shape) // batch if math.prod(shape) % batch == 0 else "?"
        cat = "torch.cat along dim 0 (the batch) or " if shape[0] % batch == 0 else ""
        return (
            f"the batch dimension changed from {batch} to {shape[0]} before {short}: images got mixed together, "
            f"by {cat}a view/reshape with a hard-coded size",
            f"{'join branches along the channels with torch.cat([...], dim=1); ' if cat else ''}flatten per image "
            f"with torch.flatten(x, 1) (or x.view(x.size(0), -1)); then {short} = nn.Linear({per_image}, "
            f"{m.out_features})",
        )
    got = shape[-1] if shape else None
    if got is not None and got != m.in_features:
        return (
            f"it receives {got} features but was built with in_features={m.in_features}",
            f"use in_features={got}: {short} = nn.Linear({got}, {m.out_features})",
        )
    return None, ""


def built_for(in_features: int, maps: tuple[int, ...], input_size: tuple[int, ...]) -> tuple[str, int | None]:
    """('; ... it fits about 28 x 28 images, and this input is 32 x 32 ...', 28) when a Linear's
    in_features fits square feature maps of another size than the input gives; ("", None) otherwise."""
    if len(maps) != 4 or len(input_size) != 4 or maps[2] != maps[3] or input_size[2] != input_size[3]:
        return "", None
    c, h = maps[1], maps[2]
    side = math.isqrt(in_features // c) if in_features % c == 0 else 0
    if side * side * c != in_features or side == h:
        return "", None
    size = round(input_size[2] * side / h)
    return (
        f"; in_features depends on the image size: it fits about {size} x {size} images, and this input is "
        f"{input_size[2]} x {input_size[3]} (resize the images to {size} x {size}, or change in_features)",
        size,
    )


def _explain_conv(m: nn.modules.conv._ConvNd, shape: tuple[int, ...], short: str, batch: int) -> tuple[str | None, str]:
    nd = len(m.kernel_size)
    dims = ", ".join("HWD"[:nd])
    if len(shape) == nd + 3 and shape[0] == batch:
        return (
            f"{short} got a {len(shape)}-D input {list(shape)}: one extra dimension "
            f"({type(m).__name__} wants (N, C, {dims}))",
            f"remove the extra dimension, e.g. x.squeeze({1 if shape[1] == 1 else 2}), so the input is (N, C, {dims})",
        )
    if len(shape) not in (nd + 1, nd + 2):
        return (
            f"{type(m).__name__} expects a {nd + 2}-D input (N, C, {dims}), got {len(shape)}-D",
            "keep the batch and channel dimensions: do not flatten before a convolution.",
        )
    got = shape[-nd - 1]
    if got != m.in_channels:
        if nd == 2 and len(shape) == 4 and shape[-1] == m.in_channels:
            return (
                f"{short} expects {m.in_channels} input channels, got {got}: the input {list(shape)} has its "
                f"channels last (N, H, W, C)",
                "put the channels second: x = x.permute(0, 3, 1, 2) (N, H, W, C -> N, C, H, W)",
            )
        return (
            f"{short} expects {m.in_channels} input channels, got {got}: set in_channels={got}",
            f"set in_channels={got}: {short} = nn.{type(m).__name__}({got}, {m.out_channels}, "
            f"kernel_size={m.kernel_size[0]})",
        )
    return None, ""


def _explain_batchnorm(m: nn.Module, shape: tuple[int, ...], short: str) -> tuple[str | None, str]:
    name = type(m).__name__
    want = {"BatchNorm1d": (2, 3), "BatchNorm2d": (4,), "BatchNorm3d": (5,)}.get(name)
    if want and len(shape) not in want:
        if name == "BatchNorm1d" and len(shape) == 4:
            return (
                f"{short} is a BatchNorm1d (for vectors (N, C)) but gets feature maps {list(shape)}",
                f"use nn.BatchNorm2d({m.num_features}) after a convolution; BatchNorm1d is for after a Linear",
            )
        if name == "BatchNorm2d" and len(shape) == 3:
            return (
                f"{short} got a 3-D input {list(shape)}: the batch dimension is missing (BatchNorm2d wants "
                "(N, C, H, W))",
                f"give the model a batch: x.unsqueeze(0), or input_size=(1, {', '.join(map(str, shape))})",
            )
        if name == "BatchNorm2d" and len(shape) == 2:
            return (
                f"{short} is a BatchNorm2d (for feature maps) but gets vectors {list(shape)}",
                f"use nn.BatchNorm1d({m.num_features}) after a Linear",
            )
    if len(shape) > 1 and shape[1] != m.num_features:
        return (
            f"{short} normalises {m.num_features} channels, got {shape[1]}",
            f"set num_features={shape[1]}: {short} = {name}({shape[1]})",
        )
    return None, ""


_VIEW = re.compile(r"shape '\[(-?\d+)(?:, ?(-?\d+))*\]' is invalid for input of size (\d+)")
_ADD = re.compile(
    r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) at non-singleton dimension (\d+)"
)
_BROADCAST = re.compile(r"broadcast a dimension of length (\d+) at (-?\d+)!.*broadcastable to \[([^\]]*)\]")
_DTYPE = re.compile(
    r"Input type \((\w+)\) and (?:bias|weight) type \((\w+)\)|"
    r"same dtype, but got mat1 is (\w+) and mat2 is (\w+)"
)
_CAT = re.compile(r"Sizes of tensors must match except in dimension (\d+)\. Expected size (\d+) but got size (\d+)")


def explain_code_error(exc: BaseException, model: nn.Module, batch: int) -> tuple[str | None, str]:
    """(what, fix) for an error raised by forward's own code between layers; (None, "") if unknown."""
    text = str(exc)
    if isinstance(exc, NotImplementedError) and 'missing the required "forward"' in text:
        return _explain_no_forward(model)
    if m := _DTYPE.search(text):
        names = {
            "double": "float64 (double)",
            "float": "float32 (float)",
            "Double": "float64 (double)",
            "Float": "float32 (float)",
        }
        got, want = (names.get(g, g) for g in ((m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))))
        return (
            f"the input is {got} but the model's weights are {want}: they must match (numpy arrays arrive as float64)",
            "convert the images once: images = images.float() (float32, what models use)",
        )
    held = _layer_in_container(model)
    if isinstance(exc, TypeError) and "object is not callable" in text and held:
        attr, kind, layer = held
        if kind == "tuple":
            return (
                f"self.{attr} is a tuple holding a {layer}, not the layer itself: a trailing comma after "
                f"nn.{layer}(...) in __init__ makes a tuple (and its weights are not part of the model)",
                f"remove the trailing comma: self.{attr} = nn.{layer}(...) rather than self.{attr} = nn.{layer}(...),",
            )
        return (
            f"self.{attr} is a plain Python list of layers, which cannot be called (and its weights are not "
            "part of the model)",
            f"self.{attr} = nn.Sequential(...) to call them in order, or nn.ModuleList and a for loop in forward",
        )
    if (m := _VIEW.search(text)) and m.group(1) not in ("-1", str(batch)):
        return (
            f"a view/reshape asks for a batch of {m.group(1)} images but this batch has {batch}: the batch size "
            "is hard-coded, and the last batch of an epoch (or any other batch size) breaks it",
            "use the batch size of the input: x.view(x.size(0), -1) or torch.flatten(x, 1)",
        )
    if m := _ADD.search(text):
        a, b, dim = m.groups()
        return _explain_add(int(a), int(b), int(dim))
    if m := _BROADCAST.search(text):  # the same on the meta device
        expected = [int(v) for v in m.group(3).split(",") if v.strip()]
        dim = int(m.group(2)) % len(expected) if expected else 1
        return _explain_add(int(m.group(1)), expected[dim] if expected else 0, dim)
    if m := _CAT.search(text):
        return (
            f"torch.cat joins tensors whose dimension {m.group(1)} may differ, but another dimension differs "
            f"({m.group(2)} vs {m.group(3)})",
            "branches that are concatenated along the channels (dim=1) must keep the same height and width: "
            "check each branch's padding and stride",
        )
    return None, ""


def _explain_add(a: int, b: int, dim: int) -> tuple[str, str]:
    if dim == 1:
        return (
            f"adding two tensors with {a} and {b} channels (a residual x + shortcut?): both sides of + need "
            "the same shape",
            f"give the shortcut a 1x1 convolution from {min(a, b)} to {max(a, b)} channels "
            f"(nn.Conv2d({min(a, b)}, {max(a, b)}, 1), with the same stride as the main path)",
        )
    if dim >= 2:
        return (
            f"adding two tensors whose height or width differ ({a} vs {b}) (a residual x + shortcut?)",
            "give the shortcut the main path's stride (a 1x1 convolution with stride 2), or pad the "
            "convolutions so the size stays",
        )
    return (
        f"adding two tensors with {a} and {b} rows (the batch dimension differ)",
        "keep one row per image on both sides of +",
    )


def _explain_no_forward(model: nn.Module) -> tuple[str, str]:
    """A model without forward: usually a typo in the method's name."""
    import difflib  # noqa: PLC0415

    names = [n for n in dir(type(model)) if not n.startswith("_") and callable(getattr(type(model), n, None))]
    own = [n for n in names if n not in dir(nn.Module)]
    close = difflib.get_close_matches("forward", own, n=1, cutoff=0.6)
    typo = f" (it has {close[0]}: a typo?)" if close else ""
    return (
        f"{type(model).__name__} has no forward method{typo}: nn.Module calls forward(x) when you call model(x)",
        f"name the method forward: def forward(self, x){'' if not close else f' instead of def {close[0]}'}",
    )


def _layer_in_container(model: nn.Module) -> tuple[str, str, str] | None:
    """(attribute, "tuple"/"list", first layer's class) for a plain tuple or list of layers on a module."""
    for m in model.modules():
        for attr, value in vars(m).items():
            if isinstance(value, (tuple, list)) and value and all(isinstance(v, nn.Module) for v in value):
                return attr, type(value).__name__, type(value[0]).__name__
    return None


def explain_forward_error(model: nn.Module, x: torch.Tensor, exc: BaseException, what: str = "images") -> str:
    """One message for a model that failed on a real batch ``x``: the cause and the fix."""
    from .trace import TraceError, trace  # noqa: PLC0415  (trace imports this module)

    head = f"the model fails on {what} of shape {tuple(x.shape[1:])} (a batch of {len(x)})"
    problem = image_batch_problem(model, x, "images" if what == "images" else "image")
    if problem:
        return f"{head}: {problem}"
    cause, fix = explain_code_error(exc, model, len(x))
    if cause:
        return f"{head}: {cause}.\n  fix: {fix}"
    size = (min(len(x), 2), *x.shape[1:])
    see = f"cnnlessons.trace(model, {(1, *x.shape[1:])}) shows each layer's output shape"
    try:
        trace(model, size, receptive_field=False)
    except TraceError as err:
        if err.what:
            return f"{head}: {err.what}.\n  fix: {err.fix.rstrip('.')} ({see})"
    except Exception:  # noqa: BLE001  (the tracer could not reproduce it: fall back to the error)
        pass
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"{head}: {first}. Check the first layer's in_channels and the classifier's in_features; "
        f"{see}, up to the layer where the shapes stop matching."
    )


def forward_checked(model: nn.Module, x: torch.Tensor, what: str = "images") -> Any:
    """``model(x)``, with a failure explained by its cause (a TypeError stays a TypeError)."""
    try:
        return model(x)
    except FORWARD_ERRORS as exc:
        raise explained(model, x, exc, what) from exc


FORWARD_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)


def explained(model: nn.Module, x: torch.Tensor, exc: BaseException, what: str = "images") -> Exception:
    """The exception to raise instead of ``exc`` (a TypeError stays a TypeError, the rest ValueError)."""
    kind = TypeError if isinstance(exc, TypeError) else ValueError
    return kind(explain_forward_error(model, x, exc, what))
