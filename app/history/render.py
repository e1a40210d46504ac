"""The history as text for a terminal and as JSON-ready dicts (the CLI's ``--format``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from trnport.analyzers.results.units import human_bytes
from trnport.app.history.records import (
    MemorySummary,
    NumberDelta,
    SessionDetail,
    SessionDiff,
    SessionSummary,
    StoredFinding,
)

LIST_SCHEMA = "trnport.history-list/1"
SESSION_SCHEMA = "trnport.history-session/1"
DIFF_SCHEMA = "trnport.history-diff/1"
EXPORT_SCHEMA = "trnport.history-export/1"

# -- JSON ------------------------------------------------------------------------------


def summary_to_dict(summary: SessionSummary) -> dict[str, Any]:
    data = dataclasses.asdict(summary)
    data["created_at"] = summary.created_at.isoformat() if summary.created_at else None
    data["findings_by_severity"] = summary.findings_by_severity
    return data


def finding_to_dict(finding: StoredFinding) -> dict[str, Any]:
    data = dataclasses.asdict(finding)
    data["ops"] = list(finding.ops)
    return data


def list_to_dict(sessions: list[SessionSummary]) -> dict[str, Any]:
    return {"schema": LIST_SCHEMA, "sessions": [summary_to_dict(s) for s in sessions]}


def detail_to_dict(detail: SessionDetail) -> dict[str, Any]:
    return {
        "schema": SESSION_SCHEMA,
        "session": summary_to_dict(detail.summary),
        "findings": [finding_to_dict(f) for f in detail.findings],
        "memory": dataclasses.asdict(detail.memory),
        "report": detail.report,
    }


def _delta_dict(delta: NumberDelta) -> dict[str, Any]:
    return {"before": delta.before, "after": delta.after, "delta": _rounded(delta.delta)}


def _rounded(value):
    return round(value, 4) if isinstance(value, float) else value


def diff_to_dict(diff: SessionDiff) -> dict[str, Any]:
    return {
        "schema": DIFF_SCHEMA,
        "before": summary_to_dict(diff.before),
        "after": summary_to_dict(diff.after),
        "counts": {"fixed": len(diff.fixed), "new": len(diff.new),
                   "still_open": len(diff.still_open)},
        "findings": {
            "fixed": [finding_to_dict(f) for f in diff.fixed],
            "new": [finding_to_dict(f) for f in diff.new],
            "still_open": [finding_to_dict(f) for f in diff.still_open],
        },
        "coverage": _delta_dict(diff.coverage),
        "findings_by_severity": {d.field: _delta_dict(d) for d in diff.severities},
        "memory": {d.field: _delta_dict(d) for d in diff.memory},
        "changes": [dataclasses.asdict(c) for c in diff.changes],
    }


# -- text ------------------------------------------------------------------------------


def _when(summary: SessionSummary) -> str:
    return summary.created_at.strftime("%Y-%m-%d %H:%M") if summary.created_at else "(unsaved)"


def _label(summary: SessionSummary) -> str:
    return f"session {summary.id}" if summary.id is not None else "new analysis"


def _target(summary: SessionSummary) -> str:
    parts = [summary.target_instance or summary.target_family, summary.target_mode,
             summary.target_dtype, f"batch {summary.target_batch}"]
    if summary.target_seq_len:
        parts.append(f"seq {summary.target_seq_len}")
    parts.append(f"tp {summary.target_tp}")
    return ", ".join(parts)


def _bytes(number: float | None) -> str:
    return "?" if number is None else human_bytes(number, largest="GiB")


def render_list(sessions: list[SessionSummary]) -> str:
    if not sessions:
        return "No sessions in the history yet ('trnport check MODEL' records one).\n"
    rows = [("ID", "DATE (UTC)", "MODEL", "PROFILE", "TARGET", "VERDICT", "COVERAGE", "E/W/I")]
    for s in sessions:
        rows.append((str(s.id), _when(s), Path(s.model_path).name, s.profile,
                     s.target_instance or s.target_family, s.verdict, f"{s.coverage_pct:.1f}%",
                     f"{s.errors}/{s.warnings}/{s.infos}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    return "\n".join(lines) + "\n"


def _finding_lines(finding: StoredFinding, mark: str) -> list[str]:
    ops = ", ".join(finding.ops)
    lines = [f"  {mark} {finding.code} {finding.symbol} [{finding.severity}]"
             f"{f' {ops}' if ops else ''} x{finding.node_count}: {finding.message}"]
    if finding.where:
        lines.append(f"      at {finding.where}")
    return lines


def _header(summary: SessionSummary) -> list[str]:
    versions = [f"profile {summary.profile}"]
    if summary.neuronx_cc:
        versions.append(f"neuronx-cc {summary.neuronx_cc}")
    if summary.torch_neuronx:
        versions.append(f"torch-neuronx {summary.torch_neuronx}")
    return [
        f"{_label(summary).capitalize()}, {_when(summary)} UTC: {summary.model_path}",
        f"  {summary.model_format}, sha256 {summary.model_sha256[:12]}, "
        f"{summary.model_nodes} nodes",
        f"  target {_target(summary)}; {', '.join(versions)}; "
        f"{summary.tool_name} {summary.tool_version}",
        f"  verdict {summary.verdict.upper()}, coverage {summary.coverage_pct:.1f}%, "
        f"findings {summary.errors} error, {summary.warnings} warning, {summary.infos} info",
    ]


_MEMORY_LABELS = {
    "param_bytes": "parameters", "activation_peak_bytes": "activation peak",
    "kv_cache_bytes": "KV cache", "training_state_bytes": "training state",
    "per_core_bytes": "per core", "usable_bytes_per_core": "usable per core",
    "utilization": "utilization", "smallest_tp": "smallest tp",
}


def _memory_line(memory: MemorySummary) -> str:
    shown = [f"{_MEMORY_LABELS[name]} {_bytes(getattr(memory, name))}"
             for name in ("param_bytes", "activation_peak_bytes", "kv_cache_bytes",
                          "training_state_bytes")
             if getattr(memory, name) is not None]
    if memory.per_core_bytes is not None:
        core = f"per core {_bytes(memory.per_core_bytes)}"
        if memory.usable_bytes_per_core:
            core += f" of {_bytes(memory.usable_bytes_per_core)}"
        if memory.utilization is not None:
            core += f" ({memory.utilization:.0%})"
        shown.append(core)
    if memory.fit:
        shown.append(memory.fit)
    if memory.smallest_tp:
        shown.append(f"smallest tp {memory.smallest_tp}")
    return ", ".join(shown)


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{value:.0%}"


def _memory_delta_line(delta: NumberDelta) -> str:
    label = f"  memory {_MEMORY_LABELS.get(delta.field, delta.field)}: "
    if delta.field == "utilization":
        change = "" if delta.delta is None else f" ({delta.delta * 100:+.0f} pts)"
        return f"{label}{_percent(delta.before)} -> {_percent(delta.after)}{change}"
    if delta.field == "smallest_tp":
        return f"{label}{delta.before} -> {delta.after}"
    change = ""
    if delta.delta is not None:
        change = f" ({'+' if delta.delta > 0 else ''}{_bytes(delta.delta)})"
    return f"{label}{_bytes(delta.before)} -> {_bytes(delta.after)}{change}"


def render_detail(detail: SessionDetail) -> str:
    lines = _header(detail.summary)
    memory_line = _memory_line(detail.memory)
    if memory_line:
        lines.append(f"  memory: {memory_line}")
    if detail.findings:
        lines += ["", "FINDINGS:"]
        for finding in detail.findings:
            lines += _finding_lines(finding, "-")
            lines.append(f"      fix: {finding.fix}")
    return "\n".join(lines) + "\n"


_CHANGE_LABELS = {
    "model_sha256": "model file (sha256)", "model_format": "model format",
    "profile": "SDK profile", "neuronx_cc": "neuronx-cc", "torch_neuronx": "torch-neuronx",
    "kb_generated": "knowledge base", "tool_version": "trnport",
    "target_family": "target", "target_instance": "instance", "target_mode": "mode",
    "target_dtype": "dtype", "target_batch": "batch", "target_seq_len": "seq len",
    "target_tp": "tp", "verdict": "verdict", "memory_fit": "memory fit",
}


def _change_line(field: str, before, after) -> str:
    if field == "model_sha256":
        before, after = str(before)[:12], str(after)[:12]
    return f"  {_CHANGE_LABELS.get(field, field)}: {before} -> {after}"


def _signed(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "?"
    if isinstance(value, float):
        return f"{value:+.1f}{unit}"
    return f"{value:+d}{unit}"


def render_diff(diff: SessionDiff) -> str:
    before, after = diff.before, diff.after
    lines = [f"{_label(before).capitalize()} ({_when(before)}) -> {_label(after)} "
             f"({_when(after)}): {after.model_path}"]
    if not diff.same_model:
        lines.append(f"  note: different models ({before.model_path} -> {after.model_path})")
    lines.append(f"  coverage {diff.coverage.before:.1f}% -> {diff.coverage.after:.1f}% "
                 f"({_signed(diff.coverage.delta, ' pts')})")
    lines.append("  findings " + ", ".join(
        f"{d.field} {d.before} -> {d.after}" for d in diff.severities))
    for change in diff.changes:
        if change.field == "model_path":
            continue  # already named in the note above
        lines.append(_change_line(change.field, change.before, change.after))
    lines += [_memory_delta_line(d) for d in diff.memory if d.before != d.after]
    lines.append(f"  {len(diff.fixed)} fixed, {len(diff.new)} new, "
                 f"{len(diff.still_open)} still open")
    for title, group, mark in (("FIXED", diff.fixed, "-"), ("NEW", diff.new, "+"),
                               ("STILL OPEN", diff.still_open, "=")):
        if group:
            lines += ["", f"{title}:"]
            for finding in group:
                lines += _finding_lines(finding, mark)
    return "\n".join(lines) + "\n"
