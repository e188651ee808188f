"""No exercise's answer appears earlier in its notebook.

For each lesson notebook and each exercise with a Number or Shape expectation, the exercise's
cell is the first code cell whose source calls ``exercise_N.check(`` or ``exercise_N(``. Every
earlier cell's source, and its stored text outputs (text/plain, stream text, text/html,
text/markdown), is searched for the reference value's usual spellings:

- whole numbers: 23296, 23,296, 23 296, 23_296 and, from 1,000 up, rounded 23.3k / 23k
  (k or K, with or without a space) and 1.2M / 1.23M from a million up;
- fractions (``fraction=True``): 0.35, .35, 35%, 35.0%;
- other numbers: 2, 3 and 4 significant digits and the question's own precision (57.3 also as
  57.30), keeping the spellings at least as precise as the question's tolerance implies (asked
  within 0.01, 1.4911 is searched as 1.49 and 1.491, not as 1.5) (and their thousands-separated whole part from 1,000);
- shapes: (1, 32, 7, 7), [1, 32, 7, 7] (so torch.Size([...]) too), 1x32x7x7, and without the
  batch dimension (32, 7, 7), 32 x 7 x 7, 32x7x7, 32 × 7 × 7.

Matches are whole tokens: not inside a longer number (no digit, letter, "." or "," right
before; no digit or ".5"/",296" right after). A spelling shorter than 3 characters (10, 35,
0.5 -> "0.5" is kept, "35" is not) would match everywhere, so it is not searched; an exercise
whose every spelling is that short (its value is, say, 10) is not checked at all, and the
test prints its key (visible with ``pytest -s``).
"""

from __future__ import annotations

import html
import importlib
import math
import re
from pathlib import Path

import nbformat
import pytest

from cnnlessons.course import exercise_cell
from cnnlessons.lessons import LESSONS
from cnnlessons.lessons._checks import Number, Shape, exercises

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
MIN_LEN = 3
BEFORE = r"(?<![\w.,])"
AFTER = r"(?!\d|[.,]\d)"


# ---------------------------------------------------------------------------------------------
# Spellings
# ---------------------------------------------------------------------------------------------
def _sig(value: float, digits: int) -> str:
    """value at ``digits`` significant digits, without an exponent: 23296 -> '23300' (3)."""
    if value == 0:
        return "0"
    places = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, places)
    text = f"{rounded:.{max(places, 0)}f}"
    return text


def _grouped(n: int) -> list[str]:
    """23296 -> ['23296', '23,296', '23 296', '23_296']."""
    plain = str(n)
    if abs(n) < 1000:
        return [plain]
    comma = f"{n:,}"
    return [plain, comma, comma.replace(",", " "), comma.replace(",", "_")]


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def question_decimals(tolerance: float) -> int | None:
    """The decimals the question's tolerance implies: within 0.01 -> 2, within 0.5 -> 0."""
    if tolerance <= 0:
        return None
    return max(0, math.floor(-math.log10(tolerance)))


def number_spellings(value: float, fraction: bool = False, tolerance: float = 0.0) -> list[str]:
    """The usual ways a number is written (literal strings, before the short-spelling rule).

    Whole numbers: plain, with separators, rounded k/M. Other values: 2, 3 and 4 significant
    digits and the question's own precision (plus one digit), keeping only spellings at least as
    precise as the question asks (a ratio asked to two decimals, 1.49, is not flagged by a
    "1.5 billion" elsewhere). Fractions also as percentages.
    """
    value = float(value)
    out: list[str] = []
    if value.is_integer() and not fraction:
        n = int(value)
        out += _grouped(n)
        if abs(n) >= 1000:
            for d in (2, 3):
                k = _sig(value / 1e3, d)
                out += [f"{k}k", f"{k} k", f"{k}K", f"{k} K"]
        if abs(n) >= 1_000_000:
            for d in (2, 3):
                m = _sig(value / 1e6, d)
                out += [f"{m}M", f"{m} M", f"{m} million"]
        return list(dict.fromkeys(out))
    q = question_decimals(tolerance)
    candidates = [_sig(value, d) for d in (2, 3, 4)]
    if q is not None:
        candidates += [f"{value:.{q}f}", f"{value:.{q + 1}f}"]
    keep = [c for c in candidates if (q is None and _decimals(c) >= 1) or (q is not None and _decimals(c) >= q)]
    for c in keep:
        out.append(c)
        if c.startswith("0."):
            out.append(c[1:])
    if fraction:
        qp = None if q is None else max(q - 2, 0)
        pcts = [_sig(value * 100, d) for d in (2, 3)]
        if qp is not None:
            pcts += [f"{value * 100:.{qp}f}", f"{value * 100:.{qp + 1}f}"]
        for p in pcts:
            if qp is None or _decimals(p) >= qp:
                out += [f"{p}%", f"{p} %"]
                if "." not in p:
                    out += [f"{p}.0%"]
    elif abs(value) >= 1000 and (q is None or q == 0):
        out += _grouped(int(round(value)))
    return list(dict.fromkeys(out))


