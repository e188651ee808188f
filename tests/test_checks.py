"""The exercise-check mechanism (cnnlessons/lessons/_checks.py): reading answers, every
expectation class, and the promise that a check prints "Correct"/"Not yet" and never raises."""

from __future__ import annotations

import fractions
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlessons.lessons import _checks
from cnnlessons.lessons._checks import (
    Choice,
    Exercise,
    Module,
    Number,
    Predicate,
    Shape,
    Unreadable,
    exercises,
    read_number,
    read_shape,
    run_code,
    run_solution,
)

JUNK = (
    "abc",
    "",
    "   ",
    [1, 2],
    {},
    set(),
    (),
    object(),
    "1.2.3",
    "12 apples",
    "--5",
    float("nan"),
    float("inf"),
    "inf",
    True,
    False,
    b"12",
    np.array([1, 2]),
    torch.zeros(2, 2),
    nn.ReLU,
    print,
)


def one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def assert_ok(ex: Exercise, answer, capsys) -> None:
    assert ex.check(answer) is True, (answer, capsys.readouterr().out)
    line = one_line(capsys)
    assert line.startswith("Correct: "), line


def assert_not_yet(ex: Exercise, answer, capsys, contains: str = "") -> str:
    assert ex.check(answer) is False, answer
    line = one_line(capsys)
    assert line.startswith("Not yet: "), line
    assert "Traceback" not in line
    assert contains.lower() in line.lower(), line
    return line


# ---------------------------------------------------------------------------------------------
# read_number
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, value, unit",
    [
        (23296, 23296, None),
        (23296.0, 23296, None),
        ("23296", 23296, None),
        ("23,296", 23296, None),
        ("23 296", 23296, None),
        ("23_296", 23296, None),
        ("23\u202f296", 23296, None),
        ("1,234,567", 1234567, None),
        ("1,234.5", 1234.5, None),
        ("23.3k", 23300, None),
        ("23.3K", 23300, None),
        ("1.2M", 1.2e6, None),
        ("1.2 million", 1.2e6, None),
        ("3 thousand", 3000, None),
        ("1.2 MB", 1.2, "mb"),
        ("1200 KB", 1200, "kb"),
        ("1200kB", 1200, "kb"),
        ("2.5x", 2.5, "x"),
        ("2.5 ×", 2.5, "×"),
        ("35%", 35, "%"),
        ("35 %", 35, "%"),
        ("0.4 s", 0.4, "s"),
        ("400 ms", 400, "ms"),
        ("400ms", 400, "ms"),
        ("1e6", 1e6, None),
        ("1.5e-3", 1.5e-3, None),
        ("-3", -3, None),
        ("\u22123", -3, None),
        (".35", 0.35, None),
        ("3/4", 0.75, None),
        ("~23k", 23000, None),
        ("23,296 parameters", 23296, None),
        ("1.2M params", 1.2e6, None),
        ("23296.", 23296, None),
        (np.int64(7), 7, None),
        (np.float32(0.5), 0.5, None),
        (torch.tensor(7), 7, None),
        (torch.tensor([2.5]), 2.5, None),
        (np.array(3.0), 3.0, None),
        (fractions.Fraction(1, 4), 0.25, None),
    ],
)
def test_read_number_forms(text, value, unit):
    got, got_unit = read_number(text)
    assert got == pytest.approx(value)
    assert got_unit == unit


@pytest.mark.parametrize(
    "junk",
    [
        "abc",
        "",
        "1.2.3",
        "12 apples",
        "2,5",
        "12,34,5",
        [1, 2],
        (3,),
        {},
        10**400,
        None,
        True,
        torch.zeros(3),
        np.arange(2),
        object(),
        "k",
        "MB",
    ],
)
def test_read_number_rejects(junk):
    with pytest.raises(Unreadable):
        read_number(junk)


def test_decimal_comma_gets_its_own_message():
    with pytest.raises(Unreadable, match="dot"):
        read_number("2,5")


# ---------------------------------------------------------------------------------------------
# Number
# ---------------------------------------------------------------------------------------------
def conv1_exercise() -> Exercise:
    return Exercise(
        "99.1",
        Number(
            lambda: 96 * 3 * 11 * 11 + 96, form="a whole number, e.g. 1234", near=[(34848, "you left out the biases")]
        ),
        solution="answer = 96 * 3 * 11 * 11 + 96",
        hints=("Each filter sees 3 channels of 11 x 11.", "Add one bias per filter."),
        wrong=(34848, 96 * 11 * 11, 290400),
        explanation="96 filters x (3 x 11 x 11 weights + 1 bias) = 34,944",
    )


