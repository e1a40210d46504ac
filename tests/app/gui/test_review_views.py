"""What a new user sees: the Summary's top findings and one-line summaries, the Memory grid
of a model that does not fit, the dark palette, the shortcuts dialog, and bad input."""

import pytest

from tests.app.gui.test_main_window import ANALYSIS_TIMEOUT_MS, analyse, distinct_colours
from tests.helpers import SAMPLES


@pytest.fixture
def training_report(qtbot, window):
    bar = window.target_bar
    bar.family.setCurrentText("trn1")
    bar.mode.setCurrentText("training")
    bar.dtype.setCurrentText("fp32")
    bar.tp.setValue(1)  # a layout chosen by hand that does not fit
    return analyse(qtbot, window, SAMPLES / "llama3-8b")


def _top_items(view):
    tree = view.top_findings
    return [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]


def test_summary_lists_top_findings_most_severe_first_and_opens_them(qtbot, window, artifacts):
    from PySide6.QtCore import Qt

    from trnport.app.gui.views.summary_view import FINDING_ROLE

    report = analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
    view = window.summary_view
    assert view.top_box.isVisible()
    items = _top_items(view)
    assert items and len(items) == len({f.code for f in report.findings})
    order = ("error", "warning", "info")
    ranks = [order.index(item.text(0)) for item in items]
    assert ranks == sorted(ranks)
    assert items[0].text(0) == "error"
    finding = items[0].data(0, FINDING_ROLE)
    assert finding in report.findings and finding.code == items[0].text(1)
    assert "Memory:" in view.memory_label.text() and "fits" in view.memory_label.text()
    assert view.rewrites_label.text().startswith("Rewrites:")
    window.tabs.setCurrentWidget(view)
    qtbot.wait(50)
    assert window.grab().save(str(artifacts / "summary-top-findings.png"))
    rect = view.top_findings.visualItemRect(items[0])
    qtbot.mouseClick(view.top_findings.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    assert window.tabs.currentWidget() is window.findings_view
    assert window.findings_view.selected_finding() == finding
    assert finding.code in window.findings_view.details.toPlainText()


def test_selecting_a_finding_clears_the_findings_filters(qtbot, window):
    report = analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
    findings = window.findings_view
    findings.search.setText("no finding says this")
    target = report.findings[-1]
    window.show_finding(target)
    assert findings.search.text() == ""
    assert findings.selected_finding() == target


@pytest.mark.slow
def test_model_that_does_not_fit_shows_it_in_summary_and_memory(qtbot, window, artifacts,
                                                                 training_report):
    from PySide6.QtGui import QColor

    from trnport.app.gui.palette import FIT_COLORS

    summary = window.summary_view.memory_label.text()
    assert "does not fit" in summary and "smallest TP that fits" in summary
    grid = window.views["Memory"].grid
    assert grid.rowCount() > 1 and grid.columnCount() > 1
    first = grid.item(0, 0)
    assert first.background().color() == QColor(FIT_COLORS["does_not_fit"])
    texts = [grid.item(r, c).text() for r in range(grid.rowCount())
             for c in range(grid.columnCount()) if grid.item(r, c)]
    assert all(len(t) <= 4 for t in texts), texts  # short enough not to be elided
    bold = [grid.item(r, c) for r in range(grid.rowCount()) for c in range(grid.columnCount())
            if grid.item(r, c) and grid.item(r, c).font().bold()]
    assert len(bold) == 1 and "chosen layout" in bold[0].toolTip()
    for title in ("Summary", "Memory", "Model", "Operators"):
        window.tabs.setCurrentWidget(window.views[title])
        qtbot.wait(50)
        image = window.grab().toImage()
        assert image.save(str(artifacts / f"llama-training-{title.lower()}.png"))
        assert distinct_colours(image) > 20


def test_dark_palette_is_applied_and_remembered(qtbot, window, settings, artifacts):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from trnport.app.gui.palette import palette_is_dark

    app = QApplication.instance()
    try:
        window.palette_actions["dark"].trigger()
        assert settings.palette_mode() == "dark"
        assert palette_is_dark(app)
        palette = app.palette()
        text = palette.color(QPalette.ColorRole.WindowText).lightness()
        background = palette.color(QPalette.ColorRole.Window).lightness()
        assert text - background > 120  # light text on a dark window
        analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
        for index, title in enumerate(window.views):
            window.tabs.setCurrentIndex(index)
            qtbot.wait(30)
            image = window.grab().toImage()
            assert image.save(str(artifacts / f"dark-tab-{index + 1}-{title.lower()}.png"))
            assert distinct_colours(image) > 15, f"{title} tab looks blank in the dark"
        window.palette_actions["light"].trigger()
        assert settings.palette_mode() == "light"
        assert not palette_is_dark(app)
    finally:
        from trnport.app.gui.palette import apply_palette

        apply_palette(app, "light")


def test_shortcuts_dialog_lists_the_actions(qtbot, window, artifacts):
    dialog = window.show_shortcuts()
    assert dialog.isVisible()
    rows = {dialog.table.topLevelItem(i).text(0): dialog.table.topLevelItem(i).text(1)
            for i in range(dialog.table.topLevelItemCount())}
    assert rows["File ▸ Analyse"] == "F5"
    assert rows["View ▸ Summary"] == "Ctrl+1"
    assert "File ▸ Open" in rows and "View ▸ Find" in rows
    assert "Help ▸ Keyboard shortcuts" in rows
    assert any("Copy" in name for name in rows)
    assert dialog.grab().save(str(artifacts / "shortcuts-dialog.png"))
    dialog.close()
    assert window.shortcuts_action.shortcut().toString() == "Ctrl+/"


def test_find_shortcut_focuses_the_search_of_the_tab(qtbot, window):
    window.tabs.setCurrentWidget(window.operators_view)
    window.find_action.trigger()
    assert window.operators_view.search.hasFocus()
    window.tabs.setCurrentWidget(window.model_view)
    window.find_action.trigger()
    assert window.tabs.currentWidget() is window.findings_view
    assert window.findings_view.search.hasFocus()


def test_empty_onnx_file_shows_the_one_line_reason(qtbot, window, tmp_path, artifacts):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with qtbot.waitSignal(window.analysis_failed, timeout=ANALYSIS_TIMEOUT_MS) as blocker:
        window.open_model(empty)
    message = blocker.args[0]
    assert "empty.onnx" in message and "\n" not in message
    assert window.error_dialog.isVisible() and window.error_dialog.text() == message
    assert window.error_dialog.grab().save(str(artifacts / "error-empty-onnx.png"))
    window.error_dialog.close()
    assert not window.is_busy()
    assert window.status_label.text() == "Analysis failed"


def test_folder_without_config_fails_in_a_dialog(qtbot, window, tmp_path):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "README.md").write_text("nothing here\n")
    with qtbot.waitSignal(window.analysis_failed, timeout=ANALYSIS_TIMEOUT_MS) as blocker:
        window.open_model(folder)
    assert "\n" not in blocker.args[0]
    assert window.error_dialog.isVisible()
    window.error_dialog.close()


