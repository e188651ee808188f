"""The one exercise-check mechanism every lesson uses.

A lesson module declares its exercises as module-level names ``exercise_1 ... exercise_N``::

    exercise_1 = Exercise("01.1", Number(lambda: 96 * 3 * 11 * 11 + 96, form="a whole number"),
                          solution="answer = 96 * 3 * 11 * 11 + 96", hints=(...,), wrong=(...),
                          explanation="96 filters x (3 x 11 x 11 weights + 1 bias) = 34,944")

and the notebook calls ``lesson.exercise_1.check(answer)`` (prints "Correct: ..." or
"Not yet: ..." and returns a bool) and ``lesson.exercise_1.hint()``. A check never raises: an
answer it cannot read, or a bug in a check, prints "Not yet" and the form it expected.

Expectations: :class:`Number` (counts, sizes with units, fractions), :class:`Shape`,
:class:`Choice` (one of named options), :class:`Module` (a block checked by behaviour with the
reference's weights copied in) and :class:`Predicate` (any test written as a function).
:func:`exercises` lists a lesson's exercises in order; :func:`run_solution` runs one's reference
solution (the answer key, the tests and the nbgrader teacher's edition all use it).
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import math
import re
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any, Callable

__all__ = [
    "Choice",
    "Exercise",
    "Module",
    "Number",
    "Predicate",
    "Shape",
    "Unreadable",
    "exercises",
    "missing",
    "read_number",
    "read_shape",
    "report",
    "run_code",
    "run_solution",
]

NONE_MESSAGE = "replace None with your answer and run the cell again."


# --------------------------------------------------------------------------------------------
# The old two helpers (lessons not yet migrated still call them)
# --------------------------------------------------------------------------------------------
def report(ok: bool, good: str, bad: str) -> bool:
    """Print "Correct: ..." or "Not yet: ..." and return ``ok``."""
    print(("Correct: " + good) if ok else ("Not yet: " + bad))
    return ok


def missing(answer: object) -> bool:
    """An exercise left as ``None``: say so instead of failing."""
    if answer is None:
        print("Not yet: " + NONE_MESSAGE)
        return True
    return False


class Unreadable(ValueError):
    """An answer that cannot be read in the expected form; the message says why, briefly."""


def _resolve(value: Any) -> Any:
    return value() if callable(value) and not isinstance(value, type) else value


def _fmt(x: float) -> str:
    """A number the way a person writes it: 23,296 / 0.35 / 1.23e-05."""
    if isinstance(x, bool):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.1f}"
    if ax >= 1e-3:
        return f"{x:.4g}"
    return f"{x:.3g}"


def _factor(r: float) -> str:
    return f"{r:,.0f}" if r >= 10 else f"{r:.2g}"


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _short(answer: Any, limit: int = 40) -> str:
    try:
        text = repr(answer)
    except Exception:  # noqa: BLE001 - a student's object with a broken __repr__
        text = f"<{type(answer).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Reading numbers
# --------------------------------------------------------------------------------------------
# unit -> (family, factor to the family's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "b": ("bytes", 1.0),
    "byte": ("bytes", 1.0),
    "bytes": ("bytes", 1.0),
    "kb": ("bytes", 1e3),
    "mb": ("bytes", 1e6),
    "gb": ("bytes", 1e9),
    "tb": ("bytes", 1e12),
    "kib": ("bytes", 2.0**10),
    "mib": ("bytes", 2.0**20),
    "gib": ("bytes", 2.0**30),
    "s": ("time", 1.0),
    "sec": ("time", 1.0),
    "secs": ("time", 1.0),
    "second": ("time", 1.0),
    "seconds": ("time", 1.0),
    "ms": ("time", 1e-3),
    "msec": ("time", 1e-3),
    "us": ("time", 1e-6),
    "µs": ("time", 1e-6),
    "μs": ("time", 1e-6),
    "ns": ("time", 1e-9),
    "min": ("time", 60.0),
    "mins": ("time", 60.0),
    "minutes": ("time", 60.0),
    "h": ("time", 3600.0),
    "x": ("times", 1.0),
    "×": ("times", 1.0),
    "times": ("times", 1.0),
    "%": ("percent", 1.0),
    "percent": ("percent", 1.0),
}
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mio": 1e6, "million": 1e6, "g": 1e9, "bn": 1e9, "billion": 1e9}
# Words a student may write after a count; they carry no unit.
_NOUNS = {
    "params",
    "parameters",
    "parameter",
    "weights",
    "weight",
    "multiply-adds",
    "mult-adds",
    "multiply-add",
    "macs",
    "mac",
    "flops",
    "madds",
    "mults",
    "multiplications",
    "ops",
    "features",
    "channels",
    "values",
    "numbers",
    "pixels",
    "images",
    "img/s",
    "points",
    "elements",
    "activations",
    "neurons",
    "filters",
    "units",
    "epochs",
    "layers",
}
_SEP = "[,_' \u00a0\u2009\u202f]"
_NUM_PLAIN = re.compile(r"^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$", re.IGNORECASE)
_NUM_GROUPED = re.compile(rf"^\d{{1,3}}({_SEP}\d{{3}})+(\.\d*)?(e[+-]?\d+)?$", re.IGNORECASE)
_SPLIT = re.compile(rf"^\s*([+-]?)\s*((?:\d|\.\d)(?:[\d.]|{_SEP}(?=\d)|e[+-]?(?=\d))*)\s*(.*?)\s*$", re.IGNORECASE)


def _read_plain(text: str) -> float:
    if _NUM_PLAIN.match(text):
        return float(text)
    if _NUM_GROUPED.match(text):
        return float(re.sub(_SEP, "", text))
    if re.match(r"^\d+,\d{1,2}$", text):
        raise Unreadable(f"{text!r}: write decimals with a dot (e.g. 2.5)")
    raise Unreadable(f"cannot read {text!r} as a number")


def _read_tail(tail: str) -> tuple[float, str | None]:
    """The text after the digits -> (multiplier, unit or None); raises Unreadable."""
    words = tail.strip().rstrip(".").strip()
    if not words:
        return 1.0, None
    low = words.lower()
    for noun in sorted(_NOUNS, key=len, reverse=True):  # "23k params", "1.2M parameters"
        if low.endswith(noun):
            low = low[: -len(noun)].strip()
            break
    if not low:
        return 1.0, None
    if low in _UNITS:  # "ms" is a millisecond before "m" is a million
        return 1.0, low
    for mult in sorted(_MULTIPLIERS, key=len, reverse=True):
        if low.startswith(mult):
            rest = low[len(mult) :].strip()
            if not rest:
                return _MULTIPLIERS[mult], None
            if rest in _UNITS:
                return _MULTIPLIERS[mult], rest
    raise Unreadable(f"cannot read the unit {words!r}")


def read_number(answer: Any) -> tuple[float, str | None]:
    """Any reasonable spelling of a number -> (value, unit or None). Raises :class:`Unreadable`.

    Accepts int, float, numpy and torch scalars (0-d or one-element tensors), and strings such as
    "23296", "23,296", "23 296", "23_296", "23.3k", "1.2M", "1.2 MB", "35%", "2.5x", "400 ms",
    "1e6", "3/4". The unit is returned lower-cased as written ("mb", "%", "ms"); the caller
    converts it to the question's unit.
    """
    if answer is None or isinstance(answer, bool):
        raise Unreadable(f"{answer!r} is not a number")
    if isinstance(answer, (int, float)):
        try:
            return float(answer), None
        except OverflowError:
            raise Unreadable("that number is far too large") from None
    mod = type(answer).__module__ or ""
    if mod.startswith("numpy") or mod.startswith("torch"):
        size = getattr(answer, "numel", None)
        n = size() if callable(size) else getattr(answer, "size", 1)
        if n != 1:
            raise Unreadable(f"{_a(type(answer).__name__)} of {n} values, not one number")
        try:
            value = answer.item()
        except Exception as exc:
            raise Unreadable(f"cannot read {type(answer).__name__} as a number") from exc
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Unreadable(f"{value!r} is not a number")
        return float(value), None
    if isinstance(answer, str):
        text = answer.strip().replace("\u2212", "-")
        text = re.sub(r"^(~|≈|about|approx\.?|approximately)\s*", "", text, flags=re.IGNORECASE)
        frac = re.match(r"^\s*(\d+\.?\d*)\s*/\s*(\d+\.?\d*)\s*$", text)
        if frac:
            den = float(frac.group(2))
            if den == 0:
                raise Unreadable("division by zero")
            return float(frac.group(1)) / den, None
        m = _SPLIT.match(text)
        if not m or not m.group(2):
            raise Unreadable(f"cannot read {answer!r} as a number")
        value = _read_plain(m.group(2).strip())
        mult, unit = _read_tail(m.group(3))
        value *= mult
        return (-value if m.group(1) == "-" else value), unit
    if isinstance(answer, (list, tuple, dict, set)):
        raise Unreadable(f"{_a(type(answer).__name__)}, not one number")
    try:  # Fractions, Decimals and other number-like objects
        import numbers

        if isinstance(answer, numbers.Real):
            return float(answer), None
    except Exception:  # noqa: BLE001
        pass
    raise Unreadable(f"{_a(type(answer).__name__)}, not a number")


def _unit_family(unit: str | None) -> tuple[str, float] | None:
    if unit is None:
        return None
    key = unit.lower()
    if key not in _UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    return _UNITS[key]


class _Expectation:
    form = "an answer"

    def check(self, answer: Any) -> tuple[bool, str]:  # pragma: no cover - interface
        raise NotImplementedError

    def reference(self) -> Any:
        return None


class Number(_Expectation):
    """A number, compared with the tolerance the question states.

    ``value``: the expected value, or a zero-argument callable computing it (called once, on the
    first check). ``rel``/``abs``: relative and absolute tolerance (passes when within either).
    ``unit``: the question's unit ("MB", "KB", "B", "MiB", "x", "%", "s", "ms"); answers written
    with another unit of the same kind are converted ("1200 KB" for MB). ``fraction=True``: the
    expected value is a fraction 0..1, and "35%" or 35 (read as percent, with a note) are
    accepted for 0.35. ``near``: ``[(wrong_value, hint), ...]`` for known plausible mistakes.
    """

    def __init__(
        self,
        value: Any,
        rel: float = 0.0,
        abs: float = 0.0,
        form: str = "a number, e.g. 1234",
        unit: str | None = None,
        fraction: bool = False,
        near: Iterable[tuple[Any, str]] = (),
    ) -> None:
        self._value = value
        self._cache: float | None = None
        self.rel, self.abs = float(rel), float(abs)
        self.form, self.unit, self.fraction = form, unit, fraction
        self.near = list(near)
        self._family = _unit_family(unit)

    def reference(self) -> float:
        if self._cache is None:
            value = _resolve(self._value)
            mod = type(value).__module__ or ""
            if mod.startswith(("numpy", "torch")):
                value = value.item()
            self._cache = value
        return self._cache

    def _close(self, got: float, want: float) -> bool:
        tol = max(self.abs, self.rel * math.fabs(want), 1e-9 * math.fabs(want), 1e-12)
        return math.fabs(got - want) <= tol

    def _unit_text(self) -> str:
        return f" {self.unit}" if self.unit and self.unit not in ("%", "x") else (self.unit or "")

    def _convert(self, value: float, unit: str | None, want: float) -> tuple[float, str]:
        """The answer in the question's unit, plus a note on how it was read ("" if plainly)."""
        fam = _UNITS.get(unit) if unit else None
        if self.fraction:
            if fam and fam[0] == "percent":
                return value / 100.0, ""
            if fam and fam[0] != "times":
                raise Unreadable(f"the answer is a fraction (e.g. 0.35 or 35%), not in {unit}")
            if unit is None and 1.0 < value <= 100.0 and not self._close(value, want):
                return value / 100.0, f"(read {_fmt(value)} as {_fmt(value)}%) "
            return value, ""
        if fam is None:
            if (
                self._family
                and self._family[0] == "percent"
                and value <= 1.0 < math.fabs(want)
                and self._close(value * 100.0, want)
            ):
                return value * 100.0, f"(read {_fmt(value)} as {_fmt(value * 100)}%) "
            return value, ""
        if self._family is None:
            if fam[0] == "times":
                return value, ""
            if fam[0] == "percent":
                return value, ""
            raise Unreadable(f"the question asks for a plain number, not one in {unit}")
        if fam[0] != self._family[0]:
            raise Unreadable(f"the question asks for {self.unit}; {unit!r} is not a unit of that kind")
        return value * fam[1] / self._family[1], ""

    def check(self, answer: Any) -> tuple[bool, str]:
        want = float(self.reference())
        try:
            value, unit = read_number(answer)
        except Unreadable as exc:
            return False, f"{exc}; expected {self.form}."
        if not math.isfinite(value):
            return False, f"{_short(answer)} is not a finite number; expected {self.form}."
        try:
            got, note = self._convert(value, unit, want)
        except Unreadable as exc:
            return False, f"{exc}; expected {self.form}."
        if self._close(got, want):
            return True, note + _fmt(want) + self._unit_text()
        for near_value, hint in self.near:
            if self._close(got, float(_resolve(near_value))):
                return False, note + hint
        if (
            self.rel < 0.005
            and want != 0
            and math.fabs(got / want - 1) < 0.005
            and isinstance(answer, str)
            and re.search(r"[kmgb]|thousand|million|~|≈", answer, re.IGNORECASE)
        ):
            return False, (f"{_fmt(got)} looks rounded; the question asks for {self.form} (give the exact value).")
        return False, note + self._generic_hint(got, want)

    def _generic_hint(self, got: float, want: float) -> str:
        shown = _fmt(got) + self._unit_text()
        if want == 0:
            return f"{shown} is not it."
        ratio = got / want
        if ratio <= 0:
            return f"{shown} has the wrong sign." if ratio < 0 else f"{shown} is not it."
        for factor, what in (
            (1000.0, "a factor of 1,000: check the unit or a missing thousand"),
            (100.0, "a factor of 100: a fraction versus a percentage?"),
        ):
            if math.fabs(ratio / factor - 1) < 0.02 or math.fabs(ratio * factor - 1) < 0.02:
                return f"{shown} is off by {what}"
        if ratio >= 1.5:
            return f"{shown} is about {_factor(ratio)}x too high."
        if ratio <= 1 / 1.5:
            return f"{shown} is about {_factor(1 / ratio)}x too low."
        pct = (ratio - 1) * 100
        return f"{shown} is {math.fabs(pct):.2g}% too {'high' if pct > 0 else 'low'}."


# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------
def read_shape(answer: Any) -> tuple[int, ...]:
    """tuple / list / torch.Size / "(1, 16, 14, 14)" / "1x16x14x14" -> a tuple of ints."""
    if answer is None or isinstance(answer, (bool, dict, set)):
        raise Unreadable(f"{_short(answer)} is not a shape")
    mod = type(answer).__module__ or ""
    if mod.startswith(("torch", "numpy")) and type(answer).__name__ in ("Tensor", "ndarray", "Parameter"):
        raise Unreadable("that is a tensor (its values), not a shape: pass its .shape")
    if isinstance(answer, (int, float)):
        answer = (answer,)
    if isinstance(answer, str):
        text = answer.strip()
        text = re.sub(r"^torch\.Size\s*\(\s*(.*)\s*\)$", r"\1", text)
        text = text.strip().strip("()[]").strip()
        if not text:
            raise Unreadable(f"cannot read {answer!r} as a shape")
        parts = [p for p in re.split(r"\s*(?:,|×|\*|x|X)\s*|\s+", text) if p != ""]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise Unreadable(f"cannot read {answer!r} as a shape") from None
    try:
        items = list(answer)
    except TypeError:
        raise Unreadable(f"{_a(type(answer).__name__)} is not a shape") from None
    out = []
    for item in items:
        value, unit = read_number(item) if not isinstance(item, str) else read_number(item.strip())
        if unit is not None or not float(value).is_integer() or value < 0:
            raise Unreadable(f"{_short(item)} is not a dimension size")
        out.append(int(value))
    return tuple(out)


