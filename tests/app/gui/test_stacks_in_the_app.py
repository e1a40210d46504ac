"""The PyTorch stack in the desktop app: the target bar's Stack choice, which offers only what
the SDK line has for the target, and the Compare dialog (real Qt event loop, real worker)."""

from tests.app.gui.test_main_window import ANALYSIS_TIMEOUT_MS, analyse
from tests.helpers import SAMPLES


def _enabled(bar) -> dict[str, bool]:
    model = bar.stack.model()
    return {bar.stack.itemText(row): model.item(row).isEnabled()
            for row in range(bar.stack.count())}


def test_the_stack_choice_offers_what_the_line_has_for_the_target(qtbot, window):
    bar = window.target_bar
    bar.family.setCurrentText("trn2")
    bar.sdk.setCurrentText("newest")
    assert _enabled(bar) == {"default": True, "xla": False, "torchneuron": True}
    assert "torchneuron* (public beta)" in bar.stack.toolTip()
    bar.sdk.setCurrentText("2.33")
    assert _enabled(bar) == {"default": True, "xla": True, "torchneuron": True}
    assert "xla (deprecated)" in bar.stack.toolTip()
    bar.stack.setCurrentText("xla")
    assert bar.values()["stack"] == "xla"
    bar.sdk.setCurrentText("2.34")  # XLA is gone on trn2 here: back to the default
    assert bar.stack.currentText() == "default" and bar.values()["stack"] is None
    bar.family.setCurrentText("inf2")
    assert _enabled(bar) == {"default": True, "xla": True, "torchneuron": False}


def test_the_chosen_stack_reaches_the_report_and_persists(qtbot, window, settings):
    window.target_bar.sdk.setCurrentText("2.33")
    window.target_bar.stack.setCurrentText("xla")
    report = analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
    assert (report.target.stack, report.target.stack_label) == ("xla",
                                                                 "PyTorch/XLA (deprecated)")
    assert settings.target()["stack"] == "xla"


def test_the_compare_dialog_shows_what_changes_on_another_line(qtbot, window, tmp_path):
    analyse(qtbot, window, SAMPLES / "tiny_cnn.onnx")
    assert window.compare_action.isEnabled()
    window.open_comparison()
    dialog = window.compare_dialog
    dialog.sdk.setCurrentText("2.32")
    dialog.stack.setCurrentText("xla")
    with qtbot.waitSignal(dialog.compared, timeout=ANALYSIS_TIMEOUT_MS) as blocker:
        dialog.compare_button.click()
    comparison = blocker.args[0]
    assert (comparison.current.stack, comparison.other.stack) == ("torchneuron", "xla")
    text = dialog.output.toPlainText()
    assert "current: trn2, SDK 2.34, TorchNeuron (public beta)" in text
    assert "other:   trn2, SDK 2.32, PyTorch/XLA" in text
    dialog.save(tmp_path / "cmp.html", "html")
    assert "Operator verdicts that change" in (tmp_path / "cmp.html").read_text()
    dialog.stack.setCurrentText("torchneuron")
    dialog.sdk.setCurrentText("2.29")  # no TorchNeuron there: refused in one line
    with qtbot.waitSignal(dialog.failed, timeout=10_000) as refused:
        dialog.compare_button.click()
    assert "TorchNeuron is not available for trn2 on Neuron SDK 2.29" in refused.args[0]
    dialog.close()
