# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/01_alexnet_tricks.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/01_alexnet_tricks.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/01_alexnet_tricks.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 01 · AlexNet's tricks, measured
#
# In 2012 AlexNet (Krizhevsky, Sutskever and Hinton) won the ImageNet challenge by a wide margin. Besides
# its size, the paper credits a handful of tricks: ReLU activations, training on two GPUs, local response
# normalization (LRN), overlapping max-pooling, data augmentation (crops, flips and a PCA colour noise),
# averaging predictions over several views of each test image, and dropout. This lesson puts each trick
# to a test on MNIST with a small network, three seeds per experiment, and reports what the numbers show,
# including where a trick does nothing measurable at this scale.
#
# **What you will learn.** You will
# - tell apart the two AlexNets you will meet: the 2012 paper's network (96-256-384-384-256 filters, split over
#   two GPUs) and torchvision's `alexnet` (64-192-384-256-256 filters), and see where each keeps its parameters;
# - measure how many training steps ReLU saves over tanh and sigmoid with plain SGD;
# - compute LRN by hand and measure that, at MNIST scale, it only multiplies activations by a constant;
# - measure dropout, overlapping pooling and augmentation on a training set small enough to overfit, and count
#   the test images that test-time augmentation fixes and breaks;
# - recognise four common mistakes: softmax before `CrossEntropyLoss`, dropout left on at evaluation, a wrong
#   `in_features`, and flips on digits.
#
# **You need** lesson 00 (`cl.fit`, `cl.evaluate`, `cl.trace`). **Time:** about two minutes on a 2-core CPU
# (the last cells print the time and memory it took). `FULL = True` below runs longer experiments with five seeds.

# %% tags=["nbval-ignore-output"]
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons import augment as aug
from cnnlessons.lessons import alexnet_tricks as lesson
from cnnlessons.models import alexnet_tricks as models
from cnnlessons.train import smooth
from cnnlessons.widgets import alexnet_tricks as widgets

T0, CPU0 = time.perf_counter(), time.process_time()
device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)

# %%
FULL = False                       # True: longer runs and five seeds (several minutes on a CPU)
SEEDS = (0, 1, 2, 3, 4) if FULL else (0, 1, 2)
x_train, y_train = cl.load_mnist("train", subset=10_000)
x_test, y_test = cl.load_mnist("test")
print("training images", tuple(x_train.shape), "test images", tuple(x_test.shape))

# %% [markdown]
# ## 1 · Two AlexNets
#
# The **2012 paper's network** has five convolutions with 96, 256, 384, 384 and 256 filters and three fully
# connected layers (4096, 4096, 1000). A GTX 580 had 3 GB of memory, so the network was split over two GPUs:
# each holds half of every layer's filters, and conv2, conv4 and conv5 read only the feature maps on their own
# GPU, while conv3 and the fully connected layers read both. One layer that reads only half of its input
# channels is a *grouped* convolution, `nn.Conv2d(..., groups=2)`.
#
# **torchvision's `alexnet`** is a later single-GPU variant with 64, 192, 384, 256 and 256 filters and no LRN;
# its documentation cites Krizhevsky's 2014 paper "One weird trick for parallelizing convolutional neural
# networks" (that paper lists 384 filters for the fourth convolution; torchvision follows Krizhevsky's released
# one-GPU configuration, which has 256). torchvision's pretrained AlexNet weights are for this variant. The package builds all three
# on the **meta** device (shapes only, no memory) so we can count them:

# %%
with torch.device("meta"):
    variants = {"paper 2012, two GPUs (groups=2)": models.alexnet_two_tower(),
                "paper 2012, as one tower": models.AlexNetLRN(),
                "torchvision alexnet (2014 variant)": models.alexnet()}
traces = {}
for name, net in variants.items():
    traces[name] = cl.trace(net, (1, 3, 224, 224))
    filters = "-".join(str(m.out_channels) for m in net.features if isinstance(m, nn.Conv2d))
    print(f"{name:36s} filters {filters:18s} {traces[name].total_params:>11,} parameters "
          f"{traces[name].total_mult_adds / 1e6:>6,.0f} M mult-adds")

# %% [markdown]
# The paper's "60 million parameters" is the two-GPU network (first line). Written as one tower the same filter
# counts need more weights, because conv2, conv4 and conv5 would then read all their input channels. Check
# on a small layer that `groups=2` is exactly two separate convolutions, one per GPU:

# %%
torch.manual_seed(0)
grouped = nn.Conv2d(8, 6, kernel_size=3, padding=1, groups=2)      # 8 channels in, 3 + 3 filters
x = torch.randn(1, 8, 5, 5)
gpu0 = nn.functional.conv2d(x[:, :4], grouped.weight[:3], grouped.bias[:3], padding=1)   # first half
gpu1 = nn.functional.conv2d(x[:, 4:], grouped.weight[3:], grouped.bias[3:], padding=1)   # second half
print("weight shape", tuple(grouped.weight.shape), "(each filter reads 4 of the 8 channels)")
print("groups=2 equals two separate convolutions:", torch.allclose(grouped(x), torch.cat([gpu0, gpu1], 1), atol=1e-6))

# %% [markdown]
# Where do torchvision's 61 million parameters sit, and where is the work? The tracer's table (lesson 00)
# lists, per layer, the output shape, the parameters, the multiply-adds for one 224 x 224 image, the receptive
# field **RF** (how many input pixels, on a side, one unit of that layer sees) and the **Jump** (how many input
# pixels apart two neighbouring units of that layer are).

# %%
table = traces["torchvision alexnet (2014 variant)"]
print(table)

# %%
layers = [r for r in table.layers if r.type in ("Conv2d", "Linear")]
conv_p = sum(r.params for r in layers if r.type == "Conv2d") / table.total_params
conv_m = sum(r.mult_adds for r in layers if r.type == "Conv2d") / table.total_mult_adds
fc6 = next(r for r in layers if r.path == "classifier.1")
print(f"torchvision alexnet: convolutions hold {conv_p:.1%} of the parameters and do {conv_m:.1%} of the mult-adds")
print(f"classifier.1 alone ({fc6.params:,} parameters) holds {fc6.params / table.total_params:.1%} of them")

