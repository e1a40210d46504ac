"""Lower the model's default-domain opset to the highest one below it at which onnx2torch
converts every op, adapting each node whose schema differs between the two opsets.

The opsets onnx2torch cannot convert come from the knowledge base (the TRN101 opset rules
that name this rewrite). The adaptation walks each op's schema versions from the model's
opset down to the target, one version change at a time:

* an ``axes`` (or Split ``split``) input that became an input moves back into an attribute;
  it must be a constant (initializer or Constant output). A Reduce with no axes and
  ``noop_with_empty_axes=1`` becomes an Identity;
* Split's ``num_outputs`` becomes explicit split sizes when the axis length is known;
* attributes added by the newer version are dropped when they hold their default value and
  refused otherwise; optional inputs it added are refused unless absent;
* a change that only widened the type constraints keeps the node as is when the tensor
  types it uses are valid at the target;
* an op that did not exist at the target, or a version change with a different meaning
  under the same signature, is refused with the op named.

Which opset to lower to is decided in :mod:`.opset_choice`.
The downgrade is all or nothing: one refused node keeps the model at its opset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from onnx import AttributeProto, NodeProto, TensorProto, defs, helper, numpy_helper

from trnport.analyzers.rewrites.base import Applied, Refusal, RewriteInfo
from trnport.analyzers.rewrites.onnx.context import GraphContext
from trnport.analyzers.rewrites.onnx.opset_choice import (
    DEFAULT_DOMAINS,
    REWRITE_ID,
    blocked,
    model_opset,
    target_opset,
)
from trnport.analyzers.rewrites.onnx.opset_choice import schema as _schema

_REDUCE_OPS = frozenset({
    "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
    "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare",
})
#: Inputs that a newer version took over from an attribute of the same name.
_MOVED_TO_INPUT = ("axes", "split")
#: (op, version) whose meaning changed while the signature stayed (or stayed compatible).
_CHANGED_MEANING = {
    ("Softmax", 13): "Softmax 13 normalises one axis; earlier versions flatten from axis on",
    ("LogSoftmax", 13): "LogSoftmax 13 normalises one axis; earlier versions flatten from axis on",
    ("Hardmax", 13): "Hardmax 13 works on one axis; earlier versions flatten from axis on",
    ("RoiAlign", 16): "RoiAlign 16 defaults to half_pixel coordinates; earlier versions did not",
    ("GridSample", 20): "GridSample 20 renamed its modes and takes N-D input",
    ("GroupNormalization", 21): "GroupNormalization 21 scales per channel, not per group",
}
#: Attribute values a newer version added: (op, version, attribute) -> values.
_NEW_VALUES = {
    ("Pad", 19, "mode"): ("wrap",),
    ("Resize", 19, "coordinate_transformation_mode"): ("half_pixel_symmetric",),
}


@cache
def _all_since_versions() -> dict[str, tuple[int, ...]]:
    versions: dict[str, set[int]] = {}
    for schema in defs.get_all_schemas_with_history():
        if schema.domain in DEFAULT_DOMAINS:
            versions.setdefault(schema.name, set()).add(schema.since_version)
    return {name: tuple(sorted(found)) for name, found in versions.items()}


def _since_versions(op_type: str) -> tuple[int, ...]:
    return _all_since_versions().get(op_type, ())


class OpsetDowngrade:
    INFO = RewriteInfo.of(REWRITE_ID, "onnx")

    def rewrite_model(self, model: Any) -> tuple[list[Applied], list[Refusal]]:
        """Downgrade ``model`` in place; the applied nodes and refusals (none applied when
        anything is refused)."""
        opset = model_opset(model)
        graph = model.graph
        ops = {n.op_type for n in graph.node if n.domain in DEFAULT_DOMAINS}
        flagged = [n for n in graph.node if n.domain in DEFAULT_DOMAINS
                   and blocked(n.op_type, opset)]
        if not flagged:
            return [], []
        target = target_opset(ops, opset)

        def refuse_all(reason: str) -> tuple[list, list]:
            return [], [Refusal(REWRITE_ID, n.name, reason) for n in flagged]

        if target is None:
            names = ", ".join(sorted({n.op_type for n in flagged}))
            return refuse_all(f"no opset below {opset} has versions onnx2torch converts "
                              f"for every op ({names})")
        if len(model.functions):
            return refuse_all("the model has local functions, which are not downgraded")
        context = GraphContext.of(model)
        state = _State(context, opset, target)
        nodes, applied, refusals = [], [], []
        for node in graph.node:
            if node.domain not in DEFAULT_DOMAINS:
                nodes.append(node)
                continue
            try:
                new = state.adapt(node)
            except _Refused as refused:
                refusals.append(Refusal(REWRITE_ID, node.name, str(refused)))
                continue
            nodes.append(new)
            if new is not node:
                applied.append(Applied(REWRITE_ID, node.name, (node.op_type,), (new.op_type,)))
        if refusals:
            return [], refusals
        used = {name for n in nodes for name in n.input} | set(context.outputs)
        nodes = [n for n in nodes if not (n.op_type == "Constant" and n.name in state.spent
                                          and not any(o in used for o in n.output))]
        graph.ClearField("node")
        graph.node.extend(nodes)
        graph.initializer.extend(state.initializers)
        for entry in model.opset_import:
            if entry.domain in DEFAULT_DOMAINS:
                entry.version = target
        return applied, []


class _Refused(Exception):
    pass


@dataclass
class _State:
    context: GraphContext
    opset: int
    target: int
    initializers: list = field(default_factory=list)
    spent: set = field(default_factory=set)  # Constant nodes whose value moved elsewhere

    def constant(self, name: str):
        for init in self.initializers:
            if init.name == name:
                return numpy_helper.to_array(init)
        return self.context.constant(name)

    def adapt(self, node: NodeProto) -> NodeProto:
        """``node`` as it reads at the target opset (``node`` itself when its schema is the
        same at both opsets)."""
        op = node.op_type
        if any(a.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS) for a in node.attribute):
            raise _Refused(f"{op} has a subgraph, which is not downgraded")
        at_target = _schema(op, self.target)
        if at_target is None:
            first = _since_versions(op)
            added = f" (added in opset {first[0]})" if first else ""
            raise _Refused(f"{op} does not exist at opset {self.target}{added}")
        current = _schema(op, self.opset)
        if current is None or current.since_version == at_target.since_version:
            return node
        work = NodeProto()
        work.CopyFrom(node)
        changes = [v for v in _since_versions(op) if at_target.since_version < v <=
                   current.since_version]
        for version in reversed(changes):
            newer, older = _schema(op, version), _schema(op, version - 1)
            work = self.step(work, newer, older)
            if work.op_type != op:  # a no-op Reduce became an Identity
                return self.adapt(work)
        return work

    def step(self, node: NodeProto, newer, older) -> NodeProto:
        """``node`` written against ``older`` instead of ``newer`` (one version change)."""
        op, version = node.op_type, newer.since_version
        meaning = _CHANGED_MEANING.get((op, version))
        if meaning:
            raise _Refused(f"{meaning}; no equivalent at opset {self.target}")
        new_inputs = [i.name for i in newer.inputs]
        old_inputs = [i.name for i in older.inputs]
        for attr in node.attribute:
            values = _NEW_VALUES.get((op, version, attr.name), ())
            value = helper.get_attribute_value(attr)
            value = value.decode() if isinstance(value, bytes) else value
            if value in values:
                raise _Refused(f"{attr.name}={value!r} of {op} has no equivalent before "
                               f"opset {version}")
        if op == "Split" and "num_outputs" in newer.attributes:
            node = self.split_sizes(node, newer)
        for name in _MOVED_TO_INPUT:
            if name in new_inputs and name not in old_inputs and name in older.attributes:
                node = self.input_to_attribute(node, new_inputs.index(name), name)
        if len(old_inputs) > len(new_inputs) or \
                (old_inputs != new_inputs[:len(old_inputs)] and not _variadic(older)):
            raise _Refused(f"the inputs of {op} changed in opset {version}; no adapter to "
                           f"opset {older.since_version}")
        if [o.name for o in newer.outputs] != [o.name for o in older.outputs]:
            raise _Refused(f"the outputs of {op} changed in opset {version}; no adapter to "
                           f"opset {older.since_version}")
        limit = len(old_inputs) if not _variadic(older) else len(node.input)
        extra = [(i, n) for i, n in enumerate(node.input) if i >= limit and n]
        if extra:
            index, name = extra[0]
            raise _Refused(f"input {index} ('{name}') of {op} has no equivalent before "
                           f"opset {version}")
        del node.input[limit:]
        kept = []
        for attr in node.attribute:
            if attr.name in older.attributes:
                kept.append(attr)
                continue
            default = newer.attributes[attr.name].default_value \
                if attr.name in newer.attributes else None
            if default is None or not default.type or \
                    helper.get_attribute_value(default) != helper.get_attribute_value(attr):
                raise _Refused(f"attribute {attr.name}={_show(attr)} of {op} has no "
                               f"equivalent before opset {version}")
        for name, spec in newer.attributes.items():
            if name in older.attributes and name not in {a.name for a in kept}:
                default, old = spec.default_value, older.attributes[name].default_value
                if default.type and (not old.type or helper.get_attribute_value(old)
                                     != helper.get_attribute_value(default)):
                    kept.append(_named(default, name))
        del node.attribute[:]
        node.attribute.extend(kept)
        self.check_types(node, older)
        return node

    def input_to_attribute(self, node: NodeProto, index: int, name: str) -> NodeProto:
        op = node.op_type
        source = node.input[index] if len(node.input) > index else ""
        noop = next((a.i for a in node.attribute if a.name == "noop_with_empty_axes"), 0)
        value = None
        if source:
            value = self.constant(source)
            if value is None:
                raise _Refused(f"{name} '{source}' of {op} is not a constant initializer or "
                               "Constant output")
            producer = self.context.producers.get(source)
            if producer is not None and producer.op_type == "Constant":
                self.spent.add(producer.name)
        attributes = [a for a in node.attribute if a.name != "noop_with_empty_axes"]
        if op in _REDUCE_OPS and (value is None or value.size == 0) and noop:
            return helper.make_node("Identity", [node.input[0]], list(node.output),
                                    name=node.name)
        inputs = list(node.input)
        del inputs[index:index + 1]
        while inputs and not inputs[-1]:
            inputs.pop()
        new = helper.make_node(op, inputs, list(node.output), name=node.name)
        new.attribute.extend(attributes)
        if value is not None and value.size:
            new.attribute.append(helper.make_attribute(name, [int(v) for v in value.ravel()]))
        return new

    def split_sizes(self, node: NodeProto, newer) -> NodeProto:
        count = next((a.i for a in node.attribute if a.name == "num_outputs"), None)
        if count is None:
            return node
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        length = _dim(self.context, node.input[0], axis)
        if length is None:
            raise _Refused(f"the length of axis {axis} of '{node.input[0]}' is unknown, so "
                           "Split num_outputs cannot become split sizes")
        chunk = -(-length // count)
        sizes = [chunk] * (count - 1) + [length - chunk * (count - 1)]
        if min(sizes) < 0:
            raise _Refused(f"axis {axis} of length {length} does not split into {count} "
                           "outputs")
        sizes_init = numpy_helper.from_array(np.array(sizes, dtype=np.int64),
                                             self.context.fresh(f"{node.name}_split"))
        self.initializers.append(sizes_init)
        new = helper.make_node("Split", [node.input[0], sizes_init.name], list(node.output),
                               name=node.name)
        new.attribute.extend(a for a in node.attribute if a.name != "num_outputs")
        return new

    def check_types(self, node: NodeProto, schema) -> None:
        allowed = {c.type_param_str: set(c.allowed_type_strs) for c in schema.type_constraints}
        pairs = []
        for params, names in ((schema.inputs, node.input), (schema.outputs, node.output)):
            for index, name in enumerate(names):
                if not name or not params:
                    continue
                param = params[min(index, len(params) - 1)]
                pairs.append((name, param.type_str))
        for name, type_str in pairs:
            valid = allowed.get(type_str, {type_str})
            added = next((i for i in self.initializers if i.name == name), None)
            elem = added.data_type if added is not None else self.context.elem_type(name)
            if elem is None:
                info = self.context.types.get(name)
                if info is not None and not info.HasField("tensor_type"):
                    raise _Refused(f"'{name}' of {node.op_type} is not a tensor, so its type "
                                   f"cannot be checked at opset {self.target}")
                raise _Refused(f"the type of '{name}' of {node.op_type} is unknown, so it "
                               f"cannot be checked at opset {self.target}")
            text = f"tensor({TensorProto.DataType.Name(elem).lower()})"
            if text not in valid:
                raise _Refused(f"{node.op_type} takes no {text[7:-1]} ('{name}') before "
                               f"opset {schema.since_version + 1}")


def _variadic(schema) -> bool:
    return bool(schema.inputs) and \
        schema.inputs[-1].option == defs.OpSchema.FormalParameterOption.Variadic


def _dim(context: GraphContext, name: str, axis: int) -> int | None:
    info = context.types.get(name)
    if info is None or not info.HasField("tensor_type") or \
            not info.tensor_type.HasField("shape"):
        value = context.constant(name)
        return None if value is None else int(value.shape[axis])
    dims = info.tensor_type.shape.dim
    if not -len(dims) <= axis < len(dims):
        return None
    dim = dims[axis]
    return dim.dim_value if dim.HasField("dim_value") else None


def _named(attribute: AttributeProto, name: str) -> AttributeProto:
    copy = AttributeProto()
    copy.CopyFrom(attribute)
    copy.name = name
    return copy


def _show(attribute: AttributeProto) -> str:
    value = helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        return repr(value.decode())
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


REWRITE = OpsetDowngrade()