@pytest.mark.parametrize(
    "answer",
    [
        34944,
        34944.0,
        "34944",
        "34,944",
        "34 944",
        "34_944",
        "34.944k",
        np.int64(34944),
        np.float64(34944),
        torch.tensor(34944),
        torch.tensor([34944.0]),
        "34,944 parameters",
        " 34944 ",
    ],
)
def test_number_right_forms(answer, capsys):
    ex = conv1_exercise()
    assert_ok(ex, answer, capsys)


def test_number_prints_the_explanation(capsys):
    conv1_exercise().check(34944)
    assert one_line(capsys) == "Correct: 96 filters x (3 x 11 x 11 weights + 1 bias) = 34,944"


def test_number_near_gives_the_specific_hint(capsys):
    assert_not_yet(conv1_exercise(), 34848, capsys, "you left out the biases")
    assert_not_yet(conv1_exercise(), "34,848", capsys, "you left out the biases")


@pytest.mark.parametrize(
    "answer, words",
    [
        (96 * 11 * 11, "3x too low"),
        (290400, "8.3x too high"),
        (34944 * 1000, "factor of 1,000"),
        (-34944, "sign"),
        (35000, "too high"),
        ("35k", "rounded"),
        (34945, "too high"),
    ],
)
def test_number_wrong_answers_get_a_generic_hint(answer, words, capsys):
    assert_not_yet(conv1_exercise(), answer, capsys, words)


@pytest.mark.parametrize("junk", JUNK)
def test_number_junk_is_not_yet_without_exception(junk, capsys):
    line = assert_not_yet(conv1_exercise(), junk, capsys)
    assert "whole number" in line or "finite" in line


def test_none_asks_for_an_answer(capsys):
    assert_not_yet(conv1_exercise(), None, capsys, "replace None with your answer and run the cell again.")
    assert conv1_exercise().check(...) is False


def test_quiet_prints_nothing(capsys):
    ex = conv1_exercise()
    assert ex.check(34944, quiet=True) is True
    assert ex.check("abc", quiet=True) is False
    assert ex.check(None, quiet=True) is False
    assert capsys.readouterr().out == ""


def test_call_is_check(capsys):
    ex = conv1_exercise()
    assert ex(34944) is True
    assert ex(1) is False
    assert capsys.readouterr().out.count("\n") == 2


def test_tolerance_rel_and_abs(capsys):
    ex = Exercise("99.2", Number(57.3, rel=0.02, form="a number with one decimal, e.g. 12.3"))
    for right in (57.3, 57, 58, "57.3", 56.5):
        assert_ok(ex, right, capsys)
    for wrong in (55, 60, 5.73, 573):
        assert_not_yet(ex, wrong, capsys)
    ex = Exercise("99.3", Number(0.5, abs=0.05))
    for right in (0.5, 0.46, "0.54"):
        assert_ok(ex, right, capsys)
    for wrong in (0.44, 0.56, 5):
        assert_not_yet(ex, wrong, capsys)


def test_number_exact_integer_is_exact(capsys):
    ex = Exercise("99.4", Number(13))
    assert_ok(ex, 13, capsys)
    for wrong in (12, 14, 13.5, "13.01"):
        assert_not_yet(ex, wrong, capsys)


def test_fraction_accepts_fraction_percent_and_bare_percent(capsys):
    ex = Exercise("99.5", Number(0.35, rel=0.01, fraction=True, form="a fraction, e.g. 0.5"))
    for right in (0.35, "0.35", ".35", "35%", "35 %", "35.0%", np.float32(0.35), "7/20"):
        assert_ok(ex, right, capsys)
    assert ex.check(35) is True
    line = one_line(capsys)
    assert line.startswith("Correct: (read 35 as 35%) ")
    ex2 = Exercise("99.6", Number(0.35, rel=0.01, fraction=True), explanation="35 of 100")
    ex2.check("35")
    assert one_line(capsys) == "Correct: (read 35 as 35%) 35 of 100"
    for wrong in (0.65, "65%", 3.5, 0.035, "0.5", "35 MB"):
        assert_not_yet(ex, wrong, capsys)
    for junk in ("35 percent of", "abc", [0.35]):
        assert_not_yet(ex, junk, capsys)


