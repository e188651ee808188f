"""Launch links and Binder: every Binder, Colab and JupyterHub link agrees with the ONE setting
(pyproject's ``[project.urls] Repository`` and ``[tool.cnnlessons] ref``, written by
``scripts/sync_links.py``), no placeholder is left, the Colab install cell keeps Colab's torch;
and what repo2docker will read, CPU-only torch, the package installed, nothing downloaded when a
kernel starts, every notebook inside Binder's memory.

repo2docker reads ``binder/`` when it exists and then ignores the root's configuration files;
its Python build pack runs ``pip install -r binder/requirements.txt`` from the repository root
(so ``.`` there is this package). These tests check that set-up without Docker.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    tomllib = pytest.importorskip("tomli")

from packaging.requirements import Requirement
from packaging.version import Version

# Files that make repo2docker choose another build pack than the Python one (which reads
# requirements.txt): with any of them in binder/, binder/requirements.txt would be ignored.
OTHER_BUILD_PACKS = (
    "Dockerfile",
    "environment.yml",
    "environment.yaml",
    "Pipfile",
    "Pipfile.lock",
    "default.nix",
    "Project.toml",
    "JuliaProject.toml",
    "REQUIRE",
    "install.R",
    "DESCRIPTION",
)
BINDER_BUDGET_MB = 1500  # Binder gives about 2 GB; the kernel must stay well under it


def _requirement_lines(repo_root: Path) -> list[str]:
    lines = (repo_root / "binder" / "requirements.txt").read_text().splitlines()
    return [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]


def _local_lines(repo_root: Path) -> list[str]:
    """The lines that install this repository: '.', '-e .', '.[lab]'."""
    return [ln for ln in _requirement_lines(repo_root) if re.fullmatch(r"(-e )?\.(\[[\w,-]+\])?", ln)]


def _pinned(repo_root: Path) -> dict[str, Requirement]:
    reqs = {}
    for line in _requirement_lines(repo_root):
        if not line.startswith("-") and not line.startswith("."):  # pins, not the package itself
            req = Requirement(line)
            reqs[req.name.lower()] = req
    return reqs


def _pin_version(req: Requirement) -> Version:
    (spec,) = req.specifier
    assert spec.operator == "==", f"{req} should be pinned with == to an exact +cpu build"
    return Version(spec.version)


def _pyproject(repo_root: Path) -> dict:
    return tomllib.loads((repo_root / "pyproject.toml").read_text())


def test_repo2docker_reads_the_binder_folder(repo_root: Path) -> None:
    binder = repo_root / "binder"
    assert binder.is_dir(), "binder/ is missing: repo2docker would fall back to the root's files"
    assert not (repo_root / ".binder").exists(), "both binder/ and .binder/ exist: repo2docker refuses that"
    assert (binder / "requirements.txt").is_file()
    switching = [name for name in OTHER_BUILD_PACKS if (binder / name).exists()]
    assert not switching, f"{switching} in binder/ would make repo2docker ignore binder/requirements.txt"
    # The root's environment.yml (for conda users) and pyproject.toml are ignored by repo2docker
    # because binder/ exists; binder/ must therefore bring in the package itself.
    assert _local_lines(repo_root), "binder/requirements.txt must install this repository's package with a '.' line"
    runtime = (binder / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    requires = _pyproject(repo_root)["project"]["requires-python"]
    from packaging.specifiers import SpecifierSet

    assert Version(runtime.removeprefix("python-")) in SpecifierSet(requires)


def test_binder_torch_is_cpu_only(repo_root: Path) -> None:
    lines = _requirement_lines(repo_root)
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert not any("whl/cu" in ln or "nvidia" in ln.lower() for ln in lines), "a CUDA index or package"
    pins = _pinned(repo_root)
    torch_v, vision_v = _pin_version(pins["torch"]), _pin_version(pins["torchvision"])
    assert torch_v.local == "cpu" and vision_v.local == "cpu", "torch and torchvision must be +cpu builds"
    # torchvision 0.(m+15) goes with torch 2.m
    assert (torch_v.major, vision_v.major, vision_v.minor) == (2, 0, torch_v.minor + 15), (
        f"torchvision {vision_v} does not match torch {torch_v}"
    )
    # The pins satisfy the package's own lower bounds, so pip keeps them when it installds '.'.
    for dep in _pyproject(repo_root)["project"]["dependencies"]:
        req = Requirement(dep)
        if req.name in ("torch", "torchvision"):
            pinned = torch_v if req.name == "torch" else vision_v
            assert req.specifier.contains(pinned, prereleases=True), f"{req} excludes Binder's {pinned}"


def test_binder_torch_is_the_tested_release(repo_root: Path) -> None:
    """Binder runs the torch release the notebooks are tested with here (only the build differs)."""
    import torch
    import torchvision

    pins = _pinned(repo_root)
    assert _pin_version(pins["torch"]).public == Version(torch.__version__).public, (
        f"binder/requirements.txt pins torch {pins['torch']}, tests run {torch.__version__}: update the pin"
    )
    assert _pin_version(pins["torchvision"]).public == Version(torchvision.__version__).public


def test_requirements_dot_installs_this_package_from_the_root(repo_root: Path, tmp_path: Path) -> None:
    """pip resolves '.' in binder/requirements.txt against the directory it runs in (the root)."""
    pytest.importorskip("setuptools", reason="needs setuptools to read pyproject.toml without network")
    local = _local_lines(repo_root)
    req_file = tmp_path / "requirements.txt"  # only the local line, so pip needs no index
    req_file.write_text("\n".join(local) + "\n")
    report = tmp_path / "report.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--report",
            str(report),
            "-r",
            str(req_file),
        ],
        cwd=repo_root,
        check=True,
        capture_output=True,
        timeout=120,
    )
    installs = json.loads(report.read_text())["install"]
    assert [item["metadata"]["name"] for item in installs] == ["cnnlessons"]
    assert installs[0]["download_info"]["url"] == repo_root.as_uri()


def test_built_package_ships_mnist_and_only_the_package(repo_root: Path, tmp_path: Path) -> None:
    """A non-editable install (Binder's) gets the MNIST files and none of tests/, notebooks/, binder/."""
    pytest.importorskip("setuptools", reason="needs setuptools to build the wheel without network")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "-w",
            str(tmp_path),
            str(repo_root),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("cnnlessons-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for idx in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        assert f"cnnlessons/data_files/{idx}.gz" in names
    assert "cnnlessons/data_files/README.md" in names, "the MNIST attribution and licence must ship"
    shipped = {Path(n).name for n in names if ".dist-info/" in n}
    assert {"LICENSE", "LICENSE-lessons.md"} <= shipped, f"the licences must ship in the wheel: {sorted(shipped)}"
    top = {name.split("/", 1)[0] for name in names}
    assert top <= {"cnnlessons", *{n for n in top if n.endswith(".dist-info")}}, top


OFFLINE_KERNEL = textwrap.dedent(
    """
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network use at kernel start: " + repr(args[:2]))

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    import importlib.util
    import cnnlessons as cl
    for name, module in cl._LAZY.items():  # the lazily imported helpers too (those written so far)
        if importlib.util.find_spec("cnnlessons." + module) is not None:
            getattr(cl, name)
    import torchvision.models  # noqa: F401  (architectures only; no weights are asked for)
    x, y = cl.load_mnist("train", subset=1000)
    assert tuple(x.shape) == (1000, 1, 28, 28), x.shape
    x, y = cl.load_mnist("test")
    assert len(y) == 10_000
    print("offline ok")
    """
)


def test_nothing_is_downloaded_at_kernel_start(repo_root: Path, tmp_path: Path) -> None:
    """In a fresh interpreter with networking refused: import the package and load MNIST."""
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE_KERNEL],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0 and "offline ok" in done.stdout, done.stderr[-3000:]


def _memory_calls(source: str) -> list[ast.Call]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: fall back to a plain text search
        return [ast.Call(func=ast.Name("check_memory_budget"), args=[], keywords=[])] * (
            "check_memory_budget(" in source
        )
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "check_memory_budget"
    ]


