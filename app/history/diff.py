"""Comparing two sessions: which findings were fixed, are new or are still open, and how
coverage, memory, the SDK profile and the tool changed."""

from __future__ import annotations

from collections.abc import Callable

from trnport.app.history.records import (
    SEVERITY_ORDER,
    FieldChange,
    MemorySummary,
    NumberDelta,
    SessionDetail,
    SessionDiff,
    SessionSummary,
    StoredFinding,
)

# Summary fields whose change the diff reports, in the order it shows them.
TRACKED_FIELDS = (
    "model_path", "model_sha256", "model_format", "profile", "neuronx_cc", "torch_neuronx",
    "kb_generated", "tool_version", "target_family", "target_instance", "target_mode",
    "target_dtype", "target_batch", "target_seq_len", "target_tp", "verdict",
)
MEMORY_FIELDS = ("param_bytes", "activation_peak_bytes", "kv_cache_bytes",
                 "training_state_bytes", "per_core_bytes", "usable_bytes_per_core",
                 "utilization", "smallest_tp")


def match_findings(
    before: tuple[StoredFinding, ...], after: tuple[StoredFinding, ...],
) -> tuple[tuple[StoredFinding, ...], tuple[StoredFinding, ...], tuple[StoredFinding, ...]]:
    """Split findings into (fixed, new, still open).

    A finding is the same across sessions when its code, ops and location agree; a second
    pass ignores the line number, so code that merely moved within its file still matches.
    Duplicates are matched one to one. Still-open findings are given as they are now.
    """
    unmatched_before = list(range(len(before)))
    unmatched_after = list(range(len(after)))
    still_open: list[tuple[int, StoredFinding]] = []
    for key in (_exact_key, _loose_key):
        waiting: dict[tuple, list[int]] = {}
        for index in unmatched_before:
            waiting.setdefault(key(before[index]), []).append(index)
        left_after = []
        for index in unmatched_after:
            candidates = waiting.get(key(after[index]))
            if candidates:
                unmatched_before.remove(candidates.pop(0))
                still_open.append((index, after[index]))
            else:
                left_after.append(index)
        unmatched_after = left_after
    still_open.sort(key=lambda pair: pair[0])
    return (tuple(before[i] for i in unmatched_before),
            tuple(after[i] for i in unmatched_after),
            tuple(finding for _, finding in still_open))


def _exact_key(finding: StoredFinding) -> tuple:
    return finding.match_key


def _loose_key(finding: StoredFinding) -> tuple:
    return finding.loose_match_key


def _changes(before: SessionSummary, after: SessionSummary) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(name, getattr(before, name), getattr(after, name))
                 for name in TRACKED_FIELDS if getattr(before, name) != getattr(after, name))


def _memory_deltas(before: MemorySummary, after: MemorySummary) -> tuple[NumberDelta, ...]:
    return tuple(NumberDelta(name, getattr(before, name), getattr(after, name))
                 for name in MEMORY_FIELDS
                 if getattr(before, name) is not None or getattr(after, name) is not None)


def _numbers(names: tuple[str, ...], get: Callable[[SessionSummary, str], float | int],
             before: SessionSummary, after: SessionSummary) -> tuple[NumberDelta, ...]:
    return tuple(NumberDelta(name, get(before, name), get(after, name)) for name in names)


def compare(before: SessionDetail, after: SessionDetail) -> SessionDiff:
    """The difference from ``before`` to ``after`` (any two sessions, saved or not)."""
    fixed, new, still_open = match_findings(before.findings, after.findings)
    changes = _changes(before.summary, after.summary)
    if before.memory.fit != after.memory.fit:
        changes += (FieldChange("memory_fit", before.memory.fit, after.memory.fit),)
    return SessionDiff(
        before=before.summary,
        after=after.summary,
        fixed=fixed,
        new=new,
        still_open=still_open,
        coverage=NumberDelta("coverage_pct", before.summary.coverage_pct,
                             after.summary.coverage_pct),
        severities=_numbers(SEVERITY_ORDER,
                            lambda s, name: s.findings_by_severity[name],
                            before.summary, after.summary),
        memory=_memory_deltas(before.memory, after.memory),
        changes=changes,
    )
