"""A saved ``torch_neuronx.analyze()`` result → compiler evidence.

Both documented shapes are read: the inference dict (``supported_operators`` maps aten kinds
to counts, ``unsupported_operators`` lists one entry per rejected node) and the training
``neuron_parallel_compile --command analyze`` dict (the same keys, each split into ``aten``
and ``xla`` parts). Format: ``reference/neuron/torch_neuronx_analyze_format.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.evidence.findings import compiler_finding, location_of_call
from trnport.analyzers.evidence.model import IMPORTED, CompilerEvidence, aten_name, read_bounded

TOOL = "torch_neuronx.analyze"
_KIND = re.compile(r"^[A-Za-z_][\w]*::[\w.]+$")
_COMPLEX_HLO = re.compile(r"\bc(64|128)\[")
_FAILURES = {
    "neuronx-cc": "neuronx-cc rejected it",
    "Lowering to HLO": "torch-xla could not lower it to HLO",
}


class _Schema(Exception):
    """The JSON parsed but is not an analyze() result; the message says what is off."""


def load_analyze_file(path: Path, kind: str = IMPORTED) -> CompilerEvidence:
    """Read and check a saved analyze() JSON; InputError with one line when unusable."""
    path = Path(path)
    data = read_bounded(path, "a torch_neuronx.analyze() JSON result")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a JSON file (binary content)") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    except RecursionError:
        raise InputError(f"{path}: not valid JSON (nested too deeply)") from None
    try:
        return parse_analyze_result(document, source=path.name, kind=kind)
    except _Schema as problem:
        raise InputError(f"{path}: not a torch_neuronx.analyze() result: {problem}") from None


def parse_analyze_result(document: Any, source: str, kind: str = IMPORTED) -> CompilerEvidence:
    """The evidence in an analyze() result already parsed from JSON (or returned by a probe).

    Raises :class:`_Schema` (an ``Exception``) when required keys are missing or mistyped."""
    if not isinstance(document, Mapping):
        raise _Schema(f"expected a JSON object, got {type(document).__name__}")
    for key in ("supported_operators", "unsupported_operators"):
        if key not in document:
            raise _Schema(f"missing key {key!r}")
    cc = _optional_text(document, "neuronx_cc_version")
    tnx = _optional_text(document, "torch_neuronx_version")
    supported_raw, xla_supported = _split(document["supported_operators"], "supported_operators",
                                          dict, list)
    unsupported_raw, xla_unsupported = _split(document["unsupported_operators"],
                                              "unsupported_operators", list, list)
    supported = _supported_counts(supported_raw)
    label = _label(source, cc, tnx)
    rejected: set[str] = set()
    findings = []
    for op, failure, call in _unsupported_nodes(unsupported_raw):
        rejected.add(op)
        version = f" {cc}" if cc and failure == "neuronx-cc" else ""
        reason = _FAILURES.get(failure, f"analyze() failed at {failure!r}").replace(
            "neuronx-cc", f"neuronx-cc{version}", 1)
        findings.append(compiler_finding(
            "TRN101", f"{op}: {reason} (torch_neuronx.analyze)", ops=(op,),
            location=location_of_call(call), kind=kind, source=label))
    for op, instruction in _unsupported_hlo(xla_unsupported):
        code = "TRN203" if _COMPLEX_HLO.search(instruction) else "TRN101"
        findings.append(compiler_finding(
            code, f"{op}: neuronx-cc rejected the HLO instruction `{instruction}`",
            ops=(op,) if op else (), kind=kind, source=label))
    notes = []
    if xla_supported:
        notes.append(f"{len(xla_supported)} HLO instructions compiled")
    return CompilerEvidence(
        kind=kind, source=label, tool=TOOL, neuronx_cc=cc, torch_neuronx=tnx,
        support_percentage=_percentage(document.get("support_percentage")),
        supported_ops=supported, rejected_ops=frozenset(rejected),
        findings=tuple(findings), notes=tuple(notes),
    )


def _label(source: str, cc: str | None, tnx: str | None) -> str:
    versions = ", ".join(v for v in (f"neuronx-cc {cc}" if cc else "",
                                     f"torch-neuronx {tnx}" if tnx else "") if v)
    return f"{TOOL} {source}" + (f" ({versions})" if versions else "")


def _optional_text(document: Mapping, key: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise _Schema(f"{key!r} must be a string")
    return (value.strip() or None) if value else None


def _split(value: Any, key: str, aten_type: type, xla_type: type) -> tuple[Any, list]:
    """The aten part and the xla part: the training layout nests them, inference has aten
    only. A dict with an ``aten`` key is the training layout."""
    if isinstance(value, Mapping) and ("aten" in value or "xla" in value):
        aten = value.get("aten", aten_type())
        xla = value.get("xla", [])
        if not isinstance(aten, aten_type) or not isinstance(xla, xla_type):
            raise _Schema(f"{key!r} has an unexpected layout")
        return aten, xla
    if not isinstance(value, aten_type):
        expected = "an object" if aten_type is dict else "a list"
        raise _Schema(f"{key!r} must be {expected}")
    return value, []


def _supported_counts(raw: Mapping) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, count in raw.items():
        if not isinstance(kind, str) or not _KIND.match(kind):
            raise _Schema(f"supported operator {kind!r} is not an op kind like 'aten::relu'")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise _Schema(f"count of {kind!r} must be a whole number")
        if kind.startswith("aten::"):
            op = aten_name(kind)
            counts[op] = counts.get(op, 0) + count
    return counts


def _unsupported_nodes(raw: list) -> list[tuple[str, str, str | None]]:
    nodes = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise _Schema(f"unsupported_operators[{index}] must be an object")
        kind, failure, call = entry.get("kind"), entry.get("failureAt"), entry.get("call")
        if not isinstance(kind, str) or not _KIND.match(kind):
            raise _Schema(f"unsupported_operators[{index}] has no op 'kind'")
        if not isinstance(failure, str):
            raise _Schema(f"unsupported_operators[{index}] has no 'failureAt'")
        if call is not None and not isinstance(call, str):
            raise _Schema(f"unsupported_operators[{index}].call must be a string")
        nodes.append((aten_name(kind), failure, call))
    return nodes


def _unsupported_hlo(raw: list) -> list[tuple[str | None, str]]:
    items = []
    for index, entry in enumerate(raw):
        instruction = entry.get("hlo_instruction") if isinstance(entry, Mapping) else None
        if not isinstance(instruction, str):
            raise _Schema(f"unsupported_operators.xla[{index}] has no 'hlo_instruction'")
        op = entry.get("aten_op")
        items.append((aten_name(op) if isinstance(op, str) and op else None,
                      " ".join(instruction.split())[:200]))
    return items


def _percentage(value: Any) -> float | None:
    """ "87.50%" → 87.5; anything else → None (the key is informative only)."""
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
