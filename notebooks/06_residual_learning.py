# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/06_residual_learning.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/06_residual_learning.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/06_residual_learning.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 06 · Residual learning: why shortcuts let a network go deep
#
# **What you will learn**
# - The residual block, y = ReLU(F(x) + x), and the ResNet paper's three ways (options A, B and C) to build the
#   shortcut where a stage changes the shape.
# - Degradation: a deeper *plain* net ends with a *higher training loss* than a shallower one, while its residual twin,
#   with exactly the same parameters, does not (measured over three seeds).
# - Gradient norms at initialization: without BatchNorm they vanish toward the input; with BatchNorm they *grow*
#   toward it in a deep plain net; shortcuts keep them within a small factor. Why "vanishing gradients" is not the
#   explanation for the degradation of nets with BatchNorm.
# - BasicBlock against Bottleneck, ResNet-18/34/50 counted, and the Inception-ResNet block.
# - Two common mistakes that stop a residual net from running, and their fixes.
#
# **What you need:** lesson 03 (1x1 convolutions), lesson 04 (branches) and the first look at skip connections in
# lesson 05; BatchNorm as used in the earlier lessons.
#
# **Time:** about two minutes on a quiet 2-core CPU; the training cell prints how long it took, and the last cell
# prints the whole run's time. `FULL = True` adds depth 44, five seeds and longer training (much slower).

# %% tags=["nbval-ignore-output"]
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import residual as lesson
from cnnlessons.models import residual as models
from cnnlessons.widgets import residual as widgets

_start, _cpu_start = time.time(), time.process_time()
device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)
FULL = False  # True: depths 8-44, five seeds, 400 steps, all 60,000 training digits

# %% [markdown]
# ## 1. The paper's claim, and what MNIST can test
#
# He et al. (2015) trained deeper and deeper *plain* networks (convolutions stacked, with BatchNorm) and found that,
# past some depth, the deeper net had a higher **training** error than the shallower one: not overfitting, since it fit
# its own training data worse, but an optimization difficulty. They called it **degradation**. A deeper net could in
# principle copy the shallower one and set its extra layers to the identity, so the solver was failing to find
# solutions that exist. Their fix: let every pair of layers learn a *residual* F(x) and add the input back,
# y = F(x) + x. Their tables, printed below: on ImageNet the 34-layer plain net has a higher validation error than the 18-layer one, while
# the 34-layer ResNet is better than the 18-layer ResNet; on CIFAR-10 the residual nets' test error keeps falling from
# 20 to 110 layers.

# %%
# He et al. 2015: Table 2 (ImageNet validation, top-1 error %, 10-crop) and Table 6 (CIFAR-10 test error %).
imagenet = {("plain", 18): 27.94, ("plain", 34): 28.54, ("ResNet", 18): 27.88, ("ResNet", 34): 25.03}
cifar = {20: 8.75, 32: 7.51, 44: 7.17, 56: 6.97, 110: 6.43}  # 110: the best of 5 runs
for (kind, depth), err in imagenet.items():
    print(f"ImageNet, {kind:6s} {depth} layers: top-1 error {err:.2f}%")
print("CIFAR-10, ResNet test error: " + ", ".join(f"{d} layers {e}%" for d, e in cifar.items()))
print("(110 layers: the best of 5 runs; their mean was 6.61%, still below 56 layers' 6.97%)")


# %% [markdown]
# What MNIST can test here: **degradation itself**, measured as the training loss of plain and residual twins of
# increasing depth (equal parameters, same data, same steps, several seeds), and **the gradients at initialization**,
# which the paper discusses. What it cannot: ImageNet error rates, or CIFAR's 110 layers within a two-minute lesson.
# Our nets follow the paper's CIFAR-10 design (section 4), trained for only 120 steps (400 with `FULL = True`), so only the training
# loss is compared: the paper's claim is about fitting the training set, and the test accuracy of such short runs
# would mostly measure how fast each net starts.

