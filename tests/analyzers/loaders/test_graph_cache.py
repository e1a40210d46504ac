"""The loaded-graph cache: a second analysis of the same model for another target, TP or SDK
line reuses the exported graph and gives the same report; anything the graph depends on
(the file, the loader options, the code) makes a new entry; broken entries are rebuilt."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from trnport.analyzers.api import analyze
from trnport.analyzers.loaders import cache as graph_cache
from trnport.analyzers.options import AnalysisOptions

MODEL = ("import torch\n\n"
         "model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU(),\n"
         "                            torch.nn.Linear(16, 4))\n"
         "example_inputs = (torch.randn(2, 8),)\n")
REUSED = "graph reused from the cache"


@pytest.fixture
def model_file(tmp_path) -> Path:
    path = tmp_path / "model" / "mlp.py"
    path.parent.mkdir()
    path.write_text(MODEL, encoding="utf-8")
    return path


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.graph.pickle"))


def _comparable(report):
    """The report without what legitimately differs between a fresh and a cached load."""
    return dataclasses.replace(report, diagnostics=tuple(
        d for d in report.diagnostics if REUSED not in d))


def test_another_target_and_tp_reuse_the_graph_and_give_the_same_report(model_file, tmp_path):
    folder = tmp_path / "cache"
    first = analyze(model_file, AnalysisOptions(trust_code=True, cache_dir=str(folder)))
    assert len(_entries(folder)) == 1
    assert not any(REUSED in d for d in first.diagnostics)
    for changes in ({}, {"target": "inf2", "sdk": "2.32"}, {"tp": 4}, {"pp": 2}):
        options = AnalysisOptions(trust_code=True, cache_dir=str(folder), **changes)
        again = analyze(model_file, options)
        fresh = analyze(model_file, dataclasses.replace(options, cache_dir=None))
        assert any(REUSED in d for d in again.diagnostics), changes
        assert _comparable(again) == fresh, changes
    assert len(_entries(folder)) == 1


def test_what_the_graph_depends_on_makes_a_new_entry(model_file, tmp_path):
    folder = str(tmp_path / "cache")
    base = AnalysisOptions(trust_code=True, cache_dir=folder)
    keys = {graph_cache.entry_key(model_file, "python", base)}
    keys.add(graph_cache.entry_key(model_file, "python",
                                   dataclasses.replace(base, mode="training")))
    keys.add(graph_cache.entry_key(model_file, "python", dataclasses.replace(
        base, input_shapes={"x": (4, 8)})))
    (model_file.parent / "helpers.py").write_text("SCALE = 2\n", encoding="utf-8")
    keys.add(graph_cache.entry_key(model_file, "python", base))  # a module it may import
    model_file.write_text(MODEL.replace("16", "32"), encoding="utf-8")
    keys.add(graph_cache.entry_key(model_file, "python", base))
    twin = model_file.with_name("twin.py")  # another model file in the same folder
    twin.write_text(MODEL, encoding="utf-8")
    keys.add(graph_cache.entry_key(twin, "python", base))
    assert len(keys) == 6
    # options the graph does not depend on share the entry
    assert graph_cache.entry_key(model_file, "python", dataclasses.replace(
        base, target="inf2", tp=8, sdk="2.31", stack="xla")) == \
        graph_cache.entry_key(model_file, "python", base)


def test_a_python_file_is_not_reused_without_trust_code(model_file, tmp_path):
    from trnport.analyzers.errors import InputError

    folder = str(tmp_path / "cache")
    analyze(model_file, AnalysisOptions(trust_code=True, cache_dir=folder))
    with pytest.raises(InputError, match="--trust-code"):
        analyze(model_file, AnalysisOptions(cache_dir=folder))


def test_a_damaged_entry_is_rebuilt(model_file, tmp_path):
    folder = tmp_path / "cache"
    options = AnalysisOptions(trust_code=True, cache_dir=str(folder))
    analyze(model_file, options)
    (entry,) = _entries(folder)
    entry.write_bytes(b"\x80\x05 torn")
    again = analyze(model_file, options)
    assert not any(REUSED in d for d in again.diagnostics)
    with entry.open("rb") as handle:
        assert isinstance(pickle.load(handle), graph_cache.LoadedModel)


def test_the_folder_is_kept_under_its_size_limit(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    for index in range(5):
        entry = folder / f"{index:040x}.graph.pickle"
        entry.write_bytes(b"x" * 1000)
        os.utime(entry, (1_000_000 + index, 1_000_000 + index))
    graph_cache._evict(folder, limit=2500)
    assert [p.name[:2] for p in _entries(folder)] == ["00", "00"]
    assert {int(p.name[:40], 16) for p in _entries(folder)} == {3, 4}


@pytest.mark.slow
def test_the_command_line_reuses_a_config_export_and_no_cache_rebuilds(tmp_path):
    from tests.helpers import SAMPLES

    env = {**os.environ, "TRNPORT_CACHE_DIR": str(tmp_path / "cache"), "TRNPORT_NO_CACHE": ""}

    def check(*extra: str) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "trnport.app.entry", "check", str(SAMPLES / "llama3-8b"),
             "--no-history", "--no-config", "--format", "json", *extra],
            capture_output=True, text=True, timeout=600, env=env)
        assert result.returncode in (0, 1), result.stderr
        return json.loads(result.stdout)

    first = check()
    second = check("--tp", "8")
    fresh = check("--tp", "8", "--no-cache")
    assert not any(REUSED in d for d in first["diagnostics"])
    assert any(REUSED in d for d in second["diagnostics"])
    assert not any(REUSED in d for d in fresh["diagnostics"])
    assert second["operators"] == fresh["operators"]
    assert second["memory"] == fresh["memory"] and second["target"]["tp"] == 8
    # fp8 analyses the model built in bf16: the same export
    fp8 = check("--dtype", "fp8")
    fp8_fresh = check("--dtype", "fp8", "--no-cache")
    assert any(REUSED in d for d in fp8["diagnostics"])
    assert {k: v for k, v in fp8.items() if k != "diagnostics"} == \
        {k: v for k, v in fp8_fresh.items() if k != "diagnostics"}
    assert fp8["target"]["dtype"] == "fp8"
