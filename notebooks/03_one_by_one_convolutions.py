# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/03_one_by_one_convolutions.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/03_one_by_one_convolutions.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/03_one_by_one_convolutions.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 03 · 1x1 convolutions and Network in Network
#
# **What you will learn**
# - A 1x1 convolution is a fully connected layer applied at every pixel, across the channels: you check it numerically.
# - How a 1x1 *bottleneck* cuts the cost of a 5x5 convolution about tenfold, and the width at which it stops paying.
# - NiN's *mlpconv* block (a small MLP at every pixel) and *global average pooling* in place of fully connected layers.
# - Where NiN and AlexNet keep their parameters and their multiply-adds (they are not in the same places).
# - What a 1x1 convolution can and cannot do to a real feature map, by mixing one with sliders.
#
# **What you need:** lesson 00 (the tracer and its columns) and lesson 01 (AlexNet).
#
# **Time:** a minute or two top to bottom on a 2-core CPU (the training takes most of it and prints its own time); it uses a GPU when
# there is one. `FULL = False` below: set it to `True` to train on all 60,000 images and test on all 10,000.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import one_by_one as lesson
from cnnlessons.models import one_by_one as models
from cnnlessons.models.alexnet_tricks import alexnet, alexnet_two_tower
from cnnlessons.widgets import one_by_one as widgets

device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)
FULL = False  # True: the full training and test sets, more steps

# %% [markdown]
# ## 1. The idea: a 1x1 convolution is a linear layer at every pixel
#
# A 1x1 convolution with `C_in` input and `C_out` output channels has a weight of shape `C_out x C_in x 1 x 1`.
# At each pixel (y, x) it takes the vector of the `C_in` channel values there and multiplies it by the same
# `C_out x C_in` matrix W, then adds the bias:
#
# **out[:, y, x] = W · in[:, y, x] + b**
#
# That is exactly what `nn.Linear(C_in, C_out)` does to one vector. It reads no neighbouring pixel: it mixes
# channels, not positions. Copy the weights into a linear layer, apply it to the image seen as a list of pixels
# (channels last), and compare:

# %%
conv = nn.Conv2d(64, 32, kernel_size=1)
linear = nn.Linear(64, 32)
with torch.no_grad():
    linear.weight.copy_(conv.weight[:, :, 0, 0])   # 32 x 64 x 1 x 1 -> 32 x 64
    linear.bias.copy_(conv.bias)

x = torch.randn(4, 64, 9, 9)                                   # N x C x H x W
by_conv = conv(x)                                              # N x 32 x 9 x 9
by_linear = linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # per pixel: N x H x W x 64 -> N x 32 x 9 x 9
print("shapes:", tuple(by_conv.shape), tuple(by_linear.shape))
print("torch.allclose:", torch.allclose(by_conv, by_linear, atol=1e-5))
print("parameters: conv", sum(p.numel() for p in conv.parameters()),
      "| linear", sum(p.numel() for p in linear.parameters()))

# %% [markdown]
# The two differ only by rounding (float32 sums taken in a different order). The package wraps the same check in
# `lesson.conv1x1_vs_linear`; the step inside it that copies the weights, `lesson.linear_from_conv1x1`, refuses any
# other kernel size: a 3x3 convolution also mixes neighbouring pixels, so it is no per-pixel linear layer. It also
# refuses a grouped convolution (lesson 01's two-GPU AlexNet), whose filters each see only some of the channels.

