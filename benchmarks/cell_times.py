"""Where a notebook spends its time and memory: each code cell's wall time and the kernel's memory.

Runs each notebook top to bottom in a fresh kernel (nbclient, the notebook's folder as working
directory) with one math thread by default, as under Binder's one CPU, and prints the cells that
take longest with their first line of code, then the cells after which the kernel's peak resident
memory (VmHWM, Linux) rose the most. For lesson authors trimming a notebook to its budget
(about two minutes on a 2-core CPU; under 3 minutes in ``make bench-binder``).

    .venv/bin/python benchmarks/cell_times.py notebooks/05_fire_squeezenet.ipynb
    .venv/bin/python benchmarks/cell_times.py --threads 2 --top 5 notebooks/0[58]_*.ipynb
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path


def _seconds(cell: dict) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def _peak_mb(pid: int | None) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return None
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), None)


def cell_times(path: Path, timeout_s: float = 900.0) -> tuple[float, list[tuple[int, float, str, float | None]]]:
    """(total wall seconds, [(cell index, seconds, first code line, kernel peak MB after it)])."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout_s,
        kernel_name="python3",
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    peaks: dict[int, float | None] = {}

    def after_cell(cell: dict, cell_index: int, **_: object) -> None:
        provisioner = getattr(client.km, "provisioner", None)
        peaks[cell_index] = _peak_mb(getattr(provisioner, "pid", None))

    client.on_cell_executed = after_cell
    started = time.monotonic()
    client.execute()
    total = time.monotonic() - started
    rows = []
    for i, cell in enumerate(nb.cells):
        seconds = _seconds(cell) if cell.cell_type == "code" else None
        if seconds is not None:
            first = next((line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")), "")
            rows.append((i, seconds, first[:70], peaks.get(i)))
    return total, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS for the kernel (default 1)")
    parser.add_argument("--top", type=int, default=8, help="how many of the slowest cells to print")
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the kernel inherits it
    for path in args.notebooks:
        total, rows = cell_times(path.resolve())
        print(f"{path.name}: {total:.0f} s wall, {len(rows)} code cells, {args.threads} thread(s)")
        for i, seconds, first, _ in sorted(rows, key=lambda r: -r[1])[: args.top]:
            print(f"  cell {i:3d} {seconds:7.1f} s  {first}")
        rises, before = [], 0.0
        for i, _, first, peak in rows:
            if peak is not None:
                rises.append((peak - before, i, peak, first))
                before = peak
        if rises:
            print(f"  kernel peak {before:,.0f} MB; the largest rises:")
            for rise, i, peak, first in sorted(rises, reverse=True)[: args.top]:
                print(f"  cell {i:3d} {rise:+7.0f} MB to {peak:6,.0f} MB  {first}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
