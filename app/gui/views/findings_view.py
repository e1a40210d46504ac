"""Findings tab: findings grouped by severity and code, filters, search and a details pane."""

from __future__ import annotations

import html
import re
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QGuiApplication,
    QKeySequence,
    QShortcut,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from trnport.analyzers.results import SEVERITIES, Finding, Report, RewriteSuggestion
from trnport.app.gui.palette import SEVERITY_COLORS

FINDING_ROLE = Qt.ItemDataRole.UserRole + 1
SNIPPET_CONTEXT = 3
HEADERS = ("Finding", "Nodes", "Location")
_ROOT = QModelIndex()


def finding_as_text(finding: Finding) -> str:
    """A finding as plain text, for the clipboard and bug reports."""
    loc = finding.location
    where = f"{loc.file}:{loc.line}" if loc.file and loc.line else (loc.file or "")
    lines = [f"{finding.code} {finding.symbol} ({finding.severity}): {finding.message}"]
    if where or loc.module:
        lines.append(f"  at {where}{f' in {loc.module}' if loc.module else ''}".rstrip())
    lines.append(f"  fix: {finding.fix}")
    lines.append(f"  nodes: {finding.count}; source: {finding.provenance.source}")
    return "\n".join(lines)


def rule_doc_markdown(code: str) -> str:
    page = resources.files("trnport.resources").joinpath("rules", f"{code}.md")
    try:
        return page.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return f"No documentation page for {code}."


def source_snippet(file: str | None, line: int | None) -> str | None:
    """Lines around ``file:line`` with the line marked, when the file is readable here."""
    if not file or not line:
        return None
    try:
        text = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    start, end = max(1, line - SNIPPET_CONTEXT), min(len(text), line + SNIPPET_CONTEXT)
    return "\n".join(f"{'→' if n == line else ' '} {n:>5}  {text[n - 1]}"
                     for n in range(start, end + 1))


def _html_body(document_html: str) -> str:
    # QTextDocument.toHtml() gives a whole page; appending one to other HTML makes Qt's
    # parser drop the line breaks of earlier <pre> blocks, so only its body is kept.
    match = re.search(r"<body[^>]*>(.*)</body>", document_html, re.DOTALL)
    return match.group(1) if match else document_html


def _markdown_html(markdown: str) -> str:
    document = QTextDocument()
    document.setMarkdown(markdown)
    return _html_body(document.toHtml())


def _pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def rewrite_html(finding: Finding, suggestions: dict[str, RewriteSuggestion]) -> str:
    """The rewrite a finding points to: its title, and the code before and after when the
    report's suggestion has them (the rule page below shows the rule's general example)."""
    if not finding.rewrite:
        return ""
    suggestion = suggestions.get(finding.rewrite)
    title = (suggestion.title if suggestion else "") or _kb_rewrite_title(finding.rewrite)
    parts = [f"<p><b>Rewrite:</b> {html.escape(finding.rewrite)}"
             f"{' — ' + html.escape(title) if title else ''}</p>"]
    if suggestion is not None:
        for code, label in ((suggestion.before, "Before"), (suggestion.after, "After")):
            if code:
                parts.append(f"<p><b>{label}</b></p>{_pre(code)}")
    return "".join(parts)


def _kb_rewrite_title(rewrite_id: str) -> str:
    try:
        from trnport.analyzers.kb import load_kb

        found = load_kb().rewrite(rewrite_id)
    except Exception:  # the title is a nicety; the details pane must still show
        return ""
    return found.title if found else ""


class _Node:
    """A row of the findings tree: a severity group, a code group or one finding."""

    __slots__ = ("brush", "children", "finding", "parent", "row", "texts")

    def __init__(self, texts, parent=None, finding=None, brush=None):
        self.texts = texts
        self.finding = finding
        self.brush = brush
        self.parent = parent
        self.children: list[_Node] = []
        self.row = 0
        if parent is not None:
            self.row = len(parent.children)
            parent.children.append(self)