def _num_pattern(literal: str) -> str:
    """A literal spelling -> a regex: whole token, any run of spaces where it has a space."""
    body = re.escape(literal).replace(r"\ ", r"[ \u00a0\u2009\u202f]")
    if re.search(r"\.\d+$", literal):
        body += "0*"  # 57.3 is also written 57.30
    return BEFORE + body + AFTER


def shape_patterns(shape: tuple[int, ...], batch: bool = True) -> list[str]:
    shape = tuple(int(s) for s in shape)
    pats: list[str] = []
    sep = r"\s*,\s*"

    def listed(dims: tuple[int, ...]) -> list[str]:
        inner = sep.join(str(d) for d in dims) + (r"\s*,?" if len(dims) == 1 else "")
        return [r"\(\s*" + inner + r"\s*,?\s*\)", r"\[\s*" + inner + r"\s*,?\s*\]"]

    def crossed(dims: tuple[int, ...]) -> str:
        return BEFORE + r"\s*[x×*]\s*".join(str(d) for d in dims) + AFTER

    pats += listed(shape)
    if len(shape) >= 2:
        pats.append(crossed(shape))
    rest = shape[1:] if batch else ()
    if len(rest) >= 2:
        pats += listed(rest) + [crossed(rest)]
    return pats


def leak_patterns(expect) -> list[tuple[str, str]]:
    """(description, regex) pairs for an expectation; [] when every spelling is too short."""
    if isinstance(expect, Shape):
        ref = tuple(expect.reference())
        return [(str(ref), p) for p in shape_patterns(ref, expect.batch)]
    if isinstance(expect, Number):
        value = float(expect.reference())
        tolerance = max(expect.abs, expect.rel * abs(value))
        spellings = [
            s for s in number_spellings(value, expect.fraction, tolerance) if len(s.replace(" ", "")) >= MIN_LEN
        ]
        return [(s, _num_pattern(s)) for s in spellings]
    return []


# ---------------------------------------------------------------------------------------------
# Searching a notebook
# ---------------------------------------------------------------------------------------------
def cell_texts(cell) -> list[tuple[str, str]]:
    """(where, text) for a cell's source and each stored text output."""
    out = [("source", cell.source)]
    for k, o in enumerate(cell.get("outputs", [])):
        if o.get("output_type") == "stream":
            out.append((f"output {k} (stream)", o.get("text", "")))
        for mime in ("text/plain", "text/html", "text/markdown"):
            data = o.get("data", {}).get(mime)
            if data is not None:
                text = "".join(data) if isinstance(data, list) else data
                if mime == "text/html":
                    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
                out.append((f"output {k} ({mime})", text))
        if o.get("output_type") == "error":
            out.append((f"output {k} (error)", "\n".join(o.get("traceback", []))))
    return out


def find_leaks(nb, number: int, patterns: list[tuple[str, str]]) -> list[str]:
    """Where, before exercise_<number>'s cell, any pattern occurs ('cell 12 output 0: 23,296')."""
    end = exercise_cell(nb, number)
    if end is None:
        raise LookupError(f"no code cell calls exercise_{number}.check(...)")
    found = []
    for i, cell in enumerate(nb.cells[:end]):
        for where, text in cell_texts(cell):
            for label, pat in patterns:
                m = re.search(pat, text)
                if m:
                    context = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
                    found.append(f"cell {i} {where}: {m.group(0)!r} (the answer {label}) in ...{context}...")
    return found


