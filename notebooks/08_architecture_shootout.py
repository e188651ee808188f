# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/08_architecture_shootout.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/08_architecture_shootout.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/08_architecture_shootout.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 08 · Architecture shootout: every model of the course on the same budget
#
# **What you will learn**
# - How to compare architectures fairly: the same data, optimizer, learning rate, batch size, number of steps and
#   seeds for every model, and what such a comparison can and cannot tell.
# - Four costs of a model: parameters, mult-adds per image, training images per second on *your* device, and
#   training time; they do not rank the models the same way.
# - Why a short run ranks how fast each net *starts*, not how good it ends: learning curves of eight models over
#   three seeds, read early and later in the same run.
# - Why MNIST cannot separate these designs, and why one shared recipe is not a tuned comparison.
#
# **What you need:** the models of lessons 00-06 (you do not need to remember their details) and the tracer (`cl.trace`).
#
# **Time:** about two minutes on a quiet 2-core CPU (24 training runs; the last cell prints this run's time); much
# less on a GPU. `FULL = True` (first code cell) adds GoogLeNet to the race and trains 150 steps: about twice as long.

# %% tags=["nbval-ignore-output"]
import time

import matplotlib.pyplot as plt
import torch

import cnnlessons as cl
from cnnlessons.lessons import architecture_shootout as lesson
from cnnlessons.models import MNIST_MODELS
from cnnlessons.widgets import architecture_shootout as widgets

_start = time.time()
device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)
SEEDS = (0, 1, 2)  # random seeds: each gives other initial weights and another batch order
FULL = False  # True: GoogLeNet joins the race and every run trains 150 steps instead of 100

# %% [markdown]
# ## 1. The contestants
#
# `cnnlessons.models.MNIST_MODELS` holds one MNIST-sized model per lesson (1 x 28 x 28 digits in, 10 scores out), each
# built with its lesson's defaults: small cousins of the papers' ImageNet networks, not the networks themselves.
# GoogLeNet comes without its auxiliary heads here, so that one loss trains every model. Its 37 convolutions (printed
# below) make it the slowest to train here, so the race below leaves it out unless `FULL = True`; its costs are counted
# with the others.

# %%
from torch import nn

print(f"{'model':24s} {'class':18s} {'convs':>5s} {'linear':>6s}  batch norm")
for name, build in MNIST_MODELS.items():
    m = build()
    n_conv = sum(isinstance(x, nn.Conv2d) for x in m.modules())
    n_lin = sum(isinstance(x, nn.Linear) for x in m.modules())
    bn = any(isinstance(x, nn.BatchNorm2d) for x in m.modules())
    print(f"{name:24s} {type(m).__name__:18s} {n_conv:5d} {n_lin:6d}  {'yes' if bn else 'no'}")

# %% [markdown]
# ## 2. Costs before any training
#
# Parameters and mult-adds per image come from the tracer (`cl.trace`, torchinfo's conventions). Neither needs
# training, so these numbers are exact.

# %%
counts = {}
print(f"{'model':24s} {'params':>9s} {'mult-adds':>11s}")
for name, build in MNIST_MODELS.items():
    table = cl.trace(build(), (1, 1, 28, 28))
    counts[name] = (table.total_params, table.total_mult_adds)
    print(f"{name:24s} {table.total_params:9,d} {table.total_mult_adds:11,d}")

# %% [markdown]
# Parameters and compute are different budgets. A convolution's weight is reused at every position of its input, so a
# layer on a large feature map costs many mult-adds per parameter; a fully connected layer uses each weight once per
# image. The cell below prints the mult-adds per parameter: models whose weights sit in convolutions on large maps,
# with no big fully connected layer, do the most work per weight; models whose weights sit mostly in layers that see few positions (convolutions
# on small maps late in the network, or fully connected layers, which see one), the least.

# %%
per_param = {name: ma / p for name, (p, ma) in counts.items()}
for name, r in sorted(per_param.items(), key=lambda kv: kv[1]):
    print(f"{name:24s} {r:6.1f} mult-adds per parameter")
most, least = max(per_param, key=per_param.get), min(per_param, key=per_param.get)
print(f"{most} does {per_param[most] / per_param[least]:.1f}x more work per parameter than {least}.")