# %% [markdown]
# ## 2. The idea: learn the change, not the whole mapping
#
# A plain block computes y = ReLU(F(x)). A residual block computes **y = ReLU(F(x) + x)**: its layers only learn what to
# *add* to their input. If the best a block can do is nothing, F has to go to zero, which is easy (for example, its last
# BatchNorm's scale at zero); a plain block would have to learn the identity through two convolutions and ReLUs.
#
# ```
# x ──> conv3x3-BN-ReLU ──> conv3x3-BN ──(+)──> ReLU ──> y
#  └──────────────── identity ─────────────┘
# ```
#
# Written out with torchvision's layer names, so its weights load into the package's `BasicBlock`:

# %%
class MyBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        f = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))  # F(x): N x C x H x W
        return torch.relu(f + x)                                      # add the input back, then ReLU


mine, block = MyBlock(16).eval(), models.BasicBlock(16, 16).eval()
block.load_state_dict(mine.state_dict())
x = torch.randn(2, 16, 14, 14)
print("same output as models.BasicBlock:", torch.allclose(mine(x), block(x)))
nn.init.zeros_(mine.bn2.weight)  # F(x) = 0 ...
print("with F = 0 the block passes ReLU(x) through:", torch.allclose(mine(x), torch.relu(x)))

# %% [markdown]
# ## 3. When the shape changes: options A, B and C
#
# At the start of a stage the block halves the feature map (stride 2) and doubles the channels, so x and F(x) cannot
# be added as they are:

# %%
x = torch.randn(1, 16, 14, 14)
layers = models.CifarBlock(16, 32, stride=2, residual=False)  # the block's layers, no shortcut
print("x:", tuple(x.shape), "  F(x):", tuple(layers(x).shape))
try:
    layers(x) + x
except RuntimeError as err:
    print("F(x) + x:", str(err).splitlines()[0])

# %% [markdown]
# The paper compares three shortcuts (its Table 3, ResNet-34 on ImageNet):
# - **Option A**: the identity, with the input subsampled (every second row and column) and the extra channels
#   filled with zeros. No parameters.
# - **Option B**: a 1x1 convolution with stride 2 (and BatchNorm) *only where the shape changes*; identity elsewhere.
#   torchvision's ResNets, and `models.resnet18/34/50`, use it.
# - **Option C**: a 1x1 projection on *every* shortcut.
#
# B was slightly better than A (the paper suggests the zero-padded channels of A get no residual learning), and C
# marginally better than B (which it puts down to the extra parameters of C's many projections). The differences are
# small, so the paper concludes that projections are not essential for fixing degradation and leaves C out of its
# deeper nets to save memory, time and size. Its CIFAR-10 nets use option A.

# %%
paper_options = {"A": 25.03, "B": 24.52, "C": 24.19}  # ResNet-34, ImageNet top-1 error %, 10-crop (Table 3)
for option, err in paper_options.items():
    print(f"paper, ResNet-34 option {option}: top-1 error {err:.2f}%")
shortcut = models.ShortcutA(16, 32, stride=2)
print("option A:", tuple(x.shape), "->", tuple(shortcut(x).shape),
      f"with {sum(p.numel() for p in shortcut.parameters())} parameters")

# %% [markdown]
# ## 4. Plain and residual twins with equal parameters
#
# `models.mnist_resnet(depth)` follows the paper's CIFAR-10 design: three stages of n two-convolution blocks with 16,
# 32 and 64 channels (the last two starting with stride 2), global average pooling and one linear layer, so
# 6n + 2 layers; option A shortcuts. One change for speed on a CPU: the first convolution has stride 2, so the stages
# work at 14x14, 7x7 and 4x4 (the paper's at 32x32, 16x16, 8x8). `residual=False` removes the shortcuts and nothing
# else. With option A the twins have exactly the same parameters, so any difference in training comes from the
# shortcuts alone:

# %%
DEPTHS = [8, 20, 32, 44] if FULL else [8, 20, 32]
for depth in DEPTHS:
    counts = [sum(p.numel() for p in models.mnist_resnet(depth, residual=r).parameters()) for r in (False, True)]
    print(f"depth {depth:2d} (n = {(depth - 2) // 6}): plain {counts[0]:,} parameters, residual {counts[1]:,}")
cl.trace(models.mnist_resnet(8), (1, 1, 28, 28))

# %% [markdown]
# ## 5. Degradation, measured
#
# Every net trains for the same `STEPS` = 120 steps (400 with `FULL = True`) of SGD (momentum 0.9, constant learning rate 0.1, batch 64) on 10,000
# training digits, from three seeds (0, 1, 2); we record the **training** loss at every step and compare the mean of
# the last 50 steps.

# %% tags=["nbval-ignore-output"]
x_train, y_train = cl.load_mnist("train", subset=None if FULL else 10_000)
SEEDS = [0, 1, 2, 3, 4] if FULL else [0, 1, 2]
STEPS = 400 if FULL else 120
t0 = time.time()
runs = lesson.degradation_runs((x_train, y_train), depths=DEPTHS, seeds=SEEDS, steps=STEPS, lr=0.1,
                               batch_size=64, device=device)
train_seconds = time.time() - t0
print(f"{len(runs)} runs in {train_seconds:.0f} s")

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, len(DEPTHS), figsize=(4 * len(DEPTHS), 3.4), sharey=True)
for ax, depth in zip(axes, DEPTHS):
    for residual, colour in ((False, "C0"), (True, "C1")):
        for i, seed in enumerate(SEEDS):
            ax.plot(lesson.running_mean(runs[depth, residual, seed], 50), color=colour, alpha=0.8 if i == 0 else 0.45,
                    label=("residual" if residual else "plain") if i == 0 else None)
    ax.set_yscale("log")
    ax.set_title(f"{depth} layers (one line per seed)")
    ax.set_xlabel("training step")
    ax.legend()
axes[0].set_ylabel("training loss (running mean of 50)")
plt.show()

final = {(d, r): [lesson.final_loss(runs, d, r, s) for s in SEEDS] for d in DEPTHS for r in (False, True)}
print("training loss, mean of the last 50 steps, per seed:")
for depth in DEPTHS:
    for residual in (False, True):
        f = final[depth, residual]
        print(f"  {depth:2d} layers {'residual' if residual else 'plain':8s}: " + "  ".join(f"{v:.3f}" for v in f)
              + f"   (mean {sum(f) / len(f):.3f})")

# %%
deep, shallow = max(DEPTHS), min(DEPTHS)
assert all(p > 2 * q for p, q in zip(final[deep, False], final[shallow, False])), "deeper plain trains worse"
assert all(r < 0.7 * p for r, p in zip(final[deep, True], final[deep, False])), "the residual twin does not"
print("deepest plain net above the shallowest in every seed; its residual twin well below it in every seed")

# %% [markdown]
# **What the numbers show.** The plain nets get worse with depth: the 32-layer plain net ends with a training loss
# several times the 8-layer net's in every seed, although it has more parameters and could represent everything the
# 8-layer net does. Its residual twin, with the same parameters, ends well below it in every seed. At 8 layers the
# two are alike: here shortcuts make no difference to a shallow net. This is the paper's degradation on a small scale,
# with one caveat: after so few steps we cannot tell a higher final loss from a slower descent (the paper itself
# conjectures that deep plain nets may converge exponentially slowly). One thing
# does *not* show at this budget: the paper's deeper residual nets trained *better* than shallower ones, while ours
# end near or somewhat above the 8-layer nets: the paper trained for far longer, and 120 steps are probably too few
# for the extra depth to pay off. Residual learning removes the degradation here; it does not yet make depth a gain.
#
# ## 6. Gradient norms at initialization: vanishing, exploding, or neither?
#
# A common story says deep nets fail because gradients vanish on their way back to the first layers. Measure it:
# one batch of 128 training digits, one backward pass through a freshly initialized net, and for every convolution
# the norm of its weight's gradient **divided by the norm of the weight**. That ratio is how far one SGD step
# (times the learning rate) moves the layer relative to its size, so layers of different sizes can be compared.
# Below: first convolution (at the input) over the last one, for each depth, plain and residual, **with and without
# BatchNorm** (without it, the convolutions get biases and PyTorch's default initialization), three seeds each.