# ---------------------------------------------------------------------------------------------
# The lessons
# ---------------------------------------------------------------------------------------------
def cases():
    out = []
    for num, name in LESSONS.items():
        try:
            module = importlib.import_module(f"cnnlessons.lessons.{name}")
        except Exception:  # noqa: BLE001 - test_exercises_all reports a lesson that fails to import
            continue
        paths = sorted(NOTEBOOKS.glob(f"{num}_*.ipynb"))
        for i, ex in enumerate(exercises(module), start=1):
            if isinstance(ex.expect, (Number, Shape)):
                out.append(pytest.param(paths[0] if paths else None, i, ex, id=ex.key))
    return out


CASES = cases()


@pytest.mark.skipif(not CASES, reason="no lesson declares Number or Shape exercises yet")
@pytest.mark.parametrize("path, number, ex", CASES)
def test_no_answer_before_its_exercise(path, number, ex):
    assert path is not None, f"no notebook for lesson {ex.key.split('.')[0]}"
    patterns = leak_patterns(ex.expect)
    if not patterns:
        print(f"{ex.key}: every spelling of {ex.reference()!r} is under {MIN_LEN} characters; not searched")
        return
    nb = nbformat.read(path, as_version=4)
    if exercise_cell(nb, number) is None:
        pytest.fail(f"{path.name} has no code cell calling lesson.exercise_{number}.check(answer)")
    leaks = find_leaks(nb, number, patterns)
    if leaks:
        pytest.fail(f"{path.name}: exercise {ex.key}'s answer appears before it:\n" + "\n".join(leaks))


