"""Every notebook under Binder's resources, emulated: 2 GiB of memory, one CPU's worth of time.

A mybinder.org container sees all the cores of a shared node but may use about one CPU's worth
of their time, and has about 2 GB of memory for Jupyter and the kernel together. This script
reproduces that with a Linux cgroup and measures each notebook there:

- a fresh cgroup per notebook with ``memory.max`` = 2 GiB (no swap) and ``cpu.max`` =
  "100000 100000" (cgroup v2), or ``memory.limit_in_bytes`` and ``cpu.cfs_quota_us``/
  ``cpu.cfs_period_us`` (cgroup v1); ``systemd-run --scope -p MemoryMax=2G -p CPUQuota=100%``
  where neither can be written but systemd runs. Both cores stay visible, as in a container;
- one busy neighbour process outside the cap, pinned to the last core (another user's container);
- no thread settings of our own: OMP_NUM_THREADS and friends are removed from the environment,
  so the kernel starts as a student's does (``import cnnlessons`` then follows the quota);
- the notebook runs top to bottom in a fresh kernel (nbclient, inside the cgroup with its
  runner, as Jupyter's server is inside Binder's container); recorded: wall time, the kernel's
  peak resident memory and CPU time, its torch thread count, the cgroup's peak memory, OOM kills.

Targets (issue 18): every notebook finishes, kernel peak < 1.8 GiB, wall time < 3 minutes.
Results merge into benchmarks/results/binder_cpu.json (one row per notebook, so a subset can be
re-run), benchmarks/results/binder_cpu.md, and the README table between the binder-table markers.

    sudo .venv/bin/python benchmarks/bench_binder.py                 # every notebook (make bench-binder)
    sudo .venv/bin/python benchmarks/bench_binder.py notebooks/00_start_here.ipynb
    .venv/bin/python benchmarks/bench_binder.py --dry-run            # say which cgroup set-up would be used

Needs root (writing /sys/fs/cgroup) and Linux.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CGROUP = Path("/sys/fs/cgroup")
MEMORY_BYTES = 2 * 2**30
CPU_MAX = "100000 100000"  # one CPU's worth of time per 100 ms period
PEAK_LIMIT_MB = 1.8 * 1024
WALL_LIMIT_S = 180.0
HARD_TIMEOUT_S = 900.0  # stop a notebook that would run on and on
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "TORCH_NUM_THREADS",
)
MARK = "CNNLESSONS_BINDER_STATS"
README_START, README_END = "<!-- binder-table:start -->", "<!-- binder-table:end -->"

# Appended to the notebook copy: what the kernel itself measured, one JSON line.
STATS_CELL = f"""
import json, os, resource, torch
_u = resource.getrusage(resource.RUSAGE_SELF)
print("{MARK}", json.dumps({{"peak_mb": _u.ru_maxrss / 1024, "cpu_s": _u.ru_utime + _u.ru_stime,
      "threads": torch.get_num_threads(), "visible_cpus": len(os.sched_getaffinity(0))}}))
