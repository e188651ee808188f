"""Lesson 07 helpers: the two MNIST tasks, label remapping, the four ways to train on the new
task, the labels-per-class sweep, and the exercises.

The old task is digits 0-4, the new task digits 5-9. A 5-class head needs labels 0..4, so the
new task's labels are renumbered (5 -> 0, ..., 9 -> 4) by ``remap_labels``; ``fit_new_task``
catches the labels that were forgotten and says so plainly.

The recipe: stage 1 trains a new head on the frozen pretrained backbone; stage 2 unfreezes the
last block and trains it with the head at a 10x lower learning rate. A frozen backbone is a
fixed feature extractor, so stage 1 (and the frozen random control) compute the backbone's
features once and train the head on them: the same result as training the frozen model, at a
fraction of the cost (the notebook checks that they agree).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..counting import count_params
from ..data import load_mnist, load_mnist_uint8, normalize
from ..models.transfer import TransferNet, freeze, transfer_net, unfreeze

OLD_DIGITS = (0, 1, 2, 3, 4)
NEW_DIGITS = (5, 6, 7, 8, 9)

# The four ways to train on the new task, in the order the notebook shows them.
SETTINGS = {
    "frozen pretrained": "pretrained backbone, frozen; a new linear head trained (stage 1)",
    "fine-tuned": "stage 1, then block2 unfrozen and trained with the head at a 10x lower lr (stage 2)",
    "from scratch": "random backbone and head, everything trained",
    "frozen random": "random backbone, frozen; a new linear head trained (the control)",
}

# The budget every setting gets (stage 2 of "fine-tuned" comes on top of stage 1's steps).
STEPS = 200
BATCH_SIZE = 50
LR = 1e-3
FINETUNE_STEPS = 100
FINETUNE_LR = 1e-4
TRAIN_ACC_IMAGES = 1000  # training accuracy is measured on at most this many of the training images


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
def remap_labels(labels: torch.Tensor, digits: Sequence[int] = NEW_DIGITS) -> torch.Tensor:
    """Renumber class labels to 0..len(digits)-1 in the order of ``digits`` (5..9 -> 0..4)."""
    digits = [int(d) for d in digits]
    lookup = torch.full((max(max(digits), int(labels.max())) + 1,), -1, dtype=torch.long)
    lookup[torch.tensor(digits)] = torch.arange(len(digits))
    out = lookup[labels.long().cpu()].to(labels.device)
    if (out < 0).any():
        bad = sorted(set(labels[out.to(labels.device) < 0].tolist()))
        raise ValueError(
            f"labels {bad} are not among digits {tuple(digits)}: load the data with "
            f"cl.load_mnist(..., digits={tuple(digits)}) or pass the right digits"
        )
    return out


def load_task(
    split: str, digits: Sequence[int], subset: int | None = None, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images of ``digits`` only, labels renumbered 0..len(digits)-1 (ready for a small head)."""
    x, y = load_mnist(split, subset=subset, seed=seed, digits=tuple(digits))
    return x, remap_labels(y, digits)