class Shape(_Expectation):
    """A tensor shape. ``batch=True``: the first dimension is the batch (N, C, H, W)."""

    def __init__(
        self, value: Any, batch: bool = True, form: str | None = None, near: Iterable[tuple[Any, str]] = ()
    ) -> None:
        self._value, self.batch = value, batch
        self._cache: tuple[int, ...] | None = None
        self.form = form or ("a shape such as (1, 16, 14, 14)" if batch else "a shape such as (16, 14, 14)")
        self.near = list(near)

    def reference(self) -> tuple[int, ...]:
        if self._cache is None:
            self._cache = read_shape(_resolve(self._value))
        return self._cache

    def check(self, answer: Any) -> tuple[bool, str]:
        want = self.reference()
        try:
            got = read_shape(answer)
        except Unreadable as exc:
            return False, f"{exc}; expected {self.form}."
        if got == want:
            return True, str(want)
        for near_value, hint in self.near:
            if got == read_shape(_resolve(near_value)):
                return False, hint
        return False, self._generic_hint(got, want)

    def _generic_hint(self, got: tuple[int, ...], want: tuple[int, ...]) -> str:
        shown = str(got)
        if self.batch and len(want) >= 2 and got == want[1:]:
            return f"{shown} has no batch dimension: the shape starts with the batch size."
        if self.batch and len(got) == len(want) + 1 and got[1:] == want:
            return f"{shown} has one dimension too many."
        if len(got) != len(want):
            return f"{shown} has {len(got)} dimensions; the answer has {len(want)}."
        c = 1 if self.batch else 0
        if len(want) == c + 3 and got[:c] == want[:c] and got[c:] == want[c + 1 :] + want[c : c + 1] and got != want:
            return f"{shown} puts the channels last; PyTorch's order is (N, C, H, W)."
        if len(want) > c:
            same_c = got[c] == want[c]
            same_rest = got[c + 1 :] == want[c + 1 :]
            if self.batch and got[0] != want[0] and same_c and same_rest:
                return f"{shown}: the batch size is wrong."
            if same_rest and not same_c:
                return f"{shown}: the number of channels ({got[c]}) is wrong; the spatial size is right."
            if same_c and not same_rest:
                return (
                    f"{shown}: the channels are right, the spatial size is not: "
                    "each layer's output is (size + 2 x padding - kernel) // stride + 1."
                )
        return f"{shown} is not it."