# %% [markdown]
# ## 3. The same budget for everyone
#
# A fair race fixes everything except the architecture: the training images and their order (the seed), the
# optimizer (Adam, lr 0.001), the batch size (64) and the number of steps (100; printed below). Equal *steps* means
# equal images seen; a model that is slow per image pays in time, not in accuracy. Images per second count training
# steps only, after two untimed warm-up steps. The test accuracy on 2,000 test images is measured every 50 steps, so
# each run gives its learning curve: step 50 is the **early** view, the last step the **later** one. Three seeds for
# each of the eight models in the race: 24 runs.
#
# Two limits, said up front:
# - **One shared recipe is not a tuned comparison.** The papers trained each network with its own recipe (SGD with
#   momentum, learning-rate schedules, weight decay, augmentation, days to weeks of GPU time). Here every model gets the same
#   Adam learning rate, no schedule and no augmentation. A model that would prefer another learning rate is handicapped,
#   and a fair ranking of the *designs* would tune each one (at least a small learning-rate sweep per model).
# - **MNIST is too easy to separate these designs.** On ImageNet they differ by many points (section 7); on MNIST,
#   trained longer, they all end within about a point of each other (section 7 prints a full run), and the differences
#   between them are about as small as the differences between two seeds of the same model.

# %%
train, test = cl.load_mnist("train", subset=10_000), cl.load_mnist("test", subset=2_000)
budget = dict(steps=150 if FULL else 100, batch_size=64, eval_every=50, early_step=50)
RACE = [name for name in MNIST_MODELS if FULL or name != "GoogLeNet"]
print(f"{len(train[0]):,} training images, {len(test[0]):,} test images; budget {budget}, seeds {SEEDS}")
print(f"in the race: {', '.join(RACE)}")
print(f"{budget['steps'] * budget['batch_size']:,} images seen per run: "
      f"{budget['steps'] * budget['batch_size'] / len(train[0]):.2f} passes over the training subset")

# %% tags=["nbval-ignore-output"]
results = lesson.shootout(RACE, train, test, device=device, counts=counts, seeds=SEEDS, **budget)

# %%
assert results.names == RACE
for row in results.rows:
    assert row.params == counts[row.name][0] and row.images_per_s > 0 and len(row.runs) == len(SEEDS)
    assert [s for s, _ in row.runs[0].curve] == list(range(50, budget["steps"] + 1, 50))
    assert row.test_acc > 0.3, f"{row.name} stayed near chance: {row.test_acc:.1%}"
print(f"{len(results)} models x {len(SEEDS)} seeds trained on the same budget; every mean well above chance (10%)")

# %% tags=["nbval-ignore-output"]
results

# %% [markdown]
# ## 4. Early and later: learning curves
#
# Left: each model's training loss (mean of every 10 steps, averaged over the three seeds); the dotted line is ln 10 =
# 2.30, the loss of a model that guesses uniformly among 10 classes. A model whose curve sits near that line is on a
# **plateau**: it has not started learning yet. Right: test accuracy every 50 steps (mean of the seeds, the band their
# range). These curves are the evidence for any statement about how fast a model starts.

# %% tags=["nbval-ignore-output"]
import math

fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
markers = "os^vDP*Xh"
for i, row in enumerate(results.rows):
    windows = [s for s, _ in row.runs[0].loss_curve]
    loss = [sum(run.loss_curve[k][1] for run in row.runs) / len(row.runs) for k in range(len(windows))]
    axes[0].plot(windows, loss, color=f"C{i}", lw=1.2, marker=markers[i], markevery=3, ms=4, label=row.name)
    steps = [s for s, _ in row.runs[0].curve]
    by_step = [[run.curve[k][1] * 100 for run in row.runs] for k in range(len(steps))]
    axes[1].plot(steps, [sum(a) / len(a) for a in by_step], marker=markers[i], color=f"C{i}", label=row.name)
    axes[1].fill_between(steps, [min(a) for a in by_step], [max(a) for a in by_step], color=f"C{i}", alpha=0.12)
axes[0].axhline(math.log(10), color="k", lw=0.8, ls=":", label="ln 10 (uniform guessing)")
axes[0].set(title=f"Training loss (mean of 10 steps, {len(SEEDS)} seeds)", xlabel="training step",
            ylabel="training loss (log scale)", yscale="log")
