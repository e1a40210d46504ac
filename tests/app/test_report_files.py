"""Report files are written atomically and named per model."""

from pathlib import Path

import pytest

from trnport.analyzers.output_file import OutputError
from trnport.app.cli.output import report_stem, unique_stems, write_atomic


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out" / "report.json"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    write_atomic(target, "old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(OutputError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_report_stem_names_folders_and_configs_after_the_model(tmp_path):
    folder = tmp_path / "llama"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert report_stem(folder) == "llama"
    assert report_stem(folder / "config.json") == "llama"
    assert report_stem(Path("a/b/net.onnx")) == "net"


def test_unique_stems_number_collisions():
    assert unique_stems([Path("a/m.onnx"), Path("b/m.onnx"), Path("c/n.pt2")]) == ["m", "m-2", "n"]
