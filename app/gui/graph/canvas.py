"""The drawing: boxes, frames and edges in a QGraphicsScene, a pannable, zoomable view of
it and a minimap of the whole."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

from trnport.analyzers.results.units import human_bytes
from trnport.app.gui.graph.colors import INK, status_colors
from trnport.app.gui.graph.layout import box_texts


class BoxItem(QGraphicsRectItem):
    """A node or a collapsed group; ``kind`` and ``index`` say which."""

    def __init__(self, kind: str, index: int, rect: QRectF):
        super().__init__(rect)
        self.kind = kind
        self.index = index
        self.status = ""
        self.texts: tuple[str, str] = ("", "")


class FrameItem(QGraphicsRectItem):
    """The outline of an open group; clicking its title closes it."""

    def __init__(self, group: int, rect: QRectF):
        super().__init__(rect)
        self.group = group


def draw(scene: QGraphicsScene, model, visible, placement, *, dark: bool,
         selected: int | None, host_nodes: set[int], host_groups: set[int]) -> list[BoxItem]:
    """Fill ``scene`` with the laid-out graph; returns the boxes in ``visible`` order."""
    ink, muted, edge_colour, background, accent, host_colour = INK[dark]
    scene.clear()
    scene.setBackgroundBrush(QBrush(QColor(background)))
    title_font = QFont()
    title_font.setPointSizeF(9.0)
    small_font = QFont()
    small_font.setPointSizeF(7.5)
    for group, rect in sorted(placement.frames.items(), key=lambda kv: kv[1].w * kv[1].h,
                              reverse=True):
        colours = status_colors(model.groups[group].status, dark)
        frame = FrameItem(group, QRectF(rect.x, rect.y, rect.w, rect.h))
        pen = QPen(QColor(colours.stroke), 1.4, Qt.PenStyle.DashLine)
        frame.setPen(pen)
        frame.setBrush(Qt.BrushStyle.NoBrush)
        frame.setToolTip(f"{model.groups[group].path or model.groups[group].label} — "
                         "click the title to close")
        scene.addItem(frame)
        label = QGraphicsSimpleTextItem(f"▾ {model.groups[group].label}", frame)
        label.setFont(title_font)
        label.setBrush(QBrush(QColor(muted)))
        label.setPos(rect.x + 8, rect.y + 4)
    for edge in visible.edges:
        _draw_edge(scene, placement.boxes[edge.source], placement.boxes[edge.target], edge,
                   QColor(edge_colour))
    boxes = []
    for position, box in enumerate(visible.boxes):
        rect = placement.boxes[position]
        item = BoxItem(box.kind, box.index, QRectF(rect.x, rect.y, rect.w, rect.h))
        status = (model.nodes[box.index].status if box.kind == "node"
                  else model.groups[box.index].status)
        colours = status_colors(status, dark)
        is_host = (box.index in host_nodes) if box.kind == "node" else (box.index in host_groups)
        is_selected = box.kind == "node" and box.index == selected
        pen = QPen(QColor(colours.stroke), 2.6 if box.kind == "group" else 1.4)
        if is_host:
            pen = QPen(QColor(host_colour), 4.5, Qt.PenStyle.DashLine)
        if is_selected:
            pen = QPen(QColor(accent), 4)
        item.setPen(pen)
        item.setBrush(QBrush(QColor(colours.fill)))
        item.status = status
        item.texts = box_texts(model, box.kind, box.index)
        item.setToolTip(_box_tip(model, box))
        scene.addItem(item)
        first = QGraphicsSimpleTextItem(("▸ " if box.kind == "group" else "") + item.texts[0],
                                        item)
        first.setFont(title_font)
        first.setBrush(QBrush(QColor(ink)))
        first.setPos(rect.x + 9, rect.y + 5)
        second = QGraphicsSimpleTextItem(item.texts[1], item)
        second.setFont(small_font)
        second.setBrush(QBrush(QColor(muted)))
        second.setPos(rect.x + 9, rect.y + 23)
        boxes.append(item)
    scene.setSceneRect(QRectF(0, 0, placement.width, placement.height))
    return boxes


def _box_tip(model, box) -> str:
    if box.kind == "node":
        node = model.nodes[box.index]
        return f"{node.name} ({node.op}): {node.status.replace('_', ' ')}"
    group = model.groups[box.index]
    return (f"{group.path or group.label}: {group.size} nodes, worst "
            f"{group.status.replace('_', ' ')} — click to open")


def _draw_edge(scene, source, target, edge, colour: QColor) -> None:
    start = QPointF(source.x + source.w / 2, source.y + source.h)
    end = QPointF(target.x + target.w / 2, target.y)
    if end.y() < start.y():  # an edge back up (the level's layout reversed a cycle)
        start = QPointF(source.x + source.w / 2, source.y)
        end = QPointF(target.x + target.w / 2, target.y + target.h)
    path = QPainterPath(start)
    bend = max(abs(end.y() - start.y()) / 2, 18)
    direction = 1 if end.y() >= start.y() else -1
    path.cubicTo(QPointF(start.x(), start.y() + bend * direction),
                 QPointF(end.x(), end.y() - bend * direction), end)
    item = QGraphicsPathItem(path)
    item.setPen(QPen(colour, 1.3))
    size = human_bytes(edge.nbytes) if edge.nbytes else "size unknown"
    item.setToolTip(f"{edge.dtype}[{edge.shape}] · {edge.value}" if edge.count == 1 else
                    f"{edge.count} tensors, {size} (e.g. {edge.dtype}[{edge.shape}])")
    scene.addItem(item)
    arrow = QPolygonF([end, QPointF(end.x() - 4, end.y() - 7 * direction),
                       QPointF(end.x() + 4, end.y() - 7 * direction)])
    head = QGraphicsPolygonItem(arrow)
    head.setBrush(QBrush(colour))
    head.setPen(QPen(colour))
    scene.addItem(head)


class GraphCanvas(QGraphicsView):
    """Drag to pan, wheel to zoom; ``box_clicked(kind, index)`` and ``frame_clicked(group)``
    on a click that did not drag."""

    box_clicked = Signal(str, int)
    frame_clicked = Signal(int)

    def __init__(self, scene: QGraphicsScene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self._pressed: QPointF | None = None

    def wheelEvent(self, event):
        self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.03 <= scale <= 6:
            self.scale(factor, factor)

    def fit(self) -> None:
        rect = self.scene().sceneRect()
        if rect.isValid():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            if self.transform().m11() > 1.2:  # a small graph stays readable, not blown up
                self.resetTransform()
                self.scale(1.2, 1.2)
                self.centerOn(rect.center())

    def mousePressEvent(self, event):
        self._pressed = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        if self._pressed is None or (event.position() - self._pressed).manhattanLength() > 4:
            return
        self._pressed = None
        for item in self.items(event.position().toPoint()):
            while item is not None and not isinstance(item, BoxItem | FrameItem):
                item = item.parentItem()
            if isinstance(item, BoxItem):
                self.box_clicked.emit(item.kind, item.index)
                return
            if isinstance(item, FrameItem):
                self.frame_clicked.emit(item.group)
                return


class MiniMap(QGraphicsView):
    """The whole drawing, small, with the main view's visible area outlined; a click
    centres the main view there."""

    def __init__(self, canvas: GraphCanvas, parent=None):
        super().__init__(canvas.scene(), parent)
        self.canvas = canvas
        self.setInteractive(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(170)
        for bar in (canvas.horizontalScrollBar(), canvas.verticalScrollBar()):
            bar.valueChanged.connect(self.viewport().update)

    def refit(self) -> None:
        rect = self.scene().sceneRect()
        if rect.isValid():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self.viewport().update()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.refit()

    def drawForeground(self, painter, rect):
        shown = self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()
        painter.setPen(QPen(QColor("#3b4cca"), 0))
        painter.setBrush(QBrush(QColor(59, 76, 202, 30)))
        painter.drawRect(shown)

    def mousePressEvent(self, event):
        self.canvas.centerOn(self.mapToScene(event.position().toPoint()))
        self.viewport().update()
