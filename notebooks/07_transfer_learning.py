# %% [markdown] tags=["launch-badges"]
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/07_transfer_learning.ipynb)
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/cnnlessons/cnnlessons/main?urlpath=lab/tree/notebooks/07_transfer_learning.ipynb)
#
# JupyterHub: `<your-hub>/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fcnnlessons%2Fcnnlessons&branch=main&urlpath=lab/tree/cnnlessons/notebooks/07_transfer_learning.ipynb` (replace `<your-hub>` with your hub's address)
#
# <small>Launch links open `main` of https://github.com/cnnlessons/cnnlessons; written by `scripts/sync_links.py` from `pyproject.toml`.</small>

# %% tags=["colab-setup"]
# On Colab, install the lessons' package first; anywhere else this cell does nothing.
import sys
if "google.colab" in sys.modules:
    # %pip install --quiet "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"

# %% [markdown]
# # 07 · Transfer learning: reuse a trained backbone, train a new head
#
# **What you will learn**
# - The recipe: first train a new head on a **frozen** pretrained backbone (stage 1), then unfreeze the last
#   block and fine-tune it together with the head at a **lower learning rate** (stage 2).
# - How freezing works in PyTorch (`requires_grad`), why a frozen backbone is a fixed feature extractor, and how to
#   check that frozen weights did not move.
# - What pretraining buys, measured against training from scratch *and* against a frozen **random** backbone,
#   from 5 to 1,000 labelled images per class, over three seeds.
# - When fine-tuning pays and when a linear classifier on frozen features is the better choice (Yosinski et al.
#   2014, and the standard guidance), and the same two stages written for Inception v3.
# - Three common mistakes: labels not renumbered for the new task, a head replaced after the optimizer was built,
#   and BatchNorm statistics that keep moving in a "frozen" block.
#
# **What you need:** lesson 00 (`cl.fit`, `cl.trace`) and, for section 7, lesson 04 (Inception blocks).
#
# **Time:** about two minutes on a 2-core CPU (the sweep in section 4 is most of it); a GPU is used when present.

# %% tags=["nbval-ignore-output"]
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.lessons import transfer as lesson
from cnnlessons.models import transfer as models
from cnnlessons.widgets import transfer as widgets

_start = time.time()
device = cl.pick_device()
print(cl.describe_device(device))
cl.seed_everything(0)
SEEDS = (0, 1, 2)  # random seeds: each draws other training images, initial weights and batch order

# %% [markdown]
# ## 1. The idea
#
# A CNN trained on one task learns features in its convolutional **backbone** and a task-specific **head** on top.
# The first layers tend to learn general features (edges, strokes) and the last ones features specific to the task
# they were trained on; Yosinski et al. (2014) measured this layer by layer on ImageNet. For a new task with few
# labels, reuse the backbone:
#
# 1. **Stage 1 (head first).** Freeze the backbone (`requires_grad=False`: no gradients reach it, and the
#    optimizer leaves it alone), put a fresh head sized for the new classes on top, and train only the head.
# 2. **Stage 2 (fine-tune, optional).** Unfreeze the last block(s) and train them together with the now-trained
#    head at a learning rate about 10x lower, so the pretrained weights move only a little.
#
# Why the head first: a freshly initialized head produces large, random errors, and if the backbone were trainable
# from the first step those errors would flow back into it and overwrite pretrained features before the head had
# learned anything.
#
# ```
# old task (digits 0-4):  image -> [backbone: block1 -> block2] -> head (5 outputs)         all trained
# stage 1 (digits 5-9):   image -> [block1 frozen, block2 frozen] -> NEW head (5 outputs)   head trained
# stage 2 (digits 5-9):   image -> [block1 frozen, block2 trained] -> head                  lr 10x lower
# ```
#
# Our small network: two conv blocks (32 and 64 channels, each followed by a 2x2 max-pool), flatten, one linear head.

# %%
model = models.transfer_net(num_classes=5)
print(model)
print(cl.param_counts(model))

# %%
cl.trace(model, (1, 1, 28, 28))