"""


# --- cgroups ---------------------------------------------------------------------------------------


class Cage:
    """A cgroup (v2 or v1) limiting memory and CPU time; processes join it via preexec()."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kind = detect()
        self.dirs: list[Path] = []

    def __enter__(self) -> Cage:
        if self.kind == "v2":
            parent = CGROUP
            subtree = (parent / "cgroup.subtree_control").read_text()
            for ctrl in ("cpu", "memory"):
                if ctrl not in subtree.split():
                    (parent / "cgroup.subtree_control").write_text(f"+{ctrl}")
            d = parent / self.name
            d.mkdir()
            (d / "memory.max").write_text(str(MEMORY_BYTES))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
            (d / "cpu.max").write_text(CPU_MAX)
            self.dirs = [d]
        elif self.kind == "v1":
            cpu, mem = _v1_mount("cpu"), _v1_mount("memory")
            dc, dm = cpu / self.name, mem / self.name
            dc.mkdir()
            dm.mkdir()
            quota, period = CPU_MAX.split()
            (dc / "cpu.cfs_period_us").write_text(period)
            (dc / "cpu.cfs_quota_us").write_text(quota)
            (dm / "memory.limit_in_bytes").write_text(str(MEMORY_BYTES))
            if (dm / "memory.memsw.limit_in_bytes").exists():
                (dm / "memory.memsw.limit_in_bytes").write_text(str(MEMORY_BYTES))
            self.dirs = [dc, dm]
        return self

    def preexec(self) -> None:
        """In the child, before exec: join the cgroup(s)."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(os.getpid()))

    def command(self, argv: list[str]) -> list[str]:
        if self.kind == "systemd":
            return [
                "systemd-run",
                "--scope",
                "--quiet",
                "-p",
                f"MemoryMax={MEMORY_BYTES}",
                "-p",
                "MemorySwapMax=0",
                "-p",
                "CPUQuota=100%",
                *argv,
            ]
        return argv

    def peak_mb(self) -> float | None:
        for d in self.dirs:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                text = _read(d / name)
                if text and text.isdigit():
                    return int(text) / 2**20
        return None

    def oom_kills(self) -> int:
        for d in self.dirs:
            for name in ("memory.events", "memory.oom_control"):
                m = re.search(r"oom_kill (\d+)", _read(d / name) or "")
                if m:
                    return int(m.group(1))
        return 0

    def __exit__(self, *exc) -> None:
        for d in self.dirs:
            for pid in (_read(d / "cgroup.procs") or "").split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _v1_mount(controller: str) -> Path:
    for name in (controller, "cpu,cpuacct", "cpuacct,cpu"):
        p = CGROUP / name
        if (p / ("cpu.cfs_quota_us" if controller == "cpu" else "memory.limit_in_bytes")).exists():
            return p
    raise FileNotFoundError(controller)


def _writable(path: Path) -> bool:
    probe = path / f"cnnlessons-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
        return True
    except OSError:
        return False


def detect() -> str:
    """'v2', 'v1' or 'systemd': how this machine can cap a process; raises when none works."""
    if os.name != "posix" or not CGROUP.exists():
        raise SystemExit("bench_binder needs Linux cgroups")
    controllers = (_read(CGROUP / "cgroup.controllers") or "").split()
    if {"cpu", "memory"} <= set(controllers) and _writable(CGROUP):
        return "v2"
    try:
        if _writable(_v1_mount("cpu")) and _writable(_v1_mount("memory")):
            return "v1"
    except FileNotFoundError:
        pass
    if (
        shutil.which("systemd-run")
        and subprocess.run(
            ["systemd-run", "--scope", "--quiet", "-p", "CPUQuota=100%", "true"], capture_output=True
        ).returncode
        == 0
    ):
        return "systemd"
    raise SystemExit(
        "cannot create a cgroup here (run as root on Linux, with cgroup v1 or v2 cpu and memory "
        "controllers, or with systemd)"
    )


# --- running one notebook ----------------------------------------------------------------------------


def run_one(notebook: Path, out_json: Path) -> None:
    """Inside the cgroup: execute the notebook in a fresh kernel; write the kernel's numbers."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(STATS_CELL))
    # allow_errors: the stats cell runs even after a failing cell; errors are collected below
    # (cells tagged raises-exception are meant to fail).
    client = NotebookClient(
        nb,
        timeout=HARD_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    error = None
    try:
        client.execute()
    except Exception as exc:  # noqa: BLE001  (the kernel died, a timeout: recorded, not raised)
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else ''}"
    for i, cell in enumerate(nb.cells):
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and error is None:
                error = f"cell {i}: {out.get('ename')}: {str(out.get('evalue'))[:300]}"
    stats = {}
    # The kernel may send one printed line in several stream messages: join them before reading.
    text = "".join(out.get("text", "") for out in nb.cells[-1].get("outputs", []) if out.get("output_type") == "stream")
    for line in text.splitlines():
        if line.startswith(MARK):
            stats = json.loads(line[len(MARK) :])
    out_json.write_text(json.dumps({"error": error, **stats}))


