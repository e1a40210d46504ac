"""GUI fixtures: an isolated settings file per test, and a guard that no analysis is left
running when a test ends."""

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "gui"


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    from trnport.app.gui.settings import Settings

    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, settings):
    from trnport.app.gui.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.worker is not None:
        win.worker.cancel()
        assert win.worker.wait(15_000), "analysis thread still running after the test"
        assert not win.worker.is_running()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
