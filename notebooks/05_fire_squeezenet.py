# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/05_fire_squeezenet.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/05_fire_squeezenet.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/05_fire_squeezenet.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 05 · SqueezeNet's Fire module: AlexNet-level accuracy with far fewer parameters
#
# **What you will learn**
# - What the SqueezeNet paper claims, and which of its claims a small MNIST experiment can test.
# - How a Fire module works: *squeeze* with a few 1x1 filters, then *expand* with 1x1 and 3x3 filters side by side.
# - SqueezeNet 1.0 and 1.1 against AlexNet: parameters, multiply-adds and size, measured layer by layer.
# - How the squeeze ratio trades accuracy for size, over three seeds; in a widget, what the share of 3x3 filters costs.
# - What bypass (skip) connections around Fire modules do here, with and without BatchNorm, beside the paper's numbers.
#
# **What you need:** lesson 03 (1x1 convolutions) and lesson 04 (parallel branches, concatenated). Skip connections
# get a short introduction here; lesson 06 is about them.
#
# **Time:** a few minutes on a 2-core CPU; the cells that train print how long they took, and the last cell
# prints the whole run's time. `FULL = True` trains five seeds for six times as many steps on all 60,000 digits, tests on
# all 10,000, and adds the runs that the default leaves out for time (much slower).

# %% tags=["nbval-ignore-output"]
import math
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import fire_squeezenet as lesson
from cnnlessons.models import fire_squeezenet as models
from cnnlessons.models.alexnet_tricks import alexnet, alexnet_two_tower
from cnnlessons.widgets import fire_squeezenet as widgets

_start, _cpu_start = time.time(), time.process_time()
device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)
FULL = False  # True: five seeds, 600 steps, all 60,000 training and 10,000 test digits, and more settings

# %% [markdown]
# ## 1. The paper's claim, and what MNIST can test
#
# Iandola et al. (2016) set out to build a small network, not a more accurate one: fewer parameters mean less to send
# between servers when training in parallel, less to download to a car or a phone, and a model that fits in an FPGA's
# on-chip memory. Their headline, from the paper's tables (printed below): **SqueezeNet matches AlexNet's ImageNet
# accuracy with 50x fewer parameters**, and with Deep Compression (Han et al., pruning and quantizing the weights)
# it fits in **under 0.5 MB**.

# %%
# The SqueezeNet paper's Table 2 (ImageNet, single crop): model size and accuracy.
paper = [
    # (model, compression, bits per weight, size in MB, size reduction against AlexNet, top-1 %, top-5 %)
    ("AlexNet", "none", 32, 240, 1, 57.2, 80.3),
    ("SqueezeNet", "none", 32, 4.8, 50, 57.5, 80.3),
    ("SqueezeNet", "Deep Compression", 8, 0.66, 363, 57.5, 80.3),
    ("SqueezeNet", "Deep Compression", 6, 0.47, 510, 57.5, 80.3),
]
print(f"{'model':11s} {'compression':17s} {'bits':>4s} {'size MB':>8s} {'smaller':>8s} {'top-1':>6s} {'top-5':>6s}")
for name, how, bits, mb, factor, top1, top5 in paper:
    print(f"{name:11s} {how:17s} {bits:4d} {mb:8.2f} {factor:7d}x {top1:5.1f}% {top5:5.1f}%")


# %% [markdown]
# So the paper's SqueezeNet is 50x smaller than AlexNet at the same accuracy, and 510x smaller after Deep Compression.
# What this notebook can and cannot check:
#
# - **Counts are exact.** Parameters, sizes and multiply-adds of the real ImageNet networks can be measured here
#   (on PyTorch's meta device, without memory for the weights).
# - **Accuracy on ImageNet is not.** MNIST is a small, easy task: most reasonable networks reach 97-99% on it when trained to the end (our 100-step runs stop short of that), so
#   "as accurate as AlexNet with 50x fewer parameters" cannot be tested with digits.
# - **The design's knobs can be tested in miniature**: does a larger squeeze ratio buy accuracy with shrinking returns,
#   as the paper found, and what do bypass connections do? We train a small SqueezeNet on MNIST from several seeds and
#   compare with the paper's numbers where we can.

