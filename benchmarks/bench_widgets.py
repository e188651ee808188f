"""How long a widget update takes: every lesson's demo widget, every control, and the channel widget.

The budget is 200 ms per update on the 2-core CPU (issue 14). For each lesson whose widget module
``cnnlessons.widgets.<lesson_module>`` exists and has ``demo()``, the demo is built once and each
of its ``.controls`` is moved through its values the way a student would (a slider over up to
eight positions of its range, each option of a dropdown or toggle, a checkbox on and off); each
move runs the widget's observers synchronously, so the time of the assignment is the update.
Then the channel widget (``cl.channel_explorer``) on four blocks, as before. Prints one line per
control: label, updates, median ms, max ms (``benchmarks/run_all.py`` parses these lines).

    .venv/bin/python benchmarks/bench_widgets.py            # everything
    .venv/bin/python benchmarks/bench_widgets.py --lessons   # only the lessons' demos
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
import sys
import time
from typing import Any

import torch
from torch import nn

from cnnlessons.lessons import LESSONS

LESSON_MODULES = tuple(LESSONS.values())
POSITIONS = 8  # values tried per numeric control
SWEEPS = 2


def control_values(control: Any) -> list[Any] | None:
    """The values a student could move this control to (None: not a value control we can drive)."""
    options = getattr(control, "options", None)
    if options is not None and hasattr(control, "index"):
        if isinstance(control.index, tuple):  # SelectMultiple: each option alone, then all of them
            return [("index", (i,)) for i in range(len(options))] + [("index", tuple(range(len(options))))]
        return [("index", i) for i in range(len(options))]
    value = getattr(control, "value", None)
    if isinstance(value, bool):
        return [("value", not value), ("value", value)]
    lo, hi = getattr(control, "min", None), getattr(control, "max", None)
    base = getattr(control, "base", None)
    if base is not None and isinstance(value, float) and lo is not None and hi is not None:  # FloatLogSlider
        return [("value", float(base ** (lo + (hi - lo) * i / (POSITIONS - 1)))) for i in range(POSITIONS)]
    if isinstance(value, (int, float)) and lo is not None and hi is not None and hi > lo:
        step = getattr(control, "step", None) or (1 if isinstance(value, int) else (hi - lo) / 100)
        n = int(round((hi - lo) / step))
        picks = sorted({round(i * n / (POSITIONS - 1)) for i in range(POSITIONS)}) if n >= POSITIONS else range(n + 1)
        vals = [lo + k * step for k in picks]
        if isinstance(value, int):
            vals = [int(round(v)) for v in vals]
        return [("value", min(max(v, lo), hi)) for v in vals]
    if isinstance(value, tuple) and lo is not None and hi is not None:  # a range slider: move its low end
        return [("value", (v, value[1])) for v in (lo, (lo + value[1]) / 2) if v <= value[1]]
    return None


def _describe(control: Any) -> str:
    name = getattr(control, "description", "") or ""
    return f"{name.strip() or '?'} ({type(control).__name__})"


def time_control(widget: Any, control: Any, sweeps: int = SWEEPS) -> tuple[list[float], int]:
    """Milliseconds per move, and how many moves did not redraw (no change of ``.renders``)."""
    moves = control_values(control)
    if not moves:
        return [], 0
    start_attr, start = moves[0][0], getattr(control, moves[0][0])
    times, silent = [], 0
    for _ in range(sweeps):
        for attr, v in moves:
            if getattr(control, attr) == v:
                continue
            before = getattr(widget, "renders", None)
            t0 = time.perf_counter()
            setattr(control, attr, v)
            times.append(1000 * (time.perf_counter() - t0))
            if before is not None and getattr(widget, "renders", None) == before:
                silent += 1
    setattr(control, start_attr, start)
    return times, silent


def bench_lessons(only: list[str] | None = None) -> list[dict]:
    rows = []
    for name in only or LESSON_MODULES:
        full = f"cnnlessons.widgets.{name}"
        if importlib.util.find_spec(full) is None:
            print(f"# {name}: no widget module yet", flush=True)
            continue
        module = importlib.import_module(full)
        if not hasattr(module, "demo"):
            print(f"# {name}: no demo()", flush=True)
            continue
        t0 = time.perf_counter()
        widget = module.demo()
        built = time.perf_counter() - t0
        print(f"# {name}: demo() built in {built:.1f} s", flush=True)
        for i, control in enumerate(getattr(widget, "controls", [])):
            try:
                times, silent = time_control(widget, control)
            except Exception as exc:  # noqa: BLE001  (report it and go on with the next control)
                print(f"# {name}: moving {_describe(control)} raised {type(exc).__name__}: {exc}", flush=True)
                continue
            if not times:
                print(f"# {name}: control {i} {_describe(control)} cannot be driven from code", flush=True)
                continue
            label = f"lesson {name}: {_describe(control)}"
            row = {
                "lesson": name,
                "control": _describe(control),
                "updates": len(times),
                "median_ms": statistics.median(times),
                "max_ms": max(times),
                "silent": silent,
                "demo_s": built,
            }
            rows.append(row)
            print(f"{label:60s} {len(times):7d} {row['median_ms']:10.1f} {row['max_ms']:8.1f}", flush=True)
            if silent:
                print(f"# {name}: {silent} move(s) of {_describe(control)} did not redraw", flush=True)
    return rows


# --- the channel widget (lessons 03-06 use it from code) ----------------------------------------------


def bottleneck_1x1(c_reduce: int) -> nn.Module:
    """192 -> c_reduce (1x1) -> 64 (3x3): the 1x1-before-3x3 trick at GoogLeNet's 28x28x192."""
    return nn.Sequential(nn.Conv2d(192, c_reduce, 1), nn.ReLU(inplace=True), nn.Conv2d(c_reduce, 64, 3, padding=1))


