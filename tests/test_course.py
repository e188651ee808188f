"""The teacher's edition under real nbgrader: for two lessons, build the course, run
``nbgrader generate_assignment``, then ``nbgrader autograde`` a solved submission (full points)
and the untouched released notebook (zero points), neither crashing; scores are read from
nbgrader's gradebook. The two lessons are the first two whose modules declare exercises; while
fewer than two have any, a tiny synthetic lesson written by this test stands in."""

from __future__ import annotations

import importlib
import textwrap

import nbformat
import pytest

from cnnlessons import course
from cnnlessons.lessons._checks import Exercise, Number, exercises

pytest.importorskip("nbgrader", reason="the teacher extra: pip install -e '.[teacher]'")

SYNTHETIC = '''
"""A synthetic lesson for tests/test_course.py."""
from cnnlessons.lessons._checks import Exercise, Module, Number, Shape
import torch
from torch import nn


def block():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())


exercise_1 = Exercise("99.1", Number(lambda: 3 * 4 * 9 + 4, form="a whole number"),
                      solution="answer = 3 * 4 * 3 * 3 + 4", hints=("weights + biases",),
                      wrong=(108, 112, 4), explanation="4 x (3 x 3 x 3 + 1) = 112")
exercise_2 = Exercise("99.2", Shape((1, 4, 8, 8)), setup="x = torch.zeros(1, 3, 8, 8)",
                      solution="answer = tuple(lesson.block()(x).shape)", hints=("padding 1 keeps 8",),
                      wrong=((4, 8, 8), (1, 4, 6, 6), (1, 3, 8, 8)), explanation="(1, 4, 8, 8)", points=2)
exercise_3 = Exercise("99.3", Module(block, (1, 3, 8, 8)),
                      solution="answer = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())",
                      hints=("conv then ReLU",), wrong=("answer = nn.Conv2d(3, 4, 3, padding=1)",),
                      explanation="a conv and a ReLU")
'''


def two_lessons() -> list[str]:
    found = []
    for number, name in sorted(course.LESSONS.items()):
        try:
            module = importlib.import_module(f"cnnlessons.lessons.{name}")
        except Exception:  # noqa: BLE001 - tests/test_exercises_all.py reports it
            continue
        if exercises(module):
            found.append(number)
    return found[:2]


def synthetic_course(dest, monkeypatch) -> list[str]:
    """Lesson 99 from a module file next to the course; the grading kernel finds it on PYTHONPATH."""
    lib = dest.parent / "lib"
    lib.mkdir()
    (lib / "fake_lesson.py").write_text(textwrap.dedent(SYNTHETIC))
    monkeypatch.syspath_prepend(str(lib))
    monkeypatch.setenv("PYTHONPATH", str(lib))
    module = importlib.import_module("fake_lesson")
    course.write_config(dest)
    imports = (
        "import numpy as np\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
        "import cnnlessons as cl\nimport fake_lesson as lesson"
    )
    folder = dest / "source" / course.assignment_name("99")
    folder.mkdir(parents=True)
    nbformat.write(course.problem_set("99", module, None, imports), folder / f"{course.notebook_name('99')}.ipynb")
    return ["99"]


def test_problem_set_layout():
    """Solution regions, hidden tests, points and unique grade ids, without running nbgrader."""
    numbers = two_lessons()
    if not numbers:
        pytest.skip("no lesson has exercises yet (the nbgrader test below uses a synthetic one)")
    nb = course.problem_set(numbers[0])
    meta = [c.metadata["nbgrader"] for c in nb.cells]
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids))
    found = exercises(course.lesson_module(numbers[0]))
    answers = [c for c in nb.cells if c.metadata["nbgrader"]["solution"]]
    tests = [c for c in nb.cells if c.metadata["nbgrader"]["grade"]]
    assert len(answers) == len(tests) == len(found)
    for cell, ex in zip(answers, found):
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        assert ex.solution.strip() in cell.source
        assert not cell.metadata["nbgrader"]["locked"]
    for n, (cell, ex) in enumerate(zip(tests, found), start=1):
        hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1]
        assert f"lesson.exercise_{n}.check(answer, quiet=True)" in hidden
        assert cell.metadata["nbgrader"]["points"] == ex.points
        assert cell.metadata["nbgrader"]["locked"]