def test_units_are_converted_to_the_questions_unit(capsys):
    mb = Exercise("99.7", Number(1.2, rel=0.02, unit="MB", form="megabytes, e.g. 3.4 MB"))
    for right in (
        1.2,
        "1.2",
        "1.2 MB",
        "1.2MB",
        "1200 KB",
        "1200kb",
        "1,200,000 B",
        "1.2e6 bytes",
        "1.145 MiB",
        "0.0012 GB",
    ):
        assert_ok(mb, right, capsys)
    assert_not_yet(mb, "1.2 ms", capsys, "not a unit of that kind")
    assert_not_yet(mb, 1200, capsys, "factor of 1,000")
    assert_not_yet(mb, "2.4 MB", capsys, "2x too high")
    assert_not_yet(mb, "1.2 KB", capsys)
    t = Exercise("99.8", Number(0.4, rel=0.05, unit="s"))
    for right in (0.4, "0.4 s", "0.4s", "400 ms", "400ms", "400000 us", "0.4 seconds"):
        assert_ok(t, right, capsys)
    for wrong in ("400 s", "4 ms", "0.4 MB"):
        assert_not_yet(t, wrong, capsys)
    ratio = Exercise("99.9", Number(2.5, rel=0.02, unit="x"))
    for right in (2.5, "2.5", "2.5x", "2.5 x", "2.5×", "2.5 times"):
        assert_ok(ratio, right, capsys)
    for wrong in (0.4, "25x", "2.5%", "2,5"):
        assert_not_yet(ratio, wrong, capsys)
    pct = Exercise("99.10", Number(97.5, abs=0.5, unit="%"))
    for right in (97.5, "97.5%", "97.5 %", 97.2):
        assert_ok(pct, right, capsys)
    assert pct.check(0.975, quiet=True) is True  # a fraction where percent is asked
    for wrong in (95, "0.9 %", "97.5 MB"):
        assert_not_yet(pct, wrong, capsys)
    plain = Exercise("99.11", Number(1000))
    assert_not_yet(plain, "1000 MB", capsys, "plain number")
    assert_ok(plain, "1k", capsys)


def test_reference_and_callable_evaluated_once():
    calls = []

    def value():
        calls.append(1)
        return torch.tensor(42)

    ex = Exercise("99.12", Number(value))
    assert ex.reference() == 42
    ex.check(42, quiet=True)
    ex.check(41, quiet=True)
    assert len(calls) == 1


# ---------------------------------------------------------------------------------------------
# Hints
# ---------------------------------------------------------------------------------------------
def test_hints_one_at_a_time_then_no_more(capsys):
    ex = conv1_exercise()
    ex.hint()
    assert one_line(capsys) == "Hint 1 of 2: Each filter sees 3 channels of 11 x 11."
    ex.hint()
    assert one_line(capsys) == "Hint 2 of 2: Add one bias per filter."
    ex.hint()
    line = one_line(capsys)
    assert "no more hints" in line.lower() and "lesson" in line
    Exercise("99.13", Number(1)).hint()
    assert "no hints" in one_line(capsys)


# ---------------------------------------------------------------------------------------------
# Shape
# ---------------------------------------------------------------------------------------------
def shape_exercise() -> Exercise:
    return Exercise(
        "99.20",
        Shape(lambda: torch.zeros(1, 32, 7, 7).shape, near=[((1, 32, 6, 6), "you forgot the padding")]),
        explanation="32 maps of 7 x 7",
    )


@pytest.mark.parametrize(
    "answer",
    [
        (1, 32, 7, 7),
        [1, 32, 7, 7],
        torch.Size([1, 32, 7, 7]),
        "(1, 32, 7, 7)",
        "[1, 32, 7, 7]",
        "torch.Size([1, 32, 7, 7])",
        "1x32x7x7",
        "1 x 32 x 7 x 7",
        "1×32×7×7",
        "1, 32, 7, 7",
        (np.int64(1), 32, 7.0, 7),
        torch.zeros(1, 32, 7, 7).shape,
    ],
)
def test_shape_right_forms(answer, capsys):
    assert_ok(shape_exercise(), answer, capsys)