# %% [markdown]
# ## 2. The idea: squeeze, then expand
#
# A Fire module has two layers. The **squeeze** layer has `s1x1` filters of size 1x1: it mixes the input channels and
# keeps only a few. The **expand** layer runs `e1x1` filters of size 1x1 and `e3x3` filters of size 3x3 on the squeezed
# tensor, side by side, and concatenates their outputs along the channels. With `s1x1 < e1x1 + e3x3`, the expensive
# 3x3 filters see only a few input channels.
#
# ```
# x (C channels) -> squeeze 1x1 (s1x1) -> ReLU -+-> expand 1x1 (e1x1) -> ReLU -+-> concat: e1x1 + e3x3 channels
#                                               +-> expand 3x3 (e3x3) -> ReLU -+
# ```
#
# Here it is, small enough to read. The package's `models.Fire` uses the same layer names, so the same weights load
# into it and give the same output.

# %%
class MyFire(nn.Module):
    def __init__(self, inplanes, squeeze, e1x1, e3x3):
        super().__init__()
        self.squeeze = nn.Conv2d(inplanes, squeeze, kernel_size=1)
        self.expand1x1 = nn.Conv2d(squeeze, e1x1, kernel_size=1)
        self.expand3x3 = nn.Conv2d(squeeze, e3x3, kernel_size=3, padding=1)

    def forward(self, x):
        s = torch.relu(self.squeeze(x))                     # N x squeeze x H x W
        e1 = torch.relu(self.expand1x1(s))                  # N x e1x1 x H x W
        e3 = torch.relu(self.expand3x3(s))                  # N x e3x3 x H x W
        return torch.cat([e1, e3], dim=1)                   # N x (e1x1 + e3x3) x H x W


mine = MyFire(96, 6, 5, 4)
fire = models.Fire(96, 6, 5, 4)
fire.load_state_dict(mine.state_dict())
x = torch.randn(1, 96, 56, 56)
print("output shape:", tuple(mine(x).shape))
print("same output as the package's Fire:", torch.allclose(mine(x), fire(x)))


# %% [markdown]
# ### Counting: weights against parameters
#
# Take `Fire(96, 6, 5, 4)`: 96 input channels, s1x1 = 6, e1x1 = 5, e3x3 = 4, so 9 output channels. A plain 3x3
# convolution with the same 9 outputs reads all 96 channels with every filter. "Weights" below means kernel entries;
# "parameters" adds one bias per filter. Say which one you count: both are common, and mixing them up is a classic
# source of numbers that do not match.

# %%
def conv_weights(module):
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Conv2d))


for name, conv in [("squeeze", fire.squeeze), ("expand1x1", fire.expand1x1), ("expand3x3", fire.expand3x3)]:
    print(f"{name:10s} kernel {tuple(conv.weight.shape)}: {conv.weight.numel():4d} weights")
plain = nn.Conv2d(96, 9, kernel_size=3)
print(f"Fire(96, 6, 5, 4): {conv_weights(fire)} weights, {cl.trace(fire, (1, 96, 8, 8)).total_params} parameters")
print(f"plain 3x3 conv 96 -> 9: {conv_weights(plain):,} weights, {conv_weights(plain) / conv_weights(fire):.1f}x more")

# %% [markdown]
# The size of the image changes no weight count, but it multiplies the work: every weight is used once per output
# position. The tracer counts both, per layer, and marks where the two expand branches are concatenated:

# %%
cl.trace(fire, (1, 96, 224, 224))

# %% [markdown]
# ## 3. Three design strategies, each with a number
#
# The paper builds SqueezeNet on three strategies:
# 1. **Use 1x1 filters instead of 3x3**: a 1x1 filter has 9x fewer weights.
# 2. **Give the 3x3 filters fewer input channels**: that is the squeeze layer's job.
# 3. **Downsample late**, so that many layers work on large feature maps (the paper's bet for accuracy; it costs
#    computation, not parameters).

# %%
w3 = nn.Conv2d(64, 64, 3, bias=False).weight.numel()
w1 = nn.Conv2d(64, 64, 1, bias=False).weight.numel()
print(f"1. 64 -> 64 channels: 3x3 kernel {w3:,} weights, 1x1 kernel {w1:,} ({w3 // w1}x fewer)")

f = models.Fire(128, 16, 64, 64)
unsqueezed = nn.Conv2d(128, 64, 3, bias=False).weight.numel()
print(f"2. Fire(128, 16, 64, 64): its 3x3 filters read 16 channels, {f.expand3x3.weight.numel():,} weights; "
      f"reading all 128 would take {unsqueezed:,} ({unsqueezed // f.expand3x3.weight.numel()}x more)")


