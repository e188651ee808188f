"""What every lesson widget shares: it shows its root box when it is a cell's value."""

from __future__ import annotations

from typing import Any


class Explorer:
    """Base of the lesson widgets: ``.widget`` is the root box, displayed for the object itself.

    So ``cl.widgets.x.SomeExplorer(...)`` as the last line of a cell shows the controls, as
    ``display(explorer)`` does. Importing this module imports neither ipywidgets nor IPython.
    """

    widget: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display  # noqa: PLC0415  (only when shown)

        display(self.widget)
