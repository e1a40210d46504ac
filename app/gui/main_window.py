"""The main window: open a model, pick the target, watch the analysis, read the tabs,
export the report."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from trnport.analyzers import __version__
from trnport.analyzers.api import STAGE_LABELS
from trnport.analyzers.collector import collector_paused
from trnport.analyzers.errors import InputError
from trnport.analyzers.kb.loader import resources_dir
from trnport.app.gui.graph.graph_tab import GraphTab
from trnport.app.gui.graph.links import GraphLinks
from trnport.app.gui.history_client import HistoryClient
from trnport.app.gui.session import AnalysisSession
from trnport.app.gui.settings import Settings
from trnport.app.gui.target_bar import TargetBar
from trnport.app.gui.views.findings_view import FindingsView
from trnport.app.gui.views.model_tree_view import ModelTreeView
from trnport.app.gui.views.operators_view import OperatorsView
from trnport.app.gui.views.summary_view import SummaryView
from trnport.app.gui.worker import AnalysisWorker

OPEN_FILTER = ("Models (*.onnx *.pt2 *.pt *.ts *.pth *.jit *.py config.json);;"
               "ONNX (*.onnx);;PyTorch export (*.pt2);;TorchScript (*.pt *.ts *.pth *.jit);;"
               "Python model file (*.py);;Hugging Face config (config.json);;All files (*)")


def _kb_choices() -> tuple[list[str], dict[str, list[str]]]:
    """SDK profile ids and instance names per family, for the target bar."""
    from trnport.analyzers.kb import load_kb

    kb = load_kb()
    profiles = [p.id for p in kb.profiles]
    instances: dict[str, list[str]] = {}
    for family in kb.targets:
        instances[family.family] = [i.name for i in family.instances]
    return profiles, instances


def stack_offers(family: str, sdk: str | None) -> list[tuple[str, str, bool]]:
    """The PyTorch stacks SDK line ``sdk`` offers ``family``: (stack, status, default)."""
    from trnport.analyzers.kb import load_kb

    kb = load_kb()
    profile = kb.profile(sdk)
    return [(stack, status, profile.default_stack.get(family) == stack)
            for stack, status in kb.stacks_offered(profile, family)]


class MainWindow(QMainWindow):
    """``analysis_finished`` / ``analysis_failed`` re-emit the worker's outcome once the
    window has shown it, so tests and scripts can wait on the window itself."""

    analysis_finished = Signal(object)
    analysis_failed = Signal(str)
    analysis_cancelled = Signal()

    def __init__(self, settings: Settings | None = None):
        super().__init__()
        self.setWindowTitle("trnport — Neuron porting assistant")
        self.setWindowIcon(QIcon(str(resources_dir() / "icons" / "trnport-256.png")))
        self.setAcceptDrops(True)
        self.resize(1280, 820)
        self.settings = settings or Settings()
        self.session = AnalysisSession()
        self.history = HistoryClient(self.settings.history_db, self)
        self.history.recorded.connect(self._on_recorded)
        self.history.failed.connect(self._on_history_failed)
        self.worker: AnalysisWorker | None = None
        self._analysing = False
        self.error_dialog: QMessageBox | None = None
        self.compare_dialog: QDialog | None = None
        profiles, instances = _kb_choices()
        self.target_bar = TargetBar(profiles, instances, stacks=stack_offers)
        self.target_bar.set_values(self.settings.target())
        self.tabs = QTabWidget()
        self.summary_view = SummaryView()
        self.findings_view = FindingsView()
        self.operators_view = OperatorsView()
        self.model_view = ModelTreeView()
        self.graph_view = GraphTab()
        self.views = {"Summary": self.summary_view, "Findings": self.findings_view,
                      "Operators": self.operators_view, "Model": self.model_view,
                      "Graph": self.graph_view}
        self._add_optional_views()
        for title, view in self.views.items():
            self.tabs.addTab(view, title)
        self.setCentralWidget(self.tabs)
        self.summary_view.finding_activated.connect(self.show_finding)
        self.summary_view.open_requested.connect(self.choose_model)
        self.shortcuts_dialog: QDialog | None = None
        self.graph_links = GraphLinks(self)
        self._build_status_bar()
        self._build_actions()
        self._restore_window()
        self.session.subscribe(self._on_session_change)

    # -- construction -------------------------------------------------------------------
    def _add_optional_views(self) -> None:
        """Tabs whose engine or store parts are optional at run time."""
        from trnport.app.gui.views.extra_views import optional_views

        self.views.update(optional_views(self))

    def _build_status_bar(self) -> None:
        self.status_label = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(240)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_analysis)
        bar = self.statusBar()
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)

    def _action(self, text, slot, shortcut=None, tip=None) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("&Open…", self.choose_model, QKeySequence.StandardKey.Open,
                                        "Open a model file or folder")
        self.analyse_action = self._action("&Analyse", self.analyse, "F5",
                                           "Analyse the open model for the chosen target")
        self.cancel_action = self._action("&Cancel analysis", self.cancel_analysis, "Esc")
        self.export_html_action = self._action("Export &HTML…", lambda: self.choose_export("html"),
                                               "Ctrl+E")
        self.browser_action = self._action("Open report in &browser", self.open_in_browser,
                                           "Ctrl+B")
        self.compare_action = self._action("&Compare with another SDK or stack…",
                                           self.open_comparison, "Ctrl+Shift+K",
                                           "What changes for this model on another SDK line "
                                           "or PyTorch stack")
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent_menu()
        file_menu.addSeparator()
        file_menu.addAction(self.analyse_action)
        file_menu.addAction(self.cancel_action)
        file_menu.addAction(self.compare_action)
        file_menu.addSeparator()
        export_menu = file_menu.addMenu("&Export report")
        from trnport.analyzers.report import RENDERERS

        for fmt in RENDERERS:
            label = {"text": "Text", "model-explorer": "Model Explorer overlay"}.get(fmt)
            export_menu.addAction(self._action(label or fmt.upper(),
                                               lambda _=False, f=fmt: self.choose_export(f)))
        file_menu.addAction(self.export_html_action)
        file_menu.addAction(self.browser_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for number, title in enumerate(self.views, start=1):
            view_menu.addAction(self._action(title, lambda _=False, i=number - 1:
                                             self.tabs.setCurrentIndex(i), f"Ctrl+{number}",
                                             f"Show the {title} tab"))
        view_menu.addSeparator()
        self.find_action = self._action("&Find…", self.focus_search,
                                        QKeySequence.StandardKey.Find,
                                        "Search the findings or operators")
        view_menu.addAction(self.find_action)
        view_menu.addAction(self.graph_links.action)
        appearance = view_menu.addMenu("&Appearance")
        self.palette_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for mode, text in (("system", "Follow the &system"), ("light", "&Light"),
                           ("dark", "&Dark")):
            action = self._action(text, lambda _=False, m=mode: self.set_palette_mode(m))
            action.setCheckable(True)
            action.setChecked(mode == self.settings.palette_mode())
            group.addAction(action)
            appearance.addAction(action)
            self.palette_actions[mode] = action
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts,
                                             "Ctrl+/", "List the keyboard shortcuts")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self._action("&About trnport", self.show_about))
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.addAction(self.open_action)
        toolbar.addAction(self.analyse_action)
        toolbar.addAction(self.cancel_action)
        toolbar.addAction(self.export_html_action)
        self.addToolBar(toolbar)
        target_toolbar = QToolBar("Target")
        target_toolbar.setObjectName("targetToolbar")
        target_toolbar.addWidget(self.target_bar)
        self.addToolBarBreak()
        self.addToolBar(target_toolbar)
        self._set_busy(False)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for path in recent:
            self.recent_menu.addAction(self._action(str(path),
                                                    lambda _=False, p=path: self.open_model(p)))
        self.recent_menu.setEnabled(bool(recent))

    def _restore_window(self) -> None:
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    # -- opening and analysing --------------------------------------------------------
    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", OPEN_FILTER)
        if path:
            self.open_model(Path(path))

    def confirm_trust(self, path: Path) -> bool:
        """Ask before running a Python model file's code (it executes on this machine)."""
        answer = QMessageBox.question(
            self, "Run this Python file?",
            f"Analysing {path.name} runs its code on this computer.\n\n"
            "Only continue if you trust where it came from.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def open_model(self, path: Path) -> None:
        path = Path(path)
        self.session.open_model(path)
        self.settings.add_recent(path)
        self._fill_recent_menu()
        self.setWindowTitle(f"{path.name} — trnport")
        self.analyse()

    def analyse(self) -> None:
        if self.session.model_path is None or self.is_busy():
            return
        if self.session.needs_trust and not self.session.code_trusted:
            if not self.confirm_trust(self.session.model_path):
                self.status_label.setText("Not analysed: running the file was not allowed")
                return
            self.session.code_trusted = True
        values = self.target_bar.values()
        self.settings.set_target(values)
        try:
            self.session.set_options(**values)
        except InputError as error:
            self.show_error(str(error))
            return
        if self.worker is not None:
            # the previous run has reported; its watcher thread is only winding down
            self.worker.wait(5_000)
        self.worker = AnalysisWorker(self.session.model_path, self.session.analysis_options())
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self._set_busy(True)
        self.status_label.setText(f"Analysing {self.session.model_path.name}…")
        self.worker.start()

    def open_comparison(self) -> None:
        """The Compare dialog over the current report (see :mod:`.compare_dialog`)."""
        from trnport.app.gui.compare_dialog import CompareDialog

        if self.session.report is None or self.session.model_path is None:
            return
        self.compare_dialog = CompareDialog(self.session, _kb_choices()[0], stack_offers, self)
        self.compare_dialog.show()

    def is_busy(self) -> bool:
        """True from the start of an analysis until its outcome has been shown."""
        return self._analysing

    def cancel_analysis(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _set_busy(self, busy: bool) -> None:
        self._analysing = busy
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.cancel_button.setVisible(busy)
        self.cancel_action.setEnabled(busy)
        self.analyse_action.setEnabled(not busy)
        has_report = self.session.report is not None
        self.export_html_action.setEnabled(has_report and not busy)
        self.browser_action.setEnabled(has_report and not busy)
        self.compare_action.setEnabled(has_report and not busy)

    def _on_progress(self, stage: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))
        self.status_label.setText(STAGE_LABELS.get(stage, stage) + "…")

    def _on_finished(self, report) -> None:
        with collector_paused():  # the tabs' models of a report are long-lived, like it
            self._show_finished(report)

    def _show_finished(self, report) -> None:
        self.session.set_report(report)
        self._set_busy(False)
        self.status_label.setText(
            f"{report.summary.verdict} · coverage {report.summary.coverage_pct:.1f}% · "
            f"{sum(report.summary.findings_by_severity.values())} findings")
        if self.history.enabled:
            self.history.record(report)
        self.analysis_finished.emit(report)

    def _on_recorded(self, summary) -> None:
        self.status_label.setText(f"{self.status_label.text()} · saved as session {summary.id}")

    def _on_history_failed(self, action: str, message: str) -> None:
        if action == "save":
            self.status_label.setText(f"Not saved in the history: {message}")

    def _on_failed(self, message: str) -> None:
        self._set_busy(False)
        self.session.set_error(message)
        self.status_label.setText("Analysis failed")
        self.show_error(message)
        self.analysis_failed.emit(message)

    def _on_cancelled(self) -> None:
        self._set_busy(False)
        self.status_label.setText("Analysis cancelled")
        self.analysis_cancelled.emit()

    def show_error(self, message: str, title: str = "Cannot analyse model") -> None:
        """A non-blocking dialog with the one-line reason (kept in ``error_dialog``)."""
        self.error_dialog = QMessageBox(QMessageBox.Icon.Warning, title,
                                        message, QMessageBox.StandardButton.Ok, self)
        self.error_dialog.open()

    def _on_session_change(self, what: str) -> None:
        if what == "report" and self.session.report is not None:
            for view in self.views.values():
                view.show_report(self.session.report)

    # -- export ----------------------------------------------------------------------
    def choose_export(self, fmt: str) -> None:
        if self.session.report is None:
            return
        from trnport.app.cli.output import SUFFIXES, report_stem

        suffix = SUFFIXES.get(fmt, f".{fmt}")
        default = f"{report_stem(Path(self.session.report.model.path))}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export {fmt} report", default)
        if path:
            self.export_report(fmt, Path(path))

    def export_report(self, fmt: str, path: Path) -> bool:
        """Write the report; a path that cannot be written is shown in a dialog, and
        whatever was at ``path`` is left as it was."""
        from trnport.analyzers.output_file import OutputError
        from trnport.analyzers.report import RENDERERS
        from trnport.app.cli.output import write_atomic

        try:
            with collector_paused():  # one dict per table row, as the command line renders
                text = RENDERERS[fmt](self.session.report)
            write_atomic(path, text)
        except OutputError as exc:
            self.status_label.setText(f"Export of the {fmt} report failed")
            self.show_error(str(exc), title="Cannot export report")
            return False
        self.status_label.setText(f"Exported {fmt} report to {path}")
        return True

    def open_in_browser(self) -> Path | None:
        if self.session.report is None:
            return None
        folder = Path(tempfile.mkdtemp(prefix="trnport-report-"))
        path = folder / "report.html"
        if not self.export_report("html", path):
            return None
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return path

    # -- navigation, appearance, help ---------------------------------------------------
    def show_finding(self, finding) -> None:
        """Open the Findings tab with ``finding`` selected and its details shown."""
        self.tabs.setCurrentWidget(self.findings_view)
        self.findings_view.select_finding(finding)

    def focus_search(self) -> None:
        """Ctrl+F: the search box of the current tab, or of Findings when it has none."""
        view = self.tabs.currentWidget()
        if not hasattr(view, "search"):
            view = self.findings_view
            self.tabs.setCurrentWidget(view)
        view.search.setFocus()
        view.search.selectAll()

    def set_palette_mode(self, mode: str) -> None:
        from trnport.app.gui.palette import apply_palette

        self.settings.set_palette_mode(mode)
        if mode in self.palette_actions:
            self.palette_actions[mode].setChecked(True)
        app = QApplication.instance()
        if app is not None:
            apply_palette(app, mode)
        if self.session.report is not None:  # views that paint with palette colours
            for view in self.views.values():
                view.show_report(self.session.report)
        self.status_label.setText(f"Appearance: {mode}")

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(action, shortcut) for every menu action with a shortcut, and the view keys."""
        rows: list[tuple[str, str]] = []
        seen: set[str] = set()

        def walk(menu, prefix):
            for action in menu.actions():
                if action.menu() is not None:
                    walk(action.menu(), f"{prefix}{action.menu().title().replace('&', '')} ▸ ")
                    continue
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                name = prefix + action.text().replace("&", "").rstrip("…").strip()
                if keys and name not in seen:
                    seen.add(name)
                    rows.append((name, keys))

        for menu_action in self.menuBar().actions():
            if menu_action.menu() is not None:
                walk(menu_action.menu(), f"{menu_action.text().replace('&', '')} ▸ ")
        copy = QKeySequence(QKeySequence.StandardKey.Copy).toString(
            QKeySequence.SequenceFormat.NativeText)
        rows.append(("Findings ▸ Copy the selected finding as text", copy))
        rows.append(("Summary ▸ Open the selected top finding", "Enter"))
        return rows

    def show_shortcuts(self) -> QDialog:
        """A non-blocking dialog listing the keyboard shortcuts (kept in
        ``shortcuts_dialog``)."""
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        table = QTreeWidget(dialog)
        table.setHeaderLabels(["Action", "Shortcut"])
        table.setRootIsDecorated(False)
        table.setAlternatingRowColors(True)
        for name, keys in self.shortcut_rows():
            table.addTopLevelItem(QTreeWidgetItem([name, keys]))
        table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(520, 460)
        dialog.table = table
        self.shortcuts_dialog = dialog
        dialog.open()
        return dialog

    def show_about(self) -> None:
        QMessageBox.about(self, "About trnport",
                          f"<b>trnport {__version__}</b><p>Porting assistant for AWS Trainium "
                          "and Inferentia2: operator coverage, memory fit and hazards, "
                          "offline.</p>")

    # -- drag and drop, shutdown --------------------------------------------------------
    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_model(Path(urls[0].toLocalFile()))
            event.acceptProposedAction()

    def closeEvent(self, event):
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(10_000)
        self.history.shutdown()
        self.graph_view.shutdown()
        self.settings.set_window_state(self.saveGeometry(), self.saveState())
        self.settings.sync()
        super().closeEvent(event)


__all__ = ["MainWindow", "Qt"]