# %% [markdown]
# ## 2. Pretrain on the old task: digits 0-4
#
# One epoch over 15,000 images of digits 0-4, Adam, batch 50. `lesson.load_task` keeps only the listed digits and
# renumbers their labels from 0 (here they already are 0..4). The pretrained weights are kept in
# `pretrained_state`; every model of the new task starts from a copy.

# %% tags=["nbval-ignore-output"]
x_old, y_old = lesson.load_task("train", lesson.OLD_DIGITS, subset=15_000, seed=0)
x_old_test, y_old_test = lesson.load_task("test", lesson.OLD_DIGITS)
cl.seed_everything(0)
pretrained = models.transfer_net(num_classes=5)
hist_pre = cl.fit(pretrained, (x_old, y_old), None, epochs=1, batch_size=50, optimizer="adam",
                  device=device, label="pretrain on 0-4", live=False, progress=False)
pretrained_state = {k: v.detach().cpu().clone() for k, v in pretrained.state_dict().items()}
old_acc = cl.evaluate(pretrained, (x_old_test, y_old_test))[1]
print(f"old task: {hist_pre.steps} steps, test accuracy {old_acc:.1%} on {len(x_old_test):,} images of digits 0-4")
del x_old, y_old, x_old_test, y_old_test  # the old task's images are not needed again (memory)

# %%
assert old_acc > 0.95, "pretraining should reach well above 95% on digits 0-4"
assert hist_pre.step_loss[-1] < hist_pre.step_loss[0]

# %% [markdown]
# ## 3. The new task: digits 5-9, with few labels
#
# `lesson.few_labels(n, seed)` draws exactly `n` training images of each digit 5-9 (a different draw for each seed)
# and renumbers the labels 5..9 to 0..4, for a 5-output head. 2,500 of the 4,861 test images of digits 5-9 (each digit in
# proportion, the same images for every run) measure the result: evaluating is a large part of this notebook's time, and
# the settings are compared seed by seed on the same images.

# %%
x_new, y_new = lesson.few_labels(50, seed=0)
x_new_test, y_new_test = lesson.load_task("test", lesson.NEW_DIGITS, subset=2_500)
test = (x_new_test, y_new_test)
print("train:", tuple(x_new.shape), "images per class:", torch.bincount(y_new).tolist())
print("test: ", tuple(x_new_test.shape), "labels:", sorted(set(y_new_test.tolist())))

# %% [markdown]
# ## 4. Four ways to train on the new task
#
# | setting | backbone starts from | what trains |
# |---|---|---|
# | frozen pretrained | digits 0-4 | the new head (stage 1) |
# | fine-tuned | digits 0-4 | stage 1, then block2 and the head at lr 1e-4 (stage 2) |
# | from scratch | random | everything |
# | frozen random | random | the new head (**the control**) |
#
# The control answers a question the other three cannot: how much of what a frozen backbone gives comes from
# *pretraining*, and how much from simply training fewer parameters on few images? Frozen random and frozen
# pretrained train exactly the same parameters:

# %%
print(f"{'setting':20s} {'trainable':>10s} {'frozen':>10s}")
for name in lesson.SETTINGS:
    m = lesson.build_setting(name, pretrained_state)
    if name == "fine-tuned":
        models.unfreeze(m.backbone.block2)  # what stage 2 trains
    c = cl.param_counts(m)
    print(f"{name:20s} {c['trainable']:>10,} {c['frozen']:>10,}")

# %% [markdown]
# **Stage 1, and why it is cheap.** Here is stage 1 with `cl.fit` on the whole model, for seed 0. Frozen means
# frozen: after training, the backbone is bit for bit the pretrained one. So the backbone computes the same
# features for an image at every step; `lesson.run_settings` computes them once and trains the head on them, which
# gives the same head (the same batches, initial weights and Adam steps) in a fraction of the time. The cell checks
# that both ways agree.

# %% tags=["nbval-ignore-output"]
cl.seed_everything(0)
frozen = lesson.build_setting("frozen pretrained", pretrained_state)
lesson.fit_new_task(frozen, (x_new, y_new), steps=lesson.STEPS, batch_size=lesson.BATCH_SIZE, optimizer="adam",
                    lr=lesson.LR, seed=0, device=device, live=False, progress=False)
