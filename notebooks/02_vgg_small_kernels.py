# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/02_vgg_small_kernels.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/02_vgg_small_kernels.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/02_vgg_small_kernels.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 02 · VGG: small kernels, stacked deep
#
# VGG (Simonyan and Zisserman, 2014) builds its convolutional part from one kind of layer, a 3 x 3
# convolution with stride 1 and padding 1 (one of its six configurations also tries 1 x 1), and one kind of pooling, a 2 x 2 max-pool with stride 2, and gets
# its power from depth: 11 to 19 weight layers. Why are small kernels enough, what do they cost, and what of
# the paper's argument can a small experiment check?
#
# **What you will learn**
# - measure the receptive field of stacked 3 x 3 convolutions from gradients (two see 5 x 5, three 7 x 7),
#   and how depth, kernel size, stride and dilation change it;
# - count what n stacked 3 x 3 layers cost against one (2n + 1) x (2n + 1) layer, with the formula and the tracer;
# - build the paper's six networks (A, A-LRN, B, C, D, E) from one table, and tell them apart from torchvision's `vgg11`-`vgg19`;
# - turn the fully connected classifier into convolutions and read a class-score map from a *trained* network;
# - test the paper's claims about small kernels on MNIST, and catch layers defined but never used with `cl.doctor`.
#
# **What you need:** lesson 00 (the tools: `cl.fit`, `cl.trace` and its RF and jump columns, `cl.doctor`).
# Set `FULL = True` below to train on all 60,000 images.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import torch
import torchvision
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import vgg_small_kernels as lesson
from cnnlessons.models import vgg_small_kernels as models
from cnnlessons.widgets import vgg_small_kernels as widgets

FULL = False   # True: all 60,000 training images
device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)

# %%
x_train, y_train = cl.load_mnist("train", subset=None if FULL else 10_000)
x_test, y_test = cl.load_mnist("test")
print("train", tuple(x_train.shape), "test", tuple(x_test.shape))

# %% [markdown]
# ## 1 · The idea, in the paper's words
#
# Section 2.3 of the paper argues for stacks of 3 x 3 layers (no pooling in between) instead of one large
# kernel, in three steps:
# 1. **Same view.** Two stacked 3 x 3 layers have an *effective receptive field* of 5 x 5; three have 7 x 7.
# 2. **More nonlinearities.** Three layers bring three ReLUs instead of one, which "makes the decision function
#    more discriminative".
# 3. **Fewer parameters.** With C channels in and out, three 3 x 3 layers have 3 (3² C²) = 27 C² weights; one
#    7 x 7 layer has 7² C² = 49 C², 81% more. The paper adds that this acts as a regularisation of the
#    7 x 7 filters, forced to decompose into 3 x 3 ones with a nonlinearity in between.
#
# Sections 2 to 4 below measure the first and the third; section 7 tests what MNIST can test of the second.
#
# ## 2 · Receptive field, measured
#
# The tracer's `RF` column applies the rule from lesson 00 (each k x k layer adds (k - 1) x jump):

# %%
stack = nn.Sequential(*[nn.Conv2d(8, 8, 3, padding=1) for _ in range(3)])
print(cl.trace(stack, (1, 8, 15, 15)))

# %% [markdown]
# A rule is a claim; a gradient is a measurement. `lesson.measure_rf` builds a real stack of convolutions
# (one channel, no padding, positive weights and a small positive bias, so every ReLU passes its gradient and
# no two weights cancel by chance), backpropagates from the centre unit of the last map, and marks every
# input pixel whose gradient is not zero: exactly the pixels that unit depends on.