def neighbour() -> subprocess.Popen:
    """A busy process outside the cap, on the last core (another user's work on the node)."""
    code = "import os\nos.sched_setaffinity(0, {max(os.sched_getaffinity(0))})\nwhile True:\n    pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def measure(notebook: Path, with_neighbour: bool = True, extra_env: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    env.update(extra_env or {})
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    out_json = Path(f"/tmp/cnnlessons-binder-{os.getpid()}.json")
    out_json.unlink(missing_ok=True)
    busy = neighbour() if with_neighbour else None
    row: dict = {"notebook": notebook.name}
    try:
        with Cage(f"cnnlessons-binder-{os.getpid()}") as cage:
            argv = cage.command([sys.executable, __file__, "--run-one", str(notebook), str(out_json)])
            start = time.perf_counter()
            try:
                done = subprocess.run(
                    argv,
                    env=env,
                    cwd=notebook.parent,
                    capture_output=True,
                    text=True,
                    timeout=HARD_TIMEOUT_S + 60,
                    preexec_fn=cage.preexec if cage.kind != "systemd" else None,
                )
                row["returncode"] = done.returncode
                row["stderr_tail"] = done.stderr[-600:]
            except subprocess.TimeoutExpired:
                row["returncode"] = None
                row["error"] = f"did not finish in {HARD_TIMEOUT_S:.0f} s"
            row["wall_s"] = round(time.perf_counter() - start, 1)
            row["cgroup_peak_mb"] = cage.peak_mb()
            row["oom_kills"] = cage.oom_kills()
            row["cgroup"] = cage.kind
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    if out_json.exists():
        row.update({k: v for k, v in json.loads(out_json.read_text()).items() if v is not None or k not in row})
        out_json.unlink()
    problems = []
    if row.get("error") or row.get("returncode") not in (0,):
        problems.append(
            row.get("error") or f"runner exited {row.get('returncode')}: {row.get('stderr_tail', '')[-200:]}"
        )
    if row.get("oom_kills"):
        problems.append(f"{row['oom_kills']} OOM kill(s)")
    if row.get("peak_mb") is None:
        if row.get("returncode") is not None:  # finished, yet no numbers: the kernel died
            problems.append("no kernel numbers (the kernel died?)")
    elif row["peak_mb"] >= PEAK_LIMIT_MB:
        problems.append(f"kernel peak {row['peak_mb']:,.0f} MB >= {PEAK_LIMIT_MB:,.0f} MB")
    if row["wall_s"] >= WALL_LIMIT_S:
        problems.append(f"{row['wall_s']:.0f} s >= {WALL_LIMIT_S:.0f} s")
    row["passed"] = not problems
    row["problems"] = problems
    if row["passed"]:
        row.pop("stderr_tail", None)
    return row


# --- reporting ---------------------------------------------------------------------------------------


def _machine() -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    import torch  # only for its version

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def _row_md(r: dict) -> str:
    peak = f"{r['peak_mb']:,.0f} MB" if r.get("peak_mb") is not None else "-"
    cg = f"{r['cgroup_peak_mb']:,.0f} MB" if r.get("cgroup_peak_mb") else "-"
    cpu = f"{r['cpu_s']:.0f} s" if r.get("cpu_s") is not None else "-"
    result = "passes" if r["passed"] else "FAILS: " + "; ".join(r["problems"])
    return (
        f"| {r['notebook']} | {r['wall_s']:.0f} s | {peak} | {cg} | {cpu} | {r.get('threads', '-')} | "
        f"{r.get('load_before', '-')} | {result} |"
    )


HEADER = (
    "| notebook | wall time | kernel peak | cgroup peak | kernel CPU | torch threads | load before | result |\n"
    "|---|---:|---:|---:|---:|---:|---:|---|"
)


def _loads(rows: list[dict]) -> str:
    loads = [r["load_before"] for r in rows if r.get("load_before") is not None]
    if not loads:
        return "-"
    lo, hi = min(loads), max(loads)
    return f"{lo:.1f}" if lo == hi else f"{lo:.1f}-{hi:.1f}"


def _dates(rows: list[dict], meta: dict) -> str:
    dates = sorted({r.get("date", meta["date"]) for r in rows})
    return dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"


