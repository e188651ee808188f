#!/usr/bin/env python3
"""Write every launch link (Binder, Colab, JupyterHub/nbgitpuller) from ONE setting.

The setting is pyproject.toml's ``[project.urls] Repository`` (a GitHub address) and
``[tool.cnnlessons] ref`` (the branch or tag the links open, e.g. "v2026.1" to pin a semester's
version) and, optionally, ``[tool.cnnlessons] hub`` (your JupyterHub's address, for real
nbgitpuller links instead of a template). This script rewrites, from them:

- README.md: every Binder, Colab, nbgitpuller and ``git+https://github.com/...`` address;
- every notebook: the first markdown cell tagged ``launch-badges`` (written whole: badges and the
  JupyterHub link) and the first code cell tagged ``colab-setup`` (written whole: the install
  line's repository and ref), plus any such address elsewhere in its markdown.

Only cell sources change, never outputs; running it twice changes nothing the second time.
A notebook without the ``launch-badges`` cell gets one inserted at the top (markdown has no stored
run). A missing ``colab-setup`` code cell is only reported (a new, never-run code cell would fail
the stored-run checks) unless ``--insert-setup`` is given; re-run that notebook afterwards.

    python scripts/sync_links.py                 # rewrite from pyproject.toml
    python scripts/sync_links.py --check         # exit 1 and list what disagrees; write nothing
    python scripts/sync_links.py --no-insert     # rewrite only the tagged cells that exist
    python scripts/sync_links.py --repo https://github.com/my-school/cnnlessons --ref v2026.1
                                                 # a fork: write that (pyproject is not changed)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
BADGES_TAG = "launch-badges"
SETUP_TAG = "colab-setup"
PACKAGE = "cnnlessons"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
# Words that mark an address nobody filled in.
PLACEHOLDERS = re.compile(r"\b(OWNER|YOUR[-_]?(USER|ORG|NAME|ACCOUNT)|USERNAME|<user>|<owner>)\b")

_NAME = r"[A-Za-z0-9_.-]+"
_REF = r"[A-Za-z0-9_./-]+?"
_NB = r"\d\d_[\w.-]+?\.ipynb"
BINDER_RE = re.compile(
    rf"https://mybinder\.org/v2/gh/(?P<owner>{_NAME})/(?P<repo>{_NAME})/(?P<ref>{_REF})"
    rf"\?urlpath=lab/tree/notebooks/(?P<nb>{_NB})"
)
COLAB_RE = re.compile(
    rf"https://colab\.research\.google\.com/github/(?P<owner>{_NAME})/(?P<repo>{_NAME})/blob/"
    rf"(?P<ref>{_REF})/notebooks/(?P<nb>{_NB})"
)
PULL_RE = re.compile(
    rf"(?P<hub>https?://[^\s/)`\"']+|<your-hub>)/hub/user-redirect/git-pull\?repo=(?P<url>[^&\s)`\"']+)"
    rf"&branch=(?P<ref>[^&\s)`\"']+)&urlpath=lab/tree/(?P<dir>{_NAME})/notebooks/(?P<nb>{_NB})"
)
GIT_RE = re.compile(
    rf"git\+https://github\.com/(?P<owner>{_NAME}?)/(?P<repo>{_NAME}?)(?:\.git)?@(?P<ref>[A-Za-z0-9_./-]+)"
)


@dataclass(frozen=True)
class Setting:
    owner: str
    repo: str
    ref: str
    hub: str = ""  # "https://hub.example.edu", or "" for a template with <your-hub>

    @property
    def url(self) -> str:
        return f"https://github.com/{self.owner}/{self.repo}"

    def binder(self, nb: str) -> str:
        return f"https://mybinder.org/v2/gh/{self.owner}/{self.repo}/{self.ref}?urlpath=lab/tree/notebooks/{nb}"

    def colab(self, nb: str) -> str:
        return f"https://colab.research.google.com/github/{self.owner}/{self.repo}/blob/{self.ref}/notebooks/{nb}"

    def pull(self, nb: str) -> str:
        hub = self.hub.rstrip("/") or "<your-hub>"
        return (
            f"{hub}/hub/user-redirect/git-pull?repo={quote(self.url, safe='')}&branch={self.ref}"
            f"&urlpath=lab/tree/{self.repo}/notebooks/{nb}"
        )

    def git(self) -> str:
        return f"git+https://github.com/{self.owner}/{self.repo}@{self.ref}"


def parse_repo(url: str) -> tuple[str, str]:
    m = re.fullmatch(rf"(?:https://|git@)github\.com[/:]({_NAME})/({_NAME}?)(?:\.git)?/?", url.strip())
    if not m:
        raise SystemExit(
            f"the repository must be a GitHub address like https://github.com/OWNER/NAME, got {url!r} "
            "(Binder and Colab links are written for GitHub)"
        )
    owner, repo = m.groups()
    if PLACEHOLDERS.search(f"{owner}/{repo}"):
        raise SystemExit(f"the repository {url!r} is a placeholder: set your GitHub account and repository")
    return owner, repo


def _load_toml(path: Path) -> dict:
    try:
        import tomllib  # noqa: PLC0415  (Python 3.11+)
    except ModuleNotFoundError:
        try:
            import tomli as tomllib  # noqa: PLC0415
        except ModuleNotFoundError:
            return _mini_toml(path.read_text(encoding="utf-8"))
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _mini_toml(text: str) -> dict:
    """Enough TOML for the two tables read here (Python < 3.11 without tomli)."""
    data: dict = {}
    table: dict = data
    for line in text.splitlines():
        line = line.strip()
        if m := re.match(r"\[([\w.-]+)\]\s*(#.*)?$", line):
            table = data
            for part in m.group(1).split("."):
                table = table.setdefault(part, {})
        elif m := re.match(r'([\w-]+)\s*=\s*"([^"]*)"\s*(#.*)?$', line):
            table[m.group(1)] = m.group(2)
    return data


def read_setting(root: Path = ROOT, repo: str | None = None, ref: str | None = None, hub: str | None = None) -> Setting:
    """The setting from pyproject.toml, with any of repo/ref/hub overridden."""
    data = _load_toml(root / "pyproject.toml")
    urls = data.get("project", {}).get("urls", {})
    own = data.get("tool", {}).get("cnnlessons", {})
    address = repo or urls.get("Repository")
    if not address:
        raise SystemExit('pyproject.toml has no [project.urls] Repository = "https://github.com/OWNER/NAME"')
    owner, name = parse_repo(address)
    ref = ref or own.get("ref") or "main"
    if not re.fullmatch(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*", ref):
        raise SystemExit(f"ref {ref!r} is not a branch or tag name")
    hub = own.get("hub", "") if hub is None else hub
    return Setting(owner, name, ref, hub.rstrip("/"))


# --- what the two cells hold -----------------------------------------------------------------------


def badges_text(s: Setting, nb: str) -> str:
    hub_line = (
        f"[JupyterHub]({s.pull(nb)}) (your class's hub, through nbgitpuller)"
        if s.hub
        else f"JupyterHub: `{s.pull(nb)}` (replace `<your-hub>` with your hub's address)"
    )
    return (
        f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({s.colab(nb)})\n"
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({s.binder(nb)})\n"
        "\n"
        f"{hub_line}\n"
        "\n"
        f"<small>Launch links open `{s.ref}` of {s.url}; written by `scripts/sync_links.py` "
        "from `pyproject.toml`.</small>"
    )


def setup_text(s: Setting) -> str:
    return (
        "# On Colab, install the lessons' package first; anywhere else this cell does nothing.\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "{PACKAGE} @ {s.git()}"'
    )


# --- rewriting text --------------------------------------------------------------------------------


def rewrite_links(text: str, s: Setting) -> str:
    """Every launch or install address in text, rewritten to the setting (the notebook part kept)."""
    text = BINDER_RE.sub(lambda m: s.binder(m["nb"]), text)
    text = COLAB_RE.sub(lambda m: s.colab(m["nb"]), text)

    def pull(m: re.Match) -> str:
        link = s.pull(m["nb"])
        # Keep a hub address written by hand (the README's example) when no hub is configured.
        if not s.hub and m["hub"] != "<your-hub>":
            link = link.replace("<your-hub>", m["hub"], 1)
        return link

    text = PULL_RE.sub(pull, text)
    return GIT_RE.sub(lambda m: s.git(), text)


def link_problems(text: str, s: Setting, where: str) -> list[str]:
    """Each address in text that disagrees with the setting, and any placeholder."""
    problems = []
    for pattern, kind in ((BINDER_RE, "Binder"), (COLAB_RE, "Colab"), (GIT_RE, "pip install")):
        for m in pattern.finditer(text):
            if (m["owner"], m["repo"], m["ref"]) != (s.owner, s.repo, s.ref):
                problems.append(f"{where}: {kind} link {m.group(0)} is not {s.owner}/{s.repo}@{s.ref}")
    for m in PULL_RE.finditer(text):
        if (m["url"], m["ref"], m["dir"]) != (quote(s.url, safe=""), s.ref, s.repo) or (s.hub and m["hub"] != s.hub):
            problems.append(f"{where}: JupyterHub link {m.group(0)} is not {s.url}@{s.ref}")
    for m in PLACEHOLDERS.finditer(text):
        problems.append(f"{where}: placeholder {m.group(0)!r} in {text[max(0, m.start() - 40) : m.end() + 40]!r}")
    return problems


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _first(cells: list[dict], kind: str, tag: str) -> int | None:
    for i, cell in enumerate(cells):
        if cell.get("cell_type") == kind and tag in cell.get("metadata", {}).get("tags", []):
            return i
    return None


def sync_notebook(
    path: Path, s: Setting, check: bool, insert_setup: bool = False, insert_badges: bool = True
) -> list[str]:
    """Rewrite one notebook's launch cells (or, with check, list what disagrees)."""
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    cells = nb["cells"]
    name = path.name
    where = f"notebooks/{name}"
    problems: list[str] = []

    i = _first(cells, "markdown", BADGES_TAG)
    want = badges_text(s, name)
    if i is None:
        problems.append(
            f"{where}: no markdown cell tagged {BADGES_TAG!r}"
            + ("" if check or not insert_badges else " (inserted at the top)")
        )
        if not check and insert_badges:
            cells.insert(
                0,
                {"cell_type": "markdown", "id": BADGES_TAG, "metadata": {"tags": [BADGES_TAG]}, "source": _lines(want)},
            )
    elif _source(cells[i]) != want:
        problems.append(f"{where}: the {BADGES_TAG} cell's links disagree with the setting")
        cells[i]["source"] = _lines(want)

    j = _first(cells, "code", SETUP_TAG)
    want = setup_text(s)
    if j is None:
        if insert_setup and not check:
            at = (_first(cells, "markdown", BADGES_TAG) or 0) + 1
            cells.insert(
                at,
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": SETUP_TAG,
                    "metadata": {"tags": [SETUP_TAG]},
                    "outputs": [],
                    "source": _lines(want),
                },
            )
            problems.append(
                f"{where}: inserted the {SETUP_TAG!r} code cell: re-run the notebook "
                f"(make run-notebook NB=notebooks/{name})"
            )
        else:
            problems.append(
                f"{where}: no code cell tagged {SETUP_TAG!r}: add it (its form is setup_text() in "
                "scripts/sync_links.py) or run this with --insert-setup; then re-run the notebook"
            )
    elif _source(cells[j]) != want:
        problems.append(f"{where}: the {SETUP_TAG} cell does not install {s.git()} in the expected form")
        cells[j]["source"] = _lines(want)

    # Addresses anywhere else in the notebook's markdown (prose may link another lesson).
    for k, cell in enumerate(cells):
        if cell.get("cell_type") != "markdown" or k == _first(cells, "markdown", BADGES_TAG):
            continue
        text = _source(cell)
        found = link_problems(text, s, f"{where} cell {k}")
        if found:
            problems += found
            cell["source"] = _lines(rewrite_links(text, s))

    if not check:
        out = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if out != raw:
            path.write_text(out, encoding="utf-8")
    return problems