# %%
fig, axes = plt.subplots(1, 3, figsize=(9.5, 3.3))
for ax, depth in zip(axes, (1, 2, 3)):
    m = lesson.measure_rf(depth, kernel=3, size=15)
    h, w = m["side"]
    print(f"{depth} layer(s) of 3x3: {m['nonzero']} input pixels move the centre unit, a {h} x {w} square; "
          f"formula {lesson.rf_formula(depth, 3)[0]}")
    ax.imshow(m["grad"] > 0, cmap="Blues", vmin=0, vmax=1)
    ax.set_title(f"{depth} x conv 3x3: {h} x {w}")
    ax.set_xlabel("input column")
    ax.set_ylabel("input row")
fig.suptitle("Input pixels with a non-zero gradient for the centre output unit (blue)")
plt.tight_layout()
plt.show()

# %% [markdown]
# Measured and computed agree: two 3 x 3 layers see 5 x 5, three see 7 x 7.
#
# ## 3 · Play: how far does a unit see?
#
# The widget builds such a stack from four controls and measures it again at every change: the orange
# pixels are the gradient's size (brighter = the unit depends more on that pixel), drawn over a digit; the
# blue square is the formula's receptive field; the readout lists the measured box, the formula and
# `cl.trace`'s RF column, layer by layer. A setting that shrinks the map below one pixel gets a message.
#
# *Questions to answer by playing:*
# - Which control makes the receptive field grow fastest when you add layers: kernel size, stride or dilation?
# - Find a setting where the measured square has *holes* (pixels inside it that the unit ignores). Which
#   control causes them, and does the formula's number notice?
# - Is every pixel inside the receptive field equally important? Watch the brightness, and the readout's
#   share of the gradient in the middle half of the square, as you add layers.

# %% tags=["nbval-ignore-output"]
rf_widget = widgets.rf_explorer(x_test[0, 0])
rf_widget

# %%
# The widget's three answers agree at its default (two 3x3 layers), and an impossible stack is a message.
assert rf_widget.result["side"] == (rf_widget.result["formula"],) * 2 == (rf_widget.result["traced"],) * 2
rf_widget.depth.value, rf_widget.kernel.value, rf_widget.dilation.value = 8, 7, 2
assert "error" in rf_widget.result
rf_widget.depth.value, rf_widget.kernel.value, rf_widget.dilation.value = 2, 3, 1
print("default: measured = formula = trace; 8 layers of 7 x 7 with dilation 2 on 64 pixels: a message, not an error")


# %% [markdown]
# ## 4 · Cost: n stacked 3 x 3 layers against one big kernel
#
# With C channels in and out and no biases, n layers of 3 x 3 have $n \cdot 9C^2$ weights; one
# $(2n+1) \times (2n+1)$ layer with the same receptive field has $(2n+1)^2 C^2$, and one nonlinearity. The
# ratio $(2n+1)^2 / 9n$ does not depend on C. `StackVsBig` puts both branches side by side so the tracer counts them:

# %%
class StackVsBig(nn.Module):
    # Two branches on the same C-channel input: n stacked 3x3 convolutions, and one (2n+1)x(2n+1) convolution.
    def __init__(self, n: int, C: int):
        super().__init__()
        self.stack = nn.Sequential(*[nn.Conv2d(C, C, 3, padding=1, bias=False) for _ in range(n)])
        self.big = nn.Conv2d(C, C, 2 * n + 1, padding=n, bias=False)

    def forward(self, x):
        return torch.cat([self.stack(x), self.big(x)], dim=1)

C = 64
for n in (1, 2, 3):
    groups = {g.name: g for g in cl.trace(StackVsBig(n, C), (1, C, 28, 28)).by_group()}
    s, b = groups["stack"].params, groups["big"].params
    print(f"n={n}: {n} x 3x3 -> {s:,} weights = {s // C**2} C^2 | one {2*n+1}x{2*n+1} -> {b:,} = {b // C**2} C^2 | "
          f"ratio {b / s:.2f}, formula (2n+1)^2/9n = {(2 * n + 1) ** 2 / (9 * n):.2f}")


