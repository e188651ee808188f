# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/04_inception.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/04_inception.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/04_inception.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 04 · Inception: parallel branches, 1x1 reductions, auxiliary classifiers
#
# **What you will learn**
# - What an Inception block is: 1x1, 3x3 and 5x5 convolutions and a pooling branch side by side, concatenated;
#   you write one in a dozen lines and check it against the package's.
# - Why the 1x1 reductions matter: the multiply-adds of the naive and the reduced block, by formula and by tracer.
# - InceptionA (MNIST), a small two-block net: the classifier's input size from the tracer, a block without
#   ReLUs inside (a common mistake), and how it trains against a plain CNN of the same size, over three seeds.
# - Which branch a trained net relies on, by switching branches off and watching the accuracy.
# - GoogLeNet at 224x224: the papers' claims (12x fewer parameters than AlexNet, 5 million, 1.5 billion
#   multiply-adds) beside our counts; what the auxiliary classifiers do to the gradient, and what they do not show.
#
# **What you need:** lesson 03 (1x1 convolutions, the bottleneck formula) and the tracer from lesson 00.
#
# **Time:** a few minutes top to bottom on a 2-core CPU (section 4's training takes most of it and prints its
# own times); it uses a GPU when there is one. `FULL = False` below;
# `FULL = True` trains on all 60,000 images and tests on all 10,000 (several minutes on a 2-core CPU).

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import inception as lesson
from cnnlessons.models import inception as models
from cnnlessons.models.alexnet_tricks import alexnet, alexnet_two_tower
from cnnlessons.models.vgg_small_kernels import vgg16
from cnnlessons.train import aux_loss
from cnnlessons.widgets import inception as widgets

device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)
FULL = False  # True: the full training and test sets, more steps


# %% [markdown]
# ## 1. The idea: four branches, one concatenation
#
# Which kernel size should a layer use, 1x1, 3x3 or 5x5? An Inception block (Szegedy et al., 2014) does not choose:
# it runs several operations on the same input **in parallel** and stacks their outputs along the channel axis.
# Every branch keeps the height and width (padding, and a stride-1 pool), so the outputs can be concatenated:
#
# ```
#             +-> 1x1 conv ---------------------+
#             +-> 1x1 conv (reduce) -> 3x3 conv -+
# input ------+-> 1x1 conv (reduce) -> 5x5 conv -+--> concatenate along channels
#             +-> 3x3 max-pool -> 1x1 conv (proj)+
# ```
#
# The **naive** block has no 1x1 convolutions in front: the 3x3 and 5x5 read every input channel, and the pooled
# input is passed through unchanged. The **reduced** block, the one GoogLeNet uses, puts a 1x1 convolution with few
# filters before the 3x3 and the 5x5 (lesson 03's bottleneck) and a 1x1 projection after the pool. Every
# convolution is followed by a ReLU.
#
# Here is the reduced block written out, with the widths of GoogLeNet's first block (3a: 192 channels in;
# 64; 96 -> 128; 16 -> 32; pool -> 32):

# %%
class MyInception(nn.Module):
    def __init__(self, c_in, c1, c3_red, c3, c5_red, c5, pool_proj):
        super().__init__()
        self.b1 = nn.Sequential(nn.Conv2d(c_in, c1, 1), nn.ReLU())
        self.b2 = nn.Sequential(nn.Conv2d(c_in, c3_red, 1), nn.ReLU(), nn.Conv2d(c3_red, c3, 3, padding=1), nn.ReLU())
        self.b3 = nn.Sequential(nn.Conv2d(c_in, c5_red, 1), nn.ReLU(), nn.Conv2d(c5_red, c5, 5, padding=2), nn.ReLU())
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(c_in, pool_proj, 1), nn.ReLU())

    def forward(self, x):                                    # N x c_in x H x W
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)  # N x (c1+c3+c5+pool_proj) x H x W


mine = MyInception(192, 64, 96, 128, 16, 32, 32)
x = torch.randn(2, 192, 28, 28)
print("output:", tuple(mine(x).shape))

# %% [markdown]
# The package's `models.Inception` is the same block (with `batch_norm=False`, as in the 2014 paper; torchvision's
# version puts a BatchNorm after each convolution). Copy the weights across, in order, and the outputs agree:

# %%
pkg = models.Inception(192, 64, 96, 128, 16, 32, 32, batch_norm=False)
with torch.no_grad():
    for p_mine, p_pkg in zip(mine.parameters(), pkg.parameters()):
        p_mine.copy_(p_pkg)
    same = torch.allclose(mine(x), pkg(x), atol=1e-5)