fig, ax = plt.subplots(figsize=(9, 3.2))
pos = torch.arange(len(layers)).float()
ax.bar(pos - 0.2, [100 * r.params / table.total_params for r in layers], width=0.4, label="share of parameters")
ax.bar(pos + 0.2, [100 * r.mult_adds / table.total_mult_adds for r in layers], width=0.4, label="share of mult-adds")
ax.set_xticks(pos.tolist(), [f"{r.path}\n{r.type}" for r in layers], fontsize=7)
ax.set(xlabel="layer", ylabel="% of the whole network",
       title="torchvision alexnet, 224 x 224 input: FC layers hold the parameters, convolutions do the work")
ax.legend()
plt.show()

# %% [markdown]
# The first fully connected layer alone (`classifier.1`, 9216 inputs to 4096 units) holds more than half of the
# parameters (printed above). That is where overfitting can live, and it is where AlexNet puts dropout (section 4).
#
# From here on we measure the tricks on MNIST with a **small CNN** that trains in seconds:
# conv 3x3 (16) - ReLU - pool - conv 3x3 (32) - ReLU - pool - FC 128 - FC 10. `models.small_cnn` has one switch
# per trick (`activation`, `pool`, `dropout`, `norm`), so each experiment changes exactly one thing.

# %%
print(models.small_cnn())

# %% [markdown]
# ## 2 · ReLU against tanh and sigmoid
#
# tanh and the sigmoid *saturate*: for large inputs their slope is nearly 0, so little gradient flows back
# through them (the sigmoid's slope is at most 0.25 anywhere). ReLU's slope is 1 wherever it is active. The
# paper (its Figure 1) reports that a four-layer CNN with ReLUs reached 25% training error on CIFAR-10 six
# times faster than the same network with tanh.
#
# Our race: the small CNN with each activation, the **same initial weights** (same seed before building), the
# same batches, **plain SGD** (learning rate 0.1, momentum 0, batch 64), 250 steps, seeds 0, 1, 2.

# %% tags=["nbval-ignore-output"]
RACE_STEPS = 600 if FULL else 250
race, relu_nets = {}, {}
for act in ("relu", "tanh", "sigmoid"):
    for seed in SEEDS:
        torch.manual_seed(seed)                      # the same initial weights for every activation
        net = models.small_cnn(activation=act)
        race[act, seed] = cl.fit(net, (x_train, y_train), None, steps=RACE_STEPS, batch_size=64,
                                 optimizer="sgd", lr=0.1, momentum=0.0, seed=seed, live=False, progress=False)
        if act == "relu":
            relu_nets[seed] = net                    # kept for the LRN measurement
print(f"trained {len(race)} networks of {RACE_STEPS} steps")

# %% [markdown]
# **What the curves show.** Each point is the accuracy on the *training batch* at that step, measured during
# training (in train mode, before that step's update) and smoothed by a running mean over 20 steps. It is not
# test accuracy: it trails what the network would score at that moment, because the running mean still contains
# older, worse steps (and, with dropout, units are dropped while it is measured). Below, "steps to 95%" is the
# first step at which this running mean reaches 95%.

# %% tags=["nbval-ignore-output"]
ACTS = {"relu": "C0", "tanh": "C1", "sigmoid": "C2"}
STYLES = ["-", "--", ":", "-.", (0, (1, 3))]
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for (act, seed), h in race.items():
    for ax in axes:
        ax.plot(range(1, h.steps + 1), [100 * a for a in smooth(h.step_acc, 20)], color=ACTS[act],
                ls=STYLES[seed], lw=1.3, label=f"{act}, seed {seed}")
axes[1].set_xlim(0, 60)
for ax, title in zip(axes, ("all steps", "zoom: the first 60 steps")):
    ax.axhline(95, color="0.5", lw=0.8)
    ax.set(xlabel="step", ylabel="training-batch accuracy (%, running mean of 20)", title=title)
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=7, ncol=3)
fig.suptitle("Small CNN, plain SGD (lr 0.1, momentum 0): one line per activation and seed")
plt.show()

to95 = {k: h.steps_to(0.95, window=20) for k, h in race.items()}
early = {k: smooth(h.step_acc, 20)[24] for k, h in race.items()}

def overtakes(seed):
    """The step after which ReLU's running accuracy stays above tanh's."""
    r, t = smooth(race["relu", seed].step_acc, 20), smooth(race["tanh", seed].step_acc, 20)
    return 1 + max((i + 1 for i in range(len(r)) if r[i] <= t[i]), default=0)

for seed in SEEDS:
    r, t = to95["relu", seed], to95["tanh", seed]
    print(f"seed {seed}: steps to 95%  relu {r}  tanh {t if t else f'not within {RACE_STEPS}'}  "
          f"sigmoid {to95['sigmoid', seed] or f'not within {RACE_STEPS}'}  |  accuracy at step 25: "
          + "  ".join(f"{a} {early[a, seed]:.0%}" for a in ACTS) + f"  |  ReLU ahead from step {overtakes(seed)}")
final_sigmoid = [smooth(race["sigmoid", s].step_acc, 20)[-1] for s in SEEDS]
print("sigmoid's running accuracy at the last step:", ", ".join(f"{a:.0%}" for a in final_sigmoid))

# %%
for seed in SEEDS:
    assert to95["relu", seed] is not None and to95["relu", seed] < (to95["tanh", seed] or RACE_STEPS + 1)
assert all(early["tanh", s] > early["relu", s] for s in SEEDS)     # tanh starts faster
assert all(overtakes(s) > 25 for s in SEEDS)
assert max(final_sigmoid) < 0.5


# %% [markdown]
# With plain SGD, ReLU reached 95% first in every seed; tanh needed more steps or did not get there within the
# run (printed above). It is not ReLU all the way: at step 25 tanh is **ahead** in every seed (the zoom), and
# ReLU's curve passes tanh's for good only at the step printed at the end of each line. The sigmoid net
# stays near chance (10%) for the whole run: its slope (at most 0.25) shrinks the gradient at every layer, and
# its outputs are all positive, never centred on 0, which slows plain SGD further.
#
# This result belongs to this optimizer. The paper trained AlexNet with momentum 0.9, and momentum changes how fast
# each activation gets going; on a net this small the ranking can change, so do not read these numbers as
# "ReLU is always faster". The paper's figure also differs from our race: its four-layer CNN trained on CIFAR-10,
# and each network got the learning rate that trained it fastest, where ours share one.