# %% [markdown]
# The tracer's counts and the formula agree: for n = 3 the single 7 x 7 layer has 81% more weights than the
# stack (49 C² against 27 C²), as the paper says.
#
# **In the MNIST nets of section 7** (`models.KernelPair`, C = 16 channels), each stage is either one
# 5 x 5 convolution or two 3 x 3 ones, 16 channels in and out. Counted from the models themselves, for stage 2:

# %%
def stage2_weights(kind):
    stage = models.KernelPair(kind, channels=16).stage2
    return sum(m.weight.numel() for m in stage if isinstance(m, nn.Conv2d))

for kind in ("5x5", "3x3x2"):
    print(f"{kind:6s} stage 2: {stage2_weights(kind):,} weights ({stage2_weights(kind) // 16**2} C^2 at C = 16)")
assert stage2_weights("5x5") == 25 * 16**2 and stage2_weights("3x3x2") == 18 * 16**2

# %% [markdown]
# Two 3 x 3 layers: 4,608 weights (18 C²); one 5 x 5: 6,400 (25 C²). The stack is the cheaper one, by the
# ratio 25/18 = 1.39 that the formula gives for n = 2.
#
# ## 5 · The paper's six networks, and torchvision's four
#
# Table 1 of the paper has six columns. Each entry of a config list below is a 3 x 3 convolution with that
# many filters (ReLU after it), `"M"` a 2 x 2 max-pool; column A-LRN adds local response normalisation after
# the first layer, and column C has three 1 x 1 convolutions, written `(256, 1)`. All end with the same three
# fully connected layers (4,096, 4,096 and 1,000 units).

# %%
for key, cfg in models.paper_cfgs.items():
    print(f"{key:6s}", cfg)

# %%
paper_millions = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}   # the paper's Table 2
torchvision_name = {"A": "vgg11", "B": "vgg13", "D": "vgg16", "E": "vgg19"}
rows = {}
print(f"{'column':7s} {'weight layers':>13s} {'parameters':>13s} {'paper (M)':>9s}  torchvision")
for key in models.paper_cfgs:
    with torch.device("meta"):
        ours = models.vgg_paper(key)
    t = cl.trace(ours, (1, 3, 224, 224))
    rows[key] = t
    layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in ours.modules())
    tv = torchvision_name.get(key)
    if tv:
        with torch.device("meta"):
            theirs = getattr(torchvision.models, tv)()
        same = t.total_params == sum(p.numel() for p in theirs.parameters())
        tv_text = f"{tv} (same parameter count: {same})"
    else:
        tv_text = "not in torchvision"
    print(f"{key:7s} {layers:13d} {t.total_params:13,} {paper_millions[key]:9d}  {tv_text}")
    assert round(t.total_params / 1e6) == paper_millions[key]

# %% [markdown]
# The counts round to the paper's Table 2. torchvision's `vgg11`, `vgg13`, `vgg16` and `vgg19` are columns
# A, B, D and E; it has no A-LRN and no C. It adds two things the paper does not have: the `_bn` variants
# (BatchNorm after every convolution, published a few months after VGG) and an adaptive average pool to 7 x 7
# before the classifier, which does nothing at 224 x 224 and lets other image sizes through.
#
# The paper's own comparisons between columns, on ImageNet: A-LRN did not improve on A, so the deeper
# columns drop LRN; C (with 1 x 1 layers) beat B, and D (3 x 3 in their place) beat C, so extra
# nonlinearity helps and so does spatial context; errors fell with depth from 11 to 19 layers, where the
# paper notes they saturate on ImageNet. Training on images rescaled to a random size (scale jittering)
# also beat training at one fixed size, even when testing at a single size. The paper
# also reports that a shallower net, made from B by replacing each pair of 3 x 3 layers by one 5 x 5
# layer (the same receptive field), had a top-1 error 7% higher than B's (on a centre crop).
#
# **Where the cost goes.** Depth costs compute (the extra convolutions run at large resolutions) but few
# parameters. For VGG16 (column D):

