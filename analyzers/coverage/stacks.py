"""The stack layer of the coverage pass: a verdict made from the PyTorch/XLA lowering list,
turned into the verdict of the stack the analysis is for.

The operator entries of the knowledge base describe torch-xla 2.9 (its lowering list, its
conditional CPU fallbacks) and neuronx-cc. On PyTorch/XLA they stand as they are. On
TorchNeuron (trn2/trn3; the only PyTorch stack there from Neuron 2.34) what differs is what
happens to an op the framework does not lower: TorchNeuron runs it on the host CPU by default,
in eager mode and under ``torch.compile`` (awsdocs-neuron
``latest/torch/reference/best-practices-pytorch-neuron.html``). So, per cause of the XLA
verdict (:func:`cause_of`):

- an op with no known lowering to HLO → a CPU fallback (TRN102, a warning) with the bytes it
  copies each way per call; a CUDA-only kernel, which the CPU cannot run either, stays an error;
- what neuronx-cc itself rejects after lowering (dtype, opcode constraints) stays as it is;
- what the documents do not settle for TorchNeuron (a case outside an op's lowering, a
  data-dependent shape, a higher-order op) gets low confidence and says so;
- with an imported TorchNeuron compatibility table, its Y / CPU_FALLBACK / N for the op and the
  node's dtypes wins, with provenance ``imported``.

Whatever the stack, a verdict on an SDK line whose int64 compiler default is not confirmed
names the posture it assumes. The mapper works on the coverage pass's outcome records
(``dataclasses.replace`` keeps their type) and dtype-issue tuples.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from trnport.analyzers.coverage.result import CoverageResult
from trnport.analyzers.graph import Graph, Node
from trnport.analyzers.kb.torchneuron_overlay import (
    CompatIndex,
    CompatTable,
    stored_tables,
    table_for,
)
from trnport.analyzers.results.units import human_bytes

_LOWER = {"high": "medium", "medium": "low", "low": "low"}
_ONNX = ("onnx", "ai.onnx")
_COMPILER_CODES = frozenset({"TRN103", "TRN104", "TRN205"})
# causes a TorchNeuron compatibility table would settle: their reasons say it is missing
_TABLE_WOULD_SETTLE = frozenset({"lowered", "no_lowering", "data_dependent", "case_fallback",
                                 "compiler", "undocumented"})
_PER_NODE = frozenset({"no_lowering", "data_dependent", "case_fallback"})


def torchneuron_table(kb, profile, options) -> CompatTable | None:
    """The imported TorchNeuron table this analysis uses (``options.torchneuron_tables``)."""
    offer = profile.stacks.get("torchneuron")
    tables = stored_tables(getattr(options, "torchneuron_tables", None))
    if offer is None or not tables:
        return None
    older = [v for p in kb.profiles if p.version < profile.version
             for v in (p.stacks["torchneuron"].versions if "torchneuron" in p.stacks else ())]
    return table_for(tables, offer.versions, older)


def has_lowering(entry) -> bool:
    """True when the knowledge base records an ATen→HLO lowering of the op itself (a
    decomposed op is judged by its parts)."""
    return entry is not None and any(e.startswith("torch-xla 2.9 lowering")
                                     for e in entry.evidence)


def _packets(op: str, kb) -> tuple[str, tuple[str, ...]]:
    """(namespace, the ATen packets the op stands for): an ONNX op stands for the ATen ops
    onnx2torch turns it into."""
    if "::" in op and not op.startswith("aten::"):
        namespace = op.split("::", 1)[0]
        entry = kb.op(op)
        return namespace, tuple(entry.aten) if entry is not None else ()
    name = op.replace("::", ".", 1)
    parts = name.split(".")
    return parts[0], (".".join(parts[:2]),) if parts[0] == "aten" else ()


def cause_of(outcome, op: str, kb, spec) -> str:
    """Why the XLA-derived ``outcome`` is what it is, in the words the stack layer maps:
    ``lowered``, ``compiler``, ``no_lowering``, ``no_cpu_kernel``, ``data_dependent``,
    ``case_fallback``, ``host_read``, ``conversion`` (the ONNX → PyTorch step, the same on
    every stack), ``undocumented``, ``unknown``."""
    if outcome.status == "unknown":
        return "unknown"
    if outcome.status == "supported":
        return "lowered"
    namespace, packets = _packets(op, kb)
    if namespace in _ONNX and (not packets or outcome.matched.startswith("onnx2torch")):
        return "conversion"
    if any(p in spec.host_read_ops for p in packets):
        return "host_read"
    code = outcome.code or ""
    if code in _COMPILER_CODES or code.startswith("TRN2"):
        return "compiler"
    if not packets:
        return "undocumented"  # higher-order ops, collectives, TorchScript prim nodes
    full = op.replace("::", ".", 1).rsplit(".", 1)[0] if op.count(".") >= 2 else op
    if any(p in spec.no_cpu_kernel for p in (*packets, full)):
        return "no_cpu_kernel"
    lowered = all(has_lowering(kb.aten(p)) for p in packets)
    if code == "TRN301":
        return "data_dependent"
    if code == "TRN101":
        return "compiler" if lowered else "no_lowering"
    if code == "TRN102":
        return "case_fallback" if lowered else "no_lowering"
    return "undocumented"


class StackMapper:
    """Maps the coverage pass's outcomes for one analysis (see the module docstring).

    ``torchneuron`` is False on PyTorch/XLA, where only the bytes a CPU fallback copies and
    the int64 posture are added."""

    def __init__(self, kb, profile, target, choice, table: CompatTable | None) -> None:
        self.kb = kb
        self.profile = profile
        self.spec = choice.spec
        self.torchneuron = choice.id == "torchneuron"
        self.verdicts: dict[str, Any] = dict(self.spec.verdicts)
        self.table = table
        self.index = CompatIndex(table) if table is not None and self.torchneuron else None
        self.posture = None
        if not profile.int64_confirmed and target.neuroncore in ("v3", "v4"):
            assumed = profile.compiler_defaults.get("int64_assumed", "downcast")
            self.posture = (kb.int64_posture[assumed].format(profile=profile.id),
                            kb.int64_posture["source"])
        self.imported: set[str] = set()
        self._cache: dict[tuple, tuple[Any, bool]] = {}
        self._by_identity: dict[tuple[int, str], tuple[Any, Any]] = {}

    # ---- operator outcomes ------------------------------------------------------------
    def outcome(self, outcome, node: Node, graph: Graph):
        """The stack's outcome for ``node`` in place of the XLA-derived ``outcome``."""
        if not self.torchneuron:
            return self._xla_outcome(outcome, node, graph)
        # the pass keeps one outcome object per op and fact signature, so its identity is a
        # cheap cache key (the entry keeps the object alive, so the id is not reused)
        fast = self._by_identity.get((id(outcome), node.op))
        if fast is not None and fast[0] is outcome:
            return fast[1]
        dtypes = _node_dtypes(node, graph) if self.index is not None else ()
        cause = cause_of(outcome, node.op, self.kb, self.spec)
        per_node = cause in _PER_NODE or self.index is not None
        key = (outcome, node.op, dtypes, _shapes(node, graph) if per_node else None)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._map(outcome, cause, node, graph, dtypes)
        mapped, imported = cached
        if imported:
            self.imported.add(node.name)
        elif not per_node:
            self._by_identity[(id(outcome), node.op)] = (outcome, mapped)
        return mapped

    def _xla_outcome(self, outcome, node: Node, graph: Graph):
        """On PyTorch/XLA the verdict stands; a CPU fallback also says what it copies."""
        if outcome.status != "cpu_fallback" or outcome.code != "TRN102" \
                or "transfer_known" not in self.verdicts:
            return outcome
        key = (outcome, _shapes(node, graph))
        mapped = self._cache.get(key)
        if mapped is None:
            reason = f"{outcome.reason}; {self._transfer(node, graph)}"
            mapped = self._cache[key] = (dataclasses.replace(outcome, reason=reason), False)
        return mapped[0]

    def _map(self, o, cause: str, node: Node, graph: Graph, dtypes) -> tuple[Any, bool]:
        if self.index is not None and cause not in ("conversion", "unknown", "no_cpu_kernel"):
            found = self._from_table(o, cause, node, graph, dtypes)
            if found is not None:
                return found, True
        why = self._why() if cause in _TABLE_WOULD_SETTLE else ""
        v = self.verdicts
        if cause == "lowered":
            return self._replace(o, reason=v["lowered"]["reason"] + why,
                                 source=f"{v['lowered']['source']}; {o.source}",
                                 confidence=_LOWER[o.confidence]), False
        if cause in ("compiler", "undocumented"):
            return self._replace(o, reason=o.reason + v[cause]["suffix"] + why,
                                 source=f"{o.source}; {v[cause].get('source', self.spec.source)}",
                                 confidence="low" if cause == "undocumented"
                                 else _LOWER[o.confidence]), False
        if cause == "unknown":
            suffix = v["unknown"]["suffix"] if o.code == "TRN105" else ""
            return self._replace(o, reason=o.reason + suffix), False
        if cause == "conversion":
            return o, False
        template = v[cause]
        status = "unsupported" if cause == "no_cpu_kernel" else "cpu_fallback"
        code = {"no_cpu_kernel": "TRN101", "data_dependent": "TRN301"}.get(cause, "TRN102")
        if cause == "host_read":
            code = o.code
        reason = template["reason"].format(transfer=self._transfer(node, graph)) + why
        return self._replace(o, status=status, code=code, reason=reason,
                             source=f"{template['source']}; {o.source}",
                             confidence=template.get("confidence", "low")), False

    def _from_table(self, o, cause: str, node: Node, graph: Graph, dtypes):
        assert self.index is not None and self.table is not None
        _, packets = _packets(node.op, self.kb)
        found = [self.index.lookup(p, dtypes) for p in packets]
        found = [f for f in found if f is not None]
        if not found:
            return None
        rank = {"supported": 0, "cpu_fallback": 1, "unsupported": 2}
        verdict = max(found, key=lambda f: rank[f.status])
        if not verdict.exact and cause == "compiler":
            return None  # a guessed row does not overrule a documented compiler constraint
        texts = self.verdicts["imported"]
        row = verdict.row
        values = {"api": row.api, "kind": row.kind or "native", "version": self.table.version,
                  "limitation": row.limitation or "no note",
                  "transfer": self._transfer(node, graph)}
        code = {"supported": None, "cpu_fallback": "TRN102", "unsupported": "TRN101"}
        if verdict.status == "cpu_fallback" and o.code == "TRN301":
            code["cpu_fallback"] = "TRN301"
        return self._replace(
            o, status=verdict.status, code=code[verdict.status],
            reason=texts[{"supported": "native"}.get(verdict.status, verdict.status)].format(
                **values),
            source=texts["source"].format(version=self.table.version,
                                          file=self.table.source_file),
            confidence="high" if verdict.exact else "medium",
            matched=f"imported:{row.api}")

    def _why(self) -> str:
        why = self.verdicts["why"]
        if self.table is None:
            return why["not_imported"]
        return why["unlisted"].format(version=self.table.version)

    def _transfer(self, node: Node, graph: Graph) -> str:
        sizes_in = [_nbytes(graph, name) for name in node.inputs if name]
        sizes_out = [_nbytes(graph, name) for name in node.outputs if name]
        if None in sizes_in or None in sizes_out:
            return self.verdicts["transfer_unknown"]
        return self.verdicts["transfer_known"].format(
            to_host=human_bytes(sum(sizes_in)), from_host=human_bytes(sum(sizes_out)))

    @staticmethod
    def _replace(outcome, **changes):
        if "matched" not in changes and "reason" in changes:
            changes["matched"] = f"{outcome.matched}:stack"
        return dataclasses.replace(outcome, **changes)

    # ---- dtype issues -----------------------------------------------------------------
    def issues(self, issues: tuple, node: Node, graph: Graph) -> tuple:
        """The dtype issues of ``node`` for this stack and SDK line (tuples as the pass
        makes them: dtype, status, code, reason, rewrite, source, confidence, issue id)."""
        if not issues or (not self.torchneuron and self.posture is None):
            return issues
        mapped = []
        for dtype, status, code, reason, rewrite, source, confidence, issue_id in issues:
            override = self.spec.dtype_issues.get(issue_id.split(":", 1)[0]) \
                if self.torchneuron else None
            if override is not None:
                status, reason = override["status"], override["reason"]
                source, confidence = override["source"], override["confidence"]
            if code == "TRN202" and self.posture is not None:
                reason = f"{reason}; {self.posture[0]}"
                source = f"{source}; {self.posture[1]}"
            mapped.append((dtype, status, code, reason, rewrite, source, confidence, issue_id))
        return tuple(mapped)

    # ---- the result -------------------------------------------------------------------
    def finish(self, result: CoverageResult) -> CoverageResult:
        """``result`` with provenance ``imported`` on the verdicts the table decided."""
        if not self.imported:
            return result
        verdicts = tuple(dataclasses.replace(v, provenance="imported")
                         if v.node in self.imported else v for v in result.verdicts)
        return dataclasses.replace(result, verdicts=verdicts)


def _nbytes(graph: Graph, name: str) -> int | None:
    value = graph.values.get(name)
    return value.nbytes if value is not None else None


def _node_dtypes(node: Node, graph: Graph) -> tuple[str, ...]:
    values = graph.values
    return tuple(sorted({v.dtype for n in (*node.inputs, *node.outputs)
                         if n and (v := values.get(n)) is not None and v.dtype}))


def _shapes(node: Node, graph: Graph) -> tuple:
    values = graph.values
    return tuple((v.shape, v.dtype) if (v := values.get(n)) is not None else None
                 for n in (*node.inputs, *node.outputs) if n)


def stack_mapper(kb, profile, target, options) -> StackMapper:
    """The mapper for this analysis (on PyTorch/XLA it only adds the bytes a CPU fallback
    copies and the int64 posture a line leaves open)."""
    choice = kb.stack(profile, target.family, getattr(options, "stack", None))
    table = torchneuron_table(kb, profile, options) if choice.id == "torchneuron" else None
    return StackMapper(kb, profile, target, choice, table)
