"""Shared pytest set-up: the repository's paths, the markers the slower tests carry, and the
JupyterLab-in-Chromium harness that tests/test_browser.py and tests/test_browser_widgets.py share."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
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


# --- JupyterLab and Chromium, for the browser tests ------------------------------------------------


def find_chromium() -> str | None:
    """CNNLESSONS_CHROMIUM if set (and present), else the first Chromium or Chrome on PATH."""
    wanted = os.environ.get("CNNLESSONS_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Lab:
    """A JupyterLab server on a temporary folder, and the calls the tests make to it."""

    def __init__(self, root: Path, port: int, token: str, log: Path) -> None:
        self.root, self.port, self.token, self.log = root, port, token, log
        self.base = f"http://127.0.0.1:{port}"

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(
            f"{self.base}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def url(self, notebook: str) -> str:
        return f"{self.base}/lab/tree/{notebook}?token={self.token}&reset"  # reset: no tabs restored

    def shut_down_sessions(self) -> None:
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


# Settings a fresh user would not notice: no news prompt, every cell attached to the page (the
# default windowing mode may leave cells outside the viewport out of the DOM).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(server: Lab, proc: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}")
        try:
            server.api("status")
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"JupyterLab did not answer on port {server.port} in {timeout_s:.0f} s:\n{server.log_tail()}"
                )
            time.sleep(0.5)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Chromium's path; skips (with how to get it) without the playwright package or a Chromium."""
    pytest.importorskip(
        "playwright.sync_api",
        reason="the playwright package is not installed: `pip install playwright` (the project's `browser` extra)",
    )
    path = find_chromium()
    if path is None:
        pytest.skip(
            "no Chromium found: `make chromium` (apt-get install -y chromium on Debian/Ubuntu), "
            "or set CNNLESSONS_CHROMIUM to a Chromium or Chrome binary"
        )
    return path


@pytest.fixture(scope="session")
def artifacts(repo_root: Path) -> Path:
    """Where the browser tests leave their screenshots."""
    out = repo_root / "artifacts" / "browser"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def start_lab() -> Iterator[Callable[..., Lab]]:
    """``start_lab(root, **env)`` starts JupyterLab on ``root`` (a folder in a temporary directory;
    its config, data, settings and workspaces go beside it) on a free 127.0.0.1 port with a random
    token, waits until it answers, and stops it when the test module is done."""
    procs: list[subprocess.Popen] = []

    def start(root: Path, **env_vars: str) -> Lab:
        tmp = root.parent
        for name, value in LAB_SETTINGS.items():
            (tmp / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / "settings" / name).write_text(json.dumps(value))
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(tmp / "config"),
            JUPYTER_DATA_DIR=str(tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
            IPYTHONDIR=str(tmp / "ipython"),
            PYTHONUNBUFFERED="1",
            **env_vars,
        )
        port, token, log = _free_port(), secrets.token_hex(16), tmp / "jupyterlab.log"
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
            cmd.append("--allow-root")
        with open(log, "wb") as log_file:
            procs.append(subprocess.Popen(cmd, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT))
        server = Lab(root, port, token, log)
        _wait_until_up(server, procs[-1])
        return server

    try:
        yield start
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
