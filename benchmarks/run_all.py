"""The performance suite: one table of every speed, memory and latency target, PASS or MISS.

Sections (each a script of its own in benchmarks/, run here in a fresh process):
- fit:       ``cl.fit`` against a plain PyTorch loop on the InceptionA (MNIST) net, as a ratio of
             images per second (>= 2x on the CPU, >= 10x on a CUDA GPU at batch 64), and the
             live-curve overhead on an epoch (< 3%)                         (bench_fit.py)
- notebooks: strict nbval wall time per notebook (< 2 min each, < 15 min in all), each
             notebook's share, and the kernel's peak memory (< 1.5 GB)      (bench_notebooks.py)
- widgets:   channel-widget update latency (< 200 ms)                       (bench_widgets.py)
- import:    import time of cnnlessons on top of torch                      (bench_import.py)

Timings are only as good as the machine is quiet: the load average is recorded with each
section. Results go to benchmarks/results/suite_<cpu|cuda>.md (and .json): a section run alone
replaces that section and keeps the others, each with its machine and time.

    make bench                                           # everything this machine can run
    .venv/bin/python benchmarks/run_all.py --only notebooks,import
    .venv/bin/python benchmarks/run_all.py --only fit --fit-subset 10000   # a quick look
    CNNLESSONS_DEVICE=cuda python benchmarks/run_all.py --only fit,import  # the GPU half
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SECTIONS = ("fit", "notebooks", "widgets", "import")

# Targets (issue 8).
FIT_RATIO = {"cpu": 2.0, "cuda": 10.0}
LIVE_OVERHEAD_PCT = 3.0
NOTEBOOK_S, TOTAL_NOTEBOOKS_S, KERNEL_MB = 120.0, 15 * 60.0, 1500.0
WIDGET_MS = 200.0
IMPORT_MS = 500.0  # ours: what a notebook's first cell pays on top of torch


@dataclass
class Row:
    section: str
    measure: str
    value: str
    target: str
    ok: bool | None  # None: nothing to judge (not measured)
    note: str = ""

    @property
    def result(self) -> str:
        return {True: "PASS", False: "MISS", None: "n/a"}[self.ok]


# ---------------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown CPU"


def machine_info(devices: list[str]) -> dict:
    import torch

    info = {
        "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu_model()}, {os.cpu_count()} cores",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "load_average": round(os.getloadavg()[0], 2),
    }
    if "cuda" in devices and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def default_devices() -> list[str]:
    forced = os.environ.get("CNNLESSONS_DEVICE")
    if forced:
        return [forced]
    import torch

    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


# ---------------------------------------------------------------------------------------------
# Sections: each runs its script in a fresh process and turns the numbers into rows
# ---------------------------------------------------------------------------------------------
def _run_json(script: str, args: list[str], env: dict | None = None) -> dict:
    """Run benchmarks/<script> with --json into a temporary file; its own output streams through."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        cmd = [sys.executable, str(HERE / script), *args, "--json", str(out)]
        print(f"\n$ {' '.join(cmd[1:])}", flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True, env={**os.environ, **(env or {})})
        return json.loads(out.read_text())


def _find(runs: list[dict], *words: str, without: str | None = None) -> dict | None:
    for r in runs:
        if all(w in r["name"] for w in words) and (without is None or without not in r["name"]):
            return r
    return None


