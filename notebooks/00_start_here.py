# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/00_start_here.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/00_start_here.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/00_start_here.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 00 · Start here: the tools, on a tiny CNN
#
# This notebook trains one small convolutional network and shows every tool the later lessons use.
#
# **What you will learn**
# - write the plain PyTorch training loop (a `DataLoader`, `zero_grad`, `backward`, `step`), and check that
#   `cl.fit`, the loop the later lessons use, computes the same thing;
# - read the live training curves, and why training accuracy can sit *below* test accuracy early in a run;
# - read `cl.trace`'s table (shapes, parameters, mult-adds, receptive field, jump) and `cl.doctor`'s report;
# - see what a convolution computes, pixel by pixel, and what a trained network answers to a digit you draw;
# - recognise three common mistakes (softmax before the loss, a layer built in `forward`, a wrong `in_features`).
#
# **What you need:** Python, and PyTorch basics (tensors, `nn.Module`). No earlier lesson.

# %% tags=["nbval-ignore-output"]
import copy
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

import cnnlessons as cl
from cnnlessons.lessons import start_here as lesson
from cnnlessons.models import start_here as models
from cnnlessons.widgets import start_here as widgets

FULL = False  # True: train on all 60,000 images (minutes on a CPU)
device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)

# %% [markdown]
# The line above names the device PyTorch computes on: a CUDA GPU, an Apple GPU (`mps`), or the CPU.
# Everything here also runs on a laptop CPU.
#
# ## 1. The data
#
# MNIST (LeCun et al., 1998): 28 x 28 grey images of handwritten digits, 60,000 for training and 10,000 for
# testing. They ship with the package, no download. `cl.load_mnist` returns the images as one float tensor,
# normalized (mean 0, standard deviation 1 over the training set), and the labels as integers. `subset=n` picks a
# stratified sample: every digit keeps its share.

# %%
x_train, y_train = cl.load_mnist("train", subset=None if FULL else 6_000)
x_test, y_test = cl.load_mnist("test", subset=None if FULL else 2_000)
print(f"train images {tuple(x_train.shape)} {x_train.dtype}, labels {tuple(y_train.shape)} {y_train.dtype}")
print(f"test images  {tuple(x_test.shape)}")
print("training images per digit:", torch.bincount(y_train).tolist())
print(f"pixel mean {x_train.mean():.2f}, std {x_train.std():.2f} (after normalizing)")

# %%
cl.show_digits(x_train, y_train, n=16, title="The first 16 training digits")

# %% [markdown]
# ## 2. The model
#
# `TinyCNN` stacks two blocks. Each block is a 3 x 3 convolution (padded, so the height and width stay),
# BatchNorm, ReLU, and a 2 x 2 max-pool that halves the height and width. A linear layer turns the last
# block's 32 x 7 x 7 numbers into 10 class scores (*logits*; softmax turns them into probabilities).
# The code is short: `cnnlessons/models/start_here.py`. Here is the printed structure.

# %%
torch.manual_seed(0)
model = models.TinyCNN()
print(model)

# %% [markdown]
# ## 3. Train it by hand: the plain PyTorch loop
#
# Every PyTorch training loop has the same five lines at its heart. For each batch of images:
#
# 1. `optimizer.zero_grad()`: forget the previous batch's gradients (PyTorch adds new gradients to old ones);
# 2. `scores = model(images)`: the forward pass;
# 3. `loss = loss_fn(scores, labels)`: one number saying how wrong the scores are;
# 4. `loss.backward()`: the gradient of that number with respect to every parameter;
# 5. `optimizer.step()`: move every parameter a little against its gradient.
#
# A `DataLoader` cuts the training set into shuffled batches. `model.train()` and `model.eval()` switch the
# layers that behave differently in training: BatchNorm normalizes with the batch's own statistics in
# training and with running averages in evaluation (Dropout, in later lessons, drops units only in
# training). Evaluation runs under `torch.no_grad()`: no backward pass will follow, so PyTorch keeps no
# record of the computation. We keep a copy of the starting weights, to train the same network again below.

