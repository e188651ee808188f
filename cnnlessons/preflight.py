"""What ``fit`` and ``evaluate`` check before the first step, and what ``fit`` says after the last.

Before: the arguments' kinds (a model class, a loss class without ``()``, ``epochs=0.5``...), the
data (shapes, label types, negative labels, labels beyond the model's outputs, raw 0..255
pixels), one dry-run batch through the model (shape errors explained by their cause, a
``forward`` without ``return``, a loss that cannot take class labels), then the model doctor's
cheap checks on batches of 2 and 3 (softmax outputs, layers in a plain list or built in
``forward``...), which warn once and let training go on. A model that ``fit`` trained before
gets a notice that this call continues from its weights.

After: a loss that became nan or inf gets a warning naming the learning rate.

The checks cost a few forward passes of 2-3 images (``benchmarks/bench_preflight.py``).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from .diagnose import (
    check_count,
    check_device,
    check_instance,
    check_module,
    check_number,
    check_output,
    forward_checked,
    labels_problem,
    warn,
)
from .losses import main_output

Data = tuple[torch.Tensor, torch.Tensor]
_TRAINED = "_cnnlessons_trained"  # attribute fit leaves on a model it trained: {"steps", "epochs", "calls"}


# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------
def check_fit_args(
    model: Any,
    *,
    epochs: Any,
    steps: Any,
    batch_size: Any,
    eval_every: Any,
    lr: Any,
    seed: Any,
    loss_fn: Any,
    augment: Any,
    optimizer: Any,
    schedule: Any = None,
    precision: Any = "fp32",
) -> tuple:
    """(epochs, steps, batch_size, eval_every, lr, seed), each checked and made an int/float."""
    check_module(model, "cl.fit")
    check_not_meta(model, "cl.fit")
    part = "for part of an epoch use steps=... (one step is one batch of batch_size images)"
    epochs = check_count(epochs, "epochs", 3, fraction=part)
    steps = check_count(steps, "steps", 100, allow_none=True)
    batch_size = check_count(batch_size, "batch_size", 64)
    eval_every = check_count(eval_every, "eval_every", 50, allow_none=True)
    lr = check_number(lr, "lr", 0.01, positive=True, allow_none=True)
    seed = check_count(seed, "seed", 0, minimum=0)
    check_instance(loss_fn, "loss_fn", "nn.CrossEntropyLoss()")
    check_instance(augment, "augment", "RandomShift(2)")
    if isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            "optimizer= takes 'sgd', 'adam', or a function that builds one from the parameters fit "
            "trains, e.g. optimizer=lambda params: torch.optim.SGD(params, lr=0.1); an optimizer "
            "built beforehand cannot be given"
        )
    check_choice("schedule", schedule, (None, "onecycle"))
    check_choice("precision", precision, ("fp32", "bf16"))
    return epochs, steps, batch_size, eval_every, lr, seed


def check_choice(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        choices = " or ".join(repr(a) if a is not None else "None" for a in allowed)
        raise ValueError(f"{name} must be {choices}, got {value!r}")


def check_evaluate_args(model: Any, batch_size: Any, device: Any) -> tuple[int, torch.device | None]:
    check_module(model, "cl.evaluate")
    check_not_meta(model, "cl.evaluate")
    if isinstance(batch_size, torch.Tensor):
        raise TypeError(
            "cl.evaluate takes the data as one pair, cl.evaluate(model, (images, labels)); the labels "
            "arrived as batch_size"
        )
    return check_count(batch_size, "batch_size", 256), check_device(device)


def check_not_meta(model: nn.Module, fn: str) -> None:
    """A model built under ``torch.device("meta")`` has shapes but no weights to train or run."""
    if any(p.is_meta for p in model.parameters()):
        raise ValueError(
            f"{fn}: the model was built on the meta device (shapes only, no weights: what cl.trace uses "
            "for full-size models), so there is nothing to compute with. Build it again outside "
            "`with torch.device('meta')`, or give it real weights: model.to_empty(device='cpu') and "
            "then initialise them (e.g. load a state_dict)"
        )


def check_data(data: Any, name: str) -> Data:
    """A pair (images (N, C, H, W) float, labels (N,) integer) of tensors, as load_mnist returns."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(
            f"{name} must be a pair (images, labels) of tensors, as "
            f"cnnlessons.load_mnist returns; got {type(data).__name__}"
        )
    images, labels = data
    if not (isinstance(images, torch.Tensor) and isinstance(labels, torch.Tensor)):
        raise TypeError(
            f"{name} must hold two tensors (images, labels); got "
            f"({type(images).__name__}, {type(labels).__name__}). "
            "Use torch.as_tensor(...) to convert arrays."
        )
    if images.dim() == 1 and labels.dim() == 4:
        raise ValueError(f"{name} is (labels, images): the order is (images, labels)")
    if images.dim() != 4:
        hint = {
            3: " Add the channel axis with images.unsqueeze(1).",
            5: " One dimension too many: images.squeeze(1)."
            if images.dim() == 5 and images.shape[1] == 1
            else " One dimension too many.",
        }.get(images.dim(), "")
        raise ValueError(f"{name}: images must have shape (N, C, H, W), got {tuple(images.shape)}.{hint}")
    if labels.dim() != 1:
        raise ValueError(
            f"{name}: labels must be a 1-d tensor of class indices, got shape "
            f"{tuple(labels.shape)} (one-hot labels? use labels.argmax(1))"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{name}: {len(images):,} images but {len(labels):,} labels; they must "
            "match one to one (did you slice only one of them?)"
        )
    if len(images) == 0:
        raise ValueError(f"{name} is empty")
    if labels.dtype not in (torch.int64, torch.uint8):
        raise TypeError(f"{name}: labels must be integer class indices (int64), got {labels.dtype}; use labels.long()")
    if not images.dtype.is_floating_point:
        raise TypeError(
            f"{name}: images must be float (normalized), got {images.dtype}; "
            "use cnnlessons.load_mnist, or images.float() / 255 and normalize"
        )
    return images, labels