acc_whole = cl.evaluate(frozen, test)[1]
runs0, _ = lesson.run_settings(pretrained_state, 50, 0, test, settings=["frozen pretrained"], device=device)
acc_features = runs0["frozen pretrained"].test_acc
print(f"stage 1 on the whole model: {acc_whole:.2%};  on precomputed features: {acc_features:.2%}")

# %%
for k, v in frozen.backbone.state_dict().items():
    assert torch.equal(v.cpu(), pretrained_state["backbone." + k]), k
assert abs(acc_whole - acc_features) < 0.005, (acc_whole, acc_features)
print("frozen backbone unchanged by training: True; the two ways agree within half a point: True")

# %% [markdown]
# **The experiment.** All four settings at 5, 50 and 1,000 labelled images per digit, three seeds each. Every
# setting gets the same images, seed and budget, printed by the next cell: 200 Adam steps at lr 1e-3 with batches of
# 50 (the whole set when it is smaller). "Fine-tuned" is each seed's stage-1 model plus 100 steps of stage 2 (block2
# unfrozen, lr 1e-4): it has seen 100 more batches, so compare it first with its own stage 1, seed by seed.

# %%
print(f"every setting (stage 1): {lesson.STEPS} Adam steps at lr {lesson.LR:g}, batches of {lesson.BATCH_SIZE}")
print(f"fine-tuned, stage 2:     {lesson.FINETUNE_STEPS} more steps at lr {lesson.FINETUNE_LR:g} (block2 and the head)")
print(f"labelled images per digit: 5, 50, 1000; seeds: {list(SEEDS)}")

# %% tags=["nbval-ignore-output"]
sweep = lesson.sweep(pretrained_state, test, labels_per_class=(5, 50, 1000), seeds=SEEDS, device=device)
print()
print("test accuracy on digits 5-9 (%), mean [min, max] over seeds", list(SEEDS))
print(sweep.table())


# %% tags=["nbval-ignore-output"]
def diffs(a, b, n):
    """Per seed: accuracy of setting a minus setting b, in points."""
    return [100 * (sweep.runs[n, s, a].test_acc - sweep.runs[n, s, b].test_acc) for s in SEEDS]

comparisons = [("frozen pretrained", "from scratch", "pretrained and frozen vs scratch"),
               ("frozen pretrained", "frozen random", "what pretraining adds (same trainable parameters)"),
               ("frozen random", "from scratch", "random frozen features vs scratch"),
               ("fine-tuned", "frozen pretrained", "stage 2 vs its own stage 1")]
for a, b, what in comparisons:
    print(f"{a} minus {b}  ({what}), points per seed:")
    for n in sweep.labels_per_class:
        d = diffs(a, b, n)
        print(f"  {n:5d} per class: " + " ".join(f"{x:+5.1f}" for x in d)
              + f"   mean {sum(d) / len(d):+5.2f}, above zero in {sum(x > 0 for x in d)} of {len(d)} seeds")

# %%
mean = lambda xs: sum(xs) / len(xs)
for n in (5, 50):  # pretraining beats the random control in every seed when labels are few
    assert min(diffs("frozen pretrained", "frozen random", n)) > 0.5, n
assert mean(diffs("frozen pretrained", "from scratch", 5)) > 2.0
assert mean(diffs("frozen pretrained", "from scratch", 5)) > mean(diffs("frozen pretrained", "from scratch", 1000))
assert mean(diffs("frozen random", "from scratch", 1000)) < -1.0   # random features fall behind with many labels
assert mean(diffs("fine-tuned", "frozen pretrained", 1000)) > 0.0  # stage 2 pays with many labels
for (n, s, name), run in sweep.runs.items():
    assert run.test_acc > (0.6 if n == 5 else 0.85), (n, s, name, run.test_acc)
print("the checks of the conclusions below hold for this run")

