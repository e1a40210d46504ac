"""-o never replaces what the path points at, and every write is checked.

Real devices, FIFOs, symlinks and a real file-size limit: the report goes through a
character device or FIFO, follows a symlink, replaces only a regular file, and a write
that fails (a full device, a file-size limit) exits 2 with its reason and leaves nothing.
"""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
import threading

import pytest

from tests.helpers import REPO, SAMPLES, assert_one_line_error, run_cli
from trnport.analyzers.output_file import OutputError, write_output

MODEL = str(SAMPLES / "tiny_cnn.onnx")
# the gate is not under test here: exit 0 means the report was written
QUIET_GATE = ("--no-history", "--fail-on", "none")


def test_dash_writes_the_report_to_standard_output():
    result = run_cli("check", MODEL, *QUIET_GATE, "--format", "json", "-o", "-")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["schema"] == "trnport.report/1"
    assert not (REPO / "-").exists()


def test_dev_null_stays_a_character_device():
    before = os.stat("/dev/null")
    result = run_cli("check", MODEL, *QUIET_GATE, "-o", "/dev/null")
    assert result.code == 0, result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_dev_full_is_refused_with_the_reason():
    result = run_cli("check", MODEL, *QUIET_GATE, "-o", "/dev/full")
    assert_one_line_error(result, "/dev/full", "No space left on device")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_standard_output_on_a_full_device_exits_2_with_the_reason():
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "trnport.app.cli.main", "check", MODEL, *QUIET_GATE,
             "--format", "html"], stdout=full, stderr=subprocess.PIPE, text=True, cwd=REPO,
            timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "trnport: cannot write standard output: No space left on device"]


def test_a_symlinked_report_path_is_written_through(tmp_path):
    target = tmp_path / "published" / "report.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    result = run_cli("check", MODEL, *QUIET_GATE, "--format", "json", "-o", str(link))
    assert result.code == 0, result.stderr
    assert link.is_symlink() and link.resolve() == target
    assert json.loads(target.read_text())["model"]["format"] == "onnx"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_a_fifo_is_written_to_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        result = run_cli("check", MODEL, *QUIET_GATE, "--format", "json", "-o", str(fifo))
    finally:
        if reader.is_alive():  # unblock the reader if the command never opened the FIFO
            with open(fifo, "wb"):
                pass
        reader.join(timeout=60)
    assert result.code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(received[0])["model"]["format"] == "onnx"


def test_a_directory_is_refused(tmp_path):
    result = run_cli("check", MODEL, *QUIET_GATE, "-o", str(tmp_path))
    assert_one_line_error(result, "is a directory")
    assert list(tmp_path.iterdir()) == []


def _limit_file_size():
    # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG like a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))


def test_a_write_cut_short_exits_2_and_leaves_no_partial_file(tmp_path):
    out = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "trnport.app.cli.main", "check", MODEL, *QUIET_GATE,
         "--format", "html", "-o", str(out)], capture_output=True, text=True, cwd=REPO,
        preexec_fn=_limit_file_size, timeout=600)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "File too large" in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_write_output_replaces_a_regular_file_atomically(tmp_path):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    write_output(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_write_output_keeps_the_old_file_when_the_device_is_full(tmp_path):
    link = tmp_path / "full"
    link.symlink_to("/dev/full")
    with pytest.raises(OutputError, match="No space left on device"):
        write_output(link, "report")
    assert link.is_symlink()