# %% tags=["nbval-ignore-output"]
g = torch.Generator().manual_seed(0)
idx = torch.randperm(len(x_train), generator=g)[:128]
xb, yb = x_train[idx].to(device), y_train[idx].to(device)
grads = lesson.gradient_norms(xb, yb, depths=DEPTHS, seeds=SEEDS[:3], batch_norm=(True, False))

ratios = {}
print("first / last convolution's relative gradient norm, mean [min, max] over 3 seeds:")
for bn in (True, False):
    for residual in (False, True):
        cells = []
        for depth in DEPTHS:
            r = [lesson.first_last_ratio(grads[depth, residual, bn, s]) for s in SEEDS[:3]]
            ratios[depth, residual, bn] = r
            cells.append(f"{depth}: {sum(r) / len(r):.2g} [{min(r):.2g}, {max(r):.2g}]")
        print(f"  {'with' if bn else 'without':7s} BN, {'residual' if residual else 'plain':8s}  " + "   ".join(cells))

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for (residual, bn), (colour, style) in {(False, True): ("C0", "-"), (True, True): ("C1", "-"),
                                       (False, False): ("C0", ":"), (True, False): ("C1", ":")}.items():
    means = [sum(ratios[d, residual, bn]) / 3 for d in DEPTHS]
    ax.plot(DEPTHS, means, style, marker="o", color=colour,
            label=f"{'residual' if residual else 'plain'}, {'with' if bn else 'without'} BatchNorm")
ax.axhline(1, color="grey", linewidth=0.8)
ax.set_yscale("log")
ax.set_xticks(DEPTHS)
ax.set_xlabel("depth (layers)")
ax.set_ylabel("first / last conv, relative gradient")
ax.set_title("Gradient at the input relative to the output, at initialization")
ax.legend(fontsize=8)
plt.show()


# %%
def mean(xs):
    return sum(xs) / len(xs)


assert mean(ratios[deep, False, True]) > 10 * mean(ratios[shallow, False, True]), "with BN the plain net's grows"
assert 0.2 < mean(ratios[shallow, False, True]) < 3, "no growth at depth 8"
assert max(ratios[deep, False, False]) < 1e-6, "without BN the plain net's vanishes"
assert all(0.1 < v < 10 for d in DEPTHS for v in ratios[d, True, False]), "shortcuts carry it without BN"
assert mean(ratios[deep, True, True]) < mean(ratios[deep, False, True]) / 5

