"""The Graph tab: the model's dataflow graph, one box per module coloured by the worst
verdict inside it; click a box to open it, a node to read its verdict, source and tensors.

What is shown and where is worked out by a :class:`LayoutJob` thread, so opening a group
of a 50,000-node model never stalls the window; the tab only draws the result.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsScene,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from trnport.analyzers.graphview import initial_expansion
from trnport.analyzers.results.units import human_bytes
from trnport.app.gui.graph.canvas import GraphCanvas, MiniMap, draw
from trnport.app.gui.graph.worker import LayoutJob, node_lookups

SEARCH_LIMIT = 60


class GraphTab(QWidget):
    """``rendered()`` is emitted after each drawing."""

    rendered = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.expanded: set[int] = set()
        self.selected: int | None = None
        self.show_host = False
        self.box_items: list = []
        self.visible = None
        self._token = 0
        self._jobs: list[LayoutJob] = []
        self._pending_focus: int | None = None
        self._lookups: dict | None = None
        self._source: tuple[str | None, int | None] = (None, None)
        self.scene = QGraphicsScene(self)
        self.canvas = GraphCanvas(self.scene)
        self.minimap = MiniMap(self.canvas)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a node, operator or module…")
        self.search.setClearButtonEnabled(True)
        self.hits = QListWidget()
        self.hits.setMaximumHeight(130)
        self.hits.setVisible(False)
        self.fit_button = QPushButton("Fit")
        zoom_in, zoom_out = QPushButton("+"), QPushButton("−")
        self.collapse_button = QPushButton("Reset view")
        self.host_button = QPushButton("Show CPU-fallback regions")
        self.host_button.setCheckable(True)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.details = QTextBrowser()
        self.open_source_button = QPushButton("Open source")
        self.open_source_button.setEnabled(False)
        self.status = QLabel("No model analysed yet.")
        tools = QHBoxLayout()
        tools.addWidget(self.search, 1)
        for button in (self.fit_button, zoom_in, zoom_out, self.collapse_button,
                       self.host_button):
            tools.addWidget(button)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.minimap)
        side_layout.addWidget(self.details, 1)
        side_layout.addWidget(self.open_source_button)
        splitter = QSplitter()
        splitter.addWidget(self.canvas)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        side.setMinimumWidth(220)
        side.setMaximumWidth(380)
        splitter.setSizes([900, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.hits)
        layout.addWidget(self.info)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(150)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.hits.itemActivated.connect(self._hit_chosen)
        self.hits.itemClicked.connect(self._hit_chosen)
        self.fit_button.clicked.connect(self.fit)
        zoom_in.clicked.connect(lambda: self.canvas.zoom(1.25))
        zoom_out.clicked.connect(lambda: self.canvas.zoom(1 / 1.25))
        self.collapse_button.clicked.connect(self.collapse_all)
        self.host_button.toggled.connect(self.set_show_host)
        self.open_source_button.clicked.connect(self._open_source)
        self.canvas.box_clicked.connect(self._box_clicked)
        self.canvas.frame_clicked.connect(self.close_group)

    # -- the report ----------------------------------------------------------------------
    def show_report(self, report) -> None:
        self.model = report.graph
        self.expanded = set()
        self.selected = None
        self.details.clear()
        self.open_source_button.setEnabled(False)
        if self.model is None or not self.model.nodes:
            self.scene.clear()
            self.box_items = []
            self.status.setText("This report has no graph (reports read back from JSON keep "
                                "none): analyse the model to see it.")
            return
        self.expanded = set(initial_expansion(self.model))
        self._lookups = None
        if self.show_host:
            self.info.setText(self.host_summary())
        self.relayout(index=True)

    @property
    def lookups(self) -> dict:
        """Name index and host regions; built by the first layout job, or here when a link
        asks before that job has answered."""
        if self._lookups is None:
            self._lookups = node_lookups(self.model)
        return self._lookups

    def is_busy(self) -> bool:
        return any(job.isRunning() for job in self._jobs)

    def wait_ready(self, timeout_ms: int = 20_000) -> bool:
        """Process events until the drawing is up to date (for screenshots and tests)."""
        timer = QTimer()
        timer.start(timeout_ms)
        app = QApplication.instance()
        while (self.is_busy() or self._jobs) and timer.isActive():
            app.processEvents()
        return not self.is_busy()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Wait for the layout threads, so none outlives the tab."""
        self._token += 1  # whatever they answer is no longer wanted
        for job in list(self._jobs):
            job.wait(timeout_ms)

    def relayout(self, index: bool = False) -> None:
        if self.model is None:
            return
        self._token += 1
        self.status.setText("Laying out…")
        job = LayoutJob(self._token, self.model, frozenset(self.expanded),
                        index=index and self._lookups is None, parent=self)
        job.done.connect(self._laid_out)
        job.failed.connect(self._layout_failed)
        job.finished.connect(lambda j=job: self._forget(j))
        self._jobs.append(job)
        job.start()

    def _forget(self, job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        job.deleteLater()

    def _layout_failed(self, token: int, message: str) -> None:
        if token == self._token:
            self.status.setText(f"Could not lay out the graph: {message}")

    def _laid_out(self, token: int, visible, placement, lookups) -> None:
        if lookups is not None and self._lookups is None:
            self._lookups = lookups
        if token != self._token:  # a newer request is on its way
            return
        self.visible = visible
        dark = bool(QApplication.instance().property("trnportDark"))
        host = self.lookups if self.show_host else {"host_nodes": set(), "host_groups": set()}
        self.box_items = draw(self.scene, self.model, visible, placement, dark=dark,
                              selected=self.selected, host_nodes=host["host_nodes"],
                              host_groups=host["host_groups"])
        self.minimap.refit()
        groups = sum(1 for box in visible.boxes if box.kind == "group")
        self.status.setText(f"{len(self.model.nodes)} nodes · showing {len(visible.boxes)} "
                            f"boxes ({groups} collapsed modules) · drag to pan, wheel to zoom")
        if self._pending_focus is not None:
            self._focus(self._pending_focus)
            self._pending_focus = None
        else:
            self.fit()
        self.rendered.emit()

    # -- opening, closing, selecting -----------------------------------------------------
    def fit(self) -> None:
        self.canvas.fit()
        self.minimap.viewport().update()

    def open_group(self, group: int) -> None:
        self.expanded.add(group)
        self.relayout()

    def close_group(self, group: int) -> None:
        stack = [group]
        while stack:
            current = stack.pop()
            self.expanded.discard(current)
            stack.extend(self.model.groups[current].children)
        self.relayout()

    def collapse_all(self) -> None:
        """Back to the view the graph opened on."""
        self.expanded = set(initial_expansion(self.model))
        self.relayout()

    def _box_clicked(self, kind: str, index: int) -> None:
        if kind == "group":
            self.open_group(index)
        else:
            self.select(index)

    def select(self, node: int) -> None:
        """Select a visible node: outline it and show its details."""
        self.selected = node
        self._pending_focus = node
        self.relayout()
        self.describe(node)

    def reveal(self, node: int) -> None:
        """Open every group around ``node``, then select it and centre the view on it."""
        group = self.model.nodes[node].group
        while group > 0:
            self.expanded.add(group)
            group = self.model.groups[group].parent
        self.select(node)

    def reveal_node(self, name: str) -> bool:
        index = self.lookups["names"].get(name) if self.model is not None else None
        if index is None:
            return False
        self.reveal(index)
        return True

    def reveal_op(self, op: str, status: str | None = None) -> bool:
        """Select the first node of ``op`` (with ``status``) and list all of them."""
        if self.model is None:
            return False
        for index, node in enumerate(self.model.nodes):
            if node.op == op and (status is None or node.status == status):
                self.search.setText(op)
                self._run_search()
                self.reveal(index)
                return True
        return False

    def reveal_module(self, path: str) -> bool:
        """Open the groups down to module ``path`` and show it open."""
        if self.model is None:
            return False
        group = self.model.group_of_path(path)
        if group is None:
            return False
        for ancestor in self.model.ancestors(group):
            if ancestor > 0:
                self.expanded.add(ancestor)
        self.selected = None
        self.relayout()
        return True

    def selected_name(self) -> str | None:
        return None if self.selected is None else self.model.nodes[self.selected].name

    def _focus(self, node: int) -> None:
        for item in self.box_items:
            if item.kind == "node" and item.index == node:
                if self.canvas.transform().m11() < 0.6:
                    self.canvas.resetTransform()
                self.canvas.centerOn(item)
                return
        self.fit()

    def describe(self, node: int) -> None:
        model = self.model
        item = model.nodes[node]
        where = f"{item.file}:{item.line}" if item.file and item.line else (item.file or "")
        ins = [f"{e.dtype}[{e.shape}] from {model.nodes[e.source].name}"
               for e in model.edges if e.target == node][:8]
        outs = [f"{e.dtype}[{e.shape}] to {model.nodes[e.target].name}"
                for e in model.edges if e.source == node][:8]
        rows = [("Node", item.name), ("Operator", item.op),
                ("Verdict", item.status.replace("_", " ")), ("Reason", item.reason),
                ("Source", where), ("Module", item.module or ""),
                ("Findings", " ".join(item.codes)),
                ("Inputs", "\n".join(ins)), ("Outputs", "\n".join(outs))]
        body = "".join(f"<dt><b>{html.escape(k)}</b></dt><dd>"
                       f"{html.escape(v).replace(chr(10), '<br>')}</dd>" for k, v in rows if v)
        self.details.setHtml(f"<dl>{body}</dl>")
        self._source = (item.file, item.line)
        self.open_source_button.setEnabled(bool(item.file and Path(item.file).is_file()))

    def _open_source(self) -> None:
        file, _line = self._source
        if file:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(file).resolve())))

    # -- search and host regions ---------------------------------------------------------
    def _run_search(self) -> None:
        self.hits.clear()
        query = self.search.text().strip().lower()
        if self.model is None or len(query) < 2:
            self.hits.setVisible(False)
            return
        found = 0
        for index, node in enumerate(self.model.nodes):
            if (query in node.name.lower() or query in node.op.lower()
                    or query in (node.module or "").lower()):
                entry = QListWidgetItem(f"{node.name} · {node.op} · "
                                        f"{node.status.replace('_', ' ')}")
                entry.setData(256, index)
                self.hits.addItem(entry)
                found += 1
                if found >= SEARCH_LIMIT:
                    break
        if not found:
            self.hits.addItem("no node, operator or module matches")
        self.hits.setVisible(True)

    def _hit_chosen(self, entry: QListWidgetItem) -> None:
        index = entry.data(256)
        if index is not None:
            self.reveal(index)

    def set_show_host(self, on: bool) -> None:
        self.show_host = on
        self.host_button.setChecked(on)
        self.info.setText(self.host_summary() if on and self.model is not None else "")
        self.relayout()

    def host_summary(self) -> str:
        regions = self.model.regions
        if not regions:
            return "Nothing runs on the host: the model is one device graph."
        cuts = "; ".join(
            f"region {i} ({len(r.nodes)} node{'' if len(r.nodes) == 1 else 's'}): "
            f"{human_bytes(r.bytes_in)} in, {human_bytes(r.bytes_out)} out"
            + (f", {r.unsized} tensor(s) of symbolic size" if r.unsized else "")
            for i, r in enumerate(regions, start=1))
        count = self.model.device_graphs
        return (f"{len(regions)} host region{'' if len(regions) == 1 else 's'} (outlined); "
                f"the model runs as {count} device graph{'' if count == 1 else 's'}. "
                f"Bytes crossing each cut — {cuts}")
