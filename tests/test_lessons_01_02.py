"""Lesson 01/02 helpers: check functions accept the right answer and reject wrong ones; experiment helpers."""
import torch
from torch import nn

from cnnlessons.lessons import alexnet_tricks as L1
from cnnlessons.lessons import vgg_small_kernels as L2


def test_checks_01(capsys):
    assert L1.check_conv1_params(23_296) and not L1.check_conv1_params(23_232)
    assert L1.check_lrn_alpha(5e-4) and not L1.check_lrn_alpha(1e-4)
    assert L1.check_grouped_weights(307_200) and not L1.check_grouped_weights(614_400)
    assert L1.check_pool_size(27) and not L1.check_pool_size(26)
    assert not L1.check_conv1_params(None)
    out = capsys.readouterr().out
    assert "Correct:" in out and "Not yet:" in out and "replace None" in out


def test_checks_02(capsys):
    assert L2.check_stack_weights(110_592) and not L2.check_stack_weights(49 * 64 * 64)
    assert L2.check_receptive_field(9) and not L2.check_receptive_field(7)
    assert L2.check_fc6_params(102_764_544) and not L2.check_fc6_params(102_760_448)
    assert L2.check_score_map((8, 8)) and not L2.check_score_map((14, 14))
    assert not L2.check_score_map(None)
    assert "replace None" in capsys.readouterr().out


def test_gradient_footprint_grows_by_two_per_layer():
    for n in (1, 2, 3):
        fp = L2.gradient_footprint(n)
        assert fp.sum() == (2 * n + 1) ** 2
        assert fp.sum(0).max() == 2 * n + 1


def test_skipping_vgg16_runs_but_leaves_three_convs_unused():
    with torch.device("meta"):
        m = L2.SkippingVGG16()
        called = set()
        hooks = [mod.register_forward_hook(lambda mod, i, o, name=name: called.add(name))
                 for name, mod in m.named_modules() if isinstance(mod, nn.Conv2d)]
        assert m(torch.empty(1, 3, 224, 224)).shape == (1, 1000)
    for h in hooks:
        h.remove()
    assert sum(p.numel() for p in m.parameters()) == 138_357_544
    convs = {n for n, mod in m.named_modules() if isinstance(mod, nn.Conv2d)}
    assert convs - called == {"conv3_3", "conv4_3", "conv5_3"}


def test_activation_cnn_and_errors():
    assert L1.activation_cnn("tanh")(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    try:
        L1.activation_cnn("elu")
    except ValueError as e:
        assert "is not one of" in str(e)
    else:
        raise AssertionError("no error for an unknown activation")


def test_rgb_pca_and_colour_augment():
    torch.manual_seed(0)
    img = torch.rand(3, 16, 16)
    vals, vecs = L1.rgb_pca(img)
    cov = torch.cov(img.reshape(3, -1))
    assert torch.all(vals[:-1] >= vals[1:])
    assert torch.allclose(cov @ vecs, vecs * vals, atol=1e-5)
    out = L1.pca_color_augment(img, alphas=torch.tensor([1.0, 0.0, 0.0]))
    shift = (out - img).reshape(3, -1)
    assert torch.allclose(shift, (vals[0] * vecs[:, 0]).view(3, 1).expand_as(shift), atol=1e-6)
    try:
        L1.rgb_pca(torch.rand(1, 4, 4))
    except ValueError as e:
        assert "(3, H, W)" in str(e)


def test_dropout_ensemble_and_tta():
    torch.manual_seed(0)
    head = nn.Sequential(nn.Dropout(0.5), nn.Linear(8, 3))
    r = L1.dropout_ensemble(head, torch.randn(20, 8), passes=7)
    assert r["single"].shape == (7, 20, 3) and r["mean"].shape == r["eval"].shape == (20, 3)
    assert not torch.allclose(r["single"][0], r["single"][1])
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    x = torch.randn(5, 1, 28, 28)
    plain, tta = L1.tta_logits(model, x, fill=0.0, batch=2)
    assert torch.allclose(plain, model(x), atol=1e-6) and tta.shape == (5, 10)
    assert not torch.allclose(plain, tta)