# --------------------------------------------------------------------------------------------
# Choices
# --------------------------------------------------------------------------------------------
def _norm_choice(text: str) -> str:
    text = text.strip().strip("\"'`.!?").strip().lower()
    return re.sub(r"[\s_\-]+", " ", text)


class Choice(_Expectation):
    """One of named options. ``correct``: a key, or several keys (any one of them is right, or
    the student may give them all as a list). ``options``: ``{key: (spellings...)}``."""

    def __init__(
        self,
        correct: Any,
        options: dict[str, Sequence[str]],
        near: dict[str, str] | None = None,
        form: str | None = None,
    ) -> None:
        self.correct = (correct,) if isinstance(correct, str) else tuple(correct)
        self.options = {k: tuple(v) if not isinstance(v, str) else (v,) for k, v in options.items()}
        missing_keys = [k for k in self.correct if k not in self.options]
        if missing_keys:
            raise ValueError(f"correct key(s) {missing_keys} not among the options")
        self.near = dict(near or {})
        names = ", ".join(repr(v[0] if v else k) for k, v in self.options.items())
        self.form = form or f"one of {names}"

    def reference(self) -> Any:
        return self.correct[0] if len(self.correct) == 1 else self.correct

    def _key(self, answer: Any) -> str | None:
        if isinstance(answer, type):
            answer = answer.__name__
        elif not isinstance(answer, (str, int, float)):
            mod = type(answer).__module__ or ""
            if mod.startswith("torch") and hasattr(answer, "forward"):
                answer = type(answer).__name__
            else:
                raise Unreadable(f"{_a(type(answer).__name__)} is not one of the options")
        word = _norm_choice(str(answer))
        for key, spellings in self.options.items():
            if word == _norm_choice(key) or any(word == _norm_choice(s) for s in spellings):
                return key
        return None

    def check(self, answer: Any) -> tuple[bool, str]:
        try:
            if isinstance(answer, (list, tuple, set, frozenset)):
                keys = [self._key(a) for a in answer]
                if None in keys:
                    bad = list(answer)[keys.index(None)]
                    return False, f"{_short(bad)} is not one of the options; expected {self.form}."
                if set(keys) == set(self.correct):
                    return True, ", ".join(self.correct)
                if len(self.correct) == 1:
                    return False, f"give one answer, not {len(keys)}; expected {self.form}."
                wrong = [k for k in keys if k not in self.correct]
                if wrong and wrong[0] in self.near:
                    return False, self.near[wrong[0]]
                return False, (
                    f"{len(set(keys) & set(self.correct))} of your {len(set(keys))} "
                    "choices are right; not all of them, or not only them."
                )
            key = self._key(answer)
        except Unreadable as exc:
            return False, f"{exc}; expected {self.form}."
        if key is None:
            return False, f"{_short(answer)} is not one of the options; expected {self.form}."
        if key in self.correct:
            return True, key
        if key in self.near:
            return False, self.near[key]
        return False, f"{self.options[key][0] if self.options[key] else key} is not it."


# --------------------------------------------------------------------------------------------
# Modules, checked by behaviour
# --------------------------------------------------------------------------------------------
def _n_params(module: Any, ignore_bias: bool = False) -> int:
    return sum(t.numel() for name, t in _named_params(module, ignore_bias))


def _is_conv_or_linear(mod: Any) -> bool:
    from torch import nn

    return isinstance(mod, (nn.modules.conv._ConvNd, nn.Linear, nn.Bilinear))


def _n_biases(module: Any) -> int:
    return sum(
        m.bias.numel() for m in module.modules() if _is_conv_or_linear(m) and getattr(m, "bias", None) is not None
    )


def _bias_names(module: Any) -> set[str]:
    """Names (in state_dict terms) of the convolutions' and linear layers' biases."""
    out = set()
    for name, mod in module.named_modules():
        if _is_conv_or_linear(mod) and getattr(mod, "bias", None) is not None:
            out.add(f"{name}.bias" if name else "bias")
    return out


def _named_params(module: Any, ignore_bias: bool) -> list[tuple[str, Any]]:
    skip = _bias_names(module) if ignore_bias else set()
    return [(n, p) for n, p in module.named_parameters() if n not in skip]