class FindingTreeModel(QAbstractItemModel):
    """Findings grouped by severity, then code: severity rows, code rows and finding rows,
    three columns (finding, nodes, location). Qt asks only for what it shows, so a report
    with thousands of findings fills at once; ``FINDING_ROLE`` gives a row's finding (None
    for the group rows)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._root = _Node(("", "", ""))

    def set_findings(self, findings) -> None:
        root = _Node(("", "", ""))
        for severity in SEVERITIES:
            group = [f for f in findings if f.severity == severity]
            if not group:
                continue
            severity_node = _Node((f"{severity.upper()} ({len(group)})", "", ""), root,
                                  brush=QBrush(QColor(SEVERITY_COLORS[severity])))
            by_code: dict[str, list[Finding]] = {}
            for finding in group:
                by_code.setdefault(finding.code, []).append(finding)
            for code, members in by_code.items():
                code_node = _Node((f"{code} {members[0].symbol} ({len(members)})", "", ""),
                                  severity_node)
                for finding in members:
                    loc = finding.location
                    where = f"{Path(loc.file).name}:{loc.line}" if loc.file and loc.line else (
                        loc.module or "")
                    _Node((finding.message, str(finding.count), where), code_node, finding)
        self.beginResetModel()
        old, self._root = self._root, root
        self.endResetModel()
        del old  # the old rows outlive the reset, which may still look at them

    def _node(self, index) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def index(self, row, column, parent=_ROOT):
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        children = self._node(parent).children
        if 0 <= row < len(children) and 0 <= column < len(HEADERS):
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, index=None):
        if index is None:  # QObject.parent()
            return QObject.parent(self)
        if not index.isValid():
            return QModelIndex()
        parent = index.internalPointer().parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent=_ROOT):
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent=_ROOT):
        return len(HEADERS)

    def hasChildren(self, parent=_ROOT):
        return self.rowCount(parent) > 0

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        node = index.internalPointer()
        if role == Qt.ItemDataRole.DisplayRole:
            return node.texts[index.column()]
        if role == FINDING_ROLE:
            return node.finding
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            return node.brush
        return None


class FindingFilter(QSortFilterProxyModel):
    """Keeps findings matching severity, category, code and search text; a group stays
    visible while any of its findings does."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.severity = self.category = self.code = None
        self.text = ""
        self.setRecursiveFilteringEnabled(True)

    def set_filters(self, severity=None, category=None, code=None, text=""):
        self.severity, self.category, self.code = severity, category, code
        self.text = text.lower().strip()
        self.invalidateFilter()

    def filterAcceptsRow(self, row, parent):
        index = self.sourceModel().index(row, 0, parent)
        finding: Finding | None = index.data(FINDING_ROLE)
        if finding is None:
            return False  # groups are shown through their accepted children
        if self.severity and finding.severity != self.severity:
            return False
        if self.category and finding.category != self.category:
            return False
        if self.code and finding.code != self.code:
            return False
        if self.text:
            haystack = " ".join((finding.code, finding.symbol, finding.message, finding.fix,
                                 " ".join(finding.ops), finding.location.module or "",
                                 finding.location.file or "")).lower()
            return self.text in haystack
        return True


