"""Export a few layers of a deep layer stack and replicate them on the IR.

Exporting and decomposing a 32- or 80-layer transformer takes far longer than the analysis
budget, yet its layers are copies of one another. So the Hugging Face loader exports a copy of
the config with ``E`` layers and this module clones the last exported period of layers until
the graph has all ``N``, as if the full model had been exported.

Vocabulary, with layers ``0..E-1`` exported and a repeating pattern of ``P`` layers:

* the *template* is the span of nodes of layers ``E-P..E-1``; it is cloned ``(N-E)/P`` times;
* the *reference* is the span of layers ``E-2P..E-P-1``; the template must match it node for
  node (ops, attributes, shapes, wiring, relative module paths), which proves that the layers
  really are copies before anything is cloned;
* a template input produced in the reference span is *carried* (the previous period's output,
  e.g. the hidden state), one produced before it is *shared* (rotary tables, the mask), and one
  named after a template layer (``model.layers.1.mlp.up_proj.weight``) is *layer-owned* and is
  renamed for each clone together with its :class:`Param`.

Planning (:func:`plan_replication`) reads the meta-device ``nn.Module`` tree to find the layer
stack and its period from per-layer structural signatures; :func:`replicate_layers` only
touches the IR. Anything unexpected raises :class:`ReplicationRefused` and the loader exports
the full model instead: replication is an optimisation and must never change the result.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from trnport.analyzers.graph import Graph, Node, Value

#: Replicate only stacks deeper than this; shallower models export fast enough in full.
MIN_LAYERS = 5
#: Longest repeating pattern of layer types searched for (e.g. 5 sliding + 1 full = 6).
MAX_PERIOD = 8
#: Most leading layers allowed to differ from the repeating pattern (dense-then-MoE stacks).
MAX_LEADING = 4
#: Names of the ``nn.ModuleList`` that holds the layers: ``model.layers``, GPT-2's
#: ``transformer.h``, BERT's ``encoder.layer``, ``blocks`` in many vision towers.
STACK_NAMES = ("layers", "h", "layer", "blocks")
#: Attributes that hold a layer's own index; they differ by design between copies.
_INDEX_ATTRIBUTES = frozenset({"layer_idx", "layer_id", "layer_index", "layer_number", "idx"})

_LIFTED_COUNTER = re.compile(r"lifted_tensor_\d+")

T = TypeVar("T")


class ReplicationRefused(Exception):
    """The layers are not provably identical; export the full model instead."""


@dataclass(frozen=True)
class ReplicationPlan:
    """Export ``exported`` of ``total`` layers under ``prefix``; they repeat every ``period``."""

    prefix: str
    total: int
    exported: int
    period: int
    role: str = ""  # "decoder" (causal attention), "encoder", or "" when unknown

    @property
    def copies(self) -> int:
        """How many times the template period is cloned."""
        return (self.total - self.exported) // self.period

    @property
    def template_layers(self) -> range:
        return range(self.exported - self.period, self.exported)

    def template_layer(self, layer: int) -> int:
        """The exported template layer that ``layer`` is a copy of."""
        first = self.exported - self.period
        return first + (layer - first) % self.period

    def as_metadata(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "total": self.total, "exported": self.exported,
                "period": self.period, "role": self.role}

    def diagnostic(self) -> str:
        """One line for the report: how much was exported and that the rest was cloned."""
        role = f"{self.role} " if self.role else ""
        if self.period == 1:
            return (f"exported {self.exported} of {self.total} identical {role}layers "
                    "and replicated them")
        return (f"exported {self.exported} of {self.total} {role}layers (a pattern repeating "
                f"every {self.period} layers) and replicated them")


# --- planning on the module tree ------------------------------------------------------------

def _plain(value: Any) -> bool:
    if isinstance(value, (bool, int, float, str, type(None))):
        return True
    return isinstance(value, (tuple, list)) and all(_plain(v) for v in value)


def _layer_signature(layer: Any, layer_type: Any) -> tuple:
    """What makes two layers interchangeable: submodule classes, plain attributes, tensors."""
    parts: list[Any] = [layer_type]
    for name, module in layer.named_modules():
        attributes = tuple(sorted(
            (key, repr(value)) for key, value in vars(module).items()
            if not key.startswith("_") and key not in _INDEX_ATTRIBUTES and _plain(value)
        ))
        parts.append((name, type(module).__qualname__, attributes))
    for name, tensor in (*layer.named_parameters(), *layer.named_buffers()):
        parts.append((name, tuple(tensor.shape), str(tensor.dtype)))
    return tuple(parts)


def _find_stack(model: Any, total: int) -> tuple[str, Any] | None:
    stacks = [
        (name, module) for name, module in model.named_modules()
        if type(module).__name__ == "ModuleList" and len(module) == total
        and name.rsplit(".", 1)[-1] in STACK_NAMES
    ]
    return stacks[0] if len(stacks) == 1 else None


def layer_signatures(model: Any, config: Any, prefix: str) -> list[tuple]:
    """One structural signature per layer of the stack at ``prefix``."""
    stack = model.get_submodule(prefix)
    layer_types = getattr(config, "layer_types", None)
    per_layer = layer_types if isinstance(layer_types, (list, tuple)) and len(
        layer_types) == len(stack) else [None] * len(stack)
    return [_layer_signature(layer, kind) for layer, kind in zip(stack, per_layer, strict=True)]


def choose_export_depth(signatures: list[tuple]) -> tuple[int, int] | None:
    """(layers to export, period) of the cheapest valid split, or None when there is none."""
    total = len(signatures)
    best: tuple[int, int] | None = None
    for period in range(1, MAX_PERIOD + 1):
        for leading in range(MAX_LEADING + 1):
            if leading + 2 * period > total:
                break
            if any(signatures[i] != signatures[i - period]
                   for i in range(leading + period, total)):
                continue
            exported = leading + 2 * period + (total - leading - 2 * period) % period
            if exported < total and (best is None or exported < best[0]):
                best = (exported, period)
            break  # a longer leading run for the same period only exports more
    return best


def plan_replication(model: Any, config: Any) -> ReplicationPlan | None:
    """A plan when ``model`` has one deep stack of repeating layers, else None (export all)."""
    total = getattr(config, "num_hidden_layers", None)
    if not isinstance(total, int) or total < MIN_LAYERS or getattr(
            config, "is_encoder_decoder", False):
        return None
    found = _find_stack(model, total)
    if found is None:
        return None
    prefix = found[0]
    split = choose_export_depth(layer_signatures(model, config, prefix))
    if split is None:
        return None
    return ReplicationPlan(prefix=prefix, total=total, exported=split[0], period=split[1],
                           role=_layer_role(found[1][0]))


def _layer_role(layer: Any) -> str:
    """Decoder or encoder, from the ``is_causal`` flag HF attention modules carry."""
    flags = {getattr(m, "is_causal", None) for _, m in layer.named_modules()} - {None}
    return {frozenset({True}): "decoder", frozenset({False}): "encoder"}.get(frozenset(flags), "")


def reduced_config(config: Any, plan: ReplicationPlan) -> Any:
    """A copy of ``config`` with ``plan.exported`` layers; per-layer lists are cut to match."""
    reduced = copy.deepcopy(config)
    for key, value in list(vars(reduced).items()):
        per_layer = isinstance(value, (list, tuple)) and len(value) == plan.total
        if per_layer and not key.startswith("_"):
            setattr(reduced, key, type(value)(value[: plan.exported]))
    reduced.num_hidden_layers = plan.exported  # attribute_map turns this into n_layer etc.
    return reduced


def check_reduced_model(full: Any, reduced: Any, config: Any, plan: ReplicationPlan) -> None:
    """Refuse unless the reduced model's layers and replicated parameters match ``full``'s."""
    full_signatures = layer_signatures(full, config, plan.prefix)
    if layer_signatures(reduced, reduced.config, plan.prefix) != full_signatures[: plan.exported]:
        raise ReplicationRefused("the reduced model's layers differ from the full model's")
    names = _LayerNames(plan)
    reduced_params = [(n, tuple(p.shape)) for n, p in reduced.named_parameters()]
    expanded = expand_layer_items(
        reduced_params, plan, lambda item: names.layer_of(item[0]),
        lambda item, k: (names.relayer(item[0], k), item[1]))
    if expanded != [(n, tuple(p.shape)) for n, p in full.named_parameters()]:
        raise ReplicationRefused("parameters outside the layer stack differ with depth")


# --- names and ordering ---------------------------------------------------------------------

class _LayerNames:
    """Recognise and rewrite layer indices in dotted (``model.layers.3.x``) and FX-mangled
    (``p_model_layers_3_x``) names."""

    def __init__(self, plan: ReplicationPlan) -> None:
        dotted = re.escape(plan.prefix)
        mangled = re.escape(plan.prefix.replace(".", "_"))
        self._dotted = re.compile(rf"^({dotted}\.)(\d+)(?=\.|$)")
        self._mangled = re.compile(rf"(^|_)({mangled}_)(\d+)(?=_|$)")

    def layer_of(self, name: str | None) -> int | None:
        if not name:
            return None
        match = self._dotted.match(name)
        if match:
            return int(match.group(2))
        match = self._mangled.search(name)
        return int(match.group(3)) if match else None

    def relayer(self, name: str, layer: int) -> str:
        if self._dotted.match(name):
            return self._dotted.sub(rf"\g<1>{layer}", name, count=1)
        return self._mangled.sub(rf"\g<1>\g<2>{layer}", name, count=1)

    def relative(self, name: str) -> str:
        """``name`` without its layer index, comparable across layers. torch.export numbers
        lifted constants across the whole model (``lifted_tensor_2`` in layer 1 is
        ``lifted_tensor_0`` in layer 0), so that counter is dropped too."""
        return _LIFTED_COUNTER.sub("lifted_tensor_#", self.relayer(name, -1))


def expand_layer_items(
    items: list[T], plan: ReplicationPlan,
    layer_of: Callable[[T], int | None], clone: Callable[[T, int], T],
    group: Callable[[T], Any] = lambda item: None,
) -> list[T]:
    """``items`` with the template layers' entries cloned for every replicated layer.

    Clones go right after the last layer entry of their group, ordered by layer, which is
    where the full model lists them: torch.export lists parameters, then buffers, then lifted
    constants, each group in module order.
    """
    last_of_group = {group(item): i for i, item in enumerate(items) if layer_of(item) is not None}
    clones_after: dict[int, list[T]] = {}
    for copy_index in range(1, plan.copies + 1):
        for layer in plan.template_layers:
            for item in items:
                if layer_of(item) == layer:
                    clones_after.setdefault(last_of_group[group(item)], []).append(
                        clone(item, layer + copy_index * plan.period))
    return [new for i, item in enumerate(items) for new in (item, *clones_after.get(i, ()))]


# --- replication on the IR ------------------------------------------------------------------

@dataclass(frozen=True)
class _Spans:
    reference: range
    template: range
    layer_at: dict[int, int]  # node position → layer, for every node of both spans


def _find_spans(graph: Graph, plan: ReplicationPlan, names: _LayerNames) -> _Spans:
    positions: dict[int, list[int]] = {}
    for position, node in enumerate(graph.nodes):
        layer = names.layer_of(node.location.module)
        if layer is not None:
            positions.setdefault(layer, []).append(position)
    if sorted(positions) != list(range(plan.exported)):
        raise ReplicationRefused("the exported graph does not show every exported layer")
    bounds = [(positions[j][0], positions[j][-1]) for j in range(plan.exported)]
    for (_, end), (start, _) in itertools.pairwise(bounds):
        if start != end + 1:
            raise ReplicationRefused("nodes run between consecutive layers")
    layer_at: dict[int, int] = {}
    for layer, (start, end) in enumerate(bounds):
        for position in range(start, end + 1):
            inner = names.layer_of(graph.nodes[position].location.module)
            if inner not in (None, layer):
                raise ReplicationRefused("layers interleave in the exported graph")
            layer_at[position] = layer
    first_ref = plan.exported - 2 * plan.period
    first_template = plan.exported - plan.period
    return _Spans(
        reference=range(bounds[first_ref][0], bounds[first_template - 1][1] + 1),
        template=range(bounds[first_template][0], bounds[-1][1] + 1),
        layer_at=layer_at,
    )


def _producers(graph: Graph) -> dict[str, int]:
    return {out: i for i, node in enumerate(graph.nodes) for out in node.outputs if out}


def _input_role(graph: Graph, name: str, span: range, producers: dict[str, int],
                names: _LayerNames) -> tuple:
    """How a node input relates to its span: a local output slot, layer-owned, or external."""
    position = producers.get(name) if name else None
    if position is not None and position in span:
        return ("local", position - span.start, graph.nodes[position].outputs.index(name))
    if name and position is None and names.layer_of(name) is not None:
        return ("owned", names.relative(name))
    return ("external", name)


def _outline(graph: Graph, node: Node, names: _LayerNames) -> tuple:
    """Everything about a node that a copy of its layer must repeat exactly."""
    shapes = [(v.shape, v.dtype) if (v := graph.values.get(o)) else None for o in node.outputs]
    return (node.op, node.source_op, repr(node.attributes), len(node.inputs), shapes,
            names.relative(node.location.module or ""))


def _check_template_matches_reference(
    graph: Graph, spans: _Spans, plan: ReplicationPlan, names: _LayerNames,
    producers: dict[str, int],
) -> None:
    if len(spans.reference) != len(spans.template):
        raise ReplicationRefused("the template layers have a different node count")
    for ref_pos, tpl_pos in zip(spans.reference, spans.template, strict=True):
        ref, tpl = graph.nodes[ref_pos], graph.nodes[tpl_pos]
        if _outline(graph, ref, names) != _outline(graph, tpl, names) or (
                spans.layer_at[tpl_pos] - spans.layer_at[ref_pos] != plan.period):
            raise ReplicationRefused(f"layer node {tpl.name} differs from {ref.name}")
        for ref_in, tpl_in in zip(ref.inputs, tpl.inputs, strict=True):
            ref_role = _input_role(graph, ref_in, spans.reference, producers, names)
            tpl_role = _input_role(graph, tpl_in, spans.template, producers, names)
            # the template's carried input (e.g. the hidden state) comes from the reference
            # span; the reference's own comes from further back, whatever produced it
            carried = tpl_role[0] == "external" and producers.get(tpl_in, -1) in spans.reference
            if ref_role != tpl_role and not (carried and ref_role[0] == "external"):
                raise ReplicationRefused(f"inputs of layer node {tpl.name} are wired differently")


class _Cloner:
    """Builds the clones of the template span, one period of layers per copy."""

    def __init__(self, graph: Graph, spans: _Spans, plan: ReplicationPlan, names: _LayerNames,
                 producers: dict[str, int]) -> None:
        self.graph, self.spans, self.plan, self.names = graph, spans, plan, names
        self.producers = producers
        # reference output → template output at the same place: where a carried value comes
        # from one period later
        self.ref_to_template = {
            r: t
            for ref_pos, tpl_pos in zip(spans.reference, spans.template, strict=True)
            for r, t in zip(graph.nodes[ref_pos].outputs, graph.nodes[tpl_pos].outputs,
                            strict=True)
        }
        self.renamed: list[dict[str, str]] = [{}]  # per copy: template output → its clone
        self.taken = set(graph.values) | {n.name for n in graph.nodes}
        self.new_values: dict[str, Value] = {}

    def _fresh(self, name: str, layer: int) -> str:
        candidate = f"{name}__layer{layer}"
        while candidate in self.taken:
            candidate += "_"
        self.taken.add(candidate)
        return candidate

    def resolve(self, name: str, copy_index: int) -> str:
        """Where copy ``copy_index`` (0 = the template itself) reads template input ``name``."""
        position = self.producers.get(name)
        if position is None:
            return name
        if position in self.spans.template:
            return self.renamed[copy_index].get(name, name) if copy_index else name
        if position in self.spans.reference:
            previous = self.ref_to_template[name]
            return self.renamed[copy_index - 1].get(previous, previous) if copy_index > 1 \
                else previous
        if position in self.spans.layer_at:
            raise ReplicationRefused("a layer reads a value from more than one period back")
        return name

    def _clone_input(self, name: str, copy_index: int) -> str:
        owner = self.names.layer_of(name) if name and name not in self.producers else None
        if owner is None:
            return self.resolve(name, copy_index) if name else name
        return self._owned(name, owner + copy_index * self.plan.period)

    def _owned(self, name: str, layer: int) -> str:
        new = self.names.relayer(name, layer)
        if name in self.graph.values and new not in self.new_values:
            self.new_values[new] = replace(self.graph.values[name], name=new)
        return new

    def clone_copy(self, copy_index: int) -> list[Node]:
        mapping: dict[str, str] = {}
        self.renamed.append(mapping)
        clones = []
        for position in self.spans.template:
            node = self.graph.nodes[position]
            layer = self.spans.layer_at[position] + copy_index * self.plan.period
            inputs = tuple(self._clone_input(x, copy_index) for x in node.inputs)
            outputs = []
            for out in node.outputs:
                if not out:
                    outputs.append(out)
                    continue
                mapping[out] = self._fresh(out, layer)
                if out in self.graph.values:
                    self.new_values[mapping[out]] = replace(self.graph.values[out],
                                                            name=mapping[out])
                outputs.append(mapping[out])
            module = node.location.module
            location = replace(node.location, module=self.names.relayer(module, layer)) \
                if module and self.names.layer_of(module) is not None else node.location
            clones.append(replace(
                node, name=self._fresh(node.name, layer), inputs=inputs,
                outputs=tuple(outputs), location=location,
            ))
        return clones

    def add_values_for(self, *name_lists: Iterable[str]) -> None:
        """Value entries for cloned layer-owned names, copied from their template's entry."""
        for name in (n for names in name_lists for n in names):
            layer = self.names.layer_of(name)
            if layer is None or layer < self.plan.exported or name in self.new_values:
                continue
            original = self.graph.values.get(
                self.names.relayer(name, self.plan.template_layer(layer)))
            if original is not None:
                self.new_values[name] = replace(original, name=name)

    def rewire_after(self, name: str) -> str:
        """Where a node after the layers (or a graph output) reads ``name`` in the full graph."""
        return self.resolve(name, self.plan.copies) if name else name