@pytest.mark.parametrize(
    "answer, words",
    [
        ((32, 7, 7), "no batch dimension"),
        ((1, 7, 7, 32), "channels last"),
        ((1, 16, 7, 7), "number of channels"),
        ((1, 32, 14, 14), "spatial size"),
        ((2, 32, 7, 7), "batch size"),
        ((1, 32, 6, 6), "you forgot the padding"),
        ((1, 1, 32, 7, 7), "one dimension too many"),
        ((32, 7), "dimensions"),
        ((1, 3, 5, 5), "not it"),
    ],
)
def test_shape_wrong_answers_get_hints(answer, words, capsys):
    assert_not_yet(shape_exercise(), answer, capsys, words)


@pytest.mark.parametrize(
    "junk",
    [
        "abc",
        "",
        "(1, a, 7)",
        {},
        None,
        3.5,
        torch.zeros(1, 32, 7, 7),
        (1.5, 2),
        ("x",),
        object(),
        nn.Conv2d,
        [-1, 32, 7, 7],
    ],
)
def test_shape_junk(junk, capsys):
    assert_not_yet(shape_exercise(), junk, capsys)


def test_read_shape():
    assert read_shape("torch.Size([2, 3])") == (2, 3)
    assert read_shape("32x7x7") == (32, 7, 7)
    assert read_shape([1, "32", 7]) == (1, 32, 7)
    assert read_shape(torch.Size([])) == ()


def test_shape_without_batch(capsys):
    ex = Exercise("99.21", Shape((16, 14, 14), batch=False))
    for right in ((16, 14, 14), "16x14x14", torch.Size([16, 14, 14])):
        assert_ok(ex, right, capsys)
    assert_not_yet(ex, (14, 14, 16), capsys, "channels last")
    assert_not_yet(ex, (8, 14, 14), capsys, "channels")
    assert_not_yet(ex, (1, 16, 14, 14), capsys)


# ---------------------------------------------------------------------------------------------
# Choice
# ---------------------------------------------------------------------------------------------
def choice_exercise() -> Exercise:
    return Exercise(
        "99.30",
        Choice(
            "relu",
            options={
                "relu": ("relu", "ReLU", "rectified linear unit"),
                "tanh": ("tanh",),
                "sigmoid": ("sigmoid", "logistic"),
            },
            near={"tanh": "tanh saturates: look at the gradients for large inputs"},
        ),
        explanation="ReLU does not saturate for positive inputs",
    )


@pytest.mark.parametrize(
    "answer",
    [
        "relu",
        "ReLU",
        " Relu ",
        "'relu'",
        "rectified-linear unit",
        "Rectified_Linear_Unit",
        nn.ReLU,
        nn.ReLU(),
        ["relu"],
    ],
)
def test_choice_right_forms(answer, capsys):
    assert_ok(choice_exercise(), answer, capsys)


def test_choice_wrong_and_near(capsys):
    assert_not_yet(choice_exercise(), "tanh", capsys, "saturates")
    assert_not_yet(choice_exercise(), nn.Tanh(), capsys, "saturates")
    assert_not_yet(choice_exercise(), "Sigmoid", capsys, "not it")
    assert_not_yet(choice_exercise(), "logistic", capsys, "not it")
    assert_not_yet(choice_exercise(), ["relu", "tanh"], capsys, "one answer")


@pytest.mark.parametrize("junk", ["gelu", "", 3, {}, None, object(), [1, 2], nn.Conv2d(1, 1, 1)])
def test_choice_junk(junk, capsys):
    assert_not_yet(choice_exercise(), junk, capsys)


def test_choice_several_keys(capsys):
    ex = Exercise(
        "99.31", Choice(("a", "c"), options={"a": ("A",), "b": ("B",), "c": ("C",)}, near={"b": "b is the trap"})
    )
    for right in ("a", "C", ["a", "c"], ("C", "A"), {"a", "c"}):
        assert_ok(ex, right, capsys)
    assert_not_yet(ex, "b", capsys, "trap")
    assert_not_yet(ex, ["a", "b"], capsys, "trap")
    assert_not_yet(ex, ["a"], capsys)
    assert ex.reference() == ("a", "c")


def test_choice_rejects_a_correct_key_not_in_options():
    with pytest.raises(ValueError):
        Choice("x", options={"a": ("A",)})


