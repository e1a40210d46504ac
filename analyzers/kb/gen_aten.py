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


def read_xla_autograd_names(reference: Path) -> list[str]:
    """The ``aten::op[.overload]`` names torch-xla 2.9 registers in the ``autograd`` section
    of its native-functions table (on the AutogradXLA key, ahead of functionalization)."""
    return [row["aten_op"] for row in read_csv(reference, "torch_xla_aten_lowerings.csv")
            if "autograd" in row["codegen_sections"].split("|")]


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


# How the dispatcher serves an op overload on the XLA device when torch-xla registers no
# kernel for it (c10 OperatorEntry::computeDispatchTableEntry): a CompositeImplicitAutograd
# kernel decomposes it before any backend sees it; a CompositeExplicitAutograd kernel is
# registered for every backend key, so it runs on the device and calls other ATen ops there;
# CompositeExplicitAutogradNonFunctional kernels exclude XLA, so those ops, like ops with only
# CPU/CUDA kernels, reach torch-xla's CPU fallback.
IMPLICIT, EXPLICIT, NO_KERNEL = "implicit", "explicit", "no_kernel"
_KIND_KEYS = (("CompositeImplicitAutograd", IMPLICIT), ("CompositeExplicitAutograd", EXPLICIT))


def functional_overloads(packet: str) -> list[str]:
    """The overloads of ``packet`` that can appear in a functionalized graph: neither
    ``out=`` variants nor in-place or otherwise mutating schemas; [] for non-dispatcher names."""
    import torch

    ops = getattr(torch.ops.aten, packet, None)
    if ops is None or not hasattr(ops, "overloads"):
        return []
    found = []
    for overload in ops.overloads():
        schema = getattr(ops, overload)._schema
        if schema.is_mutable or any(arg.is_out for arg in schema.arguments):
            continue
        if _dispatcher_kind(packet, overload) is not None:
            found.append(overload)
    return sorted(found)


def _dispatcher_kind(packet: str, overload: str) -> str | None:
    """IMPLICIT / EXPLICIT / NO_KERNEL for the overload on XLA, None when the dispatcher
    does not know it (TorchScript-only builtins such as ``aten::remainder.int``)."""
    import torch

    qualified = f"aten::{packet}" + ("" if overload == "default" else f".{overload}")
    for key, kind in _KIND_KEYS:
        try:
            if torch._C._dispatch_has_kernel_for_dispatch_key(qualified, key):
                return kind
        except RuntimeError:
            return None
    return NO_KERNEL


def _lowering_of(packet: str, xla: dict[str, dict[str, str]]) -> tuple[str, dict[str, str]] | None:
    """The torch-xla table entry that covers ``packet``: itself, its in-place or functional
    sibling, or its ``_copy`` variant (torch-xla functionalizes views into *_copy ops)."""
    for candidate in (packet, f"{packet}_", packet.rstrip("_"), f"{packet}_copy"):
        if candidate and candidate in xla:
            return candidate, xla[candidate]
    return None


def _lowered_overloads(packet: str, xla: dict[str, dict[str, str]]) -> tuple[str, set[str]] | None:
    """(torch-xla table packet, the overloads of ``packet`` it lowers) or None."""
    lowering = _lowering_of(packet, xla)
    if lowering is None:
        return None
    name, overloads = lowering
    return name, set(overloads)