# %% [markdown]
# Read the table and the chart by rows:
#
# - **Plain, without BatchNorm: the gradient vanishes.** Each layer shrinks the signal a little (PyTorch's default
#   initialization keeps less than the full variance through a ReLU layer), and the shrinking compounds: at 8 layers the
#   first convolution's relative gradient is a small fraction of the last one's, and at 32 it is many orders of
#   magnitude smaller. Under SGD its first layers would hardly move. This is the classic vanishing gradient. BatchNorm, the next row, was one
#   of the remedies in use before ResNet; exercise 4 asks what a different initialization does.
# - **Plain, with BatchNorm: nothing vanishes; the gradient grows toward the input.** At 8 layers the ratio is about 1:
#   no growth. With depth it grows, to tens of times at 32 layers: the first layers get relatively huge steps while the
#   last get small ones. This growth with depth is an *exploding* gradient, and it is a property of deep plain stacks
#   with BatchNorm at initialization (Yang et al. 2019 analyse it). It is one sign of the optimization difficulty; the
#   paper itself only rules out the vanishing kind: "we also verify that the backward propagated gradients exhibit
#   healthy norms with BN", and concludes that degradation "is unlikely to be caused by vanishing gradients".
# - **Residual, with or without BatchNorm: within a small factor.** The identity paths carry the gradient from the
#   loss to every block through additions, so it does not compound layer by layer; only the ReLU after each
#   addition (and option A's subsampling) stands in its way. The follow-up paper on identity mappings (He et al.
#   2016) removes even that ReLU by moving it into the residual branch.
#
# So, for the nets of section 5, which all have BatchNorm: degradation is not caused by vanishing gradients. The
# gradients are there; a deep plain net is just much harder to optimize, and shortcuts make it much easier.
#
# ## 7. Play: depth, training loss and the gradient of every layer
#
# The widget browses this notebook's runs: pick a depth to see the training loss of the plain and residual twins
# (one line per seed) and, for every convolution from the input to the output, its relative gradient at
# initialization, with or without BatchNorm. Depths the notebook did not train show a message.
#
# *Questions:* with BatchNorm, does the plain net's gradient grow evenly from the output to the input (a straight line
# on the log scale), or in jumps? Where are the jumps? Without BatchNorm, how many orders of magnitude does the plain
# net lose per block, roughly, and does that rate depend on the depth?

# %% tags=["nbval-ignore-output"]
explorer = widgets.depth_explorer(runs, grads, window=50, value=max(DEPTHS))
explorer


# %% [markdown]
# ## 8. BasicBlock against Bottleneck, and ResNet-18/34/50
#
# ResNet-50 and deeper replace the two 3x3 convolutions with a **bottleneck**: a 1x1 convolution down to a quarter of
# the channels, a 3x3 there, a 1x1 back up (lesson 03's trick inside a residual block). At 256 channels in and out:

# %%
def conv_weights(m):
    return sum(c.weight.numel() for c in m.modules() if isinstance(c, nn.Conv2d))


basic = models.BasicBlock(256, 256)
bottleneck = models.Bottleneck(256, 64)
print(f"BasicBlock(256, 256): {conv_weights(basic):,} convolution weights")
print(f"Bottleneck(256, 64):  {conv_weights(bottleneck) / conv_weights(basic):.1%} of that")

# %% [markdown]
# The ImageNet ResNets, traced on the meta device at 224x224. The package's versions use torchvision's layer names
# (so torchvision's pretrained weights load into them unchanged) and option B shortcuts; the plain twins are the same
# nets without any shortcut, hence without the projections. These are torchvision's variants: its ResNet-50
# ("v1.5") puts the stride 2 of a downsampling bottleneck on the 3x3 convolution instead of the first 1x1 as the
# paper did, which leaves the parameters unchanged but gives more multiply-adds than the paper's ResNet-50:

# %%
print(f"{'model':10s} {'parameters':>12s} {'mult-adds':>10s} {'plain twin':>12s}")
resnet_params = {}
for name, factory in [("ResNet-18", models.resnet18), ("ResNet-34", models.resnet34), ("ResNet-50", models.resnet50)]:
    with torch.device("meta"):
        net, plain = factory(), factory(residual=False)
    t = cl.trace(net, (1, 3, 224, 224))
    resnet_params[name] = t.total_params
    print(f"{name:10s} {t.total_params:12,d} {t.total_mult_adds / 1e9:9.2f}G {sum(p.numel() for p in plain.parameters()):12,d}")
print(f"ResNet-50 / ResNet-34 parameters: {resnet_params['ResNet-50'] / resnet_params['ResNet-34']:.2f}")

# %%
assert resnet_params == {"ResNet-18": 11_689_512, "ResNet-34": 21_797_672, "ResNet-50": 25_557_032}

