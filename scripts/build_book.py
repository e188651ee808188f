"""Build the lessons' website from the notebooks' stored outputs (nothing is executed).

    python scripts/build_book.py [--out build/book]

Jupyter Book 1 (Sphinx + myst-nb + sphinx-book-theme). The repository address, the branch or tag
the launch buttons open, and the class hub's address come from pyproject.toml, the same setting
that `scripts/sync_links.py` writes into the README and the notebooks:

    [project.urls] Repository = "https://github.com/<owner>/<repo>"
    [tool.cnnlessons] ref = "main"          # or a release tag
                      hub = "https://..."   # your JupyterHub, for the nbgitpuller launch button

The notebooks are copied into a staging folder first and prepared for reading, not running:
the Colab install cell and the memory-budget cell are removed, every figure gets alt text, and each
saved widget gets a line saying that its controls need a running kernel. The drawing canvas of
lesson 00 (ipycanvas, whose browser code is not bundled here) is replaced by that line.
Widgets render offline from their saved state with the vendored scripts in docs/book/_static/widgets.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
REMOVED_TAGS = {"colab-setup", "launch-badges"}  # cells the website leaves out (its header has the buttons)
REMOVED_SOURCE = re.compile(r"^\s*cl\.check_memory_budget\(\)\s*$")  # test machinery
KERNEL_NOTE = (
    "*This widget is shown as it was saved at the end of the run: its controls need a running "
    "kernel. Launch the lesson (rocket icon above) to play with it.*"
)


def settings(root: Path = ROOT) -> dict[str, str]:
    """The one setting the launch links use: repository, ref and hub, from pyproject.toml."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    own = data.get("tool", {}).get("cnnlessons", {})
    return {
        "repository": data["project"]["urls"]["Repository"].rstrip("/"),
        "ref": own.get("ref", "main"),
        "hub": own.get("hub", "").rstrip("/"),
    }