def _notebooks(repo_root: Path) -> list[Path]:
    return sorted((repo_root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("name", [p.name for p in _notebooks(Path(__file__).resolve().parents[1])] or ["(none yet)"])
def test_every_notebook_ends_inside_the_memory_budget(repo_root: Path, name: str) -> None:
    """The last code cell calls cl.check_memory_budget() (it runs under nbval and asserts peak RSS
    < 1.5 GB) with no larger limit, and its stored output shows that it passed."""
    path = repo_root / "notebooks" / name
    if not path.exists():
        pytest.skip("no lesson notebooks yet")
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{name} has no code cells"
    last = code[-1]
    source = "".join(last["source"])
    calls = _memory_calls(source)
    assert calls, f"{name}: the last code cell must call cl.check_memory_budget(), found:\n{source}"
    for call in calls:
        limits = [*call.args, *(kw.value for kw in call.keywords if kw.arg == "limit_mb")]
        for limit in limits:
            value = ast.literal_eval(limit)
            assert value <= BINDER_BUDGET_MB, f"{name} raises the memory budget to {value} MB"
    outputs = last.get("outputs", [])
    assert not any(o["output_type"] == "error" for o in outputs), f"{name} went over the memory budget"
    text = "".join("".join(o.get("text", "")) for o in outputs if o["output_type"] == "stream")
    assert "Peak kernel memory is under 1,500 MB." in text, (
        f"{name}: the stored output of the last cell does not show the budget check passing; "
        f"run `make run-notebook NB=notebooks/{name}`"
    )


def test_conda_environment_matches_pyproject(repo_root: Path) -> None:
    """environment.yml (conda users; repo2docker ignores it because binder/ exists) installs the
    package and repeats pyproject's lower bounds, not other ones."""
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert any(line.startswith("-e .") or line.startswith(".") for line in pip_section)
    listed = {
        Requirement(line).name: str(Requirement(line).specifier)
        for line in pip_section
        if not line.startswith(("-", "."))
    }
    declared = {
        Requirement(dep).name: str(Requirement(dep).specifier)
        for dep in _pyproject(repo_root)["project"]["dependencies"]
    }
    assert listed == declared


# --- launch links: one setting, written by scripts/sync_links.py ---------------------------------


def _sync_module(repo_root: Path):
    spec = importlib.util.spec_from_file_location("sync_links", repo_root / "scripts" / "sync_links.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["sync_links"] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sync(repo_root: Path):
    return _sync_module(repo_root)


def test_the_setting_is_a_real_repository(repo_root: Path, sync) -> None:
    urls = _pyproject(repo_root)["project"]["urls"]
    setting = sync.read_setting(repo_root)
    assert urls["Repository"] == setting.url, "[project.urls] Repository must be https://github.com/OWNER/NAME"
    assert not sync.PLACEHOLDERS.search(setting.url)
    assert _pyproject(repo_root)["tool"]["cnnlessons"]["ref"] == setting.ref
    # A hub on this machine would put links into every notebook that work only here: a test's
    # hub belongs on the command line (scripts/sync_links.py --hub, or the test's own setting).
    assert not re.match(r"https?://(localhost|127\.|\[::1\])", setting.hub), (
        f"[tool.cnnlessons] hub = {setting.hub!r} is this machine; set your class's hub or leave it out"
    )


def test_readme_links_agree_with_the_setting(repo_root: Path, sync) -> None:
    setting = sync.read_setting(repo_root)
    problems = sync.sync_readme(repo_root / "README.md", setting, check=True)
    assert not problems, "\n".join(problems) + "\nrun `python scripts/sync_links.py`"


def test_readme_opens_every_lesson_on_binder_and_colab(repo_root: Path, sync) -> None:
    readme = (repo_root / "README.md").read_text()
    setting = sync.read_setting(repo_root)
    assert "https://mybinder.org/badge_logo.svg" in readme
    assert "https://colab.research.google.com/assets/colab-badge.svg" in readme
    for path in _notebooks(repo_root):
        assert setting.binder(path.name) in readme, f"README lacks a Binder link for {path.name}"
        assert setting.colab(path.name) in readme, f"README lacks a Colab link for {path.name}"
    for name in set(sync.BINDER_RE.findall(readme)) | set(sync.COLAB_RE.findall(readme)):
        assert (repo_root / "notebooks" / name[-1]).exists(), f"README links {name[-1]}, not in notebooks/"


@pytest.mark.parametrize("name", [p.name for p in _notebooks(Path(__file__).resolve().parents[1])] or ["(none yet)"])
def test_notebook_launch_cells_agree_with_the_setting(repo_root: Path, sync, name: str) -> None:
    """The first markdown cell tagged launch-badges and the first code cell tagged colab-setup
    are exactly what scripts/sync_links.py writes from the setting."""
    path = repo_root / "notebooks" / name
    if not path.exists():
        pytest.skip("no lesson notebooks yet")
    problems = sync.sync_notebook(path, sync.read_setting(repo_root), check=True)
    assert not problems, "\n".join(problems) + "\nrun `python scripts/sync_links.py`"


def _tiny_repo(repo_root: Path, tmp_path: Path, sync) -> Path:
    """pyproject.toml and README.md copied, and one small notebook holding both launch cells, a
    markdown link to another lesson, and a code cell with a stored output."""
    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(repo_root / "pyproject.toml", root)
    shutil.copy(repo_root / "README.md", root)
    s = sync.read_setting(repo_root)
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "markdown",
                "id": "a",
                "metadata": {"tags": ["launch-badges"]},
                "source": ["Launch buttons: see the README."],
            },
            {
                "cell_type": "code",
                "id": "b",
                "metadata": {"tags": ["colab-setup"]},
                "execution_count": 1,
                "outputs": [],
                "source": sync._lines(sync.setup_text(s)),
            },
            {
                "cell_type": "markdown",
                "id": "c",
                "metadata": {},
                "source": [f"Next: [lesson 01]({s.colab('01_alexnet_tricks.ipynb')})."],
            },
            {
                "cell_type": "code",
                "id": "d",
                "metadata": {},
                "execution_count": 2,
                "source": ["1 + 1"],
                "outputs": [
                    {
                        "output_type": "execute_result",
                        "execution_count": 2,
                        "metadata": {},
                        "data": {"text/plain": ["2"]},
                    }
                ],
            },
        ],
    }
    (root / "notebooks" / "00_start_here.ipynb").write_text(json.dumps(nb, indent=1) + "\n")
    assert sync.sync(root) is not None  # write once: the placeholder badge cell becomes the badges
    return root


