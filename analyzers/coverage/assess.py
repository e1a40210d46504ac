"""The coverage pass: a verdict from the knowledge base for every node, plus dtype issues.

Speed: each distinct op name is resolved and its rules compiled once per pass; a node's
verdict is cached under the op and the few facts its rules read (dtypes, named
attributes, shapes, constness), so a 50,000-node model costs one dict look-up per node for
its repeated layers. Nodes of one configuration (:mod:`trnport.analyzers.graph.configs`)
that agree on which inputs are static share one judgement outright.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trnport.analyzers.coverage.conditions import (
    Context,
    Facts,
    Predicate,
    compile_condition,
    needs_of,
    normalise,
)
from trnport.analyzers.coverage.result import (
    NODE_STATUSES,
    CoverageResult,
    DtypeIssue,
    NodeVerdict,
    severity_for,
    worse,
)
from trnport.analyzers.coverage.stacks import stack_mapper
from trnport.analyzers.coverage.static_values import static_value_names
from trnport.analyzers.graph import Graph, Node
from trnport.analyzers.graph.configs import node_configs

KB_NAMESPACES = ("aten", "onnx", "ai.onnx", "higher_order", "_c10d_functional", "prim")
# Python-level glue that can survive export (scalar arithmetic); never custom kernels
_GLUE_NAMESPACES = ("_operator", "operator", "builtins", "math", "torch", "prims")


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A verdict without the node's name (what the cache stores)."""

    status: str
    reason: str
    code: str | None
    rewrite: str | None
    source: str
    confidence: str
    matched: str
    kb_key: str | None


class _CompiledEntry:
    """An op entry with its rules compiled; ``needs`` lists the facts the rules read."""

    __slots__ = ("aten", "cache", "entry", "needs", "ordered_needs", "rules")

    def __init__(self, entry, families) -> None:
        self.entry = entry
        self.aten = tuple(entry.aten)
        self.rules: list[tuple[Predicate, Any]] = [
            (compile_condition(rule.when, families), rule) for rule in entry.rules
        ]
        self.needs: set[str] = set()
        for rule in entry.rules:
            self.needs |= needs_of(rule.when)
        self.ordered_needs = tuple(sorted(self.needs))
        self.cache: dict[tuple, _Outcome] = {}

    def outcome(self, facts: Facts | None, ctx: Context) -> _Outcome:
        for predicate, rule in self.rules:
            if predicate(facts, ctx):
                return _Outcome(
                    rule.status,
                    rule.reason,
                    rule.code,
                    rule.rewrite,
                    rule.source,
                    rule.confidence,
                    rule.id or "rule",
                    self.entry.key,
                )
        e = self.entry
        return _Outcome(
            e.status, e.reason, e.code, e.rewrite, e.source, e.confidence, "entry", e.key
        )


