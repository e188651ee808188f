"""The website, as a reader meets it: `make book`'s pages opened in headless Chromium.

The book is built from the notebooks' stored outputs (scripts/build_book.py, nothing executed) into a
temporary folder, served on 127.0.0.1, and every page is opened: no console error, no failed request,
no broken internal link, every image loaded, saved widgets rendered. One lesson page's launch buttons
must point at the repository and ref set in pyproject.toml.

Needs jupyter-book (the `book` extra), the playwright package and a Chromium binary; skipped, with the
reason, without them.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_book  # noqa: E402

pytestmark = pytest.mark.browser
TEST_HUB = "https://hub.example.edu"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("jupyter_book") is None:
        pytest.skip("jupyter-book is not installed: `pip install -e .[book]`")
    out = tmp_path_factory.mktemp("book") / "book"
    # A hub address is set so that the JupyterHub (nbgitpuller) button is built and checked too.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_book.py"), "--out", str(out), "--hub", TEST_HUB],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "WARNING" not in result.stdout + result.stderr, (result.stdout + result.stderr)[-3000:]
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the `browser` extra)")
    path = _chromium()
    if path is None:
        pytest.skip("no Chromium found: `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _pages(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if "_static" not in p.parts)


def test_every_lesson_has_a_page(site: Path) -> None:
    pages = _pages(site)
    lessons = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert lessons and all(f"notebooks/{name}.html" in pages for name in lessons), pages
    assert "docs/book/references.html" in pages


def test_pages_open_without_errors(site: Path, server: str, browser) -> None:
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    # Nothing outside this machine may be needed: requests elsewhere are refused and reported.
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(server)
            else (problems.append(f"external request: {route.request.url}"), route.abort())
        ),
    )
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"{page.url}: console: {msg.text}"))
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"{page.url}: failed request {req.url}"))
    page.on("response", lambda resp: resp.status >= 400 and problems.append(f"{page.url}: {resp.status} {resp.url}"))
    widget_pages = 0
    for rel in _pages(site):
        page.goto(f"{server}/{rel}", wait_until="networkidle")
        broken = page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        problems += [f"{rel}: image not loaded: {src}" for src in broken]
        missing_alt = page.eval_on_selector_all("article img", "imgs => imgs.filter(i => !i.alt).map(i => i.src)")
        problems += [f"{rel}: image without alt text: {src}" for src in missing_alt]
        for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))"):
            parsed = urllib.parse.urlparse(href)
            if parsed.scheme or href.startswith("#") or href.startswith("mailto:"):
                continue
            here = urllib.parse.urlparse(page.url).path.lstrip("/")  # after any redirect
            target = (site / here).parent / urllib.parse.unquote(parsed.path)
            if not target.resolve().exists():
                problems.append(f"{rel}: broken link {href}")
        if page.locator("script[type='application/vnd.jupyter.widget-view+json']").count():
            widget_pages += 1
            page.wait_for_selector(".widget-box, .jupyter-widgets", timeout=20_000)
    context.close()
    assert not problems, "\n".join(problems[:40])
    assert widget_pages >= 1, "no page rendered a saved widget"


def test_launch_buttons_follow_the_setting(site: Path) -> None:
    conf = dict(build_book.settings(ROOT), hub=TEST_HUB)
    html = (site / "notebooks" / "00_start_here.html").read_text(encoding="utf-8")
    owner_repo = urllib.parse.urlparse(conf["repository"]).path.strip("/")
    binder = f"https://mybinder.org/v2/gh/{owner_repo}/{conf['ref']}?urlpath=lab/tree/notebooks/00_start_here.ipynb"
    colab = f"https://colab.research.google.com/github/{owner_repo}/blob/{conf['ref']}/notebooks/00_start_here.ipynb"
    assert binder in html, "Binder launch button does not use the repository setting"
    assert colab in html, "Colab launch button does not use the repository setting"
    if conf["hub"]:
        import html as html_lib
        import re

        pulls = [html_lib.unescape(h) for h in re.findall(r'href="([^"]*/hub/user-redirect/git-pull\?[^"]*)"', html)]
        assert pulls, "no JupyterHub (nbgitpuller) launch button"
        for href in pulls:
            parsed = urllib.parse.urlparse(href)
            query = urllib.parse.parse_qs(parsed.query)
            assert href.startswith(conf["hub"] + "/hub/user-redirect/git-pull"), href
            assert query["repo"] == [conf["repository"]] and query["branch"] == [conf["ref"]], href
            assert query["urlpath"][0].endswith("notebooks/00_start_here.ipynb"), href


def test_stage_prepares_notebooks_for_reading() -> None:
    nb = {
        "metadata": {
            "widgets": {
                build_book.WIDGET_STATE: {
                    "state": {
                        "a": {
                            "model_module": "ipycanvas",
                            "model_module_version": "^0.14",
                            "model_name": "CanvasModel",
                            "state": {},
                        }
                    }
                }
            }
        },
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["colab-setup"]}, "source": "%pip install x", "outputs": []},
            {"cell_type": "markdown", "metadata": {}, "source": "## Curves\nText."},
            {
                "cell_type": "code",
                "metadata": {},
                "source": "cl.plot(x)",
                "outputs": [{"output_type": "display_data", "data": {"image/png": "AAAA"}, "metadata": {}}],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": "w",
                "outputs": [
                    {"output_type": "display_data", "data": {build_book.WIDGET_VIEW: {"model_id": "a"}}, "metadata": {}}
                ],
            },
            {"cell_type": "code", "metadata": {}, "source": "cl.check_memory_budget()", "outputs": []},
        ],
    }
    out = build_book.prepare(nb)
    sources = [c["source"] for c in out["cells"]]
    assert "%pip install x" not in sources and "cl.check_memory_budget()" not in sources
    assert out["cells"][1]["metadata"]["mystnb"]["image"]["alt"].startswith("Figure in the section 'Curves'")
    assert build_book.KERNEL_NOTE in sources
    state = out["metadata"]["widgets"][build_book.WIDGET_STATE]["state"]["a"]
    assert state["model_name"] == "HTMLModel"
