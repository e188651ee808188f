"""Lesson 04's full run: the source documents' MNIST InceptionA net on all 60,000 images.

The source's settings: SGD lr 0.01, momentum 0.5, batch 64, two epochs. Prints the test
accuracy (all 10,000 test images) and the wall time, and writes them to
``benchmarks/results/inception_full_<device>.md``. Timings vary with machine load: note
``uptime`` next to the result.

    python benchmarks/bench_inception_full.py                       # CPU here (a few minutes)
    CNNLESSONS_DEVICE=cuda python benchmarks/bench_inception_full.py
    python benchmarks/bench_inception_full.py --subset 5000 --epochs 1   # a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import torch

import cnnlessons as cl
from cnnlessons.models.inception import InceptionANet

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--subset", type=int, default=None, help="training images (default: all 60,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=None, help="markdown file (default: results/inception_full_<device>.md)"
    )
    args = parser.parse_args()

    device = cl.pick_device()
    cl.seed_everything(args.seed)
    train = cl.load_mnist("train", subset=args.subset)
    test = cl.load_mnist("test")
    model = InceptionANet()

    start = time.perf_counter()
    hist = cl.fit(
        model,
        train,
        test,
        epochs=args.epochs,
        batch_size=64,
        lr=0.01,
        optimizer="sgd",
        momentum=0.5,
        device=device,
        seed=args.seed,
        live=False,
        progress=True,
        label="InceptionANet",
    )
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    _, acc = cl.evaluate(model, test, device=device)

    n_train = len(train[1])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"# InceptionANet, full run on {device.type}",
        "",
        f"- machine: {cl.describe_device(device)}; {cpu_name()}, "
        f"{os.cpu_count()} CPU cores, torch {torch.__version__}, threads {torch.get_num_threads()}",
        f"- settings: {n_train:,} training images, {args.epochs} epochs, batch 64, SGD lr 0.01 momentum 0.5, "
        f"seed {args.seed} ({hist.steps:,} steps)",
        f"- test accuracy (10,000 images): {acc:.2%}",
        f"- wall time (training + per-epoch evaluation): {wall:.0f} s",
        f"- 1-minute load average when it finished: {load:.2f}",
        "",
        "Produced by `python benchmarks/bench_inception_full.py`.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = args.out or RESULTS / f"inception_full_{device.type}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
