"""The package's dependencies run one way: no import cycle among the core modules, and the
display (live curves, overlays) reads a History without ever importing the training loop."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "cnnlessons"
CORE = [
    "history",
    "losses",
    "counting",
    "env",
    "device",
    "diagnose",
    "data",
    "augment",
    "trace",
    "doctor",
    "preflight",
    "train",
    "live",
    "curves",
    "viz",
]
# module -> modules it must never import (at any level: a lazy import inside a function counts too)
FORBIDDEN = {
    "live": {"train"},
    "curves": {"train"},
    "history": set(CORE) - {"history"},
    "losses": set(CORE) - {"losses"},
    "counting": set(CORE) - {"counting"},
}


def _imports(module: str, top_level_only: bool) -> set[str]:
    """The sibling modules ``cnnlessons.<module>`` imports (``from .x import``, ``from cnnlessons.x``)."""
    tree = ast.parse((PKG / f"{module}.py").read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(a.name for a in node.names)
            elif node.module and node.module.startswith("cnnlessons."):
                found.add(node.module.split(".")[1])
    return found & set(CORE)


@pytest.mark.parametrize("module", CORE)
def test_each_core_module_imports_alone(module):
    """Each imports in a fresh interpreter (an import cycle shows up as a partially initialised module)."""
    run = subprocess.run([sys.executable, "-c", f"import cnnlessons.{module}"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


def test_no_import_cycle_at_module_level():
    graph = {m: _imports(m, top_level_only=True) for m in CORE}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for dep in sorted(graph[m]):
            assert state.get(dep) != 1, f"import cycle: {' -> '.join(path + [m, dep])}"
            if dep not in state:
                visit(dep, path + [m])
        state[m] = 2

    for m in CORE:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_display_never_imports_training(module):
    bad = _imports(module, top_level_only=False) & FORBIDDEN[module]
    assert not bad, f"cnnlessons/{module}.py imports {sorted(bad)}: dependencies must run the other way"


def test_train_imports_the_display_only_when_drawing():
    assert "live" not in _imports("train", top_level_only=True)
    assert "curves" not in _imports("train", top_level_only=False)


MAX_BODY_LINES = 60


def _body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end: the code a reader follows."""
    body = fn.body
    has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant)
    if has_doc and isinstance(body[0].value.value, str):
        body = body[1:]
    return fn.end_lineno - body[0].lineno + 1 if body else 0


def test_no_function_body_over_60_lines():
    """Every function in the package, models, lessons and widgets included, reads in a screen."""
    long = []
    for path in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_lines(node) > MAX_BODY_LINES:
                long.append(f"{path.relative_to(PKG.parent)}:{node.lineno} {node.name} ({_body_lines(node)} lines)")
    assert not long, "functions whose code is over 60 lines (split them):\n" + "\n".join(long)


def test_the_length_rule_sees_a_long_function(tmp_path):
    """The rule counts code lines, not the signature or the docstring."""
    src = "def f(\n    a,\n    b,\n):\n    '''doc\n\n    more doc'''\n" + "    x = 1\n" * 61
    fn = ast.parse(src).body[0]
    assert _body_lines(fn) == 61
