"""Interactive widgets, one module per lesson (named like its notebook), plus shared ones.

Each lesson's widget changes what a network does and shows the effect. Widget modules import
ipywidgets (and matplotlib) inside the functions that draw, so importing this package is cheap.
"""

from __future__ import annotations

from .channel_explorer import COST_CLASS, ERROR_CLASS, channel_explorer

__all__ = ["COST_CLASS", "ERROR_CLASS", "channel_explorer"]
