"""The store on SQLite and PostgreSQL: sessions saved whole, listed, compared and pruned."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from tests.app.history.history_samples import finding, memory_section, report
from trnport.analyzers.errors import InputError
from trnport.analyzers.results.codec import report_to_dict
from trnport.app.history import SessionNotFound, open_store, record_report
from trnport.app.history.database import resolve_url

MEMORY = memory_section(6096, params=2000, activations=4096, smallest_tp=1)


def _row_count(db_url: str, table: str) -> int:
    engine = create_engine(resolve_url(db_url))
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def test_saved_session_keeps_report_findings_and_memory(db_url, tmp_path):
    findings = (finding("TRN101", "aten.grid_sampler_2d", line=41),
                finding("TRN202", "aten.argmax", severity="warning", module=None, nodes=3),
                finding("TRN601", "aten.convolution", severity="info", file=None, line=None))
    original = report(tmp_path / "net.onnx", findings, memory=MEMORY)
    with open_store(db_url) as store:
        saved = store.save_session(original)
        detail = store.get_session(saved.id)

    assert detail.report == report_to_dict(original)
    summary = detail.summary
    assert summary.id == saved.id and summary.created_at.tzinfo is not None
    assert summary.model_path == str((tmp_path / "net.onnx").resolve())
    assert (summary.model_sha256, summary.profile, summary.neuronx_cc) == (
        original.model.sha256, "2.31", "2.26")
    assert summary.findings_by_severity == original.summary.findings_by_severity
    assert summary.nodes_by_status == original.summary.nodes_by_status
    assert [(f.code, f.ops, f.location_file, f.location_line, f.location_module, f.node_count)
            for f in detail.findings] == [
        (f.code, f.ops, f.location.file, f.location.line, f.location.module, f.count)
        for f in findings]
    memory = detail.memory
    assert (memory.param_bytes, memory.activation_peak_bytes, memory.per_core_bytes) == (
        2000, 4096, 6096)
    assert (memory.usable_bytes_per_core, memory.fit, memory.smallest_tp) == (
        16 * 2**30, "fits", 1)
    assert memory.utilization == pytest.approx(6096 / 2**34, abs=1e-4)
    assert memory.kv_cache_bytes is None and memory.training_state_bytes is None


def test_a_report_without_a_memory_section_has_an_empty_memory_summary(db_url, tmp_path):
    with open_store(db_url) as store:
        detail = store.get_session(store.save_session(report(tmp_path / "m.onnx")).id)
    assert set(dataclasses.asdict(detail.memory).values()) == {None}


def test_list_is_newest_first_and_filters_by_path_or_sha(db_url, tmp_path):
    with open_store(db_url) as store:
        first = store.save_session(report(tmp_path / "a.onnx", content=b"v1"))
        other = store.save_session(report(tmp_path / "b.onnx", content=b"b"))
        second = store.save_session(report(tmp_path / "a.onnx", content=b"v2"))
        everything = store.list_sessions()
        of_a = store.list_sessions(str(tmp_path / "a.onnx"))
        by_sha = store.list_sessions(second.model_sha256)
        last_a = store.last_session(str(tmp_path / "a.onnx"))
        last_b_by_sha = store.last_session(other.model_sha256)
        nothing = store.last_session(str(tmp_path / "never.onnx"))
    assert [s.id for s in everything] == [second.id, other.id, first.id]
    assert [s.id for s in of_a] == [second.id, first.id]
    assert [s.id for s in by_sha] == [second.id]
    assert last_a.id == second.id and last_b_by_sha.id == other.id and nothing is None


def test_relative_model_paths_are_filed_under_the_absolute_path(db_url, tmp_path,
                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store(db_url) as store:
        saved = store.save_session(report("models/net.onnx"))
        found = store.list_sessions(str(tmp_path / "models" / "net.onnx"))
    assert saved.model_path == str(tmp_path / "models" / "net.onnx")
    assert [s.id for s in found] == [saved.id]


def test_diff_sorts_findings_into_fixed_new_and_still_open(db_url, tmp_path):
    path = tmp_path / "net.onnx"
    before = report(path, (finding("TRN101", "aten.grid_sampler_2d", line=41),
                           finding("TRN202", "aten.argmax", severity="warning", line=77),
                           finding("TRN601", "aten.convolution", severity="info", line=12)),
                    profile="2.31", coverage=81.25, content=b"v1",
                    memory=memory_section(6000, status="tight", smallest_tp=2))
    after = report(path, (finding("TRN202", "aten.argmax", severity="warning", line=80),
                          finding("TRN601", "aten.convolution", severity="info", line=12),
                          finding("TRN301", "aten.nonzero", line=90)),
                   profile="2.32", coverage=93.75, content=b"v2",
                   memory=memory_section(5000, status="fits", smallest_tp=1))
    with open_store(db_url) as store:
        a = store.save_session(before)
        b = store.save_session(after)
        diff = store.diff_sessions(a.id, b.id)

    assert [f.code for f in diff.fixed] == ["TRN101"]
    assert [f.code for f in diff.new] == ["TRN301"]
    # The argmax finding moved from line 77 to 80 and is still the same finding.
    assert [(f.code, f.location_line) for f in diff.still_open] == [("TRN202", 80),
                                                                    ("TRN601", 12)]
    assert diff.coverage.delta == pytest.approx(12.5)
    changes = {c.field: (c.before, c.after) for c in diff.changes}
    assert changes["profile"] == ("2.31", "2.32")
    assert changes["neuronx_cc"] == ("2.26", "2.27")
    assert changes["model_sha256"] == (before.model.sha256, after.model.sha256)
    assert changes["memory_fit"] == ("tight", "fits")
    assert "target_family" not in changes
    memory = {d.field: d.delta for d in diff.memory}
    assert memory["per_core_bytes"] == -1000 and memory["smallest_tp"] == -1
    assert memory["param_bytes"] == 0
    assert {d.field: d.delta for d in diff.severities} == {"error": 0, "warning": 0,
                                                             "info": 0}


def test_prune_keeps_the_newest_sessions_of_each_model(db_url, tmp_path):
    with open_store(db_url) as store:
        a_ids = [store.save_session(report(tmp_path / "a.onnx", (finding("TRN101", "x"),),
                                           memory=MEMORY)).id for _ in range(4)]
        b_ids = [store.save_session(report(tmp_path / "b.onnx")).id for _ in range(2)]
        deleted = store.prune(keep=2)
        left = {s.id for s in store.list_sessions()}
    assert deleted == 2
    assert left == set(a_ids[2:] + b_ids)
    # Findings and memory rows went with their sessions.
    assert _row_count(db_url, "findings") == 2
    assert _row_count(db_url, "memory_summaries") == 4


def test_prune_before_a_date_deletes_older_sessions_and_orphaned_models(db_url, tmp_path):
    with open_store(db_url) as store:
        store.save_session(report(tmp_path / "a.onnx", (finding("TRN101", "x"),)))
        assert store.prune(before=datetime.now(UTC) - timedelta(days=1)) == 0
        assert store.prune(before=datetime.now(UTC) + timedelta(seconds=5)) == 1
        assert store.list_sessions() == []
        with pytest.raises(InputError, match="either"):
            store.prune()
    assert _row_count(db_url, "models") == 0
    assert _row_count(db_url, "findings") == 0


def test_export_yields_every_session_with_its_full_report(db_url, tmp_path):
    reports = [report(tmp_path / f"m{i}.onnx", (finding("TRN101", f"op{i}"),))
               for i in range(3)]
    with open_store(db_url) as store:
        ids = [store.save_session(r).id for r in reports]
        exported = list(store.export())
    assert [e["id"] for e in exported] == ids
    assert [e["report"] for e in exported] == [report_to_dict(r) for r in reports]
    assert all(datetime.fromisoformat(e["created_at"]).tzinfo for e in exported)


def test_unknown_session_is_a_one_line_input_error(db_url):
    with open_store(db_url) as store, pytest.raises(SessionNotFound) as caught:
        store.get_session(4242)
    assert "no session 4242" in str(caught.value) and "\n" not in str(caught.value)


def test_record_report_saves_into_the_database_named_by_trnport_db(tmp_path, monkeypatch):
    monkeypatch.setenv("TRNPORT_DB", str(tmp_path / "from-env.db"))
    saved = record_report(report(tmp_path / "m.onnx"))
    with open_store(str(tmp_path / "from-env.db")) as store:
        assert [s.id for s in store.list_sessions()] == [saved.id]
    explicit = record_report(report(tmp_path / "m.onnx"), db_url=str(tmp_path / "other.db"))
    with open_store(str(tmp_path / "other.db")) as store:
        assert [s.id for s in store.list_sessions()] == [explicit.id]
