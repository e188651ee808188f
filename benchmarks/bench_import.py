"""Import time of cnnlessons apart from torch, in fresh interpreters.

Each run is a new ``python`` process that times ``import torch``, then ``import cnnlessons``
(what a notebook's first cell pays on top of torch), then the modules loaded on first use by
every lesson (``cnnlessons.models``, ``cnnlessons.train``). Prints the median of a few runs, the
heavy libraries that ``import cnnlessons`` pulled in (there should be none: matplotlib and
ipywidgets load only when a figure or widget is drawn), and the slowest cnnlessons modules
according to ``python -X importtime``.

    .venv/bin/python benchmarks/bench_import.py            # 5 runs
    .venv/bin/python benchmarks/bench_import.py --runs 9 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

HEAVY = ("matplotlib", "ipywidgets", "IPython", "torchvision", "torchinfo", "PIL", "pandas", "scipy")

_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
import cnnlessons
t2 = time.perf_counter()
heavy = [m for m in {heavy!r} if m in sys.modules]
import cnnlessons.models, cnnlessons.train
t3 = time.perf_counter()
print(json.dumps({{"torch_s": t1 - t0, "cnnlessons_s": t2 - t1, "models_train_s": t3 - t2, "heavy": heavy}}))
"""


def probe_once(python: str = sys.executable) -> dict:
    out = subprocess.run([python, "-c", _PROBE.format(heavy=HEAVY)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def importtime_top(python: str = sys.executable, top: int = 5) -> list[tuple[str, float]]:
    """The cnnlessons modules with the largest cumulative import time (ms), from -X importtime."""
    out = subprocess.run(
        [python, "-X", "importtime", "-c", "import torch; import cnnlessons.models, cnnlessons.train"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        # "import time:      self [us] |  cumulative | imported package"
        parts = line.split("|")
        if len(parts) != 3 or not line.startswith("import time:"):
            continue
        name = parts[2].strip()
        if name.startswith("cnnlessons"):
            try:
                rows.append((name, int(parts[1]) / 1000))
            except ValueError:
                continue
    return sorted(rows, key=lambda r: -r[1])[:top]


def measure(runs: int = 5, python: str = sys.executable) -> dict:
    samples = [probe_once(python) for _ in range(runs)]
    med = {k: statistics.median(s[k] for s in samples) for k in ("torch_s", "cnnlessons_s", "models_train_s")}
    heavy = sorted({m for s in samples for m in s["heavy"]})
    return {"runs": runs, **med, "heavy_modules": heavy, "importtime_top_ms": importtime_top(python)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", default=None, help="also write the results to this file")
    args = p.parse_args(argv)
    r = measure(args.runs)
    print(f"median of {r['runs']} fresh interpreters:")
    print(f"  import torch                        {1000 * r['torch_s']:7.0f} ms")
    print(f"  import cnnlessons (after torch)     {1000 * r['cnnlessons_s']:7.0f} ms")
    print(f"  + cnnlessons.models, .train         {1000 * r['models_train_s']:7.0f} ms")
    print(f"  heavy libraries loaded by `import cnnlessons`: {', '.join(r['heavy_modules']) or 'none'}")
    print("  slowest cnnlessons modules (-X importtime, cumulative):")
    for name, ms in r["importtime_top_ms"]:
        print(f"    {name:34s} {ms:7.1f} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
    return r


if __name__ == "__main__":
    main(sys.argv[1:])