# %%
print("package helper, max difference below 1e-5:", lesson.conv1x1_vs_linear(conv, x) < 1e-5)
try:
    lesson.linear_from_conv1x1(nn.Conv2d(64, 32, kernel_size=3))
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## 2. Dimension reduction: a 1x1 bottleneck before a 5x5 convolution
#
# Take an input of 28 x 28 pixels with 192 channels and a 5x5 convolution with 32 filters ('same' padding,
# biases left out). Each output number needs 5 x 5 x 192 multiply-adds, and there are 28 x 28 x 32 outputs:
#
# **mult-adds = H x W x C_out x (k x k x C_in)**
#
# Put a 1x1 convolution to 16 channels first, and the 5x5 reads only 16 channels. The tracer (on the meta device:
# shapes only, no memory) and the formula agree. Its columns are the ones lesson 00 explained; its mult-adds
# follow torchinfo, which also counts one per bias and output pixel, so these convolutions have `bias=False`.

# %%
H = W = 28
direct = nn.Conv2d(192, 32, kernel_size=5, padding=2, bias=False)
reduced = lesson.ReducedConv(192, 16, 32, k=5)   # 1x1: 192 -> 16, then 5x5: 16 -> 32
t_direct = cl.trace(direct, (1, 192, H, W))
t_reduced = cl.trace(reduced, (1, 192, H, W))

rows = [
    ("5x5 conv, 192 -> 32", t_direct.total_mult_adds, lesson.conv_mult_adds(192, 32, 5, H, W), t_direct.total_params),
    ("  1x1 reduce, 192 -> 16", t_reduced.row("reduce").mult_adds, lesson.conv_mult_adds(192, 16, 1, H, W),
     t_reduced.row("reduce").params),
    ("  5x5 conv, 16 -> 32", t_reduced.row("conv").mult_adds, lesson.conv_mult_adds(16, 32, 5, H, W),
     t_reduced.row("conv").params),
    ("bottleneck total", t_reduced.total_mult_adds, lesson.bottleneck_mult_adds(192, 16, 32, 5, H, W),
     t_reduced.total_params),
]
print(f"{'':26s} {'mult-adds (tracer)':>19s} {'mult-adds (formula)':>20s} {'weights':>8s}")
for name, traced, formula, weights in rows:
    print(f"{name:26s} {traced:19,d} {formula:20,d} {weights:8,d}")
print(f"the bottleneck needs {t_direct.total_mult_adds / t_reduced.total_mult_adds:.1f}x fewer multiply-adds "
      f"and {t_direct.total_params / t_reduced.total_params:.1f}x fewer weights")

# %%
assert all(traced == formula for _, traced, formula, _ in rows)
assert 9 < t_direct.total_mult_adds / t_reduced.total_mult_adds < 10.5

# %% [markdown]
# ### How narrow must the bottleneck be?
#
# The bottleneck's cost grows linearly with its width c. Setting the two costs equal,
# H x W x c x (192 + 25 x 32) = H x W x 25 x 192 x 32, the image size cancels, and the break-even width is
# c = 25 x 192 x 32 / (192 + 25 x 32). It is a real number, not a whole number of channels: every width below it
# saves work, every width above it costs more than the direct convolution.

# %%
widths = list(range(1, 193))
costs = [lesson.bottleneck_mult_adds(192, c, 32, 5, H, W) / 1e6 for c in widths]
c_even = lesson.break_even_width(192, 32, 5)
print(f"break-even width: {c_even:.1f} channels (of 192); the widest bottleneck that still saves: {int(c_even)}")

fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot(widths, costs, color="C0", label="1x1 bottleneck + 5x5")
ax.axhline(t_direct.total_mult_adds / 1e6, color="C1", linestyle="--", label="direct 5x5, 192 -> 32")
ax.axvline(c_even, color="k", linestyle=":", label=f"break-even, {c_even:.1f} channels")
ax.plot([16], [t_reduced.total_mult_adds / 1e6], "o", color="C0", label="bottleneck of 16")
ax.set_xlabel("bottleneck width c (channels)")
ax.set_ylabel("multiply-adds (millions)")
ax.set_title("Cost of a 5x5 conv on 28x28x192, with and without a 1x1 bottleneck")
ax.legend()
plt.show()