def test_a_planted_wrong_link_is_caught_then_fixed(repo_root: Path, tmp_path: Path, sync) -> None:
    root = _tiny_repo(repo_root, tmp_path, sync)
    assert sync.sync(root, check=True) == [], "a freshly synced copy must agree with itself"
    s = sync.read_setting(root)
    readme, nb_path = root / "README.md", root / "notebooks" / "00_start_here.ipynb"
    nb_text = nb_path.read_text()
    stored_outputs = [c.get("outputs") for c in json.loads(nb_text)["cells"]]

    # One wrong link of each kind: another account on Binder, another tag on Colab, another
    # repository in the install line, and a link in the lesson's prose.
    readme.write_text(
        readme.read_text().replace(
            s.binder("00_start_here.ipynb"), s.binder("00_start_here.ipynb").replace(s.owner, "someone-else", 1), 1
        )
    )
    planted = (
        nb_text.replace(f"/blob/{s.ref}/notebooks/00_", "/blob/v0.0-old/notebooks/00_", 1)
        .replace(f"github.com/{s.owner}/{s.repo}@", "github.com/a-fork/elsewhere@", 1)
        .replace(f"/blob/{s.ref}/notebooks/01_", "/blob/stale/notebooks/01_", 1)
    )
    assert planted != nb_text
    nb_path.write_text(planted)

    problems = sync.sync(root, check=True)
    text = "\n".join(problems)
    assert "README.md: Binder link" in text and "someone-else" in text
    assert "launch-badges cell's links disagree" in text
    assert "colab-setup cell does not install" in text
    assert "cell 2: Colab link" in text and "stale" in text
    assert (
        subprocess.run(
            [sys.executable, str(repo_root / "scripts" / "sync_links.py"), "--check", "--root", str(root)],
            capture_output=True,
        ).returncode
        == 1
    )

    sync.sync(root)  # fix
    assert sync.sync(root, check=True) == []
    fixed = nb_path.read_text()
    assert [c.get("outputs") for c in json.loads(fixed)["cells"]] == stored_outputs, "outputs must not change"
    before = (readme.read_bytes(), nb_path.read_bytes())
    sync.sync(root)  # idempotent
    assert (readme.read_bytes(), nb_path.read_bytes()) == before