def replicate_layers(graph: Graph, plan: ReplicationPlan) -> Graph:
    """``graph`` (exported with ``plan.exported`` layers) grown to ``plan.total`` layers."""
    names = _LayerNames(plan)
    spans = _find_spans(graph, plan, names)
    producers = _producers(graph)
    _check_template_matches_reference(graph, spans, plan, names, producers)
    cloner = _Cloner(graph, spans, plan, names, producers)
    clones = [node for c in range(1, plan.copies + 1) for node in cloner.clone_copy(c)]
    tail = [
        replace(node, inputs=tuple(cloner.rewire_after(x) for x in node.inputs))
        for node in graph.nodes[spans.template.stop:]
    ]
    params = expand_layer_items(
        graph.params, plan, lambda p: names.layer_of(p.name),
        lambda p, k: replace(p, name=names.relayer(p.name, k)), group=lambda p: p.kind)
    inputs = expand_layer_items(
        graph.inputs, plan, names.layer_of, lambda n, k: names.relayer(n, k))
    metadata = dict(graph.metadata, replicated_layers=plan.as_metadata())
    param_inputs = graph.metadata.get("param_inputs")
    if isinstance(param_inputs, dict):  # placeholder → parameter name, as fx_graph records
        kinds = {p.name: p.kind for p in graph.params}
        metadata["param_inputs"] = dict(expand_layer_items(
            list(param_inputs.items()), plan, lambda item: names.layer_of(item[0]),
            lambda item, k: (names.relayer(item[0], k), names.relayer(item[1], k)),
            group=lambda item: kinds.get(item[1])))
    # a cloned parameter that no node reads still gets the value entry its template has
    cloner.add_values_for([p.name for p in params], metadata.get("param_inputs", {}))
    return Graph(
        name=graph.name,
        nodes=[*graph.nodes[: spans.template.stop], *clones, *tail],
        values={**graph.values, **cloner.new_values},
        inputs=inputs,
        outputs=[cloner.rewire_after(o) for o in graph.outputs],
        params=params,
        metadata=metadata,
    )

