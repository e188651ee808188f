"""The notebooks as a student meets them: JupyterLab driven by headless Chromium.

JupyterLab starts from this Python environment on a temporary copy of ``notebooks/``
(JupyterLab autosaves into what it serves, so the repository's files are never touched),
on a free 127.0.0.1 port with a random token. Notebook 00 runs top to bottom through the
Run menu and must show no error (on the page, and in the notebook JupyterLab saves); then a
channel slider is moved with the keyboard and the displayed cost must change. Every notebook
is also opened afresh and must render all its cells and images with no error output.
Screenshots land in ``artifacts/browser/``.

Needs the ``playwright`` Python package (its driver; it downloads no browser here) and a
Chromium binary: Debian's ``/usr/bin/chromium`` (``apt-get install -y chromium``, which
``.ci/run`` does) or the path in ``CNNLESSONS_CHROMIUM``. Skipped, with the reason, without them.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

pytestmark = pytest.mark.browser

START_NOTEBOOK = "00_start_here.ipynb"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook tab in front
# Seconds for notebook 00 to run top to bottom; its budget is about 2 minutes on an idle 2-core CPU.
RUN_TIMEOUT_S = float(os.environ.get("CNNLESSONS_BROWSER_RUN_TIMEOUT", "420"))
# What a traceback or an exception line looks like in a rendered output.
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|^\s*[\w.]*(Error|Exception)\b.*:", re.M)


def _notebook_dir(repo_root: Path) -> Path:
    # CNNLESSONS_BROWSER_NOTEBOOKS points the test at another folder of notebooks (to develop it).
    return Path(os.environ.get("CNNLESSONS_BROWSER_NOTEBOOKS", repo_root / "notebooks"))


@pytest.fixture(scope="module")
def lab(chromium_path: str, repo_root: Path, tmp_path_factory: pytest.TempPathFactory, start_lab):
    source = _notebook_dir(repo_root)
    if not any(source.glob("*.ipynb")):
        pytest.skip(f"no notebooks in {source} yet")
    root = tmp_path_factory.mktemp("lab") / "notebooks"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return start_lab(root)


@pytest.fixture(scope="module")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
        lab.shut_down_sessions()


def _open(page, lab, notebook: str) -> None:
    page.goto(lab.url(notebook))
    page.locator(f"{PANEL} .jp-Notebook .jp-Cell").first.wait_for(state="attached")
    page.locator(f"{PANEL} .jp-Notebook:is(.jp-mod-commandMode, .jp-mod-editMode)").first.wait_for()


def _shown_errors(page) -> list[str]:
    """Rendered error outputs, as the student would see them. JupyterLab renders tracebacks and
    stderr streams alike (mime type application/vnd.jupyter.stderr): a warning on stderr is not an
    error, a traceback or an exception line is; printed text (stdout) never counts."""
    texts = page.locator(
        f'{PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).all_inner_texts()
    return [text[:800] for text in texts if ERROR_TEXT.search(text)]


def _stored_errors(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def _save_and_read(page, path: Path, timeout_s: float = 30.0):
    """File > Save Notebook, then the notebook as JupyterLab wrote it into the temporary copy."""
    before = path.stat().st_mtime_ns
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.locator('.lm-Menu-item[data-command="docmanager:save"]').click()
    deadline = time.monotonic() + timeout_s
    while path.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "File > Save Notebook did not write the notebook"
        time.sleep(0.5)
    time.sleep(0.5)  # let the write finish
    return nbformat.read(path, as_version=4)


def _any_started(page, timeout_s: float = 20.0) -> bool:
    """Whether some code cell shows [*] (queued or running) or an execution count within the time."""
    prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputPrompt")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(re.fullmatch(r"\[(\*|\d+)\]:", t.strip()) for t in prompts.all_inner_texts()):
            return True
        time.sleep(0.5)
    return False


def _wait_until_all_ran(page, lab, n_code: int) -> None:
    prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputPrompt")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    stalled_since = None
    while True:
        texts = [t.strip() for t in prompts.all_inner_texts()]
        ran = sum(bool(re.fullmatch(r"\[\d+\]:", t)) for t in texts)
        idle = all(k["execution_state"] == "idle" for k in lab.api("kernels"))
        if ran == n_code and idle:
            return
        # Idle with nothing queued but cells left: an error stopped Run All.
        if idle and "[*]:" not in texts:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 5:
                raise AssertionError(
                    f"Run All stopped after {ran} of {n_code} code cells; errors shown: {_shown_errors(page)}"
                )
        else:
            stalled_since = None
        if time.monotonic() > deadline:
            raise AssertionError(
                f"after {RUN_TIMEOUT_S:.0f} s, {ran} of {n_code} code cells have run "
                f"(prompts: {texts}); errors shown: {_shown_errors(page)}\n"
                f"JupyterLab's log ends with:\n{lab.log_tail()}"
            )
        time.sleep(1.0)


def test_start_here_runs_and_slider_changes_cost(page, lab, artifacts: Path) -> None:
    path = lab.root / START_NOTEBOOK
    if not path.exists():
        pytest.skip(f"{START_NOTEBOOK} is not written yet")
    n_code = sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)

    _open(page, lab, START_NOTEBOOK)
    # Wait for the kernel as a student would (the status circle turns idle), then Run > Run All Cells.
    page.locator(f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(timeout=120_000)
    started = time.monotonic()
    for _attempt in range(3):
        page.locator(f"{PANEL} .jp-Cell").first.click()  # the notebook becomes the current widget
        # The stored outputs and execution counts go first, so that what is checked below is this run's.
        page.get_by_role("menuitem", name="Edit", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Clear Outputs of All Cells")).click()
        page.wait_for_function(
            "sel => [...document.querySelectorAll(sel)].every(p => !/\\d/.test(p.innerText))",
            arg=f"{PANEL} .jp-CodeCell .jp-InputPrompt",
        )
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        if _any_started(page):
            break
    else:
        raise AssertionError(f"Run > Run All Cells started no cell: {lab.log_tail()}")
    _wait_until_all_ran(page, lab, n_code)
    print(f"{START_NOTEBOOK} ran in the browser in {time.monotonic() - started:.0f} s")
    page.screenshot(path=artifacts / "00_start_here_ran.png")

    errors = _shown_errors(page)
    assert not errors, f"cells show errors after Run All: {errors}"
    saved = _save_and_read(page, path)
    assert not _stored_errors(path), f"the saved notebook holds errors: {_stored_errors(path)}"
    unrun = [i for i, c in enumerate(saved.cells) if c.cell_type == "code" and not c.execution_count]
    assert not unrun, f"code cells {unrun} did not run"

    # The channel widget: its cost readout carries the class cnnlessons-cost.
    cost = page.locator(f"{PANEL} .cnnlessons-cost").first
    cost.wait_for()
    cell = page.locator(f"{PANEL} .jp-CodeCell", has=page.locator(".cnnlessons-cost")).first
    cell.scroll_into_view_if_needed()
    before = cost.inner_text()
    handle = cell.locator(".widget-slider .noUi-handle").first
    value = float(handle.get_attribute("aria-valuenow"))
    key = "ArrowLeft" if value >= float(handle.get_attribute("aria-valuemax")) else "ArrowRight"
    handle.focus()
    handle.press(key)  # one step, as a student would with the keyboard
    if not _changes(page, cost, before):
        # Typing into the editable readout, the other way a student sets a value.
        readout = cell.locator(".widget-slider .widget-readout").first
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(str(int(value) + (1 if key == "ArrowRight" else -1)))
        page.keyboard.press("Enter")
        _changes(page, cost, before)
    after = cost.inner_text()
    cell.screenshot(path=artifacts / "00_channel_widget_moved.png")
    assert float(handle.get_attribute("aria-valuenow")) != value, "the slider did not move"
    assert after != before, f"moving the slider left the cost at {before!r}"
    assert not _shown_errors(page), "moving the slider produced an error output"
    _shoot_outputs(page, artifacts)


def _changes(page, locator, old: str, timeout_ms: int = 20_000) -> bool:
    """Whether the element's text differs from old within the time (the kernel answers the slider)."""
    try:
        page.wait_for_function(
            "([el, old]) => el.innerText !== old", arg=[locator.element_handle(), old], timeout=timeout_ms
        )
        return True
    except Exception:  # playwright's TimeoutError
        return False


