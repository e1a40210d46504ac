"""Everything a user can get wrong ends in its own one-line message, never in
"unexpected error": this walks the known cases through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import REPO, SAMPLES, assert_one_line_error, run_cli

MODEL = str(SAMPLES / "tiny_cnn.onnx")
DEPTH = 100_000


def _deep_json(path: Path) -> Path:
    path.write_text("[" * DEPTH + "]" * DEPTH)
    return path


def _deep_config(tmp: Path) -> list[str]:
    folder = tmp / "model"
    folder.mkdir()
    (folder / "config.json").write_text('{"a":' * DEPTH + "1" + "}" * DEPTH)
    return ["check", str(folder / "config.json")]


def _deep_baseline(tmp: Path) -> list[str]:
    return ["check", MODEL, "--baseline", str(_deep_json(tmp / "baseline.json"))]


def _deep_toml(tmp: Path) -> list[str]:
    config = tmp / "trnport.toml"
    config.write_text("a = " + "[" * DEPTH + "1" + "]" * DEPTH + "\n")
    return ["check", MODEL, "--config", str(config)]


def _db_is_a_directory(tmp: Path) -> list[str]:
    return ["history", "list", "--db", str(tmp)]


def _model_is_a_device(_tmp: Path) -> list[str]:
    return ["check", "/dev/zero"]


def _model_is_a_fifo(tmp: Path) -> list[str]:
    fifo = tmp / "model.onnx"
    os.mkfifo(fifo)
    return ["check", str(fifo)]


def _output_under_a_file(tmp: Path) -> list[str]:
    (tmp / "file").write_text("x")
    return ["check", MODEL, "-o", str(tmp / "file" / "report.txt")]


def _output_dir_is_a_file(tmp: Path) -> list[str]:
    (tmp / "reports").write_text("x")
    return ["check", MODEL, "--output-dir", str(tmp / "reports")]


def _history_check_of_a_directory(tmp: Path) -> list[str]:
    return ["history", "check", "--db", str(tmp)]


CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "deeply nested config.json": (_deep_config, "nested too deeply"),
    "deeply nested baseline": (_deep_baseline, "nested too deeply"),
    "deeply nested trnport.toml": (_deep_toml, "nested too deeply"),
    "--db is a directory": (_db_is_a_directory, "is a directory"),
    "model is a device": (_model_is_a_device, "not a regular file"),
    "model is a FIFO": (_model_is_a_fifo, "not a regular file"),
    "-o under a file": (_output_under_a_file, "Not a directory"),
    "--output-dir is a file": (_output_dir_is_a_file, "Not a directory"),
    "history check of a directory": (_history_check_of_a_directory, "not a file"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_user_error_is_its_own_one_line_message(case, tmp_path):
    build, fragment = CASES[case]
    result = run_cli(*build(tmp_path), env={"TRNPORT_NO_HISTORY": "0"})
    assert_one_line_error(result, fragment)
    assert "unexpected error" not in result.stderr


def test_check_with_a_directory_as_db_still_reports_and_says_why_not_saved(tmp_path):
    result = run_cli("check", MODEL, "--db", str(tmp_path), "--fail-on", "none",
                     env={"TRNPORT_NO_HISTORY": "0"})
    assert result.code == 0
    assert result.stderr.strip().splitlines() == [
        f"trnport: warning: this run was not saved in the history: history database "
        f"{tmp_path} is a directory; pass --db a file path"]
    assert list(tmp_path.iterdir()) == []


def test_a_closed_pipe_ends_quietly_with_success():
    # 'trnport kb ops | head -1': the reader leaves after one line of a long listing
    proc = subprocess.Popen([sys.executable, "-m", "trnport.app.cli.main", "kb", "ops"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=300) == 0
    assert stderr == b""