# ---------------------------------------------------------------------------------------------
# Before the first step
# ---------------------------------------------------------------------------------------------
def before_fit(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    test_labels: torch.Tensor | None,
    device: torch.device,
    augment: Callable | None,
    loss_fn: Callable,
) -> str:
    """The dry run, the doctor's checks and the notices. Returns the note for the log lines
    ("" for a fresh model, " (continuing: ... already trained)" otherwise)."""
    check_model_fits(model, images, labels, test_labels, device, augment, loss_fn)
    _warn_raw_pixels(images)
    _warn_doctor(model, images, loss_fn)
    return _continue_note(model)


def _main(outputs: Any) -> Any:
    return main_output(outputs)


@torch.no_grad()
def check_model_fits(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    test_labels: torch.Tensor | None,
    device: torch.device,
    augment: Callable | None,
    loss_fn: Callable | None = None,
) -> None:
    """Dry run on two images (eval mode, so batch-norm statistics are untouched)."""
    x = images[:2].to(device)
    if augment is not None:
        ax = augment(x)
        if not isinstance(ax, torch.Tensor) or ax.shape != x.shape:
            raise ValueError(
                f"augment must return a tensor shaped like its input {tuple(x.shape)}, "
                f"got {getattr(ax, 'shape', type(ax).__name__)}"
            )
    was_training = model.training
    model.eval()
    try:
        outputs = forward_checked(model, x)
    finally:
        model.train(was_training)
    out = _main(outputs)
    check_output(out, len(x))
    for lab, name in ((labels, "train_data"), (test_labels, "test_data")):
        if lab is not None:
            check_labels(lab, out.shape[1], name)
    if loss_fn is not None:
        _check_loss(loss_fn, outputs, labels[:2].to(device))


def check_batch_output(out: Any, labels: torch.Tensor, batch: int, name: str) -> None:
    """evaluate's first batch: logits (batch, classes) and labels that fit them."""
    check_output(out, batch)
    check_labels(labels, out.shape[1], name)


def check_labels(labels: torch.Tensor, classes: int, name: str) -> None:
    problem = labels_problem(int(labels.min()), int(labels.max()), classes, name)
    if problem:
        raise ValueError(problem)