for ax in axes:
    ax.axvline(budget["early_step"], color="k", lw=0.8, ls="--", label=f"step {budget['early_step']} (the early view)")
    ax.grid(alpha=0.3)
axes[1].set(title=f"Test accuracy (mean of {len(SEEDS)} seeds; band = min to max)", xlabel="training step",
            ylabel="test accuracy (%)", xticks=[s for s, _ in results.rows[0].runs[0].curve])
axes[0].legend(fontsize=7, ncol=2)
axes[1].legend(fontsize=7, ncol=2, loc="lower right")
fig.tight_layout()
plt.show()


# %% tags=["nbval-ignore-output"]
def spearman(a, b):
    """Rank correlation of two rankings of the same names (1 = same order, -1 = reversed)."""
    n = len(a)
    return 1 - 6 * sum((a.index(x) - b.index(x)) ** 2 for x in a) / (n * (n * n - 1))

def overlapping(rows, acc):
    """Pairs of models whose ranges over seeds overlap, i.e. that this run cannot tell apart."""
    pairs = [(r, q) for i, r in enumerate(rows) for q in rows[i + 1:]]
    return sum(min(acc(r)[1], acc(q)[1]) >= max(acc(r)[0], acc(q)[0]) for r, q in pairs), len(pairs)

E, S = budget["early_step"], budget["steps"]
early_rank = [r.name for r in results.ranked(early=True)]
end_rank = [r.name for r in results.ranked()]
print(f"test accuracy (%), mean [min, max] over seeds {list(SEEDS)}")
print(f"{'model':24s} {f'step {E}':>23s} {f'step {S}':>23s}   rank {E} -> {S}")
for r in results.rows:
    (e_lo, e_hi), (lo, hi) = r.early_range, r.acc_range
    print(f"{r.name:24s} {100 * r.early_acc:6.2f} [{100 * e_lo:6.2f}, {100 * e_hi:6.2f}] "
          f"{100 * r.test_acc:6.2f} [{100 * lo:6.2f}, {100 * hi:6.2f}]"
          f"   {early_rank.index(r.name) + 1} -> {end_rank.index(r.name) + 1}")
early_span = max(r.early_acc for r in results.rows) - min(r.early_acc for r in results.rows)
end_span = max(r.test_acc for r in results.rows) - min(r.test_acc for r in results.rows)
widest = max(hi - lo for lo, hi in (r.acc_range for r in results.rows))
n_early, n_pairs = overlapping(results.rows, lambda r: r.early_range)
n_end, _ = overlapping(results.rows, lambda r: r.acc_range)
print(f"spread of the model means: {100 * early_span:.2f} points at step {E}, {100 * end_span:.2f} points at step {S}")
print(f"widest range over seeds of one model at step {S}: {100 * widest:.2f} points")
print(f"pairs of models whose seed ranges overlap: {n_early} of {n_pairs} at step {E}, {n_end} of {n_pairs} at step {S}")
print(f"rank correlation between the step-{E} and step-{S} rankings: {spearman(early_rank, end_rank):+.3f}")
slow = [r.name for r in results.rows if r.early_acc < 0.8]
print(f"below 80% at step {E} (still leaving the start):", ", ".join(slow) or "none")
has_bn = {name: any(isinstance(x, nn.BatchNorm2d) for x in MNIST_MODELS[name]().modules()) for name in RACE}
for bn in (False, True):
    group = [n for n in RACE if has_bn[n] is bn]
    k = sum(n in slow for n in group)
    print(f"  of the {len(group)} nets {'with' if bn else 'without'} batch norm, {k} {'is' if k == 1 else 'are'} on that list")
print("steps until the training loss (mean of 10 steps) first falls below 2.0, per seed:")
for r in results.rows:
    print(f"  {r.name:24s} " + ", ".join(str(run.steps_to_loss(2.0)) for run in r.runs))
rising = [r.name for r in results.rows
          if r.test_acc - sum(run.curve[-2][1] for run in r.runs) / len(r.runs) > 0.01]
