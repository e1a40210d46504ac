"""Between the engine's :class:`Report`, the table rows and the store's dataclasses.

Column values are built once as plain dicts (so a report that is never saved, as in
``history recheck --no-history``, becomes the same dataclasses a saved one does).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trnport.analyzers.results import Report
from trnport.analyzers.results.codec import report_to_dict
from trnport.app.history.records import (
    MemorySummary,
    SessionDetail,
    SessionSummary,
    StoredFinding,
)

MEMORY_COLUMNS = tuple(f.name for f in dataclasses.fields(MemorySummary))
_SUMMARY_FIELDS = {f.name for f in dataclasses.fields(SessionSummary)}
_FINDING_FIELDS = {f.name for f in dataclasses.fields(StoredFinding)}


def utc_now() -> datetime:
    """Now in UTC, naive: the database stores naive UTC on every backend."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) or given timestamp as an aware UTC datetime."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_naive_utc(moment: datetime) -> datetime:
    """A user's timestamp (naive means UTC) as the naive UTC the database compares."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def resolve_model_path(path: str | Path) -> str:
    """The absolute path a model is filed under, so relative invocations find it again."""
    return str(Path(path).expanduser().resolve())


def report_json(report_dict: dict[str, Any]) -> str:
    """The report as compact JSON text; a path that is not UTF-8 stays exact as a
    ``\\udcNN`` escape."""
    text = json.dumps(report_dict, ensure_ascii=False, separators=(",", ":"))
    return text if storable(text) is text else json.dumps(report_dict, separators=(",", ":"))


def is_utf8(text: str) -> bool:
    """Whether ``text`` can be encoded (it holds no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(text: str) -> str:
    """``text``, or (when it holds the lone surrogates of a non-UTF-8 file name) a copy
    with those escaped, so that a text column can store it."""
    return text if is_utf8(text) else text.encode("utf-8", "backslashreplace").decode("utf-8")


def session_values(report: Report, report_dict: dict[str, Any]) -> dict[str, Any]:
    """Column values of the ``sessions`` row for ``report`` (without ids and timestamps)."""
    by_severity = report.summary.findings_by_severity
    return {
        "model_sha256": report.model.sha256,
        "model_format": report.model.format,
        "model_nodes": report.model.nodes,
        "model_params": report.model.params,
        "target_family": report.target.family,
        "target_instance": report.target.instance,
        "target_mode": report.target.mode,
        "target_dtype": report.target.dtype,
        "target_batch": report.target.batch,
        "target_seq_len": report.target.seq_len,
        "target_tp": report.target.tp,
        "profile": report.kb.profile,
        "neuronx_cc": report.kb.neuronx_cc,
        "torch_neuronx": report.kb.torch_neuronx,
        "kb_generated": report.kb.generated,
        "tool_name": report.tool.name,
        "tool_version": report.tool.version,
        "verdict": report.summary.verdict,
        "coverage_pct": float(report.summary.coverage_pct),
        "errors": int(by_severity.get("error", 0)),
        "warnings": int(by_severity.get("warning", 0)),
        "infos": int(by_severity.get("info", 0)),
        "nodes_by_status": dict(report.summary.nodes_by_status),
        "report_schema": report.schema,
        "report_json": report_json(report_dict),
    }


def finding_values(report: Report) -> list[dict[str, Any]]:
    """Column values of the ``findings`` rows, in report order."""
    rows = []
    for position, finding in enumerate(report.findings):
        rows.append({
            "position": position,
            "code": finding.code,
            "symbol": finding.symbol,
            "severity": finding.severity,
            "category": finding.category,
            "message": storable(finding.message),
            "fix": storable(finding.fix),
            "ops": list(finding.ops),
            "node_count": finding.count,
            "location_file": finding.location.file,
            "location_line": finding.location.line,
            "location_module": finding.location.module,
            "rewrite": finding.rewrite,
            "provenance_kind": finding.provenance.kind,
            "provenance_source": finding.provenance.source,
            "confidence": finding.confidence,
        })
    return rows


def memory_values(report: Report) -> dict[str, Any]:
    """Column values of the ``memory_summaries`` row: the headline figures of the report's
    memory section at its chosen layout (all None for a report without one)."""
    memory = report.memory
    if memory is None:
        return dict.fromkeys(MEMORY_COLUMNS)
    return {
        "param_bytes": memory.parameters.total_bytes,
        # not 0 when the activations could not be sized: a diff must not read it as a drop
        "activation_peak_bytes": (memory.activations.peak_bytes
                                  if memory.activations.sized else None),
        "kv_cache_bytes": memory.kv_cache.bytes if memory.kv_cache else None,
        "training_state_bytes": (memory.training_state.total_bytes
                                 if memory.training_state else None),
        "per_core_bytes": memory.per_core.total_bytes,
        "usable_bytes_per_core": memory.core.usable_bytes_per_core,
        "smallest_tp": memory.smallest_tp,
        "utilization": memory.per_core.utilization,
        "fit": memory.per_core.status,
    }


def make_summary(session_id: int | None, created_at: datetime | None, model_path: str,
                 values: dict[str, Any]) -> SessionSummary:
    """A :class:`SessionSummary` from ``sessions`` column values (a dict or a row's)."""
    picked = {k: v for k, v in values.items() if k in _SUMMARY_FIELDS}
    picked["nodes_by_status"] = dict(picked.get("nodes_by_status") or {})
    return SessionSummary(id=session_id, created_at=as_utc(created_at), model_path=model_path,
                          **{k: v for k, v in picked.items()
                             if k not in ("id", "created_at", "model_path")})


def make_finding(values: dict[str, Any]) -> StoredFinding:
    picked = {k: v for k, v in values.items() if k in _FINDING_FIELDS}
    picked["ops"] = tuple(picked.get("ops") or ())
    return StoredFinding(**picked)


def make_memory(values: dict[str, Any] | None) -> MemorySummary:
    if not values:
        return MemorySummary()
    names = {f.name for f in dataclasses.fields(MemorySummary)}
    return MemorySummary(**{k: v for k, v in values.items() if k in names})


def row_values(row: Any) -> dict[str, Any]:
    """The column values of an ORM row as a dict (attributes named after columns)."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def unsaved_detail(report: Report) -> SessionDetail:
    """The same view of a report as a stored session gives, for a report not saved."""
    report_dict = report_to_dict(report)
    values = session_values(report, report_dict)
    return SessionDetail(
        summary=make_summary(None, None, resolve_model_path(report.model.path), values),
        findings=tuple(make_finding(v) for v in finding_values(report)),
        memory=make_memory(memory_values(report)),
        report=report_dict,
    )
