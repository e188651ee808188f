"""Write each notebook's text twin: notebooks/NN_name.ipynb -> notebooks/NN_name.py (jupytext percent format).

A twin holds the notebook's markdown and code (no outputs), so a lesson's diff in review reads like
prose and code, not JSON. Cell tags are kept (``# %% tags=["nbval-ignore-output"]``); notebook
metadata and jupytext's version header are left out, so the text depends on the cells alone.

    python scripts/sync_twins.py          # (re)write every twin, remove twins without a notebook
    python scripts/sync_twins.py --check  # exit 1 and name the twins that are missing or stale

tests/test_notebook_twins.py runs the check; ``make twins`` fixes what it finds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PATTERN = "[0-9][0-9]_*.ipynb"
FORMAT = {"extension": ".py", "format_name": "percent"}


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    return sorted(folder.glob(PATTERN))


def twin_path(notebook: Path) -> Path:
    return notebook.with_suffix(".py")


def twin_text(notebook: Path) -> str:
    """The twin as it should be: the cells in percent format, tags kept, no notebook metadata."""
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata = {"jupytext": {"notebook_metadata_filter": "-all", "cell_metadata_filter": "tags,-all"}}
    return jupytext.writes(nb, fmt=FORMAT)


def problems(folder: Path = NOTEBOOKS) -> list[str]:
    """One line per twin that is missing, out of date, or left without its notebook."""
    found = []
    for nb in notebooks(folder):
        twin = twin_path(nb)
        if not twin.exists():
            found.append(f"{twin.relative_to(folder.parent)} is missing")
        elif twin.read_text(encoding="utf-8") != twin_text(nb):
            found.append(f"{twin.relative_to(folder.parent)} is out of date with {nb.name}")
    names = {twin_path(nb).name for nb in notebooks(folder)}
    for twin in sorted(folder.glob("[0-9][0-9]_*.py")):
        if twin.name not in names:
            found.append(f"{twin.relative_to(folder.parent)} has no notebook")
    return found


def sync(folder: Path = NOTEBOOKS) -> list[Path]:
    """Write every twin whose text changed; remove twins without a notebook. Returns the paths touched."""
    touched = []
    for nb in notebooks(folder):
        twin, text = twin_path(nb), twin_text(nb)
        if not twin.exists() or twin.read_text(encoding="utf-8") != text:
            twin.write_text(text, encoding="utf-8")
            touched.append(twin)
    names = {twin_path(nb).name for nb in notebooks(folder)}
    for twin in sorted(folder.glob("[0-9][0-9]_*.py")):
        if twin.name not in names:
            twin.unlink()
            touched.append(twin)
    return touched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing or stale twins (exit 1)")
    parser.add_argument("--folder", type=Path, default=NOTEBOOKS)
    args = parser.parse_args(argv)
    if args.check:
        found = problems(args.folder)
        for line in found:
            print(line)
        if found:
            print("run `make twins` (python scripts/sync_twins.py) and commit the twins")
        return 1 if found else 0
    for path in sync(args.folder):
        print(f"wrote {path.relative_to(args.folder.parent)}" if path.exists() else f"removed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