print("still gaining more than 1 point in the last 50 steps:", ", ".join(rising) or "none")
last_loss = {r.name: sum(run.loss_curve[-1][1] for run in r.runs) / len(r.runs) for r in results.rows}
print("training loss, mean of the last 10 steps (mean of the seeds), highest first:")
print("  " + ", ".join(f"{n} {v:.2f}" for n, v in sorted(last_loss.items(), key=lambda kv: -kv[1])))
print(f"best at step {E}:", early_rank[0], f"| best at step {S}:", end_rank[0])

# %%
assert end_span < 0.75 * early_span, "the models should be much closer together later in the run"
assert min(r.test_acc for r in results.rows) > min(r.early_acc for r in results.rows)
assert n_end >= 1, "some pairs of models should be indistinguishable over three seeds at the end"
print("later in the run the models are closer together than at step 50, and some pairs cannot be told apart")

# %% [markdown]
# **What the curves and numbers show** (read them in the printout above):
# - **Step 50 mostly measures the start.** Early on, the spread between models is wide: some nets are still leaving
#   their starting plateau (the printout names those below 80% at step 50, and how many steps each needed before its
#   training loss fell below 2.0; the left panel shows the plateau near ln 10). The printout also counts how many of the
#   nets with and without batch normalization are slow starters: batch normalization usually helps a net start fast,
#   but it is not the only factor: InceptionA (MNIST) and the two-block residual net have none and still start fast
#   (AlexNet and VGG have none either, as in their papers, which came before batch normalization). By the last step
#   the spread of the means has shrunk markedly (both printed). The order changed
#   less (the rank correlation): the slow starters are still catching up at the end.
# - **Loss and accuracy are different things.** NiN's training loss stays among the highest (the last line of the
#   printout) while its test accuracy is among the best: its last layer batch-normalizes the ten class scores, which keeps them small early in training, so
#   the softmax stays unsure even when the top score is right.
# - **Later, many models cannot be told apart.** Count the pairs whose ranges over three seeds overlap at the end:
#   for those, this budget does not say which is better. A ranking printed from one seed would look precise and mean
#   little.
# - **Are 100 steps "long enough"?** Not for a final verdict: the printout lists the models still gaining more than a
#   point in the last 50 steps. It is long enough to see the start-up effect begin to fade, not to see where the models end.
#   The longer run stored in section 7 (measured on a GPU and read from a file) shows that.

# %% [markdown]
# ## 5. Accuracy against cost
#
# Each point is a model (the x axes are logarithmic), with its range over seeds as an error bar. Up and to the left is
# better: more accuracy for fewer parameters, or for less training time. Training time is measured on the device
# printed at the top; on a GPU the small models are limited by launching kernels rather than by arithmetic, so the
# time axis can reorder.

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
results.plot("params", ax=axes[0])
results.plot("train_s", ax=axes[1])
fig.tight_layout()
plt.show()

# %% tags=["nbval-ignore-output"]
by_speed = [r.name for r in sorted(results.rows, key=lambda r: -r.images_per_s)]
by_size = [r.name for r in sorted(results.rows, key=lambda r: r.params)]
print(f"most accurate at step {S} first:", ", ".join(end_rank))
print("fastest first:                  ", ", ".join(by_speed))
print("smallest first:                 ", ", ".join(by_size))
throughput = [r.images_per_s * r.mult_adds for r in results.rows]
print(f"mult-adds per second differ {max(throughput) / min(throughput):.1f}x between models on this device: "
      "mult-adds alone do not predict speed (many small layers cost overhead)")

# %% [markdown]
# ## 6. Play: choose the models and the axes
#
# The widget draws the shootout you just ran. Pick what goes on each axis (accuracy early or at the end, parameters,
# mult-adds, speed, time) and which models to show. Ringed points are on the **Pareto front**: no other shown model is
# better on both axes at once. Nothing trains while you play.

# %% tags=["nbval-ignore-output"]
explorer = widgets.shootout_explorer(results, x="mult_adds", y="final_acc")
explorer