print("parameters:", sum(p.numel() for p in mine.parameters()), "vs", sum(p.numel() for p in pkg.parameters()),
      "| same output:", same)

# %% [markdown]
# ## 2. The cost, branch by branch
#
# A size-keeping convolution does one multiply-add per weight per output pixel (lesson 03):
#
# **mult-adds = H x W x c_out x (k x k x c_in)**
#
# Take a 28x28x256 input and a block with a 1x1 of 128 filters, a 3x3 of 192 and a 5x5 of 96, plus a 3x3 max-pool.
# The reduced version adds 1x1 reductions to 64 before the 3x3 and the 5x5 and a pool projection to 64.
# These are the widths of GoogLeNet's block 3b, except for the reductions: the paper's 3b reduces more before the
# 5x5 and less before the 3x3; here both are 64 to keep the comparison simple. Below,
# each convolution's formula is evaluated by hand and set against the tracer. The tracer's `flops=True` counts 2
# per multiply-add and leaves out the biases, so its FLOPs / 2 is the formula; its default mult-add column (the one
# lesson 00 explained) follows torchinfo, which adds one per bias per output pixel.

# %%
naive = models.naive_inception(256, ch1x1=128, ch3x3=192, ch5x5=96, batch_norm=False)
reduced = models.Inception(256, ch1x1=128, ch3x3red=64, ch3x3=192, ch5x5red=64, ch5x5=96, pool_proj=64,
                           batch_norm=False)


def cost_table(block, title):
    t = cl.trace(block, (1, 256, 28, 28), flops=True)
    print(title)
    print(f"  {'layer':15s} {'formula H x W x c_out x k x k x c_in':36s} {'by hand':>12s} {'FLOPs / 2':>12s} {'torchinfo':>12s}")
    total = 0
    for row in t.layers:
        mod = block.get_submodule(row.path)
        if not isinstance(mod, nn.Conv2d):
            continue
        k, cin, cout = mod.kernel_size[0], mod.in_channels, mod.out_channels
        hand = lesson.conv_mult_adds(cin, cout, k, 28, 28)
        total += hand
        assert hand == row.flops // 2
        print(f"  {row.path:15s} {f'28 x 28 x {cout} x {k} x {k} x {cin}':36s} {hand:12,d} {row.flops // 2:12,d} {row.mult_adds:12,d}")
    print(f"  {'total':15s} {'':36s} {total:12,d} {t.total_flops // 2:12,d} {t.total_mult_adds:12,d}")
    print(f"  output: {t.output_shape}, parameters: {t.total_params:,}")
    return t


t_naive = cost_table(naive, "naive block")
t_reduced = cost_table(reduced, "reduced block")
madds_naive, madds_reduced = t_naive.total_flops // 2, t_reduced.total_flops // 2
print(f"\nthe 1x1 reductions cut the multiply-adds {madds_naive / madds_reduced:.2f}x: {madds_naive:,} -> {madds_reduced:,}")
print(f"in the naive block the 5x5 branch alone does {100 * (t_naive.row('branch3.conv').flops // 2) / madds_naive:.0f}% of the work")

# %%
assert madds_naive == 854_196_224 and madds_reduced == 271_351_808
assert t_naive.output_shape[1] == 128 + 192 + 96 + 256 and t_reduced.output_shape[1] == 128 + 192 + 96 + 64

# %% [markdown]
# Three things to read in these tables:
#
# - **The 5x5 on all 256 channels is the expensive part** of the naive block. Reading 64 reduced channels instead
#   of 256 cuts that convolution's work fourfold, and the 1x1 reduction that makes this possible is cheap; the
#   same holds for the 3x3.
# - **The naive block's output grows**: the pool branch passes all 256 input channels through, so the output has
#   672 channels, and a second naive block would start from 672. The pool projection to 64 stops that growth.
# - **These are multiply-adds, not parameters** (lesson 03's common mistake). The 28 x 28 belongs to the work; the
#   parameter counts, printed under each table, are smaller by about that factor:

# %%
for name, t in (("naive", t_naive), ("reduced", t_reduced)):
    print(f"{name:8s} {t.total_params:10,d} parameters, {t.total_flops // 2:12,d} multiply-adds, "
          f"ratio {t.total_flops // 2 / t.total_params:.0f} (28 x 28 = {28 * 28})")

