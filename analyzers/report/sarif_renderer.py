"""SARIF 2.1.0 for code hosts: rule metadata from the shipped rule pages, one result per
finding, located on the user's source file and line when the model recorded it, else on the
model file, so that a code host annotates the ``forward()`` line or at least the model.

File paths under ``source_root`` (the CI checkout, usually the working directory) become
URIs relative to ``%SRCROOT%``; others stay absolute ``file:`` URIs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from trnport.analyzers.report.gate import GateOutcome, evaluate_gate, fingerprint
from trnport.analyzers.report.rule_docs import load_rule_docs, rule_help_uri
from trnport.analyzers.results import Finding, Location, Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_FINGERPRINT_KEY = "trnportFinding/v1"


def _artifact(path: str, source_root: Path | None) -> dict[str, str]:
    """An artifactLocation for ``path``: relative to ``%SRCROOT%`` when under it."""
    candidate = Path(path)
    if source_root is not None:
        absolute = candidate if candidate.is_absolute() else source_root / candidate
        try:
            relative = absolute.resolve().relative_to(source_root.resolve())
        except (ValueError, OSError):
            relative = None
        if relative is not None:
            return {"uri": _relative_uri(relative), "uriBaseId": SRCROOT}
    if candidate.is_absolute():
        return {"uri": candidate.as_uri()}
    return {"uri": _relative_uri(candidate)}


def _relative_uri(path: Path) -> str:
    """A relative URI reference: the path's bytes percent-encoded where a URI needs it
    (spaces, and the bytes of a file name that is not UTF-8)."""
    return quote(os.fsencode(PurePosixPath(*path.parts).as_posix()), safe="/")


_DOC_SEVERITY = re.compile(r"^Severity: \*\*(error|warning|info)\*\*(?:.*?category: `([a-z_]+)`)?",
                           re.MULTILINE)


def doc_severity(markdown: str) -> tuple[str, str]:
    """A rule page's default severity and category ('warning', '' when it names none)."""
    match = _DOC_SEVERITY.search(markdown)
    if match is None:
        return "warning", ""
    return match.group(1), match.group(2) or ""


def _rule(code: str, symbol: str, severity: str, category: str) -> dict[str, Any]:
    doc = load_rule_docs().get(code)
    summary = doc.summary if doc else f"{code} {symbol}"
    full = doc.section("What it flags").replace("\n", " ") if doc else ""
    rule: dict[str, Any] = {
        "id": code,
        "name": symbol,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full or summary},
        "defaultConfiguration": {"level": _LEVELS[severity]},
        "properties": {"category": category,
                       "tags": ["neuron", category] if category else ["neuron"]},
    }
    if doc:
        rule["helpUri"] = rule_help_uri(code)
        rule["help"] = {"text": doc.markdown, "markdown": doc.markdown}
    return rule