class _Pass:
    """State of one ``assess_coverage`` call: the context and its caches."""

    def __init__(self, graph: Graph, kb, profile, target, options) -> None:
        self.root = graph
        self.kb = kb
        self.ctx = Context(
            sdk=profile.version,
            family=target.family,
            generation=target.neuroncore,
            mode=getattr(options, "mode", "inference"),
        )
        self.families = kb.dtype_families
        self.ops: dict[str, _CompiledEntry | _Outcome] = {}
        self.issue_rules = [
            (spec, [(compile_condition(r.when, self.families), r) for r in spec.rules])
            for spec in kb.dtype_issues
        ]
        self.issue_cache: dict[tuple, tuple] = {}
        self.static: dict[int, frozenset[str]] = {}

    # ---- operator verdicts ------------------------------------------------------------
    def resolve(self, op: str) -> _CompiledEntry | _Outcome:
        found = self.ops.get(op)
        if found is None:
            entry = self.kb.op(op)
            found = _CompiledEntry(entry, self.families) if entry else _missing(op, self.kb)
            self.ops[op] = found
        return found

    def facts(self, node: Node, graph: Graph, compiled: _CompiledEntry | None) -> Facts:
        values = graph.values
        ins = [values.get(n) if n else None for n in node.inputs]
        outs = [values.get(n) if n else None for n in node.outputs]
        needs = compiled.needs if compiled else ()
        static = self.static_names(graph) if "static" in needs else None
        return Facts(
            op_packet=_packet(node.op),
            aten=compiled.aten if compiled else (),
            in_dtypes=tuple(v.dtype if v else None for v in ins),
            out_dtypes=tuple(v.dtype if v else None for v in outs),
            attrs=node.attributes,
            in_shapes=tuple(v.shape if v else None for v in ins),
            in_static=tuple((n == "" or n in static) for n in node.inputs)
            if static is not None
            else (),
            num_inputs=sum(1 for n in node.inputs if n),
            opset=_opset(self.root) if "opset" in needs else None,
        )

    def reads_static(self, op: str) -> bool:
        """True when the rules of ``op``'s entry read which inputs are static."""
        compiled = self.resolve(op)
        return isinstance(compiled, _CompiledEntry) and "static" in compiled.needs

    def static_names(self, graph: Graph) -> frozenset[str]:
        """Names of the values of ``graph`` known before the model runs (constants)."""
        key = id(graph)
        if key not in self.static:
            outer = frozenset() if graph is self.root else self.static_names(self.root)
            self.static[key] = static_value_names(graph, outer)
        return self.static[key]

    def verdict_outcome(self, node: Node, graph: Graph) -> tuple[_Outcome, Facts | None]:
        compiled = self.resolve(node.op)
        if isinstance(compiled, _Outcome):
            return compiled, None
        if not compiled.rules:
            outcome = compiled.cache.get(())
            if outcome is None:
                outcome = compiled.cache[()] = compiled.outcome(None, self.ctx)
            return outcome, None
        key = self._signature(node, graph, compiled)
        outcome = compiled.cache.get(key)
        if outcome is not None:
            return outcome, None
        facts = self.facts(node, graph, compiled)
        outcome = compiled.outcome(facts, self.ctx)
        compiled.cache[key] = outcome
        return outcome, facts

    def _signature(self, node: Node, graph: Graph, compiled: _CompiledEntry) -> tuple:
        """``_signature(self.facts(node, graph, compiled), compiled.needs)``, reading only
        the facts the entry's rules need (the verdict cache key of every node)."""
        values = graph.values
        key: list[Any] = []
        for need in compiled.ordered_needs:
            if need == "dtypes":
                key.append((
                    tuple(v.dtype if (v := values.get(n) if n else None) else None
                          for n in node.inputs),
                    tuple(v.dtype if (v := values.get(n) if n else None) else None
                          for n in node.outputs),
                ))
            elif need == "shapes":
                key.append(tuple(v.shape if (v := values.get(n) if n else None) else None
                                 for n in node.inputs))
            elif need == "static":
                static = self.static_names(graph)
                key.append(tuple((n == "" or n in static) for n in node.inputs))
            elif need == "opset":
                key.append(_opset(self.root))
            elif need.startswith("attr:"):
                key.append(_freeze(node.attributes.get(need[5:])))
        return tuple(key)

    # ---- dtype issues -----------------------------------------------------------------
    def dtype_outcomes(self, node: Node, graph: Graph, facts: Facts | None) -> tuple:
        # read from the node's own values: this runs once per configuration, and a table
        # of every value's dtype would cost more than all the lookups it serves
        values = graph.values
        dtypes = frozenset(value.dtype for name in (*node.inputs, *node.outputs)
                           if (value := values.get(name)) is not None and value.dtype)
        if not dtypes:
            return ()
        key = (node.op, dtypes)
        cached = self.issue_cache.get(key)
        if cached is None:
            compiled = self.ops.get(node.op)
            aten = compiled.aten if isinstance(compiled, _CompiledEntry) else ()
            packet = _packet(node.op)
            full_key = (packet, aten, dtypes)
            cached = self.issue_cache.get(full_key)
            if cached is None:
                cached = self._issues_for(dtypes, packet, aten)
                self.issue_cache[full_key] = cached
            self.issue_cache[key] = cached
        return cached

    def _issues_for(self, dtypes: frozenset[str], packet: str, aten: tuple[str, ...]) -> tuple:
        found = []
        facts = Facts(
            op_packet=packet,
            aten=aten,
            in_dtypes=(),
            out_dtypes=(),
            attrs={},
            in_shapes=(),
            in_static=(),
            num_inputs=0,
            opset=None,
        )
        for spec, rules in self.issue_rules:
            hit = sorted(dtypes & spec.dtypes)
            if not hit:
                continue
            outcome = (
                spec.status,
                spec.code,
                spec.reason,
                spec.rewrite,
                spec.source,
                spec.confidence,
                spec.id,
            )
            for predicate, rule in rules:
                if predicate(facts, self.ctx):
                    outcome = (
                        rule.status,
                        rule.code,
                        rule.reason,
                        rule.rewrite,
                        rule.source,
                        rule.confidence,
                        f"{spec.id}:{rule.id or 'rule'}",
                    )
                    break
            if outcome[1]:
                found.append((hit[0], *outcome))
        return tuple(found)


def _numbered_walk(graph: Graph) -> Iterable[tuple[Node, Graph, int | None]]:
    """``(node, owner, configuration)`` in :meth:`Graph.walk` order; subgraph-body nodes,
    which are few, have no configuration number (None) and are judged one by one."""
    for node, config in zip(graph.nodes, node_configs(graph).index, strict=True):
        yield node, graph, config
        for body in node.subgraphs:
            for inner, owner in body.walk():
                yield inner, owner, None


