"""``history recheck``: the stored session's model analysed again under another SDK profile."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from tests.app.history.history_samples import finding, report
from tests.helpers import SAMPLES
from trnport.analyzers.errors import InputError
from trnport.analyzers.results import TargetInfo
from trnport.app.history import open_store
from trnport.app.history.recheck import recheck, recheck_options


def _stored_session(store, model_path):
    original = report(model_path, (finding("TRN101", "aten.grid_sampler_2d"),
                                   finding("TRN202", "aten.argmax", severity="warning")),
                      profile="2.31", instance="trn2.3xlarge")
    original = dataclasses.replace(original, target=TargetInfo(
        family="trn2", instance="trn2.3xlarge", mode="training", dtype="fp32", batch=8,
        seq_len=2048, tp=4))
    return store.save_session(original)


def test_recheck_options_keep_the_sessions_target_under_the_new_sdk(sqlite_url, tmp_path):
    with open_store(sqlite_url) as store:
        summary = _stored_session(store, tmp_path / "m.onnx")
    options = recheck_options(summary, "2.32", trust_code=True)
    assert (options.target, options.instance, options.mode, options.dtype) == (
        "trn2", "trn2.3xlarge", "training", "fp32")
    assert (options.batch, options.seq_len, options.tp) == (8, 2048, 4)
    assert options.sdk == "2.32" and options.trust_code


def test_recheck_analyses_the_stored_model_saves_and_diffs(sqlite_url, tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"model")
    seen = []

    def analyze(path, options):
        # Stands in for the engine: what an SDK that compiles grid_sampler would report.
        seen.append((path, options))
        return dataclasses.replace(
            report(path, (finding("TRN202", "aten.argmax", severity="warning"),),
                   profile=options.sdk, instance=options.instance))

    with open_store(sqlite_url) as store:
        before = _stored_session(store, model)
        result = recheck(store, before.id, "2.32", analyze=analyze)
        listed = [s.id for s in store.list_sessions()]

    assert seen[0][0] == model.resolve() and seen[0][1].sdk == "2.32"
    assert result.after.summary.id in listed and len(listed) == 2
    assert [f.code for f in result.diff.fixed] == ["TRN101"]
    assert [f.code for f in result.diff.still_open] == ["TRN202"]
    assert ("profile", "2.31", "2.32") in [(c.field, c.before, c.after)
                                           for c in result.diff.changes]


def test_recheck_without_saving_leaves_the_history_as_it_was(sqlite_url, tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"model")
    with open_store(sqlite_url) as store:
        before = _stored_session(store, model)
        result = recheck(store, before.id, "2.32", save=False,
                         analyze=lambda path, options: report(path, profile=options.sdk))
        assert [s.id for s in store.list_sessions()] == [before.id]
    assert result.after.summary.id is None
    assert len(result.diff.fixed) == 2 and result.diff.new == ()


def test_recheck_of_a_missing_model_names_the_file(sqlite_url, tmp_path):
    with open_store(sqlite_url) as store:
        before = _stored_session(store, tmp_path / "gone.onnx")
        with pytest.raises(InputError, match=r"gone\.onnx.*no longer exists"):
            recheck(store, before.id, "2.32", analyze=lambda p, o: pytest.fail("analysed"))


def _engine_ready() -> bool:
    try:
        from trnport.analyzers.coverage import assess_coverage  # noqa: F401
        from trnport.analyzers.kb import load_kb  # noqa: F401
        from trnport.analyzers.rules import run_rules  # noqa: F401
    except ImportError:
        return False
    return (SAMPLES / "tiny_cnn.onnx").exists()


@pytest.mark.skipif(not _engine_ready(), reason="the analysis engine (kb, coverage) or "
                    "resources/samples/tiny_cnn.onnx is not in place yet")
def test_recheck_with_the_real_engine_reanalyses_an_onnx_sample(sqlite_url, tmp_path):
    from trnport.analyzers.api import analyze
    from trnport.analyzers.options import AnalysisOptions

    # The SDK profile lines DESIGN.md names; the knowledge base carries both.
    model = tmp_path / "tiny_cnn.onnx"
    shutil.copyfile(SAMPLES / "tiny_cnn.onnx", model)
    with open_store(sqlite_url) as store:
        first = store.save_session(analyze(model, AnalysisOptions(sdk="2.31")))
        result = recheck(store, first.id, "2.32")
        assert len(store.list_sessions()) == 2
    assert result.before.summary.profile != result.after.summary.profile
    assert result.after.summary.model_sha256 == first.model_sha256
    assert ("profile", result.before.summary.profile, result.after.summary.profile) in [
        (c.field, c.before, c.after) for c in result.diff.changes]
