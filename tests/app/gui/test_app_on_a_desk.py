"""The app on a desk and headless: it never waits for a person that is not there, refuses
what it cannot do in one line, says what is missing before Qt aborts, and shows only what
it has (an invitation before a model, the fixes to do first after one)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.helpers import REPO, SAMPLES

ANALYSIS_TIMEOUT_MS = 240_000


def _gui(args, tmp_path, timeout=120):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "TRNPORT_DB": str(tmp_path / "history.db")}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "trnport.app.entry", "gui", *args],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=timeout)
    return proc, time.monotonic() - started


def test_screenshot_of_a_python_file_without_trust_code_exits_2_instead_of_asking(tmp_path):
    marker = tmp_path / "ran.txt"
    model = tmp_path / "model.py"
    model.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    proc, _ = _gui([str(model), "--screenshot", str(tmp_path / "x.png")], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "--trust-code" in proc.stderr and "Traceback" not in proc.stderr
    assert not marker.exists() and not (tmp_path / "x.png").exists()


def test_an_unknown_tab_exits_2_naming_the_tabs(tmp_path):
    proc, _ = _gui([str(SAMPLES / "tiny_cnn.onnx"), "--screenshot", str(tmp_path / "x.png"),
                    "--tab", "Nonsense"], tmp_path)
    assert proc.returncode == 2
    assert "no tab 'Nonsense'" in proc.stderr and "Summary" in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert not (tmp_path / "x.png").exists()


def test_a_missing_x11_library_is_named_with_its_package_before_qt_starts(tmp_path):
    from trnport.app.gui.qt_libraries import install_hint, missing_libraries, xcb_plugin

    plugin = xcb_plugin()
    if plugin is None or shutil.which("ldd") is None:
        pytest.skip("no xcb plugin or no ldd here")
    # the real plugin with one dependency renamed (same length): the loader cannot find it
    data = plugin.read_bytes()
    assert b"libxcb-cursor.so.0" in data
    broken = tmp_path / "libqxcb.so"
    broken.write_bytes(data.replace(b"libxcb-cursor.so.0", b"libxcb-cursxr.so.0"))
    missing = missing_libraries(broken)
    assert "libxcb-cursxr.so.0" in missing
    hint = install_hint(["libxcb-cursor.so.0", "libxcb-icccm.so.4"])
    assert "apt-get install libxcb-cursor0 libxcb-icccm4" in hint and "\n" not in hint


def test_the_gui_command_reports_missing_x11_libraries_in_one_line(tmp_path):
    from trnport.app.gui.qt_libraries import missing_libraries, xcb_plugin

    plugin = xcb_plugin()
    if plugin is None or not missing_libraries(plugin):
        pytest.skip("every library of the xcb plugin is installed here")
    env = {**os.environ, "DISPLAY": ":99", "HOME": str(tmp_path)}
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run([sys.executable, "-m", "trnport.app.entry", "gui"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert proc.returncode == 2
    assert "apt-get install" in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]


def test_a_worker_that_cannot_start_its_process_shows_the_error(qtbot, window):
    context = multiprocessing.get_context("spawn")
    executable = sys.executable
    context.set_executable(str(REPO / "no-such-python"))
    try:
        with qtbot.waitSignal(window.analysis_failed, timeout=60_000) as blocker:
            window.open_model(SAMPLES / "tiny_cnn.onnx")
    finally:
        context.set_executable(executable)
    assert "could not start" in blocker.args[0]
    assert not window.is_busy()
    assert window.error_dialog.isVisible()
    window.error_dialog.close()


def test_the_empty_window_invites_opening_a_model_and_shows_no_result(qtbot, window):
    summary = window.views["Summary"]
    assert summary.empty_state.isVisible()
    assert not summary.result_panel.isVisible()  # no "0.0% coverage" ring before a model
    assert not summary.banner.isVisible()
    assert summary.open_button.text().startswith("Open")


def test_the_summary_opens_with_the_fixes_to_do_first(qtbot, window):
    with qtbot.waitSignal(window.analysis_finished, timeout=ANALYSIS_TIMEOUT_MS) as blocker:
        window.open_model(SAMPLES / "tiny_cnn.onnx")
    report = blocker.args[0]
    summary = window.views["Summary"]
    assert not summary.empty_state.isVisible() and summary.result_panel.isVisible()
    assert summary.fix_first_box.isVisible()
    text = summary.fix_first.text()
    assert report.summary.fix_first and report.summary.fix_first[0].code in text
    assert "TRN101" in text.split("<li>")[1]  # what blocks the compile comes first