# %%
assert lesson.bottleneck_mult_adds(192, int(c_even), 32, 5, H, W) < t_direct.total_mult_adds
assert lesson.bottleneck_mult_adds(192, int(c_even) + 1, 32, 5, H, W) > t_direct.total_mult_adds

# %% [markdown]
# Here the bottleneck pays up to about four fifths of the input channels. GoogLeNet (lesson 04) squeezes much
# harder: this very example is the 5x5 branch of its block 3a (192 channels at 28 x 28 in, a 1x1 reduction to 16,
# then 32 filters of 5x5), at about a tenth of the direct cost.
#
# ## 3. Added non-linearity: NiN's mlpconv block
#
# Network in Network (Lin, Chen and Yan, 2013) replaces each plain convolution with an *mlpconv* layer: a small
# multilayer perceptron slid over the image. Its first layer looks at a k x k window; the layers after it look at
# one pixel, so they are 1x1 convolutions, each followed by a ReLU (the paper itself notes this equivalence).
# Each output is then a multilayer, non-linear function of its k x k input window. A plain convolution followed by
# a ReLU is one linear filter and one non-linearity, what the paper calls a *generalized linear model*; the paper
# argues that this is enough only when the patterns a filter must tell apart are linearly separable, and the
# extra 1x1 layers lift that limit.
# `models.MLPConv` is one such block: a k x k convolution, then two 1x1 convolutions.

# %%
print(models.MLPConv(96, 256, kernel_size=5, padding=2))

# %% [markdown]
# ### Global average pooling
#
# NiN's last mlpconv outputs **one map per class**, and global average pooling turns each map into one score,
# its mean over all positions. Nothing after it has weights: no fully connected layer at all. The paper argues
# that this ties each map to a category, leaves no parameters to overfit in the classifier, and makes the result
# insensitive to where in the image the evidence sits. One practical consequence shows below: the average is
# defined for a map of any size, so the same network accepts larger images, while a flatten followed by a
# fully connected layer expects exactly the number of features it was built for.

# %%
maps = torch.randn(2, 10, 7, 7)                       # N x classes x H x W
gap = nn.AdaptiveAvgPool2d(1)
print("GAP output:", tuple(gap(maps).shape), "| equals the mean over H and W:",
      torch.allclose(gap(maps).flatten(1), maps.mean(dim=(2, 3))))
print("GAP parameters:", sum(p.numel() for p in gap.parameters()))

small_nin = models.mnist_nin()
for size in (28, 36):
    t = cl.trace(small_nin, (1, 1, size, size))
    print(f"MNIST NiN on {size}x{size}: class maps {t.row('features.5.mlp2.0').output_shape[2:]} -> output {t.output_shape}")

# %% [markdown]
# ## 4. NiN against AlexNet at 224x224: parameters and compute
#
# Three networks, all built on the meta device and traced (no memory for the weights):
#
# - **NiN (ImageNet)**: the four-block model the NiN authors released for ImageNet with Caffe; the paper itself
#   reports CIFAR-10, CIFAR-100, SVHN and MNIST. `models.nin()`.
# - **AlexNet, 2012 paper**: 96-256-384-384-256 filters, with conv2, conv4 and conv5 split into two groups, one
#   per GPU (each filter sees half the channels). `alexnet_two_tower()` from lesson 01.
# - **AlexNet, torchvision**: 64-192-384-256-256 filters, no groups. torchvision bases it on Krizhevsky's 2014
#   "one weird trick" single-GPU variant, but that paper's footnote gives conv4 384 filters, not 256; torchvision's
#   256 follow Krizhevsky's single-GPU code and stayed so that the pretrained weights still load
#   (pytorch/vision pull request 463). `alexnet()` from lesson 01.
#
# Mult-adds are the tracer's (torchinfo's convention, biases included).

# %%
with torch.device("meta"):
    big_nin, alex_paper, alex_tv = models.nin(), alexnet_two_tower(), alexnet()