# %%
t16 = rows["D"]
fc_params = sum(r.params for r in t16.layers if r.type == "Linear")
print(f"VGG16: {t16.total_params:,} parameters, {fc_params:,} ({fc_params / t16.total_params:.0%}) in the three "
      f"fully connected layers; {t16.total_mult_adds / 1e9:.2f} G mult-adds for one 224 x 224 image")
convs_fc = [r for r in t16.layers if r.type in ("Conv2d", "Linear")]
mem = [4 * torch.Size(r.output_shape).numel() / 2**20 for r in convs_fc]      # MiB of float32 outputs
par = [4 * r.params / 2**20 for r in convs_fc]                                  # MiB of float32 weights
print(f"first 4 convolutions: {sum(mem[:4]) / sum(mem):.0%} of the conv/FC output memory, "
      f"{sum(par[:4]) / sum(par):.2%} of the parameters")
print(f"3 FC layers: {sum(mem[-3:]) / sum(mem):.2%} of the output memory, {sum(par[-3:]) / sum(par):.0%} of the parameters")
fig, ax = plt.subplots(figsize=(10, 3.5))
pos = torch.arange(len(convs_fc)).float()
ax.bar(pos - 0.2, mem, width=0.4, label="output activations (MiB, one image)")
ax.bar(pos + 0.2, par, width=0.4, label="weights (MiB)")
ax.set_xticks(pos.tolist(), [r.path.replace("features.", "f").replace("classifier.", "fc") for r in convs_fc],
              fontsize=7, rotation=60)
ax.set_yscale("log")
ax.set_ylabel("MiB (log scale)")
ax.set_xlabel("layer of VGG16 (f = features, fc = classifier)")
ax.set_title("VGG16: memory goes to early activations, parameters to the FC layers")
ax.legend()
plt.show()

# %% [markdown]
# In training each layer's output is kept for the backward pass, so the early, high-resolution layers
# dominate the activation memory (which grows with the batch size; the weights' memory does not), while the fully connected layers hold most of the parameters.
#
# ## 6 · The classifier as convolutions
#
# At test time the paper applies the network densely to a whole, larger image: it rewrites the first fully
# connected layer (FC6) as a 7 x 7 convolution (its 25,088 inputs are 512 channels x 7 x 7) and the other
# two as 1 x 1 convolutions. The result is a map of class scores, one per 224 x 224 window, windows 32 pixels apart (the five
# pools' strides, 2 x 2 x 2 x 2 x 2); the paper then
# averages that map into one prediction. `models.convolutionize` does the rewrite by viewing the same
# weights as kernels. First, equality: VGG11 with random weights at 224 x 224, its FC6 and FC7 narrowed from
# 4,096 to 512 units (`hidden=512`) to spare memory (the rewrite is the same):

# %%
torch.manual_seed(0)
vgg = models.vgg11(hidden=512).eval()
fcn = models.convolutionize(vgg).eval()
print("FC6", tuple(vgg.classifier[0].weight.shape), "-> conv6", tuple(fcn.classifier[0].weight.shape))
img = torch.randn(1, 3, 224, 224)
with torch.no_grad():
    a, b = vgg(img), fcn(img)
    big = fcn(torch.randn(1, 3, 320, 320))
print("output shapes:", tuple(a.shape), tuple(b.shape))
print("same scores at 224 x 224:", torch.allclose(a, b.flatten(1), atol=1e-4))
print("a 320 x 320 image gives a score map of", tuple(big.shape), "(320 / 32 = 10, minus 6 for the 7 x 7 kernel)")
del vgg, fcn, big

