"""The History tab and the saving of each analysis, on a real SQLite file."""

import shutil

import pytest

from tests.helpers import SAMPLES

ANALYSIS_TIMEOUT_MS = 240_000


@pytest.fixture
def history_db(tmp_path, monkeypatch):
    """History on, in a fresh SQLite file named by ``$TRNPORT_DB`` (as the CLI reads it)."""
    path = tmp_path / "history.db"
    monkeypatch.delenv("TRNPORT_NO_HISTORY", raising=False)
    monkeypatch.setenv("TRNPORT_DB", str(path))
    return path


def analyse_and_save(qtbot, window, target=None, path=None):
    if target is not None:
        window.target_bar.family.setCurrentText(target)
    saved = []
    window.history.recorded.connect(saved.append)
    signals = [window.analysis_finished, window.history.recorded]
    with qtbot.waitSignals(signals, timeout=ANALYSIS_TIMEOUT_MS):
        if path is not None:
            window.open_model(path)
        else:
            window.analyse()
    window.history.recorded.disconnect(saved.append)
    return saved[0]


def test_two_analyses_with_different_targets_are_listed_and_compared(
        qtbot, window, history_db):
    from trnport.app.history import open_store

    first = analyse_and_save(qtbot, window, "trn2", SAMPLES / "tiny_cnn.onnx")
    second = analyse_and_save(qtbot, window, "inf2")
    view = window.views["History"]
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=30_000)
    assert view.session_ids() == [second.id, first.id]  # newest first
    assert "inf2" in view.table.item(0, 2).text()
    assert "trn2" in view.table.item(1, 2).text()
    assert view.table.item(0, 5).text() == f"{second.coverage_pct:.1f}%"
    assert "saved as session" in window.status_label.text()

    with qtbot.waitSignal(window.history.compared, timeout=30_000):
        view.table.selectAll()
    with open_store(str(history_db)) as store:
        expected = store.diff_sessions(first.id, second.id)
    shown = view.diff.toPlainText()
    assert f"Session {first.id} → session {second.id}" in shown
    assert (f"{len(expected.new)} new, {len(expected.fixed)} fixed, "
            f"{len(expected.still_open)} still open") in shown
    assert f"{expected.coverage.before:.1f}% → {expected.coverage.after:.1f}%" in shown
    for finding in expected.new + expected.fixed:
        assert finding.message in shown


def test_history_lists_only_the_open_model_and_honours_the_settings_database(
        qtbot, window, settings, history_db, tmp_path):
    chosen = tmp_path / "chosen.db"
    settings.set_history_db(str(chosen))
    other_model = tmp_path / "copy_of_tiny_cnn.onnx"
    shutil.copyfile(SAMPLES / "tiny_cnn.onnx", other_model)
    analyse_and_save(qtbot, window, path=SAMPLES / "tiny_cnn.onnx")
    saved = analyse_and_save(qtbot, window, path=other_model)
    view = window.views["History"]
    qtbot.waitUntil(lambda: view.session_ids() == [saved.id], timeout=30_000)
    assert chosen.exists()
    assert not history_db.exists()  # the app's own setting wins over $TRNPORT_DB


def test_a_corrupt_history_file_is_a_one_line_message_not_a_crash(
        qtbot, window, history_db):
    history_db.write_bytes(b"this is not a database\n" * 200)
    failures = []
    window.history.failed.connect(lambda action, message: failures.append((action, message)))
    with qtbot.waitSignal(window.analysis_finished, timeout=ANALYSIS_TIMEOUT_MS):
        window.open_model(SAMPLES / "tiny_cnn.onnx")
    qtbot.waitUntil(lambda: [a for a, _ in failures] == ["list", "save"], timeout=30_000)
    for _action, message in failures:
        assert "\n" not in message and str(history_db) in message
    status = window.status_label.text()
    assert status.startswith("Not saved in the history:") and str(history_db) in status
    view = window.views["History"]
    assert str(history_db) in view.message.text()
    assert view.table.rowCount() == 0


def test_history_turned_off_saves_nothing_and_says_so(qtbot, window, tmp_path, monkeypatch):
    db = tmp_path / "unused.db"
    monkeypatch.setenv("TRNPORT_NO_HISTORY", "1")
    monkeypatch.setenv("TRNPORT_DB", str(db))
    with qtbot.waitSignal(window.analysis_finished, timeout=ANALYSIS_TIMEOUT_MS):
        window.open_model(SAMPLES / "tiny_cnn.onnx")
    window.history.wait_idle()
    assert "turned off" in window.views["History"].message.text()
    assert "saved" not in window.status_label.text()
    assert not db.exists()


def test_diff_html_names_fixed_new_and_still_open_findings():
    from trnport.app.gui.views.history_view import diff_html
    from trnport.app.history.diff import compare

    kept = _finding("TRN501", "mask constant")
    before = _detail(1, 80.0, [_finding("TRN101", "Resize is unsupported"), kept])
    after = _detail(2, 90.0, [_finding("TRN202", "int64 narrowed"), kept])
    text = diff_html(compare(before, after))
    assert "Session 1 → session 2" in text
    assert "80.0% → 90.0%" in text and "+10.0 pts" in text
    assert "1 new, 1 fixed, 1 still open" in text
    fixed_part, _, rest = text.partition("<h4>Fixed</h4>")[2].partition("<h4>New</h4>")
    new_part, _, open_part = rest.partition("<h4>Still open</h4>")
    assert "Resize is unsupported" in fixed_part and "int64 narrowed" in new_part
    assert "mask constant" in open_part and "mask constant" not in new_part + fixed_part


def _finding(code, message):
    from trnport.app.history.records import StoredFinding

    return StoredFinding(code=code, symbol="s", severity="error", category="c",
                         message=message, fix="f", ops=("op",), node_count=1,
                         location_file=None, location_line=None, location_module=None,
                         rewrite=None, provenance_kind="rule", provenance_source="src",
                         confidence=None)


def _detail(session_id, coverage, findings):
    from trnport.app.history.records import MemorySummary, SessionDetail, SessionSummary

    summary = SessionSummary(
        id=session_id, created_at=None, model_path="/m.onnx", model_sha256="0" * 64,
        model_format="onnx", model_nodes=1, model_params=1, target_family="trn2",
        target_instance=None, target_mode="inference", target_dtype="bf16", target_batch=1,
        target_seq_len=None, target_tp=1, profile="2.32", neuronx_cc=None,
        torch_neuronx=None, kb_generated=None, tool_name="trnport", tool_version="0",
        verdict="blocked", coverage_pct=coverage, errors=len(findings), warnings=0, infos=0)
    return SessionDetail(summary=summary, findings=tuple(findings), memory=MemorySummary(),
                         report={})
