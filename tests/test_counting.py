"""cnnlessons.counting: the one place parameters are counted and weights sized."""

from __future__ import annotations

import torch
from torch import nn

import cnnlessons as cl
from cnnlessons.counting import count_params, param_counts, params_mb, weights_mb


def _net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 26 * 26, 10))


def test_counts_agree_with_trace():
    net = _net()
    assert count_params(net) == cl.trace(net, (1, 1, 28, 28)).total_params == 80 + 16 + 54090


def test_trainable_and_frozen():
    net = _net()
    net[0].requires_grad_(False)
    assert param_counts(net) == {"trainable": 54106, "frozen": 80, "total": 54186}
    assert count_params(net, trainable=True) == 54106 and count_params(net, trainable=False) == 80


def test_shared_parameters_count_once():
    layer = nn.Linear(4, 4)
    assert count_params(nn.Sequential(layer, layer)) == 20


def test_sizes_have_one_meaning_each():
    net = _net()
    # buffers (BatchNorm's running stats at float32 and its int64 counter) are saved weights too
    assert weights_mb(net) == (54186 * 4 + 2 * 8 * 4 + 8) / 1e6
    assert params_mb(net) == 54186 * 4 / 1e6 and params_mb(net, bytes_per_param=2) == 54186 * 2 / 1e6
    assert weights_mb(net.to(torch.float16)) < weights_mb(_net())
