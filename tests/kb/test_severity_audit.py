"""Severity follows the source: an audit of every knowledge-base verdict, dtype issue, finding
rule and porting-lint row against what its cited source documents.

- A source that documents a rejection, an assertion or a crash makes the verdict
  ``unsupported`` (an error); a host fallback that happens before the compiler sees the op
  (``cpu_fallback``) is the only other answer. ``conditional`` (a warning) is too soft.
- A documented host fallback is ``cpu_fallback`` (finding category ``cpu_fallback``).
- ``performance`` (TRN104, TRN601) is only for what compiles and runs correctly but slowly:
  never a rejection, never a lossy or wrong result.
- The integer-downcast pages (NCC_EVRF035/060/061/062/063) document a lossy path that 2.32
  takes with a warning by default and that a later default is announced to reject: a dtype
  warning (TRN202/TRN205), never a performance note.

Rules whose severity is deliberately below the cited rejection are listed in
:data:`RULE_EXCEPTIONS` with the reason; nothing is excluded without one.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from trnport.analyzers.kb import load_kb
from trnport.analyzers.rules.docs import doc_sections
from trnport.analyzers.rules.registry import all_rules

REPO = Path(__file__).resolve().parents[2]
#: neuronx-cc error pages that document a compile stop on every target and posture
REJECTION_CODES = frozenset({
    "EUOC002", "EVRF001", "EVRF004", "EVRF005", "EVRF006", "EVRF010", "EVRF011", "EVRF013",
    "EVRF015", "EVRF016", "EVRF017", "EVRF018", "EVRF019", "EVRF022", "EVRF031", "EVRF051",
    "EVRF052", "EVRF056", "EHCA005", "ESPP004", "ESPP047", "ESFH002", "EARG001",
})
#: lossy integer paths: a warning in 2.32, announced to become a rejection by default
POSTURE_CODES = frozenset({"EVRF035", "EVRF060", "EVRF061", "EVRF062", "EVRF063"})
#: public issues that document a compiler crash or an assertion
CRASH_ISSUES = frozenset({
    "868",   # torch.argsort on an int tensor crashes the compile (trn1)
    "1314",  # XLA_USE_BF16 + --auto-cast=none: NCC_INLA001 on deep fwd+bwd graphs (trn2)
    "1326",  # EVA-ViT-G on inf2: NCC_IBIR243, then NCC_ILSA062
})
#: rules graded below a rejection their sources cite, and why that is what the source says
RULE_EXCEPTIONS = {
    "TRN106": "torch.library custom ops with a default kernel run (their body is traced); "
              "vendor-domain ONNX ops, which cannot be converted, get an error verdict",
    "TRN302": "symbolic dims are pinned by tracing with example inputs; NCC_EMOD025 rejects "
              "only a dim that stays dynamic up to the compiler",
    "TRN402": "at the default one-core layout the finding is the TP to choose; the chosen "
              "layout that does not fit is TRN401, an error",
    "TRN403": "sharding constraints replicate or pad (GQA to MHA); NCC_EBIR023 is an info "
              "about the NKI MLP kernel, which NxD falls back from",
    "TRN404": "an instruction-count estimate with an error band, not a certain rejection",
    "TRN501": "a numerics hazard (overflow to -inf, NaN rows), not a compile failure",
}
_CODE = re.compile(r"(?:NCC_)?\b(E[A-Z]{3}\d{3})\b")
_ISSUE = re.compile(r"aws-neuron-sdk/issues/(\d+)|issue #(\d+)")
_HOST = re.compile(r"on the (host )?CPU|falls? back to the (host )?CPU|partitions? it out "
                   r"to the CPU", re.I)
_HEDGE = re.compile(r"\bmay\b|not decidable|unless|by default; set", re.I)
_FAILURE = re.compile(r"reject|not supported|unsupported|crash", re.I)
_ACCEPTED = re.compile(r"accepted|recognizes|recognises|is the accepted", re.I)
_LOSSY = re.compile(r"lossy|wrong|precision|exact only|wrap", re.I)


def _verdicts():
    """(where, status, code, reason, source) of every op entry, op rule and dtype issue."""
    kb = load_kb()
    for table in (kb.aten_ops, kb.torch_ops, kb.onnx_ops):
        for key, entry in table.items():
            yield key, entry.status, entry.code, entry.reason, entry.source
            for rule in entry.rules:
                yield f"{key}[{rule.id}]", rule.status, rule.code, rule.reason, rule.source
    for spec in kb.dtype_issues:
        yield f"dtype:{spec.id}", spec.status, spec.code, spec.reason, spec.source
        for rule in spec.rules:
            yield f"dtype:{spec.id}[{rule.id}]", rule.status, rule.code, rule.reason, rule.source


def _cited(text: str) -> tuple[set[str], set[str]]:
    codes = set(_CODE.findall(text))
    issues = {a or b for a, b in _ISSUE.findall(text)}
    return codes, issues


VERDICTS = list(_verdicts())


def test_the_audit_sees_the_whole_knowledge_base():
    assert len(VERDICTS) > 900
    cited = [v for v in VERDICTS if _cited(f"{v[3]} {v[4]}")[0] & REJECTION_CODES]
    assert len(cited) >= 20, "the rejection pages should be cited by many verdicts"


def test_a_documented_rejection_or_crash_is_never_a_warning():
    wrong = []
    for where, status, code, reason, source in VERDICTS:
        codes, issues = _cited(f"{reason} {source}")
        if not (codes & REJECTION_CODES or issues & CRASH_ISSUES):
            continue
        if status == "conditional":
            wrong.append((where, status, code, reason[:90]))
        elif status == "supported" and _FAILURE.search(reason) and not _ACCEPTED.search(reason):
            wrong.append((where, status, code, reason[:90]))
    assert not wrong, "\n".join(map(str, wrong))


def test_a_documented_host_fallback_is_a_cpu_fallback():
    wrong = [(where, status, code, reason[:90]) for where, status, code, reason, _ in VERDICTS
             if _HOST.search(reason) and not _HEDGE.search(reason)
             and status not in ("cpu_fallback", "unsupported")]
    assert not wrong, "\n".join(map(str, wrong))
    codes = {code for _, status, code, _, _ in VERDICTS if status == "cpu_fallback"}
    assert codes == {"TRN102"}, codes


def test_performance_verdicts_are_only_for_slow_but_correct_code():
    wrong = []
    for where, _status, code, reason, source in VERDICTS:
        if code != "TRN104":
            continue
        codes, issues = _cited(f"{reason} {source}")
        if codes & (REJECTION_CODES | POSTURE_CODES) or issues & CRASH_ISSUES \
                or _LOSSY.search(reason):
            wrong.append((where, reason[:90]))
    assert not wrong, "\n".join(map(str, wrong))


def test_lossy_integer_paths_are_dtype_warnings():
    wrong = []
    for where, status, code, reason, source in VERDICTS:
        codes, _ = _cited(f"{reason} {source}")
        if codes & POSTURE_CODES and not codes & REJECTION_CODES and status != "unsupported":
            if status != "conditional" or code not in ("TRN202", "TRN205"):
                wrong.append((where, status, code, reason[:90]))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("module", all_rules(), ids=lambda m: m.INFO.code)
def test_rule_severity_follows_its_sources(module):
    info = module.INFO
    sections = doc_sections(module)
    sources = " ".join(sections.get(k, "") for k in ("Source", "Why it fails on Neuron"))
    codes, issues = _cited(sources)
    documents_failure = bool(codes & REJECTION_CODES or issues & CRASH_ISSUES)
    if documents_failure and info.severity != "error":
        assert info.code in RULE_EXCEPTIONS, (
            f"{info.code} cites {sorted(codes & REJECTION_CODES) or sorted(issues)} but is a "
            f"{info.severity}")
    if info.category == "performance":
        assert not documents_failure, f"{info.code} is 'performance' but cites a rejection"
    assert (info.category == "cpu_fallback") == (info.code == "TRN102"), info.code


def test_rule_exceptions_name_existing_rules_that_need_them():
    by_code = {m.INFO.code: m for m in all_rules()}
    for code in RULE_EXCEPTIONS:
        assert code in by_code and by_code[code].INFO.severity != "error", code


def test_lint_rows_that_cite_a_crash_or_rejection_are_errors():
    rows = list(csv.DictReader((REPO / "resources" / "lint" /
                                "torchneuron_migration.csv").open(encoding="utf-8")))
    assert rows
    wrong = []
    for row in rows:
        codes, issues = _cited(f"{row['problem']} {row['source']}")
        if (codes & REJECTION_CODES or issues & CRASH_ISSUES or
                re.search(r"NCC_I[A-Z]{3}\d{3}", row["problem"])) and row["severity"] != "error":
            wrong.append((row["check"], row["api"], row["severity"]))
    assert not wrong, wrong