# %% [markdown]
# ResNet-50 has 50 layers but only about 17% more parameters than ResNet-34, thanks to the bottlenecks.
#
# **Inception-ResNet** (Szegedy et al. 2016) combines lesson 04 and this one: an Inception block whose branches are
# concatenated, projected back to the input's channel count by a linear 1x1 convolution, **scaled down** (the paper
# scales residuals by 0.1 to 0.3 to keep very wide nets stable; 0.17 here) and **added** to the input.

# %%
irb = models.InceptionResNetA(256, branch=32, scale=0.17).eval()
x = torch.randn(1, 256, 35, 35)
print("output shape:", tuple(irb(x).shape), "(the same as the input: the addition needs it)")
nn.init.zeros_(irb.conv.weight)
nn.init.zeros_(irb.conv.bias)
with torch.no_grad():
    print("with the projection at zero the block is ReLU(x):", torch.allclose(irb(x), torch.relu(x)))


# %% [markdown]
# ## 9. Common mistakes
#
# A small MNIST net with two residual blocks: a 5x5 convolution to 16 channels, max-pool, a residual block, a 5x5
# convolution to 32 channels, max-pool, a second residual block, one linear layer. Two mistakes are common when such a
# net is written by copying an earlier one:
#
# 1. `forward` still calls the layers of the net it was copied from (here `incep1`, an Inception block's name), which
#    this net does not have.
# 2. The second residual block is built for 16 channels, but the convolution before it gives 32.

# %%
class BrokenNet(nn.Module):
    def __init__(self, fix_forward=False):
        super().__init__()
        self.fix_forward = fix_forward
        self.conv1, self.conv2 = nn.Conv2d(1, 16, 5), nn.Conv2d(16, 32, 5)
        self.mp = nn.MaxPool2d(2)
        self.rblock1 = models.ResidualBlock(16)
        self.rblock2 = models.ResidualBlock(16)  # mistake 2: conv2 gives 32 channels
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        x = F.relu(self.mp(self.conv1(x)))
        x = self.rblock1(x) if self.fix_forward else self.incep1(x)  # mistake 1: a name from another net
        x = F.relu(self.mp(self.conv2(x)))
        x = self.rblock2(x) if self.fix_forward else self.incep2(x)
        return self.fc(torch.flatten(x, 1))


digits = torch.randn(2, 1, 28, 28)
for fix_forward in (False, True):
    try:
        BrokenNet(fix_forward)(digits)
    except (AttributeError, RuntimeError) as err:
        print(f"{type(err).__name__}: {err}")

# %% [markdown]
# The first error names the missing attribute; the second says a convolution expected 16 channels and got 32. The fix:
# call the blocks this net defines, and build each residual block for the channels it receives (a residual block keeps
# its channel count, because it adds its input to its output). `models.TwoBlockResidualNet` is the repaired net; the
# tracer shows each addition and the 32 x 4 x 4 = 512 features that reach the linear layer. One epoch of SGD shows
# that it learns:

# %%
cl.trace(models.TwoBlockResidualNet(), (1, 1, 28, 28))

# %% tags=["nbval-ignore-output"]
x_test, y_test = cl.load_mnist("test", subset=None if FULL else 2_000)
net = models.TwoBlockResidualNet()
hist = cl.fit(net, (x_train[:10_000], y_train[:10_000]), None, epochs=1, batch_size=64, optimizer="sgd", lr=0.01,
              momentum=0.9, seed=0, device=device, live=False, progress=False)
two_block_acc = cl.evaluate(net, (x_test, y_test), device=device)[1]
print(f"TwoBlockResidualNet after one epoch: test accuracy {100 * two_block_acc:.1f}%")

# %%
assert two_block_acc > 0.9

