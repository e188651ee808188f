"""Lesson 05 helpers: the sweep runner returns what the widget browses; the exercises' references
are what the models compute (the generic exercise tests live in test_exercises_all.py)."""

import torch
from torch import nn

from cnnlessons.lessons import fire_squeezenet as lesson
from cnnlessons.models.fire_squeezenet import Fire, squeezenet1_1


def test_run_grid_rows(capsys):
    torch.manual_seed(0)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    rows = lesson.run_grid(
        [{"squeeze_ratio": 0.125, "pct_3x3": 0.5}, {"squeeze_ratio": 0.25, "pct_3x3": 0.5}],
        (x, y),
        (x[:32], y[:32]),
        seeds=(0, 1),
        steps=2,
        device="cpu",
    )
    assert [r["squeeze_ratio"] for r in rows] == [0.125, 0.25]
    assert rows[0]["params"] < rows[1]["params"]
    assert all(len(r["acc"]) == 2 and all(0 <= a <= 100 for a in r["acc"]) for r in rows)
    assert "parameters" in capsys.readouterr().out


def test_exercise_references_match_the_models():
    fire = Fire(128, 16, 64, 64)
    assert lesson.exercise_1.expect.reference() == sum(
        m.weight.numel() for m in fire.modules() if isinstance(m, nn.Conv2d)
    )
    extra = sum(
        Fire(i, 16, o // 2, o // 2, bypass="complex").shortcut.weight.numel() + o
        for i, o in ((96, 128), (128, 256), (256, 384), (384, 512))
    )
    assert lesson.exercise_4.expect.reference() == extra
    net = squeezenet1_1()
    share = lesson.exercise_5.expect.reference()
    assert 0.4 < share < 0.43 and net.classifier[1].out_channels == 1000


def test_fire_written_with_bias_false_is_accepted(capsys):
    class NoBias(nn.Module):
        def __init__(self):
            super().__init__()
            self.squeeze = nn.Conv2d(96, 16, 1, bias=False)
            self.expand1x1 = nn.Conv2d(16, 64, 1, bias=False)
            self.expand3x3 = nn.Conv2d(16, 64, 3, padding=1, bias=False)

        def forward(self, x):
            s = torch.relu(self.squeeze(x))
            return torch.cat([torch.relu(self.expand1x1(s)), torch.relu(self.expand3x3(s))], 1)

    assert lesson.exercise_2.check(NoBias())
    assert not lesson.exercise_2.check(Fire(96, 16, 64, 64, bypass="complex"))
    assert "Not yet" in capsys.readouterr().out


def test_bypass_exercise_rejects_the_plain_fire(capsys):
    assert lesson.exercise_3.check(Fire(128, 16, 64, 64, bypass="simple"))
    assert not lesson.exercise_3.check(Fire(128, 16, 64, 64))
    assert "never adds its input" in capsys.readouterr().out