def fire_map_sizes(model, size=224):
    # The side of each Fire module's output map, recorded by forward hooks on the meta device.
    sizes = []
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
             for m in model.modules() if isinstance(m, models.Fire)]
    model(torch.empty(1, 3, size, size, device="meta"))
    for h in hooks:
        h.remove()
    return sizes


with torch.device("meta"):
    v10, v11 = models.squeezenet1_0(), models.squeezenet1_1()
print("3. feature-map side of the 8 Fire modules at 224x224:")
print("   SqueezeNet 1.0:", fire_map_sizes(v10))
print("   SqueezeNet 1.1:", fire_map_sizes(v11))

# %% [markdown]
# ## 4. SqueezeNet 1.0 and 1.1 against AlexNet
#
# Which AlexNet? The paper compares with the original of 2012 (Krizhevsky et al.), which was split into two towers,
# one per GPU (`alexnet_two_tower`, 96-256-384-384-256 filters); torchvision's `alexnet`, which lesson 01 uses, is the
# later single-tower variant (64-192-384-256-256 filters). Both are traced below at 224x224 on the meta device, with
# SqueezeNet 1.0 (the paper's) and 1.1 (released by the authors afterwards). Size = parameters x 4 bytes (float32) / 10^6.

# %%
with torch.device("meta"):
    nets = {
        "AlexNet (2012, two towers)": alexnet_two_tower(),
        "AlexNet (torchvision)": alexnet(),
        "SqueezeNet 1.0": models.squeezenet1_0(),
        "SqueezeNet 1.1": models.squeezenet1_1(),
    }
rows = {}
for name, net in nets.items():
    t = cl.trace(net, (1, 3, 224, 224))
    rows[name] = (t.total_params, t.total_mult_adds)
print(f"{'model':27s} {'parameters':>12s} {'mult-adds':>10s} {'MB (fp32)':>10s}")
for name, (p, m) in rows.items():
    print(f"{name:27s} {p:12,d} {m / 1e6:9.0f}M {p * 4 / 1e6:10.2f}")
p_alex, m_alex = rows["AlexNet (2012, two towers)"]
for v in ("SqueezeNet 1.0", "SqueezeNet 1.1"):
    p, m = rows[v]
    print(f"{v}: {p_alex / p:.1f}x fewer parameters than the 2012 AlexNet, {m / m_alex:.2f}x its multiply-adds")
print(f"SqueezeNet 1.1 needs {rows['SqueezeNet 1.0'][1] / rows['SqueezeNet 1.1'][1]:.1f}x fewer multiply-adds than 1.0")

# %% [markdown]
# **Fewer parameters is not less work.** SqueezeNet 1.0 has about 49x fewer parameters than AlexNet but does *more*
# multiply-adds than either AlexNet, because its Fire modules run on large feature maps (strategy 3: 54x54 and 27x27
# in section 3). SqueezeNet 1.1 changes two things and keeps the Fire modules: a 3x3 first convolution with 64 filters
# instead of 7x7 with 96, and max-pooling after fire3 and fire5 instead of fire4 and fire8, so more of them work on
# smaller maps (the paper numbers the Fire modules fire2 to fire9, after conv1: in the map sizes of section 3 the pools
# come after the 2nd and 4th of the eight in 1.1, after the 3rd and 7th in 1.0). That cuts the multiply-adds by the factor printed above (the authors report the same ImageNet accuracy
# for 1.1), to about half of AlexNet's. The parameter count hardly moves, because a convolution's weights do not depend
# on the size of its input. (Sizes here are 10^6 bytes; the paper's 4.8 MB for SqueezeNet is the same count in
# units of 2^20 bytes.)

# %%
assert 45 < p_alex / rows["SqueezeNet 1.0"][0] < 52
assert rows["SqueezeNet 1.0"][1] > max(m for name, (p, m) in rows.items() if name.startswith("AlexNet"))
assert 0.4 < rows["SqueezeNet 1.1"][1] / m_alex < 0.6
assert 2.2 < rows["SqueezeNet 1.0"][1] / rows["SqueezeNet 1.1"][1] < 2.5

# %% [markdown]
# ## 5. A SqueezeNet for MNIST
#
# `models.mnist_squeezenet` follows the same plan at 28x28: a 3x3 first convolution with 32 filters and stride 2
# (28 -> 14, like SqueezeNet 1.1's), Fire modules with 32, 32 expand filters at 14x14, a max-pool, then 64, 64, 96, 96
# at 7x7 (late downsampling); a 1x1 convolution to the 10 classes and global average pooling, no fully connected layer.
# Two knobs set every Fire module, as in the paper: the **squeeze ratio** SR = s1x1 / (e1x1 + e3x3), and the **share
# of 3x3 filters** among the expand filters. Unlike the paper, it has BatchNorm on the expand outputs (and the first
# convolution), which lets it train well in 100 steps; section 7 removes it.