def sync_readme(path: Path, s: Setting, check: bool) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = link_problems(text, s, path.name)
    new = rewrite_links(text, s)
    if not check and new != text:
        path.write_text(new, encoding="utf-8")
    return problems


def notebooks(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob(NOTEBOOK_GLOB))


def sync(
    root: Path = ROOT,
    setting: Setting | None = None,
    check: bool = False,
    insert_setup: bool = False,
    insert_badges: bool = True,
) -> list[str]:
    """Rewrite (or check) README.md and every notebook under root; returns what disagreed."""
    s = setting or read_setting(root)
    problems = sync_readme(root / "README.md", s, check)
    for path in notebooks(root):
        problems += sync_notebook(path, s, check, insert_setup, insert_badges)
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 listing every link that disagrees")
    ap.add_argument("--repo", help="GitHub address to write instead of pyproject's [project.urls] Repository")
    ap.add_argument("--ref", help="branch or tag to write instead of [tool.cnnlessons] ref")
    ap.add_argument("--hub", help="JupyterHub address for the nbgitpuller links (default: [tool.cnnlessons] hub)")
    ap.add_argument(
        "--insert-setup",
        action="store_true",
        help="insert a missing colab-setup code cell (then re-run those notebooks)",
    )
    ap.add_argument(
        "--no-insert",
        action="store_true",
        help="only rewrite the tagged cells that exist (insert no launch-badges cell)",
    )
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    s = read_setting(args.root, args.repo, args.ref, args.hub)
    if re.match(r"https?://(localhost|127\.|\[::1\])", s.hub):
        print(
            f"warning: hub {s.hub} is this machine; the notebooks' JupyterHub links work only here "
            "(for a test, pass --hub instead of setting it in pyproject.toml)",
            file=sys.stderr,
        )
    problems = sync(args.root, s, check=args.check, insert_setup=args.insert_setup, insert_badges=not args.no_insert)
    if args.check:
        for p in problems:
            print(p)
        print(
            f"{len(problems)} link problem(s) against {s.url}@{s.ref}"
            if problems
            else f"every link names {s.url}@{s.ref}"
        )
        return 1 if problems else 0
    todo = [
        p for p in problems if "no code cell" in p or "re-run" in p or ("no markdown cell" in p and "inserted" not in p)
    ]
    for p in problems:
        print("todo:" if p in todo else "fixed:", p)
    print(f"links written for {s.url}@{s.ref}" + (f"; {len(todo)} notebook(s) need attention" if todo else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