def test_a_placeholder_is_caught(repo_root: Path, tmp_path: Path, sync) -> None:
    root = _tiny_repo(repo_root, tmp_path, sync)
    readme = root / "README.md"
    readme.write_text(
        readme.read_text() + "\n[lesson](https://mybinder.org/v2/gh/OWNER/cnnlessons/main"
        "?urlpath=lab/tree/notebooks/00_start_here.ipynb)\n"
    )
    problems = "\n".join(sync.sync(root, check=True))
    assert "placeholder 'OWNER'" in problems
    with pytest.raises(SystemExit, match="placeholder"):
        sync.read_setting(root, repo="https://github.com/OWNER/cnnlessons")


def test_a_fork_pins_its_own_repository_and_tag(repo_root: Path, tmp_path: Path, sync) -> None:
    root = _tiny_repo(repo_root, tmp_path, sync)
    fork = ["--root", str(root), "--repo", "https://github.com/my-school/cnn-course", "--ref", "v2026.1"]
    done = subprocess.run(
        [sys.executable, str(repo_root / "scripts" / "sync_links.py"), *fork], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for path in (root / "README.md", root / "notebooks" / "00_start_here.ipynb"):
        text = path.read_text()
        assert "mybinder.org/v2/gh/my-school/cnn-course/v2026.1?urlpath=" in text
        assert "colab.research.google.com/github/my-school/cnn-course/blob/v2026.1/notebooks/" in text
        assert "git-pull?repo=https%3A%2F%2Fgithub.com%2Fmy-school%2Fcnn-course&branch=v2026.1" in text
    assert (
        "git+https://github.com/my-school/cnn-course@v2026.1"
        in (root / "notebooks" / "00_start_here.ipynb").read_text()
    )
    s = sync.read_setting(root, "https://github.com/my-school/cnn-course", "v2026.1")
    assert sync.sync(root, s, check=True) == []
    assert sync.sync(root, check=True), "against pyproject's own setting the fork's links disagree"


def test_a_notebook_without_launch_cells_is_reported_not_broken(repo_root: Path, tmp_path: Path, sync) -> None:
    root = _tiny_repo(repo_root, tmp_path, sync)
    bare = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "id": "x", "metadata": {}, "execution_count": 1, "outputs": [], "source": ["x = 1"]}
        ],
    }
    path = root / "notebooks" / "01_alexnet_tricks.ipynb"
    path.write_text(json.dumps(bare, indent=1) + "\n")
    problems = sync.sync(root)
    assert any("no code cell tagged 'colab-setup'" in p for p in problems)
    cells = json.loads(path.read_text())["cells"]
    assert cells[0]["metadata"]["tags"] == ["launch-badges"], "the badge cell is inserted at the top"
    assert [c["cell_type"] for c in cells] == ["markdown", "code"], "no never-run code cell is inserted"
    sync.sync(root, insert_setup=True)
    cells = json.loads(path.read_text())["cells"]
    assert cells[1]["metadata"]["tags"] == ["colab-setup"] and cells[1]["execution_count"] is None


