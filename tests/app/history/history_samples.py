"""Reports for the history tests, built from the engine's own dataclasses."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from tests.analyzers.report.report_samples import SAMPLE_MEMORY
from trnport.analyzers.results import (
    Finding,
    KbInfo,
    Location,
    ModelInfo,
    Provenance,
    Report,
    Summary,
    TargetInfo,
    ToolInfo,
    verdict_for,
)
from trnport.analyzers.results.memory import MemorySection

PROFILES = {"2.31": ("2.26", "2.9"), "2.32": ("2.27", "2.9")}


def finding(code: str, op: str, *, severity: str = "error", line: int | None = 10,
            file: str | None = "model.py", module: str | None = "Net.block",
            nodes: int = 1, message: str | None = None) -> Finding:
    return Finding(
        code=code, symbol=f"symbol-{code.lower()}", severity=severity, category="unsupported_op",
        message=message or f"{op} does not compile", fix=f"replace {op}",
        ops=(op,), nodes=tuple(f"{op}_{i}" for i in range(nodes)),
        location=Location(file=file, line=line, module=module),
        provenance=Provenance(kind="rule", source="FACTS.md#ops"),
    )


def report(model_path: str | Path, findings: tuple[Finding, ...] = (), *,
           profile: str = "2.31", coverage: float = 90.0, content: bytes | None = None,
           memory: MemorySection | None = None, tool_version: str = "0.1.0",
           instance: str | None = "trn2.48xlarge") -> Report:
    """A report on ``model_path``; its sha256 is that of ``content`` (or of the path)."""
    by_severity = dict.fromkeys(("error", "warning", "info"), 0)
    for item in findings:
        by_severity[item.severity] += 1
    neuronx_cc, torch_neuronx = PROFILES.get(profile, (None, None))
    digest = hashlib.sha256(content if content is not None else str(model_path).encode())
    return Report(
        tool=ToolInfo(name="trnport", version=tool_version),
        kb=KbInfo(profile=profile, neuronx_cc=neuronx_cc, torch_neuronx=torch_neuronx,
                  generated="2026-01-01"),
        target=TargetInfo(family="trn2", instance=instance, mode="inference", dtype="bf16",
                          batch=1, seq_len=None, tp=1),
        model=ModelInfo(path=str(model_path), format="onnx", sha256=digest.hexdigest(),
                        nodes=40, params=1000, param_bytes=2000),
        summary=Summary(verdict=verdict_for(by_severity), coverage_pct=coverage,
                        nodes_by_status={"supported": 36, "conditional": 0, "cpu_fallback": 0,
                                         "unsupported": 4, "unknown": 0},
                        findings_by_severity=by_severity),
        findings=findings,
        operators=(),
        memory=memory,
    )


def many_findings(count: int) -> tuple[Finding, ...]:
    """``count`` distinct findings (for saves that take long enough to be interrupted)."""
    return tuple(finding("TRN101", f"aten.op_{i}", line=i + 1,
                         severity=("error", "warning", "info")[i % 3])
                 for i in range(count))


def memory_section(per_core: int, *, usable: int = 16 * 2**30, params: int = 2000,
                   activations: int = 4096, status: str = "fits",
                   smallest_tp: int | None = 1, kv_cache: int | None = None) -> MemorySection:
    """A memory section whose figures that the history summarises are the ones given."""
    base = SAMPLE_MEMORY
    return dataclasses.replace(
        base,
        core=dataclasses.replace(base.core, usable_bytes_per_core=usable),
        parameters=dataclasses.replace(base.parameters, total_bytes=params),
        activations=dataclasses.replace(base.activations, peak_bytes=activations),
        kv_cache=None if kv_cache is None else dataclasses.replace(base.kv_cache,
                                                                   bytes=kv_cache),
        training_state=None,
        per_core=dataclasses.replace(base.per_core, total_bytes=per_core, usable_bytes=usable,
                                     utilization=round(per_core / usable, 4), status=status),
        smallest_tp=smallest_tp,
    )