# %% [markdown]
# ## 10. Exercises
#
# Write your answer in place of `None` and run the cell; the check says whether it is right and, if not, what to look
# at. `lesson.exercise_1.hint()` (and so on) shows a hint, one more each time you call it.
#
# **Exercise 1 (build).** Write a residual block class, without looking back at `MyBlock`: two 3x3 convolutions
# (padding 1, no bias) with 16 channels, each followed by a BatchNorm, a ReLU between them, the input added before the
# last ReLU. Give an instance for 16 channels. The check copies `models.BasicBlock(16, 16)`'s weights into it and
# compares the outputs; a block without its shortcut, without its convolutions or without the inner ReLU fails.
# Answer: an `nn.Module` instance.

# %%
answer = None  # your answer: an nn.Module instance, e.g. YourBlock(16)
lesson.exercise_1.check(answer)

# %% [markdown]
# **Exercise 2 (build).** Write option A's shortcut from 16 to 32 channels with stride 2, as a module without
# parameters: from an N x 16 x 14 x 14 input it returns N x 32 x 7 x 7, the input subsampled (every second row and
# column) followed by 16 channels of zeros. Answer: an `nn.Module` instance.

# %%
answer = None  # your answer: an nn.Module instance, e.g. YourShortcutA()
lesson.exercise_2.check(answer)

# %% [markdown]
# **Exercise 3 (predict).** Switch the MNIST nets of section 4 from option A to option B: a 1x1 convolution (no bias,
# stride 2) followed by a BatchNorm on each shortcut where the shape changes. How many parameters does that add to the
# net? Does the answer depend on the depth? Answer: a whole number.

# %%
answer = None  # your answer: a whole number
lesson.exercise_3.check(answer)

# %% [markdown]
# **Exercise 4 (change one thing, measure).** In section 6 the plain net without BatchNorm, with PyTorch's default
# initialization, lost its gradient. Re-initialize the 32-layer plain net without BatchNorm with He (Kaiming) initialization
# (`lesson.he_init_(net)`: normal weights with variance 2 / fan-in, biases zero), measure the relative gradient norms
# as in section 6 (`lesson.conv_grad_norms(net, xb, yb)`), and compare the first convolution with the last. Does the
# gradient at the first convolution vanish (`"vanishes"`: below 1/1000 of the last one's), explode (`"explodes"`:
# above 1000 times), or stay within those bounds (`"healthy"`)? Answer: one of the three words.

# %%
answer = None  # your answer: "vanishes", "healthy" or "explodes"
lesson.exercise_4.check(answer)

# %% [markdown]
# ## References
#
# - K. He, X. Zhang, S. Ren, J. Sun. *Deep Residual Learning for Image Recognition.* CVPR 2016.
#   [arXiv:1512.03385](https://arxiv.org/abs/1512.03385)
# - K. He, X. Zhang, S. Ren, J. Sun. *Identity Mappings in Deep Residual Networks.* ECCV 2016 (the pre-activation
#   block, and why the shortcut should stay a pure identity). [arXiv:1603.05027](https://arxiv.org/abs/1603.05027)
# - S. Ioffe, C. Szegedy. *Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
#   Shift.* ICML 2015. [arXiv:1502.03167](https://arxiv.org/abs/1502.03167)
# - K. He, X. Zhang, S. Ren, J. Sun. *Delving Deep into Rectifiers* (He initialization). ICCV 2015.
#   [arXiv:1502.01852](https://arxiv.org/abs/1502.01852)
# - G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein, S. S. Schoenholz. *A Mean Field Theory of Batch
#   Normalization* (gradient explosion in deep BatchNorm nets). ICLR 2019. [arXiv:1902.08129](https://arxiv.org/abs/1902.08129)
# - C. Szegedy, S. Ioffe, V. Vanhoucke, A. Alemi. *Inception-v4, Inception-ResNet and the Impact of Residual
#   Connections on Learning.* AAAI 2017. [arXiv:1602.07261](https://arxiv.org/abs/1602.07261)

# %% tags=["nbval-ignore-output"]
print(f"this run: {time.time() - _start:.0f} s wall, {time.process_time() - _cpu_start:.0f} s CPU on {device} (degradation runs {train_seconds:.0f} s)")

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
