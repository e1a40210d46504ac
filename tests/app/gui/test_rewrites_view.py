"""The Rewrites tab lists ranked suggestions and applies an ONNX rewrite in a worker."""

from __future__ import annotations

import onnx

from tests.analyzers.rewrites import models
from trnport.analyzers.api import analyze


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
    assert view.list.count() == 2
    assert view.list.item(0).text().startswith("1. RW-topk-int-to-float [can apply]")
    assert "x.float().topk(k)" in view.browser.toPlainText()
    assert view.apply_button.isEnabled()


def test_rewrites_view_applies_and_shows_verification(qtbot, tmp_path):
    view, _ = _view(qtbot, tmp_path, models.integer_topk())
    view.output_path = tmp_path / "fixed.onnx"
    with qtbot.waitSignal(view.applied, timeout=30_000) as blocker:
        view.apply_selected()
    assert blocker.args[0].changed
    assert view.worker is None
    text = view.result_label.text()
    assert "RW-topk-int-to-float: verified — outputs equal" in text
    assert "1 finding(s) cleared" in text
    assert (tmp_path / "fixed.onnx").exists()


def test_rewrites_view_shows_refusal_and_writes_nothing(qtbot, tmp_path):
    view, _ = _view(qtbot, tmp_path, models.masked_softmax())
    view._suggestions = [{"id": "RW-finite-mask-fill", "title": "t", "automated": True}]
    view.list.clear()
    view.list.addItem("RW-finite-mask-fill")
    view.list.setCurrentRow(0)
    view.output_path = tmp_path / "out.onnx"
    with qtbot.waitSignal(view.applied, timeout=30_000):
        view.apply_selected()
    assert "refused" in view.result_label.text()
    assert "nothing was written" in view.result_label.text()
    assert not (tmp_path / "out.onnx").exists()
