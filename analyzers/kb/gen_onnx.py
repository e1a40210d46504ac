"""Generator for ops/onnx.yaml: one entry per ONNX default-domain operator of the installed
onnx, derived from the ATen entries of the ops onnx2torch converts it into.

Neuron has no ONNX compiler: the documented path is ONNX → PyTorch → torch-neuronx (FACTS.md
§1), so an ONNX op inherits the worst verdict of its ATen ops, plus ONNX-specific rules
(attributes, constness, the opset versions onnx2torch converts). onnx is imported inside
the functions that need it.
"""

from __future__ import annotations

from typing import Any

from trnport.analyzers.kb.gen_aten import STATUS_ORDER
from trnport.analyzers.kb.gen_reference import GenerationError

CONFIDENCE_ORDER = ("low", "medium", "high")
# Rule conditions that do not read the node, so an ATen rule using only these applies to
# the ONNX node that becomes that ATen op.
_NODE_FREE_KEYS = {"sdk", "target", "generation", "mode"}


def default_domain_ops() -> dict[str, list[int]]:
    """ONNX default-domain op type → sorted since_versions, from the installed onnx."""
    import onnx.defs

    versions: dict[str, set[int]] = {}
    for schema in onnx.defs.get_all_schemas_with_history():
        if schema.domain in ("", "ai.onnx"):
            versions.setdefault(schema.name, set()).add(schema.since_version)
    return {name: sorted(v) for name, v in sorted(versions.items())}


def max_opset() -> int:
    import onnx.defs

    return onnx.defs.onnx_opset_version()


def _opset_rules(
    op: str, since: list[int], converted: list[int], top: int, prefix: str, converter_file: str,
    faq: str,
) -> list[dict[str, Any]]:
    """Rules marking the opset ranges whose schema version onnx2torch has no converter for."""
    rules = []
    ranges: list[list[int]] = []
    for index, version in enumerate(since):
        last = since[index + 1] - 1 if index + 1 < len(since) else top
        if version in converted:
            continue
        if ranges and ranges[-1][1] == version - 1:
            ranges[-1][1] = last
        else:
            ranges.append([version, last])
    for low, high in ranges:
        rules.append(
            {
                "id": f"onnx2torch-no-{op.lower()}-opset-{low}",
                "when": {"opset": {"min": low, "max": high}},
                "status": "unsupported",
                "code": "TRN101",
                "reason": (
                    f"onnx2torch {prefix.split()[1]} converts {op} only in schema versions "
                    f"{', '.join(map(str, converted))}; opsets {low}-{high} select another "
                    "version, "
                    "so the ONNX -> PyTorch -> torch-neuronx path cannot convert it"
                ),
                "rewrite": "RW-onnx-opset-downgrade",
                "source": f"{prefix} {converter_file}, node_converters/registry.py; {faq}",
                "confidence": "high",
            }
        )
    return rules


def _inherited_rules(aten_entries: list[dict]) -> list[dict[str, Any]]:
    """ATen rules that do not read the node (SDK, target, mode) carry over unchanged."""
    rules = []
    for entry in aten_entries:
        for rule in entry.get("rules", []):
            if set(rule["when"]) <= _NODE_FREE_KEYS:
                rules.append(rule)
    return rules


def _worst(aten_ops: list[str], entries: list[dict]) -> tuple[str, dict]:
    ranked = sorted(
        zip(aten_ops, entries, strict=True), key=lambda pair: -STATUS_ORDER.index(pair[1]["status"])
    )
    return ranked[0]


def _converted_entry(op: str, conv: dict, aten: dict[str, Any], prefix: str,
                     faq: str) -> dict[str, Any]:
    aten_ops = list(conv["aten"])
    missing = [a for a in aten_ops if a not in aten]
    if missing:
        raise GenerationError(f"ONNX {op}: mapped ATen ops missing from the KB: {missing}")
    if not aten_ops:
        return {
            "status": "supported",
            "reason": "onnx2torch converts it without an ATen operator",
            "source": f"{prefix} {conv['file']}; {faq}",
            "confidence": "medium",
            "aten": [],
        }
    entries = [aten[a] for a in aten_ops]
    worst_op, worst = _worst(aten_ops, entries)
    reason = f"onnx2torch converts it to {', '.join(aten_ops)}"
    if worst["status"] != "supported":
        reason += f"; {worst_op}: {worst['reason']}"
    confidence = min((e["confidence"] for e in entries), key=CONFIDENCE_ORDER.index)
    entry: dict[str, Any] = {"status": worst["status"]}
    if worst.get("code"):
        entry["code"] = worst["code"]
    entry["reason"] = reason
    if worst.get("rewrite"):
        entry["rewrite"] = worst["rewrite"]
    entry["source"] = f"{prefix} {conv['file']}; {faq}; {worst_op}: {worst['source']}"
    entry["confidence"] = confidence
    entry["aten"] = aten_ops
    return entry


def _unconverted_entry(op: str, prefix: str, extra: dict | None, faq: str) -> dict[str, Any]:
    reason = (
        f"onnx2torch {prefix.split()[1]} has no converter for {op}, so the documented "
        "ONNX -> PyTorch -> torch-neuronx path cannot take it"
    )
    source = f"{prefix} onnx2torch/node_converters (no converter); {faq}"
    if extra:
        reason = f"{reason}; {extra['reason']}"
        source = f"{source}; {extra['source']}"
    return {
        "status": "unsupported",
        "code": (extra or {}).get("code", "TRN101"),
        "reason": reason,
        "rewrite": "RW-onnx-op-in-pytorch",
        "source": source,
        "confidence": "medium",
    }


def build_onnx(o2t: dict, curated: dict, aten: dict[str, Any]) -> dict[str, Any]:
    """Every ONNX default-domain op of the installed onnx, keyed by op type, sorted."""
    prefix = o2t["source_prefix"]
    faq = curated["x-sources"]["neuron_onnx_path"]
    converters = o2t["converters"]
    curated_entries = curated.get("entries", {})
    unconverted = curated.get("unconverted", {})
    top = max_opset()
    out: dict[str, Any] = {}
    for op, since in default_domain_ops().items():
        conv = converters.get(op)
        if conv is None:
            out[op] = _unconverted_entry(op, prefix, unconverted.get(op), faq)
            continue
        entry = _converted_entry(op, conv, aten, prefix, faq)
        cur = curated_entries.get(op, {})
        for field in ("status", "code", "reason", "rewrite", "source", "confidence"):
            if field in cur:
                entry[field] = cur[field]
        if entry["status"] == "supported" and "code" not in cur:
            entry.pop("code", None)
        rules = _opset_rules(op, since, conv["versions"], top, prefix, conv["file"], faq)
        rules += [_clean_rule(r) for r in cur.get("rules", [])]
        rules += _inherited_rules([aten[a] for a in conv["aten"]])
        if rules:
            entry["rules"] = rules
        out[op] = entry
    unknown = set(curated_entries) - set(out)
    if unknown:
        raise GenerationError(
            f"curated/onnx.yaml names ops the installed onnx lacks: {sorted(unknown)}"
        )
    return out


def _clean_rule(rule: dict) -> dict:
    order = ("id", "when", "status", "code", "reason", "rewrite", "source", "confidence")
    return {k: rule[k] for k in order if k in rule}