# %% [markdown]
# ## 3. InceptionA (MNIST): a small Inception net for digits
#
# A common small Inception net for MNIST uses a block of four branches (1x1: 16; 1x1 -> 5x5: 24;
# 1x1 -> 3x3 -> 3x3: 24; 3x3 average pool -> 1x1: 24), a narrow copy of torchvision's `InceptionA`, its implementation of
# the first block type of Inception-v3 (the Inception-v3 paper draws that block, in its Figure 5, with a 1x1 -> 3x3
# branch where torchvision's code has the 1x1 -> 5x5). The net uses this block twice, each time after a 5x5
# convolution and a max-pool; we call it
# **InceptionA (MNIST)** (`models.InceptionANet`). The tracer shows each block's 16 + 24 + 24 + 24 = 88 output
# channels and what reaches the classifier (rows per layer at `depth=1`; the columns are lesson 00's):

# %%
net = models.InceptionANet()
table = cl.trace(net, (1, 1, 28, 28), depth=1)
table

# %%
c, h, w = table.row("incep2").output_shape[1:]
print(f"incep2 output: {c} x {h} x {w} = {c * h * w} features into fc (fc.in_features = {net.fc.in_features})")

# %% [markdown]
# **Common mistake: guessing the classifier's input size.** People write `nn.Linear(320, 10)` after the second block
# (20 channels x 4 x 4, forgetting that the block widens 20 channels to 88), run it, and read the error. The tracer
# names the layer and the fix:

# %%
try:
    cl.trace(models.InceptionANet(fc_in_features=320), (1, 1, 28, 28))
except cl.TraceError as err:
    print(err)

# %% [markdown]
# **Common mistake: no nonlinearity inside the branches.** In this net's block, as it is usually written, the
# convolutions inside a branch follow each other with no ReLU between them. A chain of convolutions without a
# nonlinearity is a single linear map: away from the borders, the branch 1x1 -> 3x3 -> 3x3 can only compute what
# one 5x5 convolution (of limited rank) could, and the whole block is *affine*, block(a + b) = block(a) + block(b) - block(0).
# `lesson.is_affine` tests exactly that; `models.InceptionA(..., relu=True)` is the fix, a ReLU after every
# convolution as in GoogLeNet:

# %%
torch.manual_seed(0)
for relu in (False, True):
    block = models.InceptionA(10, relu=relu)
    print(f"InceptionA(10, relu={relu!s:5s}): affine? {lesson.is_affine(block, (2, 10, 12, 12))}")

# %% [markdown]
# The net as a whole is still non-linear (ReLUs follow `conv1` and `conv2`), so it trains. Does the missing ReLU
# cost accuracy here? The next section measures it.
#
# ## 4. Training: InceptionA (MNIST), with and without ReLUs in its branches, against a plain CNN
#
# Three nets of almost the same size: InceptionA (MNIST) as usually written, the same with ReLUs in the branches,
# and `lesson.plain_cnn()`, an ordinary CNN (two 5x5 convolutions and a hidden layer of 160 units, no branches).
# Each is trained for the same number of steps with the same recipe (Adam with a one-cycle schedule, batch 64)
# from seeds 0, 1 and 2, then tested once on the test images.

# %%
x_train, y_train = cl.load_mnist("train", subset=None if FULL else 12_800)
x_test, y_test = cl.load_mnist("test", subset=None if FULL else 5_000)
STEPS = 1_000 if FULL else 200
SEEDS = [0, 1, 2]
ARMS = {
    "InceptionA (MNIST)": lambda: models.InceptionANet(),
    "InceptionA + ReLUs": lambda: models.InceptionANet(relu=True),
    "plain CNN": lesson.plain_cnn,
}
for name, make in ARMS.items():
    print(f"{name:20s} {sum(p.numel() for p in make().parameters()):7,d} parameters")
print(f"{len(x_train):,} training images, {STEPS} steps of 64; {len(x_test):,} test images")

# %% tags=["nbval-ignore-output"]
runs, trained = {}, {}
for seed in SEEDS:
    for name, make in ARMS.items():
        cl.seed_everything(seed)
        model = make()
        hist = cl.fit(model, (x_train, y_train), None, steps=STEPS, batch_size=64, optimizer="adam", lr=3e-3,
                      schedule="onecycle", seed=seed, device=device, live=False, progress=False, label=name)
        runs[name, seed] = (hist, cl.evaluate(model, (x_test, y_test))[1])
        trained[name, seed] = model
for (name, seed), (hist, acc) in runs.items():
    print(f"{name:20s} seed {seed}: test accuracy {100 * acc:.2f}%  ({hist.train_time:.1f} s)")