def book_config(conf: dict[str, str]) -> str:
    """_config.yml for Jupyter Book (JSON is valid YAML, so no YAML writer is needed)."""
    launch = {
        "notebook_interface": "jupyterlab",
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
    }
    if conf["hub"]:
        launch["jupyterhub_url"] = conf["hub"]
    config = {
        "title": "cnnlessons: from AlexNet to ResNet",
        "author": "the cnnlessons contributors",
        "copyright": "lesson text and figures CC BY 4.0, code MIT",
        "only_build_toc_files": True,
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "execute": {"execute_notebooks": "off"},
        "bibtex_bibfiles": ["docs/book/references.bib"],
        "repository": {"url": conf["repository"], "path_to_book": "", "branch": conf["ref"]},
        "launch_buttons": launch,
        "html": {"use_repository_button": True, "use_issues_button": False, "use_edit_page_button": False},
        "sphinx": {
            "config": {
                "html_static_path": ["docs/book/_static"],
                "html_show_sourcelink": False,
                "mathjax_path": "mathjax/tex-mml-chtml.js",
                "html_js_files": ["book.js"],
                "nb_ipywidgets_js": {
                    "widgets/require.js": {},
                    "widgets/embed-amd.js": {"data-jupyter-widgets-cdn": "https://cdn.jsdelivr.net/npm/"},
                },
                "suppress_warnings": ["mystnb.unknown_mime_type"],
            }
        },
    }
    return json.dumps(config, indent=2)


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _alt_text(md_before: str, code: str) -> str:
    """A figure's alt text: the heading or sentence that introduces it, and the call that drew it."""
    heading = ""
    for line in md_before.splitlines():
        line = line.strip()
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
    call = next((ln.strip() for ln in code.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    what = f"Figure in the section '{heading}'" if heading else "Figure"
    return f"{what}, drawn by the code `{call[:80]}`" if call else what


def _canvas_ids(state: dict) -> set[str]:
    return {mid for mid, model in state.items() if model.get("model_module") == "ipycanvas"}


def _replace_canvases(state: dict) -> None:
    """ipycanvas models become a note: their browser code is not part of the offline bundle."""
    for mid in _canvas_ids(state):
        state[mid] = {
            "model_module": "@jupyter-widgets/controls",
            "model_module_version": "2.0.0",
            "model_name": "HTMLModel",
            "state": {
                "value": "<i>[drawing canvas: draw a digit here once the lesson runs in a kernel]</i>",
                "layout": state[mid].get("state", {}).get("layout"),
            },
        }
        if state[mid]["state"]["layout"] is None:
            del state[mid]["state"]["layout"]


def prepare(nb: dict) -> dict:
    """A copy of the notebook prepared for reading on the website."""
    nb = copy.deepcopy(nb)
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    _replace_canvases(state)
    cells, last_md = [], ""
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVED_TAGS or (cell["cell_type"] == "code" and REMOVED_SOURCE.match(_text(cell))):
            continue
        cells.append(cell)
        if cell["cell_type"] == "markdown":
            last_md = _text(cell)
            continue
        outputs = cell.get("outputs", [])
        if any("image/png" in o.get("data", {}) for o in outputs):
            meta = cell.setdefault("metadata", {}).setdefault("mystnb", {})
            meta.setdefault("image", {})["alt"] = _alt_text(last_md, _text(cell))
        if any(WIDGET_VIEW in o.get("data", {}) for o in outputs):
            cells.append(
                {
                    "cell_type": "markdown",
                    "id": f"{cell.get('id', len(cells))}-kernel-note",
                    "metadata": {},
                    "source": KERNEL_NOTE,
                }
            )
    nb["cells"] = cells
    return nb


def stage(root: Path, dest: Path, conf: dict[str, str]) -> None:
    """Lay out the book's sources in `dest`, mirroring the repository's paths (the launch links need them)."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "notebooks").mkdir(parents=True)
    shutil.copytree(root / "docs" / "book", dest / "docs" / "book")
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        (dest / "notebooks" / path.name).write_text(json.dumps(prepare(nb), indent=1), encoding="utf-8")
    (dest / "_config.yml").write_text(book_config(conf), encoding="utf-8")
    shutil.copy(root / "docs" / "book" / "_toc.yml", dest / "_toc.yml")


def drop_duplicate_scripts(html: Path) -> None:
    """Two theme glitches that print errors in a reader's browser console, fixed in the built pages:
    sphinx-book-theme and Jupyter Book both add sphinx-thebe's inline config script (a page that
    declares `const THEBE_JS_URL` twice throws; keep the first copy), and a first visit with no saved
    light/dark choice sets the mode to "" (logged as invalid; use "auto", the theme's own fallback)."""
    for page in html.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = text.replace('localStorage.getItem("mode") || ""', 'localStorage.getItem("mode") || "auto"')
        lines, seen, changed = fixed.splitlines(keepends=True), set(), fixed != text
        kept = []
        for line in lines:
            key = line.strip()
            if key.startswith("<script>const THEBE_JS_URL"):
                if key in seen:
                    changed = True
                    continue
                seen.add(key)
            kept.append(line)
        if changed:
            page.write_text("".join(kept), encoding="utf-8")


def place_widget_fonts(html: Path) -> None:
    """The widget bundle asks for its icon fonts relative to the page (at
    `@jupyter-widgets/html-manager/dist/` and `@jupyter-widgets/`): put copies where the lesson pages look."""
    fonts = [p for p in (html / "_static" / "widgets").iterdir() if p.suffix in {".woff2", ".woff", ".ttf"}]
    for sub in ("@jupyter-widgets/html-manager/dist", "@jupyter-widgets"):
        target = html / "notebooks" / sub
        target.mkdir(parents=True, exist_ok=True)
        for font in fonts:
            shutil.copy(font, target / font.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "book"), help="output folder (HTML in OUT/_build/html)")
    parser.add_argument(
        "--hub", default=None, help="a JupyterHub address for the launch buttons (default: pyproject's)"
    )
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    src = out.parent / (out.name + "-src")
    conf = settings()
    if args.hub is not None:
        conf["hub"] = args.hub.rstrip("/")
    stage(ROOT, src, conf)
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(exe) if exe.exists() else "jupyter-book",
        "build",
        str(src),
        "--path-output",
        str(out),
        "--builder",
        "html",
        "--keep-going",
    ]
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd)
    html = out / "_build" / "html"
    if result.returncode == 0:
        drop_duplicate_scripts(html)
        place_widget_fonts(html)
        pages = sorted(p.relative_to(html) for p in html.rglob("*.html") if "_static" not in p.parts)
        print(f"built {len(pages)} pages into {html}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