# %% [markdown]
# ## 3 · Local response normalization (LRN)
#
# After the ReLUs of conv1 and conv2 the paper divides each activation $a_i$ (channel $i$, one position) by a
# sum over the $n$ channels around it:
# $$b_i = \frac{a_i}{\left(k + \alpha \sum_{j=i-n/2}^{i+n/2} a_j^2\right)^{\beta}}, \qquad k = 2,\ n = 5,\ \alpha = 10^{-4},\ \beta = 0.75.$$
# A channel with strongly active neighbours is damped ("lateral inhibition"). The paper reports that it lowered
# its top-1 and top-5 error rates by 1.4 and 1.2 points. Here is the formula by hand, next to the package's
# `models.paper_lrn()` and next to PyTorch's layer given the paper's numbers as they are:

# %%
def lrn_by_hand(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    channels = a.shape[1]
    sq = nn.functional.pad(a.pow(2), (0, 0, 0, 0, n // 2, (n - 1) // 2))   # zero channels beyond the ends
    window = sum(sq[:, j:j + channels] for j in range(n))                  # sum over the n neighbours
    return a / (k + alpha * window) ** beta

torch.manual_seed(1)
a = torch.relu(torch.randn(1, 16, 8, 8)) * 50          # large activations, so the normalization matters
naive = nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)
print("package's paper_lrn() matches the formula:          ", torch.allclose(models.paper_lrn()(a), lrn_by_hand(a), rtol=1e-5))
print("nn.LocalResponseNorm(alpha=1e-4) matches the formula:", torch.allclose(naive(a), lrn_by_hand(a), rtol=1e-5))

# %% [markdown]
# PyTorch's `nn.LocalResponseNorm` does not compute the paper's formula from the paper's numbers: read the
# formula in its documentation and compare (exercise 2 asks you to build the paper's layer).
#
# **What does LRN do to real activations?** Take the three ReLU networks trained in the race, compute their
# first-layer activations (after the ReLU, where the paper applies LRN) for 200 test digits, and divide LRN's
# output by its input. If LRN only rescales, the ratio is the constant $k^{-\beta} = 2^{-0.75}$ everywhere.

# %% tags=["nbval-ignore-output"]
lrn, const = models.paper_lrn(), 2.0 ** -0.75
lrn_dev, lrn_agree = [], []
with torch.no_grad():
    for seed in SEEDS:
        net = relu_nets[seed].eval()
        digits = x_test[:200].to(device)
        acts = net.features[:2](digits).cpu()                             # conv1 + ReLU: 200 x 16 x 28 x 28
        ratio = lesson.lrn_ratio(acts, lrn)
        lrn_dev.append(((ratio / const) - 1).abs().max().item())
        # The same trained net with LRN, and with the constant 2^-0.75, inserted after conv1's ReLU:
        with_lrn = nn.Sequential(net.features[:2], lrn, net.features[2:], nn.Flatten(), net.classifier)
        with_const = nn.Sequential(net.features[:2], models.ConstantScale(const), net.features[2:],
                                   nn.Flatten(), net.classifier)
        pred_lrn, pred_const = with_lrn(digits).argmax(1), with_const(digits).argmax(1)
        lrn_agree.append((pred_lrn == pred_const).float().mean().item())
        print(f"seed {seed}: LRN(a)/a from {ratio.min():.5f} to {ratio.max():.5f} (2^-0.75 = {const:.5f}), "
              f"largest a = {acts.max():.2f}; LRN and the constant give the same answer for "
              f"{lrn_agree[-1]:.1%} of 200 digits")

# %% tags=["nbval-ignore-output"]
assert max(lrn_dev) < 0.01 and min(lrn_agree) > 0.99
print(f"largest deviation from the constant over all seeds: under 1% (it is {max(lrn_dev):.2e})")

# %% [markdown]
# At MNIST scale the paper's LRN is **a constant rescaling**: every activation is multiplied by $2^{-0.75}$
# to within the deviation printed above, and the network gives the same answers with LRN or with the plain
# constant. A constant factor does no normalizing: the next layer's weights can absorb it. It can still change
# how fast SGD trains, the way a different initial scale of those weights would, but that is not what LRN was
# for. So we expect no effect of LRN as a normalization here and do not spend the CPU time to train with it.
#
# Why did it matter in 2012? The paper fed the network the raw pixel values (0-255, only the mean subtracted),
# so its activations could be far larger than those of a net fed normalized digits. Multiplying every activation by
# $s$ does the same to the formula as multiplying $\alpha$ by $s^2$: large activations make $\alpha \sum a^2$
# comparable to $k$, and only then does LRN damp one channel more than another. Later networks dropped LRN: the
# VGG paper found it did not improve accuracy on ImageNet, and batch normalization (lesson 06) took over the job
# of keeping activations in range.

# %% [markdown]
# ## 4 · Dropout
#
# In training, dropout sets each unit to 0 with probability $p$ and multiplies the survivors by $1/(1-p)$
# ("inverted" dropout), so a unit's expected value does not change. In eval mode it does nothing. The paper
# drops, with $p = 0.5$, the units of its first two fully connected layers, where most parameters are;
# torchvision's `alexnet` places its two `Dropout` layers just before those two layers instead, and our small CNN
# follows torchvision (one before each fully connected layer).

# %%
drop = nn.Dropout(p=0.5)
torch.manual_seed(0)
print("train mode:", drop.train()(torch.ones(1, 8)))
print("eval mode: ", drop.eval()(torch.ones(1, 8)))
print(f"train mode, mean over 100,000 units: {drop.train()(torch.ones(100_000)).mean():.3f} (the expected value stays 1)")

# %% [markdown]
# **An experiment where dropout can matter.** A regularizer shows when a network overfits, so we train on only
# **1,000 images** (100 per class) for 20 epochs (Adam, learning rate 0.001, batch 64), long enough to fit the
# training set almost perfectly. The reference is the small CNN as it is (2x2 pooling, no dropout); each later
# arm changes one thing. For speed, `cl.fit` gets no test data (`None`) and each network is evaluated once, at the
# end, on the first 5,000 test digits and on a **moved copy** of them (each digit shifted by up to 3 pixels and
# rotated by up to 15 degrees, the same copy for every network), which sections 6 and 7 use.

# %% tags=["nbval-ignore-output"]
x_small, y_small = cl.load_mnist("train", subset=1_000)
x5, y5 = x_test[:5_000], y_test[:5_000]
x_moved = lesson.moved_copy(x5)                        # fixed: shifts <= 3 px, rotations <= 15 degrees
EPOCHS = 40 if FULL else 20

def run(seed, augment=None, **switch):
    """Train small_cnn(**switch) on the 1,000 images; return the model and its accuracies."""
    torch.manual_seed(seed)                            # the same initial weights in every arm
    model = models.small_cnn(**switch)
    hist = cl.fit(model, (x_small, y_small), None, epochs=EPOCHS, batch_size=64, optimizer="adam", lr=1e-3,
                  augment=augment, seed=seed, live=False, progress=False)
    return model, {"train": cl.evaluate(model, (x_small, y_small))[1],
                   "train, last epoch in train mode": hist.train_acc[-1],
                   "test": cl.evaluate(model, (x5, y5))[1],
                   "moved test": cl.evaluate(model, (x_moved, y5))[1]}

arms, nets = {}, {}
for name, switch in {"reference": {}, "dropout 0.5": {"dropout": 0.5}}.items():
    for seed in SEEDS:
        nets[name, seed], arms[name, seed] = run(seed, **switch)
        print(f"{name:12s} seed {seed}: " + "  ".join(f"{k} {v:.2%}" for k, v in arms[name, seed].items()))


# %% tags=["nbval-ignore-output"]
def per_seed(arm, key="test"):
    return [arms[arm, s][key] for s in SEEDS]

def summary(arm, against="reference", key="test"):
    gains = [a - b for a, b in zip(per_seed(arm, key), per_seed(against, key))]
    spread = max(max(per_seed(a, key)) - min(per_seed(a, key)) for a in (arm, against))
    return (f"{arm} against {against}, {key}: gain per seed " + ", ".join(f"{100 * g:+.2f}" for g in gains)
            + f" points (mean {100 * sum(gains) / len(gains):+.2f}); spread between seeds within an arm up to "
            f"{100 * spread:.2f} points"), gains

fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
lesson.plot_seeds({a: per_seed(a) for a in ("reference", "dropout 0.5")}, "test accuracy (%)",
                  "Test accuracy, 1,000 training images", ax=axes[0])
lesson.plot_seeds({a: [arms[a, s]["train"] - arms[a, s]["test"] for s in SEEDS] for a in ("reference", "dropout 0.5")},
                  "train - test accuracy (points)", "Overfitting gap", ax=axes[1])
fig.tight_layout()
plt.show()
text, drop_gain = summary("dropout 0.5")
print(text)
print("dropout nets, training accuracy: eval mode " + ", ".join(f"{a:.1%}" for a in per_seed("dropout 0.5", "train"))
      + "; measured during the last epoch in train mode " + ", ".join(f"{a:.1%}" for a in per_seed("dropout 0.5", "train, last epoch in train mode")))

# %%
assert min(drop_gain) > 0 and sum(drop_gain) / len(drop_gain) > 0.003  # a gain in every seed, seed by seed
gap = {a: sum(arms[a, s]["train"] - arms[a, s]["test"] for s in SEEDS) / len(SEEDS) for a in ("reference", "dropout 0.5")}
assert gap["dropout 0.5"] < gap["reference"]
assert all(arms["dropout 0.5", s]["train, last epoch in train mode"] < arms["dropout 0.5", s]["train"] for s in SEEDS)

# %% [markdown]
# On 1,000 images the reference network fits its training set almost perfectly and scores several points lower
# on the test set. Dropout raised test accuracy in every seed, compared seed by seed (the same initial weights and
# batches in both arms; the gains and their mean are printed above, next to the spread between seeds, which is of
# the same size: three seeds show a consistent gain, not a large one). The gap between training and test accuracy
# narrowed. Note the two training accuracies of
# the dropout nets: measured during the last epoch in **train mode** (units dropped) they are several points
# below the same nets' accuracy on the same images in **eval mode**. Curves of training accuracy measured during
# training understate what a dropout network has learned.
#
# **Dropout as an ensemble.** Each mask picks a different "thinned" network, and all of them share weights.
# The paper's argument: using all units at test time (eval mode) approximates averaging the predictions of
# these many networks. We test it on the three dropout nets: compute their convolutional features once for
# 2,000 test digits, then run only the dropout head (the random part) 20 times in train mode.

# %% tags=["nbval-ignore-output"]
ens = {}
with torch.no_grad():
    for seed in SEEDS:
        net = nets["dropout 0.5", seed].eval()
        feats = torch.cat([torch.flatten(net.features(xb.to(device)), 1) for xb in x_test[:2_000].split(500)])
        out = lesson.dropout_ensemble(net.classifier, feats, passes=20, seed=seed)
        y = y_test[:2_000].to(device)
        acc = lambda p: (p.argmax(1) == y).float().mean().item()
        ens[seed] = {"eval mode (one pass)": acc(out["eval"]), "mean of 20 masks": acc(out["mean"]),
                     "one mask": sum(acc(s) for s in out["single"]) / len(out["single"]),
                     "agreement": (out["eval"].argmax(1) == out["mean"].argmax(1)).float().mean().item()}
        print(f"seed {seed}: " + "  ".join(f"{k} {v:.2%}" for k, v in ens[seed].items()))
lesson.plot_seeds({k: [ens[s][k] for s in SEEDS] for k in ("eval mode (one pass)", "mean of 20 masks", "one mask")},
                  "test accuracy (%), 2,000 digits", "Dropout nets: one eval pass against an average of masks")

# %%
for s in SEEDS:
    assert ens[s]["agreement"] > 0.97
    assert abs(ens[s]["eval mode (one pass)"] - ens[s]["mean of 20 masks"]) < 0.01
    assert ens[s]["one mask"] < ens[s]["mean of 20 masks"]

# %% [markdown]
# One eval-mode pass gives the same answer as the average of 20 random masks for nearly every digit, with the
# same accuracy to within a fraction of a point, while any single mask is worse: eval mode is a cheap stand-in
# for the ensemble. (The paper multiplied outputs by 0.5 at test time; PyTorch's inverted dropout scales by
# $1/(1-p)$ during training instead, which gives the same expected values.)

# %% [markdown]
# ## 5 · Play: LRN and dropout inside a trained network
#
# The widget takes the reference network of section 4 (seed 0, trained without LRN or dropout), inserts the
# paper's LRN and then dropout right after its first convolution and ReLU, and runs the rest of the network on
# 300 test digits. Top: the first feature maps of one digit before and after (one grey scale for both rows).
# Below: LRN(a)/a for every activation, divided by $k^{-\beta}$ (a single bar at 1 means a constant rescaling),
# and the accuracy with LRN, with the constant $k^{-\beta}$ instead, and unchanged. `alpha` is the paper's
# $\alpha$ (not PyTorch's).
#
# **Question (answer it by moving the sliders):** raise `alpha` from the paper's $10^{-4}$. Around which value
# does LRN stop being a constant rescaling of these activations (say, the spread passes 5%)? How many times the
# paper's $\alpha$ is that, and by what factor $s$ would the activations have to grow to get the same effect at
# the paper's $\alpha$? From which `alpha` on does the accuracy with LRN differ from the accuracy with the
# constant? Then set `alpha` back and raise dropout's `p`: at which `p` has the accuracy of this net, trained
# without dropout, fallen by 5 points?

# %% tags=["nbval-ignore-output"]
explorer = widgets.lrn_dropout_explorer(nets["reference", 0], x_test[:300], y_test[:300])
explorer

# %%
start = explorer.result
explorer.controls[0].value = 1.0                         # alpha 10,000 times the paper's
far = explorer.result
explorer.controls[0].value = 1e-4                        # back to the paper's
assert start["spread"] < 0.05 < far["spread"]

# %% [markdown]
# ## 6 · Overlapping pooling
#
# AlexNet pools 3x3 windows with stride 2, so neighbouring windows share a row or column of pixels; plain
# pooling uses 2x2 windows with stride 2, which tile the map. The paper compared them at equal output sizes and
# reports 0.4 and 0.3 points lower top-1 and top-5 error with overlap, and that overlapping networks were
# "slightly more difficult to overfit". To compare like with like here, the overlapping version pads by 1 pixel,
# so both give 28 -> 14 -> 7 and the same parameters:

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6), layout="constrained")
for ax, (name, k, s, p) in zip(axes, (("plain: 2x2, stride 2", 2, 2, 0), ("overlapping: 3x3, stride 2, padding 1", 3, 2, 1))):
    ax.imshow(torch.full((8, 8), 0.15), cmap="Greys", vmin=0, vmax=1, extent=(-0.5, 7.5, 7.5, -0.5))  # the map
    for i, x0 in enumerate(range(-p, 6, s)[:3]):                   # the first three windows of the top row
        ax.add_patch(plt.Rectangle((x0 - 0.5 + 0.06 * i, -p - 0.5 + 0.06 * i), k, k, fill=False, lw=2.2,
                                   color=f"C{i}", label=f"output column {i}"))
    ax.set_xticks(range(8)); ax.set_yticks(range(8)); ax.grid(color="0.8", lw=0.5)
    ax.set(xlim=(-1.6, 7.6), ylim=(7.6, -1.6), title=name, xlabel="input column", ylabel="input row")
    ax.legend(fontsize=7, loc="lower right")