# %% [markdown]
# **Questions to answer by playing.**
# 1. Accuracy at the end against mult-adds: which models are on the Pareto front? Switch the y axis to the early
#    accuracy: which models join or leave the front?
# 2. Put parameters on one axis and mult-adds on the other. Which model is far from the others' trend, and why
#    (section 2 has the reason)?
# 3. Speed (images per second) against mult-adds: is the model with the fewest mult-adds also the fastest? Which model
#    is slowest for its mult-adds?

# %% [markdown]
# ## 7. What MNIST cannot show, and a full run stored beside
#
# Most of these papers compared their designs on ImageNet (1.2 million photos, 1,000 classes), where the differences
# are large (NiN's paper used smaller data sets: CIFAR-10/100, SVHN and MNIST; SqueezeNet's measured itself against
# AlexNet's accuracy, not as a competition entry). The four that entered the ILSVRC classification challenge reported
# these top-5 errors on its test set (the competitions' entries, each an ensemble of several networks):

# %%
ilsvrc_top5_error = {  # percent, as reported in each paper for its ILSVRC entry
    "AlexNet (ILSVRC 2012, Krizhevsky et al.)": 15.3,
    "VGG (ILSVRC 2014, Simonyan & Zisserman)": 7.3,
    "GoogLeNet (ILSVRC 2014, Szegedy et al.)": 6.67,
    "ResNet (ILSVRC 2015, He et al.)": 3.57,
}
for entry, err in ilsvrc_top5_error.items():
    print(f"{entry:42s} top-5 error {err:5.2f}%")

# %% [markdown]
# On MNIST the same designs cannot spread out: the digits are centred, small and clean, and even TinyCNN gets most of
# them right. The stored run below is **not computed in this notebook**: it was measured earlier on a GPU with
# `python -m cnnlessons.lessons.architecture_shootout` (longer training on the whole MNIST training set, more than one
# seed per model; the file names the machine and the date). The cell reads it and prints it, and flags models whose parameter count has changed since
# (their stored row belongs to an older version of the model).

# %% tags=["nbval-ignore-output"]
from pathlib import Path

stored = Path("../benchmarks/results/shootout_cuda.md")
stored_acc = {}
if stored.exists():
    lines = stored.read_text().splitlines()
    for line in lines:  # when and where it was measured, and on what budget
        if line.startswith(("Measured", "Budget")):
            print(line)
    header = None
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "model":
            header = cells
        elif header and len(cells) == len(header) and cells[0] in MNIST_MODELS:
            row = dict(zip(header, cells))
            changed = int(row["params"].replace(",", "")) != counts[cells[0]][0]
            acc = row.get("test acc") or row.get("test acc, end")
            stored_acc[cells[0]] = float(acc.split("%")[0])
            print(f"  {cells[0]:24s} {acc:22s}" + ("  (model changed since)" if changed else ""))
    if stored_acc:
        print(f"stored GPU run: {min(stored_acc.values()):.2f}% to {max(stored_acc.values()):.2f}% "
              f"over {len(stored_acc)} models")
else:
    print("no stored full comparison next to this notebook")

# %% [markdown]
# Read the two sources together. This notebook's runs show the ranking shifting as training goes on and many pairs of
# models that three seeds cannot separate; the stored full run shows where the models end on MNIST: all within a
# point or so of each other (ResNet-20's stored row, flagged above, belongs to an older version of that model). Neither says which *design* is better: for that the comparison needs a harder data set
# and each model's own tuned recipe.
#
# ## 8. Common mistake: "the same number of epochs" is not the same budget
#
# Comparisons often fix the number of epochs and let each model keep its favourite batch size. But one epoch at batch
# 32 is 4 times as many optimizer steps as one epoch at batch 128 (and about 16 times as many as at batch 512; the printout gives the exact counts). Here is the *same*
# TinyCNN, one pass over the same 6,400 images, at three batch sizes:

# %% tags=["nbval-ignore-output"]
same_epoch = {}
for bs in (32, 128, 512):
    cl.seed_everything(0)
    model = MNIST_MODELS["TinyCNN"]()
    h = cl.fit(model, (train[0][:6400], train[1][:6400]), test, epochs=1, batch_size=bs, optimizer="adam",
               device=device, live=False, progress=False)
    same_epoch[bs] = (h.steps, h.final_test_acc)
    print(f"batch {bs:3d}: {h.steps:3d} steps, test accuracy {100 * h.final_test_acc:.2f}%")

