"""The visual helpers: digits, feature maps (grid, shared scale, hooks, errors), explorer, filters."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.models.start_here import TinyCNN
from cnnlessons.viz import capture_output, default_layers


@pytest.fixture(scope="module")
def digits():
    return cl.load_mnist("test", subset=20)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return TinyCNN()


def _images(fig):
    return [im for ax in fig.axes for im in ax.get_images()]


def _hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) for m in model.modules())


def test_show_digits_titles_labels_and_predictions(digits):
    x, y = digits
    pred = y.clone()
    pred[1] = (y[1] + 1) % 10
    fig = cl.show_digits(x, y, pred, n=12, ncols=6)
    assert len(_images(fig)) == 12
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert titles[0] == f"{int(y[0])} -> {int(y[0])}"
    assert titles[1] == f"{int(y[1])} -> {int(pred[1])}"
    assert fig._suptitle.get_text().startswith("MNIST digits")
    # Denormalized back to [0, 1] for display.
    data = _images(fig)[0].get_array()
    assert data.min() >= 0 and data.max() <= 1 and data.max() > 0.9


def test_show_digits_labels_only_and_empty(digits):
    x, y = digits
    fig = cl.show_digits(x, y, n=3)
    assert [ax.get_title() for ax in fig.axes if ax.get_images()] == [f"label {int(v)}" for v in y[:3]]
    with pytest.raises(ValueError, match="no images"):
        cl.show_digits(x[:0])


def test_feature_maps_grid_one_scale_and_title(model, digits):
    x, _ = digits
    fig = cl.show_feature_maps(model, x[0], "block2.conv", max_channels=12, ncols=4)
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 12  # exactly the channels asked for (plus a colorbar axis, with no image)
    assert [ax.get_title() for ax in panels] == [f"ch {i}" for i in range(12)]
    clims = {im.get_clim() for im in _images(fig)}
    assert len(clims) == 1  # one colour scale shared by every panel
    assert len(fig.axes) == 12 + 1  # a single colorbar
    title = fig._suptitle.get_text()
    assert "block2.conv" in title and "1 x 32 x 14 x 14" in title and "channels 0-11 of 32" in title


def test_feature_maps_accepts_module_and_sees_output_before_inplace_relu(model, digits):
    x, _ = digits
    fig = cl.show_feature_maps(model, x[0], model.block1.conv)
    assert "block1.conv" in fig._suptitle.get_text()
    name, out = capture_output(model, x[0], "block1.bn")
    # The BatchNorm output is followed by an in-place ReLU; the copy must keep its negative values.
    assert name == "block1.bn" and out.min() < 0


def test_feature_maps_hook_removed_and_mode_restored(model, digits):
    x, _ = digits
    model.train()
    before = _hook_count(model)
    cl.show_feature_maps(model, x[0], "block1.relu")
    assert _hook_count(model) == before and model.training
    # A forward that fails (wrong image size) still removes the hook and restores the mode.
    with pytest.raises(ValueError, match=r"(?s)in_features=1568.*nn.Linear\(800, 10\)"):
        cl.show_feature_maps(model, torch.zeros(1, 20, 20), "block1.relu")
    assert _hook_count(model) == before and model.training
    model.eval()
    cl.show_feature_maps(model, x[0], "block1.relu")
    assert not model.training


def test_feature_maps_bad_layer_name_lists_valid_names(model, digits):
    x, _ = digits
    with pytest.raises(
        ValueError, match=r"no layer named 'block1.cnv'.*Did you mean 'block1.conv'.*Valid layer names: .*block2.pool"
    ):
        cl.show_feature_maps(model, x[0], "block1.cnv")
    with pytest.raises(ValueError, match="not part of this TinyCNN"):
        cl.show_feature_maps(model, x[0], nn.Conv2d(1, 2, 3))
    with pytest.raises(ValueError, match="not feature maps"):
        cl.show_feature_maps(model, x[0], "classifier")


def test_feature_map_explorer_controls_and_render(model, digits):
    x, _ = digits
    explorer = cl.feature_map_explorer(model, x[:4], per_page=8)
    assert list(explorer.layer.options) == default_layers(model)
    assert explorer.image_index.max == 3
    explorer.layer.value = "block2.relu"  # 32 channels -> 4 pages of 8
    assert explorer.page.max == 3
    explorer.page.value = 2
    png = explorer.render()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and explorer.image.value == png
    assert "channels 16-23" in explorer.info.value and "page 3 of 4" in explorer.info.value
    first = explorer.image.value
    explorer.image_index.value = 1  # another digit redraws the picture in place
    assert explorer.image.value != first
    explorer.layer.value = "block1.conv"  # 16 channels: the page is clamped
    assert explorer.page.max == 1 and explorer.page.value == 1
    with pytest.raises(ValueError, match="Valid layer names"):
        cl.feature_map_explorer(model, x[:2], layers=["nope"])


def test_show_filters_gray_and_rgb(model):
    fig = cl.show_filters(model)
    assert len(_images(fig)) == 16
    assert len({im.get_clim() for im in _images(fig)}) == 1
    assert "block1.conv kernels (16 x 1 x 3 x 3)" in fig._suptitle.get_text()
    rgb = nn.Conv2d(3, 6, 5)
    fig = cl.show_filters(rgb, max_filters=4)
    images = _images(fig)
    assert len(images) == 4 and images[0].get_array().shape == (5, 5, 3)
    assert "RGB" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="no nn.Conv2d"):
        cl.show_filters(nn.Linear(3, 3))