def _missing(op: str, kb) -> _Outcome:
    """The outcome for an op without a knowledge-base entry."""
    namespace = op.split("::", 1)[0] if "::" in op else op.split(".", 1)[0]
    if "::" in op and namespace not in ("onnx", "ai.onnx"):
        # no converter exists, so the model never reaches Neuron: a rejection, not a doubt
        return _Outcome(
            "unsupported",
            f"ONNX operator from the non-default domain {namespace!r}: onnx2torch "
            "converts only the default domain and neuronx-cc accepts only known custom calls",
            "TRN106",
            "RW-custom-op-to-nki",
            kb.citation("custom_onnx_domain"),
            "medium",
            "custom-namespace",
            None,
        )
    if "::" not in op and namespace not in KB_NAMESPACES and namespace not in _GLUE_NAMESPACES:
        return _Outcome(
            "unknown",
            f"custom operator from the {namespace!r} namespace: it has no Neuron "
            "lowering unless ported (NKI kernel or Neuron custom C++ operator)",
            "TRN106",
            "RW-custom-op-to-nki",
            kb.citation("custom_op_namespace"),
            "medium",
            "custom-namespace",
            None,
        )
    return _Outcome(
        "unknown",
        "not in the knowledge base; trnport does not assume it works",
        "TRN105",
        None,
        kb.citation("unknown_op"),
        "low",
        "no-entry",
        None,
    )


def _packet(op: str) -> str:
    if "::" in op:
        return op
    parts = op.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else op


def _opset(graph: Graph) -> int | None:
    opset = graph.metadata.get("opset")
    if isinstance(opset, dict):
        value = opset.get("", opset.get("ai.onnx"))
        return int(value) if value is not None else None
    return None


def _freeze(value: Any) -> Any:
    value = normalise(value)
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def _signature(facts: Facts, needs: Iterable[str]) -> tuple:
    """The part of the facts the entry's rules read: the verdict cache key."""
    key: list[Any] = []
    for need in sorted(needs):
        if need == "dtypes":
            key.append((facts.in_dtypes, facts.out_dtypes))
        elif need == "shapes":
            key.append(facts.in_shapes)
        elif need == "static":
            key.append(facts.in_static)
        elif need == "opset":
            key.append(facts.opset)
        elif need.startswith("attr:"):
            key.append(_freeze(facts.attrs.get(need[5:])))
    return tuple(key)


def assess_coverage(graph: Graph, kb, profile, target, options) -> CoverageResult:
    """Give every node of ``graph`` (subgraph bodies included) a status from ``kb`` for
    ``profile`` and ``target``, and list its dtype issues. See :class:`CoverageResult` for
    what ``coverage_pct`` counts."""
    run = _Pass(graph, kb, profile, target, options)
    stack = stack_mapper(kb, profile, target, options)
    verdicts: list[NodeVerdict] = []
    issues: list[DtypeIssue] = []
    counts = dict.fromkeys(NODE_STATUSES, 0)

    def judge(node: Node, owner: Graph) -> tuple[tuple, tuple, bool]:
        """``(verdict fields, dtype issue fields, imported)`` of one node on the chosen
        stack: what its NodeVerdict and DtypeIssues hold after the name and op."""
        outcome, facts = run.verdict_outcome(node, owner)
        found = run.dtype_outcomes(node, owner, facts)
        outcome = stack.outcome(outcome, node, owner)
        status, reason, matched = outcome.status, outcome.reason, outcome.matched
        issue_fields = []
        for dtype, i_status, code, i_reason, rewrite, source, confidence, issue_id in \
                stack.issues(found, node, owner):
            issue_fields.append((code, i_status, i_reason, dtype, rewrite, source, confidence,
                                 issue_id,
                                 severity_for(i_status) if i_status != "supported" else None))
            if status != "unknown" and worse(i_status, status) != status:
                status, reason, matched = i_status, i_reason, f"dtype:{issue_id}"
        fields = (status, reason, outcome.code, outcome.rewrite, outcome.source,
                  outcome.confidence, matched, outcome.kb_key, severity_for(status))
        return fields, tuple(issue_fields), node.name in stack.imported

    # what judge() reads of a node is its configuration, plus which inputs are static for
    # the ops whose rules ask: nodes sharing both share the judgement
    judged: dict[tuple, tuple[tuple, tuple, bool]] = {}
    reads_static: dict[int, bool] = {}
    static: frozenset[str] | None = None  # found when a rule first asks
    for node, owner, config in _numbered_walk(graph):
        if config is None:
            fields, issue_fields, _ = judge(node, owner)
        else:
            needs = reads_static.get(config)
            if needs is None:
                needs = reads_static[config] = run.reads_static(node.op)
            if needs:
                if static is None:
                    static = run.static_names(graph)
                key: tuple = (config, *[(n == "" or n in static) for n in node.inputs])
            else:
                key = (config,)
            known = judged.get(key)
            if known is None:
                known = judged[key] = judge(node, owner)
            elif known[2]:
                stack.imported.add(node.name)
            fields, issue_fields, _ = known
        for issue in issue_fields:
            issues.append(DtypeIssue(node.name, node.op, *issue))
        counts[fields[0]] += 1
        verdicts.append(NodeVerdict(node.name, node.op, *fields))
    total = len(verdicts)
    covered = counts["supported"] + counts["conditional"]
    result = CoverageResult(
        verdicts=tuple(verdicts),
        dtype_issues=tuple(issues),
        counts=counts,
        coverage_pct=100.0 * covered / total if total else 0.0,
        total=total,
        profile=profile.id,
        target=target.family,
    )
    return stack.finish(result)
