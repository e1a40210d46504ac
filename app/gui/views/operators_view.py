"""Operators tab: a table model over the report's operator rows with sorting, a status
filter and search. The model is lazy (Qt asks only for visible cells), so 50,000 rows
stay smooth."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from trnport.analyzers.results import STATUSES, OperatorRow
from trnport.app.gui.palette import STATUS_COLORS

COLUMNS = ("Operator", "Count", "Status", "Reason", "Written as", "Confidence")
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

_ROOT = QModelIndex()  # the invisible root of a flat table


class OperatorTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[OperatorRow] = []

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> OperatorRow:
        return self._rows[row]

    def rowCount(self, parent=_ROOT):
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=_ROOT):
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            if column == 1:
                return row.count if role == SORT_ROLE else f"{row.count:,}"
            if column == 2 and role == SORT_ROLE:
                return STATUSES.index(row.status)
            return (row.op, row.count, row.status.replace("_", " "), row.reason,
                    ", ".join(row.source_ops), row.confidence or "")[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return QColor(STATUS_COLORS.get(row.status, "#8a8f98"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (0, 3):
                return f"{row.op}: {row.reason}" if column == 0 else row.reason
            if column == 4 and row.source_ops:
                return "Written in the source as:\n" + "\n".join(row.source_ops)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class OperatorFilter(QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.status: str | None = None
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def set_filters(self, status: str | None, text: str) -> None:
        self.status, self.text = status, text.lower().strip()
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row, source_parent):
        row = self.sourceModel().row_at(source_row)
        if self.status and row.status != self.status:
            return False
        if self.text:
            return self.text in row.op.lower() or self.text in row.reason.lower() or any(
                self.text in s.lower() for s in row.source_ops)
        return True


class OperatorsView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = OperatorTableModel(self)
        self.proxy = OperatorFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # the reason
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.count_label = QLabel()
        self.status = QComboBox()
        self.status.addItem("All statuses", None)
        for status in STATUSES:
            self.status.addItem(status.replace("_", " "), status)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search operators…")
        self.search.setClearButtonEnabled(True)
        top = QHBoxLayout()
        top.addWidget(self.status)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.status.currentIndexChanged.connect(self._apply)
        self.search.textChanged.connect(self._apply)

    def _apply(self, *_):
        self.proxy.set_filters(self.status.currentData(), self.search.text())
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{total:,} operators" if shown == total
                                 else f"{shown:,} of {total:,} operators")

    def show_report(self, report) -> None:
        self.model.set_rows(report.operators)
        self._update_count()
        metrics = self.table.fontMetrics()
        longest = max((metrics.horizontalAdvance(r.op) for r in report.operators[:2000]),
                      default=120)
        self.table.setColumnWidth(0, max(160, min(longest + 24, 340)))
        self.table.setColumnWidth(1, 70)
        self.table.setColumnWidth(2, 110)
        self.table.setColumnWidth(4, 200)
        self.table.setColumnWidth(5, 90)
