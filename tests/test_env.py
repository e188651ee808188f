"""Where the lessons run: Colab's and VS Code's shells, Windows without `resource`, a hub's
MEM_LIMIT, a container's CPU quota (cgroup v1 and v2), and Apple's MPS pooling fallback.

Each platform is simulated here: a fake shell class in a module named like Colab's, temporary
folders laid out like /sys/fs/cgroup, `resource` removed from the importable modules.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch
from torch import nn

import cnnlessons as cl
from cnnlessons import device as dev
from cnnlessons import env

# --- shells -------------------------------------------------------------------------------------


def _shell_class(module: str, name: str, base: type | None = None) -> type:
    cls = type(name, (base,) if base else (), {})
    cls.__module__ = module
    return cls


ZMQ = _shell_class("ipykernel.zmqshell", "ZMQInteractiveShell")
COLAB = _shell_class("google.colab._shell", "Shell", ZMQ)  # Colab's shell subclasses ipykernel's
TERMINAL = _shell_class("IPython.terminal.interactiveshell", "TerminalInteractiveShell")


@pytest.mark.parametrize(
    ("shell", "environ", "kind", "notebook"),
    [
        (COLAB(), {}, "colab", True),
        (ZMQ(), {"VSCODE_PID": "4242"}, "vscode", True),
        (ZMQ(), {}, "jupyter", True),
        (TERMINAL(), {}, "terminal", False),
    ],
    ids=["colab", "vscode", "jupyterlab", "ipython-terminal"],
)
def test_shell_kinds(shell, environ, kind, notebook) -> None:
    assert env.shell_kind(shell, environ) == kind
    assert env.in_notebook(shell, environ) is notebook


def test_plain_python_is_not_a_notebook(monkeypatch) -> None:
    monkeypatch.setattr(env, "_shell", lambda: None)
    assert env.shell_kind() is None and not env.in_notebook()


@pytest.fixture
def fake_colab(monkeypatch):
    """google.colab.output with a recording enable_custom_widget_manager, and Colab's shell current."""
    calls = []
    google = types.ModuleType("google")
    google.__path__ = []
    colab = types.ModuleType("google.colab")
    colab.__path__ = []
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append("enabled")
    colab.output = output
    google.colab = colab
    for name, module in (("google", google), ("google.colab", colab), ("google.colab.output", output)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(env, "_shell", lambda: COLAB())
    monkeypatch.setattr(env, "_COLAB_WIDGETS_ON", False)
    return calls


def test_colab_turns_on_the_custom_widget_manager_once(fake_colab) -> None:
    assert env.on_colab()
    assert env.enable_colab_widgets() and env.enable_colab_widgets()
    assert fake_colab == ["enabled"]


def test_no_widget_manager_call_outside_colab(monkeypatch) -> None:
    monkeypatch.setattr(env, "_shell", lambda: ZMQ())
    monkeypatch.setattr(env, "_COLAB_WIDGETS_ON", False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert not env.on_colab() and not env.enable_colab_widgets()


@pytest.mark.parametrize("shell", [COLAB, ZMQ], ids=["colab", "vscode"])
def test_fit_draws_live_curves_in_colab_and_vscode(monkeypatch, shell) -> None:
    """fit decides live curves from the shell: on Colab's and VS Code's it must draw them."""
    from cnnlessons import train

    monkeypatch.setenv("VSCODE_PID", "1")
    monkeypatch.setattr(env, "_shell", lambda: shell())
    assert train._in_notebook()
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append(a) or _Handle(shown))
    torch.manual_seed(0)
    x, y = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    hist = cl.fit(model, (x, y), None, epochs=1, batch_size=32, device="cpu")
    assert shown, "fit showed no live curves in a notebook shell"
    assert len(hist.step_loss) == 2


class _Handle:
    def __init__(self, shown: list) -> None:
        self.shown = shown

    def update(self, obj, raw: bool = False) -> None:  # as DisplayHandle.update
        self.shown.append(("update", obj))


# --- memory: Windows (no `resource`), psutil, a hub's MEM_LIMIT ----------------------------------


def test_peak_memory_without_resource_module(monkeypatch, capsys) -> None:
    pytest.importorskip("psutil")  # loaded first: Linux's psutil itself uses `resource`, Windows' does not
    monkeypatch.setitem(sys.modules, "resource", None)  # `import resource` raises, as on Windows
    peak = cl.peak_memory_mb()
    assert 10 < peak < 100_000
    cl.check_memory_budget(limit_mb=peak + 10_000)
    assert "Peak kernel memory is under" in capsys.readouterr().out


def test_windows_peak_working_set_is_used(monkeypatch) -> None:
    psutil = pytest.importorskip("psutil")

    class Info:
        rss, peak_wset = 100 * 2**20, 321 * 2**20

    monkeypatch.setattr(psutil.Process, "memory_info", lambda self: Info())
    monkeypatch.setitem(sys.modules, "resource", None)
    assert dev._peak_memory() == (321.0, "psutil peak working set")


def test_no_psutil_and_no_resource_says_so_without_failing(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "resource", None)
    monkeypatch.setitem(sys.modules, "psutil", None)
    monkeypatch.setattr(dev, "_linux_vmhwm_mb", lambda: None)  # not Linux either
    cl.check_memory_budget()
    assert "could not be measured" in capsys.readouterr().out


def test_linux_peak_is_this_programs_own(monkeypatch) -> None:
    """On Linux the peak comes from VmHWM, which execve resets (ru_maxrss keeps a forking parent's size)."""
    monkeypatch.setattr(dev, "_linux_vmhwm_mb", lambda: 123.0)
    monkeypatch.setitem(sys.modules, "psutil", None)
    assert dev._peak_memory() == (123.0, "/proc/self/status VmHWM")


def test_the_budget_reads_mem_limit(monkeypatch, capsys) -> None:
    monkeypatch.setenv("MEM_LIMIT", str(4 * 2**30))  # a hub giving 4 GiB
    budget, note = dev.memory_budget_mb()
    assert budget == pytest.approx(4096 * dev.MEM_LIMIT_SHARE) and "MEM_LIMIT=4,096 MB" in note
    cl.check_memory_budget()
    assert f"under {budget:,.0f} MB (73% of MEM_LIMIT=4,096 MB)." in capsys.readouterr().out
    monkeypatch.setenv("MEM_LIMIT", "1000000")  # 1 MB: the kernel is over it, and the message says why
    with pytest.raises(AssertionError, match="MEM_LIMIT"):
        cl.check_memory_budget()


def test_without_mem_limit_the_line_is_binders(monkeypatch, capsys) -> None:
    monkeypatch.delenv("MEM_LIMIT", raising=False)
    assert dev.memory_budget_mb() == (1500.0, "")
    if cl.peak_memory_mb() < 1500:
        cl.check_memory_budget()
        assert capsys.readouterr().out == "Peak kernel memory is under 1,500 MB.\n"


def test_nothing_imports_a_unix_only_module_unguarded() -> None:
    """Import the package and every submodule with the Unix-only modules made unimportable
    (psutil is loaded first: on Linux it uses `resource` itself, on Windows it does not)."""
    code = (
        "import sys, traceback, psutil\n"
        "BLOCKED = ('resource', 'fcntl', 'termios', 'pwd', 'grp')\n"
        "for name in BLOCKED:\n"
        "    sys.modules[name] = None\n"
        "import pkgutil, importlib, cnnlessons\n"
        "bad = []\n"
        "for m in pkgutil.walk_packages(cnnlessons.__path__, 'cnnlessons.'):\n"
        "    try:\n"
        "        importlib.import_module(m.name)\n"
        "    except Exception:\n"
        "        text = traceback.format_exc()\n"
        "        if any(repr(b) in text or f'import of {b} halted' in text for b in BLOCKED):\n"
        "            bad.append(m.name + ': ' + text.splitlines()[-1])\n"
        "assert not bad, bad\n"
        "print(cnnlessons.peak_memory_mb() > 0)\n"
        "cnnlessons.check_memory_budget(limit_mb=10**6)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "True\nPeak kernel memory is under" in done.stdout


# --- threads from the CPU quota ------------------------------------------------------------------


def _v2(tmp_path: Path, cpu_max: str, own: str = "/") -> tuple[str, str]:
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    folder = tmp_path / own.strip("/")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cpu.max").write_text(cpu_max + "\n")
    return str(tmp_path), f"0::{own}\n"


def _v1(
    tmp_path: Path, quota: int, period: int = 100_000, own: str = "/", mount: str = "cpu,cpuacct"
) -> tuple[str, str]:
    folder = tmp_path / mount / own.strip("/")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    (folder / "cpu.cfs_period_us").write_text(f"{period}\n")
    return str(tmp_path), f"4:memory:/x\n3:cpu,cpuacct:{own}\n1:name=systemd:/\n"


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    assert dev.cpu_quota(*_v2(tmp_path, "100000 100000")) == 1.0
    assert dev.cpu_quota(*_v2(tmp_path, "max 100000")) is None
    assert dev.cpu_quota(*_v2(tmp_path, "150000 100000")) == 1.5


def test_cgroup_v2_quota_of_a_nested_cgroup(tmp_path: Path) -> None:
    """A limit set on a parent cgroup applies to the process in a child cgroup."""
    root, _ = _v2(tmp_path, "50000 100000", own="/binder")
    (tmp_path / "binder" / "kernel").mkdir()
    (tmp_path / "binder" / "kernel" / "cpu.max").write_text("max 100000\n")
    assert dev.cpu_quota(root, "0::/binder/kernel\n") == 0.5


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    assert dev.cpu_quota(*_v1(tmp_path / "a", 100_000)) == 1.0
    assert dev.cpu_quota(*_v1(tmp_path / "b", -1)) is None
    assert dev.cpu_quota(*_v1(tmp_path / "c", 200_000, 100_000, own="/docker/abc", mount="cpu")) == 2.0


def test_cgroup_v1_container_without_its_own_path(tmp_path: Path) -> None:
    """Docker on cgroup v1 without a cgroup namespace: /proc/self/cgroup names /docker/<id>, but
    the container's own limit is mounted at the controller's root."""
    root, _ = _v1(tmp_path, 100_000)
    assert dev.cpu_quota(root, "3:cpu,cpuacct:/docker/0123abcd\n") == 1.0


def test_no_cgroups_at_all(tmp_path: Path) -> None:
    assert dev.cpu_quota(str(tmp_path / "missing"), "") is None


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("layout", ["v1", "v2"])
def test_threads_follow_a_quota_below_the_cores(tmp_path, monkeypatch, restore_threads, layout) -> None:
    monkeypatch.setattr(dev, "visible_cpus", lambda: 8)
    torch.set_num_threads(4)
    root, proc = _v1(tmp_path, 100_000) if layout == "v1" else _v2(tmp_path, "100000 100000")
    monkeypatch.setattr(dev, "_THREADS_SET_FROM_QUOTA", None)
    assert dev.match_threads_to_cpu_quota(root, proc, environ={}) == 1
    assert torch.get_num_threads() == 1
    assert cl.describe_device("cpu") == "cpu (1 thread, the container's CPU quota)"


def test_threads_respect_the_users_choice(tmp_path, monkeypatch, restore_threads) -> None:
    monkeypatch.setattr(dev, "visible_cpus", lambda: 8)
    torch.set_num_threads(4)
    root, proc = _v2(tmp_path, "100000 100000")
    assert dev.match_threads_to_cpu_quota(root, proc, environ={"OMP_NUM_THREADS": "4"}) is None
    assert torch.get_num_threads() == 4


def test_threads_untouched_when_the_quota_covers_the_cores(tmp_path, monkeypatch, restore_threads) -> None:
    monkeypatch.setattr(dev, "visible_cpus", lambda: 2)
    torch.set_num_threads(2)
    assert dev.match_threads_to_cpu_quota(*_v2(tmp_path, "400000 100000"), environ={}) is None
    assert dev.match_threads_to_cpu_quota(*_v2(tmp_path, "max 100000"), environ={}) is None
    assert torch.get_num_threads() == 2


# --- Apple's MPS: adaptive pooling that does not divide --------------------------------------------


def test_mps_safe_keeps_the_model_and_pools_elsewhere(monkeypatch, capsys) -> None:
    """Simulated with the CPU standing in for MPS: the pooling that MPS rejects (13x13 -> 6x6)
    takes the fallback path with a one-line notice, once; results and names are unchanged."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AdaptiveAvgPool2d((6, 6)), nn.AdaptiveMaxPool2d(3))
    x = torch.randn(2, 1, 15, 15)
    expected = model(x)
    cl.mps_safe(model)
    assert isinstance(model[1], nn.AdaptiveAvgPool2d) and "AdaptiveAvgPool2d(output_size=(6, 6))" in repr(model)
    monkeypatch.setattr(dev, "_REJECTING_DEVICES", ("cpu",))
    monkeypatch.setattr(dev, "_MPS_NOTICE_SHOWN", False)
    assert torch.equal(model(x), expected)
    model(x)
    out = capsys.readouterr().out
    assert out.count("runs on the CPU") == 1 and "(13, 13)" in out


# --- benchmarks/bench_binder.py: the cgroup it creates, on both layouts -----------------------------


def _bench_binder(repo_root: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_binder", repo_root / "benchmarks" / "bench_binder.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_binder_cgroup_v2_layout(repo_root: Path, tmp_path: Path, monkeypatch) -> None:
    bb = _bench_binder(repo_root)
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    monkeypatch.setattr(bb, "CGROUP", tmp_path)
    assert bb.detect() == "v2"
    cage = bb.Cage("binder-test").__enter__()
    d = tmp_path / "binder-test"
    assert (d / "memory.max").read_text() == str(2 * 2**30) and (d / "cpu.max").read_text() == "100000 100000"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory"  # the last one written
    # What the kernel inside sees: one CPU's worth of time, so one torch thread.
    assert dev.cpu_quota(str(tmp_path), "0::/binder-test\n") == 1.0
    assert cage.dirs == [d]


def test_bench_binder_cgroup_v1_layout(repo_root: Path, tmp_path: Path, monkeypatch) -> None:
    bb = _bench_binder(repo_root)
    for ctrl, files in (("cpu", ("cpu.cfs_quota_us", "cpu.cfs_period_us")), ("memory", ("memory.limit_in_bytes",))):
        (tmp_path / ctrl).mkdir()
        for name in files:
            (tmp_path / ctrl / name).write_text("-1\n")
    monkeypatch.setattr(bb, "CGROUP", tmp_path)
    assert bb.detect() == "v1"
    bb.Cage("binder-test").__enter__()
    assert (tmp_path / "cpu" / "binder-test" / "cpu.cfs_quota_us").read_text() == "100000"
    assert (tmp_path / "memory" / "binder-test" / "memory.limit_in_bytes").read_text() == str(2 * 2**30)
    assert dev.cpu_quota(str(tmp_path), "5:memory:/binder-test\n4:cpu:/binder-test\n") == 1.0
