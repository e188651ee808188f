"""fit against a plain PyTorch training loop, on the InceptionA (MNIST) net (97,298 params).

(a) the plain loop: a torchvision-MNIST-style Dataset over the shipped IDX arrays (no download)
    giving PIL images through ToTensor + Normalize, DataLoader batch 64 with shuffling,
    SGD lr 0.01 momentum 0.5, one optimizer step per batch;
(b) ``cnnlessons.fit`` with its defaults;
(c) on CUDA: ``fit`` at batch 64 with the plain loop's optimizer (lr 0.01, momentum 0.5), with and
    without the CUDA graph;
(d) the live-curve overhead: (b) again with live curves drawn (as PNG frames, as in a notebook).

Prints images/s and test accuracy of each run and the ratios. Timings vary with machine load:
run on a quiet machine (check ``uptime``) and say which machine it was.

    python benchmarks/bench_fit.py                       # CPU here, one epoch of 60,000 images
    CNNLESSONS_DEVICE=cuda python benchmarks/bench_fit.py --json out.json
    python benchmarks/bench_fit.py --subset 5000         # a quick look
    python benchmarks/bench_fit.py --repeat 5            # 5 alternating pairs, median ratio
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402
from torchvision import transforms  # noqa: E402

import cnnlessons as cl  # noqa: E402
from cnnlessons.data import MNIST_MEAN, MNIST_STD, load_mnist_uint8, stratified_indices  # noqa: E402
from cnnlessons.models.inception import InceptionANet  # noqa: E402


class PILMNIST(Dataset):
    """What torchvision.datasets.MNIST does per item: uint8 array -> PIL image -> transform."""

    def __init__(self, split: str, transform, subset: int | None = None) -> None:
        images, labels = load_mnist_uint8(split)
        index = np.arange(len(labels)) if subset is None else stratified_indices(labels, subset)
        self.images = torch.from_numpy(images[index].copy())
        self.labels = torch.from_numpy(labels[index].astype(np.int64))
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        img = Image.fromarray(self.images[i].numpy(), mode="L")
        return self.transform(img), int(self.labels[i])


def plain_loop(device: torch.device, epochs: int, subset: int | None, seed: int = 0) -> dict:
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    torch.manual_seed(seed)
    train_loader = DataLoader(PILMNIST("train", transform, subset), shuffle=True, batch_size=64)
    test_loader = DataLoader(PILMNIST("test", transform), shuffle=False, batch_size=64)
    model = InceptionANet().to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    images, train_s = 0, 0.0
    for _ in range(epochs):
        sync(device)
        t0 = time.perf_counter()
        for inputs, target in train_loader:
            inputs, target = inputs.to(device), target.to(device)
            optimizer.zero_grad()
            loss = criterion(model(inputs), target)
            loss.backward()
            optimizer.step()
            images += len(target)
        sync(device)
        train_s += time.perf_counter() - t0
    correct = total = 0
    model.eval()
    with torch.no_grad():
        for inputs, target in test_loader:
            pred = model(inputs.to(device)).argmax(1).cpu()
            correct += int((pred == target).sum())
            total += len(target)
    return {
        "name": "plain loop (DataLoader, PIL, batch 64)",
        "images_per_s": images / train_s,
        "train_s": train_s,
        "test_acc": correct / total,
    }


def fit_run(name: str, device: torch.device, epochs: int, data, seed: int = 0, **kwargs) -> dict:
    torch.manual_seed(seed)
    model = InceptionANet()
    kwargs.setdefault("live", False)
    sync(device)
    h = cl.fit(model, data[0], data[1], epochs=epochs, device=device, progress=False, seed=seed, **kwargs)
    return {
        "name": name,
        "images_per_s": h.images_per_s,
        "train_s": h.train_time,
        "wall_s": h.wall_time,
        "test_acc": h.final_test_acc,
        "cuda_graph": h.cuda_graph,
        "channels_last": h.channels_last,
        "batch_size": h.batch_size,
    }


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def machine(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, torch {torch.get_num_threads()} threads"


def _about(device: torch.device, load: float, args: argparse.Namespace) -> dict:
    """What a result file says of where and how it was measured."""
    return {
        "device": str(device),
        "machine": machine(device),
        "torch": torch.__version__,
        "load_average": load,
        "epochs": args.epochs,
        "subset": args.subset,
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default=None, help="cpu, cuda or mps (default: cnnlessons.pick_device())")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--subset", type=int, default=None, help="train on this many images (default all 60,000)")
    p.add_argument("--json", default=None, help="also write the results to this file")
    p.add_argument("--skip-plain", action="store_true", help="leave out the (slow) plain loop")
    p.add_argument("--skip-bf16", action="store_true", help="leave out the bfloat16 run on the CPU")
    p.add_argument("--skip-live", action="store_true", help="leave out the live-curve overhead run")
    p.add_argument("--channels-last", action="store_true", help="also time fit with channels_last flipped")
    p.add_argument("--sweep", action="store_true", help="also try a few (lr, momentum) at fit's batch size")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the plain loop and fit's defaults this many times, alternating, seeds 0..N-1; "
        "report each pair's ratio and the median (a steadier figure on a noisy machine)",
    )
    args = p.parse_args(argv)
    if args.repeat > 1:
        return repeated(args)

    device = cl.pick_device(args.device)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"device: {device} ({machine(device)}), torch {torch.__version__}, load average {load:.2f}")
    data = (cl.load_mnist("train", subset=args.subset), cl.load_mnist("test"))
    runs: list[dict] = []
    # Warm-up (library initialisation, cuDNN/oneDNN kernel choice) so no run pays for it.
    cl.fit(InceptionANet(), data[0], epochs=1, steps=5, device=device, live=False, progress=False)
    cl.fit(InceptionANet(), data[0], steps=5, batch_size=64, device=device, live=False, progress=False)

    def report(r: dict) -> None:
        runs.append(r)
        extra = f", wall {r['wall_s']:.1f} s" if "wall_s" in r else ""
        print(
            f"{r['name']:<48} {r['images_per_s']:>9,.0f} img/s  train {r['train_s']:6.1f} s{extra}  "
            f"test acc {100 * r['test_acc']:.2f}%",
            flush=True,
        )

    if not args.skip_plain:
        report(plain_loop(device, args.epochs, args.subset))
    fit_default = fit_run("fit, defaults", device, args.epochs, data)
    report(fit_default)
    if device.type == "cuda":
        report(
            fit_run(
                "fit, batch 64, plain loop's SGD, CUDA graph",
                device,
                args.epochs,
                data,
                batch_size=64,
                lr=0.01,
                momentum=0.5,
            )
        )
        report(
            fit_run(
                "fit, batch 64, plain loop's SGD, no graph",
                device,
                args.epochs,
                data,
                batch_size=64,
                lr=0.01,
                momentum=0.5,
                cuda_graph=False,
            )
        )
    if device.type == "cpu" and not args.skip_bf16:
        # Opt-in bfloat16 autocast: a large gain on CPUs with AMX / AVX512-BF16, a loss elsewhere.
        report(fit_run("fit, defaults, precision='bf16'", device, args.epochs, data, precision="bf16"))
    if args.channels_last:
        flipped = not fit_default["channels_last"]
        report(fit_run(f"fit, defaults, channels_last={flipped}", device, args.epochs, data, channels_last=flipped))
    result: dict = {**_about(device, load, args), "runs": runs}
    if not args.skip_live:
        live = fit_run("fit, defaults, live curves (PNG)", device, args.epochs, data, live=True)
        report(live)
        result["live_overhead_pct"] = 100 * (fit_default["images_per_s"] / live["images_per_s"] - 1)
        result["live_overhead_wall_pct"] = 100 * (live["wall_s"] / fit_default["wall_s"] - 1)
        print(
            f"live-curve overhead: {result['live_overhead_pct']:+.1f}% of training time "
            f"({result['live_overhead_wall_pct']:+.1f}% of wall time)"
        )
    if args.sweep:
        for lr, momentum in ((0.02, 0.5), (0.04, 0.5), (0.08, 0.5), (0.01, 0.9), (0.02, 0.9), (0.04, 0.9)):
            for seed in (0, 1):
                torch.manual_seed(seed)
                h = cl.fit(
                    InceptionANet(),
                    data[0],
                    data[1],
                    epochs=args.epochs,
                    device=device,
                    lr=lr,
                    momentum=momentum,
                    seed=seed,
                    live=False,
                    progress=False,
                )
                print(
                    f"sweep lr {lr} momentum {momentum} seed {seed}: test acc {100 * h.final_test_acc:.2f}%", flush=True
                )
                result.setdefault("sweep", []).append(
                    {"lr": lr, "momentum": momentum, "seed": seed, "test_acc": h.final_test_acc}
                )
    if not args.skip_plain:
        plain = runs[0]
        for r in runs[1:]:
            r["speedup"] = r["images_per_s"] / plain["images_per_s"]
            print(
                f"ratio {r['name']!r} / plain loop: {r['speedup']:.2f}x images/s, "
                f"test acc {100 * r['test_acc']:.2f}% vs {100 * plain['test_acc']:.2f}%"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


def repeated(args: argparse.Namespace) -> dict:
    """Plain loop and fit's defaults back to back, ``args.repeat`` times with seeds 0, 1, ...

    Machine noise (another process, a busy neighbour) hits a pair's two runs alike, so the
    median of the per-pair ratios is steadier than one run's ratio. Each run has a fresh
    process of its own: ``fit`` sets process-wide allocator thresholds on the CPU
    (``device.steady_heap``), and the plain loop is timed as it runs without them.
    """
    device = cl.pick_device(args.device)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"device: {device} ({machine(device)}), torch {torch.__version__}, load average {load:.2f}")
    pairs = []
    ctx = multiprocessing.get_context("spawn")
    for seed in range(args.repeat):
        with ctx.Pool(1) as pool:
            plain = pool.apply(_isolated, ("plain", str(device), args.epochs, args.subset, seed))
        with ctx.Pool(1) as pool:
            fit = pool.apply(_isolated, ("fit", str(device), args.epochs, args.subset, seed))
        pairs.append({"seed": seed, "plain": plain, "fit": fit, "ratio": fit["images_per_s"] / plain["images_per_s"]})
        print(
            f"seed {seed}: plain {plain['images_per_s']:,.0f} img/s, {100 * plain['test_acc']:.2f}%; "
            f"fit {fit['images_per_s']:,.0f} img/s, {100 * fit['test_acc']:.2f}%; ratio {pairs[-1]['ratio']:.2f}x",
            flush=True,
        )
    ratios = sorted(p["ratio"] for p in pairs)
    median = float(np.median(ratios))
    acc = {k: [p[k]["test_acc"] for p in pairs] for k in ("plain", "fit")}
    print(f"ratio: median {median:.2f}x, range {ratios[0]:.2f}-{ratios[-1]:.2f}x over {len(pairs)} pairs")
    for k, v in acc.items():
        print(f"test accuracy, {k}: mean {100 * np.mean(v):.2f}%, range {100 * min(v):.2f}-{100 * max(v):.2f}%")
    wins = sum(f >= p for f, p in zip(acc["fit"], acc["plain"]))
    print(f"fit's accuracy equal or better in {wins} of {len(pairs)} seeds")
    result = {
        **_about(device, load, args),
        "pairs": pairs,
        "median_ratio": median,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


def _isolated(kind: str, device_name: str, epochs: int, subset: int | None, seed: int) -> dict:
    """One run in a fresh process, after an untimed warm-up of the same kind (library start-up)."""
    device = torch.device(device_name)
    if kind == "plain":
        plain_loop(device, 1, 640, seed=seed)  # warm-up: 10 batches
        return plain_loop(device, epochs, subset, seed=seed)
    data = (cl.load_mnist("train", subset=subset), cl.load_mnist("test"))
    cl.fit(InceptionANet(), data[0], steps=5, device=device, live=False, progress=False)  # warm-up
    return fit_run("fit, defaults", device, epochs, data, seed=seed)


if __name__ == "__main__":
    main(sys.argv[1:])