def section_fit(devices: list[str], subset: int | None) -> tuple[list[Row], dict]:
    rows, raw = [], {}
    for device in devices:
        args = ["--device", device] + (["--subset", str(subset)] if subset else [])
        r = _run_json("bench_fit.py", args, env={"CNNLESSONS_DEVICE": device})
        raw[device] = r
        runs = r["runs"]
        plain = _find(runs, "plain loop")
        images = f"{r['subset']:,} images" if r.get("subset") else "one epoch of 60,000 images"
        kind = "cuda" if device.startswith("cuda") else "cpu"
        fast = (
            _find(runs, "batch 64", "CUDA graph", without="no graph")
            if kind == "cuda"
            else _find(runs, "fit, defaults")
        )
        if plain and fast:
            ratio = fast["images_per_s"] / plain["images_per_s"]
            what = "fit at batch 64 (CUDA graph)" if kind == "cuda" else "fit with its defaults"
            rows.append(
                Row(
                    "fit",
                    f"{what} / plain loop, {device}",
                    f"{ratio:.1f}x images/s",
                    f">= {FIT_RATIO[kind]:.0f}x",
                    ratio >= FIT_RATIO[kind],
                    f"{fast['images_per_s']:,.0f} vs {plain['images_per_s']:,.0f} img/s; test acc "
                    f"{100 * fast['test_acc']:.2f}% vs {100 * plain['test_acc']:.2f}%; {images}",
                )
            )
        if kind == "cuda":
            default = _find(runs, "fit, defaults")
            if plain and default:
                ratio = default["images_per_s"] / plain["images_per_s"]
                rows.append(
                    Row(
                        "fit",
                        f"fit with its defaults / plain loop, {device}",
                        f"{ratio:.1f}x images/s",
                        "(no target)",
                        None,
                        f"batch {default.get('batch_size')}, test acc {100 * default['test_acc']:.2f}%",
                    )
                )
        if "live_overhead_pct" in r:
            wall, train = r["live_overhead_wall_pct"], r["live_overhead_pct"]
            rows.append(
                Row(
                    "fit",
                    f"live-curve overhead on an epoch, {device}",
                    f"{wall:+.1f}% of wall time",
                    f"< {LIVE_OVERHEAD_PCT:.0f}%",
                    wall < LIVE_OVERHEAD_PCT,
                    f"{train:+.1f}% of training time; {images}",
                )
            )
        raw[device]["load_average_after"] = round(os.getloadavg()[0], 2)
    return rows, raw


def section_notebooks(paths: list[str] | None) -> tuple[list[Row], dict]:
    args = list(paths or [])
    r = _run_json("bench_notebooks.py", args)
    rows = []
    for nb in r["notebooks"]:
        peak = nb["kernel_peak_mb"]
        misses = [
            what
            for what, bad in (
                ("time", nb["wall_s"] >= NOTEBOOK_S),
                ("memory", peak is not None and peak >= KERNEL_MB),
                ("nbval", not nb["passed"]),
            )
            if bad
        ]
        row = Row(
            "notebooks",
            f"strict nbval {nb['notebook']}",
            f"{nb['wall_s']:.0f} s ({nb['share_pct']:.0f}%), peak {peak:,.0f} MB"
            if peak
            else f"{nb['wall_s']:.0f} s ({nb['share_pct']:.0f}%), peak n/a",
            f"< {NOTEBOOK_S:.0f} s, < {KERNEL_MB:,.0f} MB, passes",
            not misses,
            nb["summary"] + (f"; missed: {', '.join(misses)}" if misses else ""),
        )
        rows.append(row)
    rows.append(
        Row(
            "notebooks",
            f"strict nbval, all {len(r['notebooks'])} notebooks one at a time",
            f"{r['total_s'] / 60:.1f} min",
            f"< {TOTAL_NOTEBOOKS_S / 60:.0f} min",
            r["total_s"] < TOTAL_NOTEBOOKS_S,
            f"load average {r['load_before']:.1f} before, {r['load_after']:.1f} after",
        )
    )
    return rows, r


def section_widgets() -> tuple[list[Row], dict]:
    """bench_widgets.py prints a table (block, updates, median ms, max ms); parse it."""
    cmd = [sys.executable, str(HERE / "bench_widgets.py")]
    print(f"\n$ {' '.join(cmd[1:])}", flush=True)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    print(out, end="", flush=True)
    rows, raw = [], []
    for line in out.splitlines():
        parts = line.rsplit(None, 3)
        if len(parts) != 4:
            continue
        try:
            label, updates, median, worst = parts[0], int(parts[1]), float(parts[2]), float(parts[3])
        except ValueError:
            continue  # the header
        raw.append({"widget": label, "updates": updates, "median_ms": median, "max_ms": worst})
        rows.append(
            Row(
                "widgets",
                f"channel widget update, {label}",
                f"{median:.0f} ms median",
                f"< {WIDGET_MS:.0f} ms",
                median < WIDGET_MS,
                f"max {worst:.0f} ms over {updates} updates" + ("" if worst < WIDGET_MS else " (max over target)"),
            )
        )
    return rows, {"widgets": raw}