def _check_loss(loss_fn: Callable, outputs: Any, y: torch.Tensor) -> None:
    """The loss must take the logits and class-number labels and give one number."""
    if getattr(loss_fn, "__module__", "") == "cnnlessons.train":
        return  # fit's own losses explain their errors themselves, during the first step
    name = type(loss_fn).__name__ if isinstance(loss_fn, nn.Module) else getattr(loss_fn, "__name__", "loss_fn")
    shape = tuple(_main(outputs).shape)
    try:
        loss = loss_fn(outputs, y)
    except Exception as exc:  # noqa: BLE001  (any failure: say what fit passes to the loss)
        raise ValueError(
            f"loss_fn={name} fails on what fit gives it: the model's outputs {shape} and {len(y)} labels "
            f"that are class numbers ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
            "For class labels use a classification loss: nn.CrossEntropyLoss() (the default: leave "
            "loss_fn out)"
        ) from exc
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise ValueError(
            f"loss_fn={name} must return one number (a 0-d tensor) to call backward on, got "
            f"{getattr(loss, 'shape', type(loss).__name__)}; use reduction='mean' (the default)"
        )


def _warn_raw_pixels(images: torch.Tensor) -> None:
    top = float(images[:512].abs().max())
    if top > 20:
        warn(
            f"cl.fit: the images' values go up to {top:.0f}: they look like raw pixels (0 to 255), and a network "
            "trains badly on such large inputs. Scale and normalize them first: x = (x / 255 - 0.1307) / 0.3081 "
            "for MNIST (cl.load_mnist gives them normalized already)"
        )


def _warn_doctor(model: nn.Module, images: torch.Tensor, loss_fn: Callable) -> None:
    """The model doctor on batches of 2 and 3: problems that let training run but spoil it."""
    from .doctor import Findings, doctor  # noqa: PLC0415  (doctor imports trace; fit needs it only here)

    found = doctor(model, (2, *images.shape[1:]), loss=loss_fn)
    found = Findings(f for f in found if not (f.kind == "frozen" and f.path == "(model)"))  # fit stops on that
    if found:
        warn(
            "cl.fit checked the model on a small batch before training. It trains anyway, but this will "
            f"make it train badly or not at all:\n{found}"
        )


def _continue_note(model: nn.Module) -> str:
    done = getattr(model, _TRAINED, None)
    if not done:
        return ""
    name = type(model).__name__
    call = f"{name}()" if name != "Sequential" else "nn.Sequential(...)"
    warn(
        f"cl.fit: this {name} was already trained by cl.fit ({done['epochs']:.2f} epochs, {done['steps']} steps, in "
        f"{done['calls']} earlier call{'s' if done['calls'] > 1 else ''}). This call continues from its current "
        f"weights; it does not start again. To start fresh, build a new model first: model = {call}"
    )
    return f" (continuing: {done['epochs']:.2f} epochs already trained)"


# ---------------------------------------------------------------------------------------------
# After the last step
# ---------------------------------------------------------------------------------------------
def after_fit(model: nn.Module, steps: int, steps_per_epoch: int, step_loss: list[float], lr: float | None) -> None:
    """Remember the training on the model (for the next call's notice); warn when the loss blew up."""
    done = getattr(model, _TRAINED, None) or {"steps": 0, "epochs": 0.0, "calls": 0}
    object.__setattr__(
        model,
        _TRAINED,
        {
            "steps": done["steps"] + steps,
            "epochs": done["epochs"] + steps / max(steps_per_epoch, 1),
            "calls": done["calls"] + 1,
        },
    )
    _warn_diverged(step_loss, lr)


def _warn_diverged(step_loss: list[float], lr: float | None) -> None:
    """A loss that became nan/inf, or 100x its first value (and > 50): the learning rate is too high."""
    if not step_loss:
        return
    first = step_loss[0]
    bad = next((i for i, v in enumerate(step_loss) if not math.isfinite(v) or v > max(100 * first, 50)), None)
    if bad is None:
        return
    rate = f"lr={lr:g}" if lr is not None else "the default lr"
    warn(
        f"cl.fit: the loss blew up at step {bad + 1} of {len(step_loss)} (from {first:.3g} to {step_loss[bad]:.3g}; "
        f"nan or inf when it overflows): the weights diverged, almost always because the learning rate is too "
        f"high ({rate}). Build a fresh model and train it with a 10x smaller lr"
    )
