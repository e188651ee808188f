"""Every notebook has an up-to-date text twin (notebooks/NN_name.py, jupytext percent format) for review.

When this fails: run `make twins` (python scripts/sync_twins.py) and commit the twins.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("sync_twins", ROOT / "scripts" / "sync_twins.py")
sync_twins = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_twins)


def test_every_notebook_has_an_up_to_date_twin():
    found = sync_twins.problems()
    assert not found, "\n".join([*found, "run `make twins` (python scripts/sync_twins.py) and commit the twins"])


def test_the_check_sees_a_missing_a_stale_and_an_orphan_twin(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = folder / "00_start_here.ipynb"
    shutil.copy(ROOT / "notebooks" / "00_start_here.ipynb", nb)
    assert sync_twins.problems(folder) == ["notebooks/00_start_here.py is missing"]
    assert sync_twins.sync(folder) == [folder / "00_start_here.py"]
    assert sync_twins.problems(folder) == [] and sync_twins.sync(folder) == []  # a second run changes nothing

    text = (folder / "00_start_here.py").read_text()
    assert "# %% [markdown]" in text and '"outputs"' not in text  # prose and code, no JSON, no outputs
    notebook = nbformat.read(nb, as_version=4)
    notebook.cells[-1].source += "\n# an edit"
    nbformat.write(notebook, nb)
    (folder / "99_gone.py").write_text("# %%\n")
    assert sync_twins.problems(folder) == [
        "notebooks/00_start_here.py is out of date with 00_start_here.ipynb",
        "notebooks/99_gone.py has no notebook",
    ]
    sync_twins.sync(folder)
    assert sync_twins.problems(folder) == [] and not (folder / "99_gone.py").exists()
