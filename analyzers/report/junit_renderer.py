"""JUnit XML for CI test tabs: one test suite per model, one test case per finding, one
passing test case per rule that found nothing, and one for ``--min-coverage``.

A finding fails its test case when it fails the gate (``--fail-on``, and new against the
baseline when there is one); a finding the baseline already had is reported as skipped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from trnport.analyzers.report.gate import UNCHANGED, GateOutcome, evaluate_gate, severity_fails
from trnport.analyzers.report.report_view import location_text
from trnport.analyzers.report.rule_docs import load_rule_docs, rule_help_uri
from trnport.analyzers.results import Finding, Report
from trnport.analyzers.results.printable import printable

# Characters XML 1.0 cannot carry at all, even escaped; a model's names may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         **attrs: object) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _details(finding: Finding) -> str:
    lines = [f"{finding.code} {finding.symbol} ({finding.severity}, {finding.category})",
             finding.message, f"fix: {finding.fix}"]
    where = location_text(finding)
    if where:
        lines.append(f"at: {where}")
    if finding.ops:
        lines.append(f"ops: {', '.join(finding.ops)}")
    if finding.nodes:
        lines.append(f"nodes ({finding.count}): {', '.join(finding.nodes)}")
    if finding.rewrite:
        lines.append(f"rewrite: {finding.rewrite}")
    lines.append(f"source: {finding.provenance.kind}: {finding.provenance.source}")
    if finding.code in load_rule_docs():
        lines.append(f"docs: {rule_help_uri(finding.code)}")
    return "\n".join(lines)


def _case_name(finding: Finding) -> str:
    where = location_text(finding)
    return f"{finding.message} [{where}]" if where else finding.message


def _suite(root: ET.Element, report: Report, gate: GateOutcome) -> None:
    suite = _sub(root, "testsuite", name=f"trnport {report.target.family}: "
                 f"{printable(report.model.path)}")
    properties = _sub(suite, "properties")
    facts = {
        "verdict": report.summary.verdict, "coverage_pct": report.summary.coverage_pct,
        "flops_coverage_pct": "" if report.summary.flops_coverage_pct is None
        else report.summary.flops_coverage_pct,
        "target": report.target.family, "instance": report.target.instance or "",
        "mode": report.target.mode, "dtype": report.target.dtype, "tp": report.target.tp,
        "sdk_profile": report.kb.profile, "neuronx_cc": report.kb.neuronx_cc or "",
        "stack": report.target.stack, "stack_label": report.target.stack_text,
        "fail_on": gate.fail_on, "baseline": gate.baseline_label or "",
        "model_sha256": report.model.sha256, "trnport": report.tool.version,
    }
    for name, value in facts.items():
        _sub(properties, "property", name=name, value=value)

    tests = failures = skipped = 0
    for index, finding in enumerate(report.findings):
        case = _sub(suite, "testcase", classname=f"trnport.{finding.code}.{finding.symbol}",
                    name=_case_name(finding), time="0")
        if finding.location.file:
            case.set("file", _clean(finding.location.file))
            if finding.location.line:
                case.set("line", str(finding.location.line))
        tests += 1
        if gate.failing[index]:
            failures += 1
            _sub(case, "failure", _details(finding), message=finding.message,
                 type=f"{finding.code} {finding.severity}")
        elif gate.states and gate.states[index] == UNCHANGED and \
                severity_fails(finding.severity, gate.fail_on):
            skipped += 1
            _sub(case, "skipped", message=f"already in the baseline: {finding.code}")
            _sub(case, "system-out", _details(finding))
        else:
            _sub(case, "system-out", _details(finding))

    found = {f.code for f in report.findings}
    for code, doc in sorted(load_rule_docs().items()):
        if code in found or not gate.in_scope(code, doc.symbol):
            continue
        tests += 1
        _sub(suite, "testcase", classname=f"trnport.{code}.{doc.symbol}",
             name=f"{code} {doc.symbol}: no findings", time="0")

    if gate.min_coverage is not None:
        tests += 1
        case = _sub(suite, "testcase", classname="trnport.coverage",
                    name=f"node coverage at least {gate.min_coverage}%", time="0")
        if gate.coverage_failed:
            failures += 1
            _sub(case, "failure",
                 f"{report.summary.coverage_pct:.2f}% of nodes are supported; "
                 f"the minimum is {gate.min_coverage}%",
                 message=f"coverage {report.summary.coverage_pct:.2f}% is below "
                 f"{gate.min_coverage}%", type="coverage")

    for name, value in (("tests", tests), ("failures", failures), ("errors", 0),
                        ("skipped", skipped), ("time", 0)):
        suite.set(name, str(value))


def render_junit_many(reports: Sequence[Report],
                      gates: Sequence[GateOutcome | None] | None = None) -> str:
    """Several models' reports as one ``<testsuites>`` document."""
    gates = list(gates) if gates is not None else [None] * len(reports)
    root = ET.Element("testsuites", {"name": "trnport"})
    for report, gate in zip(reports, gates, strict=True):
        _suite(root, report, gate or evaluate_gate(report))
    for name in ("tests", "failures", "errors", "skipped"):
        root.set(name, str(sum(int(s.get(name, "0")) for s in root)))
    root.set("time", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def render_junit(report: Report, gate: GateOutcome | None = None) -> str:
    """One model's report as JUnit XML (``gate`` defaults to ``--fail-on error``)."""
    return render_junit_many([report], [gate])