def _units(module: Any, ignore_bias: bool) -> list[list[Any]]:
    """The tensors (parameters, then persistent buffers) each submodule owns directly, one list
    per submodule that owns any, in registration order."""
    units = []
    for mod in module.modules():
        own = [
            p
            for name, p in mod.named_parameters(recurse=False)
            if not (ignore_bias and name == "bias" and _is_conv_or_linear(mod))
        ]
        skip = getattr(mod, "_non_persistent_buffers_set", set())
        own += [b for name, b in mod.named_buffers(recurse=False) if name not in skip and b is not None]
        if own:
            units.append(own)
    return units


_MAX_PAIRINGS = 24


def _pairings(src: Any, dst: Any, ignore_bias: bool) -> tuple[list[list[tuple[Any, Any]]], str]:
    """Ways to pair src's parameters and buffers with dst's, most likely first.

    Layers (a submodule's own tensors) are paired in registration order when every shape
    matches, else grouped by their shapes; layers with the same shapes (two 3x3 convolutions)
    are also tried in other orders, up to a few dozen pairings. When layers cannot be paired,
    single tensors are paired by shape. Returns ([], why) when some tensor has no partner.
    """
    import itertools

    a, b = _units(src, ignore_bias), _units(dst, ignore_bias)

    def sig(unit: list[Any]) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(t.shape) for t in unit)

    out: list[list[tuple[Any, Any]]] = []
    if len(a) == len(b) and all(sig(ua) == sig(ub) for ua, ub in zip(a, b)):
        out.append([(ta, tb) for ua, ub in zip(a, b) for ta, tb in zip(ua, ub)])
    groups_a: dict[tuple, list] = {}
    groups_b: dict[tuple, list] = {}
    for unit in a:
        groups_a.setdefault(sig(unit), []).append(unit)
    for unit in b:
        groups_b.setdefault(sig(unit), []).append(unit)
    if set(groups_a) == set(groups_b) and all(len(groups_a[k]) == len(groups_b[k]) for k in groups_a):
        keys = list(groups_a)
        orders = itertools.product(*(itertools.permutations(groups_b[k]) for k in keys))
        for order in itertools.islice(orders, _MAX_PAIRINGS):
            pairing = [
                (ta, tb)
                for k, units_b in zip(keys, order)
                for ua, ub in zip(groups_a[k], units_b)
                for ta, tb in zip(ua, ub)
            ]
            if not any(_same_pairing(pairing, seen) for seen in out):
                out.append(pairing)
        return out, ""
    if out:
        return out, ""
    # Layers do not match one to one: pair single tensors by shape, order kept within a shape.
    ta_by: dict[tuple, list] = {}
    tb_by: dict[tuple, list] = {}
    for unit in a:
        for t in unit:
            ta_by.setdefault(tuple(t.shape), []).append(t)
    for unit in b:
        for t in unit:
            tb_by.setdefault(tuple(t.shape), []).append(t)
    pairs = []
    for shape in sorted(set(ta_by) | set(tb_by)):
        la, lb = ta_by.get(shape, []), tb_by.get(shape, [])
        if len(la) != len(lb):
            return [], (f"a tensor of shape {shape} has no partner ({len(lb)} in yours, {len(la)} in the reference)")
        pairs.extend(zip(la, lb))
    return [pairs], ""


def _same_pairing(p: list[tuple[Any, Any]], q: list[tuple[Any, Any]]) -> bool:
    return {(id(x), id(y)) for x, y in p} == {(id(x), id(y)) for x, y in q}


def _apply(pairing: list[tuple[Any, Any]]) -> None:
    import torch

    with torch.no_grad():
        for ta, tb in pairing:
            tb.copy_(ta)


def _zero_biases(module: Any) -> None:
    import torch

    with torch.no_grad():
        for mod in module.modules():
            if _is_conv_or_linear(mod) and getattr(mod, "bias", None) is not None:
                mod.bias.zero_()


def _randomize_norms(module: Any, gen: Any) -> None:
    """BatchNorm at initialisation is nearly the identity; give it weights that matter."""
    import torch
    from torch import nn

    with torch.no_grad():
        for mod in module.modules():
            if isinstance(mod, nn.modules.batchnorm._NormBase):
                if mod.weight is not None:
                    mod.weight.copy_(0.5 + torch.rand(mod.weight.shape, generator=gen))
                    mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=gen))
                if getattr(mod, "running_mean", None) is not None:
                    mod.running_mean.copy_(0.1 * torch.randn(mod.running_mean.shape, generator=gen))
                    mod.running_var.copy_(0.5 + torch.rand(mod.running_var.shape, generator=gen))


def _one_line(exc: BaseException, limit: int = 180) -> str:
    text = str(exc).strip().splitlines()
    msg = text[0] if text else ""
    msg = msg if len(msg) <= limit else msg[: limit - 3] + "..."
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


class _NotYet(Exception):
    """Raised inside Module.check to stop at the first thing that differs."""


