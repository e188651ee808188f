"""What fit's checks before the first step cost, as a share of one 10,000-image epoch on the CPU.

The checks (``cnnlessons/preflight.py``): the dry run on 2 images, the label checks, the raw-pixel
check and the model doctor on batches of 2 and 3. Each is timed as ``before_fit`` (median of 5,
a fresh model each time) against the training time of ``fit``'s one epoch over 10,000 MNIST
images (``History.train_time``: the steps only, the checks excluded), for lesson 00's TinyCNN
and the InceptionA net ``bench_fit.py`` uses. Budget: under 2%.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_preflight.py
"""

from __future__ import annotations

import statistics
import time

import torch

import cnnlessons as cl
from cnnlessons.models import MNIST_MODELS
from cnnlessons.preflight import before_fit
from cnnlessons.train import cross_entropy

MODELS = ("TinyCNN", "InceptionA (MNIST)")


def time_preflight(make, images, labels, repeats: int = 5) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the checks, medians over fresh models."""
    walls, cpus = [], []
    for _ in range(repeats):
        model = make()
        t0, c0 = time.perf_counter(), time.process_time()
        before_fit(model, images, labels, None, torch.device("cpu"), None, cross_entropy)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    x, y = cl.load_mnist("train", subset=10_000)
    print(f"torch threads: {torch.get_num_threads()}")
    print("Wall times are inflated on a loaded machine; CPU times (one thread) are not.")
    print(f"{'model':20s} {'checks wall/CPU (ms)':>21s} {'epoch wall/CPU (s)':>19s} {'share wall/CPU':>15s}")
    for name in MODELS:
        make = MNIST_MODELS[name]
        wall, cpu = time_preflight(make, x, y)
        cl.seed_everything(0)
        c0 = time.process_time()
        hist = cl.fit(make(), (x, y), epochs=1, device="cpu", live=False, progress=False)
        epoch_cpu = time.process_time() - c0 - cpu  # the checks ran inside this call too
        print(
            f"{name:20s} {1000 * wall:10.1f} / {1000 * cpu:8.1f} {hist.train_time:9.2f} / {epoch_cpu:7.2f} "
            f"{100 * wall / hist.train_time:6.2f}% / {100 * cpu / epoch_cpu:5.2f}%",
            flush=True,
        )


if __name__ == "__main__":
    main()