# ---------------------------------------------------------------------------------------------
# The search itself, on planted leaks
# ---------------------------------------------------------------------------------------------
def synthetic(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def code(source: str, text: str | None = None, mime: str | None = None):
    cell = nbformat.v4.new_code_cell(source)
    if text is not None:
        if mime is None:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        else:
            cell.outputs = [nbformat.v4.new_output("execute_result", data={mime: text}, execution_count=1)]
    return cell


def md(text: str):
    return nbformat.v4.new_markdown_cell(text)


EXERCISE_CELL = code("answer = None  # a whole number\nlesson.exercise_1.check(answer)")


@pytest.mark.parametrize(
    "plant",
    [
        "conv1 has 23296 parameters",
        "conv1 has 23,296 parameters",
        "23 296 weights",
        "23\u202f296",
        "about 23.3k parameters",
        "about 23k",
        "23.3 K weights",
        "(23296)",
        "n=23_296.",
    ],
)
@pytest.mark.parametrize("where", ["markdown", "source", "stream", "text/plain", "text/html", "text/markdown"])
def test_search_finds_a_planted_number(plant, where):
    patterns = leak_patterns(Number(23296))
    cell = {
        "markdown": lambda: md(plant),
        "source": lambda: code(f"# {plant}"),
        "stream": lambda: code("print(n)", plant),
        "text/plain": lambda: code("n", plant, "text/plain"),
        "text/html": lambda: code("t", f"<table><tr><td>{plant}</td></tr></table>", "text/html"),
        "text/markdown": lambda: code("t", plant, "text/markdown"),
    }[where]()
    nb = synthetic(md("# Lesson"), cell, md("## Exercise 1"), EXERCISE_CELL)
    assert find_leaks(nb, 1, patterns), (plant, where)


@pytest.mark.parametrize(
    "innocent",
    [
        "123296 images",
        "23,2961",
        "23296.5",
        "0.23296",
        "1.23296",
        "232960",
        "23.4k",
        "2.3k",
        "a23296",
        "v23296",
    ],
)
def test_search_ignores_longer_numbers(innocent):
    nb = synthetic(md(innocent), code(f"x = '{innocent}'", innocent), EXERCISE_CELL)
    assert find_leaks(nb, 1, leak_patterns(Number(23296))) == []


def test_search_only_looks_before_the_exercise_cell():
    nb = synthetic(md("intro"), EXERCISE_CELL, md("Solution: 23,296"), code("exercise_1(23296)"))
    assert find_leaks(nb, 1, leak_patterns(Number(23296))) == []
    with pytest.raises(LookupError):
        find_leaks(synthetic(md("no exercise here")), 1, leak_patterns(Number(23296)))


def test_exercise_cell_is_the_first_call_and_not_exercise_10():
    nb = synthetic(
        code("lesson.exercise_10.check(3)"), code("lesson.exercise_1(answer)"), code("lesson.exercise_1.check(answer)")
    )
    assert exercise_cell(nb, 1) == 1
    assert exercise_cell(nb, 10) == 0
    assert exercise_cell(nb, 2) is None
    nb = synthetic(code("lesson.exercise_1.hint()"), code("lesson.exercise_1.check(answer)"))
    assert exercise_cell(nb, 1) == 1


@pytest.mark.parametrize("plant", ["0.35", "a share of .35", "35%", "35.0%", "35 %", "0.350"])
def test_search_finds_a_planted_fraction(plant):
    nb = synthetic(code("x", plant, "text/plain"), EXERCISE_CELL)
    assert find_leaks(nb, 1, leak_patterns(Number(0.35, fraction=True))), plant


def test_fraction_ignores_other_numbers():
    nb = synthetic(md("10.35 and 0.355 and 135% and 35 epochs"), EXERCISE_CELL)
    assert find_leaks(nb, 1, leak_patterns(Number(0.35, fraction=True))) == []


@pytest.mark.parametrize("plant", ["57.3", "57.30 and more", "it is 57.3x"])
def test_search_finds_a_planted_float(plant):
    nb = synthetic(md(plant), EXERCISE_CELL)
    assert find_leaks(nb, 1, leak_patterns(Number(57.2893, rel=0.01))), plant


def test_millions():
    pats = leak_patterns(Number(1_234_567))
    for plant in ("1.2M", "1.23 M", "1,234,567", "1234567", "1.23 million", "1.2M params"):
        assert find_leaks(synthetic(md(plant), EXERCISE_CELL), 1, pats), plant
    assert not find_leaks(synthetic(md("11.2M and 1.25M"), EXERCISE_CELL), 1, pats)


@pytest.mark.parametrize(
    "plant",
    [
        "(1, 32, 7, 7)",
        "[1, 32, 7, 7]",
        "torch.Size([1, 32, 7, 7])",
        "32 x 7 x 7",
        "32x7x7",
        "1x32x7x7",
        "(32, 7, 7)",
        "32 × 7 × 7",
        "(1,32,7,7)",
    ],
)
def test_search_finds_a_planted_shape(plant):
    nb = synthetic(code("y.shape", plant, "text/plain"), EXERCISE_CELL)
    assert find_leaks(nb, 1, leak_patterns(Shape((1, 32, 7, 7)))), plant


@pytest.mark.parametrize("innocent", ["(1, 32, 7, 71)", "132x7x7", "(2, 32, 7, 7, 1)", "32x7x70", "(32, 7)"])
def test_shape_search_ignores_other_shapes(innocent):
    nb = synthetic(md(innocent), EXERCISE_CELL)
    assert find_leaks(nb, 1, leak_patterns(Shape((1, 32, 7, 7)))) == [], innocent


def test_short_values_are_not_searched():
    assert leak_patterns(Number(10)) == []
    assert leak_patterns(Number(0.5, fraction=True)) != []  # "0.5" and "50%" are 3 characters
    assert [s for s, _ in leak_patterns(Number(35))] == []
    assert "100" in [s for s, _ in leak_patterns(Number(100))]


def test_precision_follows_the_question():
    pats = leak_patterns(Number(1.4911, abs=0.01))
    assert not find_leaks(synthetic(md("1.5 billion multiply-adds"), EXERCISE_CELL), 1, pats)
    for plant in ("1.49", "1.491x", "a ratio of 1.490"):
        assert find_leaks(synthetic(md(plant), EXERCISE_CELL), 1, pats), plant
    pats = leak_patterns(Number(0.3496, rel=0.01, fraction=True))
    for plant in ("0.35", ".35", "35%", "35.0%", "0.350"):
        assert find_leaks(synthetic(md(plant), EXERCISE_CELL), 1, pats), plant
