"""The mistake sweep (benchmarks/mistakes.py) on the current code: >= 90% diagnosed, none silent.

Each mistake declares the words its message must contain (the cause and the fix); a raw
traceback, a message with the wrong advice, or silence counts against the target.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest


@pytest.fixture(scope="module")
def sweep(repo_root):
    spec = importlib.util.spec_from_file_location("mistakes", repo_root / "benchmarks" / "mistakes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mistakes"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module, module.sweep()


def test_at_least_60_mistakes_each_with_keywords(sweep):
    module, _ = sweep
    assert len(module.MISTAKES) >= 60
    assert len({m.name for m in module.MISTAKES}) == len(module.MISTAKES)
    assert all(m.keywords for m in module.MISTAKES)


def test_ninety_percent_diagnosed_and_none_silent(sweep):
    _, results = sweep
    n = sum(len(v) for v in results.values())
    diagnosed = len(results["diagnosed"])
    report = "\n".join(f"{k}: {name}: {text[:200]}" for k in ("raw", "silent") for name, text in results[k])
    assert results["silent"] == [], report
    assert diagnosed >= 0.9 * n, report