# %%
cl.trace(models.mnist_squeezenet(squeeze_ratio=0.5, pct_3x3=0.5), (1, 1, 28, 28))

# %% [markdown]
# ## 6. The squeeze ratio and the share of 3x3 filters
#
# **The paper's finding** (its section 5, on ImageNet, with SqueezeNet 1.0's layout): raising SR from 0.125 to 0.75
# raised top-5 accuracy from 80.3% (4.8 MB) to 86.0% (19 MB), and SR 1.0 added size but no accuracy. With SR fixed at
# 0.5, raising the share of 3x3 filters stopped paying at half: top-5 accuracy plateaued at 85.6%, and more 3x3
# filters only made the model larger.

# %%
paper_sr = {0.125: (80.3, 4.8), 0.75: (86.0, 19)}  # squeeze ratio: (top-5 %, size MB), the paper's section 5
for sr, (top5, mb) in paper_sr.items():
    print(f"paper, SR {sr}: top-5 {top5}% at {mb} MB")
print("paper, SR 0.5, 3x3 share of 50% and above: top-5 plateaus at 85.6%")

# %% [markdown]
# **Our miniature version** varies one knob, as the paper did: SR in {1/8, 1/4, 1/2, 1} with half the expand filters
# 3x3. Each setting trains from three seeds (0, 1, 2) for `STEPS` = 100 steps of Adam with a one-cycle learning-rate
# schedule (peak `LR`, batch `BATCH`, set below), on 10,000 training digits, and is tested once at the end on 2,000 test
# digits (both subsets stratified by class). The second knob, the share of 3x3 filters (1/4 and 3/4 at SR 1/2), trains
# only with `FULL = True`: two more settings would take the notebook past its time budget; the widget below shows what
# that knob costs. The schedule ends every run at a small learning rate, so a run's final accuracy does not hinge on
# where one large last step happened to land.

# %%
x_train, y_train = cl.load_mnist("train", subset=None if FULL else 10_000)
x_test, y_test = cl.load_mnist("test", subset=None if FULL else 2_000)
SEEDS = [0, 1, 2, 3, 4] if FULL else [0, 1, 2]
STEPS = 600 if FULL else 100
LR, BATCH = 3e-3, 64  # Adam, one-cycle schedule peaking at LR
SETTINGS = [{"squeeze_ratio": sr, "pct_3x3": 0.5} for sr in (0.125, 0.25, 0.5, 1.0)]
if FULL:  # the second knob: the share of 3x3 filters, at SR 1/2
    SETTINGS += [{"squeeze_ratio": 0.5, "pct_3x3": pct} for pct in (0.25, 0.75)]
print(f"{len(SETTINGS)} settings x {len(SEEDS)} seeds, {STEPS} steps each, batch {BATCH}, peak lr {LR:g}; "
      f"{len(x_train):,} training and {len(x_test):,} test digits")

# %% tags=["nbval-ignore-output"]
t0 = time.time()
grid = lesson.run_grid(SETTINGS, (x_train, y_train), (x_test, y_test), seeds=SEEDS, steps=STEPS, lr=LR,
                      batch_size=BATCH, device=device)
sweep_seconds = time.time() - t0
print(f"{len(SETTINGS) * len(SEEDS)} runs in {sweep_seconds:.0f} s")

# %% tags=["nbval-ignore-output"]
sr_rows = [r for r in grid if r["pct_3x3"] == 0.5]
params = [r["params"] for r in sr_rows]
means = [sum(r["acc"]) / len(r["acc"]) for r in sr_rows]
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for i, seed in enumerate(SEEDS):
    ax.plot(params, [r["acc"][i] for r in sr_rows], "o", color="C0", alpha=0.35, label="one seed" if i == 0 else None)
ax.plot(params, means, "-o", color="C0", label=f"mean of {len(SEEDS)} seeds")
for r, m in zip(sr_rows, means):
    ax.annotate(f"SR {r['squeeze_ratio']}", (r["params"], m), textcoords="offset points", xytext=(6, -12))