# %% tags=["nbval-ignore-output"]
acc = {name: [100 * runs[name, s][1] for s in SEEDS] for name in ARMS}
fig, ax = plt.subplots(figsize=(6.5, 3.2))
for i, (name, values) in enumerate(acc.items()):
    ax.plot([i] * len(values), values, "o", color=f"C{i}", alpha=0.8, label=f"{name} (one dot per seed)")
    ax.plot([i - 0.2, i + 0.2], [sum(values) / len(values)] * 2, color=f"C{i}")
ax.set_xticks(range(len(acc)), list(acc))
ax.set_ylabel("test accuracy (%)")
ax.set_title(f"{STEPS} steps, seeds {SEEDS}: mean (line) and each seed (dots)")
ax.legend(fontsize=8)
plt.show()
mean = {name: sum(v) / len(v) for name, v in acc.items()}
spread = max(max(v) - min(v) for v in acc.values())
for name, values in acc.items():
    print(f"{name:20s} mean {mean[name]:.2f}%  range {min(values):.2f}-{max(values):.2f}%")
for a, b in (("InceptionA + ReLUs", "InceptionA (MNIST)"), ("InceptionA (MNIST)", "plain CNN")):
    gap = mean[a] - mean[b]
    verdict = "larger than" if abs(gap) > spread else "within"
    print(f"{a} minus {b}: {gap:+.2f} points, {verdict} the largest seed-to-seed range ({spread:.2f})")

# %%
assert all(a > 90 for values in acc.values() for a in values), "every run should pass 90% after 200 steps"
assert all(runs[k][0].step_loss[-1] < runs[k][0].step_loss[0] / 3 for k in runs)

# %% [markdown]
# Read the last two lines above: each difference between the means set against the largest spread between seeds.
# A difference smaller than that spread is no evidence either way, so do not read a ranking into it. What the runs
# do show: the three nets land close together, and a plain CNN with as many parameters is a fair match for the
# Inception net; parallel branches are no free win on MNIST at this size. Whether the missing ReLUs cost anything
# here, the first of the two lines says: if it reads "within", no measurable effect at this size. (Inception blocks were designed for ImageNet, where a block must see objects at many scales, and
# for a fixed compute budget; MNIST digits are small and centred.)
#
# ## 5. Play: switch branches off in the trained net
#
# The widget takes the InceptionA (MNIST) net trained above from seed 0 and a fixed set of 500 test digits. Each
# checkbox switches one branch of one block off: its output is replaced by zeros, as if the branch had never
# learned anything. The readout gives the accuracy on those 500 digits; the pictures show one digit's two block
# outputs, a row of maps per branch. Each branch's multiply-adds per image are on its checkbox.
#
# *Questions to answer by playing:*
# 1. Which single branch of `incep2` can you switch off with the smallest loss of accuracy, and which one costs
#    the most? Same questions for `incep1`.
# 2. Is the branch with the most multiply-adds the one the net relies on most?
# 3. Keep only one branch on in `incep2`: which one alone keeps the most accuracy?

# %% tags=["nbval-ignore-output"]
switch = widgets.branch_switch(trained["InceptionA (MNIST)", 0], x_test[:500], y_test[:500])
switch

# %% [markdown]
# Two settings with known answers, set from code (they do not answer the questions): with every branch on, the
# widget's accuracy is the trained net's own on those 500 digits; with every branch of `incep2` off, the classifier
# gets only zeros and gives every digit the same answer.

# %%
with torch.no_grad():
    own = (trained["InceptionA (MNIST)", 0].cpu().eval()(x_test[:500]).argmax(1) == y_test[:500]).float().mean().item()
assert abs(switch.accuracy() - own) < 1e-6
for name in models.InceptionA.branch_names:
    switch.switches["incep2", name].value = False
assert switch.logits().argmax(1).unique().numel() == 1 and "No branch left" in switch.text
print("all of incep2 off: every digit gets the same answer; accuracy", f"{100 * switch.accuracy():.1f}%")
for name in models.InceptionA.branch_names:
    switch.switches["incep2", name].value = True

# %% [markdown]
# ## 6. GoogLeNet at 224x224: the papers' claims and our counts
#
# GoogLeNet stacks nine reduced Inception blocks after a small convolutional stem and ends with global average
# pooling and one fully connected layer. `models.googlenet()` builds it in two layouts:
#
# - **paper layout** (Szegedy et al. 2014, Table 1): true 5x5 branches, no BatchNorm (a bias and a ReLU after
#   every convolution; BatchNorm was published the following year); the stem's two local response normalizations
#   are left out (they have no parameters, so the counts below are the same);
# - **torchvision layout** (`torchvision_layout=True`): BatchNorm after every convolution, and a 3x3 where the paper
#   has the 5x5 in every block (a known discrepancy, pytorch/vision issue 906); its layers are named and shaped like torchvision's, so
#   torchvision's pretrained weights would load into it (nothing is downloaded here).
#
# Traced on the meta device (shapes only, nothing allocated), block by block, in the paper's layout:

# %%
with torch.device("meta"):
    g_paper = models.googlenet(aux_logits=False)
    g_paper_aux = models.googlenet(aux_logits=True)
    g_tv = models.googlenet(aux_logits=False, torchvision_layout=True)
    g_tv_aux = models.googlenet(aux_logits=True, torchvision_layout=True)
    alex_paper, alex_tv, vgg = alexnet_two_tower(), alexnet(), vgg16()

t_paper = cl.trace(g_paper, (1, 3, 224, 224), flops=True)
print(f"{'stage':12s} {'output (C, H, W)':>18s} {'parameters':>11s}")
for g in t_paper.by_group(1):
    if g.params or "inception" in g.name or g.name in ("avgpool", "fc"):
        print(f"{g.name:12s} {str(tuple(g.output_shape[1:])):>18s} {g.params:11,d}")

# %% [markdown]
# The papers' own claims, beside our counts. The GoogLeNet paper says it uses **12x fewer parameters** than
# Krizhevsky et al.'s 2012 network and was designed for **1.5 billion multiply-adds** at inference; the Inception-v3
# paper (Szegedy et al. 2015) writes that GoogLeNet has **5 million** parameters, against AlexNet's 60 million and
# VGGNet's roughly 3x more. Our counts include every weight and bias; the auxiliary heads are counted separately
# because they are dropped at inference.

# %%
claims = {"GoogLeNet: x fewer parameters than AlexNet (GoogLeNet paper)": 12,
          "GoogLeNet parameters, millions (Inception-v3 paper)": 5,
          "AlexNet parameters, millions (Inception-v3 paper)": 60,
          "GoogLeNet multiply-adds at inference, billions (GoogLeNet paper)": 1.5}
for claim, value in claims.items():
    print(f"claimed  {claim:66s} {value}")

n = {name: sum(p.numel() for p in m.parameters()) for name, m in [
    ("GoogLeNet, paper layout", g_paper), ("GoogLeNet, paper layout + 2 aux heads", g_paper_aux),
    ("GoogLeNet, torchvision layout", g_tv), ("GoogLeNet, torchvision layout + 2 aux heads", g_tv_aux),
    ("AlexNet, 2012 paper (two groups)", alex_paper), ("AlexNet, torchvision", alex_tv), ("VGG16", vgg)]}
print()
for name, count in n.items():
    print(f"counted  {name:44s} {count:12,d}")
print()
print(f"AlexNet (2012) / GoogLeNet (paper layout): {n['AlexNet, 2012 paper (two groups)'] / n['GoogLeNet, paper layout']:.1f}x")
print(f"AlexNet (torchvision) / GoogLeNet (torchvision layout): {n['AlexNet, torchvision'] / n['GoogLeNet, torchvision layout']:.1f}x")
print(f"VGG16 / GoogLeNet (paper layout): {n['VGG16'] / n['GoogLeNet, paper layout']:.1f}x")
print(f"VGG16 / AlexNet (2012): {n['VGG16'] / n['AlexNet, 2012 paper (two groups)']:.1f}x")
print(f"12x fewer than AlexNet (2012) would be {n['AlexNet, 2012 paper (two groups)'] / 12:,.0f} parameters")
madds_g = t_paper.total_flops // 2
print(f"GoogLeNet multiply-adds, paper layout (FLOPs / 2): {madds_g:,}, {100 * (madds_g / 1.5e9 - 1):+.1f}% off the 1.5 billion")

# %%
assert n["GoogLeNet, torchvision layout"] == 6_624_904 and n["AlexNet, torchvision"] == 61_100_840
assert not any(isinstance(m, nn.BatchNorm2d) for m in g_paper.modules())
assert 8 < n["AlexNet, 2012 paper (two groups)"] / n["GoogLeNet, paper layout"] < 9.5
assert 1_400_000_000 < t_paper.total_flops // 2 < 1_700_000_000