# %% [markdown]
# **A score map from a trained network.** The same rewrite works for `models.mnist_vgg()`, VGG's recipe for
# 28 x 28 digits: three stages of two 3 x 3 convolutions (16, 32, 64 channels), each stage ending in a
# max-pool (28 -> 14 -> 7 -> 3), then two fully connected layers. We train it briefly, convolutionize it and
# slide it over a 60 x 124 canvas holding four test digits. The first fully connected layer becomes a 3 x 3
# convolution, so the map has one 10-class prediction per 28 x 28 window, windows 8 pixels apart (the three pools'
# strides, 2 x 2 x 2). Each prediction is nearly, not exactly, what the network says about that window cut
# out and classified alone: near a window's edges the padded convolutions now see the canvas's neighbouring
# pixels where, on a lone 28 x 28 digit, they saw zero padding.

# %% tags=["nbval-ignore-output"]
torch.manual_seed(0)
mnist_vgg = models.mnist_vgg()
hist = cl.fit(mnist_vgg, (x_train, y_train), epochs=2, batch_size=64, optimizer="adam", device=device,
              live=False, progress=False)
vgg_loss, vgg_acc = cl.evaluate(mnist_vgg, (x_test, y_test))
print(f"MNIST VGG: {sum(p.numel() for p in mnist_vgg.parameters()):,} parameters, test accuracy {vgg_acc:.2%} "
      f"after {hist.steps} steps ({hist.train_time:.0f} s)")

# %%
assert vgg_acc > 0.94, vgg_acc
print("above 94% on the 10,000 test images")

# %% tags=["nbval-ignore-output"]
picks = [0, 1, 2, 3]                                 # the first four test digits
positions = [(16, 32 * k) for k in range(4)]         # rows 16-43, columns 0, 32, 64, 96: on the 8-pixel grid
canvas = lesson.place_digits(x_test[picks], positions, height=60, width=124)
fcn = models.convolutionize(mnist_vgg.cpu().eval()).eval()
with torch.no_grad():
    scores = fcn(canvas)[0]                          # 10 x rows x columns