ax.set_xscale("log")
ax.set_xlabel("parameters (log scale)")
ax.set_ylabel("test accuracy (%)")
ax.set_title("MNIST SqueezeNet: squeeze ratio against accuracy (3x3 share 1/2)")
ax.legend(loc="lower right")
plt.show()
for r, m in zip(sr_rows, means):
    print(f"SR {r['squeeze_ratio']:<5}: {r['params']:7,d} parameters, test accuracy mean {m:.2f}% "
          f"(seeds from {min(r['acc']):.2f} to {max(r['acc']):.2f})")
for i in range(1, len(sr_rows)):
    print(f"SR {sr_rows[i - 1]['squeeze_ratio']} -> {sr_rows[i]['squeeze_ratio']}: {means[i] - means[i - 1]:+.2f} points "
          f"for {params[i] - params[i - 1]:+,d} parameters")

# %%
assert params == sorted(params)
assert means[-1] > means[0] + 1.0, "the largest squeeze ratio beats the smallest on average"
assert min(sr_rows[-1]["acc"]) > max(sr_rows[0]["acc"]) - 0.5, "and in nearly every seed"

# %% [markdown]
# **Against the paper.** The direction is the same: more squeeze filters, more accuracy, and each doubling of the
# parameters buys less than the one before (compare the gains printed above; that holds for this run's seeds). The gap between the smallest and the
# largest SR is larger than the spread between seeds, so that part is not noise; the last step (SR 1/2 to 1) gains
# about as much as the seeds spread, so read the trend, not a single pair. The scale is different: these are
# 100-step runs on MNIST, in which the larger nets may simply learn faster (the small ones are further from done), so
# these numbers say nothing about ImageNet, where the paper's top-5 accuracy plateaued at SR 0.75.
#
# ### Play: both knobs, with what they cost
#
# The widget shows the sweep you just ran: pick a squeeze ratio and a share of 3x3 filters. It counts, live, what one
# Fire module (the last one, 96 channels in) and the whole net cost at that setting, and, where the notebook trained
# that setting, its test accuracy over the seeds, ringed on the chart. Settings the notebook did not train (every 3x3
# share but 1/2, unless `FULL = True`) show their cost and a message.
#
# *Questions:* which step of the squeeze ratio buys the most accuracy per added parameter? Then, at SR 1/2, move the
# 3x3 share from 1/4 to 3/4: how many parameters does that add, against the step from SR 1/2 to 1? (Which knob is the
# cheaper one to turn? With `FULL = True` the widget also shows what the 3x3 share buys in accuracy, so you can check
# it against the paper's plateau.)

# %% tags=["nbval-ignore-output"]
explorer = widgets.squeeze_explorer(grid)
explorer

# %% [markdown]
# ## 7. Bypass connections: a first look at skip connections
#
# A **skip connection** adds a block's input to its output: y = F(x) + x. The block then only has to learn what to
# *add* to its input, and the input (and, going backwards, the gradient) has a path around the block's layers.
# Lesson 06 shows why that matters for deep networks; here is what SqueezeNet's authors did with it, borrowing from the
# ResNet paper that had just appeared.
#
# The paper puts bypasses around Fire modules in two ways. A **simple bypass** adds the input itself, which needs as many
# output channels as input channels, so only some modules get one. A **complex bypass** adds a 1x1 convolution of the
# input, which works everywhere but adds parameters. In `models.mnist_squeezenet(bypass="simple")` the modules whose
# channels match get the identity; `"complex"` also puts 1x1 convolutions on the others:

# %%
counts = {}
for bypass in ("none", "simple", "complex"):
    m = models.mnist_squeezenet(squeeze_ratio=0.5, bypass=bypass)
    counts[bypass] = sum(p.numel() for p in m.parameters())
    kinds = [f.bypass for f in m.modules() if isinstance(f, models.Fire)]
    print(f"{bypass:8s} {counts[bypass]:6,d} parameters; per Fire module: {kinds}")
extra = counts["complex"] - counts["none"]
print(f"the complex bypass adds {extra:,} parameters ({100 * extra / counts['none']:.1f}% more): "
      f"1x1 convolutions 32 -> 64 ({32 * 64 + 64:,}) and 64 -> 96 ({64 * 96 + 96:,})")

# %% [markdown]
# **The paper's result** (Table 3, ImageNet, one number each, no spread): the simple bypass raised top-1 accuracy by almost three
# points, the complex bypass by less, although it has more parameters:

