"""The About dialog shows the single defined version; the window carries the app icon."""

from __future__ import annotations

import pytest

from trnport.analyzers import __version__

pytest.importorskip("pytestqt")


@pytest.fixture
def window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from trnport.app.gui.main_window import MainWindow
    from trnport.app.gui.settings import Settings

    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    return win


def test_about_dialog_shows_the_version(qtbot, window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen: list[str] = []

    def read_and_close():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.accept()
        else:  # not open yet: look again rather than leave a modal loop running
            QTimer.singleShot(20, read_and_close)

    QTimer.singleShot(0, read_and_close)
    window.show_about()
    assert seen and f"trnport {__version__}" in seen[0]


def test_main_window_has_the_application_icon(window):
    icon = window.windowIcon()
    assert not icon.isNull()
    assert icon.availableSizes(), "icon file not found in resources/icons"