def inception_3b(ch3x3red: int) -> nn.Module:
    """GoogLeNet's inception (3b) at 28x28x256, with the 3x3 branch's reduction on a slider."""
    from torchvision.models.googlenet import Inception

    return Inception(256, 128, ch3x3red, 192, 32, 96, 64)


def fire(squeeze: int) -> nn.Module:
    from cnnlessons.models.fire_squeezenet import Fire

    return Fire(128, squeeze, 64, 64)


def basic_block(planes: int) -> nn.Module:
    """A stage-2 BasicBlock at 56x56x64; a 1x1 projection on the shortcut when planes != 64."""
    from cnnlessons.models.residual import BasicBlock

    downsample = None if planes == 64 else nn.Sequential(nn.Conv2d(64, planes, 1, bias=False), nn.BatchNorm2d(planes))
    return BasicBlock(64, planes, downsample=downsample)


BLOCKS = [
    ("1x1 bottleneck, 28x28x192", bottleneck_1x1, (1, 192, 28, 28), "c_reduce", (4, 192, 4, 16)),
    ("Inception 3b, 28x28x256", inception_3b, (1, 256, 28, 28), "ch3x3red", (16, 256, 16, 128)),
    ("Fire(128, s, 64, 64), 28x28", fire, (1, 128, 28, 28), "squeeze", (4, 64, 4, 16)),
    ("BasicBlock, 56x56x64", basic_block, (1, 64, 56, 56), "planes", (16, 128, 16, 64)),
]


def bench_channel_explorer(sweeps: int = 3) -> None:
    import cnnlessons as cl

    for label, build, input_size, name, spec in BLOCKS:
        explorer = cl.channel_explorer(build, input_size=input_size, **{name: spec})
        slider = explorer.sliders[name]
        values = list(range(slider.min, slider.max + 1, slider.step))
        times = []
        for _ in range(sweeps):
            for v in values:
                if v == slider.value:
                    continue
                start = time.perf_counter()
                slider.value = v  # the observer rebuilds, counts and rewrites the readout
                times.append(1000 * (time.perf_counter() - start))
                assert "error" not in explorer.result, explorer.text
        print(f"{label:60s} {len(times):7d} {statistics.median(times):10.1f} {max(times):8.1f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lessons", action="store_true", help="only the lessons' demo widgets")
    ap.add_argument("--only", nargs="*", help="lesson modules to time (default: all nine)")
    args = ap.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    print(f"{'widget':60s} {'updates':>7s} {'median ms':>10s} {'max ms':>8s}")
    rows = bench_lessons(args.only)
    if not args.lessons and not args.only:
        bench_channel_explorer()
    slow = [r for r in rows if r["median_ms"] >= 200]
    if slow:
        print(f"# over 200 ms median: {', '.join(r['lesson'] + ' ' + r['control'] for r in slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
