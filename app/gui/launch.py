"""Start the desktop app: ``trnport`` (no arguments), ``trnport gui [MODEL]`` and
``trnport gui MODEL --screenshot OUT.png``."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from trnport.app.cli.parser import UsageError
from trnport.app.gui.qt_libraries import platform_library_problem


def display_problem() -> str | None:
    """Why Qt could not open a window here, or None when it can."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal", "vnc")):
        return None
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return ("no display available: set DISPLAY (or WAYLAND_DISPLAY), or use "
                "QT_QPA_PLATFORM=offscreen with --screenshot")
    return None


def parse_gui_args(argv: list[str]) -> argparse.Namespace:
    from trnport.app.cli.parser import OneLineParser

    parser = OneLineParser(prog="trnport gui", description=__doc__)
    parser.add_argument("model", nargs="?", type=Path, help="a model to open and analyse")
    parser.add_argument("--screenshot", type=Path, metavar="OUT.png",
                        help="analyse MODEL, save a picture of the window and exit")
    parser.add_argument("--tab", default="Summary",
                        help="tab shown in the screenshot, e.g. summary, findings, graph")
    parser.add_argument("--palette", choices=("system", "light", "dark"),
                        help="light or dark colours (default: the saved choice, or the system's)")
    parser.add_argument("--trust-code", action="store_true",
                        help="run a Python model file without asking (for --screenshot)")
    args = parser.parse_args(argv)
    if args.screenshot and args.model is None:
        parser.error("--screenshot needs a MODEL")
    if args.screenshot and _runs_code(args.model) and not args.trust_code:
        # nobody is there to answer the confirmation a window would ask
        raise UsageError(f"{args.model} is a Python file: analysing it runs its code; pass "
                         "--trust-code to allow that with --screenshot")
    return args


def _runs_code(model: Path) -> bool:
    return model.suffix.lower() == ".py"


def chosen_tab(window, name: str) -> int:
    """The index of the tab called ``name`` (any case); UsageError naming the tabs when
    there is none."""
    titles = list(window.views)
    for index, title in enumerate(titles):
        if title.lower() == name.lower():
            return index
    raise UsageError(f"no tab {name!r}; choose one of {', '.join(titles)}")


def run_gui(argv: list[str]) -> int:
    """Open the window; returns the process exit code."""
    args = parse_gui_args(argv)
    problem = display_problem() or platform_library_problem()
    if problem:
        print(f"trnport: {problem}", file=sys.stderr)
        return 2
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from trnport.app.gui.main_window import MainWindow
    from trnport.app.gui.palette import apply_palette
    from trnport.app.gui.settings import Settings

    app = QApplication.instance() or QApplication(["trnport"])
    app.setApplicationName("trnport")
    app.setOrganizationName("trnport")
    settings = Settings()
    apply_palette(app, args.palette or settings.palette_mode())
    window = MainWindow(settings)
    try:
        tab = chosen_tab(window, args.tab)
    except UsageError:
        window.close()
        window.deleteLater()
        app.processEvents()
        raise
    if args.palette:
        window.palette_actions[args.palette].setChecked(True)
    if args.trust_code:
        window.confirm_trust = lambda path: True
    window.show()
    outcome = {"code": 0}
    if args.model is not None:
        if args.screenshot:
            def save_and_quit(*_):
                window.tabs.setCurrentIndex(tab)
                view = window.tabs.currentWidget()
                if hasattr(view, "wait_ready"):  # a view that draws off the event loop
                    view.wait_ready()
                app.processEvents()
                ok = window.grab().save(str(args.screenshot))
                outcome["code"] = 0 if ok else 2
                if not ok:
                    print(f"trnport: could not write {args.screenshot}", file=sys.stderr)
                app.quit()

            def failed(message):
                print(f"trnport: {message}", file=sys.stderr)
                outcome["code"] = 2
                app.quit()

            def after_save(*_):
                # the History tab asks for the new list when the save lands; let it answer
                window.history.wait_idle()
                app.processEvents()
                save_and_quit()

            def after_save_failed(action, message):
                if action == "save":
                    print(f"trnport: warning: not saved in the history: {message}",
                          file=sys.stderr)
                    after_save()

            if window.history.enabled:
                window.history.recorded.connect(after_save)
                window.history.failed.connect(after_save_failed)
            else:
                window.analysis_finished.connect(save_and_quit)
            window.analysis_failed.connect(failed)
        QTimer.singleShot(0, lambda: window.open_model(args.model))
    app.exec()
    window.close()  # saves the window state and ends the history thread
    # Destroy the Qt objects while the interpreter is whole: left to interpreter shutdown,
    # PySide6 can free them in an order that aborts the process after the work is done.
    window.deleteLater()
    app.processEvents()
    gc.collect()
    return outcome["code"]