probs = scores.softmax(0)
top_p, top_class = probs.max(0)
print("canvas", tuple(canvas.shape), "-> score map", tuple(scores.shape))
on_digit = {(16 // 8, 32 * k // 8): int(y_test[i]) for k, i in enumerate(picks)}
for (r, c), label in on_digit.items():
    print(f"window ({r}, {c}) covers the digit {label}: predicts {int(top_class[r, c])} with p = {top_p[r, c]:.2f}")
others = torch.ones_like(top_p, dtype=torch.bool)
for r, c in on_digit:
    others[r, c] = False
print(f"the other {int(others.sum())} windows (half digits, empty background): mean top probability "
      f"{top_p[others].mean():.2f}, {int((top_p[others] > 0.9).sum())} of them above 0.9")

fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(8, 6.4))
ax0.imshow(canvas[0, 0], cmap="gray")
ax0.set_title("Canvas: four test digits on a 60 x 124 image")
ax0.set_xlabel("column (pixels)")
ax0.set_ylabel("row (pixels)")
im = ax1.imshow(top_p, cmap="viridis", vmin=0, vmax=1)
for r in range(top_p.shape[0]):
    for c in range(top_p.shape[1]):
        ax1.text(c, r, int(top_class[r, c]), ha="center", va="center", fontsize=9,
                 color="black" if top_p[r, c] > 0.5 else "white", fontweight="bold" if (r, c) in on_digit else None)
ax1.set_title("Score map: top class per 28 x 28 window (bold: window on a digit), colour = its probability")
ax1.set_xlabel("window column (8 pixels apart)")
ax1.set_ylabel("window row")
fig.colorbar(im, ax=ax1, label="top-class probability", shrink=0.8)
plt.tight_layout()
plt.show()

# %%
hits = sum(int(top_class[r, c]) == label for (r, c), label in on_digit.items())
assert hits >= 3, hits
assert scores.shape[1:] == (60 // 8 - 2, 124 // 8 - 2)
print(f"{hits} of 4 windows centred on a digit name it")

# %% [markdown]
# Read the printed lines: the windows centred on a digit name it, and the other windows still name a
# class, often confidently (the last printed line counts those above 0.9): this network was only ever trained on centred digits
# and has no way to say "nothing here".
# The paper uses the map to *classify* a whole image (averaging the windows' scores); turning such maps into
# object locations needs more training signal, such as a background class that can say "nothing here" (as in
# the fully convolutional networks of Long et al.) or targets for boxes (as in OverFeat); see the references.
#
# ## 7 · Testing the claims on MNIST
#
# `models.KernelPair` builds three small nets that differ only in how each stage sees a 5 x 5 window. All
# three have the same stem (a 3 x 3 convolution from 1 to 16 channels, and a ReLU), then two stages of 16
# channels in and out (each ending in a 2 x 2 max-pool: 28 -> 14 -> 7), then a linear classifier:
# - `"5x5"`: one 5 x 5 convolution and one ReLU;
# - `"3x3x2"`: two 3 x 3 convolutions, each followed by a ReLU (VGG's way: fewer weights, one more ReLU);
# - `"3x3x2-linear"`: the same two 3 x 3 convolutions with *no* ReLU between them. The same parameter count as
#   `"3x3x2"`, the same single nonlinearity as `"5x5"` (with nothing between them, two 3 x 3 convolutions
#   compose into one 5 x 5 convolution, away from the borders, whose weights are limited to that factored form): it separates the "more nonlinearities" claim from the
#   "fewer weights" one.
#
# Each trains for one epoch (Adam, batch 64) on the training images loaded at the start (10,000; all 60,000
# with `FULL = True`), with seeds 0, 1 and 2; we
# record the test accuracy on all 10,000 test images and the training loss (mean of the last 50 steps).

# %% tags=["nbval-ignore-output"]
kinds = models.KernelPair.KINDS
runs = {}
for kind in kinds:
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        net = models.KernelPair(kind, channels=16)
        h = cl.fit(net, (x_train, y_train), epochs=1, batch_size=64, optimizer="adam", seed=seed, device=device,
                   live=False, progress=False)
        runs[kind, seed] = {"params": sum(p.numel() for p in net.parameters()),
                            "test": cl.evaluate(net, (x_test, y_test))[1],
                            "train_loss": sum(h.step_loss[-50:]) / 50}
summary = {}
for kind in kinds:
    accs = [runs[kind, s]["test"] for s in (0, 1, 2)]
    losses = [runs[kind, s]["train_loss"] for s in (0, 1, 2)]
    summary[kind] = (sum(accs) / 3, min(accs), max(accs), sum(losses) / 3)
    print(f"{kind:13s} {runs[kind, 0]['params']:6,} parameters | test accuracy {summary[kind][0]:.2%} "
          f"[{min(accs):.2%}, {max(accs):.2%}] | training loss {summary[kind][3]:.3f} "
          f"[{min(losses):.3f}, {max(losses):.3f}]")
def compare(a, b, claim):
    # one line: the gap between two arms' mean accuracies against the larger seed spread of the two
    gap = summary[a][0] - summary[b][0]
    spread = max(summary[a][2] - summary[a][1], summary[b][2] - summary[b][1])
    verdict = (f"{a if gap > 0 else b} ahead by more than the spread" if abs(gap) > spread
               else "no difference beyond the spread between seeds")
    print(f"{claim}: {a} - {b} = {100 * gap:+.2f} points, seed spread {100 * spread:.2f} -> {verdict}")

compare("3x3x2", "5x5", "small kernels (VGG's choice) against one large kernel")
compare("3x3x2", "3x3x2-linear", "the ReLU between the two 3x3 layers (same weights)")

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, key, label in ((axes[0], "test", "test accuracy"), (axes[1], "train_loss", "training loss (last 50 steps)")):
    for i, kind in enumerate(kinds):
        vals = [runs[kind, s][key] for s in (0, 1, 2)]
        ax.scatter([i] * 3, vals, color=f"C{i}", label=kind, zorder=3)
        ax.hlines(sum(vals) / 3, i - 0.25, i + 0.25, color=f"C{i}")
    ax.set_xticks(range(len(kinds)), kinds)
    ax.set_xlabel("how each stage sees 5 x 5")
    ax.set_ylabel(label)
    ax.set_title(f"{label}\n(dots: seeds 0, 1, 2; line: mean)", fontsize=10)
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %%
assert all(r["test"] > 0.9 for r in runs.values())
assert runs["3x3x2", 0]["params"] == runs["3x3x2-linear", 0]["params"] < runs["5x5", 0]["params"]
print("every run above 90%; the two 3x3 nets have the same, smaller parameter count")

# %% [markdown]
# What this tested, and what it did not:
# - **Fewer parameters: confirmed by counting.** The 3 x 3 stacks have fewer weights than the 5 x 5 net
#   (printed above), at the same receptive field per stage.
# - **Accuracy and the extra ReLU: read the two verdict lines printed above.** Each compares the gap
#   between two arms' mean accuracies with the larger spread between seeds of the two. A gap smaller than
#   the spread means that three seeds cannot tell the arms apart: "no measurable difference". A gap larger
#   than the spread, with three seeds, is a hint worth checking with more seeds, not a law.
# - Whatever the lines say, this is one epoch of small networks on MNIST, far from the regime the paper
#   measured (1,000 ImageNet classes, 11 to 19 layers, 74 epochs, images at randomly jittered scales). A deeper stack has more layers to
#   train; if it trails after one epoch, that says something about early training speed, not about the
#   accuracy it can finally reach. So a result here neither confirms nor refutes the paper's claim 2; it
#   only tells what the extra nonlinearity buys on MNIST at this budget.
#   Note also that the 5 x 5 net has the *most* parameters: "fewer parameters" (claim 3) and "more
#   accurate" are separate claims.
# - The training losses (right panel) show how well each arm fits the data it trains on; compare their
#   differences with the spread between seeds in the same way.
#
# ## 8 · Pitfall: layers defined and never used
#
# A common mistake when writing VGG16 by hand: `conv3_3`, `conv4_3` and `conv5_3` are created in `__init__`
# but `forward` never calls them. The model runs, prints VGG16's parameter count, and is silently a smaller
# network whose three extra layers never train. `lesson.SkippingVGG16` rebuilds that mistake:

# %%
with torch.device("meta"):
    broken = lesson.SkippingVGG16()
    print("runs:", tuple(broken(torch.empty(1, 3, 224, 224)).shape),
          f"| parameters: {sum(p.numel() for p in broken.parameters()):,}")
findings = cl.doctor(broken, (1, 3, 224, 224))
print(findings)

# %%
assert sorted(f.path for f in findings) == ["conv3_3", "conv4_3", "conv5_3"]
with torch.device("meta"):
    fixed = models.vgg16()
print("the config-table VGG16:", cl.doctor(fixed, (1, 3, 224, 224)))

# %% [markdown]
# **Fix:** call every layer in `forward`, or better, build the network from a config table (section 5): every
# layer is then created and called by the same loop, and this mistake cannot be written.
#
# ## Exercises
#
# Replace each `None` with your answer and run the cell: the check prints `Correct` or `Not yet` with a hint;
# `lesson.exercise_1.hint()` reveals a hint (again for the next). Predict first where the question says so,
# then measure.

# %%
# 1. Predict: what is the receptive field (input pixels on a side) of one unit of VGG16's last
#    convolution, conv5_3 (features.28 in models.vgg16()), on a 224 x 224 image? Use the rule
#    rf += (k - 1) x jump, then check with cl.trace. (Whole number, exact.)
answer = None
lesson.exercise_1.check(answer)

# %%
# 2. Predict: from how many stacked 3 x 3 layers (n) on does the stack need less than HALF the weights of
#    one (2n + 1) x (2n + 1) layer with the same channels? (Whole number of layers, exact.)
answer = None
lesson.exercise_2.check(answer)

# %%
# 3. Build one VGG stage for 32 input channels: two 3 x 3 convolutions with 64 filters (padding 1), each
#    followed by a ReLU, then a 2 x 2 max-pool, as an nn.Sequential in that order.
answer = None
lesson.exercise_3.check(answer)

# %%
# 4. Predict: models.convolutionize(models.mnist_vgg()) gets one canvas of 84 x 140 pixels, shape
#    (1, 1, 84, 140). What is the shape of its score map? (A shape (N, C, H, W).)
answer = None
lesson.exercise_4.check(answer)

# %%
# 5. Measure: build two layers of 5 x 5 convolutions with dilation 2 (stride 1) in the widget, or with
#    lesson.measure_rf(depth=2, kernel=5, dilation=2, size=48). What fraction of the pixels inside the
#    measured square have a non-zero gradient? (A fraction between 0 and 1, within 0.01.)
answer = None
lesson.exercise_5.check(answer)

# %%
# 6. Predict: replace VGG16's three fully connected layers by global average pooling (no parameters) and
#    one nn.Linear(512, 1000). How many parameters has the network then? (Whole number, exact.)
answer = None
lesson.exercise_6.check(answer)

# %% [markdown]
# ## References
#
# - K. Simonyan, A. Zisserman. *Very Deep Convolutional Networks for Large-Scale Image Recognition.* ICLR 2015.
#   [arXiv:1409.1556](https://arxiv.org/abs/1409.1556) (Table 1: the six columns; Table 2: their parameters;
#   section 2.3: the argument for 3 x 3 stacks; section 3.2: dense evaluation with convolutionized FC layers).
# - A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional Neural
#   Networks.* NeurIPS 2012.
#   [proceedings](https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html)
#   (LRN, used by column A-LRN).
# - D. C. Ciresan, U. Meier, J. Masci, L. M. Gambardella, J. Schmidhuber. *Flexible, High Performance
#   Convolutional Neural Networks for Image Classification.* IJCAI 2011.
#   [proceedings](https://www.ijcai.org/Proceedings/11/Papers/210.pdf) (small filters before VGG, cited by it).
# - P. Sermanet, D. Eigen, X. Zhang, M. Mathieu, R. Fergus, Y. LeCun. *OverFeat: Integrated Recognition,
#   Localization and Detection using Convolutional Networks.* ICLR 2014.
#   [arXiv:1312.6229](https://arxiv.org/abs/1312.6229) (dense evaluation of a convolutionized classifier).
# - J. Long, E. Shelhamer, T. Darrell. *Fully Convolutional Networks for Semantic Segmentation.* CVPR 2015.
#   [arXiv:1411.4038](https://arxiv.org/abs/1411.4038)
# - F. Yu, V. Koltun. *Multi-Scale Context Aggregation by Dilated Convolutions.* ICLR 2016.
#   [arXiv:1511.07122](https://arxiv.org/abs/1511.07122) (dilation)
# - W. Luo, Y. Li, R. Urtasun, R. Zemel. *Understanding the Effective Receptive Field in Deep Convolutional
#   Neural Networks.* NeurIPS 2016. [arXiv:1701.04128](https://arxiv.org/abs/1701.04128) (not every pixel of
#   the receptive field counts equally)
# - S. Ioffe, C. Szegedy. *Batch Normalization.* ICML 2015. [arXiv:1502.03167](https://arxiv.org/abs/1502.03167)
#   (torchvision's `_bn` variants)
# - Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. *Gradient-based learning applied to document recognition.*
#   Proceedings of the IEEE, 1998. [doi:10.1109/5.726791](https://doi.org/10.1109/5.726791) (MNIST)
#
# Next: `03_one_by_one_convolutions.ipynb`, where 1 x 1 convolutions mix channels and global average pooling
# replaces VGG's costly fully connected layers.

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