# %% [markdown]
# What holds and what does not:
#
# - **Order of magnitude: yes.** GoogLeNet has about 9x fewer parameters than AlexNet and about 20x fewer than VGG16
#   in our counts, and VGG16 has about 2.3x AlexNet's, not quite 3x. Most of the saving is at the end (lesson 03 showed over 95% of AlexNet's
#   parameters in its fully connected layers): global
#   average pooling feeds one 1024 -> 1000 layer (the `fc` row above, about a million parameters), where AlexNet and
#   VGG16 have two 4096-wide fully connected layers.
# - **The exact "12x" and "5 million": not in our counts.** The paper layout, counted from the paper's own table,
#   gives about 7.0 million parameters, 8.7x fewer than the 2012 AlexNet; 12x would need about 5.1 million.
#   Neither paper says how it arrived at 5 million or 12x. The GoogLeNet paper's Table 1 even lists the parameters
#   layer by layer, and its entries add up to well over 5 million, close to our count: whatever convention gives
#   5 million, the layers of the paper's table hold about 7 million weights and biases.
# - **1.5 billion multiply-adds: yes**, within a few percent (printed above).
# - **Which variant**: torchvision's GoogLeNet is not the paper's network (BatchNorm, 3x3 for 5x5); its count,
#   6.6 million, is smaller because its "5x5" branches are 3x3s.
#
# ## 7. Auxiliary classifiers
#
# GoogLeNet attaches two small classifiers to intermediate blocks (after 4a and 4d): an average pool, a 1x1
# convolution, two fully connected layers. In training the loss is **main + 0.3 x (aux1 + aux2)**; at inference the
# heads are dropped. The paper's motivation: in a network 22 layers deep (counting the layers with parameters) the
# gradient that reaches the first layers might be too weak, and the heads send one in from the middle; the paper
# also expected them to make the middle layers' features more discriminative and to add regularization. The package's models follow that: `train()` mode returns three
# outputs, `eval()` mode one. `models.mnist_googlenet` is GoogLeNet's plan shrunk to MNIST (six small blocks, no
# BatchNorm, as in 2014).

# %%
small = models.mnist_googlenet(aux_logits=True)
out_train = small.train()(x_test[:4])
out_eval = small.eval()(x_test[:4])
print("train():", type(out_train).__name__, [tuple(o.shape) for o in out_train])
print("eval(): ", type(out_eval).__name__, tuple(out_eval.shape))
print(f"parameters: {sum(p.numel() for p in models.mnist_googlenet(aux_logits=False).parameters()):,} without heads, "
      f"{sum(p.numel() for p in small.parameters()):,} with")

# %% [markdown]
# To compare like with like, the heads are built last: with the same seed, the main path gets the same weights with
# and without heads. First, at initialization, on one batch: the gradient norm that reaches the stem (the first
# convolution) from the main loss alone, from 0.3 x the heads' losses alone, and from both.

# %%
torch.manual_seed(0)
a = models.mnist_googlenet(aux_logits=False)
torch.manual_seed(0)
b = models.mnist_googlenet(aux_logits=True)
print("same main-path weights with and without heads:",
      all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items()))

ce = nn.functional.cross_entropy


def stem_grad(model, images, labels, main_weight, aux_weight):
    model.zero_grad()
    main, aux1, aux2 = model(images)
    loss = main_weight * ce(main, labels) + aux_weight * (ce(aux1, labels) + ce(aux2, labels))
    loss.backward()
    return torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in model.stem.parameters()])).item()


# %% tags=["nbval-ignore-output"]
init = {}
for seed in [0, 1, 2]:
    torch.manual_seed(seed)
    m = models.mnist_googlenet(aux_logits=True).train()
    idx = torch.randperm(len(y_train))[:128]
    init[seed] = [stem_grad(m, x_train[idx], y_train[idx], *w) for w in ((1.0, 0.0), (0.0, 0.3), (1.0, 0.3))]
    g_main, g_aux, g_both = init[seed]
    print(f"seed {seed}: stem gradient norm from the main loss {g_main:.4f}, from 0.3 x the heads {g_aux:.4f} "
          f"({g_aux / g_main:.2f}x the main's), from both {g_both:.4f}")
del m

# %%
assert all(g_aux > 0.2 * g_main for g_main, g_aux, _ in init.values())

# %% [markdown]
# The heads send the stem a gradient of the same order as the main loss's (the ratio per seed is printed above);
# the two add as vectors, so together they can be larger or smaller than either. Now a short training run: SGD with
# momentum 0.9, lr 0.01, batch 64, from seeds 0, 1 and 2, with and without heads (the loss `aux_loss(0.3)` with),
# recording the stem's gradient norm at every step through `cl.fit`'s `on_step` hook (`lesson.GradNormRecorder`).

