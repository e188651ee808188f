"""Lesson 07: the few-labels data, the four settings, the sweep, the features shortcut, and the
helpers behind the exercises (the exercises themselves are tested in test_exercises_all.py)."""

import pytest
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.counting import param_counts
from cnnlessons.lessons import transfer as l07
from cnnlessons.models import transfer as tr


def test_few_labels_is_exact_and_seeded():
    x, y = l07.few_labels(7, seed=0)
    assert x.shape == (35, 1, 28, 28) and torch.bincount(y).tolist() == [7] * 5
    x1, _ = l07.few_labels(7, seed=1)
    assert not torch.equal(x, x1)
    assert torch.equal(x, l07.few_labels(7, seed=0)[0])
    with pytest.raises(ValueError, match="whole number >= 1"):
        l07.few_labels(0)


def test_invert_flips_pixels_and_keeps_the_normalization():
    x, _ = l07.few_labels(2, seed=0)
    back = l07.invert(l07.invert(x))
    assert torch.allclose(back, x, atol=1e-5)
    pixels = x * 0.3081 + 0.1307
    assert torch.allclose(l07.invert(x) * 0.3081 + 0.1307, 1 - pixels, atol=1e-5)


def test_build_setting():
    state = tr.transfer_net(5).state_dict()
    frozen = l07.build_setting("frozen pretrained", state)
    assert torch.equal(frozen.backbone.block1[0].weight, state["backbone.block1.0.weight"])
    assert param_counts(frozen)["trainable"] == 15_685
    fine = l07.build_setting("fine-tuned", state)  # starts like stage 1
    assert param_counts(fine)["trainable"] == 15_685
    torch.manual_seed(1)
    scratch = l07.build_setting("from scratch", state)
    assert not torch.equal(scratch.backbone.block1[0].weight, state["backbone.block1.0.weight"])
    assert param_counts(scratch)["frozen"] == 0
    assert param_counts(l07.build_setting("frozen random", None))["frozen"] == 18_816
    with pytest.raises(KeyError, match="unknown setting"):
        l07.build_setting("frozen", state)
    with pytest.raises(ValueError, match="needs the pretrained weights"):
        l07.build_setting("fine-tuned", None)


def test_head_on_features_equals_training_the_frozen_model():
    """The shortcut: training the head on precomputed features gives the same head as cl.fit on
    the whole frozen model (same batches, same initial head)."""
    torch.manual_seed(0)
    state = tr.transfer_net(5).state_dict()
    x, y = l07.few_labels(6, seed=0)
    cl.seed_everything(0)
    whole = l07.build_setting("frozen pretrained", state)
    cl.fit(
        whole,
        (x, y),
        steps=5,
        batch_size=10,
        optimizer="adam",
        lr=1e-3,
        seed=0,
        live=False,
        progress=False,
        channels_last=False,
    )
    cl.seed_everything(0)
    short = l07.build_setting("frozen pretrained", state)
    l07.train_head_on_features(short, l07.features(short.backbone, x), y, steps=5, batch_size=10, seed=0)
    assert torch.allclose(whole.head.weight, short.head.weight, atol=1e-5)


@pytest.fixture(scope="module")
def small_sweep():
    torch.manual_seed(0)
    state = tr.transfer_net(5).state_dict()
    test = l07.load_task("test", l07.NEW_DIGITS, subset=100)
    return l07.sweep(state, test, labels_per_class=(2, 4), seeds=(0, 1), steps=3, finetune_steps=2, verbose=False)


def test_sweep_runs_every_setting(small_sweep):
    sw = small_sweep
    assert sw.labels_per_class == [2, 4] and sw.seeds == [0, 1] and sw.settings == list(l07.SETTINGS)
    assert len(sw.runs) == 2 * 2 * 4
    run = sw.runs[4, 1, "fine-tuned"]
    assert len(run.step_loss) == 3 + 2 and len(run.per_class) == 5
    assert run.trainable == 34_181  # block2 and the head
    assert sw.runs[4, 1, "frozen pretrained"].trainable == 15_685
    assert all(0.0 <= r.test_acc <= 1.0 and 0.0 <= r.train_acc <= 1.0 for r in sw.runs.values())
    assert len(sw.accs("from scratch", 2)) == 2
    assert "frozen random" in sw.table() and "4 per class" in sw.table()


def test_finetuning_leaves_block1_and_copies_stage1(small_sweep):
    stage1 = small_sweep.models[2, 0, "frozen pretrained"]
    stage2 = small_sweep.models[2, 0, "fine-tuned"]
    assert stage1 is not stage2
    assert torch.equal(stage1.backbone.block1[0].weight, stage2.backbone.block1[0].weight)
    assert not torch.equal(stage1.backbone.block2[0].weight, stage2.backbone.block2[0].weight)


def test_remap_labels():
    y = torch.tensor([5, 9, 7, 5])
    assert l07.remap_labels(y).tolist() == [0, 4, 2, 0]
    assert l07.remap_labels(torch.tensor([3, 1]), digits=(3, 1)).tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"labels \[2\] are not among digits"):
        l07.remap_labels(torch.tensor([5, 2]))


def test_load_task_remaps():
    x, y = l07.load_task("test", l07.NEW_DIGITS, subset=50, seed=0)
    assert x.shape == (50, 1, 28, 28)
    assert sorted(set(y.tolist())) == [0, 1, 2, 3, 4]


def test_fit_new_task_catches_unmapped_labels():
    model = tr.transfer_net(5)
    x = torch.randn(4, 1, 28, 28)
    with pytest.raises(ValueError, match="labels go from 5 to 9.*5 outputs.*remap_labels"):
        l07.fit_new_task(model, (x, torch.tensor([5, 6, 7, 9])), steps=1, live=False, progress=False)
    hist = l07.fit_new_task(model, (x, torch.tensor([0, 1, 2, 4])), steps=1, batch_size=4, live=False, progress=False)
    assert hist.steps == 1


def test_train_frozen_trains_only_what_is_not_frozen():
    x, y = l07.few_labels(3, seed=0)
    body = tr.freeze(nn.Conv2d(1, 2, 3))
    head = nn.Linear(2 * 26 * 26, 5)
    model = nn.Sequential(body, nn.Flatten(), head)
    before_body, before_head = body.weight.clone(), head.weight.clone()
    hist = l07.train_frozen(model, x, y, seed=0, steps=2)
    assert hist.steps == 2 and hist.batch_size == 15
    assert torch.equal(body.weight, before_body) and not torch.equal(head.weight, before_head)


def test_mixed_7c_count_matches_torchvision():
    from torchvision.models import inception_v3

    with torch.device("meta"):
        inc = inception_v3(weights=None, aux_logits=False, init_weights=False)
    assert sum(p.numel() for p in inc.Mixed_7c.parameters()) == l07._MIXED_7C


def test_find_inception_weights_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setattr("torch.hub.get_dir", lambda: str(tmp_path))
    assert l07.find_inception_weights() is None
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "inception_v3_google-0cc3c7bd.pth").write_bytes(b"")
    assert l07.find_inception_weights().name == "inception_v3_google-0cc3c7bd.pth"