COMMON_SETUP_CELL = '''# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"'''


def test_colab_cell_installs_from_the_repository_and_keeps_colabs_torch(repo_root: Path, sync) -> None:
    """The cell's form is the one the lessons agreed on; pip keeps Colab's torch, torchvision and
    ipywidgets because the package asks only for lower bounds that Colab's versions meet."""
    s = sync.read_setting(repo_root)
    default = sync.Setting("cnnlessons", "cnnlessons", "main")
    assert sync.setup_text(default) == COMMON_SETUP_CELL
    cell = sync.setup_text(s)
    assert not re.search(
        r"--upgrade|\s-U\s|--force-reinstall|torch", cell.split("%pip", 1)[1].replace("cnnlessons", "")
    )
    colab_ships = ("torch", "torchvision", "ipywidgets", "numpy", "matplotlib", "psutil")
    for dep in _pyproject(repo_root)["project"]["dependencies"]:
        req = Requirement(dep)
        # What Colab already has must be asked for with a lower bound only, or pip replaces it;
        # a package Colab lacks (torchinfo, ipycanvas) is installed anyway and may be pinned.
        if req.name in colab_ships:
            assert all(spec.operator == ">=" for spec in req.specifier), (
                f"{dep}: only a lower bound, or Colab reinstalls it"
            )
        if req.name in ("torch", "torchvision", "ipywidgets", "numpy", "matplotlib"):
            floor = Version(next(iter(req.specifier)).version)
            assert floor <= Version(
                {"torch": "2.0", "torchvision": "0.15", "ipywidgets": "7.7.1", "numpy": "1.24", "matplotlib": "3.7"}[
                    req.name
                ]
            ), f"{dep} is above what Colab has shipped; pip would replace Colab's {req.name}"
    assert not any(
        Requirement(d).name in ("jupyterlab", "tqdm") for d in _pyproject(repo_root)["project"]["dependencies"]
    )


