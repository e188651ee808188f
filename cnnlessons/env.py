"""Where the lessons are running: Jupyter, Colab, VS Code or a plain Python process.

Why: live curves and widgets need a notebook front-end that renders rich output. JupyterLab and
VS Code's Jupyter extension run ipykernel's ``ZMQInteractiveShell``; Colab runs its own shell,
``google.colab._shell.Shell`` (a subclass of it), so a check on the class *name* alone misses
Colab and the lessons' curves fell back to text there. Colab also renders third-party widgets
(ipycanvas, the digit canvas of lesson 00) only after ``enable_custom_widget_manager()``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Environment variables VS Code sets for the kernels its Jupyter extension starts.
_VSCODE_VARS = ("VSCODE_PID", "VSCODE_CWD", "VSCODE_IPC_HOOK_CLI")
_KERNEL_SHELL = "ZMQInteractiveShell"


def _shell() -> Any:
    if "IPython" not in sys.modules:  # every IPython shell has imported it; importing it costs ~0.1 s
        return None
    try:
        from IPython import get_ipython  # noqa: PLC0415
    except ImportError:
        return None
    return get_ipython()


def _class_names(obj: Any) -> list[tuple[str, str]]:
    return [(cls.__module__, cls.__name__) for cls in type(obj).__mro__]


def shell_kind(shell: Any = None, environ: dict | None = None) -> str | None:
    """ "colab", "vscode", "jupyter" (a kernel behind a notebook front-end), "terminal" (IPython in a
    terminal) or None (plain Python). ``shell`` defaults to IPython's current one."""
    shell = _shell() if shell is None else shell
    if shell is None:
        return None
    env = os.environ if environ is None else environ
    names = _class_names(shell)
    if any(mod.startswith("google.colab") for mod, _ in names):
        return "colab"
    if any(name == _KERNEL_SHELL for _, name in names):
        if any(env.get(var) for var in _VSCODE_VARS):
            return "vscode"
        return "jupyter"
    return "terminal"


def in_notebook(shell: Any = None, environ: dict | None = None) -> bool:
    """Whether rich output (live figures, widgets) reaches a notebook front-end."""
    return shell_kind(shell, environ) in ("colab", "vscode", "jupyter")


def on_colab() -> bool:
    """Whether this process is a Colab kernel (Colab's shell, or google.colab already loaded)."""
    return shell_kind() == "colab" or ("google.colab" in sys.modules and _shell() is not None)


_COLAB_WIDGETS_ON = False


def enable_colab_widgets() -> bool:
    """On Colab, turn on the custom widget manager once (third-party widgets such as ipycanvas
    render only then); elsewhere do nothing. Returns whether it is on. Never raises."""
    global _COLAB_WIDGETS_ON  # noqa: PLW0603
    if _COLAB_WIDGETS_ON:
        return True
    if not on_colab():
        return False
    try:
        from google.colab import output  # noqa: PLC0415

        output.enable_custom_widget_manager()
    except Exception:  # noqa: BLE001  (an older or newer Colab: core widgets still work)
        return False
    _COLAB_WIDGETS_ON = True
    return True
