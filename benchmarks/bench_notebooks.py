"""Wall time and peak kernel memory of strict nbval, one notebook at a time.

Each notebook runs alone under ``pytest --nbval`` in strict mode with the project's sanitize
file (what ``make test`` does, minus the workers), so its time is its own. While it runs, the
process tree under pytest is polled; the kernel (the ``ipykernel`` process) reports its peak
resident memory in ``/proc/<pid>/status`` (VmHWM, the kernel's own high-water mark), with
psutil's RSS as a fallback where /proc has no VmHWM.

Budgets (idle 2-core CPU): each notebook under 2 minutes, all of them under 15, each kernel
under 1.5 GB. Timings grow with machine load: the load average is printed with the results.

    .venv/bin/python benchmarks/bench_notebooks.py                     # every notebooks/NN_*.ipynb
    .venv/bin/python benchmarks/bench_notebooks.py notebooks/08_architecture_shootout.ipynb
    .venv/bin/python benchmarks/bench_notebooks.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
NOTEBOOK_BUDGET_S = 120.0
TOTAL_BUDGET_S = 15 * 60.0
MEMORY_BUDGET_MB = 1500.0

try:
    import psutil
except ImportError:  # /proc alone is enough on Linux
    psutil = None


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid``."""
    if psutil is not None:
        try:
            return [c.pid for c in psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return []
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            kids = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            kids = []
        found += [int(k) for k in kids]
        frontier += [int(k) for k in kids]
    return found


def _is_kernel(pid: int) -> bool:
    try:
        return "ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        if psutil is not None:
            try:
                return any("ipykernel" in part for part in psutil.Process(pid).cmdline())
            except psutil.Error:
                return False
        return False


def _peak_mb(pid: int) -> float | None:
    """The process's peak RSS so far in MB (VmHWM), or its current RSS where VmHWM is missing."""
    try:
        m = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
        if m:
            return int(m.group(1)) / 1024
    except OSError:
        pass
    if psutil is not None:
        try:
            return psutil.Process(pid).memory_info().rss / 2**20
        except psutil.Error:
            return None
    return None


def run_notebook(path: Path, timeout_s: float = 900.0, poll_s: float = 0.1) -> dict:
    """Run one notebook under strict nbval; return its wall time, outcome and kernel peak."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        str(SANITIZE),
        str(path),
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kernel_peak: dict[int, float] = {}
    timed_out = False
    while proc.poll() is None:
        for pid in _children(proc.pid):
            if pid in kernel_peak or _is_kernel(pid):
                peak = _peak_mb(pid)
                if peak is not None:
                    kernel_peak[pid] = max(peak, kernel_peak.get(pid, 0.0))
        if time.perf_counter() - t0 > timeout_s:
            proc.kill()
            timed_out = True
        time.sleep(poll_s)
    wall = time.perf_counter() - t0
    output = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout.read() if proc.stdout else "")  # no colours
    summary = next(
        (ln.strip("= ") for ln in reversed(output.splitlines()) if re.search(r"\d+ (passed|failed|error)", ln)),
        "no summary",
    )
    passed = proc.returncode == 0 and not timed_out
    return {
        "notebook": path.name,
        "wall_s": wall,
        "passed": passed,
        "summary": summary,
        "timed_out": timed_out,
        "kernel_peak_mb": max(kernel_peak.values()) if kernel_peak else None,
        "output_tail": "" if passed else output[-2000:],
    }


def find_notebooks(paths: list[str] | None = None) -> list[Path]:
    if paths:
        return [Path(p).resolve() for p in paths]
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def measure(paths: list[str] | None = None, timeout_s: float = 900.0, echo: bool = True) -> dict:
    notebooks = find_notebooks(paths)
    load_before = load_average()
    rows = []
    for nb in notebooks:
        r = run_notebook(nb, timeout_s=timeout_s)
        rows.append(r)
        if echo:
            peak = f"{r['kernel_peak_mb']:.0f} MB" if r["kernel_peak_mb"] else "n/a"
            print(f"{r['notebook']:40s} {r['wall_s']:7.1f} s  peak {peak:>8s}  {r['summary']}", flush=True)
            if not r["passed"]:
                print(r["output_tail"], flush=True)
    total = sum(r["wall_s"] for r in rows)
    for r in rows:
        r["share_pct"] = 100 * r["wall_s"] / total if total else 0.0
    return {
        "notebooks": rows,
        "total_s": total,
        "load_before": load_before,
        "load_after": load_average(),
        "budget_notebook_s": NOTEBOOK_BUDGET_S,
        "budget_total_s": TOTAL_BUDGET_S,
        "budget_memory_mb": MEMORY_BUDGET_MB,
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("notebooks", nargs="*", help="notebooks to run (default: every notebooks/NN_*.ipynb)")
    p.add_argument("--timeout", type=float, default=900.0, help="kill a notebook's run after this many seconds")
    p.add_argument("--json", default=None, help="also write the results to this file")
    args = p.parse_args(argv)
    print(f"strict nbval, one notebook at a time (load average {load_average():.2f})")
    r = measure(args.notebooks, timeout_s=args.timeout)
    print(
        f"total {r['total_s']:.1f} s over {len(r['notebooks'])} notebooks "
        f"(load average {r['load_before']:.2f} before, {r['load_after']:.2f} after)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
    return r


if __name__ == "__main__":
    main(sys.argv[1:])