# %% [markdown]
# **What the numbers show** (read them in the two printouts above):
# - **Pretraining helps most when labels are few.** With 5 images per digit the frozen pretrained backbone beats
#   training from scratch by several points in every seed; the gain shrinks as labels grow, and at 1,000 per digit
#   from scratch has caught up: it is ahead in some seeds and behind in others (look at its spread: one seed can land
#   well below the others).
# - **The control matters.** Frozen random features with a trained linear head are already decent on MNIST; in our
#   runs, with 5 labels per digit they even beat training everything from scratch (a likely reason: fewer trainable
#   parameters overfit less).
#   What pretraining itself adds is the difference between the two frozen settings, which train exactly the same
#   15,685 parameters: a few points at every label count. Random features improve little with more labels (compare
#   50 and 1,000 per digit), and at 1,000 per digit they are clearly behind.
# - **Stage 2 pays only with enough data.** Fine-tuning block2 at lr 1e-4 changes little with few labels (its mean
#   difference from its own stage 1 is near zero or below), and adds a little in every seed at 1,000 per digit.
#
# Random frozen convolutions are good features for a shallow net on MNIST (Jarrett et al. 2009 found the same on
# Caltech-101 with two or three layers). Do not generalize that: in a deep ImageNet network Yosinski et al. found that
# random, frozen lower layers make accuracy fall quickly, to near chance when many layers are random.

# %% tags=["nbval-ignore-output"]
style = widgets.STYLE  # one colour and marker per setting, shared with the widget below
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
for name in lesson.SETTINGS:
    colour, marker = style[name]
    losses = sweep.runs[50, 0, name].step_loss
    axes[0].plot(range(1, len(losses) + 1), losses, color=colour, alpha=0.85, lw=1, label=name)
axes[0].axvline(lesson.STEPS, color="k", lw=0.8, ls="--", label="stage 1 ends (fine-tuned continues)")
axes[0].set(title="Training loss, 50 images per digit (seed 0)", xlabel="step", ylabel="training loss (log scale)",
            yscale="log")
axes[0].legend(fontsize=8)
counts = sweep.labels_per_class
for i, name in enumerate(lesson.SETTINGS):
    colour, marker = style[name]
    offset = (i - 1.5) * 0.08  # side by side, so every setting's points stay visible
    xs = [k + offset for k in range(len(counts)) for _ in SEEDS]
    ys = [100 * sweep.runs[n, s, name].test_acc for n in counts for s in SEEDS]
    axes[1].scatter(xs, ys, color=colour, marker=marker, s=22, alpha=0.8, label=f"{name} (one point per seed)")
    axes[1].plot([k + offset for k in range(len(counts))], [100 * sweep.mean(name, n) for n in counts],
                 color=colour, lw=1)
axes[1].set(title=f"Test accuracy on digits 5-9 ({len(SEEDS)} seeds, line = mean)", xlabel="labelled images per digit",
            ylabel="test accuracy (%)", xticks=range(len(counts)), xticklabels=[str(n) for n in counts])
axes[1].legend(fontsize=8, loc="lower right")
axes[1].grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% tags=["nbval-ignore-output"]
print(f"{'per class':>9s}  {'setting':18s} {'train acc':>9s} {'test acc':>9s} {'loss, last 20 steps':>20s}")
for n in (50, 1000):
    for name in lesson.SETTINGS:
        runs = [sweep.runs[n, s, name] for s in SEEDS]
        tail = mean([mean(r.step_loss[-20:]) for r in runs])
        print(f"{n:9d}  {name:18s} {mean([r.train_acc for r in runs]):9.1%} {mean([r.test_acc for r in runs]):9.1%}"
              f" {tail:20.4f}")

# %% [markdown]
# **What the training-loss panel shows.** Every setting drives its training loss far down (the panel's axis is
# logarithmic), and the table above gives the result: with 50 images per digit every setting ends at or near 100%
# training accuracy while its test accuracy stays several points lower. That gap is **overfitting**: 250 images are memorized. A
# lower training loss does not mean a better model here: from scratch ends with a lower training loss than frozen
# pretrained, and a lower test accuracy. Frozen random has the highest loss: a linear head on random
# features cannot fit as well. With 1,000 images per digit no setting fits its training set within the 200 steps
# (every training accuracy in the table is below 100%), frozen random least of all, and the gap between training and
# test accuracy is much smaller: more data, less overfitting. Fine-tuned's first 200 steps are its stage 1, the frozen pretrained run itself, so the two
# curves coincide up to the dashed line (the orange one is drawn on top); after it, stage 2
# lowers the loss further, which on 250 images is more memorization, not necessarily better test accuracy.