tables = {name: cl.trace(m, (1, 3, 224, 224)) for name, m in
          [("NiN (ImageNet)", big_nin), ("AlexNet, 2012 paper", alex_paper), ("AlexNet, torchvision", alex_tv)]}
print(f"{'model':22s} {'parameters':>12s} {'mult-adds':>15s}  output")
for name, t in tables.items():
    print(f"{name:22s} {t.total_params:12,d} {t.total_mult_adds:15,d}  {t.output_shape}")

t_nin, t_alex = tables["NiN (ImageNet)"], tables["AlexNet, torchvision"]
for name in ("AlexNet, 2012 paper", "AlexNet, torchvision"):
    print(f"{name} has {tables[name].total_params / t_nin.total_params:.1f}x the parameters of NiN")
for name, m in [("NiN (ImageNet)", big_nin), ("AlexNet, 2012 paper", alex_paper), ("AlexNet, torchvision", alex_tv)]:
    print(f"{name:22s} filters per k x k convolution:",
          [c.out_channels for c in m.modules() if isinstance(c, nn.Conv2d) and c.kernel_size != (1, 1)])
print("\nAlexNet (torchvision), parameters by part:")
for g in t_alex.by_group(1):
    print(f"  {g.name:10s} {g.params:11,d} ({100 * g.params / t_alex.total_params:.1f}%)")
for r in t_alex.layers:
    if r.path.startswith("classifier") and r.params:
        print(f"    {r.path:14s} {r.params:11,d}  {alex_tv.get_submodule(r.path)}")

# %%
alex_fc = sum(g.params for g in t_alex.by_group(1) if g.name == "classifier")
assert alex_fc / t_alex.total_params > 0.95
assert 7 < t_alex.total_params / t_nin.total_params < 9
assert not any(isinstance(m, nn.Linear) for m in big_nin.modules())

# %% [markdown]
# Over 95% of torchvision AlexNet's parameters sit in its three fully connected layers (the 2012 paper's AlexNet
# has the same three); the first alone maps 256 x 6 x 6
# features to 4,096 units. NiN has none: global average pooling has no parameters, so NiN needs about 8x fewer.
#
# Fewer parameters is not less work. NiN does more multiply-adds than either AlexNet. Are its many 1x1 layers the
# reason? The tracer says where the work is, layer by layer:

# %%
print(f"{'NiN layer':18s} {'kernel':>7s} {'output':>17s} {'parameters':>11s} {'mult-adds':>13s}")
for row in t_nin.layers:
    module = big_nin.get_submodule(row.path)
    if isinstance(module, nn.Conv2d):
        k = "x".join(map(str, module.kernel_size))
        print(f"{row.path:18s} {k:>7s} {str(tuple(row.output_shape[1:])):>17s} {row.params:11,d} {row.mult_adds:13,d}")

by_kernel = lesson.conv_mult_adds_by_kernel(big_nin, (1, 3, 224, 224))
one = by_kernel["1x1"]
spatial = sum(v for k, v in by_kernel.items() if k != "1x1")
block2 = t_nin.row("features.2.conv.0").mult_adds
print(f"\nthe eight 1x1 layers:            {one:13,d} ({100 * one / t_nin.total_mult_adds:.0f}% of NiN's {t_nin.total_mult_adds:,})")
print(f"the four 11x11, 5x5, 3x3 layers: {spatial:13,d} ({100 * spatial / t_nin.total_mult_adds:.0f}%)")
print(f"block 2's 5x5 convolution alone: {block2:13,d} ({100 * block2 / t_nin.total_mult_adds:.0f}%)")
print(f"AlexNet, torchvision, in total:  {t_alex.total_mult_adds:13,d}")
print(f"AlexNet, 2012 paper, in total:   {tables['AlexNet, 2012 paper'].total_mult_adds:13,d}")

# %%
assert one + spatial == t_nin.total_mult_adds
assert one < 0.3 * t_nin.total_mult_adds < spatial
assert spatial > t_alex.total_mult_adds and block2 > 0.35 * t_nin.total_mult_adds

