"""Device choice, seeding and the memory budget check."""

import subprocess
import sys

import pytest
import torch

import cnnlessons as cl


def test_auto_choice_falls_back_to_cpu_without_accelerators(monkeypatch):
    monkeypatch.delenv("CNNLESSONS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(cl.device, "_mps_available", lambda: False)
    assert cl.pick_device() == torch.device("cpu")


def test_cuda_preferred_when_present(monkeypatch):
    monkeypatch.delenv("CNNLESSONS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert cl.pick_device().type == "cuda"


def test_mps_before_cpu(monkeypatch):
    monkeypatch.delenv("CNNLESSONS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(cl.device, "_mps_available", lambda: True)
    assert cl.pick_device().type == "mps"


def test_environment_variable_overrides(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("CNNLESSONS_DEVICE", "cpu")
    assert cl.pick_device() == torch.device("cpu")


def test_unknown_device_name_lists_the_choices(monkeypatch):
    monkeypatch.setenv("CNNLESSONS_DEVICE", "tpu")
    with pytest.raises(ValueError, match="cuda, mps, cpu"):
        cl.pick_device()


def test_asking_for_missing_cuda_says_how_to_fix(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("CNNLESSONS_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="Unset CNNLESSONS_DEVICE"):
        cl.pick_device()


def test_describe_device_mentions_the_kind():
    assert cl.describe_device("cpu").startswith("cpu (")


def test_seed_everything_repeats_random_draws():
    cl.seed_everything(3)
    a = torch.randn(5)
    cl.seed_everything(3)
    assert torch.equal(a, torch.randn(5))


def test_memory_budget_passes_above_the_peak_and_fails_with_a_clear_message(capsys):
    # The pytest worker's own peak depends on which tests ran in it before (model parity tests
    # allocate VGG-sized models), so the passing case sits just above the measured peak.
    limit = cl.peak_memory_mb() + 100
    cl.check_memory_budget(limit_mb=limit)
    assert f"under {limit:,.0f} MB" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="meta device"):
        cl.check_memory_budget(limit_mb=1)


def test_core_modules_do_not_import_plotting_or_widgets():
    code = (
        "import sys, cnnlessons, cnnlessons.data, cnnlessons.device, cnnlessons.models;"
        "import importlib;"
        "[importlib.import_module('cnnlessons.' + m) for m in ('train', 'augment', 'trace', 'doctor')"
        " if importlib.util.find_spec('cnnlessons.' + m)];"
        "bad = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