# %% [markdown]
# ## 5. Stage 2 in code, and when fine-tuning pays
#
# Stage 2 takes the stage-1 model, unfreezes `backbone.block2` (the block nearest the head: its features are the most
# specific to the old task) and builds a **new optimizer** over what now trains, at lr 1e-4 (stage 1 used Adam's
# default 1e-3). `block1`, whose edges and strokes are the most general, stays frozen.

# %%
stage1 = sweep.models[50, 0, "frozen pretrained"]
stage2 = lesson.build_setting("fine-tuned", pretrained_state)
stage2.load_state_dict(stage1.state_dict())  # start from the trained stage-1 head
models.unfreeze(stage2.backbone.block2)
optimizer = torch.optim.Adam([p for p in stage2.parameters() if p.requires_grad], lr=lesson.FINETUNE_LR)
print("trainable:", [n for n, p in stage2.named_parameters() if p.requires_grad])
print(cl.param_counts(stage2), " lr", optimizer.param_groups[0]["lr"])

# %% [markdown]
# **When does fine-tuning pay?** The standard guidance (the cs231n notes on transfer learning, building on Yosinski et
# al. 2014) depends on how much data the new task has and how similar it is to the old one:
#
# | new task's data | similar to the old task | different from the old task |
# |---|---|---|
# | little | linear classifier on the top features (frozen backbone): fine-tuning risks overfitting | linear classifier on **earlier** features: the top ones are too specific to the old task |
# | a lot | fine-tune (all or the last blocks), lr lower than for training from scratch | fine-tune from the pretrained weights (or train from scratch; the pretrained start rarely hurts) |
#
# Yosinski et al. found that transferred features get less useful the higher the layer and the more different the two
# tasks, that fine-tuning the transferred layers gave better accuracy than training from scratch even with half of
# ImageNet as the new task, and that frozen middle layers can lose accuracy because neighbouring layers had adapted to
# each other (*co-adaptation*) and are split.
#
# Our digits 5-9 are close to digits 0-4 (same pen strokes, same size, same background). The sweep agrees with the
# first column: with 5-50 labels per digit the frozen backbone with a linear head does as well as anything here, and
# stage 2 does not help (at 50 per digit it ends a fraction of a point below its own stage 1 in every seed); with 1,000 per digit stage 2 helps in every seed. Exercise 3 builds the classifier for the other column, and
# exercise 4 tries it on a task that looks different.

# %% [markdown]
# ## 6. Play: how many labels does pretraining save?
#
# The widget browses the sweep you just ran: the slider picks the number of labelled images per digit, the list picks
# the settings (ctrl/cmd-click). Left: test accuracy against labels per class, every seed a point; right: the accuracy
# of each digit at the chosen count. Nothing trains while you play.

# %% tags=["nbval-ignore-output"]
explorer = widgets.transfer_explorer(sweep, labels_per_class=5)
explorer

# %% [markdown]
# **Questions to answer by playing.**
# 1. Slide from 5 to 1,000. From how many labels per digit on is *from scratch* within the seed spread of *frozen
#    pretrained*? At which counts is fine-tuned's mean below frozen pretrained's, and at which above?
# 2. At 5 labels per digit, show only *frozen pretrained* and *from scratch*: which digit gains the most from
#    pretraining? Which digit is hardest for every setting, and does that change as labels grow?
# 3. Show only the two frozen settings. How does the gap between them (what pretraining adds) change from 5 to 50 to
#    1,000 labels per digit: does it shrink steadily?

