"""VGG models: torchvision parity for all eight factories, counts, the fully convolutional conversion, MNIST VGG."""

import pytest
import torch
import torchvision
from torch import nn

from cnnlessons.counting import count_params as n_params
from cnnlessons.models import vgg_small_kernels as V

NAMES = ["vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]


def _randomize_bn_stats(model: nn.Module) -> None:
    """Fresh BN layers are the identity in eval mode; give them stats so the test can fail."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.1)


@pytest.mark.parametrize("name", NAMES)
def test_vgg_matches_torchvision(name):
    torch.manual_seed(0)
    ref = getattr(torchvision.models, name)().eval()
    _randomize_bn_stats(ref)
    with torch.device("meta"):
        ours = getattr(V, name)()
    ours.load_state_dict(ref.state_dict(), strict=True, assign=True)
    ours.eval()
    # 64 x 64 keeps the test quick: features give 2 x 2, the adaptive pool makes it 7 x 7.
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = ours(x), ref(x)
    assert a.shape == (1, 1000)
    assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def test_param_counts_equal_torchvision():
    with torch.device("meta"):
        assert n_params(V.vgg16()) == 138_357_544
        assert n_params(V.vgg11()) == 132_863_336
        assert n_params(V.vgg11_bn()) == 132_868_840
        for name in NAMES:
            assert n_params(getattr(V, name)()) == n_params(getattr(torchvision.models, name)())


def test_config_table_depths():
    convs = {k: sum(v != "M" for v in cfg) for k, cfg in V.cfgs.items()}
    assert convs == {"A": 8, "B": 10, "D": 13, "E": 16}  # + 3 FC layers = 11, 13, 16, 19
    with pytest.raises(ValueError, match="positive filter counts"):
        V.make_layers([64, "P"])


def test_paper_columns_match_the_paper_table_2():
    # Table 2 of the paper, in millions: A and A-LRN 133, B 133, C 134, D 138, E 144.
    paper = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
    layers = {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19}
    for key in V.paper_cfgs:
        with torch.device("meta"):
            m = V.vgg_paper(key)
        assert round(n_params(m) / 1e6) == paper[key], key
        assert sum(isinstance(x, (nn.Conv2d, nn.Linear)) for x in m.modules()) == layers[key]
    with torch.device("meta"):
        assert sum(isinstance(x, nn.LocalResponseNorm) for x in V.vgg_paper("A-LRN").modules()) == 1
        assert sum(isinstance(x, nn.Conv2d) and x.kernel_size == (1, 1) for x in V.vgg_paper("C").modules()) == 3
    with pytest.raises(ValueError, match="not in the paper"):
        V.vgg_paper("F")


def test_convolutionize_equals_original_at_224_and_gives_a_map_larger():
    torch.manual_seed(0)
    # A narrow VGG keeps this quick; the conversion only depends on the classifier's layout.
    vgg = V.VGG(V.make_layers([8, "M", 8, "M", 8, "M", 512, "M", "M"]), num_classes=5, hidden=64).eval()
    fcn = V.convolutionize(vgg).eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(fcn(x).flatten(1), vgg(x), atol=1e-5)
        assert fcn(torch.randn(1, 3, 320, 256)).shape == (1, 5, 4, 2)
    with pytest.raises(TypeError, match="expects a VGG"):
        V.convolutionize(nn.Linear(2, 2))


def test_convolutionize_mnist_vgg_gives_a_map_of_windows():
    torch.manual_seed(0)
    m = V.mnist_vgg().eval()
    fcn = V.convolutionize(m).eval()
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(fcn(x).flatten(1), m(x), atol=1e-5)
        canvas = torch.randn(1, 1, 60, 124)
        out = fcn(canvas)
        assert out.shape == (1, 10, 5, 13)
        # window (r, c) of the map is close to the classifier applied to the 28 x 28 crop at (8r, 8c);
        # not equal: near the crop's edges the padded convolutions see the neighbouring pixels instead of zeros
        window, crop = out[0, :, 2, 4], m(canvas[:, :, 16:44, 32:60])[0]
        assert (window - crop).abs().max() < 0.05 and not torch.allclose(window, crop, atol=1e-7)


def test_convolutionize_full_vgg16_shapes_on_meta():
    with torch.device("meta"):
        fcn = V.convolutionize(V.vgg16())
        assert fcn(torch.empty(1, 3, 384, 384)).shape == (1, 1000, 6, 6)
    assert n_params(fcn) == 138_357_544


def test_mnist_vgg_shapes_and_errors():
    m = V.mnist_vgg().eval()
    x = torch.randn(4, 1, 28, 28)
    assert m.features(x).shape == (4, 64, 3, 3)
    assert m(x).shape == (4, 10)
    assert V.mnist_vgg(cfg=[8, "M", 8, "M"], batch_norm=True)(x).shape == (4, 10)
    with pytest.raises(ValueError, match="shrink 28 x 28 to nothing"):
        V.mnist_vgg(cfg=[8, "M", "M", "M", "M", "M"])


def test_kernel_pair():
    five, three, linear = (V.KernelPair(k, 32) for k in ("5x5", "3x3x2", "3x3x2-linear"))
    x = torch.randn(2, 1, 28, 28)
    assert five(x).shape == three(x).shape == linear(x).shape == (2, 10)

    def weights(stage):
        return sum(m.weight.numel() for m in stage if isinstance(m, nn.Conv2d))

    for stage in ("stage1", "stage2"):
        assert weights(getattr(five, stage)) == 25 * 32 * 32
        assert weights(getattr(three, stage)) == weights(getattr(linear, stage)) == 18 * 32 * 32
    assert weights(five.stem) == weights(three.stem) == 9 * 32
    assert n_params(three) == n_params(linear) < n_params(five)
    relus = lambda m: sum(isinstance(x, nn.ReLU) for x in m.modules())  # noqa: E731
    assert (relus(five), relus(three), relus(linear)) == (3, 5, 3)
    with pytest.raises(ValueError, match="use '5x5'"):
        V.KernelPair("7x7")


def test_convolutionize_shares_weights():
    vgg = V.VGG(V.make_layers([8, "M", 512, "M"]), num_classes=3, hidden=16)
    fcn = V.convolutionize(vgg)
    assert fcn.classifier[0].weight.data_ptr() == vgg.classifier[0].weight.data_ptr()
    assert fcn.features is vgg.features