class Module(_Expectation):
    """A block or model, checked by what it computes.

    ``reference_factory()`` builds the reference; the answer is an ``nn.Module`` instance (a
    class that needs no arguments, or a zero-argument factory, is accepted too). In order: it is
    an nn.Module; it runs on a random input of ``input_shape``; the output shape; named
    degenerate answers (returns its input, relu(x), has no parameters); the parameter count (per
    top-level child where they differ); then the reference's weights are copied in and the
    outputs must agree in eval mode (``rtol``/``atol``). A failing answer is first compared with
    each ``near`` wrong factory (same weights) so a known mistake gets its specific hint.
    ``ignore_bias=True``: convolutions/linear layers with and without biases are both accepted.
    """

    def __init__(
        self,
        reference_factory: Callable[[], Any],
        input_shape: Sequence[int],
        near: Iterable[tuple[Callable[[], Any], str]] = (),
        rtol: float = 1e-4,
        atol: float = 1e-5,
        ignore_bias: bool = False,
        form: str | None = None,
        seed: int = 0,
    ) -> None:
        self.reference_factory = reference_factory
        self.input_shape = tuple(input_shape)
        self.near = list(near)
        self.rtol, self.atol, self.ignore_bias, self.seed = rtol, atol, ignore_bias, seed
        self.form = form or "an nn.Module instance, e.g. MyBlock()"

    # -- the answer -> an nn.Module we may modify ------------------------------------------------
    def _instantiate(self, answer: Any) -> Any:
        from torch import nn

        if isinstance(answer, nn.Module):
            try:
                return copy.deepcopy(answer).cpu()
            except Exception:  # noqa: BLE001 - an un-copyable module is checked as it is
                return answer
        if isinstance(answer, type):
            name = answer.__name__
            if not issubclass(answer, nn.Module):
                raise _NotYet(f"{name} is a class, not an nn.Module; expected {self.form}.")
            try:
                obj = answer()
            except TypeError:
                raise _NotYet(
                    f"{name} needs arguments: pass an instance, e.g. {name}(64) with the sizes the question gives."
                ) from None
            except Exception as exc:  # noqa: BLE001
                raise _NotYet(f"{name}() failed: {_one_line(exc)}") from None
            return obj.cpu()
        if callable(answer):
            try:
                obj = answer()
            except TypeError:
                raise _NotYet(
                    f"{_short(answer)} needs arguments: pass an instance of your module; expected {self.form}."
                ) from None
            except Exception as exc:  # noqa: BLE001
                raise _NotYet(f"calling {_short(answer)} failed: {_one_line(exc)}") from None
            if isinstance(obj, nn.Module):
                return obj.cpu()
            raise _NotYet(f"{_short(answer)} returned a {type(obj).__name__}, not an nn.Module; expected {self.form}.")
        raise _NotYet(f"{_a(type(answer).__name__)} is not an nn.Module; expected {self.form}.")

    def _input(self) -> Any:
        import torch

        gen = torch.Generator().manual_seed(self.seed)
        return torch.randn(self.input_shape, generator=gen)

    @staticmethod
    def _run(module: Any, x: Any) -> Any:
        import torch

        module.eval()
        with torch.no_grad():
            out = module(x)
        if not isinstance(out, torch.Tensor):
            raise _NotYet(f"forward returned a {type(out).__name__}; it should return one tensor.")
        return out

    def _close(self, a: Any, b: Any) -> bool:
        import torch

        return a.shape == b.shape and bool(torch.allclose(a, b, rtol=self.rtol, atol=self.atol))

    def _build_ref(self) -> Any:
        import torch

        gen = torch.Generator().manual_seed(self.seed + 1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + 1)
            ref = self.reference_factory()
        _randomize_norms(ref, gen)
        return ref.cpu()

    def _params_message(self, cand: Any, ref: Any) -> str:
        nc, nr = _n_params(cand, self.ignore_bias), _n_params(ref, self.ignore_bias)
        if nr == 0:
            return (
                f"your module has {nc:,} parameters; the reference has none: this one needs no "
                "learned layers (it only rearranges, pools or pads its input)."
            )
        head = f"your module has {nc:,} parameters, the reference {nr:,}"
        if self.ignore_bias:
            head += " (not counting biases)"
        kids_c, kids_r = list(cand.named_children()), list(ref.named_children())
        names_r = [n for n, _ in kids_r]
        if [n for n, _ in kids_c] == names_r or len(kids_c) == len(kids_r):
            for (name_c, mc), (name_r, mr) in zip(kids_c, kids_r):
                a, b = _n_params(mc, self.ignore_bias), _n_params(mr, self.ignore_bias)
                if a != b:

                    def named(n: str) -> str:
                        return f"layer {n}" if n.isdigit() else n

                    label = named(name_c) if name_c == name_r else f"{named(name_c)} (the reference's {named(name_r)})"
                    hint = ""
                    if not self.ignore_bias:
                        ba, bb = _n_biases(mc), _n_biases(mr)
                        if ba != bb and a - b == ba - bb:
                            hint = ": check its biases (bias=True/False)"
                    if not hint:
                        hint = ": check its channels and kernel size"
                    return f"{head}; {label} has {a:,}, the reference's {b:,}{hint}."
        if not self.ignore_bias:
            bc, br = _n_biases(cand), _n_biases(ref)
            if bc != br and nc - nr == bc - br:
                return f"{head}: check the biases (bias=True/False) of your layers."
        return f"{head}: check each layer's channels and kernel sizes."

    def _compare(self, cand: Any, ref: Any, x: Any, out: Any) -> tuple[bool, str, Any]:
        """Stages against the reference. Returns (ok, message, reference output or None)."""
        import torch

        ref_out = self._run(ref, x)
        if tuple(out.shape) != tuple(ref_out.shape):
            msg = f"the output has shape {tuple(out.shape)}, expected {tuple(ref_out.shape)}"
            if out.dim() == ref_out.dim() and out.dim() >= 2 and out.shape[0] == ref_out.shape[0]:
                if out.dim() == 2:
                    msg += f": {out.shape[1]} values per example instead of {ref_out.shape[1]}"
                elif out.shape[1] != ref_out.shape[1] and out.shape[2:] == ref_out.shape[2:]:
                    msg += f": {out.shape[1]} channels instead of {ref_out.shape[1]}"
                elif out.shape[1] == ref_out.shape[1]:
                    msg += ": the spatial size differs (check padding and stride)"
            return False, msg + ".", ref_out
        ref_is_input = x.shape == ref_out.shape and self._close(ref_out, x)
        if x.shape == out.shape and not ref_is_input:
            if self._close(out, x):
                return False, "your module returns its input unchanged: the layers are never used in forward.", ref_out
            if self._close(out, torch.relu(x)):
                return (
                    False,
                    ("your module returns relu(x): its convolutions are missing or never used in forward."),
                    ref_out,
                )
        nc, nr = _n_params(cand), _n_params(ref)
        if nc == 0 and nr > 0:
            return False, "your module has no parameters: the layers (convolutions) are missing.", ref_out
        if _n_params(cand, self.ignore_bias) != _n_params(ref, self.ignore_bias):
            return False, self._params_message(cand, ref), ref_out
        if self.ignore_bias:
            _zero_biases(ref)
            _zero_biases(cand)
            ref_out = self._run(ref, x)
        pairings, why = _pairings(ref, cand, self.ignore_bias)
        if not pairings:
            return False, (f"the same number of parameters as the reference, but arranged differently: {why}."), ref_out
        for pairing in pairings:
            _apply(pairing)
            if self._close(self._run(cand, x), ref_out):
                return True, "", ref_out
        _apply(pairings[0])
        out = self._run(cand, x)
        return False, self._diagnose(cand, ref, x, out, ref_out), ref_out

    def _diagnose(self, cand: Any, ref: Any, x: Any, out: Any, ref_out: Any) -> str:
        import torch

        diff = float((out - ref_out).abs().max())
        # Does the output depend on the weights at all?
        saved = [p.detach().clone() for p in cand.parameters()]
        with torch.no_grad():
            for p in cand.parameters():
                p.mul_(1.7).add_(0.05)
        moved = self._run(cand, x)
        with torch.no_grad():
            for p, s in zip(cand.parameters(), saved):
                p.copy_(s)
        if _n_params(cand) > 0 and _n_params(ref) > 0 and self._close(moved, out):
            return (
                "with the reference's weights copied in, your output does not depend on the "
                "weights: the convolutions are never used in forward."
            )
        if self._passes_input(ref, x) and not self._passes_input(cand, x):
            return (
                "with every weight set to zero the reference still passes its input through "
                "(y = F(x) + x) and yours gives a constant: the shortcut is missing."
            )
        if self._affine(cand, x) and not self._affine(ref, x):
            return (
                "your module is linear in its input (f(-x) and f(2x) follow from f(x)): the "
                "nonlinearity (ReLU) is missing."
            )
        return (
            f"with the reference's weights copied in, your outputs differ from the reference's "
            f"(largest difference {diff:.3g}): compare your forward with the description, step "
            "by step (order of layers, activations, the shortcut, concatenation order)."
        )

    def _passes_input(self, module: Any, x: Any) -> bool:
        """With all its parameters zero, does the output still depend on the input (a shortcut)?"""
        import torch

        zeroed = copy.deepcopy(module)
        with torch.no_grad():
            for p in zeroed.parameters():
                p.zero_()
        a, b = self._run(zeroed, x), self._run(zeroed, 2 * x + 1)
        return float((a - b).abs().max()) > 1e-4 * (float(a.abs().max()) + 1.0)

    def _affine(self, module: Any, x: Any) -> bool:
        import torch

        f0 = self._run(module, torch.zeros_like(x))
        f1 = self._run(module, x)
        f2 = self._run(module, 2 * x)
        fm = self._run(module, -x)
        scale = float(f1.abs().max()) + 1e-6
        tol = 1e-4 * scale + 1e-5
        return float((f2 - 2 * f1 + f0).abs().max()) <= tol and float((f1 + fm - 2 * f0).abs().max()) <= tol

    def _matches_near(self, answer_module: Any, factory: Callable[[], Any], x: Any) -> bool:
        import torch

        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed + 2)
                wrong = factory()
            _randomize_norms(wrong, torch.Generator().manual_seed(self.seed + 2))
            cand = copy.deepcopy(answer_module)
            if self.ignore_bias:
                _zero_biases(wrong)
                _zero_biases(cand)
            if _n_params(cand, self.ignore_bias) != _n_params(wrong, self.ignore_bias):
                return False
            pairings, _ = _pairings(wrong, cand, self.ignore_bias)
            want = self._run(wrong, x)
            for pairing in pairings:
                _apply(pairing)
                if self._close(self._run(cand, x), want):
                    return True
            return False
        except Exception:  # noqa: BLE001 - a near factory that does not fit says nothing
            return False

    def check(self, answer: Any) -> tuple[bool, str]:
        import torch

        with torch.random.fork_rng(devices=[]):  # the student's random state is left as it was
            return self._check(answer)

    def _check(self, answer: Any) -> tuple[bool, str]:
        try:
            cand = self._instantiate(answer)
        except _NotYet as exc:
            return False, str(exc)
        pristine = copy.deepcopy(cand)
        x = self._input()
        try:
            out = self._run(cand, x)
        except _NotYet as exc:
            return False, str(exc)
        except Exception as exc:  # noqa: BLE001
            text = str(exc).lower()
            if "mat1 and mat2" in text:
                hint = (
                    "a linear layer's in_features must equal channels x height x width of what "
                    "reaches it (after the flatten)"
                )
            elif "sizes of tensors must match" in text:
                hint = "the tensors you concatenate or add differ in size: check each branch's padding and stride"
            elif "channel" in text or "shape" in text:
                hint = "check that each layer's in_channels matches the channels it receives"
            else:
                hint = "print x.shape after each step of forward to find where it breaks"
            return False, (
                f"your module failed on an input of shape {self.input_shape}: {_one_line(exc)}. Hint: {hint}."
            )
        try:
            ok, message, _ = self._compare(cand, self._build_ref(), x, out)
        except _NotYet as exc:
            ok, message = False, str(exc)
        if ok:
            return True, "with the reference's weights, your module computes the same outputs."
        for factory, hint in self.near:
            if self._matches_near(pristine, factory, x):
                return False, hint
        return False, message


