"""Generator for ops/aten.yaml: one entry per ATen packet (plus overload overrides) from the
torch-xla lowering table, Neuron's operator notes, the torch dispatcher and curated rules.

Only ``generate`` imports this module; torch is imported inside the functions that need it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from trnport.analyzers.kb.gen_reference import GenerationError, read_csv

STATUS_ORDER = ("supported", "conditional", "cpu_fallback", "unsupported")
_ATEN_NAME = re.compile(r"aten::([A-Za-z_][A-Za-z0-9_]*)(\*)?")


def _packet_of(csv_name: str) -> tuple[str, str]:
    name = csv_name.removeprefix("aten::")
    packet, _, overload = name.partition(".")
    return packet, overload or "default"


def read_xla_lowerings(reference: Path) -> dict[str, dict[str, str]]:
    """packet → {overload: conditional fallback text ('' when none)}."""
    table: dict[str, dict[str, str]] = {}
    for row in read_csv(reference, "torch_xla_aten_lowerings.csv"):
        packet, overload = _packet_of(row["aten_op"])
        table.setdefault(packet, {})[overload] = row["conditional_cpu_fallback"].strip()
    return table


def read_op_notes(reference: Path) -> tuple[set[str], set[str]]:
    """(packets in the official torch-neuronx list, every packet named in aten_op_notes.csv)."""
    official: set[str] = set()
    named: set[str] = set()
    for row in read_csv(reference, "aten_op_notes.csv"):
        for name, wildcard in _ATEN_NAME.findall(row["aten_op_or_pattern"]):
            if wildcard or (name.endswith("_") and row["category"] != "doc_listed_supported"):
                continue
            named.add(name)
            if row["category"] == "doc_listed_supported":
                official.add(name)
    return official, named


def read_hlo_status(reference: Path) -> dict[str, str]:
    return {
        row["hlo_opcode"]: row["neuronx_cc_status"]
        for row in read_csv(reference, "hlo_opcode_status.csv")
    }


def aten_packet_names() -> list[str]:
    """Every ATen packet registered with the dispatcher. (``dir(torch.ops.aten)`` is not
    enough: torch fills that namespace lazily, so it depends on what ran before.)"""
    import torch

    names = {
        name.split("::", 1)[1].split(".", 1)[0]
        for name in torch._C._dispatch_get_all_op_names()
        if name.startswith("aten::")
    }
    return sorted(names)


def core_overloads() -> list[str]:
    """Every core ATen overload of the installed torch, as ``aten.<packet>.<overload>``."""
    import torch

    found = []
    for name in aten_packet_names():
        packet = getattr(torch.ops.aten, name, None)
        if packet is None or not hasattr(packet, "overloads"):
            continue
        for overload in packet.overloads():
            if torch.Tag.core in getattr(packet, overload).tags:
                found.append(f"aten.{name}.{overload}")
    return sorted(found)


def core_packets() -> set[str]:
    """Packets with at least one overload tagged torch.Tag.core in the installed torch."""
    return {name.split(".")[1] for name in core_overloads()}


def decomposition_key(packet: str) -> str | None:
    """'CompositeImplicitAutograd' / 'CompositeExplicitAutograd' when some overload of the
    packet has such a kernel in the installed torch, else None."""
    import torch

    ops = getattr(torch.ops.aten, packet, None)
    if ops is None or not hasattr(ops, "overloads"):
        return None
    found = set()
    for overload in ops.overloads():
        qualified = f"aten::{packet}" + ("" if overload == "default" else f".{overload}")
        for key in ("CompositeImplicitAutograd", "CompositeExplicitAutograd"):
            try:
                if torch._C._dispatch_has_kernel_for_dispatch_key(qualified, key):
                    found.add(key)
            except RuntimeError:  # TorchScript-only builtins are not in the dispatcher
                continue
    for key in ("CompositeImplicitAutograd", "CompositeExplicitAutograd"):
        if key in found:
            return key
    return None


def _lowering_of(packet: str, xla: dict[str, dict[str, str]]) -> tuple[str, dict[str, str]] | None:
    """The torch-xla table entry that covers ``packet``: itself, its in-place or functional
    sibling, or its ``_copy`` variant (torch-xla functionalizes views into *_copy ops)."""
    for candidate in (packet, f"{packet}_", packet.rstrip("_"), f"{packet}_copy"):
        if candidate and candidate in xla:
            return candidate, xla[candidate]
    return None


def derive_entry(packet: str, xla, official, hlo_map, hlo_status, torch_version,
                 sources: dict[str, str]) -> dict[str, Any]:
    """The entry the evidence alone supports, before curated overrides; ``sources`` are the
    curated file's ``x-sources`` (what each kind of evidence cites)."""
    lowering = _lowering_of(packet, xla)
    is_official = packet in official or f"{packet}_" in official
    hlo = hlo_map.get(f"aten.{packet}", [])
    hlo_documented = bool(hlo) and all(hlo_status.get(op) == "documented_supported" for op in hlo)
    evidence = []
    if lowering:
        name, overloads = lowering
        evidence.append(f"torch-xla 2.9 lowering: aten::{name} ({', '.join(sorted(overloads))})")
    if is_official:
        evidence.append("listed in the official torch-neuronx operator list (2022)")
    if hlo:
        evidence.append("HLO " + ", ".join(f"{op} ({hlo_status.get(op, 'unknown')})" for op in hlo))
    if lowering or is_official:
        cited = [sources["xla"]] if lowering else []
        if is_official:
            cited.append(sources["official"])
        if hlo_documented:
            cited.append(sources["hlo_tables"])
        high = is_official or hlo_documented
        reason = (
            "torch-xla lowers it to HLO"
            if lowering
            else "in the official torch-neuronx operator list"
        )
        if hlo_documented:
            reason += " and the HLO it becomes is in neuronx-cc's supported-operator table"
        elif is_official and lowering:
            reason += "; in the official torch-neuronx operator list"
        if not high:
            reason += "; no Neuron-specific statement about this op"
        return _entry(
            "supported", None, reason, "; ".join(cited), "high" if high else "medium", evidence
        )
    key = decomposition_key(packet)
    if key is not None:
        evidence.append(f"{key} kernel in torch {torch_version}")
        confidence = "medium" if key == "CompositeImplicitAutograd" else "low"
        reason = (
            f"no torch-xla lowering of its own; PyTorch decomposes it ({key}) into other ATen "
            "ops before torch-xla sees them, so the verdict rests on those ops (trnport's "
            "inference from the torch dispatcher, not an AWS statement)"
        )
        source = sources["dispatcher"].format(version=torch_version, key=key)
        return _entry("supported", None, reason, source, confidence, evidence)
    reason = (
        "no torch-xla 2.9 lowering and no PyTorch decomposition found: torch-xla runs such ops "
        "on the host CPU (graph break) and torch_neuronx.trace fails on them; no Neuron "
        "statement names this op"
    )
    entry = _entry("cpu_fallback", "TRN102", reason, sources["fallback"], "low", evidence)
    entry["rewrite"] = "RW-partition-to-cpu"
    return entry


