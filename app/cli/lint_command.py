"""trnport lint-script: find GPU-only code in a PyTorch training or inference script.

Reads the script's syntax tree (it is never run) and reports `.cuda()`, `device="cuda"`,
`torch.cuda.*`, the NCCL backend, CUDA autocast, apex / flash-attn / xformers / bitsandbytes,
host reads inside the step loop and a missing step boundary — each at file:line with the
Neuron replacement for the PyTorch stack of --target on --sdk (default: trn2 on the newest
SDK, i.e. TorchNeuron; --stack picks another). On TorchNeuron it also reports the migration
from PyTorch/XLA: torch-xla imports and calls (xm.mark_step, the XLA device, MpDeviceLoader),
torch_neuronx.trace, NxD Inference and the NxD trace APIs, XLA environment variables, and
torch.compile(dynamic=True) or a non-default mode; on PyTorch/XLA, XLA_USE_BF16 together with
--auto-cast=none. Exit 0 when nothing reaches --fail-on (default: error), 1 when something
does, 2 when a script is missing or is not valid Python, or the stack is not offered.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trnport.analyzers.options import STACKS, TARGET_FAMILIES
from trnport.app.cli.exit_codes import GATE_FAILED, OK
from trnport.app.cli.parser import SEVERITY_LEVELS

HELP = "find GPU-only code in a training script (trnport lint-script train.py)"
_RANK = {"info": 0, "warning": 1, "error": 2}


def register(subparsers) -> None:
    parser = subparsers.add_parser("lint-script", help=HELP, description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scripts", nargs="+", type=Path, metavar="SCRIPT",
                        help="Python files to lint")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--fail-on", default="error", choices=SEVERITY_LEVELS,
                        help="exit 1 when a finding has this severity or worse (default: error)")
    parser.add_argument("--target", default="trn2", choices=TARGET_FAMILIES,
                        help="Neuron hardware family the script is for (default: trn2)")
    parser.add_argument("--sdk", default=None,
                        help="Neuron SDK profile, e.g. 2.32 (default: the newest known)")
    parser.add_argument("--stack", default=None, choices=STACKS,
                        help="PyTorch stack (default: the SDK line's default for the target)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from trnport.analyzers.kb import load_kb
    from trnport.analyzers.rules.lint_script import lint_findings

    kb = load_kb()
    stack = kb.stack(kb.profile(args.sdk), args.target, args.stack)
    findings = [f for script in args.scripts for f in lint_findings(script, stack)]
    if args.format == "json":
        print(json.dumps([_as_dict(f) for f in findings], indent=2))
    else:
        for f in findings:
            print(f"{f.location.file}:{f.location.line}: {f.code} {f.severity} "
                  f"[{f.symbol}] {f.message}\n    fix: {f.fix}")
        counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning")}
        print(f"{len(findings)} findings ({counts['error']} errors, "
              f"{counts['warning']} warnings) in {len(args.scripts)} file(s), for "
              f"{stack.label} on {stack.family} with Neuron SDK {stack.profile}",
              file=sys.stderr)
    threshold = _threshold(args.fail_on)
    failed = any(_RANK.get(f.severity, 0) >= threshold for f in findings)
    return GATE_FAILED if failed else OK


def _threshold(fail_on: str) -> int:
    return _RANK.get(fail_on, 99)  # "never" (or any unknown level) never fails


def _as_dict(finding) -> dict:
    return {"code": finding.code, "symbol": finding.symbol, "severity": finding.severity,
            "category": finding.category, "message": finding.message, "fix": finding.fix,
            "file": finding.location.file, "line": finding.location.line,
            "source": finding.provenance.source}