def test_nbgrader_generate_and_autograde(tmp_path, monkeypatch):
    dest = tmp_path / "course"
    numbers = two_lessons()
    if len(numbers) >= 2:
        assert course.build(dest, numbers) == numbers
    else:
        numbers = synthetic_course(dest, monkeypatch)
    course.generate(dest, numbers)
    for number in numbers:
        released = (
            dest / "release" / course.assignment_name(number) / f"{course.notebook_name(number)}.ipynb"
        ).read_text()
        assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN TESTS" not in released
        assert "raise NotImplementedError()" in released
    results = course.grade(dest, numbers, untouched=True)
    for number in numbers:
        got, top = results[number][course.SOLVED_STUDENT]
        assert top >= 1 and got == top, (number, results[number])
        got, top = results[number][course.UNTOUCHED_STUDENT]
        assert got == 0 and top >= 1, (number, results[number])


def test_synthetic_problem_set_builds(tmp_path, monkeypatch):
    """The fallback lesson used while fewer than two lessons have exercises stays valid."""
    dest = tmp_path / "course"
    assert synthetic_course(dest, monkeypatch) == ["99"]
    nb = nbformat.read(dest / "source" / "lesson99" / "99_problems.ipynb", as_version=4)
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert grade_ids == [
        "intro",
        "imports",
        "ex1_question",
        "ex1_answer",
        "ex1_test",
        "ex2_question",
        "ex2_setup",
        "ex2_answer",
        "ex2_test",
        "ex3_question",
        "ex3_answer",
        "ex3_test",
    ]
    points = [c.metadata["nbgrader"].get("points") for c in nb.cells if c.metadata["nbgrader"]["grade"]]
    assert points == [1, 2, 1]
    assert (dest / "nbgrader_config.py").read_text().count('course_id = "cnnlessons"') == 1


def test_question_text_comes_from_the_lesson_notebook():
    ex = Exercise("42.2", Number(3, form="a whole number"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("The pitfall's fix, from the section before."),
        nbformat.v4.new_markdown_cell("More about the fix.\n\n## 9. Exercises\n\nReplace each None."),
        nbformat.v4.new_code_cell("# 1. First question?\nanswer = None\nlesson.exercise_1.check(answer)"),
        nbformat.v4.new_markdown_cell("### A note\n\n**Exercise 2.** How many? *A whole number.*"),
        nbformat.v4.new_code_cell("# Count them.\n# (exact)\nanswer = None\nlesson.exercise_2.check(answer)"),
    ]
    text = course.question_text(nb, 2, ex)
    assert text.startswith("### Exercise 42.2\n")
    assert "#### A note" in text and "**Exercise 2.** How many?" in text
    assert "Count them.\n(exact)" in text and "Replace each None" not in text
    assert "Your answer: a whole number." in text
    first = course.question_text(nb, 1, ex)
    assert "Replace each None." in first and "Exercises" not in first and "1. First question?" in first
    assert "fix" not in first
    assert course.question_text(None, 1, ex) == "### Exercise 42.2\n\nYour answer: a whole number."


def test_fresh_only_empties_a_self_check_folder(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "gradebook.db").write_text("grades")
    with pytest.raises(SystemExit):
        course.start_fresh(real)
    assert (real / "gradebook.db").exists()
    check = tmp_path / "check"
    course.start_fresh(check)
    (check / "old.txt").write_text("x")
    course.start_fresh(check)
    assert not (check / "old.txt").exists() and (check / course.SELF_CHECK_MARK).exists()
