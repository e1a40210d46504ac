"""trnport import-analyze / import-log: findings from the real Neuron compiler.

  trnport import-analyze FILE.json [--model MODEL]   a saved torch_neuronx.analyze() result
  trnport import-log FILE [--model MODEL]            a neuronx-cc log (NCC_* codes, HLO lists)

Alone, the command prints the compiler's findings. With --model it analyses MODEL as
'trnport check' does and merges the compiler's verdicts into that report (provenance
'imported'). Exit 0 when nothing reaches --fail-on (default: error), 1 when something does,
2 when a file cannot be read or is not in the expected format (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trnport.app.cli.exit_codes import GATE_FAILED, OK
from trnport.app.cli.parser import SEVERITY_LEVELS, add_target_options

FORMATS = ("text", "json")
EVIDENCE_SCHEMA = "trnport.evidence/1"


def register(subparsers) -> None:
    commands = (
        ("import-analyze", "FILE.json", "a JSON result saved from torch_neuronx.analyze()",
         "merge a saved torch_neuronx.analyze() result (findings, exit 1 on errors)",
         run_import_analyze),
        ("import-log", "FILE", "a neuronx-cc log or console output",
         "turn a neuronx-cc log into findings (NCC_* codes, unsupported HLO)", run_import_log),
    )
    for name, metavar, file_help, help_text, handler in commands:
        parser = subparsers.add_parser(name, help=help_text, description=__doc__,
                                       formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("file", type=Path, metavar=metavar, help=file_help)
        parser.add_argument("--model", type=Path, metavar="MODEL",
                            help="analyse this model and merge the compiler's verdicts into "
                            "its report")
        parser.add_argument("--format", choices=FORMATS, default="text",
                            help="text or JSON (default: text)")
        parser.add_argument("--fail-on", default="error", choices=SEVERITY_LEVELS,
                            help="exit 1 when a finding has this severity or worse "
                            "(default: error)")
        add_target_options(parser)
        parser.set_defaults(handler=handler)


def run_import_analyze(args) -> int:
    from trnport.analyzers.evidence import load_analyze_file

    return _report(load_analyze_file(args.file), args)


def run_import_log(args) -> int:
    from trnport.analyzers.evidence import load_compiler_log

    return _report(load_compiler_log(args.file), args)


def _report(evidence, args) -> int:
    if args.model is not None:
        return _merged_into_model(evidence, args)
    from trnport.analyzers.report.gate import severity_fails

    failing = sum(severity_fails(f.severity, args.fail_on) for f in evidence.findings)
    if args.format == "json":
        sys.stdout.write(json.dumps(evidence_to_dict(evidence), indent=2,
                                    ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_evidence_text(evidence))
        print(f"gate FAILED: {failing} at or above {args.fail_on}" if failing
              else "gate passed")
    return GATE_FAILED if failing else OK


def _merged_into_model(evidence, args) -> int:
    from trnport.analyzers.api import analyze
    from trnport.analyzers.evidence import merge_evidence
    from trnport.analyzers.kb import load_kb
    from trnport.analyzers.options import AnalysisOptions
    from trnport.analyzers.report import RENDERERS
    from trnport.analyzers.report.gate import evaluate_gate

    options = AnalysisOptions(
        target=args.target, instance=args.instance, mode=args.mode, dtype=args.dtype,
        batch=args.batch, seq_len=args.seq_len, tp=args.tp, ep=args.ep, pp=args.pp, dp=args.dp,
        optimizer=args.optimizer, zero1=bool(args.zero1), sdk=args.sdk,
        trust_code=bool(args.trust_code))
    report = merge_evidence(analyze(args.model, options), evidence, load_kb())
    gate = evaluate_gate(report, args.fail_on)
    sys.stdout.write(RENDERERS[args.format](report))
    return GATE_FAILED if gate.failed else OK


def evidence_to_dict(evidence) -> dict:
    from trnport.analyzers.results.codec import finding_to_dict

    by_severity = {"error": 0, "warning": 0, "info": 0}
    for finding in evidence.findings:
        by_severity[finding.severity] += 1
    return {
        "schema": EVIDENCE_SCHEMA, "kind": evidence.kind, "tool": evidence.tool,
        "source": evidence.source, "neuronx_cc": evidence.neuronx_cc,
        "torch_neuronx": evidence.torch_neuronx,
        "support_percentage": evidence.support_percentage,
        "supported_operators": dict(sorted(evidence.supported_ops.items())),
        "rejected_operators": sorted(evidence.rejected_ops),
        "findings_by_severity": by_severity,
        "findings": [finding_to_dict(f) for f in evidence.findings],
        "notes": list(evidence.notes),
    }


def render_evidence_text(evidence) -> str:
    lines = [evidence.source]
    if evidence.support_percentage is not None:
        lines.append(f"  analyze() support {evidence.support_percentage:.2f}%; "
                     f"{len(evidence.supported_ops)} op kinds compiled, "
                     f"{len(evidence.rejected_ops)} rejected")
    lines.extend(f"  note: {note}" for note in evidence.notes)
    for severity in ("error", "warning", "info"):
        group = [f for f in evidence.findings if f.severity == severity]
        if not group:
            continue
        lines.append(f"{severity}s ({len(group)}):")
        for finding in group:
            lines.append(f"  {finding.code} {finding.symbol}: {finding.message}")
            where = finding.location
            if where.file:
                lines.append(f"      at {where.file}{f':{where.line}' if where.line else ''}")
            lines.append(f"      fix: {finding.fix}")
    if not evidence.findings:
        lines.append("no findings")
    return "\n".join(lines) + "\n"
