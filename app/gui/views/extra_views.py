"""Tabs over report sections that later stages fill: memory fit, rewrites, history."""

from __future__ import annotations

from trnport.app.gui.views.memory_view import MemoryView
from trnport.app.gui.views.rewrites_view import RewritesView


def optional_views(window) -> dict:
    views = {"Memory": MemoryView(), "Rewrites": RewritesView()}
    try:
        from trnport.app.gui.views.history_view import HistoryView
    except ImportError:  # the history store is optional at run time
        return views
    views["History"] = HistoryView(window)
    return views