# %% tags=["nbval-ignore-output"]
AUX_STEPS = 300 if FULL else 60
AUX_SEEDS = [0, 1, 2]
aux_runs = {}
for seed in AUX_SEEDS:
    for heads in (False, True):
        cl.seed_everything(seed)
        model = models.mnist_googlenet(aux_logits=heads)
        rec = lesson.GradNormRecorder("stem")
        cl.fit(model, (x_train, y_train), None, steps=AUX_STEPS, batch_size=64, lr=0.01, momentum=0.9,
               loss_fn=aux_loss(0.3) if heads else None, on_step=rec, seed=seed, device=device,
               live=False, progress=False)
        aux_runs[heads, seed] = (rec, cl.evaluate(model, (x_test[:2_000], y_test[:2_000]))[1])

def smooth(values, k=10):
    return [sum(values[max(0, i - k + 1):i + 1]) / len(values[max(0, i - k + 1):i + 1]) for i in range(len(values))]


fig, axes = plt.subplots(1, len(AUX_SEEDS), figsize=(10, 3.2), sharey=True)
for ax, seed in zip(axes, AUX_SEEDS):
    for heads, color in ((False, "C0"), (True, "C1")):
        norms = aux_runs[heads, seed][0].norms
        ax.plot(norms, color=color, alpha=0.25)
        ax.plot(smooth(norms), color=color, label=f"{'with' if heads else 'without'} heads (mean of 10 steps)")
    ax.set_title(f"seed {seed}")
    ax.set_xlabel("training step")
axes[0].set_ylabel("gradient norm at the stem")
axes[0].legend(fontsize=8)
fig.suptitle("Gradient reaching the first layer, with and without auxiliary heads (faint: every step)")
fig.tight_layout()
plt.show()
print(f"{'seed':>4s} {'mean stem gradient, no heads':>29s} {'with heads':>11s} {'ratio':>6s}"
      f" {'test acc, no heads':>19s} {'with heads':>11s}  (2,000 test images)")
for seed in AUX_SEEDS:
    (r0, a0), (r1, a1) = aux_runs[False, seed], aux_runs[True, seed]
    print(f"{seed:4d} {r0.mean():29.4f} {r1.mean():11.4f} {r1.mean() / r0.mean():6.2f} {100 * a0:18.1f}% {100 * a1:10.1f}%")

# %%
assert all(aux_runs[True, s][0].mean() > 1.1 * aux_runs[False, s][0].mean() for s in AUX_SEEDS)

# %% [markdown]
# **The gradient effect is clear**: in every seed, the stem receives a larger gradient with the heads than without
# (the ratio column; in each panel of the plot, the orange line against the blue one). Read it for what it is:
# with heads the loss has three terms instead of one, and their gradients add at the stem. It shows that the
# heads' signal reaches the first layer, not that the main loss alone sent too weak a gradient there.
#
# **The accuracy effect is not something this experiment can show.** After so few steps these nets, without
# BatchNorm, are still near the start of training (the accuracy columns), and which seed gets off its starting
# plateau first matters more than the heads. Set each seed's difference between
# the two accuracy columns against the differences between seeds: three runs this short cannot measure the heads'
# effect on accuracy (`FULL = True` trains 300 steps, if you want to look further). That is no contradiction of the papers, which never claimed much: the GoogLeNet paper motivated the heads by
# the gradient (and by regularization), and the Inception-v3 paper found that the auxiliary classifiers did not speed up early training at all,
# only lifted accuracy slightly near the end of training, acting mainly as a regularizer.
#
# ## 8. Common mistake: classifiers built inside `forward`
#
# A head written as `AuxHead(512)(x)` inside `forward` creates a **new**, randomly initialized head at every call.
# It is not a submodule: its weights are not in `model.parameters()`, no optimizer sees them, and they never learn.
# `lesson.HeadsBuiltInForward` is a small model with that mistake:

# %%
buggy = lesson.HeadsBuiltInForward().train()
torch.manual_seed(0)
_, aux_first = buggy(x_test[:2])
_, aux_second = buggy(x_test[:2])
print("parameters the optimizer sees:", [n for n, _ in buggy.named_parameters()])
print("same input, same weights, two calls: auxiliary outputs equal?", torch.allclose(aux_first, aux_second))
print(cl.doctor(buggy, (1, 1, 28, 28)))

# %% [markdown]
# Two calls give different auxiliary outputs, and the model doctor names the problem. The fix: create the head once
# in `__init__` and call that attribute in `forward` (`fixed=True` here). Its weights are then parameters, the
# optimizer updates them, and the doctor is satisfied:

# %%
fixed = lesson.HeadsBuiltInForward(fixed=True)
print("parameters:", [n for n, _ in fixed.named_parameters()])
print(cl.doctor(fixed, (1, 1, 28, 28)))