def write_reports(rows: dict, meta: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "binder_cpu.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    ordered = [rows[k] for k in sorted(rows)]
    plain = [r for r in ordered if " (" not in r["notebook"]]  # experiments (--env) only in the .md
    body = "\n".join(_row_md(r) for r in ordered)
    n_pass = sum(r["passed"] for r in plain)
    md = (
        "# Notebooks under Binder's resources, emulated\n\n"
        f"`benchmarks/bench_binder.py`: each notebook in a fresh kernel inside a cgroup ({meta['cgroup']}) "
        f"with {MEMORY_BYTES / 2**30:.0f} GiB of memory (no swap) and one CPU's worth of time "
        f"(quota {CPU_MAX.split()[0]} us per {CPU_MAX.split()[1]} us), all {meta['machine']['cores']} cores "
        "visible, one busy neighbour process outside the cap pinned to the last core, and no thread settings "
        "of our own (OMP_NUM_THREADS and friends removed).\n\n"
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, torch {meta['machine']['torch']}, "
        f"Python {meta['machine']['python']}, Linux {meta['machine']['kernel']}. Rows measured "
        f"{_dates(ordered, meta)}; 'load before' is the 1-minute load average when the row started (other work on the "
        "machine inflates wall time; 'kernel CPU' does not depend on it much).\n\n"
        + (
            "This venv's torch is a CUDA build, whose libraries add to the kernel's resident memory; Binder "
            "installs the smaller +cpu build (binder/requirements.txt).\n\n"
            if "+cu" in meta["machine"]["torch"]
            else ""
        )
        + f"Targets: finishes, kernel peak < {PEAK_LIMIT_MB:,.0f} MB, wall time < {WALL_LIMIT_S:.0f} s. "
        f"{n_pass} of {len(plain)} notebooks pass as a student runs them (rows named 'notebook (VAR=VALUE)' are "
        "experiments, below).\n\n"
        "'kernel peak' is the kernel's own peak resident memory; 'cgroup peak' is the whole cgroup's "
        "(the runner standing in for Jupyter's server, and page cache), which is what the 2 GiB cap counts.\n\n"
        f"{HEADER}\n{body}\n"
        + (
            "\nA row named 'notebook (VAR=VALUE)' ran with that set in the kernel's environment (`--env`). "
            "`OMP_NUM_THREADS=2` reproduces torch's own choice on this 2-core machine, one thread per visible "
            "core, which is what a kernel did before `import cnnlessons` followed the CPU quota.\n"
            if len(plain) < len(ordered)
            else ""
        )
    )
    (RESULTS / "binder_cpu.md").write_text(md)
    readme = ROOT / "README.md"
    text = readme.read_text()
    if README_START in text and README_END in text and plain:
        short = "\n".join(
            f"| {r['notebook']} | {r['wall_s']:.0f} s | "
            f"{(format(r['peak_mb'], ',.0f') + ' MB') if r.get('peak_mb') is not None else '-'} | "
            f"{(format(r['cpu_s'], '.0f') + ' s') if r.get('cpu_s') is not None else '-'} | "
            f"{r.get('threads', '-')} | {'passes' if r['passed'] else 'FAILS: ' + '; '.join(r['problems'])} |"
            for r in plain
        )
        table = (
            "| notebook | wall time | kernel peak | kernel CPU | torch threads | result |\n"
            "|---|---:|---:|---:|---:|---|\n"
            + short
            + f"\n\n{meta['machine']['cores']}-core {meta['machine']['cpu']}, torch {meta['machine']['torch']}, "
            f"measured {_dates(plain, meta)} at a 1-minute load average of {_loads(plain)} before each notebook "
            "(details: `benchmarks/results/binder_cpu.md`)."
        )
        start, end = text.index(README_START) + len(README_START), text.index(README_END)
        readme.write_text(text[:start] + "\n" + table + "\n" + text[end:])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    ap.add_argument("--run-one", nargs=2, type=Path, metavar=("NOTEBOOK", "OUT_JSON"), help=argparse.SUPPRESS)
    ap.add_argument("--no-neighbour", action="store_true", help="no busy process beside the cap (an idle node)")
    ap.add_argument("--dry-run", action="store_true", help="only say how the cap would be made")
    ap.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="VAR=VALUE",
        help="set this in the kernel's environment (an experiment, e.g. OMP_NUM_THREADS=2 for "
        "torch's own one thread per visible core); such rows are reported under another name",
    )
    args = ap.parse_args(argv)
    if args.run_one:
        run_one(*args.run_one)
        return 0
    kind = detect()
    if args.dry_run:
        print(f"cgroup set-up: {kind}")
        return 0
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    old = json.loads((RESULTS / "binder_cpu.json").read_text()) if (RESULTS / "binder_cpu.json").exists() else {}
    rows = old.get("rows", {})
    meta = {
        "machine": _machine(),
        "cgroup": kind,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    print(
        f"{len(notebooks)} notebook(s) under 2 GiB and one CPU's worth of time ({kind})"
        f"{'' if args.no_neighbour else ', one busy neighbour'}:"
    )
    extra = dict(item.split("=", 1) for item in args.env)
    for nb in notebooks:
        load = os.getloadavg()[0]
        row = measure(nb, with_neighbour=not args.no_neighbour, extra_env=extra)
        if extra:
            row["notebook"] = f"{nb.name} ({', '.join(args.env)})"
        row["load_before"] = round(load, 1)
        row["date"] = meta["date"]
        row["neighbour"] = not args.no_neighbour
        rows[row["notebook"]] = row
        print(_row_md(row), flush=True)
        write_reports(rows, meta)  # after each notebook, so a stopped run keeps what it measured
    failed = [
        r for r in rows.values() if r["notebook"].split(" (")[0] in {p.name for p in notebooks} and not r["passed"]
    ]
    print(f"{len(notebooks) - len(failed)} of {len(notebooks)} pass; results in benchmarks/results/binder_cpu.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