fig.suptitle("The first three pooling windows of the top row (grey: the 8 x 8 map; outside it: padding)")
plt.show()
for pool in ("plain", "overlap"):
    net = models.small_cnn(pool=pool)
    shapes = [tuple(net.features[: i + 1](torch.zeros(1, 1, 28, 28)).shape[-2:]) for i in (3, 7)]
    print(f"small_cnn(pool={pool!r}): maps after the two poolings {shapes}, "
          f"{sum(p.numel() for p in net.parameters()):,} parameters")

# %% tags=["nbval-ignore-output"]
for seed in SEEDS:
    nets["overlapping pool", seed], arms["overlapping pool", seed] = run(seed, pool="overlap")
    print(f"overlapping pool seed {seed}: " + "  ".join(f"{k} {v:.2%}" for k, v in arms["overlapping pool", seed].items()))
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
lesson.plot_seeds({a: per_seed(a) for a in ("reference", "overlapping pool")}, "test accuracy (%)",
                  "Test accuracy, 1,000 training images", ax=axes[0])
lesson.plot_seeds({a: per_seed(a, "moved test") for a in ("reference", "overlapping pool")}, "accuracy (%)",
                  "Moved test digits (shift <= 3 px, rotation <= 15 deg)", ax=axes[1])
fig.tight_layout()
plt.show()
text, pool_gain = summary("overlapping pool")
print(text)
print(summary("overlapping pool", key="moved test")[0])