def test_licences_agree(repo_root: Path) -> None:
    """MIT for the code, CC BY 4.0 for the lesson text and figures, MNIST's CC BY-SA 3.0 kept;
    the README, pyproject and the licence files say the same."""
    project = _pyproject(repo_root)["project"]
    assert project["license"] == {"text": "MIT"}
    assert "License :: OSI Approved :: MIT License" in project["classifiers"]
    assert (repo_root / "LICENSE").read_text().startswith("MIT License")
    lessons = (repo_root / "LICENSE-lessons.md").read_text()
    assert "CC BY 4.0" in lessons and "creativecommons.org/licenses/by/4.0" in lessons
    readme = (repo_root / "README.md").read_text()
    for needle in (
        "[`LICENSE`](LICENSE)",
        "MIT",
        "[`LICENSE-lessons.md`](LICENSE-lessons.md)",
        "CC BY 4.0",
        "CC BY-SA 3.0",
        "Yann LeCun, Corinna Cortes and Christopher J. C.",
    ):
        assert needle in readme, f"README's licence section lacks {needle!r}"
    mnist = (repo_root / "cnnlessons" / "data_files" / "README.md").read_text()
    assert "CC BY-SA 3.0" in mnist and "LeCun" in mnist


def test_installing_the_package_keeps_the_installed_torch(repo_root: Path, tmp_path: Path) -> None:
    """What the Colab cell does, offline: pip resolves the package with its dependencies against
    this environment and installs only the package itself (no torch, torchvision or ipywidgets
    upgrade), because every dependency is a lower bound the installed versions meet."""
    pytest.importorskip("setuptools", reason="needs setuptools to read pyproject.toml without network")
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--report",
            str(report),
            str(repo_root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = [item["metadata"]["name"] for item in json.loads(report.read_text())["install"]]
    assert names == ["cnnlessons"], f"installing the package would also install or replace {names[1:]}"


def test_make_lab_installs_what_a_student_needs_and_make_test_everything(repo_root: Path) -> None:
    """`make lab`: the package with JupyterLab only; `make test`: every extra (test, browser, ...)."""
    if shutil.which("make") is None:
        pytest.skip("no make here")

    def installs(target: str) -> str:
        out = subprocess.run(
            ["make", "-n", "-W", "pyproject.toml", target], cwd=repo_root, capture_output=True, text=True, timeout=60
        ).stdout
        (line,) = [ln for ln in out.splitlines() if "pip install" in ln and " -e " in ln]
        return re.search(r'-e "\.\[([\w,-]+)\]"', line).group(1)

    assert installs("lab") == "lab"
    extras = set(_pyproject(repo_root)["project"]["optional-dependencies"])
    assert set(installs("test").split(",")) == extras and {"lab", "test", "browser"} <= extras
    lab = " ".join(_pyproject(repo_root)["project"]["optional-dependencies"]["lab"])
    assert "jupyterlab" in lab and not re.search(r"pytest|nbval|playwright", lab)
