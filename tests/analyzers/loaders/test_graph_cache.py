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
from trnport.analyzers.errors import InputError
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
    # the marker of a model seen at one size counts as a block, and goes when it is oldest
    marker = folder / f"{9:040x}.seen"
    marker.touch()
    os.utime(marker, (1_000_000, 1_000_000))
    graph_cache._evict(folder, limit=2500)
    assert [p.name[:2] for p in _entries(folder)] == ["00", "00"]
    assert {int(p.name[:40], 16) for p in _entries(folder)} == {3, 4}
    assert not marker.exists()
    kept = folder / f"{8:040x}.seen"
    kept.touch()
    graph_cache._evict(folder, limit=2000 + 4096)
    assert kept.exists() and len(_entries(folder)) == 2


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


# --- other batch sizes and lengths of a Hugging Face config -----------------------------------

SPECIALISED = "graph specialised to these sizes"
EXPORTED_ANY_SIZE = "exported once with its batch and sequence length symbolic"
#: text architectures an any-size export covers; the first three run in the quick suite
TEXT_TYPES = ("llama", "gpt2", "bert", "mistral", "mixtral", "qwen2", "phi3", "gemma",
              "gemma2", "falcon", "roberta", "distilbert")


@pytest.mark.parametrize("model_type", [
    t if t in TEXT_TYPES[:3] else pytest.param(t, marks=pytest.mark.slow) for t in TEXT_TYPES])
def test_an_export_at_any_size_gives_the_static_export_at_each_size(tmp_path, model_type):
    from tests.analyzers.loaders.hf_configs import loaded_differences, tiny_config, write_config
    from trnport.analyzers.loaders.hf import loader as hf

    path = write_config(tmp_path, tiny_config(model_type))
    general = hf.load_any_size(path, AnalysisOptions(batch=2, seq_len=16))
    assert general is not None
    for batch, seq_len in ((3, 40), (2, 2), (7, 128), (5, None)):
        options = AnalysisOptions(batch=batch, seq_len=seq_len)
        assert loaded_differences(hf.specialise_sizes(general, options), hf.load(path, options)) \
            == [], (batch, seq_len)
    # a batch of 1 stays fixed: its own export, with the length left free
    single = hf.load_any_size(path, AnalysisOptions(batch=1, seq_len=16))
    assert single is not None
    for seq_len in (40, 2, 128, None):
        options = AnalysisOptions(batch=1, seq_len=seq_len)
        assert loaded_differences(hf.specialise_sizes(single, options), hf.load(path, options)) \
            == [], (1, seq_len)


def test_a_whole_axis_slice_in_a_replicated_stack_is_left_out_as_a_static_export_leaves_it(
        tmp_path):
    from tests.analyzers.loaders.hf_configs import loaded_differences, tiny_config, write_config
    from trnport.analyzers.loaders.hf import loader as hf

    # BERT slices its position ids to the length: at the maximum length a static export
    # records no slice, in each of the replicated layers' clones as in the template
    path = write_config(tmp_path, tiny_config("bert", num_hidden_layers=6))
    for batch in (2, 1):
        general = hf.load_any_size(path, AnalysisOptions(batch=batch, seq_len=16))
        assert "replicated_layers" in general.graph.metadata
        options = AnalysisOptions(batch=batch, seq_len=128)
        assert loaded_differences(hf.specialise_sizes(general, options),
                                  hf.load(path, options)) == [], batch


