"""Binder: what repo2docker will read, CPU-only torch, the package installed, nothing downloaded
when a kernel starts, every notebook inside Binder's memory, and the README's launch links.

repo2docker reads ``binder/`` when it exists and then ignores the root's configuration files;
its Python build pack runs ``pip install -r binder/requirements.txt`` from the repository root
(so ``.`` there is this package). These tests check that set-up without Docker.
"""
from __future__ import annotations

import ast
import json
import re
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
    "Dockerfile", "environment.yml", "environment.yaml", "Pipfile", "Pipfile.lock", "default.nix",
    "Project.toml", "JuliaProject.toml", "REQUIRE", "install.R", "DESCRIPTION",
)
BINDER_BUDGET_MB = 1500  # Binder gives about 2 GB; the kernel must stay well under it


def _requirement_lines(repo_root: Path) -> list[str]:
    lines = (repo_root / "binder" / "requirements.txt").read_text().splitlines()
    return [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]


def _pinned(repo_root: Path) -> dict[str, Requirement]:
    reqs = {}
    for line in _requirement_lines(repo_root):
        if not line.startswith("-") and not line.startswith("."):
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
    assert "." in _requirement_lines(repo_root) or "-e ." in _requirement_lines(repo_root), (
        "binder/requirements.txt must install this repository's package with a '.' line"
    )
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
    local = [ln for ln in _requirement_lines(repo_root) if ln in (".", "-e .")]
    req_file = tmp_path / "requirements.txt"  # only the local line, so pip needs no index
    req_file.write_text("\n".join(local) + "\n")
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--report", str(report), "-r", str(req_file)],
        cwd=repo_root, check=True, capture_output=True, timeout=120,
    )
    installs = json.loads(report.read_text())["install"]
    assert [item["metadata"]["name"] for item in installs] == ["cnnlessons"]
    assert installs[0]["download_info"]["url"] == repo_root.as_uri()


def test_built_package_ships_mnist_and_only_the_package(repo_root: Path, tmp_path: Path) -> None:
    """A non-editable install (Binder's) gets the MNIST files and none of tests/, notebooks/, binder/."""
    pytest.importorskip("setuptools", reason="needs setuptools to build the wheel without network")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "-w", str(tmp_path), str(repo_root)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("cnnlessons-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for idx in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert f"cnnlessons/data_files/{idx}.gz" in names
    assert "cnnlessons/data_files/README.md" in names, "the MNIST attribution and licence must ship"
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
        [sys.executable, "-c", OFFLINE_KERNEL], cwd=tmp_path, capture_output=True, text=True, timeout=300,
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
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "check_memory_budget"
    ]


def _notebooks(repo_root: Path) -> list[Path]:
    return sorted((repo_root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize(
    "name", [p.name for p in _notebooks(Path(__file__).resolve().parents[1])] or ["(none yet)"]
)
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


BINDER_BADGE = re.compile(
    r"https://mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/[\w.-]+\?urlpath=lab/tree/notebooks/(\d\d_[\w-]+\.ipynb)"
)


def test_readme_has_the_badge_and_a_launch_link_per_lesson(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    assert "https://mybinder.org/badge_logo.svg" in readme
    linked = set(BINDER_BADGE.findall(readme))
    assert "00_start_here.ipynb" in linked, "the badge must open JupyterLab on 00_start_here.ipynb"
    missing = {p.name for p in _notebooks(repo_root)} - linked
    assert not missing, f"README lacks a Binder launch link for {sorted(missing)}"
    for name in linked:
        assert (repo_root / "notebooks" / name).exists() or not _notebooks(repo_root), (
            f"README links {name}, which is not in notebooks/"
        )


def test_conda_environment_matches_pyproject(repo_root: Path) -> None:
    """environment.yml (conda users; repo2docker ignores it because binder/ exists) installs the
    package and repeats pyproject's lower bounds, not other ones."""
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert any(line.startswith("-e .") or line.startswith(".") for line in pip_section)
    listed = {Requirement(line).name: str(Requirement(line).specifier)
              for line in pip_section if not line.startswith(("-", "."))}
    declared = {Requirement(dep).name: str(Requirement(dep).specifier)
                for dep in _pyproject(repo_root)["project"]["dependencies"]}
    assert listed == declared
