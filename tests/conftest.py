"""Shared pytest set-up: the repository's paths and the markers the slower tests carry."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives JupyterLab in headless Chromium (deselect with -m 'not browser')"
    )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's root folder (the one holding pyproject.toml)."""
    return REPO_ROOT
