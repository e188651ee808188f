"""AlexNet models: torchvision parity, parameter counts, the paper's LRN and two-tower variants, MNIST AlexNet."""

import pytest
import torch
import torchvision
from torch import nn

from cnnlessons import load_mnist
from cnnlessons.counting import count_params as n_params
from cnnlessons.models import alexnet_tricks as A


def test_alexnet_matches_torchvision():
    torch.manual_seed(0)
    ref = torchvision.models.alexnet().eval()
    with torch.device("meta"):
        ours = A.alexnet()
    ours.load_state_dict(ref.state_dict(), strict=True, assign=True)
    ours.eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(ours(x), ref(x), atol=1e-5)


def test_alexnet_param_count_and_classes():
    with torch.device("meta"):
        assert n_params(A.alexnet()) == 61_100_840
        assert n_params(A.alexnet(num_classes=10)) == 61_100_840 - 4097 * 990


def test_paper_lrn_matches_the_paper_formula():
    x = torch.randn(2, 12, 5, 5)
    # The paper: b_i = a_i / (k + alpha * sum_{j=i-2}^{i+2} a_j^2)^beta, channels clipped at the ends.
    sq = torch.nn.functional.pad(x.pow(2), (0, 0, 0, 0, 2, 2))
    window = sum(sq[:, j : j + 12] for j in range(5))
    want = x / (A.LRN_K + A.LRN_ALPHA * window) ** A.LRN_BETA
    assert torch.allclose(A.paper_lrn()(x), want, atol=1e-6)
    # PyTorch's own alpha is divided by n: passing the paper's alpha as-is does not match.
    wrong = nn.LocalResponseNorm(5, alpha=A.LRN_ALPHA, beta=A.LRN_BETA, k=A.LRN_K)(x * 30)
    want30 = (x * 30) / (A.LRN_K + A.LRN_ALPHA * 900 * window) ** A.LRN_BETA
    assert not torch.allclose(wrong, want30, atol=1e-4)


def test_paper_alexnet_shapes_and_lrn_placement():
    m = A.AlexNetLRN(num_classes=7).eval()
    lrns = [i for i, layer in enumerate(m.features) if isinstance(layer, nn.LocalResponseNorm)]
    assert lrns == [2, 6]  # after the ReLUs of conv1 and conv2
    with torch.no_grad():
        assert m.features(torch.randn(1, 3, 224, 224)).shape == (1, 256, 6, 6)
        assert m(torch.randn(2, 3, 224, 224)).shape == (2, 7)


def test_two_tower_halves_the_split_layers():
    with torch.device("meta"):
        one, two = A.AlexNetLRN(), A.alexnet_two_tower()
    convs1 = [c for c in one.features if isinstance(c, nn.Conv2d)]
    convs2 = [c for c in two.features if isinstance(c, nn.Conv2d)]
    assert [c.groups for c in convs2] == [1, 2, 1, 2, 2]
    for a, b in zip(convs1, convs2):
        if b.groups == 2:
            assert b.weight.numel() * 2 == a.weight.numel()
        else:
            assert b.weight.numel() == a.weight.numel()


def test_grouped_conv_equals_two_separate_convs():
    torch.manual_seed(0)
    g = nn.Conv2d(8, 6, 3, padding=1, groups=2)
    x = torch.randn(1, 8, 5, 5)
    top = nn.functional.conv2d(x[:, :4], g.weight[:3], g.bias[:3], padding=1)
    bottom = nn.functional.conv2d(x[:, 4:], g.weight[3:], g.bias[3:], padding=1)
    assert torch.allclose(g(x), torch.cat([top, bottom], 1), atol=1e-6)


@pytest.mark.parametrize("overlap, side", [(True, 2), (False, 3)])
def test_mnist_alexnet_shapes(overlap, side):
    m = A.mnist_alexnet(overlap=overlap).eval()
    x = torch.randn(3, 1, 28, 28)
    assert m.features(x).shape == (3, 32, side, side)
    assert m(x).shape == (3, 10)


@pytest.mark.parametrize("act, cls", [("relu", nn.ReLU), ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid)])
def test_mnist_alexnet_switches(act, cls):
    m = A.mnist_alexnet(activation=act, lrn=True, dropout=0.3)
    assert any(isinstance(x, cls) for x in m.modules())
    assert sum(isinstance(x, nn.LocalResponseNorm) for x in m.modules()) == 2
    assert all(d.p == 0.3 for d in m.modules() if isinstance(d, nn.Dropout))


def test_mnist_alexnet_errors_say_what_to_do():
    with pytest.raises(ValueError, match="is not one of"):
        A.mnist_alexnet(activation="gelu")
    with pytest.raises(ValueError, match="five filter counts"):
        A.mnist_alexnet(widths=(8, 8))


def test_mnist_alexnet_learns_a_batch():
    torch.manual_seed(0)
    m = A.mnist_alexnet(dropout=0.0)
    x, y = load_mnist("train", subset=32)
    opt = torch.optim.Adam(m.parameters(), 2e-3)
    first = None
    for _ in range(25):
        loss = nn.functional.cross_entropy(m(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first * 0.5


@pytest.mark.parametrize("pool", ["plain", "overlap"])
def test_small_cnn_pools_to_equal_sizes_and_parameters(pool):
    m = A.small_cnn(pool=pool).eval()
    x = torch.randn(2, 1, 28, 28)
    assert m.features[:4](x).shape == (2, 16, 14, 14)
    assert m.features(x).shape == (2, 32, 7, 7)
    assert m(x).shape == (2, 10)
    assert n_params(m) == n_params(A.small_cnn())


def test_small_cnn_switches():
    m = A.small_cnn(activation="tanh", dropout=0.3, norm="lrn", pool="overlap")
    assert sum(isinstance(x, nn.Tanh) for x in m.modules()) == 3
    assert all(d.p == 0.3 for d in m.modules() if isinstance(d, nn.Dropout))
    assert sum(isinstance(x, nn.LocalResponseNorm) for x in m.modules()) == 2
    pools = [p for p in m.modules() if isinstance(p, nn.MaxPool2d)]
    assert [(p.kernel_size, p.stride, p.padding) for p in pools] == [(3, 2, 1)] * 2
    assert not any(isinstance(x, (nn.LocalResponseNorm, A.ConstantScale)) for x in A.small_cnn().modules())


def test_constant_scale_is_lrn_on_small_activations():
    x = torch.relu(torch.randn(4, 16, 7, 7)) * 0.5
    scaled = A.small_cnn(norm="scale").features[2]
    assert isinstance(scaled, A.ConstantScale)
    assert torch.allclose(scaled(x), A.paper_lrn()(x), rtol=1e-3, atol=1e-6)
    assert torch.allclose(scaled(x), x * 2**-0.75)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "gelu"}, "is not one of"),
        ({"pool": "avg"}, "'plain' is 2x2"),
        ({"norm": "bn"}, "is not one of"),
        ({"dropout": 1.0}, "must be in"),
    ],
)
def test_small_cnn_errors_say_what_to_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        A.small_cnn(**kwargs)


def test_small_cnn_same_seed_same_weights_for_every_activation():
    torch.manual_seed(3)
    a = A.small_cnn(activation="relu")
    torch.manual_seed(3)
    b = A.small_cnn(activation="sigmoid")
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