# %%
assert min(per_seed("overlapping pool")) > max(per_seed("reference"))
assert sum(summary("overlapping pool", key="moved test")[1]) > 0

# %% [markdown]
# In this overfitting regime overlapping pooling raised test accuracy (the mean gain is printed above), and the
# two arms' ranges over the seeds do not overlap; on the moved digits it helped more. What this experiment does **not**
# show is *why*: the two arms differ in overlap **and** in window size (3x3 against 2x2). A 3x3 window sees more
# of the map, so after two poolings each unit of the overlapping net sees a wider patch of the digit (exercise 4
# asks how wide), which by itself makes a network more tolerant to small shifts. Separating the two would need
# another arm, for example 3x3 windows with stride 3, and then the map sizes would no longer match.

# %% [markdown]
# ## 7 · Data augmentation
#
# AlexNet trained on random 224 x 224 crops of its 256 x 256 images and on their mirror images, so the network
# rarely saw exactly the same picture twice. For digits, small shifts and rotations keep a digit the same digit
# (mirror images do not: see the common mistakes). `cnnlessons.augment` transforms whole batches at once:

# %%
g = torch.Generator().manual_seed(0)
digit = x_test[:1].repeat(6, 1, 1, 1)
shift_rotate = aug.Compose(aug.RandomShift(2, generator=g), aug.RandomRotation(15, generator=g))
views = {"original": digit, "shift <= 2 px": aug.RandomShift(2, generator=g)(digit),
         "rotate <= 15 deg": aug.RandomRotation(15, generator=g)(digit), "both": shift_rotate(digit),
         "moved test copy": x_moved[:1]}