def section_import() -> tuple[list[Row], dict]:
    r = _run_json("bench_import.py", [])
    total_ms = 1000 * (r["cnnlessons_s"] + r["models_train_s"])
    slowest = ", ".join(f"{n} {ms:.0f} ms" for n, ms in r["importtime_top_ms"][:3])
    rows = [
        Row(
            "import",
            "import cnnlessons (+ models, train) on top of torch",
            f"{1000 * r['cnnlessons_s']:.0f} ms (+{1000 * r['models_train_s']:.0f} ms)",
            f"< {IMPORT_MS:.0f} ms in all (ours)",
            total_ms < IMPORT_MS,
            f"import torch itself {1000 * r['torch_s']:,.0f} ms; median of {r['runs']}; slowest: {slowest}",
        ),
        Row(
            "import",
            "heavy libraries loaded by `import cnnlessons`",
            ", ".join(r["heavy_modules"]) or "none",
            "none",
            not r["heavy_modules"],
            "matplotlib/ipywidgets load on first figure or widget",
        ),
    ]
    return rows, r


# ---------------------------------------------------------------------------------------------
# Output: one table; results kept per section in benchmarks/results/suite_<tag>.{json,md}
# ---------------------------------------------------------------------------------------------
def table(rows: list[Row]) -> str:
    lines = ["| measure | value | target | result | details |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r.measure} | {r.value} | {r.target} | {r.result} | {r.note} |" for r in rows]
    return "\n".join(lines)


def render_markdown(store: dict, tag: str) -> str:
    parts = [
        f"# Performance suite ({tag})",
        "",
        "Written by `benchmarks/run_all.py` (`make bench`); each section keeps the machine and time "
        "it was measured on. Timings grow with machine load (load average shown). Do not edit by hand.",
        "",
    ]
    rows = [Row(**r) for s in SECTIONS if s in store for r in store[s]["rows"]]
    parts += [table(rows), "", "## Machines", ""]
    for s in SECTIONS:
        if s in store:
            m = store[s]["machine"]
            gpu = f", GPU {m['gpu']}" if "gpu" in m else ""
            parts.append(
                f"- {s}: {m['date_utc']}, CPU {m['cpu']}{gpu}, torch {m['torch']}, Python {m['python']}, "
                f"load average {m['load_average']} at start"
            )
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    p.add_argument(
        "--devices",
        default=None,
        help="for fit: cpu,cuda (default: cpu, plus cuda when present; CNNLESSONS_DEVICE alone when set)",
    )
    p.add_argument("--fit-subset", type=int, default=None, help="fit: train on this many images (default all 60,000)")
    p.add_argument("--notebooks", nargs="*", default=None, help="notebooks to time (default all)")
    p.add_argument("--tag", default=None, help="results file suffix (default cuda when a GPU is used, else cpu)")
    p.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results alone")
    p.add_argument("--json", default=None, help="also write this run's rows and raw numbers to this file")
    args = p.parse_args(argv)

    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        p.error(f"--only: unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    devices = args.devices.split(",") if args.devices else default_devices()
    tag = args.tag or ("cuda" if any(d.startswith("cuda") for d in devices) else "cpu")

    run: dict = {}
    for section in only:
        machine = machine_info(devices)
        if section == "fit":
            rows, raw = section_fit(devices, args.fit_subset)
        elif section == "notebooks":
            rows, raw = section_notebooks(args.notebooks)
        elif section == "widgets":
            rows, raw = section_widgets()
        else:
            rows, raw = section_import()
        run[section] = {"machine": machine, "rows": [asdict(r) for r in rows], "raw": raw}

    all_rows = [Row(**r) for s in SECTIONS if s in run for r in run[s]["rows"]]
    print("\n" + table(all_rows))
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        store_path = RESULTS / f"suite_{tag}.json"
        store = json.loads(store_path.read_text()) if store_path.exists() else {}
        if args.notebooks is not None and "notebooks" in run:  # a partial notebook run: not the suite's figure
            run.pop("notebooks")
            print("(a chosen subset of notebooks is printed, not stored)")
        store.update(run)
        store_path.write_text(json.dumps(store, indent=2) + "\n")
        (RESULTS / f"suite_{tag}.md").write_text(render_markdown(store, tag))
        print(f"\nwrote {store_path.relative_to(ROOT)} and suite_{tag}.md")
    if args.json:
        Path(args.json).write_text(json.dumps(run, indent=2) + "\n")
    return run


if __name__ == "__main__":
    main(sys.argv[1:])
