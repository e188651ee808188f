"""Lesson 04 models: GoogLeNet against torchvision, counts, auxiliary heads, InceptionA (MNIST)."""

import pytest
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.models import inception as inc


def _n(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_torchvision_layout_loads_torchvision_state_dict_and_agrees():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    tv = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
    ours = inc.googlenet(torchvision_layout=True, aux_logits=True)
    ours.load_state_dict(tv.state_dict(), strict=True)
    tv.eval(), ours.eval()
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        expected, got = tv(x), ours(x)
    assert got.shape == (1, 1000)
    torch.testing.assert_close(got, expected)


def test_paper_layout_does_not_load_torchvision_weights():
    torchvision = pytest.importorskip("torchvision")
    with torch.device("meta"):
        tv = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
        paper = inc.googlenet(aux_logits=True)
    with pytest.raises(RuntimeError, match="size mismatch"):
        paper.load_state_dict(tv.state_dict(), strict=True)


def test_googlenet_parameter_counts():
    with torch.device("meta"):
        assert _n(inc.googlenet(aux_logits=False, torchvision_layout=True)) == 6_624_904
        assert _n(inc.googlenet(aux_logits=False)) == 6_998_552  # the paper's: no BatchNorm, conv biases
        assert _n(inc.googlenet(aux_logits=True)) == 13_378_280
        assert _n(inc.googlenet(aux_logits=True, torchvision_layout=True)) == 13_004_888


def test_googlenet_traced_at_224_on_meta():
    with torch.device("meta"):
        net = inc.googlenet(aux_logits=False, torchvision_layout=True)
    t = cl.trace(net, (1, 3, 224, 224), receptive_field=False)
    assert t.total_params == 6_624_904
    assert t.output_shape == (1, 1000)


def test_aux_heads_tuple_in_train_tensor_in_eval():
    net = inc.mnist_googlenet(aux_logits=True)
    x = torch.randn(2, 1, 28, 28)
    out = net.train()(x)
    assert isinstance(out, tuple) and len(out) == 3
    assert all(o.shape == (2, 10) for o in out)
    out = net.eval()(x)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 10)
    # without heads: a tensor in both modes
    assert isinstance(inc.mnist_googlenet(aux_logits=False).train()(x), torch.Tensor)


def test_full_googlenet_aux_tuple_small_input():
    with torch.device("meta"):  # shapes only: nothing allocated
        net = inc.googlenet(num_classes=5, aux_logits=True, torchvision_layout=True)
        out = net.train()(torch.empty(2, 3, 96, 96))
    assert isinstance(net.eval()(torch.empty(2, 3, 96, 96, device="meta")), torch.Tensor)
    assert isinstance(out, tuple) and [tuple(o.shape) for o in out] == [(2, 5)] * 3


def test_block_mult_adds_naive_and_reduced():
    naive = inc.naive_inception(256, 128, 192, 96, batch_norm=False)
    reduced = inc.Inception(256, 128, 64, 192, 64, 96, 64, batch_norm=False)
    tn = cl.trace(naive, (1, 256, 28, 28), flops=True, receptive_field=False)
    tr = cl.trace(reduced, (1, 256, 28, 28), flops=True, receptive_field=False)
    assert tn.total_flops // 2 == 854_196_224
    assert tr.total_flops // 2 == 271_351_808
    assert tn.output_shape == (1, 128 + 192 + 96 + 256, 28, 28)
    assert tr.output_shape == (1, 128 + 192 + 96 + 64, 28, 28)
    assert naive.out_channels == 672 and reduced.out_channels == 480


def test_inceptionanet_counts_and_error():
    net = inc.InceptionANet()
    t = cl.trace(net, (1, 1, 28, 28))
    assert t.total_params == 97_298
    assert [r.output_shape[1] for r in t.joins] == [88, 88]
    assert net.fc.in_features == 1408 and inc.InceptionA.out_channels == 88
    with pytest.raises(cl.TraceError, match="1408"):
        cl.trace(inc.InceptionANet(fc_in_features=320), (1, 1, 28, 28))


def test_mnist_googlenet_shapes():
    net = inc.mnist_googlenet(aux_logits=False)
    shapes = {}
    for name in ("maxpool1", "inception3a", "inception3b", "maxpool2", "inception4a", "inception4d"):
        net.get_submodule(name).register_forward_hook(lambda m, i, o, n=name: shapes.__setitem__(n, tuple(o.shape)))
    assert net.eval()(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert shapes == {
        "maxpool1": (2, 32, 14, 14),
        "inception3a": (2, 64, 14, 14),
        "inception3b": (2, 88, 14, 14),
        "maxpool2": (2, 88, 7, 7),
        "inception4a": (2, 104, 7, 7),
        "inception4d": (2, 152, 7, 7),
    }


def test_same_main_path_weights_with_and_without_heads():
    torch.manual_seed(3)
    bare = inc.mnist_googlenet(aux_logits=False)
    torch.manual_seed(3)
    heads = inc.mnist_googlenet(aux_logits=True)
    sd = heads.state_dict()
    assert set(sd) - set(bare.state_dict()) and all(k.startswith("aux") for k in set(sd) - set(bare.state_dict()))
    for k, v in bare.state_dict().items():
        assert torch.equal(v, sd[k]), k
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(bare.eval()(x), heads.eval()(x))


def test_paper_layout_has_no_batchnorm_torchvision_layout_has():
    with torch.device("meta"):
        paper = inc.googlenet(aux_logits=True)
        tv = inc.googlenet(aux_logits=True, torchvision_layout=True)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in paper.modules())
    assert all(m.bias is not None for m in paper.modules() if isinstance(m, nn.Conv2d))
    assert any(isinstance(m, nn.BatchNorm2d) for m in tv.modules())
    assert paper.dropout.p == 0.4 and tv.dropout.p == 0.2
    assert paper.inception3a.branch3[1].conv.kernel_size == (5, 5)
    assert tv.inception3a.branch3[1].conv.kernel_size == (3, 3)


def test_inceptiona_branches_concatenate_to_forward_and_relu_switch():
    torch.manual_seed(0)
    block = inc.InceptionA(10)
    x = torch.randn(2, 10, 6, 6)
    parts = block.branches(x)
    assert [p.shape[1] for p in parts] == list(inc.InceptionA.branch_channels)
    torch.testing.assert_close(torch.cat(parts, 1), block(x))
    # without ReLU the block is affine: f(a + b) = f(a) + f(b) - f(0)
    a, b, zero = torch.randn(1, 10, 6, 6), torch.randn(1, 10, 6, 6), torch.zeros(1, 10, 6, 6)
    torch.testing.assert_close(block(a + b), block(a) + block(b) - block(zero), atol=1e-4, rtol=1e-4)
    with_relu = inc.InceptionA(10, relu=True)
    with_relu.load_state_dict(block.state_dict())
    assert (with_relu(x) >= 0).all()
    assert not torch.allclose(with_relu(a + b), with_relu(a) + with_relu(b) - with_relu(zero), atol=1e-3)
    net = inc.InceptionANet(relu=True)
    assert net.incep1.relu and net.incep2.relu and _n(net) == 97_298


def test_basicconv2d_defined_once():
    from cnnlessons.models import residual

    assert residual.BasicConv2d is inc.BasicConv2d
    unit = inc.BasicConv2d(4, 8, kernel_size=3, padding=1)
    assert unit.conv.bias is None and isinstance(unit.bn, nn.BatchNorm2d)
    plain = inc.BasicConv2d(4, 8, batch_norm=False, kernel_size=3, padding=1)
    assert plain.conv.bias is not None and isinstance(plain.bn, nn.Identity)