fig, axes = plt.subplots(len(views), 6, figsize=(6.5, 5.6))
for r, (name, imgs) in enumerate(views.items()):
    for c in range(6):
        ax = axes[r, c]
        ax.set_xticks([]); ax.set_yticks([])
        if c < len(imgs):
            ax.imshow(imgs[c, 0], cmap="gray")
        else:
            ax.axis("off")
    axes[r, 0].set_ylabel(name, fontsize=8)
fig.suptitle("Augmentations of one test digit (columns: random draws)")
plt.show()

# %% [markdown]
# The augmentation arm trains exactly like the reference, except that every batch is shifted by up to 2 pixels
# and rotated by up to 15 degrees on the fly:

# %% tags=["nbval-ignore-output"]
for seed in SEEDS:
    nets["augmented", seed], arms["augmented", seed] = run(
        seed, augment=aug.Compose(aug.RandomShift(2), aug.RandomRotation(15)))
    print(f"augmented seed {seed}: " + "  ".join(f"{k} {v:.2%}" for k, v in arms["augmented", seed].items()))
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
lesson.plot_seeds({a: per_seed(a) for a in ("reference", "augmented")}, "test accuracy (%)",
                  "Test accuracy, 1,000 training images", ax=axes[0])
lesson.plot_seeds({a: per_seed(a, "moved test") for a in ("reference", "augmented")}, "accuracy (%)",
                  "Moved test digits (shift <= 3 px, rotation <= 15 deg)", ax=axes[1])
fig.tight_layout()
plt.show()
text, aug_gain = summary("augmented")
print(text)
text, aug_moved_gain = summary("augmented", key="moved test")
print(text)

# %%
assert min(per_seed("augmented")) > max(per_seed("reference"))
assert min(aug_moved_gain) > 0.15

# %% [markdown]
# On the ordinary test set augmentation gains a couple of points (printed above). On the moved copy the
# reference network loses a large part of its accuracy, and the augmented one keeps most of it: tens of points
# of difference. Two max-poolings do not make a network shift-invariant; it learns the invariances its training
# data shows it. The moved copy moves digits by up to 3 pixels, one more than training ever did, and the
# augmented nets still handle most of them.
#
# **The paper's PCA colour noise.** AlexNet also changed the colour of each training image. It computes the
# principal components of the RGB values of all training pixels: the eigenvectors $\mathbf{p}_i$ and
# eigenvalues $\lambda_i$ of their 3 x 3 covariance. To every pixel of one image it adds the same offset
# $$[\mathbf{p}_1, \mathbf{p}_2, \mathbf{p}_3]\,[\alpha_1\lambda_1, \alpha_2\lambda_2, \alpha_3\lambda_3]^\top, \qquad \alpha_i \sim \mathcal{N}(0, 0.1^2),$$
# drawn once per image each time it is used. The lighting changes along the directions in which natural colours
# vary most; the object does not. MNIST has no colour, so we draw a small RGB scene (the package computes it from
# formulas; nothing is downloaded) and use its own pixels for the covariance:

# %%
photo = lesson.synthetic_photo()
vals, vecs = lesson.rgb_pca(photo)
print("RGB covariance eigenvalues:", ", ".join(f"{v:.4f}" for v in vals.tolist()))
print("first eigenvector (R, G, B):", ", ".join(f"{v:+.3f}" for v in vecs[:, 0].tolist()))
g = torch.Generator().manual_seed(0)
shown = [("original", photo)]
shown += [(f"sigma 0.1 (paper), draw {i + 1}", lesson.pca_color_augment(photo, 0.1, generator=g)) for i in range(2)]
shown += [(f"sigma 2, draw {i + 1}", lesson.pca_color_augment(photo, 2.0, generator=g)) for i in range(3)]
fig, axes = plt.subplots(1, len(shown), figsize=(13, 2.6))
for ax, (name, img) in zip(axes, shown):
    ax.imshow(img.clamp(0, 1).permute(1, 2, 0)); ax.set_title(name, fontsize=8); ax.axis("off")
fig.suptitle("PCA colour noise: one RGB offset per image, along the principal colour directions (sigma 2 is exaggerated)")
plt.show()

# %% [markdown]
# With the paper's $\sigma = 0.1$ the change is subtle (the paper reports it lowered top-1 error by over 1 point
# on ImageNet); the exaggerated draws show the directions. Now a grey digit copied into three channels: every
# pixel has R = G = B, so the covariance has one non-zero eigenvalue and its eigenvector is $(1, 1, 1)/\sqrt{3}$:

# %%
grey = cl.data.denormalize(x_test[0])                  # back to [0, 1]: 1 x 28 x 28
rgb_digit = grey.repeat(3, 1, 1)                        # 3 x 28 x 28, R = G = B
vals_d, vecs_d = lesson.rgb_pca(rgb_digit)
print("eigenvalues:", ", ".join(f"{v:.4f}" for v in vals_d.tolist()))
print("first eigenvector (R, G, B):", ", ".join(f"{v:+.3f}" for v in vecs_d[:, 0].tolist()))
offset = (lesson.pca_color_augment(rgb_digit, 0.1, generator=torch.Generator().manual_seed(0)) - rgb_digit)[:, 0, 0]
print("the offset one draw adds to every pixel (R, G, B):", ", ".join(f"{v:+.4f}" for v in offset.tolist()))

