"""VGG models: torchvision parity for all eight factories, counts, the fully convolutional conversion, MNIST VGG."""
import pytest
import torch
import torchvision
from torch import nn

from cnnlessons.models import vgg_small_kernels as V

NAMES = ["vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


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
    five, three = V.KernelPair("5x5", 32), V.KernelPair("3x3x2", 32)
    x = torch.randn(2, 1, 28, 28)
    assert five(x).shape == three(x).shape == (2, 10)
    w5 = sum(m.weight.numel() for m in five.features if isinstance(m, nn.Conv2d))
    w3 = sum(m.weight.numel() for m in three.features if isinstance(m, nn.Conv2d))
    assert w5 == 25 * 32 + 25 * 32 * 32
    assert w3 == 9 * 32 + 9 * 32 * 32 * 3
    with pytest.raises(ValueError, match="use '5x5'"):
        V.KernelPair("7x7")


def test_convolutionize_shares_weights():
    vgg = V.VGG(V.make_layers([8, "M", 512, "M"]), num_classes=3, hidden=16)
    fcn = V.convolutionize(vgg)
    assert fcn.classifier[0].weight.data_ptr() == vgg.classifier[0].weight.data_ptr()
    assert fcn.features is vgg.features
