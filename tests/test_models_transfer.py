"""Lesson 07 model helpers: freezing, unfreezing, swapping the head, counting; the label remap."""

import pytest
import torch
from torch import nn

from cnnlessons.counting import param_counts
from cnnlessons.models import transfer as tr


def test_shapes_and_counts():
    model = tr.transfer_net(num_classes=5)
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 5)
    assert model.backbone(torch.randn(2, 1, 28, 28)).shape == (2, 64, 7, 7)
    c = param_counts(model)
    assert c == {"trainable": 34_501, "frozen": 0, "total": 34_501}
    assert [n for n, _ in model.backbone.named_children()] == ["block1", "block2"]


def test_freeze_and_unfreeze_last_block():
    model = tr.transfer_net(5)
    tr.freeze(model.backbone)
    assert param_counts(model) == {"trainable": 3136 * 5 + 5, "frozen": 18_816, "total": 34_501}
    tr.unfreeze(model.backbone.block2)
    assert all(p.requires_grad for p in model.backbone.block2.parameters())
    assert not any(p.requires_grad for p in model.backbone.block1.parameters())
    assert param_counts(model)["frozen"] == 32 * 9 + 32


def test_frozen_weights_do_not_change_in_training():
    torch.manual_seed(0)
    model = tr.transfer_net(5)
    tr.freeze(model.backbone)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(3):
        loss = nn.functional.cross_entropy(model(torch.randn(8, 1, 28, 28)), torch.randint(0, 5, (8,)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("backbone."))
    assert not torch.equal(before["head.weight"], after["head.weight"])


def test_replace_head_is_fresh_and_sized():
    model = tr.transfer_net(5)
    old = model.head
    new = tr.replace_head(model, 3)
    assert model.head is new and new is not old
    assert (new.in_features, new.out_features) == (3136, 3)
    assert new.weight.requires_grad
    assert model(torch.randn(1, 1, 28, 28)).shape == (1, 3)


def test_replace_head_error_message():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(TypeError, match="linear `head`.*Sequential.*model.fc = nn.Linear"):
        tr.replace_head(model, 5)


def test_freeze_up_to():
    model = nn.Sequential()
    for name in ("a", "b", "c"):
        model.add_module(name, nn.Linear(2, 2))
    tr.freeze_up_to(model, "b")
    assert not model.a.weight.requires_grad and not model.b.bias.requires_grad
    assert model.c.weight.requires_grad
    with pytest.raises(KeyError, match="no child named 'Mixed_6e'.*a, b, c"):
        tr.freeze_up_to(model, "Mixed_6e")


def test_freeze_up_to_inception_on_meta():
    from torchvision.models import inception_v3

    with torch.device("meta"):
        inc = inception_v3(weights=None, aux_logits=False, init_weights=False)
    tr.freeze_up_to(inc, "Mixed_6e")
    assert not any(p.requires_grad for p in inc.Mixed_6e.parameters())
    assert all(p.requires_grad for p in inc.Mixed_7a.parameters())


def test_train_keep_frozen_bn():
    block = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4))
    tr.freeze(block[:2])
    tr.train_keep_frozen_bn(block)
    assert block.training and block[0].training
    assert not block[1].training and block[3].training
    before = block[1].running_mean.clone()
    block(torch.randn(8, 1, 10, 10))
    assert torch.equal(before, block[1].running_mean)
