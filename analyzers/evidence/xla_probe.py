"""``--probe xla``: run the model on torch-xla's CPU device and merge what really happened.

No Neuron hardware is needed: torch-xla's PJRT CPU client (``PJRT_DEVICE=CPU``) lowers and
runs the same ATen ops torch-neuronx would hand to neuronx-cc, falls back to the CPU for the
ones it does not lower, and counts those fallbacks. The probe records them, and the HLO of
every graph it ran, in a child process (:mod:`.xla_probe_worker`), then:

- an op that fell back becomes ``cpu_fallback`` with provenance ``xla-probe`` (TRN102);
- an op the static verdict sent to the host but torch-xla lowered is shown with both verdicts;
- HLO opcodes that neuronx-cc documents as unsupported become TRN101 errors, opcodes whose
  support no document states are listed in the diagnostics.

Where torch-xla is not importable, or the model is neither a Python file nor a ``.pt2``
program, the report gets a diagnostic and is otherwise unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import util
from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.evidence.merge import packet, recount
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results import Finding, Location, OperatorRow, Provenance, Report

XLA_PROBE = "xla-probe"
_UNKNOWN_OP = "TRN105"
#: a model that runs longer than this on torch-xla's CPU device is stopped
TIMEOUT_SECONDS = 600
_FORMATS = ("python", "pt2")
_HLO_INSTRUCTION = re.compile(
    r"^\s*(?:ROOT\s+)?%?[\w.\-]+\s*=\s*(?:\([^=]*?\)|\S+)\s+([a-z][a-z0-9\-]*)\(", re.M)
_CUSTOM_CALL_TARGET = re.compile(r'custom_call_target="([^"]+)"')


class XlaProbeUnavailable(Exception):
    """The probe cannot run here; ``str(error)`` is one line for the report."""


@dataclass(frozen=True)
class Disagreement:
    """One op on which the static verdict and torch-xla run for real differ."""

    op: str
    static: str
    probe: str
    model: str
    torch_xla: str


@dataclass(frozen=True)
class XlaObservation:
    """What torch-xla did with the model (see :mod:`.xla_probe_worker`)."""

    torch: str
    torch_xla: str
    dispatched: dict[str, int]
    fallbacks: dict[str, int]
    graphs_executed: int
    hlo_opcodes: Counter[str] = field(default_factory=Counter)
    custom_calls: Counter[str] = field(default_factory=Counter)

    @property
    def source(self) -> str:
        return f"torch-xla {self.torch_xla} on the CPU (PJRT_DEVICE=CPU), torch {self.torch}"

    @property
    def fallback_ops(self) -> set[str]:
        """``aten::sinc`` counters as ``aten.sinc`` packets."""
        return {packet(name) for name in self.fallbacks}


def apply_xla_probe(report: Report, path: Path, options: AnalysisOptions
                    ) -> tuple[Report, tuple[Disagreement, ...]]:
    """``report`` with the probe's observations merged, and the ops on which it disagreed
    with the static verdict; a diagnostic instead when the probe cannot run here."""
    try:
        observation = observe(Path(path), options, report.model.format)
    except XlaProbeUnavailable as why:
        return dataclasses.replace(report, diagnostics=(*report.diagnostics, str(why))), ()
    return merge_observation(report, observation)


def observe(path: Path, options: AnalysisOptions, model_format: str) -> XlaObservation:
    """Run the model on torch-xla's CPU device in a child process."""
    if util.find_spec("torch_xla") is None:
        raise XlaProbeUnavailable(
            "xla probe unavailable: torch-xla is not importable here (it needs torch-xla "
            "2.9 beside torch 2.9; verdicts are from the knowledge base only)")
    if model_format not in _FORMATS:
        raise XlaProbeUnavailable(
            f"xla probe skipped: it runs Python model files and .pt2 programs, not "
            f"{model_format} models")
    if model_format == "python" and not options.trust_code:
        raise InputError(f"{path}: the xla probe runs the model file; pass --trust-code")
    with tempfile.TemporaryDirectory(prefix="trnport-xla-probe-") as folder:
        result_file, hlo_file = Path(folder, "result.json"), Path(folder, "graphs.hlo")
        command = [sys.executable, "-m", "trnport.analyzers.evidence.xla_probe_worker",
                   str(path.resolve()), str(result_file)]
        if options.mode == "training":
            command.append("--training")
        environment = {**os.environ, "PJRT_DEVICE": "CPU", "XLA_SAVE_TENSORS_FILE": str(hlo_file),
                       "XLA_SAVE_TENSORS_FMT": "hlo", "TF_CPP_MIN_LOG_LEVEL": "3"}
        try:
            finished = subprocess.run(command, env=environment, capture_output=True,
                                      timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise XlaProbeUnavailable(f"xla probe stopped: the model ran longer than "
                                      f"{TIMEOUT_SECONDS} s on torch-xla's CPU device") from None
        if not result_file.is_file():
            raise XlaProbeUnavailable(f"xla probe failed: the torch-xla process ended with "
                                      f"status {finished.returncode}{_last_line(finished.stderr)}")
        data = json.loads(result_file.read_text(encoding="utf-8"))
        if data.get("error"):
            raise XlaProbeUnavailable(f"xla probe failed: {data['error']}")
        hlo = hlo_file.read_text(encoding="utf-8", errors="replace") if hlo_file.is_file() else ""
    opcodes, custom_calls = parse_hlo(hlo)
    return XlaObservation(
        torch=data["torch"], torch_xla=data["torch_xla"], dispatched=data["dispatched"],
        fallbacks=data["fallbacks"], graphs_executed=data["graphs"]["executed"],
        hlo_opcodes=opcodes, custom_calls=custom_calls)


def parse_hlo(text: str) -> tuple[Counter[str], Counter[str]]:
    """HLO text (torch-xla's ``XLA_SAVE_TENSORS_FMT=hlo`` dump) → opcodes and custom-call
    targets, counted over every instruction of every graph."""
    return Counter(_HLO_INSTRUCTION.findall(text)), Counter(_CUSTOM_CALL_TARGET.findall(text))


def merge_observation(report: Report, observation: XlaObservation
                      ) -> tuple[Report, tuple[Disagreement, ...]]:
    """Fold an observation into ``report``: the probe's verdict wins on the ops it saw, the
    static one is kept in the row's reason where they differ."""
    fallen = observation.fallback_ops
    reached = {packet(name) for name in observation.dispatched} | fallen
    provenance = Provenance(kind=XLA_PROBE, source=observation.source)
    rows, disagreements, settled = [], [], set()
    for row in report.operators:
        own = packet(row.op)
        if own not in reached:
            rows.append(row)
            continue
        probe = "cpu_fallback" if own in fallen else "lowered"
        if row.status == "unknown" or (probe == "lowered" and row.status == "cpu_fallback"):
            settled.add(row.op)
        if (probe == "cpu_fallback") != (row.status == "cpu_fallback"):
            disagreements.append(Disagreement(op=own, static=row.status, probe=probe,
                                              model=report.model.path,
                                              torch_xla=observation.torch_xla))
        rows.append(_row_after_probe(row, probe, observation))
    # the static findings the probe answered: a host fallback torch-xla lowered after all,
    # "not in the knowledge base" for an op whose fate the probe saw
    findings = [f for f in report.findings
                if not (f.code in ("TRN102", _UNKNOWN_OP) and f.ops and set(f.ops) <= settled)]
    findings += _fallback_findings(report, observation, provenance)
    findings += _hlo_findings(observation, provenance)
    notes = [f"xla probe merged: {observation.source}; {observation.graphs_executed} device "
             f"graph(s) executed, {len(fallen)} op(s) ran on the CPU"]
    notes += _hlo_notes(observation)
    notes += [f"xla probe and static verdict disagree on {d.op}: static {d.static}, "
              f"torch-xla {d.probe}" for d in disagreements]
    merged = recount(report, tuple(rows), tuple(findings))
    return (dataclasses.replace(merged, diagnostics=(*merged.diagnostics, *notes)),
            tuple(disagreements))


def _row_after_probe(row: OperatorRow, probe: str, observation: XlaObservation) -> OperatorRow:
    where = f"torch-xla {observation.torch_xla} (xla-probe)"
    if probe == "cpu_fallback":
        if row.status == "cpu_fallback":
            return dataclasses.replace(row, reason=f"{row.reason}; confirmed: {where} ran it "
                                       "on the CPU", confidence="high")
        return dataclasses.replace(row, status="cpu_fallback", confidence="high",
                                   reason=f"{where} ran it on the CPU; static verdict "
                                   f"{row.status}: {row.reason}")
    if row.status in ("cpu_fallback", "unknown"):
        return dataclasses.replace(row, status="supported", confidence="high",
                                   reason=f"{where} lowered it; static verdict {row.status}: "
                                   f"{row.reason}")
    return row


def _fallback_findings(report: Report, observation: XlaObservation,
                       provenance: Provenance) -> list[Finding]:
    """One TRN102 per op that fell back and that no static finding already sends to the
    host, placed at the static finding or node of the same op where there is one."""
    covered = {packet(op) for f in report.findings if f.code == "TRN102" for op in f.ops}
    places = {packet(row.op): row.op for row in report.operators}
    findings = []
    for name, calls in sorted(observation.fallbacks.items()):
        op = packet(name)
        if op in covered:
            continue
        nodes, location = _place_of(report, places.get(op, op), op)
        findings.append(Finding(
            code="TRN102", symbol="host-fallback", severity="warning", category="cpu_fallback",
            message=f"{op} ran on the CPU under torch-xla {observation.torch_xla} ({calls} "
            "call(s)): each call copies its inputs to the host and its result back, and cuts "
            "the device graph there (under torch_neuronx.trace the graph is split)",
            fix="replace the op with ones the backend lowers, or keep it outside the traced "
            "model",
            ops=(places.get(op, op),), nodes=nodes, location=location, provenance=provenance,
            confidence="high"))
    return findings


def _place_of(report: Report, op: str, packet_name: str) -> tuple[tuple[str, ...], Location]:
    """Nodes and source line of ``op``: from a static finding on it, else from a finding on
    the ops it became in the analysed graph (a decomposed op keeps its name as source op)."""
    became = {row.op for row in report.operators
              if packet_name in {packet(source) for source in row.source_ops}}
    for wanted in ({op}, became):
        for finding in report.findings:
            if wanted & set(finding.ops) and finding.nodes:
                return finding.nodes, finding.location
    return (), Location(file=report.model.path)


def _hlo_findings(observation: XlaObservation, provenance: Provenance) -> list[Finding]:
    table = hlo_support()["opcodes"]
    findings = []
    for opcode, count in sorted(observation.hlo_opcodes.items()):
        entry = table.get(opcode)
        if entry is None or entry["status"] != "unsupported":
            continue
        findings.append(Finding(
            code="TRN101", symbol="unsupported-op", severity="error", category="unsupported_op",
            message=f"torch-xla lowered the model to HLO `{opcode}` ({count}×), which neuronx-cc "
            f"does not support: {entry.get('note', 'documented as unsupported')} "
            f"(source: {entry.get('source', 'Neuron documentation')})",
            fix="rewrite the op that produces it (see the operator table) or run it outside "
            "the compiled graph",
            ops=(f"hlo.{opcode}",), nodes=(), location=Location(), provenance=provenance,
            confidence="high"))
    return findings


def _hlo_notes(observation: XlaObservation) -> list[str]:
    support = hlo_support()
    unknown = sorted(op for op in observation.hlo_opcodes
                     if support["opcodes"].get(op, {}).get("status", "unknown") == "unknown")
    foreign = sorted(target for target in observation.custom_calls
                     if target not in support["custom_call_targets"])
    notes = []
    if unknown:
        notes.append("xla probe: neuronx-cc support for HLO " + ", ".join(unknown)
                     + " is not documented (check with torch_neuronx.analyze or a test compile)")
    if foreign:
        notes.append("xla probe: custom calls outside the Neuron stack's targets: "
                     + ", ".join(foreign))
    return notes


@cache
def hlo_support() -> dict[str, Any]:
    """resources/neuron/hlo.yaml: neuronx-cc's HLO opcode support and custom-call targets."""
    import yaml

    from trnport.analyzers.kb.loader import default_kb_dir

    text = (default_kb_dir() / "hlo.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return f": {lines[-1][:200]}" if lines else ""
