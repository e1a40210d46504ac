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


def apply_system_palette(app) -> None:
    """Use the Fusion style with a palette matching the system scheme, and follow changes."""
    app.setStyle("Fusion")

    def update(*_):
        app.setPalette(_dark_palette() if is_dark() else app.style().standardPalette())

    update()
    QGuiApplication.styleHints().colorSchemeChanged.connect(update)
