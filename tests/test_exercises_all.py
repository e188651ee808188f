"""Every lesson's exercises, generically: the answer key executed (each reference solution prints
"Correct"), the reference accepted in three forms, every declared wrong answer rejected, junk
answered with "Not yet" and no exception, and 4-6 exercises in each lesson that has any.

A lesson declares its exercises as ``exercise_1 ... exercise_N`` in
``cnnlessons/lessons/<lesson>.py`` (see cnnlessons/lessons/_checks.py); nothing else is needed
here. For Module exercises the solution and each ``wrong`` entry are code strings defining
``answer``.
"""

from __future__ import annotations

import copy
import importlib

import numpy as np
import pytest
import torch
from torch import nn

from cnnlessons.lessons import LESSONS
from cnnlessons.lessons._checks import Choice, Module, Number, Shape, exercises, run_code, run_solution

JUNK = ("abc", "", [1, 2], {}, object(), "1.2.3", float("nan"), nn.ReLU, b"\x00")


def lesson_module(number: str):
    return importlib.import_module(f"cnnlessons.lessons.{LESSONS[number]}")


def all_exercises():
    out = []
    for number in LESSONS:
        try:
            module = lesson_module(number)
        except Exception:  # noqa: BLE001 - reported by test_lesson_module_imports, not here
            continue
        for i, ex in enumerate(exercises(module), start=1):
            out.append(pytest.param(number, i, ex, id=ex.key))
    return out


EXERCISES = all_exercises()
_SOLVED: dict[str, object] = {}


def solved(number: str, ex):
    """The reference solution's answer, run once per test session."""
    if ex.key not in _SOLVED:
        _SOLVED[ex.key] = run_solution(ex, lesson_module(number))
    return _SOLVED[ex.key]


def output(capsys) -> str:
    return capsys.readouterr().out


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_lesson_module_imports(number):
    lesson_module(number)


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_each_migrated_lesson_has_four_to_six_exercises(number):
    found = exercises(lesson_module(number))
    if not found:
        pytest.skip(f"lesson {number} declares no exercise_1 yet")
    assert 4 <= len(found) <= 6, [ex.key for ex in found]
    assert [ex.key for ex in found] == [f"{number}.{i}" for i in range(1, len(found) + 1)]


@pytest.mark.skipif(not EXERCISES, reason="no lesson declares exercises yet")
@pytest.mark.parametrize("number, i, ex", EXERCISES)
def test_exercise_is_complete(number, i, ex):
    assert ex.solution.strip(), "every exercise needs a reference solution"
    assert ex.explanation.strip(), "Correct prints the explanation"
    assert ex.hints, "at least one hint"
    assert len(ex.wrong) >= 3, "at least three plausible wrong answers"
    assert ex.form and ex.form != "an answer", "the form the answer takes"
    assert ex.points >= 1


@pytest.mark.skipif(not EXERCISES, reason="no lesson declares exercises yet")
@pytest.mark.parametrize("number, i, ex", EXERCISES)
def test_answer_key_prints_correct(number, i, ex, capsys):
    answer = solved(number, ex)
    output(capsys)
    assert ex.check(answer) is True, output(capsys)
    line = output(capsys)
    assert line.startswith("Correct: ") and line.count("\n") == 1, line


def number_forms(ex) -> list:
    ref = float(ex.reference())
    expect: Number = ex.expect
    forms: list = [np.float64(ref), torch.tensor(ref, dtype=torch.float64)]
    if ref.is_integer() and abs(ref) < 1e15:
        forms += [int(ref), f"{int(ref):,}", f"{int(ref):_}", f"{int(ref):,}".replace(",", " ")]
    else:
        forms += [ref, repr(ref)]
    if expect.fraction:
        forms += [f"{ref * 100!r}%"]
    if expect.unit:
        forms += [f"{ref!r} {expect.unit}", f"{ref!r}{expect.unit}"]
    return forms


def shape_forms(ex) -> list:
    ref = tuple(ex.reference())
    return [ref, list(ref), torch.Size(ref), str(ref), "x".join(map(str, ref))]


@pytest.mark.skipif(not EXERCISES, reason="no lesson declares exercises yet")
@pytest.mark.parametrize("number, i, ex", EXERCISES)
def test_reference_passes_in_several_forms(number, i, ex, capsys):
    if isinstance(ex.expect, Number):
        forms = number_forms(ex)
    elif isinstance(ex.expect, Shape):
        forms = shape_forms(ex)
    elif isinstance(ex.expect, Choice):
        key = ex.reference() if isinstance(ex.reference(), str) else ex.reference()[0]
        spellings = ex.expect.options[key]
        forms = [key, key.upper(), f" {spellings[0]} " if spellings else key]
    elif isinstance(ex.expect, Module):
        answer = solved(number, ex)
        if not isinstance(answer, nn.Module):
            pytest.skip("the solution gives a class or a factory")
        forms = [answer, copy.deepcopy(answer), lambda: copy.deepcopy(answer)]
    else:
        pytest.skip("Predicate: the answer key test covers it")
    for form in forms:
        assert ex.check(form) is True, (form, output(capsys))
    output(capsys)


@pytest.mark.skipif(not EXERCISES, reason="no lesson declares exercises yet")
@pytest.mark.parametrize("number, i, ex", EXERCISES)
def test_every_declared_wrong_answer_fails(number, i, ex, capsys):
    for k, wrong in enumerate(ex.wrong):
        if isinstance(ex.expect, Module) or (isinstance(wrong, str) and "answer" in wrong and "=" in wrong):
            wrong = run_code(wrong, lesson_module(number), ex.setup, label=f"wrong answer {k} of {ex.key}")
        assert ex.check(wrong) is False, (k, output(capsys))
        line = output(capsys)
        assert line.startswith("Not yet: ") and line.count("\n") == 1, line


@pytest.mark.skipif(not EXERCISES, reason="no lesson declares exercises yet")
@pytest.mark.parametrize("number, i, ex", EXERCISES)
def test_junk_is_not_yet_without_exception(number, i, ex, capsys):
    for junk in (*JUNK, None):
        assert ex.check(junk) is False, junk
        line = output(capsys)
        assert line.startswith("Not yet: ") and line.count("\n") == 1, (junk, line)
        assert "Traceback" not in line
    assert ex.check("abc", quiet=True) is False
    assert output(capsys) == ""