# %%
assert vals_d[1] < 1e-6 * vals_d[0] and torch.allclose(vecs_d[:, 0].abs(), torch.full((3,), 3 ** -0.5), atol=1e-4)
assert torch.allclose(offset, offset.mean().expand(3), atol=1e-6)

# %% [markdown]
# On grey MNIST, PCA colour noise reduces to **brightness noise**: the same small number added to every pixel.
# It cannot teach anything about colour, because there is none; use shifts and rotations for digits.

# %% [markdown]
# ## 8 · Test-time augmentation (TTA)
#
# At test time AlexNet averaged its softmax outputs over ten crops (four corners and the centre, and their mirror
# images). Our version: average the class probabilities over the digit as it is and its four 1-pixel shifts, five
# forward passes per digit, with the augmented networks of section 7 (trained on shifts). We count the digits
# TTA fixes (wrong before, right after) and those it breaks, among the first 2,500 test digits and their moved copy.

# %% tags=["nbval-ignore-output"]
tta, N_TTA = {}, 2_500
for seed in SEEDS:
    for which, images in (("test", x5[:N_TTA]), ("moved test", x_moved[:N_TTA])):
        plain, avg = lesson.tta_probs(nets["augmented", seed], images)
        ok_plain, ok_tta = plain.argmax(1) == y5[:N_TTA], avg.argmax(1) == y5[:N_TTA]
        tta[seed, which] = {"plain": ok_plain.float().mean().item(), "tta": ok_tta.float().mean().item(),
                            "fixed": int((~ok_plain & ok_tta).sum()), "broken": int((ok_plain & ~ok_tta).sum())}
        t = tta[seed, which]
        print(f"seed {seed}, {which:10s}: {t['plain']:.2%} -> {t['tta']:.2%} with TTA; "
              f"fixed {t['fixed']}, broken {t['broken']} of {N_TTA:,}")
lesson.plot_seeds({w: [tta[s, w]["tta"] - tta[s, w]["plain"] for s in SEEDS] for w in ("test", "moved test")},
                  "TTA gain (points)", "Test-time augmentation: gain per seed")

# %%
for s in SEEDS:
    assert abs(tta[s, "test"]["tta"] - tta[s, "test"]["plain"]) < 0.01            # a small change
    assert tta[s, "test"]["fixed"] + tta[s, "test"]["broken"] < 100                 # for a few digits
changed = {w: sum(tta[s, w]["fixed"] + tta[s, w]["broken"] for s in SEEDS) for w in ("test", "moved test")}
assert changed["moved test"] > changed["test"]

# %% [markdown]
# TTA changes the answer for only a few dozen of the 2,500 test digits, fixing some and breaking others; the
# net gain per seed is printed above and is small next to the differences between seeds. It costs five forward
# passes per digit. When the test digits are placed less neatly (the moved copy) it changes more answers.
# Whether that is worth five times the inference cost depends on how far the test data are from the training
# data, which is the question to ask before using it.

# %% [markdown]
# ## 9 · Common mistakes
#
# **Softmax before `CrossEntropyLoss`.** `nn.CrossEntropyLoss` expects raw scores (logits) and applies
# log-softmax itself. Putting a softmax at the end of the model applies it twice: the loss can no longer reach 0,
# and the gradient almost vanishes exactly when the model is confidently wrong.