class FindingsView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = FindingTreeModel(self)
        self.proxy = FindingFilter(self)
        self.proxy.setSourceModel(self.model)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(2, 220)
        self._rewrite_entries: dict[str, RewriteSuggestion] = {}
        self.severity = QComboBox()
        self.category = QComboBox()
        self.code = QComboBox()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search findings (op, module, message)…")
        self.search.setClearButtonEnabled(True)
        self.details = QTextBrowser()
        self.details.setOpenExternalLinks(False)
        filters = QHBoxLayout()
        for widget in (self.severity, self.category, self.code):
            filters.addWidget(widget)
        filters.addWidget(self.search, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.tree)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        for combo in (self.severity, self.category, self.code):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.search.textChanged.connect(self._apply_filters)
        self.tree.selectionModel().currentChanged.connect(self._show_details)
        QShortcut(QKeySequence.StandardKey.Copy, self.tree, self.copy_selected)
        copy_action = QAction("Copy finding as text", self.tree)
        copy_action.triggered.connect(self.copy_selected)
        self.tree.addAction(copy_action)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._fill_filter_combos([])

    def _fill_filter_combos(self, findings: list[Finding]) -> None:
        for combo, label, values in (
            (self.severity, "All severities", SEVERITIES),
            (self.category, "All categories", sorted({f.category for f in findings})),
            (self.code, "All codes", sorted({f.code for f in findings})),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(label, None)
            for value in values:
                combo.addItem(value, value)
            combo.blockSignals(False)

    def show_report(self, report: Report) -> None:
        self._rewrite_entries = {r.id: r for r in report.rewrites}
        self._fill_filter_combos(list(report.findings))
        self.model.set_findings(report.findings)
        self.tree.expandAll()
        self.details.setHtml("<p>Select a finding to see its details.</p>" if report.findings
                             else "<p>No findings for this target.</p>")
        first = self.first_finding_index()
        if first is not None:
            self.tree.setCurrentIndex(first)

    def first_finding_index(self):
        """The first visible finding (under its severity and code groups), or None."""
        for s in range(self.proxy.rowCount()):
            severity = self.proxy.index(s, 0)
            for c in range(self.proxy.rowCount(severity)):
                code = self.proxy.index(c, 0, severity)
                if self.proxy.rowCount(code):
                    return self.proxy.index(0, 0, code)
        return None

    def select_finding(self, finding: Finding) -> bool:
        """Clear the filters and select ``finding``; False when it is not in the list."""
        for combo in (self.severity, self.category, self.code):
            combo.setCurrentIndex(0)
        self.search.clear()
        for s in range(self.proxy.rowCount()):
            severity = self.proxy.index(s, 0)
            for c in range(self.proxy.rowCount(severity)):
                code = self.proxy.index(c, 0, severity)
                for f in range(self.proxy.rowCount(code)):
                    index = self.proxy.index(f, 0, code)
                    if index.data(FINDING_ROLE) == finding:
                        self.tree.setCurrentIndex(index)
                        self.tree.scrollTo(index)
                        self.tree.setFocus()
                        return True
        return False

    def _apply_filters(self, *_):
        self.proxy.set_filters(self.severity.currentData(), self.category.currentData(),
                               self.code.currentData(), self.search.text())
        self.tree.expandAll()

    def selected_finding(self) -> Finding | None:
        index = self.tree.currentIndex()
        return index.data(FINDING_ROLE) if index.isValid() else None

    def copy_selected(self) -> None:
        finding = self.selected_finding()
        if finding is not None:
            QGuiApplication.clipboard().setText(finding_as_text(finding))

    def _show_details(self, current, _previous=None):
        finding = current.data(FINDING_ROLE) if current.isValid() else None
        if finding is None:
            return
        esc = html.escape
        loc = finding.location
        parts = [
            f"<h3>{esc(finding.code)} {esc(finding.symbol)} "
            f"<span style='color:{SEVERITY_COLORS[finding.severity]}'>"
            f"({esc(finding.severity)})</span></h3>",
            f"<p><b>What is wrong:</b> {esc(finding.message)}</p>",
            f"<p><b>Fix:</b> {esc(finding.fix)}</p>",
            f"<p><b>Nodes:</b> {finding.count} — {esc(', '.join(finding.nodes[:12]))}"
            f"{' …' if finding.count > 12 else ''}</p>",
        ]
        if loc.file or loc.module:
            where = f"{loc.file}:{loc.line}" if loc.file and loc.line else (loc.file or "")
            parts.append(f"<p><b>Location:</b> {esc(where)} {esc(loc.module or '')}</p>")
        snippet = source_snippet(loc.file, loc.line)
        if snippet:
            parts.append(_pre(snippet))
        rule_doc = rule_doc_markdown(finding.code)
        parts.append(rewrite_html(finding, self._rewrite_entries))
        parts.append(f"<p><b>Source:</b> {esc(finding.provenance.kind)} — "
                     f"{esc(finding.provenance.source)}"
                     f"{f' (confidence {esc(finding.confidence)})' if finding.confidence else ''}"
                     "</p><hr>")
        self.details.setHtml("".join(parts) + _markdown_html(rule_doc))