def _location(finding: Finding, report: Report, source_root: Path | None,
              loc: Location | None = None) -> dict[str, Any]:
    loc = loc or finding.location
    physical: dict[str, Any] = {"artifactLocation": _artifact(loc.file or report.model.path,
                                                               source_root)}
    if loc.file and loc.line and loc.line > 0:
        physical["region"] = {"startLine": loc.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if loc.module:
        location["logicalLocations"] = [{"fullyQualifiedName": loc.module, "kind": "module"}]
    return location


def _library_location(finding: Finding) -> dict[str, Any] | None:
    """The installed library's line a finding was made on, as a related location (the
    result's own location is the user's call site)."""
    library = finding.location.library
    if not library:
        return None
    path, _, line = library.rpartition(":")
    physical: dict[str, Any] = {"artifactLocation": {"uri": path or library}}
    if line.isdigit():
        physical["region"] = {"startLine": int(line)}
    return {"id": 1, "physicalLocation": physical,
            "message": {"text": "inside an installed library, called from the result's location"}}


def _result(finding: Finding, index: int, rule_index: int, report: Report, gate: GateOutcome,
            source_root: Path | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": f"{finding.message}. Fix: {finding.fix}"},
        "locations": [_location(finding, report, source_root)],
        **({"relatedLocations": [related]} if (related := _library_location(finding)) else {}),
        "partialFingerprints": {_FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {
            "symbol": finding.symbol, "category": finding.category, "fix": finding.fix,
            "ops": list(finding.ops), "nodes": list(finding.nodes), "count": finding.count,
            "provenance": {"kind": finding.provenance.kind,
                           "source": finding.provenance.source},
            "failsGate": gate.failing[index],
        },
    }
    if finding.also_at:  # the same problem elsewhere: the code host annotates those lines too
        result["relatedLocations"] = [
            {"id": number, **_location(finding, report, source_root, place),
             "message": {"text": f"also here: {finding.message}"}}
            for number, place in enumerate(finding.also_at, start=1)]
    if finding.rewrite:
        result["properties"]["rewrite"] = finding.rewrite
    if finding.confidence:
        result["properties"]["confidence"] = finding.confidence
    if gate.states is not None:
        result["baselineState"] = gate.states[index]
    return result


def _model_facts(report: Report, gate: GateOutcome) -> dict[str, Any]:
    return {
        "model": report.model.path, "target": report.target.family,
        "instance": report.target.instance, "mode": report.target.mode,
        "dtype": report.target.dtype, "sdkProfile": report.kb.profile,
        "stack": report.target.stack, "stackLabel": report.target.stack_text,
        "neuronxCc": report.kb.neuronx_cc, "verdict": report.summary.verdict,
        "coveragePct": report.summary.coverage_pct, "gateFailed": gate.failed,
    }


def render_sarif_many(reports: Sequence[Report],
                      gates: Sequence[GateOutcome | None] | None = None,
                      source_root: Path | None = None) -> str:
    """Several models' findings as one SARIF log with a single run: code hosts accept one
    run per tool and category, so models are told apart by each result's ``model``."""
    outcomes = [g or evaluate_gate(r) for r, g in
                zip(reports, gates if gates is not None else [None] * len(reports), strict=True)]
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results, artifacts = [], []
    for report, gate in zip(reports, outcomes, strict=True):
        artifact = {"location": _artifact(report.model.path, source_root),
                    "hashes": {"sha-256": report.model.sha256}, "roles": ["analysisTarget"]}
        if artifact not in artifacts:  # the schema wants each artifact once
            artifacts.append(artifact)
        for index, finding in enumerate(report.findings):
            if finding.code not in rule_index:
                rule_index[finding.code] = len(rules)
                rules.append(_rule(finding.code, finding.symbol, finding.severity,
                                   finding.category))
            result = _result(finding, index, rule_index[finding.code], report, gate,
                             source_root)
            result["properties"]["model"] = report.model.path
            results.append(result)
    # Every documented rule, not only those found, so a code host knows the whole rule set.
    for code, doc in sorted(load_rule_docs().items()):
        if code not in rule_index:
            rule_index[code] = len(rules)
            severity, category = doc_severity(doc.markdown)
            rules.append(_rule(code, doc.symbol, severity, category))
    tool = reports[0].tool if reports else None
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": tool.name if tool else "trnport",
            "version": tool.version if tool else "",
            "semanticVersion": tool.version if tool else "",
            "rules": rules,
        }},
        "artifacts": artifacts,
        "invocations": [{"executionSuccessful": True}],
        "results": results,
        "properties": {"models": [_model_facts(r, g) for r, g in zip(reports, outcomes,
                                                                       strict=True)]},
        "columnKind": "unicodeCodePoints",
    }
    if source_root is not None:
        root_uri = source_root.resolve().as_uri().rstrip("/") + "/"
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root_uri}}
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def render_sarif(report: Report, gate: GateOutcome | None = None,
                 source_root: Path | None = None) -> str:
    """One model's report as a SARIF 2.1.0 log."""
    return render_sarif_many([report], [gate], source_root)