# %% [markdown]
# ## 7. The same recipe on Inception v3
#
# Inception v3 (Szegedy et al. 2015) is a common backbone for transfer learning in Keras and PyTorch tutorials:
# pretrained on ImageNet, it turns a 299 x 299 photo into 2,048 features before its 1,000-class `fc` layer. The two
# stages look exactly like the small network's.
#
# **What runs here.** This lesson never downloads. If torchvision's pretrained file `inception_v3_google-*.pth` is
# already in your torch hub cache, the cell builds the real network with those weights; otherwise it builds the network
# on the **meta device**: every layer with its shapes and parameter counts, but no numbers in the weights, so nothing
# can train. Training would need photos of your new classes resized to 299 x 299 and, in practice, a GPU. The counts printed
# below are for torchvision's `inception_v3` without its auxiliary classifier (`aux_logits=False`). What the cells do show on
# any machine: which parameters each stage trains and the optimizer each stage builds.

# %%
from torchvision.models import inception_v3

weights_file = lesson.find_inception_weights()
if weights_file is not None:
    inc = inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=True)
    inc.load_state_dict(torch.load(weights_file, map_location="cpu"))
    inc.aux_logits, inc.AuxLogits = False, None  # the auxiliary head is not needed for the new task
    print(f"built with the pretrained weights in the local torch hub cache ({weights_file.name})")
else:
    with torch.device("meta"):
        inc = inception_v3(weights=None, aux_logits=False, init_weights=False)
    print("no pretrained Inception v3 weights in the local torch hub cache: built on the meta device (shapes only)")

# Stage 1: freeze everything, put a new 5-class head on the 2,048 features, train only the head.
models.freeze(inc)
inc.fc = nn.Linear(inc.fc.in_features, 5, device=inc.fc.weight.device)
stage1_counts = cl.param_counts(inc)
stage1_opt = torch.optim.Adam([p for p in inc.parameters() if p.requires_grad], lr=1e-3)
print(f"stage 1: trainable {stage1_counts['trainable']:,} of {stage1_counts['total']:,} "
      f"(only fc), optimizer lr {stage1_opt.param_groups[0]['lr']}")

# %%
# Stage 2: after stage 1 has trained the head, unfreeze the last blocks and build a new optimizer, lr 10x lower.
for name in ("Mixed_7a", "Mixed_7b", "Mixed_7c"):
    models.unfreeze(getattr(inc, name))
stage2_counts = cl.param_counts(inc)
stage2_opt = torch.optim.Adam([p for p in inc.parameters() if p.requires_grad], lr=1e-4)
print(f"stage 2: trainable {stage2_counts['trainable']:,} of {stage2_counts['total']:,}, "
      f"optimizer lr {stage2_opt.param_groups[0]['lr']}")
print("trainable blocks:", [n for n, c in inc.named_children() if any(p.requires_grad for p in c.parameters())])

# Inception v3 has BatchNorm: a frozen block in train mode would still update its running statistics (section 8).
models.train_keep_frozen_bn(inc)
frozen_bn_training = sum(m.training for m in inc.modules() if isinstance(m, nn.BatchNorm2d)
                         and not any(p.requires_grad for p in m.parameters()))
print("BatchNorm layers of frozen blocks still in train mode:", frozen_bn_training)

# %%
assert stage1_counts["trainable"] == 2048 * 5 + 5
assert all(not p.requires_grad for p in inc.Mixed_6e.parameters())
assert all(p.requires_grad for p in inc.Mixed_7a.parameters()) and inc.fc.weight.requires_grad
assert stage2_counts["trainable"] + stage2_counts["frozen"] == stage2_counts["total"]

# %% [markdown]
# **Cutting earlier, for little data from a different domain.** The guidance's other column says: put the classifier
# on earlier features. Keras' Inception v3 calls its blocks `mixed0` ... `mixed10`; torchvision calls them `Mixed_5b` ...
# `Mixed_7c`, in the same order, so Keras' `mixed7` is torchvision's `Mixed_6e` (768 channels at 17 x 17 for a 299 x 299
# image). A cut often used in tutorials keeps everything up to it and puts a new head there: every block up to `Mixed_6e`
# frozen, global average pooling, and a linear layer from 768 features to the new classes. (Tutorials often put a
# larger head there: a flatten, a wide dense layer, dropout and the output layer.)