class Predicate(_Expectation):
    """Escape hatch: ``fn(answer) -> (ok, message)``; an exception means "Not yet" + ``form``."""

    def __init__(self, fn: Callable[[Any], tuple[bool, str]], form: str = "an answer", reference: Any = None) -> None:
        self.fn, self.form, self._reference = fn, form, reference

    def reference(self) -> Any:
        return _resolve(self._reference) if self._reference is not None else None

    def check(self, answer: Any) -> tuple[bool, str]:
        result = self.fn(answer)
        if isinstance(result, bool):
            return result, ""
        ok, message = result
        return bool(ok), str(message)


# --------------------------------------------------------------------------------------------
# Exercises
# --------------------------------------------------------------------------------------------
class Exercise:
    """One exercise: its key ("01.1"), expectation, reference solution, hints and explanation.

    ``check(answer)`` prints one line, "Correct: <explanation>" or "Not yet: <hint>", and returns
    a bool; ``quiet=True`` prints nothing (autograder tests). ``hint()`` reveals the hints one
    at a time. ``reference()`` is the expected value (None for Module and Predicate).
    """

    def __init__(
        self,
        key: str,
        expect: _Expectation,
        solution: str = "",
        setup: str = "",
        hints: Sequence[str] = (),
        wrong: Sequence[Any] = (),
        explanation: str = "",
        points: int = 1,
    ) -> None:
        self.key, self.expect = key, expect
        self.solution, self.setup = solution, setup
        self.hints = tuple(hints)
        self.wrong = tuple(wrong)
        self.explanation, self.points = explanation, points
        self._hints_shown = 0

    @property
    def form(self) -> str:
        return getattr(self.expect, "form", "an answer")

    def check(self, answer: Any = None, quiet: bool = False) -> bool:
        if answer is None or answer is Ellipsis:
            ok, message = False, NONE_MESSAGE
        else:
            try:
                # The answer's own prints (a forward that prints shapes) would break the one line.
                with contextlib.redirect_stdout(io.StringIO()):
                    ok, message = self.expect.check(answer)
            except Exception:  # noqa: BLE001 - a bug in a check must never show a traceback
                ok, message = False, f"this answer could not be checked; expected {self.form}."
        message = " ".join(str(message or "").split())  # always one line
        if not quiet:
            if ok:
                note = re.match(r"\(read [^)]*\) ", message or "")  # "(read 35 as 35%) "
                text = (note.group(0) if note else "") + self.explanation if self.explanation else message
                print("Correct: " + " ".join(text.split()))
            else:
                print("Not yet: " + (message or f"expected {self.form}."))
        return bool(ok)

    __call__ = check

    def hint(self) -> None:
        """Print the next hint ("Hint 1 of 3: ..."); after the last, say there are no more."""
        n = len(self.hints)
        if n == 0:
            print(f"Exercise {self.key} has no hints: reread the part of the lesson above it.")
        elif self._hints_shown < n:
            self._hints_shown += 1
            print(f"Hint {self._hints_shown} of {n}: {self.hints[self._hints_shown - 1]}")
        else:
            print(
                f"No more hints: all {n} are shown above. The explanation is in the lesson, "
                "in the cells above this exercise."
            )

    def reference(self) -> Any:
        try:
            return self.expect.reference()
        except Exception:  # noqa: BLE001
            return None

    def __repr__(self) -> str:
        return f"<Exercise {self.key}: {self.form}; .check(answer), .hint()>"