def test_sizes_an_any_size_export_does_not_cover_are_exported_as_they_are(tmp_path):
    from tests.analyzers.loaders.hf_configs import tiny_config, write_config
    from trnport.analyzers.graph.specialise import NotSpecialised
    from trnport.analyzers.loaders.hf import loader as hf

    path = write_config(tmp_path, tiny_config("llama"))
    # a size of 1 is folded away by a static export: it stays fixed, and with both at 1
    # nothing is left to make symbolic
    assert hf.load_any_size(path, AnalysisOptions(batch=1, seq_len=1)) is None
    # inputs that are not token batches are not made any-size
    vit = write_config(tmp_path / "vit", tiny_config("vit"))
    assert hf.load_any_size(vit, AnalysisOptions(batch=2)) is None
    general = hf.load_any_size(path, AnalysisOptions(batch=2, seq_len=16))
    with pytest.raises(NotSpecialised):
        hf.specialise_sizes(general, AnalysisOptions(batch=1, seq_len=16))
    with pytest.raises(NotSpecialised):
        hf.specialise_sizes(general, AnalysisOptions(batch=2, seq_len=1))
    single = hf.load_any_size(path, AnalysisOptions(batch=1, seq_len=16))
    with pytest.raises(NotSpecialised):
        hf.specialise_sizes(single, AnalysisOptions(batch=2, seq_len=16))
    with pytest.raises(InputError) as beyond:
        hf.specialise_sizes(general, AnalysisOptions(batch=2, seq_len=129))
    with pytest.raises(InputError) as static:
        hf.load(path, AnalysisOptions(batch=2, seq_len=129))
    assert str(beyond.value) == str(static.value)


def test_a_second_size_exports_at_any_size_and_later_sizes_export_nothing(tmp_path,
                                                                          monkeypatch):
    from tests.analyzers.loaders.hf_configs import tiny_config, write_config
    from trnport.analyzers.loaders.torch import fx_graph

    path = write_config(tmp_path / "model", tiny_config("llama"))
    folder = tmp_path / "cache"

    def run(**sizes):
        options = AnalysisOptions(cache_dir=str(folder), **sizes)
        return analyze(path, options)

    def fresh(**sizes):
        return analyze(path, AnalysisOptions(**sizes))

    first = run(batch=1)
    assert not any(EXPORTED_ANY_SIZE in d or SPECIALISED in d for d in first.diagnostics)
    assert len(_entries(folder)) == 1 and len(list(folder.glob("*.seen"))) == 1
    second = run(batch=4, seq_len=32)
    assert any(EXPORTED_ANY_SIZE in d for d in second.diagnostics)
    assert len(_entries(folder)) == 2  # the any-size entry beside the first size's
    expected = {(6, 100): fresh(batch=6, seq_len=100), (2, None): fresh(batch=2)}
    assert _without(second, EXPORTED_ANY_SIZE) == fresh(batch=4, seq_len=32)

    def refuse(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(fx_graph, "export_program", refuse)
    for (batch, seq_len), report in expected.items():
        again = run(batch=batch, seq_len=seq_len)
        assert any(SPECIALISED in d for d in again.diagnostics)
        assert _without(again, SPECIALISED) == report
    assert any(REUSED in d for d in run(batch=1).diagnostics)  # its own entry
    assert len(_entries(folder)) == 2


def test_a_model_that_cannot_be_exported_at_any_size_is_not_tried_again(tmp_path,
                                                                        monkeypatch):
    from tests.analyzers.loaders.hf_configs import tiny_config, write_config
    from trnport.analyzers.loaders import load_model
    from trnport.analyzers.loaders.hf import loader as hf

    path = write_config(tmp_path / "vit", tiny_config("vit"))  # images, not token batches
    folder = tmp_path / "cache"
    tried: list[int] = []
    original = hf.load_any_size

    def counted(*args, **kwargs):
        tried.append(kwargs.get("batch", 0))
        return original(*args, **kwargs)

    monkeypatch.setattr(hf, "load_any_size", counted)
    batches = [load_model(path, AnalysisOptions(batch=batch, cache_dir=str(folder)))
               .graph.values["pixel_values"].shape[0] for batch in (1, 2, 3)]
    assert batches == [1, 2, 3]
    assert len(tried) == 1  # asked at the second size; the third goes straight to export
    assert len(list(folder.glob("*.declined"))) == 1


def _without(report, note: str):
    return dataclasses.replace(report, diagnostics=tuple(
        d for d in report.diagnostics if note not in d))