def test_operators_count_label_follows_the_filter(qtbot, window):
    report = analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
    view = window.operators_view
    assert view.count_label.text() == f"{len(report.operators)} operators"
    view.search.setText(report.operators[0].op)
    assert view.count_label.text().endswith(f"of {len(report.operators)} operators")


def test_python_sample_asks_in_a_real_dialog_before_running(qtbot, window, artifacts):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen = {}

    def answer_no():
        box = next(w for w in QApplication.topLevelWidgets()
                   if isinstance(w, QMessageBox) and w.isVisible())
        seen["title"], seen["text"] = box.windowTitle(), box.text()
        box.grab().save(str(artifacts / "trust-dialog.png"))
        box.button(QMessageBox.StandardButton.No).click()

    QTimer.singleShot(200, answer_no)
    window.open_model(SAMPLES / "mlp_model.py")
    assert seen["title"] == "Run this Python file?"
    assert "mlp_model.py" in seen["text"]
    assert window.worker is None
    assert "not allowed" in window.status_label.text()


def test_summary_says_which_errors_only_the_onnx_converter_raises(qtbot, window, tmp_path):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    mean = helper.make_node("ReduceMean", ["x", "axes"], ["y"], name="mean", keepdims=1)
    graph = helper.make_graph(
        [mean], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 1])],
        initializer=[onnx.numpy_helper.from_array(np.array([2], dtype=np.int64), "axes")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    path = tmp_path / "opset18.onnx"
    onnx.save(model, str(path))
    analyse(qtbot, window, path)
    view = window.summary_view
    assert not view.coverage_notes.isHidden()
    text = view.coverage_notes.text()
    assert text.startswith("Fixable: 1 error blocks only the onnx2torch converter")
    assert f"trnport rewrite {path} --all-safe" in text


def test_memory_view_of_symbolic_onnx_says_only_the_weights_were_sized(qtbot, window,
                                                                       tmp_path):
    from tests.analyzers.hazards import onnx_models

    analyse(qtbot, window, onnx_models.dynamic_input(tmp_path / "d.onnx"))
    headline = window.views["Memory"].headline.text()
    assert "weights only: activations not sized" in headline
    assert "Smallest TP that fits the weights" in headline
    assert "weights only: activations not sized" in window.summary_view.memory_label.text()