def _shoot_outputs(page, artifacts: Path) -> None:
    """Artifacts for the README: the outputs of the cells that train, trace and show the widget."""
    for snippet, name in (("fit(", "live_curves"), ("trace(", "trace"), ("channel_explorer(", "channel_widget")):
        cell = page.locator(f"{PANEL} .jp-CodeCell", has=page.locator(".jp-InputArea", has_text=snippet)).last
        if cell.count() and cell.locator(".jp-OutputArea").count():
            output = cell.locator(".jp-OutputArea").first
            output.scroll_into_view_if_needed()
            output.screenshot(path=artifacts / f"00_{name}.png")


def _wait_for_count(page, selector: str, n: int) -> None:
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length >= n", arg=[selector, n])


def _lesson_notebooks(repo_root: Path) -> list[str]:
    names = sorted(p.name for p in _notebook_dir(repo_root).glob("[0-9][0-9]_*.ipynb"))
    return names or ["(none yet)"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "notebook_name" in metafunc.fixturenames:
        repo_root = Path(__file__).resolve().parents[1]
        metafunc.parametrize("notebook_name", _lesson_notebooks(repo_root))


def test_notebook_renders_without_errors(page, lab, artifacts: Path, notebook_name: str) -> None:
    path = lab.root / notebook_name
    if not path.exists():
        pytest.skip("no lesson notebooks yet")
    nb = nbformat.read(path, as_version=4)
    assert not _stored_errors(path), f"{notebook_name} stores error outputs: {_stored_errors(path)}"

    _open(page, lab, notebook_name)
    cells = page.locator(f"{PANEL} .jp-Notebook .jp-Cell")
    _wait_for_count(page, f"{PANEL} .jp-Notebook .jp-Cell", len(nb.cells))
    assert cells.count() == len(nb.cells)
    n_images = sum(
        "image/png" in out.get("data", {}) for c in nb.cells if c.cell_type == "code" for out in c.get("outputs", [])
    )
    _wait_for_count(page, f"{PANEL} .jp-RenderedImage img", n_images)
    n_markdown = sum(c.cell_type == "markdown" for c in nb.cells)
    assert page.locator(f"{PANEL} .jp-MarkdownCell .jp-RenderedMarkdown").count() == n_markdown
    page.screenshot(path=artifacts / f"{Path(notebook_name).stem}_opened.png")
    errors = _shown_errors(page)
    assert not errors, f"{notebook_name} shows errors when opened: {errors}"