# %%
children = dict(inc.named_children())
up_to_6e = list(children)[: list(children).index("Mixed_6e") + 1]
cut = nn.Sequential(*[children[n] for n in up_to_6e], nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                    nn.Linear(768, 5, device=inc.fc.weight.device))
models.freeze(nn.Sequential(*[children[n] for n in up_to_6e]))
table = cl.trace(cut, (1, 3, 299, 299), receptive_field=False)
cut_counts = cl.param_counts(cut)
print("output:", table.output_shape, f" trainable {cut_counts['trainable']:,} of {cut_counts['total']:,}")

# %%
assert table.output_shape == (1, 5) and cut_counts["trainable"] == 768 * 5 + 5

# %% [markdown]
# ## 8. Common mistakes
#
# **1. Labels not renumbered for the new task.** The new task's labels are the digits 5..9; the new head has 5
# outputs, classes 0..4. Training with the raw labels fails (or, with a head that happens to be wide enough, silently
# trains the wrong classes). `cl.fit` catches it and names both possible fixes; `lesson.fit_new_task` knows it is a new
# task and names the one that applies here:

# %%
x_raw, y_raw = cl.load_mnist("train", subset=250, seed=0, digits=lesson.NEW_DIGITS)  # labels 5..9
m = lesson.build_setting("frozen pretrained", pretrained_state)
for fit_fn in (cl.fit, lesson.fit_new_task):
    try:
        fit_fn(m, (x_raw, y_raw), steps=1, live=False, progress=False)
    except ValueError as err:
        print(f"{fit_fn.__name__}: {err}\n")
print("fixed:", lesson.remap_labels(y_raw[:8]).tolist(), "from", y_raw[:8].tolist())


# %% [markdown]
# **2. Replacing the head after building the optimizer.** An optimizer keeps a list of the parameter tensors it was
# given. Build it, then swap in a new head, and the new head's weights are not on that list: they get gradients that
# nobody applies, so the head stays random. Nothing raises an error; only the accuracy tells.

# %% tags=["nbval-ignore-output"]
def train_by_hand(model, optimizer, steps=50):
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(x_new), (50,), generator=gen)
        loss = nn.functional.cross_entropy(model(x_new[idx]), y_new[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

cl.seed_everything(0)
wrong = lesson.build_setting("frozen pretrained", pretrained_state)
opt = torch.optim.Adam([p for p in wrong.parameters() if p.requires_grad], lr=1e-3)
models.replace_head(wrong, 5)                     # the mistake: a new head AFTER the optimizer was built
head_before = wrong.head.weight.detach().clone()
train_by_hand(wrong, opt)
print("mistake: head changed?", not torch.equal(head_before, wrong.head.weight),
      f" test accuracy {cl.evaluate(wrong, test)[1]:.1%}")

cl.seed_everything(0)
right = lesson.build_setting("frozen pretrained", pretrained_state)
models.replace_head(right, 5)                     # the fix: change the model first ...
opt = torch.optim.Adam([p for p in right.parameters() if p.requires_grad], lr=1e-3)  # ... then build the optimizer
head_before = right.head.weight.detach().clone()
train_by_hand(right, opt)
print("fixed:   head changed?", not torch.equal(head_before, right.head.weight),
      f" test accuracy {cl.evaluate(right, test)[1]:.1%}")

# %%
assert cl.evaluate(wrong, test)[1] < 0.6 < 0.85 < cl.evaluate(right, test)[1]
print("the stale optimizer left the head random; the rebuilt one trained it")

# %% [markdown]
# `cl.fit` builds its optimizer inside, from the parameters that have `requires_grad=True` at that moment, which is why
# the stages above call it (or build a new optimizer) after every change to what trains. In your own loops: change the
# model, *then* build the optimizer, at each stage.
#
# **3. A frozen block's BatchNorm still moves.** `requires_grad=False` stops gradients, but a BatchNorm layer in train
# mode still updates its running mean and variance from every batch, so a "frozen" backbone drifts toward the new
# task's statistics. Our small network has no BatchNorm; Inception v3 has it after every convolution:

# %%
block = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8))
models.freeze(block)
before = block[1].running_mean.clone()
block.train()
block(x_new[:50])
print("frozen, train mode: running mean changed?", not torch.equal(before, block[1].running_mean))
before = block[1].running_mean.clone()
models.train_keep_frozen_bn(block)  # train mode for the rest, eval mode for BatchNorm of frozen parts
block(x_new[:50])
print("frozen, BatchNorm in eval mode: running mean changed?", not torch.equal(before, block[1].running_mean))