# %%
steps = [same_epoch[bs][0] for bs in (32, 128, 512)]
assert steps[0] == 4 * steps[1] and steps[1] == 50 and steps[2] in (12, 13)  # 12 with a CUDA graph
assert same_epoch[32][1] > same_epoch[512][1], "more steps should win at this tiny budget"
print("one epoch each: batch 32 (200 steps) beats batch 512 (12-13 steps)")

# %% [markdown]
# The accuracy changes with the batch size alone (one seed here: the large gap to batch 512 is clear, while batch 32
# against 128 would need more seeds to call): a comparison that mixes batch sizes (or epochs at different batch
# sizes) measures the recipe, not the architecture. Fix the steps *and* the batch size, as section 3 does.
#
# ## 9. Exercises
#
# Each check prints "Correct" or "Not yet" with a hint; `lesson.exercise_N.hint()` gives another hint.
#
# **Exercise 1 (predict, then measure).** Feed NiN a 56 x 56 image instead of 28 x 28 (it ends in global average
# pooling, so it accepts any size). By what factor do its mult-adds per image grow? Predict, then measure with
# `cl.trace`. Answer: the ratio, two decimals.

# %%
answer = None  # your answer: a ratio, e.g. 1.23
lesson.exercise_1.check(answer)

# %% [markdown]
# **Exercise 2 (measure).** What fraction of `MNIST_MODELS["AlexNet"]()`'s parameters sit in its fully connected
# (`nn.Linear`) layers, biases included? Answer: a fraction with three decimals (or a percentage with one).

# %%
answer = None  # your answer: a fraction, e.g. 0.123
lesson.exercise_2.check(answer)

# %% [markdown]
# **Exercise 3 (build).** Design a CNN for MNIST with **at most 15,000 parameters** (TinyCNN, the smallest contestant,
# has more) that still learns: input N x 1 x 28 x 28, output N x 10 scores, at least one `nn.Conv2d`. The check trains a
# copy for 300 Adam steps and wants at least 93% on 1,000 test images (a few seconds). Then enter it in the race:
# `lesson.shootout(["mine"], train, test, models={"mine": lambda: MyNet()}, seeds=SEEDS, **budget)`.

# %%
answer = None  # your answer: an nn.Module instance, e.g. MyNet()
lesson.exercise_3.check(answer)

# %% [markdown]
# **Exercise 4 (predict, then measure).** `torch.save(MNIST_MODELS["SqueezeNet"]().state_dict())` writes
# its parameters and its *buffers*: the tensors a layer keeps but does not learn. How many kilobytes of the file
# (at float32, 1 KB = 1,000 bytes) are buffers? Predict from what BatchNorm keeps per channel, then measure with
# `model.buffers()`. Answer: kilobytes with one decimal (within 0.05).

# %%
answer = None  # your answer: kilobytes, e.g. 1.2
lesson.exercise_4.check(answer)

# %% [markdown]
# ## References
#
# - A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional Neural Networks*
#   (AlexNet). NeurIPS 2012. [proceedings](https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html)
# - K. Simonyan, A. Zisserman. *Very Deep Convolutional Networks for Large-Scale Image Recognition* (VGG). ICLR 2015.
#   [arXiv:1409.1556](https://arxiv.org/abs/1409.1556)
# - M. Lin, Q. Chen, S. Yan. *Network In Network*. ICLR 2014. [arXiv:1312.4400](https://arxiv.org/abs/1312.4400)
# - C. Szegedy et al. *Going Deeper with Convolutions* (GoogLeNet). CVPR 2015. [arXiv:1409.4842](https://arxiv.org/abs/1409.4842)
# - F. N. Iandola et al. *SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size*. 2016.
#   [arXiv:1602.07360](https://arxiv.org/abs/1602.07360)
# - K. He, X. Zhang, S. Ren, J. Sun. *Deep Residual Learning for Image Recognition* (ResNet). CVPR 2016.
#   [arXiv:1512.03385](https://arxiv.org/abs/1512.03385)

# %% tags=["nbval-ignore-output"]
print(f"this run: {time.time() - _start:.0f} s wall, {time.process_time():.0f} s CPU in this kernel, on {device}")

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