def _entry(status, code, reason, source, confidence, evidence) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": status}
    if code:
        entry["code"] = code
    entry.update(reason=reason, source=source, confidence=confidence)
    if evidence:
        entry["evidence"] = evidence
    return entry


def _merge(derived: dict[str, Any], curated: dict[str, Any]) -> dict[str, Any]:
    merged = dict(derived)
    for field in ("status", "code", "reason", "rewrite", "source", "confidence", "rules"):
        if field in curated:
            merged[field] = curated[field]
    if merged.get("status") == "supported" and "code" not in curated:
        merged.pop("code", None)
    order = ("status", "code", "reason", "rewrite", "source", "confidence", "evidence", "rules")
    return {k: merged[k] for k in order if merged.get(k) is not None}


def build_aten(reference: Path, curated: dict, extra_packets: set[str]) -> dict[str, Any]:
    """Every ATen entry, keyed ``aten.<packet>`` (and ``aten.<packet>.<overload>`` where the
    curated file overrides a single overload), in sorted key order."""
    import torch

    torch_version = torch.__version__.split("+")[0]
    xla = read_xla_lowerings(reference)
    official, named = read_op_notes(reference)
    hlo_status = read_hlo_status(reference)
    hlo_map = curated.get("hlo", {})
    sources = curated["x-sources"]
    entries_cur: dict[str, dict] = curated.get("entries", {})
    packets = core_packets() | set(xla) | official | named | extra_packets
    packets |= set(curated.get("extra_ops", []))
    packets |= {key.split(".")[1] for key in entries_cur}

    def curated_for(key: str, packet: str) -> dict:
        return entries_cur.get(key) or entries_cur.get(f"aten.{packet.rstrip('_')}") or {}

    out: dict[str, Any] = {}
    for packet in sorted(packets):
        derived = derive_entry(packet, xla, official, hlo_map, hlo_status, torch_version, sources)
        cur = curated_for(f"aten.{packet}", packet)
        _check_fallback_covered(packet, xla, cur, entries_cur)
        out[f"aten.{packet}"] = _merge(derived, cur)
    for key in sorted(k for k in entries_cur if k.count(".") == 2):
        packet = key.split(".")[1]
        base = derive_entry(packet, xla, official, hlo_map, hlo_status, torch_version, sources)
        out[key] = _merge(base, entries_cur[key])
    return dict(sorted(out.items()))


def _check_fallback_covered(packet, xla, curated_entry, entries_cur) -> None:
    """A torch-xla row with a CPU-fallback condition must be modelled by a curated entry."""
    conditions = {ov: text for ov, text in xla.get(packet, {}).items() if text}
    if not conditions or curated_entry:
        return
    if any(key.startswith(f"aten.{packet}.") for key in entries_cur):
        return
    raise GenerationError(
        f"aten.{packet}: torch-xla documents a CPU fallback ({next(iter(conditions.values()))!r}) "
        "but curated/aten.yaml has no entry for it"
    )