# %%
paper_bypass = {"none": (57.5, 80.3, 4.8), "simple": (60.4, 82.5, 4.8), "complex": (58.8, 82.0, 7.7)}
for k, (top1, top5, mb) in paper_bypass.items():
    gain = top1 - paper_bypass["none"][0]
    print(f"paper, bypass {k:8s}: top-1 {top1}% ({gain:+.1f} points), top-5 {top5}%, {mb} MB")
print(f"paper, simple minus complex bypass: {paper_bypass['simple'][0] - paper_bypass['complex'][0]:.1f} points of top-1")

# %% [markdown]
# **Our test.** First, with BatchNorm: the simple bypass from three seeds, trained exactly like the sweep, against
# the plain stack (the sweep's SR 1/2 runs). Then all three variants **without BatchNorm**, with PyTorch's default
# initialization, closer to the paper's SqueezeNet, which had none. (The complex bypass with BatchNorm trains only with
# `FULL = True`, for time.)

# %% tags=["nbval-ignore-output"]
t0 = time.time()
with_bn = {"none": next(r for r in grid if r["squeeze_ratio"] == 0.5 and r["pct_3x3"] == 0.5)}
for bypass in ("simple", "complex") if FULL else ("simple",):
    with_bn[bypass] = lesson.run_grid([{"squeeze_ratio": 0.5, "bypass": bypass}], (x_train, y_train), (x_test, y_test),
                                      seeds=SEEDS, steps=STEPS, lr=LR, batch_size=BATCH,
                                      device=device)[0]
without_bn = {}
for bypass in ("none", "simple", "complex"):
    without_bn[bypass] = lesson.run_grid([{"squeeze_ratio": 0.5, "bypass": bypass, "batch_norm": False}],
                                         (x_train, y_train), (x_test, y_test), seeds=SEEDS, steps=STEPS,
                                         lr=LR, batch_size=BATCH, device=device)[0]
bypass_seconds = time.time() - t0
print(f"{(len(with_bn) - 1 + len(without_bn)) * len(SEEDS)} runs in {bypass_seconds:.0f} s")

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for ax, results, title in ((axes[0], with_bn, "with BatchNorm"), (axes[1], without_bn, "without BatchNorm")):
    for k, bypass in enumerate(("none", "simple", "complex")):
        if bypass not in results:  # the complex bypass with BatchNorm: FULL = True only
            continue
        accs = results[bypass]["acc"]
        ax.plot([k] * len(accs), accs, "o", color=f"C{k}", alpha=0.6, label="one seed" if k == 0 else None)
        ax.plot([k - 0.2, k + 0.2], [sum(accs) / len(accs)] * 2, color="k", label="mean" if k == 0 else None)
    ax.set_xticks([0, 1, 2], ["none", "simple", "complex"])
    ax.set_xlabel("bypass")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"MNIST SqueezeNet (SR 1/2) {title}")
    ax.legend(loc="best")
axes[1].axhline(10, color="grey", linestyle=":")
plt.show()
print(f"{'bypass':8s} {'with BatchNorm':>24s} {'without BatchNorm':>26s}   (test accuracy per seed, %)")
for bypass in ("none", "simple", "complex"):
    a = " ".join(f"{v:6.2f}" for v in with_bn[bypass]["acc"]) if bypass in with_bn else "(FULL = True only)"
    b = " ".join(f"{v:6.2f}" for v in without_bn[bypass]["acc"])
    print(f"{bypass:8s} {a:>24s} {b:>26s}")


# %%
def mean(xs):
    return sum(xs) / len(xs)


spread_bn = max(max(r["acc"]) - min(r["acc"]) for r in with_bn.values())
assert all(min(r["acc"]) > 90 for r in with_bn.values()), "with BatchNorm every variant trains"
assert abs(mean(with_bn["simple"]["acc"]) - mean(with_bn["none"]["acc"])) < max(1.0, spread_bn)
assert max(without_bn["none"]["acc"]) < 20, "without BatchNorm the plain stack stays near chance"
for b in ("simple", "complex"):  # every bypass run ends above every plain run, by a wide margin on average
    assert min(without_bn[b]["acc"]) > max(without_bn["none"]["acc"]), b
    assert mean(without_bn[b]["acc"]) > mean(without_bn["none"]["acc"]) + 10, b
print("with BatchNorm every variant trains; without it, only the nets with a bypass leave chance")