# %% tags=["nbval-ignore-output"]
start_weights = copy.deepcopy(model.state_dict())
model.to(device)
train_set = TensorDataset(x_train, y_train)
order = torch.Generator().manual_seed(0)   # fixes the shuffling, so the run below can follow the same order
loader = DataLoader(train_set, batch_size=64, sampler=RandomSampler(train_set, generator=order))
test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()            # softmax + negative log-likelihood, on the raw scores

hand_losses, hand_time = [], 0.0
for epoch in range(2):
    model.train()
    t0 = time.perf_counter()
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        scores = model(images)             # N x 10 scores
        loss = loss_fn(scores, labels)
        loss.backward()
        optimizer.step()
        hand_losses.append(loss.item())
    hand_time += time.perf_counter() - t0  # training time only; the evaluation below is not counted

    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            correct += (model(images.to(device)).argmax(1) == labels.to(device)).sum().item()
    hand_acc = correct / len(y_test)
    print(f"epoch {epoch + 1}: {len(hand_losses)} steps so far, last batch loss {loss.item():.3f}, "
          f"test accuracy {hand_acc:.2%}")
print(f"training took {hand_time:.1f} s")

# %% [markdown]
# ## 4. The same run with `cl.fit`
#
# `cl.fit` is that loop, made faster and given a display. It trains in place and returns a `History` with
# every number it measured. Below it trains a second copy of the *same starting weights*, with the same
# optimizer (Adam, learning rate 0.001), the same batch size and the same shuffled order (its `seed=0` draws
# the same permutation as the `DataLoader`'s generator above). If it computes the same thing, the two runs'
# losses must agree step by step, up to rounding.

# %% tags=["nbval-ignore-output"]
twin = models.TinyCNN()
twin.load_state_dict(start_weights)
hist = cl.fit(twin, (x_train, y_train), epochs=2, batch_size=64, optimizer="adam", lr=1e-3, seed=0,
              device=device, live=False, progress=False)
fit_loss, fit_acc = cl.evaluate(twin, (x_test, y_test))

first = slice(0, 5)
print("first 5 losses, by hand:", [round(l, 4) for l in hand_losses[first]])
print("first 5 losses, cl.fit: ", [round(l, 4) for l in hist.step_loss[first]])
gap20 = max(abs(a - b) for a, b in zip(hand_losses[:20], hist.step_loss[:20]))
print(f"largest difference over the first 20 steps: {gap20:.1e}")
print(f"test accuracy after 2 epochs: by hand {hand_acc:.2%}, cl.fit {fit_acc:.2%}")
print(f"training time: by hand {hand_time:.2f} s, cl.fit {hist.train_time:.2f} s "
      f"({hand_time / hist.train_time:.1f}x faster)")

# %%
# What must hold on any machine: the same losses at the start (rounding differs between the two
# memory layouts, and on a GPU), and test accuracies close after two epochs.
assert gap20 < 0.02, gap20
assert abs(hand_acc - fit_acc) < 0.015, (hand_acc, fit_acc)
assert hist.step_loss[-1] < hist.step_loss[0] / 5
print("Same losses step by step at the start, and test accuracies within 1.5 points after 2 epochs.")

# %% [markdown]
# The losses agree to rounding at the start; later the tiny rounding differences grow a little, as they do
# between any two runs that add numbers in a different order, and the two final accuracies printed above
# are close (the check above allows 1.5 points).
# The speed-up printed above (it varies with the machine) can come from three things:
# - the images stay in **one tensor** on the device and each batch is a slice of a shuffled index (the
#   `DataLoader` fetches 64 single images and stacks them for every batch);
# - on a CPU, `cl.fit` stores images and activations **channels last** (N x H x W x C in memory), a layout
#   the CPU's convolution kernels usually run faster on;
# - on a CUDA GPU, it records the whole training step once as a **CUDA graph** and replays it, which removes
#   most of Python's overhead per step.
#
# From here on the lessons use `cl.fit`. Its arguments (epochs or `steps`, `batch_size`, `optimizer`,
# `lr`, `seed`...) are the ones of the loop above.
#
# ## 5. Live curves: what they plot
#
# With test data, `cl.fit` draws the loss and the accuracy as it trains. A fresh TinyCNN, 3 epochs, an
# evaluation every 30 steps:

# %% tags=["nbval-ignore-output"]
torch.manual_seed(0)
model = models.TinyCNN()
hist = cl.fit(model, (x_train, y_train), (x_test, y_test), epochs=3, batch_size=64, optimizer="adam",
              eval_every=30, device=device)

# %% [markdown]
# How to read the two panels:
# - **train** (blue): the mean loss and accuracy of the *training batches since the previous evaluation*,
#   measured while training, in train mode, with weights that changed after every batch. Early in the run
#   this averages over batches seen by worse weights.
# - **test** (orange): the whole test set, measured at that step with the current weights, in eval mode.
#
# So early in a run the training curve lags behind the network it describes, and the training accuracy can
# sit *below* the test accuracy although the network has seen the training images and not the test
# images. Measured again in eval mode at the end, training accuracy is the higher one:

# %% tags=["nbval-ignore-output"]
print(f"first evaluation (step {hist.eval_step[0]}): train {hist.train_acc[0]:.2%} (batches so far), "
      f"test {hist.test_acc[0]:.2%}")
train_loss_eval, train_acc_eval = cl.evaluate(model, (x_train, y_train))
print(f"end of training (step {hist.eval_step[-1]}): train {hist.train_acc[-1]:.2%} (last batches), "
      f"test {hist.test_acc[-1]:.2%}")
print(f"the whole training set in eval mode at the end: {train_acc_eval:.2%}")

# %%
assert hist.train_acc[0] < hist.test_acc[0], "the first average lags behind the network"
assert hist.final_test_acc > 0.95, hist.summary()
assert train_acc_eval > hist.final_test_acc
print("Train below test at the first evaluation; above 95% test accuracy; in eval mode, train above test at the end.")

# %% [markdown]
# ## 6. Measure it: `cl.trace`
#
# `cl.trace(model, input_size)` runs one input through the model and records a row per layer. It allocates
# nothing big: by default it runs on PyTorch's `meta` device, which tracks shapes without any numbers, so
# full-size ImageNet networks trace in a blink.

# %%
table = cl.trace(model, (1, 1, 28, 28))
table

# %% [markdown]
# The columns:
# - **Output shape**: the layer's output for a batch of one (N x C x H x W).
# - **Params**: the numbers the layer learns: weights, biases, BatchNorm's scale and shift (2 per channel).
# - **Mult-adds**: multiply-accumulate operations for one image, the usual measure of compute.
#   A convolution does one per weight per output position: `(weights + biases) x H_out x W_out`.
#   A linear layer does one per weight (its biases counted too). Layers that only compare or copy (ReLU,
#   max-pool, flatten) count 0. **BatchNorm** is listed with 2 per channel: the table follows `torchinfo`'s
#   convention of counting its parameters once per image, which is *not* its real work (exercise 2 asks
#   for that). BatchNorm is cheap either way, and at inference it can be folded into the convolution before it.
# - **RF** (receptive field): the side of the square of input pixels that one output value depends on.
# - **Jump**: how many input pixels apart two neighbouring outputs of the layer sit (the product of the
#   strides so far). A k x k layer widens the receptive field by `(k - 1) x jump`, then multiplies the jump
#   by its stride. That is why block2's 3 x 3 convolution adds 4, not 2: after the first pool, its
#   neighbouring inputs are 2 pixels apart.
#
# The rows below recompute a few entries from these rules:

# %%
conv1, bn2, conv2, pool1 = (table.row(p) for p in ("block1.conv", "block2.bn", "block2.conv", "block1.pool"))
print(f"block1.conv mult-adds: {conv1.params} weights x 28 x 28 = {conv1.params * 28 * 28:,} (table: {conv1.mult_adds:,})")
print(f"block2.conv RF: {pool1.rf} + (3 - 1) x {pool1.jump} = {pool1.rf + 2 * pool1.jump} (table: {conv2.rf})")
c, h, w = table.row("block2.bn").output_shape[1:]
print(f"block2.bn: table {bn2.mult_adds} (2 x {c} channels); real work in eval mode {c} x {h} x {w} = {c * h * w:,} multiply-adds")

# %% [markdown]
# `depth=1` sums the layers of each block into a **group row** (type `(group)`): its parameters and
# mult-adds are its layers' totals, its shape, RF and jump those of its last layer.

# %%
print(cl.trace(model, (1, 1, 28, 28), depth=1))
for group in table.by_group(depth=1):
    print(f"{group.name:11s} {group.params / table.total_params:6.1%} of the parameters, "
          f"{group.mult_adds / table.total_mult_adds:6.1%} of the mult-adds")

# %% [markdown]
# The split is lopsided in opposite directions: the convolutions do most of the work (each 3 x 3 filter
# slides over every pixel), while the linear classifier holds most of the parameters (each of its 1,568
# inputs connects to each of the 10 outputs) and costs little compute. Later lessons show the fix: NiN replaces
# that big linear layer by global average pooling, and GoogLeNet keeps only one small linear layer after it.
#
# ## 7. Check it: `cl.doctor`
#
# `cl.doctor(model, input_size)` runs two small random batches through the model in training mode and
# watches every layer call. It reports layers defined but never used, layers built inside `forward`, layers
# kept in a plain Python list (invisible to the optimizer), an output that is already a softmax, half-frozen
# layers, and shapes hard-coded for one batch size. An empty report prints `No problems found.`; section 10
# shows it finding problems.

# %%
print(cl.doctor(model, (1, 1, 28, 28)))

# %% [markdown]
# ## 8. Look inside: feature maps and filters
#
# A layer's output for one image is a stack of *feature maps*, one per channel. `cl.show_feature_maps` hooks
# the layer you name, runs the image through the network and draws every channel on one colour scale, so a
# bright panel really is a stronger response than a dim one. Names are the paths `print(model)` shows
# (`"block1.relu"`); a wrong name gets the list of valid ones.

# %%
cl.show_feature_maps(model, x_test[0], "block1.relu", max_channels=16)

# %%
_, maps = cl.viz.capture_output(model, x_test[0], "block1.relu")
print(f"block1.relu gives {maps.shape[1]} maps of {maps.shape[2]} x {maps.shape[3]}; after ReLU the smallest value is {maps.min():.1f}")

# %% [markdown]
# The first convolution's 16 kernels are 3 x 3 weights each. Red is positive, blue negative: a kernel with a
# red row above a blue row responds to a horizontal edge with the bright side up.

# %%
cl.show_filters(model)

# %% [markdown]
# ## 9. Play
#
# ### A convolution, one output pixel at a time
#
# Pick an output pixel with the sliders and a kernel from the list. The widget shows the 3 x 3 window of
# input pixels that output reads (orange box, left), the kernel, the nine products and their sum: that sum
# *is* the output value (orange box, right; orange positive, purple negative). The input is a test digit with
# pixel values from 0 (black) to 1 (white); the light-blue frame is the padding, zeros added around the image.
#
# *Question to answer by playing:* with the vertical-edge kernel, find the output pixel with the largest
# value and the one with the most negative value along one stroke. On which side of the stroke does each sit,
# and why does a window lying entirely on the black background always give exactly 0? Then set the padding
# to 0: what happens to the output's size, and to the sliders' last rows?

# %% tags=["nbval-ignore-output"]
digit = x_test[0, 0] * 0.3081 + 0.1307     # undo the normalization: pixel values 0..1
conv_widget = widgets.conv_step(digit)
conv_widget