# %% [markdown]
# ## 9. Exercises
#
# Each check prints "Correct" or "Not yet" with a hint; `lesson.exercise_N.hint()` gives another hint.
#
# **Exercise 1 (predict).** Freeze the backbone of `models.transfer_net(num_classes=3)` (a new task with three
# classes). How many parameters are still trainable? Work it out from the head's shape before you count.
# Answer: a whole number, exact.

# %%
answer = None  # your answer: a whole number
lesson.exercise_1.check(answer)

# %% [markdown]
# **Exercise 2 (change one thing and count).** In Inception v3's stage 2, unfreeze only `Mixed_7c` (not `Mixed_7a` and
# `Mixed_7b`) along with the new 5-class `fc`. How many parameters train? Build it on the meta device and count.
# Answer: a whole number, exact.

# %%
answer = None  # your answer: a whole number
lesson.exercise_2.check(answer)

# %% [markdown]
# **Exercise 3 (build).** Build the classifier for little data from a *different* domain: the pretrained `block1`
# (take it from `pretrained`, the network trained on digits 0-4), **frozen**, then flatten, then a new linear layer to
# 5 classes. Input N x 1 x 28 x 28, output N x 5. Answer: an `nn.Module`.

# %%
answer = None  # your answer: an nn.Module, e.g. nn.Sequential(...)
lesson.exercise_3.check(answer)

# %% [markdown]
# **Exercise 4 (change one thing and measure).** A different domain: the new task's digits inverted (dark strokes on
# white, `lesson.invert(x)`). Train a linear head on the frozen pretrained backbone's top features (block2, like stage
# 1), and another on your block1 model from exercise 3, both with `lesson.train_frozen(model, x, y, seed=0)` on
# `lesson.few_labels(50, seed=0)` inverted, and measure both on the inverted test set with `cl.evaluate`. Which
# features give the better classifier here? Answer `"block1"` or `"block2"`.

# %%
answer = None  # your answer: "block1" or "block2"
lesson.exercise_4.check(answer)

# %% [markdown]
# ## References
#
# - J. Yosinski, J. Clune, Y. Bengio, H. Lipson. *How transferable are features in deep neural networks?* NeurIPS 2014.
#   [arXiv:1411.1792](https://arxiv.org/abs/1411.1792)
# - C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna. *Rethinking the Inception Architecture for Computer
#   Vision* (Inception v3). CVPR 2016. [arXiv:1512.00567](https://arxiv.org/abs/1512.00567)
# - K. Jarrett, K. Kavukcuoglu, M. Ranzato, Y. LeCun. *What is the best multi-stage architecture for object
#   recognition?* ICCV 2009. [PDF](http://yann.lecun.com/exdb/publis/pdf/jarrett-iccv-09.pdf)
# - A. Kumar, A. Raghunathan, R. Jones, T. Ma, P. Liang. *Fine-Tuning can Distort Pretrained Features and
#   Underperform Out-of-Distribution* (linear probe, then fine-tune). ICLR 2022.
#   [arXiv:2202.10054](https://arxiv.org/abs/2202.10054)
# - Stanford CS231n notes, *Transfer Learning*. [cs231n.github.io/transfer-learning](https://cs231n.github.io/transfer-learning/)

# %% tags=["nbval-ignore-output"]
print(f"this run: {time.time() - _start:.0f} s wall, {time.process_time():.0f} s CPU in this kernel, on {device}")

# %% tags=["nbval-ignore-output"]
cl.check_memory_budget()
