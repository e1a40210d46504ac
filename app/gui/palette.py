"""Light and dark palettes that follow the system colour scheme, and status colours."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

# One colour per coverage status and severity, chosen to read on light and dark backgrounds.
STATUS_COLORS = {
    "supported": "#2e9d57",
    "conditional": "#c9a227",
    "cpu_fallback": "#e07b24",
    "unsupported": "#d64541",
    "unknown": "#8a8f98",
}
SEVERITY_COLORS = {"error": "#d64541", "warning": "#e07b24", "info": "#3b82c4"}
VERDICT_COLORS = {"blocked": "#d64541", "needs-work": "#e07b24", "ready": "#2e9d57"}
FIT_COLORS = {"fits": "#2e9d57", "tight": "#c9a227", "does_not_fit": "#d64541"}


def is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def _dark_palette() -> QPalette:
    palette = QPalette()
    base, window, text = QColor("#1e1f22"), QColor("#2b2d31"), QColor("#e6e6e6")
    palette.setColor(QPalette.ColorRole.Window, window)
    palette.setColor(QPalette.ColorRole.WindowText, text)
    palette.setColor(QPalette.ColorRole.Base, base)
    palette.setColor(QPalette.ColorRole.AlternateBase, window)
    palette.setColor(QPalette.ColorRole.Text, text)
    palette.setColor(QPalette.ColorRole.Button, window)
    palette.setColor(QPalette.ColorRole.ButtonText, text)
    palette.setColor(QPalette.ColorRole.ToolTipBase, base)
    palette.setColor(QPalette.ColorRole.ToolTipText, text)
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#3b82c4"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a8f98"))
    return palette


PALETTE_MODES = ("system", "light", "dark")
_state = {"mode": "system", "connected": False}


def _dark_palette_full() -> QPalette:
    palette = _dark_palette()
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(disabled, role, QColor("#7a7d85"))
    palette.setColor(QPalette.ColorRole.Link, QColor("#6fb0ff"))
    palette.setColor(QPalette.ColorRole.Light, QColor("#3a3c42"))
    palette.setColor(QPalette.ColorRole.Midlight, QColor("#34363c"))
    palette.setColor(QPalette.ColorRole.Mid, QColor("#24262a"))
    palette.setColor(QPalette.ColorRole.Dark, QColor("#18191c"))
    palette.setColor(QPalette.ColorRole.BrightText, QColor("#ffffff"))
    return palette


def wants_dark(mode: str) -> bool:
    return mode == "dark" or (mode == "system" and is_dark())


def apply_palette(app, mode: str = "system") -> None:
    """Use the Fusion style with a light or dark palette: ``mode`` is ``"system"`` (follow
    the system scheme, also when it changes), ``"light"`` or ``"dark"``."""
    _state["mode"] = mode if mode in PALETTE_MODES else "system"
    app.setStyle("Fusion")

    def update(*_):
        dark = wants_dark(_state["mode"])
        app.setPalette(_dark_palette_full() if dark else app.style().standardPalette())
        app.setProperty("trnportDark", dark)

    update()
    if not _state["connected"]:
        QGuiApplication.styleHints().colorSchemeChanged.connect(update)
        _state["connected"] = True


def apply_system_palette(app, mode: str = "system") -> None:
    """Kept for callers of the first version: same as ``apply_palette``."""
    apply_palette(app, mode)


def palette_is_dark(app) -> bool:
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128