def derive_overloads(packet: str, xla, official, hlo_map, hlo_status, torch_version,
                     sources: dict[str, str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the packet's entry, {overload: entry} for the overloads whose verdict differs).

    The packet's entry is that of its ``default`` overload (else its first lowered one):
    each overload is judged as the dispatcher serves it on the XLA device — lowered by
    torch-xla, decomposed (CompositeImplicitAutograd), run by the CompositeExplicitAutograd
    kernel, or sent to the CPU fallback."""
    overloads = functional_overloads(packet)
    lowered = _lowered_overloads(packet, xla)
    if not overloads:
        return derive_entry(packet, xla, official, hlo_map, hlo_status, torch_version,
                            sources, None), {}
    lowered_set = lowered[1] if lowered else set()
    primary = "default" if "default" in overloads else next(
        (o for o in overloads if o in lowered_set), overloads[0])
    # the 2022 list names packets: it vouches for the packet's main overload only
    entries = {
        overload: derive_entry(packet, xla, official if overload == primary else set(),
                               hlo_map, hlo_status, torch_version, sources, overload)
        for overload in overloads
    }
    main = entries[primary]
    differing = {o: e for o, e in entries.items() if e["status"] != main["status"]}
    return main, differing


def derive_entry(packet: str, xla, official, hlo_map, hlo_status, torch_version,
                 sources: dict[str, str], overload: str | None = None) -> dict[str, Any]:
    """The entry the evidence alone supports for ``overload`` of ``packet`` (None: the
    packet as a whole, for names the dispatcher does not know), before curated overrides;
    ``sources`` are the curated file's ``x-sources`` (what each kind of evidence cites)."""
    lowering = _lowered_overloads(packet, xla)
    if lowering and overload is not None and overload not in lowering[1]:
        lowering = None
    is_official = packet in official or f"{packet}_" in official
    hlo = hlo_map.get(f"aten.{packet}", [])
    hlo_documented = bool(hlo) and all(hlo_status.get(op) == "documented_supported" for op in hlo)
    evidence = []
    if lowering:
        name, overloads = lowering
        evidence.append(f"torch-xla 2.9 lowering: aten::{name} ({', '.join(sorted(overloads))})")
    kind = _dispatcher_kind(packet, overload) if overload is not None else None
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
    if overload is None:
        kind = _packet_kind(packet)
    if kind == IMPLICIT:
        evidence.append(f"CompositeImplicitAutograd kernel in torch {torch_version}")
        return _entry("supported", None, sources["implicit_reason"],
                      sources["implicit"].format(version=torch_version), "medium", evidence)
    mutating = _mutating_original(packet, overload) if kind == EXPLICIT else None
    if mutating is not None and _lowered_overloads(mutating[0], xla) is None:
        # a functional variant functionalization generated: its kernel clones the inputs and
        # calls the mutating op, which is what reaches torch-xla (and its CPU fallback)
        evidence.append(f"generated functional variant of aten::{mutating[0]}")
        reason = sources["generated_reason"].format(op=f"aten::{mutating[0]}")
        cited = sources["generated"].format(version=torch_version)
        entry = _entry("cpu_fallback", "TRN102", reason, cited, "medium", evidence)
        entry["rewrite"] = "RW-partition-to-cpu"
        return entry
    if kind == EXPLICIT:
        evidence.append(f"CompositeExplicitAutograd kernel in torch {torch_version}")
        return _entry("supported", None, sources["explicit_reason"],
                      sources["explicit"].format(version=torch_version), "low", evidence)
    reason = sources["fallback_reason"].format(op=f"aten::{packet}")
    entry = _entry("cpu_fallback", "TRN102", reason, sources["fallback"], "medium", evidence)
    entry["rewrite"] = "RW-partition-to-cpu"
    return entry


def _mutating_original(packet: str, overload: str | None) -> tuple[str, str] | None:
    """(packet, overload) of the mutating op a generated functional variant wraps
    (``cauchy`` → ``cauchy_``, ``_batch_norm_with_update_functional`` →
    ``_batch_norm_with_update``); None for an op torch did not generate."""
    import torch

    ops = getattr(torch.ops.aten, packet, None)
    op = getattr(ops, overload or "default", None) if ops is not None else None
    if op is None or torch.Tag.generated not in op.tags:
        return None
    name = packet.removesuffix("_functional") if packet.endswith("_functional") \
        else f"{packet}_"
    original = getattr(torch.ops.aten, name, None)
    if original is None or not hasattr(original, "overloads"):
        return None
    return name, overload or "default"


def _packet_kind(packet: str) -> str | None:
    """How a name the dispatcher does not list overload by overload is served (TorchScript
    builtins, Python-level names): its first known overload's kind, else None."""
    for overload in ("default", *sorted(functional_overloads(packet))):
        kind = _dispatcher_kind(packet, overload)
        if kind is not None:
            return kind
    return None


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
    packets |= set(curated.get("extra_ops", [])) | set(curated.get("opinfo_ops", []))
    packets |= {key.split(".")[1] for key in entries_cur}

    def curated_for(key: str, packet: str) -> dict:
        return entries_cur.get(key) or entries_cur.get(f"aten.{packet.rstrip('_')}") or {}

    out: dict[str, Any] = {}
    for packet in sorted(packets):
        derived, overloads = derive_overloads(packet, xla, official, hlo_map, hlo_status,
                                              torch_version, sources)
        cur = curated_for(f"aten.{packet}", packet)
        _check_fallback_covered(packet, xla, cur, entries_cur)
        out[f"aten.{packet}"] = _merge(derived, cur)
        if "status" in cur:
            continue  # a curated verdict for the packet covers every overload
        inherited = {"rules": cur["rules"]} if "rules" in cur else {}
        for overload, entry in overloads.items():
            out[f"aten.{packet}.{overload}"] = _merge(entry, inherited)
    for key in sorted(k for k in entries_cur if k.count(".") == 2):
        packet, overload = key.split(".")[1:]
        base = derive_entry(packet, xla, official, hlo_map, hlo_status, torch_version, sources,
                            overload if overload in functional_overloads(packet) else None)
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