# %% [markdown]
# The compute is in NiN's ordinary convolutions, not in its 1x1 layers: the eight 1x1 layers do about a quarter of
# the multiply-adds, the four k x k convolutions about three quarters, and those four alone already exceed the
# whole of torchvision's AlexNet. Two reasons, both visible above. NiN keeps the 2012 paper's wide filters (96,
# then 256 in a 5x5 convolution on a 27 x 27 map, the most expensive layer by far) without the paper's split into
# two groups, which halved AlexNet's conv2, conv4 and conv5; torchvision's AlexNet is narrower (64, 192). And NiN's
# last block runs a 3x3 convolution to 1,024 channels where AlexNet has fully connected layers; those use each
# weight once per image (one multiply-add per weight), so for all their parameters they do little of the work. The 1x1 layers are cheap relative to the
# k x k ones because each of their outputs needs C_in multiply-adds, where a k x k layer's needs k x k x C_in.
#
# ## 5. Training an MNIST-sized NiN
#
# `models.mnist_nin()` has three mlpconv blocks (a 5x5, then two 3x3 convolutions, each followed by two 1x1
# layers), ends with 10 maps of 7x7 and averages each map to one score. Unlike the 2013 paper it has BatchNorm
# after each convolution; with it, the net trains in a few hundred steps.

# %%
mnist_model = models.mnist_nin()
cl.trace(mnist_model, (1, 1, 28, 28), depth=2)

# %%
x_train, y_train = cl.load_mnist("train", subset=None if FULL else 10_000)
x_test, y_test = cl.load_mnist("test", subset=None if FULL else 2_000)
STEPS = 1_000 if FULL else 200
print(f"{len(x_train):,} training images, {len(x_test):,} test images, {STEPS} steps of 64")

# %% [markdown]
# The live curves are those of lesson 00: the training curve is measured on each batch during training (train
# mode), the test curve at each evaluation, here four times in the run.