# ---------------------------------------------------------------------------------------------
# Module
# ---------------------------------------------------------------------------------------------
class Fire(nn.Module):
    """A reference Fire module (squeeze 1x1, expand 1x1 and 3x3, concatenated)."""

    def __init__(
        self,
        cin: int = 16,
        squeeze: int = 4,
        e1: int = 8,
        e3: int = 8,
        bias: bool = True,
        relu: bool = True,
        swap: bool = False,
        relu_squeeze: bool = True,
    ) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1, bias=bias)
        self.expand1x1 = nn.Conv2d(squeeze, e1, 1, bias=bias)
        self.expand3x3 = nn.Conv2d(squeeze, e3, 3, padding=1, bias=bias)
        self.relu, self.swap, self.relu_squeeze = relu, swap, relu_squeeze

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = F.relu if self.relu else (lambda t: t)
        s = act(self.squeeze(x)) if self.relu_squeeze else self.squeeze(x)
        branches = [act(self.expand1x1(s)), act(self.expand3x3(s))]
        return torch.cat(branches[::-1] if self.swap else branches, 1)


class FireOtherNames(nn.Module):
    """The same computation with other names and another registration order."""

    def __init__(self) -> None:
        super().__init__()
        self.e3 = nn.Conv2d(4, 8, 3, padding=1)
        self.sq = nn.Conv2d(16, 4, 1)
        self.e1 = nn.Conv2d(4, 8, 1)

    def forward(self, x):
        s = F.relu(self.sq(x))
        return torch.cat([F.relu(self.e1(s)), F.relu(self.e3(s))], 1)