def few_labels(
    labels_per_class: int, seed: int = 0, digits: Sequence[int] = NEW_DIGITS
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exactly ``labels_per_class`` training images of each digit in ``digits``, drawn with
    ``seed``; labels renumbered 0..len(digits)-1. Each seed draws a different set."""
    if not isinstance(labels_per_class, int) or labels_per_class < 1:
        raise ValueError(f"labels_per_class must be a whole number >= 1, got {labels_per_class!r}")
    pixels, labels = load_mnist_uint8("train")
    rng = np.random.default_rng(seed)
    index = np.sort(np.concatenate([rng.permutation(np.flatnonzero(labels == d))[:labels_per_class] for d in digits]))
    x = normalize(torch.from_numpy(pixels[index].copy()))
    return x, remap_labels(torch.from_numpy(labels[index].astype(np.int64)), digits)


# ---------------------------------------------------------------------------------------------
# The label-remap mistake, caught with a message
# ---------------------------------------------------------------------------------------------
def check_labels_fit_head(model: nn.Module, labels: torch.Tensor) -> None:
    """Raise a clear error when the labels do not fit the head (the usual cause: not remapped)."""
    head = getattr(model, "head", None)
    n = head.out_features if isinstance(head, nn.Linear) else None
    if n is None:
        return
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or hi >= n:
        raise ValueError(
            f"the labels go from {lo} to {hi}, but the new head has {n} outputs (classes 0..{n - 1}). "
            f"Did you forget to renumber the new task's labels? Use "
            f"y = remap_labels(y, {NEW_DIGITS}) (5 -> 0, ..., 9 -> 4), or load_task(...), which does it."
        )


def fit_new_task(
    model: nn.Module,
    train_data: tuple[torch.Tensor, torch.Tensor],
    test_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    **fit_kwargs: Any,
):
    """``cl.fit`` after checking that the labels fit the head (see ``check_labels_fit_head``)."""
    from ..train import fit  # noqa: PLC0415

    check_labels_fit_head(model, train_data[1])
    if test_data is not None:
        check_labels_fit_head(model, test_data[1])
    return fit(model, train_data, test_data, **fit_kwargs)


# ---------------------------------------------------------------------------------------------
# Building the models of the four settings
# ---------------------------------------------------------------------------------------------
def build_setting(name: str, pretrained_state: Mapping[str, torch.Tensor] | None, num_classes: int = 5) -> TransferNet:
    """A model at the start of ``name``: pretrained or random backbone, frozen or not, new head.

    "fine-tuned" starts like "frozen pretrained" (stage 1 trains the head first).
    Seed the RNG before calling: the new head (and a random backbone) are drawn from it.
    """
    if name not in SETTINGS:
        raise KeyError(f"unknown setting {name!r}; choose one of: {', '.join(SETTINGS)}")
    model = transfer_net(num_classes)
    if name in ("frozen pretrained", "fine-tuned"):
        if pretrained_state is None:
            raise ValueError(f"{name!r} needs the pretrained weights: pass pretrained_state")
        backbone = {k[len("backbone.") :]: v for k, v in pretrained_state.items() if k.startswith("backbone.")}
        model.backbone.load_state_dict(backbone)
    if name != "from scratch":
        freeze(model.backbone)
    return model


@torch.no_grad()
def features(backbone: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The backbone's output for every image, flattened (N x 3136 for TransferNet), in eval mode."""
    was_training = backbone.training
    backbone.eval()
    device = next(backbone.parameters()).device
    out = None
    try:
        for i in range(0, len(images), batch_size):
            f = torch.flatten(backbone(images[i : i + batch_size].to(device)), 1)
            if out is None:  # one tensor filled in place: no list of pieces to concatenate (memory)
                out = torch.empty(len(images), f.shape[1], dtype=f.dtype, device=f.device)
            out[i : i + len(f)] = f
    finally:
        backbone.train(was_training)
    return out


def train_head_on_features(
    model: TransferNet,
    feats: torch.Tensor,
    labels: torch.Tensor,
    *,
    steps: int = STEPS,
    batch_size: int = BATCH_SIZE,
    lr: float = LR,
    seed: int = 0,
    device: Any = None,
):
    """Stage 1 for a frozen backbone: train ``model.head`` on precomputed features.

    The same batches, initial head and Adam steps as ``cl.fit`` on the frozen model (the
    backbone would compute the same features at every step), without recomputing them.
    Returns the History.
    """
    from ..train import fit  # noqa: PLC0415

    head_only = nn.Sequential(nn.Flatten(), model.head)  # shares the head's parameters
    return fit(
        head_only,
        (feats.reshape(len(feats), -1, 1, 1), labels),
        None,
        steps=steps,
        batch_size=batch_size,
        optimizer="adam",
        lr=lr,
        seed=seed,
        device=device,
        live=False,
        progress=False,
        channels_last=False,
    )


@torch.no_grad()
def _per_class(logits: torch.Tensor, labels: torch.Tensor, classes: int = 5) -> list[float]:
    pred = logits.argmax(1).cpu()
    labels = labels.cpu()
    return [float((pred[labels == c] == c).float().mean()) for c in range(classes)]


@torch.no_grad()
def _logits(model: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        return torch.cat(
            [model(images[i : i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
        )
    finally:
        model.train(was_training)


@dataclass
class TransferRun:
    """One setting trained once: accuracies as fractions (0.95 = 95%)."""

    setting: str
    labels_per_class: int
    seed: int
    test_acc: float
    train_acc: float  # on at most TRAIN_ACC_IMAGES of the training images
    per_class: list[float]  # test accuracy of digits 5, 6, 7, 8, 9
    step_loss: list[float]  # training loss per step (stage 1, then stage 2 if any)
    trainable: int

    @property
    def errors(self) -> float:
        return 1.0 - self.test_acc


@dataclass
class Sweep:
    """Runs of every setting for each (labels per class, seed); ``runs[L, seed, setting]``."""

    runs: dict[tuple[int, int, str], TransferRun] = field(default_factory=dict)
    models: dict[tuple[int, int, str], TransferNet] = field(default_factory=dict)

    @property
    def labels_per_class(self) -> list[int]:
        return sorted({k[0] for k in self.runs})

    @property
    def seeds(self) -> list[int]:
        return sorted({k[1] for k in self.runs})

    @property
    def settings(self) -> list[str]:
        return [s for s in SETTINGS if any(k[2] == s for k in self.runs)]

    def accs(self, setting: str, labels_per_class: int) -> list[float]:
        """Test accuracy of ``setting`` at ``labels_per_class``, one per seed."""
        return [
            self.runs[labels_per_class, s, setting].test_acc
            for s in self.seeds
            if (labels_per_class, s, setting) in self.runs
        ]

    def mean(self, setting: str, labels_per_class: int) -> float:
        a = self.accs(setting, labels_per_class)
        return sum(a) / len(a)

    def table(self) -> str:
        """Mean test accuracy [min, max over seeds] per setting and labels per class."""
        ls = self.labels_per_class
        lines = [f"{'setting':18s}" + "".join(f"{f'{n} per class':>24s}" for n in ls)]
        for name in self.settings:
            cells = []
            for n in ls:
                a = self.accs(name, n)
                cells.append(f"{100 * sum(a) / len(a):6.2f} [{100 * min(a):5.2f}, {100 * max(a):5.2f}]")
            lines.append(f"{name:18s}" + "".join(f"{c:>24s}" for c in cells))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()


def run_settings(
    pretrained_state: Mapping[str, torch.Tensor],
    labels_per_class: int,
    seed: int,
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    settings: Iterable[str] = tuple(SETTINGS),
    steps: int = STEPS,
    finetune_steps: int = FINETUNE_STEPS,
    finetune_lr: float = FINETUNE_LR,
    device: Any = None,
    test_features: dict | None = None,
) -> tuple[dict[str, TransferRun], dict[str, TransferNet]]:
    """Train the chosen settings on ``labels_per_class`` images per digit (drawn with ``seed``).

    Same images, same seed (head initialization, batch order) and the same ``steps`` for every
    setting; "fine-tuned" continues the "frozen pretrained" model for ``finetune_steps`` more
    steps with block2 unfrozen at ``finetune_lr``. ``test_features`` caches the test set's
    features of the pretrained backbone between calls.
    """
    from ..device import seed_everything  # noqa: PLC0415

    settings = list(settings)
    if "fine-tuned" in settings and "frozen pretrained" not in settings:
        settings.insert(0, "frozen pretrained")
    x, y = few_labels(labels_per_class, seed)
    batch = min(BATCH_SIZE, len(x))
    x_test, y_test = test
    cache = test_features if test_features is not None else {}
    runs: dict[str, TransferRun] = {}
    models: dict[str, TransferNet] = {}

    def record(
        name: str, model: TransferNet, test_logits: torch.Tensor, train_logits: torch.Tensor, losses: list[float]
    ) -> None:
        runs[name] = TransferRun(
            name,
            labels_per_class,
            seed,
            float((test_logits.argmax(1) == y_test.cpu()).float().mean()),
            float((train_logits.argmax(1) == y[: len(train_logits)].cpu()).float().mean()),
            _per_class(test_logits, y_test),
            losses,
            count_params(model, trainable=True),
        )
        models[name] = model

    for name in [s for s in SETTINGS if s in settings and s != "fine-tuned"]:
        seed_everything(seed)
        model = build_setting(name, pretrained_state).to(device or "cpu")
        if name == "from scratch":
            hist = train_frozen(model, x, y, seed=seed, steps=steps, device=device)
            record(name, model, _logits(model, x_test), _logits(model, x[:TRAIN_ACC_IMAGES]), hist.step_loss)
            continue
        cached = cache if name == "frozen pretrained" else None  # the same backbone in every call
        test_logits, train_logits, losses = _train_head(model, x, y, x_test, cached, steps, batch, seed, device)
        record(name, model, test_logits, train_logits, losses)

    if "fine-tuned" in settings:
        # Stage 2 on a copy of the stage-1 model: unfreeze the last block, lower the lr.
        model = build_setting("fine-tuned", pretrained_state).to(device or "cpu")
        model.load_state_dict(models["frozen pretrained"].state_dict())
        unfreeze(model.backbone.block2)
        hist = train_frozen(model, x, y, seed=seed, steps=finetune_steps, lr=finetune_lr, device=device)
        record(
            "fine-tuned",
            model,
            _logits(model, x_test),
            _logits(model, x[:TRAIN_ACC_IMAGES]),
            runs["frozen pretrained"].step_loss + hist.step_loss,
        )
    return runs, models


def _train_head(
    model: TransferNet,
    x: torch.Tensor,
    y: torch.Tensor,
    x_test: torch.Tensor,
    cache: dict | None,
    steps: int,
    batch: int,
    seed: int,
    device: Any,
) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Train only the head, on the frozen backbone's features computed once: (test logits, train logits, losses).

    With ``cache`` (the pretrained backbone, the same in every call) the test set's features are
    kept there; a random backbone's are streamed, not kept (60 MB of features each).
    """
    train_features = features(model.backbone, x)
    hist = train_head_on_features(model, train_features, y, steps=steps, batch_size=batch, seed=seed, device=device)
    with torch.no_grad():
        train_logits = model.head(train_features[:TRAIN_ACC_IMAGES].to(model.head.weight.device)).cpu()
    del train_features
    if cache is None:
        return _logits(model, x_test), train_logits, hist.step_loss
    if "pretrained" not in cache:
        cache["pretrained"] = features(model.backbone, x_test)
    with torch.no_grad():
        test_logits = model.head(cache["pretrained"].to(model.head.weight.device)).cpu()
    return test_logits, train_logits, hist.step_loss


def sweep(
    pretrained_state: Mapping[str, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    labels_per_class: Sequence[int] = (5, 10, 50, 200),
    seeds: Sequence[int] = (0, 1, 2),
    settings: Iterable[str] = tuple(SETTINGS),
    device: Any = None,
    verbose: bool = True,
    **kwargs: Any,
) -> Sweep:
    """``run_settings`` for every labels-per-class count and seed; one line per (count, seed)."""
    result = Sweep()
    cache: dict = {}
    for seed in seeds:
        for n in labels_per_class:
            runs, models = run_settings(
                pretrained_state, n, seed, test, settings=settings, device=device, test_features=cache, **kwargs
            )
            for name, run in runs.items():
                result.runs[n, seed, name] = run
            for name, model in models.items():
                result.models[n, seed, name] = model
            if verbose:
                print(
                    f"seed {seed}, {n:4d} per class: "
                    + "  ".join(f"{name} {100 * run.test_acc:.2f}%" for name, run in runs.items()),
                    flush=True,
                )
    return result


def find_inception_weights() -> Path | None:
    """The torchvision Inception v3 checkpoint in the local torch hub cache, or None (never downloads)."""
    hits = sorted(glob(str(Path(torch.hub.get_dir()) / "checkpoints" / "inception_v3_google-*.pth")))
    return Path(hits[-1]) if hits else None


# ---------------------------------------------------------------------------------------------
# A different domain, and stage 1 for any model with frozen parts (exercise 4)
# ---------------------------------------------------------------------------------------------
def invert(images: torch.Tensor) -> torch.Tensor:
    """The same digits with dark strokes on white: pixel p becomes 1 - p (images stay normalized)."""
    from ..data import MNIST_MEAN, MNIST_STD  # noqa: PLC0415

    pixels = images * MNIST_STD + MNIST_MEAN
    return ((1.0 - pixels) - MNIST_MEAN) / MNIST_STD


def train_frozen(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    seed: int = 0,
    steps: int = STEPS,
    lr: float = LR,
    device: Any = None,
):
    """Stage 1's budget for any model: ``steps`` Adam steps at ``lr`` (1e-3), batches of 50 (or all
    of ``x`` when fewer); only the parameters with ``requires_grad=True`` train, so the same call
    trains a model from scratch or, with block2 unfrozen, stage 2. Returns the History."""
    from ..train import fit  # noqa: PLC0415

    return fit(
        model,
        (x, y),
        None,
        steps=steps,
        batch_size=min(BATCH_SIZE, len(x)),
        optimizer="adam",
        lr=lr,
        seed=seed,
        device=device,
        live=False,
        progress=False,
    )


# ---------------------------------------------------------------------------------------------
# Exercises (checked by cnnlessons.lessons._checks; the notebook calls lesson.exercise_N.check)
# ---------------------------------------------------------------------------------------------
from ._checks import Choice, Exercise, Module, Number, Predicate  # noqa: E402


def _trainable_with_frozen_backbone(num_classes: int) -> int:
    model = transfer_net(num_classes)
    freeze(model.backbone)
    return count_params(model, trainable=True)


exercise_1 = Exercise(
    "07.1",
    Number(
        lambda: _trainable_with_frozen_backbone(3),
        form="a whole number, e.g. 1234",
        near=[
            (3136 * 3, "you left out the biases: the head has one per output."),
            (3136 * 5 + 5, "that is the 5-class head of the lesson; this task has 3 classes."),
            (18_816 + 3136 * 3 + 3, "that counts the frozen backbone too; count only what still trains."),
        ],
    ),
    solution="m = models.transfer_net(num_classes=3)\nmodels.freeze(m.backbone)\n"
    "answer = cl.count_params(m, trainable=True)",
    hints=(
        "With the backbone frozen, only the head trains.",
        "The head reads 64 x 7 x 7 = 3,136 features and has 3 outputs; add one bias per output.",
    ),
    wrong=(3136 * 3, 3136 * 5 + 5, 18_816 + 3136 * 3 + 3),
    explanation="only the head trains: 3,136 x 3 weights + 3 biases = 9,411.",
)


def _inception_stage2_7c_only() -> int:
    from torchvision.models import inception_v3  # noqa: PLC0415

    with torch.device("meta"):
        inc = inception_v3(weights=None, aux_logits=False, init_weights=False)
        freeze(inc)
        inc.fc = nn.Linear(inc.fc.in_features, 5)
    unfreeze(inc.Mixed_7c)
    return count_params(inc, trainable=True)


_MIXED_7C = 6_076_800  # torchvision's Inception v3: Mixed_7c's parameters (checked in the tests)

exercise_2 = Exercise(
    "07.2",
    Number(
        _inception_stage2_7c_only,
        form="a whole number, e.g. 1234567",
        near=[
            (_MIXED_7C, "that is Mixed_7c alone; the new fc trains too."),
            (_MIXED_7C + 2048 * 1000 + 1000, "that keeps ImageNet's 1,000-class fc; the new task has 5 classes."),
            (2048 * 5 + 5, "that is stage 1 (only fc); stage 2 unfreezes Mixed_7c as well."),
        ],
    ),
    solution="from torchvision.models import inception_v3\n"
    "with torch.device('meta'):\n"
    "    inc = inception_v3(weights=None, aux_logits=False, init_weights=False)\n"
    "models.freeze(inc)\n"
    "inc.fc = nn.Linear(2048, 5, device='meta')\n"
    "models.unfreeze(inc.Mixed_7c)\n"
    "answer = cl.count_params(inc, trainable=True)",
    hints=(
        "Repeat section 7's cells, but unfreeze only inc.Mixed_7c in stage 2.",
        "Trainable = Mixed_7c's parameters + the new fc's 2,048 x 5 + 5.",
    ),
    wrong=(12_829_957, _MIXED_7C, _MIXED_7C + 2048 * 1000 + 1000),
    explanation="Mixed_7c's 6,076,800 parameters + the new fc's 10,245 = 6,087,045: about half of what "
    "unfreezing Mixed_7a-7c trains.",
)


def _early_features_reference() -> nn.Module:
    from ..models.transfer import conv_block  # noqa: PLC0415

    return nn.Sequential(conv_block(1, 32), nn.Flatten(), nn.Linear(32 * 14 * 14, 5))


_EARLY = Module(_early_features_reference, (2, 1, 28, 28), form="an nn.Module, e.g. nn.Sequential(...)")


def _check_early_features(answer: Any) -> tuple[bool, str]:
    ok, message = _EARLY.check(answer)
    if not ok:
        return False, message
    convs = [m for m in answer.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in answer.modules() if isinstance(m, nn.Linear)]
    if any(p.requires_grad for c in convs for p in c.parameters()):
        return False, "block1 still trains: freeze it (models.freeze(block1)) so that only the new head learns."
    if not linears or not all(p.requires_grad for lin in linears for p in lin.parameters()):
        return False, "the new linear head is frozen too: only block1 should be."
    return True, ""


exercise_3 = Exercise(
    "07.3",
    Predicate(_check_early_features, form="an nn.Module: frozen block1, flatten, a new nn.Linear(6272, 5)"),
    solution="pretrained = models.transfer_net(5)  # in the notebook: the network trained on digits 0-4\n"
    "block1 = pretrained.backbone.block1\n"
    "models.freeze(block1)\n"
    "answer = nn.Sequential(block1, nn.Flatten(), nn.Linear(32 * 14 * 14, 5))",
    hints=(
        "block1 ends with a 2x2 max-pool: its output is N x 32 x 14 x 14.",
        "nn.Sequential(block1, nn.Flatten(), nn.Linear(32 * 14 * 14, 5)), after models.freeze(block1).",
    ),
    wrong=(
        "answer = models.transfer_net(5)",
        "b = models.transfer_net(5).backbone.block1\n"
        "answer = nn.Sequential(b, nn.Flatten(), nn.Linear(32 * 14 * 14, 5))",
        "conv = nn.Conv2d(1, 32, 3, padding=1)\nmodels.freeze(conv)\n"
        "answer = nn.Sequential(conv, nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 14 * 14, 5))",
        "conv = nn.Conv2d(1, 32, 3, padding=1)\nmodels.freeze(conv)\n"
        "answer = nn.Sequential(conv, nn.ReLU(), nn.Flatten(), nn.Linear(32 * 28 * 28, 5))",
    ),
    explanation="a linear classifier on block1's features (32 x 14 x 14 = 6,272 per image): 31,365 trainable "
    "parameters, the 320 of block1 frozen. Earlier features are more general: the standard advice "
    "for a new task that looks different from the old one.",
)


_PRETRAINED: dict[int, dict[str, torch.Tensor]] = {}


def pretrain(seed: int = 0) -> TransferNet:
    """The notebook's section 2 on the CPU: one epoch of Adam over 15,000 images of digits 0-4,
    batch 50. Computed once per seed and process (about 5 s); returns a fresh copy each call."""
    from ..device import seed_everything  # noqa: PLC0415
    from ..train import fit  # noqa: PLC0415

    if seed not in _PRETRAINED:
        x, y = load_task("train", OLD_DIGITS, subset=15_000, seed=seed)
        seed_everything(seed)
        model = transfer_net(len(OLD_DIGITS))
        fit(
            model,
            (x, y),
            None,
            epochs=1,
            batch_size=BATCH_SIZE,
            optimizer="adam",
            seed=seed,
            device="cpu",
            live=False,
            progress=False,
        )
        _PRETRAINED[seed] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model = transfer_net(len(OLD_DIGITS))
    model.load_state_dict(_PRETRAINED[seed])
    return model


exercise_4 = Exercise(
    "07.4",
    Choice(
        "block2",
        options={
            "block2": ("block2", "block 2", "top", "the top features", "last block"),
            "block1": ("block1", "block 1", "earlier", "early", "the earlier features"),
        },
        near={"block1": "measure it: train both heads and compare their test accuracy on the inverted test set."},
    ),
    solution="import copy\n"
    "pretrained = lesson.pretrain()  # the network trained on digits 0-4 (as in section 2)\n"
    "x, y = lesson.few_labels(50, seed=0)\n"
    "x_test, y_test = lesson.load_task('test', lesson.NEW_DIGITS)\n"
    "x, x_test = lesson.invert(x), lesson.invert(x_test)\n"
    "acc = {}\n"
    "for name, body, n in (('block1', pretrained.backbone.block1, 32 * 14 * 14),\n"
    "                      ('block2', pretrained.backbone, 64 * 7 * 7)):\n"
    "    body = models.freeze(copy.deepcopy(body))\n"
    "    torch.manual_seed(0)\n"
    "    m = nn.Sequential(body, nn.Flatten(), nn.Linear(n, 5))\n"
    "    lesson.train_frozen(m, x, y, seed=0)\n"
    "    acc[name] = cl.evaluate(m, (x_test, y_test))[1]\n"
    "answer = max(acc, key=acc.get)",
    hints=(
        "Make the block2 model like stage 1: the whole frozen backbone, flatten, nn.Linear(3136, 5).",
        "Train each with lesson.train_frozen(model, x, y, seed=0) on the inverted images, then "
        "cl.evaluate(model, (lesson.invert(x_new_test), y_new_test)).",
    ),
    wrong=("block1", "earlier", "block 1"),
    explanation="block2, by about two points in our runs (seeds 0-4): inverting the contrast keeps the strokes' "
    "shapes, so the top features still fit the new task. 'Earlier features' is the advice for new "
    "images that really differ from the old ones, such as medical scans after ImageNet photos.",
)