def exercises(module: ModuleType) -> list[Exercise]:
    """The module-level ``exercise_1 ... exercise_N`` of a lesson module, in number order."""
    found = []
    for name, value in vars(module).items():
        m = re.fullmatch(r"exercise_(\d+)", name)
        if m and isinstance(value, Exercise):
            found.append((int(m.group(1)), value))
    return [ex for _, ex in sorted(found, key=lambda t: t[0])]


def _namespace(lesson_module: ModuleType | None) -> dict[str, Any]:
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    import cnnlessons as cl

    ns: dict[str, Any] = {
        "torch": torch,
        "nn": nn,
        "F": F,
        "np": np,
        "cl": cl,
        "lesson": lesson_module,
        "__name__": "__exercise__",
    }
    if lesson_module is not None:
        short = lesson_module.__name__.rsplit(".", 1)[-1]
        target = f"cnnlessons.models.{short}"
        try:
            ns["models"] = importlib.import_module(target)
        except ModuleNotFoundError as exc:
            if exc.name != target:
                raise
    return ns


def run_code(code: str, lesson_module: ModuleType | None = None, setup: str = "", label: str = "exercise") -> Any:
    """Run ``setup`` then ``code`` in a fresh lesson namespace; return the ``answer`` it defines."""
    ns = _namespace(lesson_module)
    if setup:
        exec(compile(setup, f"<{label} setup>", "exec"), ns)  # noqa: S102 - our own code
    exec(compile(code, f"<{label}>", "exec"), ns)  # noqa: S102
    if "answer" not in ns:
        raise NameError(f"the code of {label} does not define `answer`")
    return ns["answer"]


def run_solution(ex: Exercise, lesson_module: ModuleType | None = None) -> Any:
    """Execute ``ex.setup`` then ``ex.solution`` with torch, nn, F, np, cl, lesson and models
    (cnnlessons.models.<lesson> when it exists) defined; return the ``answer`` it defines."""
    return run_code(ex.solution, lesson_module, ex.setup, label=f"solution {ex.key}")