# %% [markdown]
# **What the numbers show.** With BatchNorm, the simple bypass ends within the spread between seeds (compare the means
# in the chart; the checks above test that the gap between the means is below one point or the wider of the two
# variants' ranges over seeds, whichever is larger): no measurable gain at this
# scale. Without BatchNorm, the plain stack of Fire modules stays near chance (10%) in these 100 steps, while both bypass
# variants learn: slowly, but every bypass run ends above every plain run, the complex one furthest in these runs. In our
# simple variant the two Fire modules that change the channel count have no bypass, so the signal still has to cross
# them; the complex variant has a path around every module. Here the skip connections are what makes the net train at
# all: the effect lesson 06 studies in deep plain networks.
#
# **Why this differs from the paper**, which saw +2.9 points of top-1 accuracy from the simple bypass and +1.3 from the
# complex one:
# - *BatchNorm.* The paper's SqueezeNet had none. With BatchNorm our plain stack already trains well, so there is little
#   left for the bypass to fix; without it we see a large effect, but on trainability, not on the last points of accuracy.
# - *Scale and task.* Eight Fire modules on ImageNet for many epochs against six on MNIST for 100 steps; MNIST leaves
#   about five points of error after 100 steps, and differences of a point or so are within the seed spread here.
# - *One number per variant.* The paper reports a single accuracy for each, without a spread, so its 1.6-point gap
#   between simple and complex bypass may be partly run-to-run noise. The complex bypass also changes what the
#   bypassed path computes (a learned projection rather than the identity), which the authors found interesting but
#   did not explain.

# %% [markdown]
# ## 8. Common mistakes
#
# **Leaving out the final convolution's special initialization.** SqueezeNet ends with a 1x1 convolution to the
# classes, a ReLU and an average. torchvision, following the paper's released model, draws that layer's weights from
# normal(0, 0.01), while the other layers get Kaiming weights. With Kaiming weights there too, the class scores start
# large and uneven, and the first loss is well above ln(1000), the loss of a uniform guess:

# %% tags=["nbval-ignore-output"]
images = torch.randn(8, 3, 96, 96)
labels = torch.randint(0, 1000, (8,))
first_loss = {}
for special in (True, False):
    torch.manual_seed(0)
    net = models.squeezenet1_1().eval()
    if not special:
        nn.init.kaiming_uniform_(net.classifier[1].weight)
    with torch.no_grad():
        scores = net(images)
    first_loss[special] = nn.functional.cross_entropy(scores, labels).item()
    print(f"final conv {'normal(0, 0.01)' if special else 'Kaiming':16s}: score std {scores.std():.3f}, "
          f"first loss {first_loss[special]:.2f}")
print(f"uniform guess: ln(1000) = {math.log(1000):.2f}")

# %%
assert abs(first_loss[True] - math.log(1000)) < 0.1
assert first_loss[False] > first_loss[True] + 0.5

# %% [markdown]
# **Code that fails on a missing import.** A SqueezeNet class that calls `init.normal_(...)` after importing only
# `torch.nn as nn` cannot even be built: `init` is a submodule that has to be imported by name. The mistake in three
# lines, then the fix:

# %%
snippet = '''
import torch.nn as nn
final_conv = nn.Conv2d(512, 1000, kernel_size=1)
init.normal_(final_conv.weight, mean=0.0, std=0.01)
'''
try:
    exec(snippet, {})
except NameError as err:
    print("NameError:", err)
exec("from torch.nn import init" + snippet, {})
print("with `from torch.nn import init` (or nn.init.normal_) it runs")


# %% [markdown]
# **Printing inside `forward`.** Printing shapes in a module's `forward` is a quick way to debug, and a flood of output
# once it trains: every step prints, for every Fire module. Three training steps of a net with two such modules:

# %%
class ChattyFire(models.Fire):
    def forward(self, x):
        out = super().forward(x)
        print("Fire output", tuple(out.shape))
        return out


chatty = nn.Sequential(ChattyFire(1, 4, 8, 8), ChattyFire(16, 4, 8, 8), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                       nn.Linear(16, 10))
opt = torch.optim.SGD(chatty.parameters(), lr=0.1)
for step in range(3):
    loss = nn.functional.cross_entropy(chatty(x_train[:8]), y_train[:8])
    opt.zero_grad()
    loss.backward()
    opt.step()

# %% [markdown]
# The fix: no prints in `forward`. To see the shapes, trace the model once (`cl.trace`), or register a forward hook
# while debugging and remove it after.

# %%
quiet = nn.Sequential(models.Fire(1, 4, 8, 8), models.Fire(16, 4, 8, 8), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 10))
cl.trace(quiet, (8, 1, 28, 28))

