"""The Rewrites tab lists ranked suggestions and applies an ONNX rewrite in a worker."""

from __future__ import annotations

import onnx
import pytest
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from tests.analyzers.rewrites import models
from trnport.analyzers.api import analyze
from trnport.analyzers.results import RewriteSuggestion


@pytest.fixture
def save_as(monkeypatch):
    """Answer the save dialog with ``chosen['path']``; records the default it offered."""
    chosen = {"path": "", "offered": None}

    def fake(parent, caption, default, file_filter):
        chosen["offered"] = default
        return str(chosen["path"]), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    return chosen


@pytest.fixture
def answer_yes(monkeypatch):
    asked = []

    def fake(parent, title, text, *args):
        asked.append(title)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(fake))
    return asked


def _view(qtbot, tmp_path, model):
    from trnport.app.gui.views.rewrites_view import RewritesView

    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    view = RewritesView()
    qtbot.addWidget(view)
    view.show_report(analyze(path))
    return view, path


def test_rewrites_view_lists_suggestions_by_gain(qtbot, tmp_path):
    view, _ = _view(qtbot, tmp_path, models.integer_topk())
    # TopK's int64 k is a shape operand and its indices stay below the axis: no int64 rewrite
    assert view.list.count() == 1
    assert view.list.item(0).text().startswith("1. RW-topk-int-to-float [can apply]")
    assert "x.float().topk(k)" in view.browser.toPlainText()
    assert view.apply_button.isEnabled()


def test_rewrites_view_keeps_line_breaks_of_code(qtbot, tmp_path):
    view, _ = _view(qtbot, tmp_path, models.integer_topk())
    text = view.browser.toPlainText()
    assert "indices = x.float().topk(k)\nvalues = values.to(x.dtype)" in text
    assert "<pre" in view.browser.toHtml()


def test_rewrites_view_applies_and_shows_verification(qtbot, tmp_path, save_as):
    view, _ = _view(qtbot, tmp_path, models.integer_topk())
    save_as["path"] = tmp_path / "fixed.onnx"
    with qtbot.waitSignal(view.applied, timeout=30_000) as blocker:
        view.apply_selected()
    assert save_as["offered"] == str(tmp_path / "model.rewritten.onnx")
    assert blocker.args[0].changed
    assert view.worker is None
    text = view.result_label.text()
    assert "RW-topk-int-to-float: verified — outputs equal" in text
    assert "1 finding(s) cleared" in text
    assert (tmp_path / "fixed.onnx").exists()


def test_rewrites_view_cancelled_dialog_does_nothing(qtbot, tmp_path, save_as):
    view, _ = _view(qtbot, tmp_path, models.integer_topk())
    view.apply_selected()
    assert view.worker is None and view.result_label.text() == ""


def test_rewrites_view_offers_to_open_the_rewritten_model(qtbot, tmp_path, save_as,
                                                           answer_yes):
    opened = []

    class Window(QMainWindow):
        def open_model(self, path):
            opened.append(path)

    window = Window()
    qtbot.addWidget(window)
    view, _ = _view(qtbot, tmp_path, models.integer_topk())
    window.setCentralWidget(view)
    save_as["path"] = tmp_path / "fixed"
    with qtbot.waitSignal(view.applied, timeout=30_000):
        view.apply_selected()
    assert opened == [tmp_path / "fixed.onnx"]
    assert answer_yes == ["Open the rewritten model?"]


def test_rewrites_view_applies_a_python_model_rewrite(qtbot, tmp_path, save_as):
    from trnport.analyzers.options import AnalysisOptions
    from trnport.app.gui.views.rewrites_view import RewritesView

    path = tmp_path / "topk_model.py"
    path.write_text("import torch\n\n\nclass TopK(torch.nn.Module):\n"
                    "    def forward(self, x):\n        values, indices = x.topk(2)\n"
                    "        return values, indices\n\n\nmodel = TopK()\n"
                    "example_inputs = (torch.randint(0, 100, (3, 6)),)\n")
    view = RewritesView()
    qtbot.addWidget(view)
    view.show_report(analyze(path, AnalysisOptions(trust_code=True)))
    row = next(i for i, s in enumerate(view._suggestions) if s.id == "RW-topk-int-to-float")
    view.list.setCurrentRow(row)
    assert view.apply_button.isEnabled()
    save_as["path"] = tmp_path / "fixed.pt2"
    with qtbot.waitSignal(view.applied, timeout=60_000) as blocker:
        view.apply_selected()
    assert save_as["offered"] == str(tmp_path / "topk_model.rewritten.pt2")
    assert blocker.args[0] is not None and blocker.args[0].changed, view.result_label.text()
    assert "RW-topk-int-to-float: verified — outputs equal" in view.result_label.text()
    assert (tmp_path / "fixed.pt2").exists()


def test_rewrites_view_shows_refusal_and_writes_nothing(qtbot, tmp_path, save_as):
    view, _ = _view(qtbot, tmp_path, models.masked_softmax())
    view._suggestions = (RewriteSuggestion(
        id="RW-finite-mask-fill", title="t", source="", automated=True, findings_cleared=1,
        codes="TRN501", nodes=(), nodes_on_device=0, flops_on_device=0,
        host_round_trips_removed=0, rank=1),)
    view.list.clear()
    view.list.addItem("RW-finite-mask-fill")
    view.list.setCurrentRow(0)
    save_as["path"] = tmp_path / "out.onnx"
    with qtbot.waitSignal(view.applied, timeout=30_000):
        view.apply_selected()
    assert "refused" in view.result_label.text()
    assert "nothing was written" in view.result_label.text()
    assert not (tmp_path / "out.onnx").exists()