# %% tags=["nbval-ignore-output"]
cl.seed_everything(0)
hist = cl.fit(mnist_model, (x_train, y_train), (x_test, y_test), steps=STEPS, batch_size=64, optimizer="adam",
              lr=3e-3, schedule="onecycle", eval_every=STEPS // 4, seed=0, device=device, label="MNIST NiN")
print(f"final test accuracy {100 * hist.final_test_acc:.2f}%")

# %%
assert hist.final_test_acc > 0.90, "NiN should pass 90% on MNIST after a couple hundred steps"
assert hist.step_loss[-1] < hist.step_loss[0] / 2, "the training loss should have fallen"

# %% [markdown]
# ### The class maps before global average pooling
#
# Each of the 10 maps of the last block is one class's score at every position. For a test digit, the map of its
# own class should be the brightest (all maps share one colour scale):

# %% tags=["nbval-ignore-output"]
mnist_model.eval().cpu()
digit = x_test[0]
with torch.no_grad():
    class_maps = mnist_model.features(digit[None])[0]           # 10 x 7 x 7
print("label:", int(y_test[0]), "| brightest map (highest average):", int(class_maps.mean(dim=(1, 2)).argmax()))
cl.show_feature_maps(mnist_model, digit, "features.5", max_channels=10, ncols=10)

# %%
with torch.no_grad():
    means = mnist_model.features(x_test[:500]).mean(dim=(2, 3))   # global average pooling by hand: 500 x 10
assert (means.argmax(1) == y_test[:500]).float().mean() > 0.9
print("the brightest class map names the right digit for more than 90% of 500 test images")

# %% [markdown]
# ## 6. Play: mix the channels of a real feature map
#
# The trained net's first block starts with a 5x5 convolution to 32 channels (then BatchNorm and ReLU): 32
# feature maps of 28 x 28 per digit. Its next layer, `features.0.mlp1`, is a 1x1 convolution with 32 outputs; each
# output mixes those 32 maps with its own 32 weights. The widget below is one such output, restricted to four of
# the maps (chosen because they are active and differ): each slider is a weight, plus a bias and the ReLU.
#
# *Questions to answer by playing:*
# 1. Try to make the output light up on the background, far from the stroke, where all four maps are 0. Which
#    control can do it, and what does it do to every other background pixel at the same time?
# 2. Find weights that keep only the parts of the digit one channel sees and another does not. Which sign must
#    each weight have, and what does the ReLU do to the rest?
# 3. Can any setting make the output respond one pixel to the left of where the inputs respond?

# %% tags=["nbval-ignore-output"]
mixer = widgets.channel_mixer(mnist_model, x_test[:12], y_test[:12], layer="features.0.conv")
print("mixing channels", mixer.channels, "of", tuple(mnist_model.features[0].conv[0].weight.shape),
      "| the trained 1x1 layer after them:", tuple(mnist_model.features[0].mlp1[0].weight.shape))
mixer

# %% [markdown]
# The widget is a 1x1 convolution: set from code, its map equals `nn.Conv2d(4, 1, kernel_size=1)` with the
# sliders' weights and bias, applied to the same four maps.

# %%
mixer.weights[0].value, mixer.weights[1].value, mixer.bias.value = 0.8, -1.2, 0.1
one_output = nn.Conv2d(len(mixer.channels), 1, kernel_size=1)
with torch.no_grad():
    one_output.weight.copy_(torch.tensor(mixer.w).view(1, -1, 1, 1))
    one_output.bias.fill_(mixer.bias.value)
    by_conv = torch.relu(one_output(torch.from_numpy(mixer.maps[mixer.image.value])[None]))[0, 0]
assert torch.allclose(by_conv, torch.from_numpy(mixer.output()), atol=1e-5)
print("widget == nn.Conv2d(4, 1, kernel_size=1) + ReLU:", True)
mixer.weights[0].value, mixer.weights[1].value, mixer.bias.value = 1.0, 0.0, 0.0   # back to the first view

# %% [markdown]
# ## 7. Common mistakes
#
# **Calling multiply-adds "parameters".** The formula H x W x C_out x k x k x C_in counts work: each weight is used
# once per output pixel. The layer's size is the same product without H x W. Quoting the 5x5 convolution of
# section 2 as "120 million parameters" is off by a factor of 28 x 28:

# %%
claimed = H * W * 32 * 5 * 5 * 192          # the work, written down as if it were the size
actual = sum(p.numel() for p in direct.parameters())
print(f"'parameters' claimed: {claimed:,}; parameters in the layer: {actual:,}; ratio {claimed // actual} = {H} x {W}")
assert claimed // actual == H * W

# %% [markdown]
# **Computing the cost on the input's size when the convolution shrinks the map.** Without padding a 5x5
# convolution turns 28 x 28 into 24 x 24, and the work follows the output: H x W in the formula is the output's
# size. Ask the tracer rather than assume:

# %%
for padding in (0, 2):
    t = cl.trace(nn.Conv2d(192, 32, kernel_size=5, padding=padding, bias=False), (1, 192, H, W))
    out_h, out_w = t.output_shape[2:]
    print(f"padding={padding}: output {out_h}x{out_w}, mult-adds {t.total_mult_adds:,} "
          f"(formula on the output size: {lesson.conv_mult_adds(192, 32, 5, out_h, out_w):,})")

# %% [markdown]
# **A bottleneck wider than the break-even width.** A 1x1 reduction only pays while it reduces enough: at 160 of
# 192 channels, above the 154.8 of section 2, the pair costs more than the direct 5x5 it was meant to save:

# %%
print(f"break-even width (section 2): {c_even:.1f}")
for c in (16, 160):
    cost = lesson.bottleneck_mult_adds(192, c, 32, 5, H, W)
    verdict = "cheaper" if cost < t_direct.total_mult_adds else "MORE expensive"
    print(f"bottleneck of {c:3d}: {cost:12,d} mult-adds, {verdict} than the direct 5x5 ({t_direct.total_mult_adds:,})")

# %% [markdown]
# ## 8. Exercises
#
# Replace each `None` with your answer, run the cell, and read the check's answer. `lesson.exercise_N.hint()`
# shows a hint, one more each time you call it.
#
# **Exercise 1 (predict).** How many parameters does `nn.Conv2d(160, 48, kernel_size=1)` have, biases included?
# Work it out by hand. *Answer: a whole number.*

# %%
answer = None  # your answer: a whole number
lesson.exercise_1.check(answer)

# %% [markdown]
# **Exercise 2 (predict).** How many multiply-adds does a 1x1 bottleneck from 256 to 64 channels followed by a 3x3
# convolution to 128 channels cost on a 14 x 14 input (stride 1, 'same' padding, biases left out)? Predict it with
# the formula, then check it with `cl.trace(lesson.ReducedConv(256, 64, 128, k=3), (1, 256, 14, 14))` (which counts
# no biases: the bottleneck has none). *Answer: a whole number, exact.*

# %%
answer = None  # your answer: a whole number
lesson.exercise_2.check(answer)

# %% [markdown]
# **Exercise 3.** For a 3x3 convolution from 64 to 64 channels, at which bottleneck width c does the 1x1 + 3x3 pair
# cost exactly as much as the direct 3x3 (stride 1, 'same' padding, biases left out, as in section 2; the image
# size cancels)? *Answer: a number with one decimal (the width where the costs are equal
# need not be a whole number); within 0.05.*

# %%
answer = None  # your answer: a number with one decimal
lesson.exercise_3.check(answer)

# %% [markdown]
# **Exercise 4 (build).** Build NiN's ending for a 64 x 7 x 7 feature map and 10 classes, as an `nn.Module`
# (an `nn.Sequential` is fine): a 1x1 convolution from 64 to 64 channels with a ReLU, a 1x1 convolution from 64 to
# 10 channels (one map per class), then global average pooling and a flatten, so that a batch of N maps gives
# N x 10 scores. The check runs it on a random 2 x 64 x 7 x 7 input with its own weights copied in.
# *Answer: an nn.Module.*

# %%
answer = None  # your answer: an nn.Module, e.g. nn.Sequential(...)
lesson.exercise_4.check(answer)

# %% [markdown]
# **Exercise 5 (measure).** What share of the MNIST NiN's multiply-adds (the tracer's total for one 1 x 28 x 28
# image) do its 1x1 convolutions do? Compare with the ImageNet NiN's share in section 4, and explain the
# difference. *Answer: a percentage with one decimal, within 0.5 points.*

# %%
answer = None  # your answer: a percentage, e.g. 12.3
lesson.exercise_5.check(answer)

# %% [markdown]
# ## References
#
# - Min Lin, Qiang Chen, Shuicheng Yan. *Network In Network.* ICLR 2014. [arXiv:1312.4400](https://arxiv.org/abs/1312.4400)
# - The NiN ImageNet model released by the authors: [Caffe Model Zoo, Network in Network](https://github.com/BVLC/caffe/wiki/Model-Zoo#network-in-network-model)
# - Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton. *ImageNet Classification with Deep Convolutional Neural
#   Networks.* NeurIPS 2012. [proceedings](https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html)
# - Alex Krizhevsky. *One weird trick for parallelizing convolutional neural networks.* 2014.
#   [arXiv:1404.5997](https://arxiv.org/abs/1404.5997) (the variant torchvision's AlexNet is based on; its conv4 differs, section 4)
# - Christian Szegedy et al. *Going Deeper with Convolutions.* CVPR 2015. [arXiv:1409.4842](https://arxiv.org/abs/1409.4842)
#   (1x1 reductions in the Inception block: lesson 04)

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
