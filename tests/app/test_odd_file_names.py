"""A file name that is not valid UTF-8 is analysed, stored in the history and shown in
every format (escaped where the format needs it), and its session can be re-checked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, SAMPLES
from trnport.app.history import open_store

# Latin-1 "café": the byte 0xE9 alone is not UTF-8
ODD_NAME = b"caf\xe9"


def _cli(*args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("TRNPORT_DEBUG", None)
    env.pop("TRNPORT_NO_HISTORY", None)  # the history is under test here
    return subprocess.run([sys.executable, "-m", "trnport.app.cli.main", *args],
                          capture_output=True, env=env, cwd=REPO, timeout=600)


@pytest.fixture(scope="module")
def odd_model(tmp_path_factory) -> bytes:
    folder = os.fsencode(tmp_path_factory.mktemp("odd"))
    path = folder + b"/" + ODD_NAME + b".onnx"
    shutil.copyfile(SAMPLES / "tiny_cnn.onnx", path)
    return path


@pytest.fixture(scope="module")
def checked(odd_model, tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("reports")
    db = out / "history.db"
    result = _cli("check", odd_model, "--db", str(db), "--fail-on", "none",
                  "--format", "text,json,html,junit,sarif,markdown", "--output-dir", str(out))
    return out, db, result


def _report(out: Path, suffix: str) -> str:
    [path] = [p for p in out.iterdir() if p.name.endswith(suffix)]
    return path.read_bytes().decode("utf-8")  # strict: every report is valid UTF-8


def test_the_run_succeeds_and_names_the_file_escaped(checked):
    _out, _db, result = checked
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert b"caf\\xe9.onnx: " in result.stdout


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".junit.xml"])
def test_text_formats_show_the_odd_byte_as_an_escape(checked, suffix):
    out, _db, _result = checked
    assert "caf\\xe9.onnx" in _report(out, suffix)


def test_json_keeps_the_exact_path(checked, odd_model):
    out, _db, _result = checked
    assert json.loads(_report(out, ".json"))["model"]["path"] == os.fsdecode(odd_model)


def test_sarif_percent_encodes_the_byte_in_its_uri(checked):
    out, _db, _result = checked
    assert "caf%E9.onnx" in _report(out, ".sarif")


def test_history_stores_the_exact_path_and_rechecks_it(checked, odd_model):
    _out, db, _result = checked
    with open_store(str(db)) as store:
        [session] = store.list_sessions()
        assert session.model_path == os.fsdecode(odd_model)
        detail = store.get_session(session.id)
        assert detail.summary.model_path == os.fsdecode(odd_model)
    listing = _cli("history", "list", "--db", str(db))
    assert listing.returncode == 0 and b"caf\\xe9.onnx" in listing.stdout, listing.stderr
    recheck = _cli("history", "recheck", str(session.id), "--sdk", "2.32", "--db", str(db))
    assert recheck.returncode == 0, recheck.stderr
    exported = _cli("history", "export", "--db", str(db))
    paths = {s["model_path"] for s in json.loads(exported.stdout)["sessions"]}
    assert paths == {os.fsdecode(odd_model)}