class ReluOnly(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(16, 4, 1)
        self.expand1x1 = nn.Conv2d(4, 8, 1)
        self.expand3x3 = nn.Conv2d(4, 8, 3, padding=1)

    def forward(self, x):
        return F.relu(x)


class NeedsArgs(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        return self.conv(x)


class Block(nn.Module):
    """A residual block with BatchNorm, as lesson 06 builds it."""

    def __init__(self, c: int = 8, shortcut: bool = True, bn_first: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.shortcut = shortcut

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + x if self.shortcut else out)


def fire_exercise(ignore_bias: bool = False, near: bool = True) -> Exercise:
    return Exercise(
        "99.40",
        Module(
            lambda: Fire(),
            (2, 16, 9, 9),
            ignore_bias=ignore_bias,
            near=[(lambda: Fire(swap=True), "concatenate expand1x1 first")] if near else [],
        ),
        explanation="your Fire module computes what SqueezeNet's does",
    )


def block_exercise() -> Exercise:
    return Exercise(
        "99.41",
        Module(
            lambda: Block(),
            (2, 8, 6, 6),
            near=[(lambda: Block(shortcut=False), "no shortcut: add x before the last ReLU")],
        ),
    )


@pytest.mark.parametrize("answer", [Fire(), Fire, lambda: Fire(), FireOtherNames(), nn.Sequential(Fire())])
def test_module_right_forms(answer, capsys):
    assert_ok(fire_exercise(), answer, capsys)


def test_module_check_does_not_modify_the_answer(capsys):
    fire = Fire()
    before = {k: v.clone() for k, v in fire.state_dict().items()}
    fire.train()
    fire_exercise().check(fire)
    capsys.readouterr()
    assert fire.training
    assert all(torch.equal(before[k], v) for k, v in fire.state_dict().items())


def test_bias_false_fire_rejected_only_when_biases_matter(capsys):
    assert_not_yet(fire_exercise(), Fire(bias=False), capsys, "biases")
    assert_ok(fire_exercise(ignore_bias=True), Fire(bias=False), capsys)
    assert_ok(fire_exercise(ignore_bias=True), Fire(), capsys)
    ex = Exercise("99.42", Module(lambda: Fire(bias=False), (2, 16, 9, 9), ignore_bias=True))
    assert_ok(ex, Fire(), capsys)
    assert_not_yet(ex, Fire(relu=False), capsys, "nonlinearity")


@pytest.mark.parametrize(
    "answer, words",
    [
        (Fire(relu=False), "nonlinearity"),  # no ReLU at all: linear in its input
        (Fire(swap=True), "concatenate expand1x1 first"),  # a known mistake, named by `near`
        (ReluOnly(), "relu(x)"),  # the convolutions are never used
        (nn.Identity(), "input unchanged"),
        (nn.ReLU(), "relu(x)"),
        (Fire(e3=4), "12 channels instead of 16"),
        (nn.Conv2d(3, 16, 1), "failed on an input of shape (2, 16, 9, 9)"),
        (Fire(relu_squeeze=False), "differ"),
        (nn.Sequential(nn.Conv2d(16, 16, 1), nn.ReLU()), "parameters"),
        (NeedsArgs, "pass an instance, e.g. NeedsArgs(64)"),
        (NeedsArgs(16), "parameters"),
    ],
)
def test_module_wrong_answers_named(answer, words, capsys):
    assert_not_yet(fire_exercise(), answer, capsys, words)


def test_module_swap_without_near_gets_the_generic_message(capsys):
    assert_not_yet(fire_exercise(near=False), Fire(swap=True), capsys, "outputs differ")


@pytest.mark.parametrize(
    "junk", [None, 3, "Fire()", {}, [Fire()], nn.Conv2d, int, lambda: 3, lambda x: Fire(), torch.zeros(2, 16, 9, 9)]
)
def test_module_junk(junk, capsys):
    assert_not_yet(fire_exercise(), junk, capsys)


def test_module_block_with_batchnorm(capsys):
    assert_ok(block_exercise(), Block(), capsys)
    assert_ok(block_exercise(), Block, capsys)
    assert_not_yet(block_exercise(), Block(shortcut=False), capsys, "no shortcut")
    assert_not_yet(block_exercise(), nn.ReLU(), capsys, "relu(x)")
    generic = Exercise("99.43", Module(lambda: Block(), (2, 8, 6, 6)))
    assert_not_yet(generic, Block(shortcut=False), capsys, "the shortcut is missing")


def test_module_per_child_parameter_message(capsys):
    class Two(nn.Module):
        def __init__(self, k: int = 3, bias: bool = True) -> None:
            super().__init__()
            self.a = nn.Conv2d(4, 8, 1)
            self.b = nn.Conv2d(8, 8, k, padding=k // 2, bias=bias)

        def forward(self, x):
            return self.b(F.relu(self.a(x)))

    ex = Exercise("99.44", Module(lambda: Two(), (1, 4, 5, 5)))
    line = assert_not_yet(ex, Two(bias=False), capsys, "b has 576, the reference's 584")
    assert "biases" in line
    assert_not_yet(ex, Two(k=5), capsys, "kernel size")


def test_module_a_forward_that_returns_a_tuple(capsys):
    class Tup(nn.Module):
        def forward(self, x):
            return x, x

    assert_not_yet(fire_exercise(), Tup(), capsys, "one tensor")


def test_module_arranged_differently(capsys):
    class Other(nn.Module):  # same count (16*4+4 + ...) but shapes that cannot pair up
        def __init__(self) -> None:
            super().__init__()
            self.p = nn.Parameter(torch.zeros(404))

        def forward(self, x):
            return torch.cat([x, x], 1)[:, :16] * self.p.sum()

    assert_not_yet(fire_exercise(), Other(), capsys, "no partner")


def test_module_reference_is_none(capsys):
    assert fire_exercise().reference() is None


# ---------------------------------------------------------------------------------------------
# Predicate, broken checks, exercises(), run_solution
# ---------------------------------------------------------------------------------------------
def test_predicate(capsys):
    ex = Exercise(
        "99.50",
        Predicate(lambda a: (a % 2 == 0, "an even number" if a % 2 == 0 else "odd"), form="an even number"),
        explanation="even",
    )
    assert_ok(ex, 4, capsys)
    assert_not_yet(ex, 3, capsys, "odd")
    assert_not_yet(ex, "abc", capsys, "an even number")  # the predicate raises: Not yet + form
    assert ex.reference() is None


def test_a_bug_in_a_check_never_shows_a_traceback(capsys):
    def broken(_):
        raise ZeroDivisionError("bug")

    for expect in (
        Predicate(broken, form="a thing"),
        Number(lambda: 1 / 0, form="a number"),
        Shape(lambda: [][1], form="a shape"),
        Module(lambda: 1 / 0, (1, 3, 4, 4), form="a module"),
    ):
        ex = Exercise("99.51", expect)
        line = assert_not_yet(ex, 3, capsys)
        assert "expected a" in line


def test_exercises_collects_in_number_order():
    mod = types.ModuleType("cnnlessons.lessons.fake")
    mod.exercise_2 = Exercise("99.2", Number(2))
    mod.exercise_10 = Exercise("99.10", Number(10))
    mod.exercise_1 = Exercise("99.1", Number(1))
    mod.exercise_helper = Exercise("99.x", Number(0))
    mod.exercise_3 = "not an exercise"
    assert [e.key for e in exercises(mod)] == ["99.1", "99.2", "99.10"]


def test_run_solution_namespace(capsys):
    from cnnlessons.lessons import start_here

    ex = Exercise(
        "00.9",
        Shape((1, 8, 28, 28)),
        setup="conv = nn.Conv2d(1, 8, 3, padding=1)",
        solution="answer = tuple(conv(torch.zeros(1, 1, 28, 28)).shape)\n"
        "assert lesson is not None and models is not None and F and np and cl",
    )
    answer = run_solution(ex, start_here)
    assert ex.check(answer) is True
    assert run_solution(conv1_exercise(), None) == 34944
    assert run_code("answer = lesson", start_here) is start_here
    with pytest.raises(NameError):
        run_code("x = 1", None)


def test_repr_names_the_form():
    assert "a whole number" in repr(conv1_exercise())


def test_old_helpers_still_work(capsys):
    assert _checks.report(True, "good", "bad") is True
    assert capsys.readouterr().out == "Correct: good\n"
    assert _checks.report(False, "good", "bad") is False
    assert capsys.readouterr().out == "Not yet: bad\n"
    assert _checks.missing(None) is True
    assert "replace None" in capsys.readouterr().out
    assert _checks.missing(3) is False


def test_module_same_shaped_layers_in_another_order(capsys):
    class Swapped(Block):
        """conv2 registered before conv1: the two 3x3 convolutions have the same shape."""

        def __init__(self) -> None:
            nn.Module.__init__(self)
            self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(8)
            self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.shortcut = True

    assert_ok(block_exercise(), Swapped(), capsys)


def test_prints_inside_the_answer_do_not_break_the_one_line(capsys):
    class Chatty(Fire):
        def forward(self, x):
            print("x.shape =", x.shape)
            return super().forward(x)

    assert_ok(fire_exercise(), Chatty(), capsys)
    ex = Exercise("99.52", Predicate(lambda a: (False, "line one\nline two"), form="x"))
    assert assert_not_yet(ex, 1, capsys) == "Not yet: line one line two"


def test_module_check_leaves_the_random_state_alone(capsys):
    swapped = Fire(swap=True)  # built before seeding: building draws numbers too
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fire_exercise().check(Fire)
    fire_exercise().check(swapped)
    assert torch.equal(torch.rand(3), expected)
    capsys.readouterr()


def test_module_messages_for_heads_and_parameter_free_references(capsys):
    def head(c: int = 4, side: int = 8, out: int = 10) -> nn.Module:
        return nn.Sequential(nn.Conv2d(3, c, 3, padding=1), nn.Flatten(), nn.Linear(c * side * side, out))

    ex = Exercise("99.53", Module(lambda: head(), (2, 3, 8, 8)))
    assert_ok(ex, head(), capsys)
    assert_not_yet(ex, head(side=6), capsys, "in_features")
    assert_not_yet(ex, head(out=12), capsys, "12 values per example instead of 10")
    assert_not_yet(ex, head(c=5), capsys, "layer 0 has 140, the reference's 112")
    pool = Exercise("99.54", Module(lambda: nn.AvgPool2d(2), (2, 3, 8, 8)))
    assert_ok(pool, nn.AvgPool2d(kernel_size=2, stride=2), capsys)
    assert_not_yet(pool, nn.Conv2d(3, 3, 2, stride=2), capsys, "the reference has none")
    assert_not_yet(pool, nn.MaxPool2d(2), capsys, "differ")


def test_module_branches_of_different_sizes(capsys):
    class Branches(nn.Module):
        def __init__(self, pad: int = 1) -> None:
            super().__init__()
            self.a = nn.Conv2d(3, 4, 1)
            self.b = nn.Conv2d(3, 4, 3, padding=pad)

        def forward(self, x):
            return torch.cat([self.a(x), self.b(x)], 1)

    ex = Exercise("99.55", Module(lambda: Branches(), (2, 3, 8, 8)))
    assert_not_yet(ex, Branches(pad=0), capsys, "differ in size: check each branch's padding")