# %% [markdown]
# ## 9. Exercises
#
# Write your answer in place of `None` and run the cell; the check says whether it is right and, if not, what to look
# at. `lesson.exercise_1.hint()` (and so on) shows a hint, one more each time you call it.
#
# **Exercise 1 (predict, then count).** How many weights, biases left out, has `models.Fire(128, 16, 64, 64)`,
# SqueezeNet 1.0's fire3 (its second Fire module: the paper numbers them from fire2)? Count by hand first. Answer: a whole number.

# %%
answer = None  # your answer: a whole number
lesson.exercise_1.check(answer)

# %% [markdown]
# **Exercise 2 (build).** Write your own Fire module class, without looking back at `MyFire`, and give an instance
# with 96 input channels, 16 squeeze filters and 64 + 64 expand filters (`YourFire(96, 16, 64, 64)`). The check feeds it
# a 2 x 96 x 14 x 14 tensor, copies the package's weights into it, and compares the outputs. Biases may be on or off.
# Answer: an `nn.Module` instance.

# %%
answer = None  # your answer: an nn.Module instance, e.g. YourFire(96, 16, 64, 64)
lesson.exercise_2.check(answer)

# %% [markdown]
# **Exercise 3 (build).** Put a simple bypass around `Fire(128, 16, 64, 64)`: a module whose output is the Fire
# module's output plus its input. (Why can this Fire module have a simple bypass, and `Fire(96, 16, 64, 64)` not?)
# Answer: an `nn.Module` instance taking 128 channels.

# %%
answer = None  # your answer: an nn.Module instance, e.g. YourFireBypass()
lesson.exercise_3.check(answer)

# %% [markdown]
# **Exercise 4 (predict).** In SqueezeNet 1.0, four Fire modules change the number of channels: Fire2 (96 -> 128),
# Fire4 (128 -> 256), Fire6 (256 -> 384) and Fire8 (384 -> 512). The paper's complex bypass puts a 1x1 convolution
# (with biases) on the bypass of exactly these four. How many parameters do those four convolutions add? Then compare
# with SqueezeNet 1.0's parameter count from section 4. Answer: a whole number.

# %%
answer = None  # your answer: a whole number
lesson.exercise_4.check(answer)

# %% [markdown]
# **Exercise 5 (predict, then measure).** What share of SqueezeNet 1.1's parameters sits in its very last layer,
# conv10, the 1x1 convolution from 512 channels to the 1,000 classes (weights and biases)? Guess first, then measure
# with `models.squeezenet1_1()` (conv10 is `net.classifier[1]`). Answer: a fraction with two decimals (0.12 or 12%).

# %%
answer = None  # your answer: a fraction, e.g. 0.12
lesson.exercise_5.check(answer)

# %% [markdown]
# ## References
#
# - F. N. Iandola, S. Han, M. W. Moskewicz, K. Ashraf, W. J. Dally, K. Keutzer. *SqueezeNet: AlexNet-level accuracy with
#   50x fewer parameters and <0.5MB model size.* 2016. [arXiv:1602.07360](https://arxiv.org/abs/1602.07360)
# - S. Han, H. Mao, W. J. Dally. *Deep Compression: Compressing Deep Neural Networks with Pruning, Trained Quantization
#   and Huffman Coding.* ICLR 2016. [arXiv:1510.00149](https://arxiv.org/abs/1510.00149)
# - A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional Neural Networks.*
#   NeurIPS 2012. [proceedings](https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html)
# - A. Krizhevsky. *One weird trick for parallelizing convolutional neural networks* (the single-tower AlexNet).
#   2014. [arXiv:1404.5997](https://arxiv.org/abs/1404.5997)
# - K. He, X. Zhang, S. Ren, J. Sun. *Deep Residual Learning for Image Recognition.* CVPR 2016.
#   [arXiv:1512.03385](https://arxiv.org/abs/1512.03385)
# - S. Ioffe, C. Szegedy. *Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
#   Shift.* ICML 2015. [arXiv:1502.03167](https://arxiv.org/abs/1502.03167)
# - The SqueezeNet 1.1 release notes: [github.com/forresti/SqueezeNet](https://github.com/forresti/SqueezeNet)

# %% tags=["nbval-ignore-output"]
print(f"this run: {time.time() - _start:.0f} s wall, {time.process_time() - _cpu_start:.0f} s CPU on {device} (squeeze sweep {sweep_seconds:.0f} s, "
      f"bypass runs {bypass_seconds:.0f} s)")

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
