"""What the live curves cost: per frame, per ``fit`` call, and on a run of about one second.

The issue's target: on a GPU, the live curves' fixed cost under 3% of a one-second epoch (30 ms).
The cost is host work (drawing a PNG with Pillow and handing it to the notebook), the same on
any device, so it is measured here on the CPU:

(a) one frame (``LiveCurves.render``) of a two-epoch History, median of 20;
(b) a whole ``fit`` call's drawing: creating the curves and the final frame;
(c) ``fit`` on a run of about one second (10 steps of batch 256 of the InceptionA (MNIST) net), live
    against not live, alternating, 7 pairs: the wall-time difference is every cost the curves add.

    python benchmarks/bench_live.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time

import cnnlessons as cl
from cnnlessons.history import History
from cnnlessons.live import LiveCurves
from cnnlessons.models.inception import InceptionANet


def _history(steps: int = 470, epochs: int = 2) -> History:
    h = History(label="bench")
    h.step_loss = [2.3 * math.exp(-i / 60) + 0.1 for i in range(steps)]
    h.step_acc = [0.9] * steps
    for e in range(1, epochs + 1):
        h.eval_step.append(e * steps // epochs)
        h.eval_epoch.append(float(e))
        h.train_loss.append(0.3 / e)
        h.train_acc.append(0.9 + 0.02 * e)
        h.test_loss.append(0.25 / e)
        h.test_acc.append(0.92 + 0.02 * e)
    return h


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", default=None)
    p.add_argument("--pairs", type=int, default=7)
    args = p.parse_args(argv)
    h = _history()
    curves = LiveCurves(h, 470, 235, notebook=False)
    curves.update("warm-up (fonts, Pillow)")
    frame = []
    for _ in range(20):
        t = time.perf_counter()
        curves.render()
        frame.append(time.perf_counter() - t)
    call = []
    for _ in range(10):
        t = time.perf_counter()
        LiveCurves(h, 470, 235, notebook=False).finish("done")
        call.append(time.perf_counter() - t)
    train, test = cl.load_mnist("train", subset=2560), cl.load_mnist("test", subset=1000)
    cl.fit(InceptionANet(), train, test, steps=3, live=True, progress=False)  # warm-up
    walls: dict[bool, list[float]] = {False: [], True: []}
    trains: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.pairs):
        for live in (False, True):
            t = time.perf_counter()
            hist = cl.fit(InceptionANet(), train, test, steps=10, live=live, progress=False)
            walls[live].append(time.perf_counter() - t)
            trains[live].append(hist.train_time)
    diffs = [b - a for a, b in zip(walls[False], walls[True])]
    result = {
        "frame_ms_median": 1e3 * statistics.median(frame),
        "call_ms_median": 1e3 * statistics.median(call),
        "run_wall_s_median": {str(k): statistics.median(v) for k, v in walls.items()},
        "run_train_s_median": {str(k): statistics.median(v) for k, v in trains.items()},
        "live_wall_added_ms_median": 1e3 * statistics.median(diffs),
        "live_wall_added_ms_all": [1e3 * d for d in diffs],
    }
    print(f"one frame: {result['frame_ms_median']:.1f} ms (median of 20)")
    print(f"one fit call's drawing (create + final frame): {result['call_ms_median']:.1f} ms (median of 10)")
    print(
        f"fit, 10 steps: train {result['run_train_s_median']['False']:.2f} s; wall "
        f"{result['run_wall_s_median']['False']:.2f} s not live, {result['run_wall_s_median']['True']:.2f} s live; "
        f"added by the curves: median {result['live_wall_added_ms_median']:.0f} ms "
        f"(pairs: {', '.join(f'{d:.0f}' for d in result['live_wall_added_ms_all'])} ms)"
    )
    print(f"against a one-second epoch: {result['call_ms_median'] / 10:.1f}% (target < 3%)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