# %% [markdown]
# ## 9. Exercises
#
# Replace each `None` with your answer, run the cell, and read the check's answer. `lesson.exercise_N.hint()` shows
# a hint, one more each time you call it.
#
# **Exercise 1 (predict).** GoogLeNet's block 4a works on 14 x 14 maps with 480 input channels. Its 5x5 branch
# reduces to 16 channels with a 1x1 convolution, then applies a 5x5 convolution with 48 filters. How many
# multiply-adds does that branch cost (biases left out)? Predict with the formula before tracing anything.
# *Answer: a whole number, exact.*

# %%
answer = None  # your answer: a whole number
lesson.exercise_1.check(answer)

# %% [markdown]
# **Exercise 2 (build).** Build an Inception block as an `nn.Module` for 32 input channels at 14 x 14: a 1x1
# convolution with 16 filters; a 1x1 reduction to 16 then a 3x3 with 24 filters; a 1x1 reduction to 8 then a 5x5
# with 12 filters; a 3x3 max-pool (stride 1, padding 1) then a 1x1 projection to 12. Every convolution has a bias
# and is followed by a ReLU; every branch keeps 14 x 14; the outputs are concatenated in that order. The check runs
# your block on a random 2 x 32 x 14 x 14 input with its own weights copied in. *Answer: an nn.Module.*

# %%
answer = None  # your answer: an nn.Module
lesson.exercise_2.check(answer)

# %% [markdown]
# **Exercise 3 (predict, then check).** Feed InceptionA (MNIST) 32 x 32 images instead of 28 x 28. How many features
# reach its classifier? Work through the sizes, then check with the tracer (`cl.trace(models.InceptionANet(),
# (1, 1, 32, 32))` stops at `fc` with a message). *Answer: a whole number.*

# %%
answer = None  # your answer: a whole number
lesson.exercise_3.check(answer)

# %% [markdown]
# **Exercise 4 (predict).** How many parameters does GoogLeNet's first auxiliary head have, in the paper's layout
# for 1,000 classes? It reads the 512-channel 14 x 14 output of block 4a: average pooling to 4 x 4, a 1x1
# convolution to 128 channels, a fully connected layer of 1,024 units, then one to 1,000 classes (biases everywhere,
# no BatchNorm). *Answer: a whole number.*

# %%
answer = None  # your answer: a whole number
lesson.exercise_4.check(answer)

# %% [markdown]
# **Exercise 5 (change one thing, measure).** In the reduced block of section 2, change only `ch5x5red` from 64 to
# 128. By how many multiply-adds (biases left out: FLOPs / 2) does the block's cost grow? Predict first which terms
# change, then measure. *Answer: a whole number, exact.*

# %%
answer = None  # your answer: a whole number
lesson.exercise_5.check(answer)

# %% [markdown]
# ## References
#
# - Christian Szegedy, Wei Liu, Yangqing Jia, Pierre Sermanet, Scott Reed, Dragomir Anguelov, Dumitru Erhan, Vincent
#   Vanhoucke, Andrew Rabinovich. *Going Deeper with Convolutions.* CVPR 2015. [arXiv:1409.4842](https://arxiv.org/abs/1409.4842)
#   (GoogLeNet: the Inception block, Table 1, "12x fewer parameters", 1.5 billion multiply-adds, auxiliary classifiers)
# - Christian Szegedy, Vincent Vanhoucke, Sergey Ioffe, Jonathon Shlens, Zbigniew Wojna. *Rethinking the Inception
#   Architecture for Computer Vision.* CVPR 2016. [arXiv:1512.00567](https://arxiv.org/abs/1512.00567)
#   (Inception-v3: "5 million parameters", auxiliary classifiers as regularizers)
# - Min Lin, Qiang Chen, Shuicheng Yan. *Network In Network.* ICLR 2014. [arXiv:1312.4400](https://arxiv.org/abs/1312.4400)
#   (1x1 convolutions, global average pooling: lesson 03)
# - Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton. *ImageNet Classification with Deep Convolutional Neural
#   Networks.* NeurIPS 2012. [proceedings](https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html)
# - Karen Simonyan, Andrew Zisserman. *Very Deep Convolutional Networks for Large-Scale Image Recognition.* ICLR 2015.
#   [arXiv:1409.1556](https://arxiv.org/abs/1409.1556) (VGG16)
# - Sergey Ioffe, Christian Szegedy. *Batch Normalization.* ICML 2015. [arXiv:1502.03167](https://arxiv.org/abs/1502.03167)
#   (the BatchNorm in torchvision's GoogLeNet)
# - torchvision's GoogLeNet and its 3x3 "5x5" branch: [pytorch/vision issue 906](https://github.com/pytorch/vision/issues/906)

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