# %%
loss_fn = nn.CrossEntropyLoss()
target = torch.tensor([0])
right = torch.tensor([[12.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])          # confident and right
wrong = torch.tensor([[0.0, 12, 0, 0, 0, 0, 0, 0, 0, 0]], requires_grad=True)   # confident and wrong
print(f"confident and right: loss {loss_fn(right, target):.4f} on logits, "
      f"{loss_fn(right.softmax(1), target):.4f} after a softmax (the mistake)")
for name, f in (("on logits", lambda z: z), ("after a softmax", lambda z: z.softmax(1))):
    grad, = torch.autograd.grad(loss_fn(f(wrong), target), wrong)
    print(f"confident and wrong, {name:16s}: gradient size {grad.norm():.5f}")

# %% [markdown]
# The fix: the model returns logits, the loss applies the softmax; call `logits.softmax(1)` yourself only when you
# want probabilities to look at.
#
# **Dropout left on at evaluation.** `cl.fit` leaves the model in train mode, and so does a hand-written training
# loop. Evaluate a dropout network like that and each pass uses a random mask:

# %% tags=["nbval-ignore-output"]
net = nets["dropout 0.5", 0]
def accuracy_by_hand(model, x, y):
    correct = 0
    with torch.no_grad():
        for xb, yb in zip(x.split(500), y.split(500)):
            correct += (model(xb.to(device)).argmax(1).cpu() == yb).sum().item()
    return correct / len(y)

net.train()                                            # the mistake: still in train mode
mistake = [accuracy_by_hand(net, x_test[:2_000], y_test[:2_000]) for _ in range(3)]
net.eval()                                             # the fix
fixed = accuracy_by_hand(net, x_test[:2_000], y_test[:2_000])
print("train mode, three evaluations:", ", ".join(f"{a:.2%}" for a in mistake), f"| eval mode: {fixed:.2%}")

# %%
assert len(set(mistake)) > 1 and sum(mistake) / 3 < fixed

# %% [markdown]
# The fix: `model.eval()` before evaluating (`cl.evaluate` does it for you, and puts the mode back).
#
# **A wrong `in_features`.** The first fully connected layer must match the flattened feature map. Computing
# it for 3x3 pooling *without* padding (28 -> 13 -> 6, so 32 x 6 x 6) while the model pads (28 -> 14 -> 7)
# fails at the first forward pass:

# %%
features = models.small_cnn(pool="overlap").features
head = nn.Linear(32 * 6 * 6, 128)                     # the mistake: computed for unpadded pooling
try:
    head(torch.flatten(features(x_test[:2]), 1))
except RuntimeError as err:
    print("RuntimeError:", err)
in_features = torch.flatten(features(torch.zeros(1, 1, 28, 28)), 1).shape[1]     # the fix: measure it
print("measured in_features:", in_features, "->", nn.Linear(in_features, 128)(torch.flatten(features(x_test[:2]), 1)).shape)

# %% [markdown]
# The fix: measure the size with a dummy input (as above), or use `nn.LazyLinear(128)`, which infers it at the
# first forward pass.
#
# **Flips for digits.** Mirror images are a good augmentation (and test-time view) for photos, where a mirrored
# cat is a cat, but a mirrored 2, 3, 4 or 7 is not that digit:

# %% tags=["nbval-ignore-output"]
net = nets["augmented", 0]
flipped = x_test.flip(-1)
acc_plain = cl.evaluate(net, (x_test, y_test))[1]
acc_flip = cl.evaluate(net, (flipped, y_test))[1]
print(f"augmented net, seed 0: test accuracy {acc_plain:.1%} as drawn, {acc_flip:.1%} mirrored")
idx = [int((y_test == d).nonzero()[0]) for d in (2, 3, 4, 7)]
fig, axes = plt.subplots(2, 4, figsize=(5.5, 3))
for c, i in enumerate(idx):
    axes[0, c].imshow(x_test[i, 0], cmap="gray"); axes[0, c].set_title(f"label {int(y_test[i])}", fontsize=8)
    axes[1, c].imshow(flipped[i, 0], cmap="gray"); axes[1, c].set_title("mirrored", fontsize=8)
for ax in axes.flat:
    ax.set_xticks([]); ax.set_yticks([])
fig.suptitle("Mirrored digits are different symbols")
plt.show()

# %%
assert acc_flip < acc_plain - 0.3

# %% [markdown]
# The fix: choose augmentations (and test-time views) that keep the label: for digits, small shifts and
# rotations; never flips, and no rotations large enough to turn a 6 into a 9.

# %% [markdown]
# ## Exercises
#
# Replace each `None` with your answer and run the cell; `lesson.exercise_N.hint()` shows a hint. Each question
# says the form its answer takes.

# %%
# 1. Predict: the paper's conv2 on two GPUs is nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2).
#    How many parameters (weights and biases) does it have? (A whole number, exact.)
answer = None
lesson.exercise_1.check(answer)

# %%
# 2. Build: a layer that computes the paper's LRN (k = 2, n = 5, alpha = 1e-4, beta = 0.75) exactly,
#    for activations of any size, with PyTorch's nn.LocalResponseNorm.
#    (A layer: answer = nn.LocalResponseNorm(size=..., alpha=..., beta=..., k=...).)
answer = None
lesson.exercise_2.check(answer)

# %%
# 3. Predict: one channel has activation a and its neighbours are 0. With the paper's constants, from which
#    value of a on is LRN's output at least 5% below the constant rescaling a * 2**-0.75?
#    (A number, within 2%.) Then check your answer with your layer from exercise 2.
answer = None
lesson.exercise_3.check(answer)

# %%
# 4. Predict, then check with cl.trace: one unit after the second pooling of models.small_cnn(pool="overlap")
#    sees a square window of the 28 x 28 input. How many input pixels are in that window (side x side)?
#    (A whole number.)
answer = None
lesson.exercise_4.check(answer)

# %%
# 5. Change one thing and measure. On x, y = cl.load_mnist("train", subset=1_000), train two small CNNs that
#    differ only in augmentation: call torch.manual_seed(0) right before models.small_cnn(), then
#    cl.fit(model, (x, y), None, steps=150, batch_size=64, optimizer="adam", seed=0, augment=A, device="cpu")
#    with A = None for the first and A = aug.RandomShift(3) for the second. Evaluate both on the first 2,000
#    test digits moved 3 pixels to the right, lesson.shifted(x_test[:2_000], 0, 3).
#    By how many percentage points does the shift augmentation raise accuracy on them?
#    (A number of points, within 3, e.g. 12.5.)
answer = None
lesson.exercise_5.check(answer)

# %% [markdown]
# ## References
#
# - A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional Neural Networks.*
#   NeurIPS 2012. [proceedings](https://papers.nips.cc/paper_files/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html)
#   (ReLU, two GPUs, LRN, overlapping pooling, augmentation with PCA colour noise, ten-crop testing, dropout).
# - A. Krizhevsky. *One weird trick for parallelizing convolutional neural networks.* 2014.
#   [arXiv:1404.5997](https://arxiv.org/abs/1404.5997) (the variant torchvision's `alexnet` cites).
# - N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever, R. Salakhutdinov. *Dropout: A Simple Way to Prevent
#   Neural Networks from Overfitting.* JMLR 15, 2014. [jmlr.org](https://jmlr.org/papers/v15/srivastava14a.html);
#   first described in G. E. Hinton et al., *Improving neural networks by preventing co-adaptation of feature
#   detectors*, 2012, [arXiv:1207.0580](https://arxiv.org/abs/1207.0580).
# - V. Nair, G. E. Hinton. *Rectified Linear Units Improve Restricted Boltzmann Machines.* ICML 2010.
#   [pdf](https://www.cs.toronto.edu/~hinton/absps/reluICML.pdf)
# - K. Simonyan, A. Zisserman. *Very Deep Convolutional Networks for Large-Scale Image Recognition.* ICLR 2015.
#   [arXiv:1409.1556](https://arxiv.org/abs/1409.1556) (LRN did not help; lesson 02).
# - S. Ioffe, C. Szegedy. *Batch Normalization.* ICML 2015. [arXiv:1502.03167](https://arxiv.org/abs/1502.03167)
# - Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. *Gradient-Based Learning Applied to Document Recognition.*
#   Proceedings of the IEEE, 1998 (the MNIST data set). [MNIST page](http://yann.lecun.com/exdb/mnist/)
# - PyTorch documentation: [`nn.LocalResponseNorm`](https://pytorch.org/docs/stable/generated/torch.nn.LocalResponseNorm.html),
#   [`nn.Dropout`](https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html),
#   [`nn.CrossEntropyLoss`](https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html);
#   torchvision's [`alexnet`](https://pytorch.org/vision/stable/models/alexnet.html).

# %% tags=["nbval-ignore-output"]
print(f"notebook ran in {time.perf_counter() - T0:.0f} s ({time.process_time() - CPU0:.0f} s of CPU time)")

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
