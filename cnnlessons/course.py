"""The teacher's edition: an nbgrader course built from the lessons' exercises.

``python -m cnnlessons.course build DEST [--lessons 00 03]`` writes an nbgrader course folder::

    DEST/nbgrader_config.py                      course id, execution timeout
    DEST/source/lessonNN/NN_<lesson>.ipynb       one short problem set per lesson

Each problem set has an imports cell, then per exercise: its question (the markdown cell(s) and
the comment lines of the exercise's cell in the lesson notebook, so the text is written once),
the exercise's own setup code when it has any, a solution cell (``answer = ...`` between
``### BEGIN SOLUTION`` / ``### END SOLUTION``) and an autograder test cell worth the exercise's
points whose assertion ``lesson.exercise_N.check(answer, quiet=True)`` sits between
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` (a visible assertion would give the answer
away). The solutions come from the exercises' reference solutions
(``cnnlessons/lessons/<lesson>.py``), the same code the test suite runs as the answer key.

``generate DEST`` also runs ``nbgrader generate_assignment --force`` (DEST/release/ is what
students get); ``grade DEST [--untouched]`` autogrades a solved copy of every problem set (and,
with ``--untouched``, the released notebook as a student would hand it in unchanged) and prints
the points per lesson. nbgrader comes with the ``teacher`` extra: ``pip install -e ".[teacher]"``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import nbformat

from .lessons import LESSONS
from .lessons._checks import Exercise, exercises

COURSE_ID = "cnnlessons"
SOLVED_STUDENT = "solution"
UNTOUCHED_STUDENT = "untouched"
ROOT = Path(__file__).resolve().parents[1]


def assignment_name(number: str) -> str:
    return f"lesson{number}"


def notebook_name(number: str) -> str:
    return f"{number}_{LESSONS.get(number, 'problems')}"


def lesson_module(number: str) -> ModuleType:
    return importlib.import_module(f"cnnlessons.lessons.{LESSONS[number]}")


def exercise_cell(nb: nbformat.NotebookNode, number: int) -> int | None:
    """Index of the first code cell that calls ``exercise_<number>.check(`` or ``exercise_<number>(``."""
    call = re.compile(rf"\bexercise_{number}\s*(?:\.\s*check\s*)?\(")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and call.search(cell.source):
            return i
    return None


def lesson_notebook(number: str, notebooks: Path | None = None) -> Path | None:
    found = sorted((notebooks or ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    return found[0] if found else None


def question_text(nb: nbformat.NotebookNode | None, number: int, ex: Exercise) -> str:
    """The question as the lesson words it: the markdown cell(s) right before the exercise's
    cell (after the previous exercise's cell) and the comment lines at the top of that cell."""
    title = f"### Exercise {ex.key}"
    if nb is None or (idx := exercise_cell(nb, number)) is None:
        return f"{title}\n\nYour answer: {ex.form}."
    previous = max((i for k in range(1, number) if (i := exercise_cell(nb, k)) is not None), default=-1)
    parts = []
    i = idx - 1
    while i > previous and nb.cells[i].cell_type == "markdown":
        text = nb.cells[i].source
        start = _EXERCISES_HEADING.search(text)
        if start:  # the exercises section starts here: nothing before it
            parts.insert(0, _demote(text[start.start() :]))
            break
        parts.insert(0, _demote(text))
        i -= 1
    comments = []
    for line in nb.cells[idx].source.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comments.append(re.sub(r"^#\s?", "", stripped))
        elif stripped:
            break
    if comments:
        parts.append("\n".join(comments))
    parts.append(f"Your answer: {ex.form}. Put it in `answer`.")
    return title + "\n\n" + "\n\n".join(p for p in parts if p)


_EXERCISES_HEADING = re.compile(r"(?im)^#{1,3}\s+(\d+\.?\s*)?exercises?\b.*$")


def _demote(markdown: str) -> str:
    """A lesson's markdown under the problem set's "### Exercise NN.N" title: its "Exercises"
    section heading dropped, other headings made level 4."""
    lines = []
    for line in markdown.strip().splitlines():
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m and re.fullmatch(r"(?i)(\d+\.?\s*)?exercises?\b.*", m.group(2).strip()) and len(m.group(1)) <= 3:
            continue
        lines.append(f"#### {m.group(2)}" if m else line)
    return "\n".join(lines).strip()


def _meta(
    grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False, points: int | None = None
) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def imports_source(number: str) -> str:
    module = LESSONS[number]
    lines = [
        "import numpy as np",
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        "import cnnlessons as cl",
        f"from cnnlessons.lessons import {module} as lesson",
    ]
    try:
        importlib.import_module(f"cnnlessons.models.{module}")
        lines.append(f"from cnnlessons.models import {module} as models")
    except ModuleNotFoundError:
        pass
    lines += ["", "cl.seed_everything(0)"]
    return "\n".join(lines)


def problem_set(
    number: str,
    module: ModuleType | None = None,
    lesson_nb: nbformat.NotebookNode | None = None,
    imports: str | None = None,
) -> nbformat.NotebookNode:
    """The nbgrader source notebook (solutions and hidden tests in) for one lesson.

    ``module``: the lesson module (default: cnnlessons.lessons.<lesson>); ``lesson_nb``: the
    lesson notebook the questions' text comes from; ``imports``: the first code cell's source
    (default: torch, nn, F, np, cl, lesson and models, as in the lessons)."""
    module = module or lesson_module(number)
    found = exercises(module)
    if not found:
        raise ValueError(f"lesson {number} ({module.__name__}) declares no exercise_1 ... exercise_N")
    lesson_file = lesson_notebook(number) if lesson_nb is not None else None
    short = module.__name__.rsplit(".", 1)[-1]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    where = f"`notebooks/{lesson_file.name}`" if lesson_file else f"lesson {number}"
    total = sum(ex.points for ex in found)
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# Lesson {number} ({short.replace('_', ' ')}): problem set\n\n"
            f"The exercises of {where}, to hand in. Work through the lesson first. For each exercise "
            "replace `raise NotImplementedError()` with code that sets `answer`, then run every cell "
            "from the top. You can check an answer yourself with "
            "`lesson.exercise_1.check(answer)` (and get hints with `lesson.exercise_1.hint()`); "
            f"the grader runs the same checks. {len(found)} exercises, {total} points.",
            metadata=_meta("intro", locked=True),
        ),
        nbformat.v4.new_code_cell(
            imports if imports is not None else imports_source(number), metadata=_meta("imports", locked=True)
        ),
    ]
    for n, ex in enumerate(found, start=1):
        cells.append(
            nbformat.v4.new_markdown_cell(
                question_text(lesson_nb, n, ex), metadata=_meta(f"ex{n}_question", locked=True)
            )
        )
        if ex.setup.strip():
            cells.append(
                nbformat.v4.new_code_cell(
                    f"# Setup for exercise {ex.key} (run it; do not change it)\n{ex.setup.strip()}",
                    metadata=_meta(f"ex{n}_setup", locked=True),
                )
            )
        cells.append(
            nbformat.v4.new_code_cell(
                f"answer = None  # your answer: {ex.form}\n### BEGIN SOLUTION\n{ex.solution.strip()}\n### END SOLUTION",
                metadata=_meta(f"ex{n}_answer", solution=True),
            )
        )
        cells.append(
            nbformat.v4.new_code_cell(
                f"# Autograder test for exercise {ex.key} ({ex.points} point{'s' if ex.points != 1 else ''}): "
                f"hidden until grading.\n# Check your answer yourself: lesson.exercise_{n}.check(answer)\n"
                "### BEGIN HIDDEN TESTS\n"
                f'assert lesson.exercise_{n}.check(answer, quiet=True), "exercise {ex.key}: not yet"\n'
                "### END HIDDEN TESTS",
                metadata=_meta(f"ex{n}_test", grade=True, locked=True, points=ex.points),
            )
        )
    nb.cells = cells
    return nb


CONFIG = """# nbgrader configuration of the cnnlessons teacher's edition (written by python -m cnnlessons.course).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "{course_id}"
# The solutions run small models on the CPU: seconds each, a minute at most.
c.Execute.timeout = 300
"""


def write_config(dest: Path) -> Path:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "nbgrader_config.py"
    path.write_text(CONFIG.format(course_id=COURSE_ID))
    return path


def build(dest: Path, numbers: Sequence[str] | None = None) -> list[str]:
    """Write the course folder; returns the lesson numbers built (those that have exercises)."""
    dest = Path(dest)
    write_config(dest)
    built = []
    for number in numbers or sorted(LESSONS):
        module = lesson_module(number)
        if not exercises(module):
            if numbers:
                raise SystemExit(f"lesson {number} declares no exercises yet")
            print(f"lesson {number}: no exercises yet, skipped")
            continue
        path = lesson_notebook(number)
        lesson_nb = nbformat.read(path, as_version=4) if path else None
        nb = problem_set(number, module, lesson_nb)
        folder = dest / "source" / assignment_name(number)
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{notebook_name(number)}.ipynb")
        built.append(number)
    return built


def _nbgrader(dest: Path, *args: str) -> subprocess.CompletedProcess:
    """Run nbgrader in the course folder (with this Python), one math thread per process."""
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        raise SystemExit('nbgrader is not installed: pip install -e ".[teacher]"') from None
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    # nbgrader runs `alembic` (its database migrations) by name: this Python's scripts come first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=dest, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode})")
    return proc


def generate(dest: Path, numbers: Sequence[str]) -> None:
    """nbgrader generate_assignment for each lesson: DEST/release/lessonNN/ is the student version."""
    for number in numbers:
        _nbgrader(dest, "generate_assignment", assignment_name(number), "--force")


def submit(dest: Path, number: str, student: str, solved: bool) -> Path:
    """Place a submission: the source notebook (solved) or the released one (untouched)."""
    name = f"{notebook_name(number)}.ipynb"
    src = dest / ("source" if solved else "release") / assignment_name(number) / name
    folder = dest / "submitted" / student / assignment_name(number)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        target.chmod(0o644)
    shutil.copyfile(src, target)
    return target


def autograde(dest: Path, number: str) -> None:
    """nbgrader autograde of every submission of one lesson (DEST/submitted/*/lessonNN/)."""
    _nbgrader(dest, "autograde", assignment_name(number), "--force")


def scores(dest: Path, number: str, students: Sequence[str]) -> dict[str, tuple[float, float]]:
    """(score, max score) per student for one lesson, read from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{Path(dest).resolve() / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        for student in students:
            sub = gb.find_submission(assignment_name(number), student)
            out[student] = (float(sub.score), float(sub.max_score))
    return out


def grade(dest: Path, numbers: Sequence[str], untouched: bool = False) -> dict[str, dict]:
    students = [SOLVED_STUDENT] + ([UNTOUCHED_STUDENT] if untouched else [])
    results = {}
    for number in numbers:
        submit(dest, number, SOLVED_STUDENT, solved=True)
        if untouched:
            submit(dest, number, UNTOUCHED_STUDENT, solved=False)
        autograde(dest, number)
        results[number] = scores(dest, number, students)
        line = ", ".join(f"{s} {got:g} of {top:g}" for s, (got, top) in results[number].items())
        print(f"lesson {number}: {line}", flush=True)
    return results


SELF_CHECK_MARK = ".cnnlessons-self-check"


def start_fresh(dest: Path) -> None:
    """Empty a self-check course folder (marked by an earlier --fresh run); refuse any other."""
    dest = Path(dest)
    if dest.exists():
        if not (dest / SELF_CHECK_MARK).exists():
            raise SystemExit(
                f"{dest} exists and was not made by --fresh: it may hold real grades; choose another folder"
            )
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / SELF_CHECK_MARK).write_text("made by python -m cnnlessons.course grade --fresh; safe to delete\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnlessons.course", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("build", "write the nbgrader course folder (source/ only)"),
        ("generate", "build, then nbgrader generate_assignment (release/)"),
        ("grade", "build, generate, autograde a solved copy of every problem set"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("dest", type=Path, help="the course folder, e.g. build/course")
        p.add_argument(
            "--lessons",
            nargs="+",
            metavar="NN",
            choices=sorted(LESSONS),
            help="lesson numbers (default: every lesson that has exercises)",
        )
        if name == "grade":
            p.add_argument(
                "--untouched",
                action="store_true",
                help="also autograde the released notebook handed in unchanged (0 points)",
            )
            p.add_argument(
                "--fresh",
                action="store_true",
                help="start from an empty folder: delete DEST first (only a folder an earlier "
                "--fresh run made, never a real course)",
            )
    args = parser.parse_args(argv)
    if getattr(args, "fresh", False):
        start_fresh(args.dest)
    numbers = build(args.dest, args.lessons)
    print(f"built {len(numbers)} problem sets in {args.dest}/source: {', '.join(numbers) or 'none'}")
    if args.command in ("generate", "grade"):
        generate(args.dest, numbers)
        print(f"nbgrader generate_assignment: {args.dest}/release/ holds the student versions")
    if args.command == "grade":
        results = grade(args.dest, numbers, untouched=args.untouched)
        full = all(got == top for got, top in (r[SOLVED_STUDENT] for r in results.values()))
        zero = all(r[UNTOUCHED_STUDENT][0] == 0 for r in results.values()) if args.untouched else True
        total = sum(r[SOLVED_STUDENT][0] for r in results.values())
        top = sum(r[SOLVED_STUDENT][1] for r in results.values())
        print(f"solved: {total:g} of {top:g} points over {len(results)} lessons")
        return 0 if (full and zero) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