# %%
# What the widget shows is what nn.Conv2d computes: its sum equals the output map at every pixel tried.
for r, c in ((0, 0), (5, 20), (14, 14), (27, 27)):
    conv_widget.row.value, conv_widget.col.value = r, c
    assert abs(conv_widget.result["sum"] - conv_widget.result["output"]) < 1e-5
conv_widget.row.value, conv_widget.col.value = 14, 14
print("the hand-computed sum equals the convolution's output at each pixel tried")

# %% [markdown]
# ### Draw a digit
#
# Draw a digit with the mouse in the black square (each press of the button is one stroke; "clear" starts
# again). After each stroke the trained TinyCNN above answers: its probabilities for the ten digits, and the
# feature maps of the layer you choose, next to the 28 x 28 image the network actually receives.
#
# Your drawing is prepared the way MNIST's digits were (LeCun et al., 1998) before the network sees it:
# cropped to the ink, scaled so its longer side is 20 pixels, and placed in a 28 x 28 image with its centre of
# mass in the middle. The "centre like MNIST" box switches that preparation off; then the drawing is only
# shrunk to 28 x 28.
#
# *Questions to answer by playing:* draw a small digit near a corner. What does the network answer with
# "centre like MNIST" ticked, and unticked, and why? Then draw a 7 with and without a bar across its middle,
# or a 4 closed and open at the top: which strokes change the answer?

# %% tags=["nbval-ignore-output"]
canvas = widgets.digit_canvas(model)
canvas

# %%
# The canvas in code: one stroke (a list of (x, y) points in canvas pixels), as the mouse would draw it.
canvas.add_stroke([(140, 40), (140, 240)])
assert canvas.prediction is not None and abs(float(canvas.probs.sum()) - 1) < 1e-5
canvas.clear()
assert canvas.prediction is None
print("a stroke gives 10 probabilities summing to 1; clear() empties the canvas")

# %% [markdown]
# ### What do channels cost?
#
# Each slider sets a channel count of `TinyCNN(channels=(c1, c2))`. Every change rebuilds the network on the
# `meta` device and shows its parameters, mult-adds and output shape; the bars show each part's share.
# Drag a slider, or click its number and type one.
#
# *Questions to answer by playing:* doubling `c2` doubles which parts' parameters, and leaves which
# unchanged? Doubling `c1` raises the mult-adds of which block the most, and why does block2 grow too?

# %% tags=["nbval-ignore-output"]
cost_widget = cl.channel_explorer(
    lambda c1, c2: models.TinyCNN(channels=(c1, c2)),
    input_size=(1, 1, 28, 28),
    title="TinyCNN(channels=(c1, c2))",
    c1=(4, 64, 4, 16),
    c2=(4, 128, 4, 32),
)
cost_widget

# %%
assert cost_widget.result["params"] == table.total_params  # at the default (16, 32): the trace's count
print("at c1=16, c2=32 the widget counts what cl.trace counted")

# %% [markdown]
# ## 10. Common mistakes
#
# ### Softmax before `CrossEntropyLoss`
#
# `nn.CrossEntropyLoss` (and `F.cross_entropy`) applies a (log-)softmax to the scores it gets. A network
# that ends with its own softmax gets squashed twice: even a perfect, fully confident prediction cannot
# score a low loss, so the gradients stay small.

# %%
perfect = torch.eye(10) * 100.0       # scores for 10 images, each certain of its right class
labels = torch.arange(10)
print(f"cross_entropy(scores)          = {F.cross_entropy(perfect, labels):.3f}")
print(f"cross_entropy(softmax(scores)) = {F.cross_entropy(perfect.softmax(dim=1), labels):.3f}")
print(cl.doctor(nn.Sequential(models.TinyCNN(), nn.Softmax(dim=1)), (1, 1, 28, 28)))


# %% [markdown]
# The doctor catches the softmax output. Trained for 60 steps each (SGD, learning rate 0.02, momentum 0.9,
# batch 64, seeds 0, 1, 2), the mistake against the fix:

# %% tags=["nbval-ignore-output"]
def double_softmax(scores, labels):     # the mistake: probabilities handed to cross_entropy
    return F.cross_entropy(scores.softmax(dim=1), labels)

mistake = {}
for seed in (0, 1, 2):
    for name, loss in (("softmax + cross_entropy", double_softmax), ("cross_entropy on scores", None)):
        torch.manual_seed(seed)
        net = models.TinyCNN()
        run = cl.fit(net, (x_train, y_train), steps=60, batch_size=64, loss_fn=loss, seed=seed, device=device,
                     live=False, progress=False)
        mistake[name, seed] = (min(run.step_loss), cl.evaluate(net, (x_test, y_test))[1])
for name in ("softmax + cross_entropy", "cross_entropy on scores"):
    accs = [mistake[name, s][1] for s in (0, 1, 2)]
    print(f"{name:24s} lowest training loss {min(mistake[name, s][0] for s in (0, 1, 2)):.3f}; test accuracy "
          + " / ".join(f"{a:.1%}" for a in accs) + f" (mean {sum(accs) / 3:.1%})")

# %%
mean_acc = {name: sum(mistake[name, s][1] for s in (0, 1, 2)) / 3
            for name in ("softmax + cross_entropy", "cross_entropy on scores")}
assert mean_acc["cross_entropy on scores"] > mean_acc["softmax + cross_entropy"] + 0.03, mean_acc
assert all(mistake["softmax + cross_entropy", s][0] > 1.46 for s in (0, 1, 2))  # the floor shown above
print("The mistake's loss never goes below the floor of 1.46, and the fix learns faster on average.")

# %% [markdown]
# The mistake's loss cannot go below 1.461 however right the network is. It still learns (the argmax of a
# softmax is the argmax of the scores), but with squashed gradients, so more slowly, and how much more slowly
# varies a lot between seeds, as the three runs show.
#
# **Fix:** give the loss the raw scores (logits); use `softmax` only to read probabilities, as the drawing
# widget does.
#
# ### A layer built inside `forward`
#
# `lesson.LayerBuiltInForward` creates its classifier *inside* `forward`:
# `classifier = nn.Linear(1568, 10)` runs on every call. Each call therefore uses a new, random layer:
# its weights are not in `model.parameters()`, the optimizer never sees them, and the same image gets
# different scores each time.

# %%
torch.manual_seed(0)
broken = lesson.LayerBuiltInForward().eval()
with torch.no_grad():
    print("two calls on the same image:", broken(x_test[:1]).argmax(1).item(), broken(x_test[:1]).argmax(1).item(),
          "| max score difference", f"{(broken(x_test[:1]) - broken(x_test[:1])).abs().max():.2f}")
print(f"parameters the optimizer sees: {sum(p.numel() for p in broken.parameters()):,} "
      f"(TinyCNN: {sum(p.numel() for p in models.TinyCNN().parameters()):,})")
print(cl.doctor(broken, (1, 1, 28, 28)))

# %% tags=["nbval-ignore-output"]
torch.manual_seed(0)
# cl.fit runs the doctor on a small batch before training: it warns, then trains anyway.
cl.fit(broken, (x_train, y_train), steps=60, batch_size=64, device=device, live=False, progress=False)
broken_acc = cl.evaluate(broken, (x_test, y_test))[1]
print(f"after 60 steps: test accuracy {broken_acc:.1%} (10% is guessing)")

# %%
assert broken_acc < 0.5, broken_acc
print("The layer built in forward never learns: far below the fixed network above.")

# %% [markdown]
# **Fix:** create every layer once, in `__init__` (`self.classifier = nn.Linear(1568, 10)`), and only call
# it in `forward`, as `TinyCNN` does.
#
# ### The wrong `in_features`
#
# The linear layer after `flatten` must be built with exactly the number of features it receives. Forgetting
# that block2 also pools (so assuming 32 x 14 x 14 features) gives PyTorch's matrix-size error at the first
# forward pass:

# %%
wrong = models.TinyCNN()
wrong.classifier = nn.Linear(32 * 14 * 14, 10)
try:
    wrong(x_test[:1])
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# The message says two matrices cannot be multiplied, not which layer is wrong. `cl.trace` names the layer,
# the last one that worked, and the number to use:

# %%
try:
    cl.trace(wrong, (1, 1, 28, 28))
except cl.TraceError as err:
    print(err)

# %%
features = cl.trace(models.TinyCNN(), (1, 1, 28, 28)).row("flatten").output_shape[1]
wrong.classifier = nn.Linear(features, 10)       # the fix: the size flatten really gives
print(f"in_features={features}: output {tuple(wrong(x_test[:1]).shape)}")

# %% [markdown]
# ## Exercises
#
# Replace each `None` with your answer and run the cell: the check prints `Correct` or `Not yet` with a
# hint. `lesson.exercise_1.hint()` shows a hint (run it again for the next one). Work them out before
# measuring where a question asks for a prediction.

# %%
# 1. Predict: how many parameters has models.TinyCNN(channels=(8, 16))? (Whole number, exact.)
#    Work it out by hand first (block convolutions have no bias), then check with cl.trace.
answer = None
lesson.exercise_1.check(answer)

# %%
# 2. The trace lists block1.bn with 2 x 16 mult-adds. In eval mode BatchNorm computes y = a * x + b for
#    every value it receives. How many multiply-adds is that for one image, counting one per value?
#    (Whole number, exact.)
answer = None
lesson.exercise_2.check(answer)

# %%
# 3. Predict: a 6 x 6 image of ones is convolved with the 3 x 3 blur kernel (all nine weights 1/9) and
#    padding 1. What is the output at row 0, column 0? (A decimal with 3 digits, within 0.005.)
#    Then check it with F.conv2d.
answer = None
lesson.exercise_3.check(answer)

# %%
# 4. Build: lesson.SmallNet(in_features) is a LeNet-like net (two unpadded 5 x 5 convolutions, each followed
#    by ReLU and a 2 x 2 max-pool, then a linear layer). Create one that runs on 1 x 28 x 28 digits:
#    answer = lesson.SmallNet(in_features=...)
answer = None
lesson.exercise_4.check(answer)

# %%
# 5. Predict: add a third block, models.ConvBlock(32, 64), after block2. What is the receptive field (RF,
#    input pixels on a side) of its output, after its max-pool? (Whole number, exact.)
answer = None
lesson.exercise_5.check(answer)

# %% [markdown]
# ## References
#
# - Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. *Gradient-based learning applied to document recognition.*
#   Proceedings of the IEEE 86(11), 1998. [doi:10.1109/5.726791](https://doi.org/10.1109/5.726791)
#   (MNIST, its preparation: size-normalized to 20 x 20, centred by centre of mass in 28 x 28; LeNet-5).
# - S. Ioffe, C. Szegedy. *Batch Normalization: Accelerating Deep Network Training by Reducing Internal
#   Covariate Shift.* ICML 2015. [arXiv:1502.03167](https://arxiv.org/abs/1502.03167)
# - D. P. Kingma, J. Ba. *Adam: A Method for Stochastic Optimization.* ICLR 2015.
#   [arXiv:1412.6980](https://arxiv.org/abs/1412.6980)
# - V. Dumoulin, F. Visin. *A guide to convolution arithmetic for deep learning.* 2016.
#   [arXiv:1603.07285](https://arxiv.org/abs/1603.07285) (padding, stride and output sizes)
# - A. Araujo, W. Norris, J. Sim. *Computing Receptive Fields of Convolutional Neural Networks.* Distill, 2019.
#   [distill.pub/2019/computing-receptive-fields](https://distill.pub/2019/computing-receptive-fields/)
# - PyTorch documentation: [training a classifier](https://pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html),
#   [`CrossEntropyLoss`](https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html).
#
# Next: `01_alexnet_tricks.ipynb`, where the network gets bigger and we look at the tricks that made AlexNet train.

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
