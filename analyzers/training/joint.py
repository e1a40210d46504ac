"""Forward + backward for ``--mode training``: the joint graph of an exported program.

The exported program's user outputs are summed into a scalar loss, and
``torch.export.experimental._export_forward_backward`` traces forward and backward together on
the program's fake/meta tensors (no weights are read). Forward nodes keep the names of the
forward graph, so they take its source locations; each backward node is attributed to the
latest forward node it reads (directly or through earlier backward nodes) — the op whose
gradient it computes.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

from trnport.analyzers.graph import Graph
from trnport.analyzers.loaders.base import LoadedModel, first_line

BACKWARD_PREFIX = "backward."


def add_backward(loaded: LoadedModel) -> None:
    """Replace ``loaded.graph`` by forward + backward; on failure keep the forward graph and
    add a diagnostic (never raise)."""
    program = loaded.graph.metadata.pop("exported_program", None)
    if program is None:
        loaded.diagnostics.append(
            f"training mode: backward ops were not analysed ({loaded.format} models have no "
            "exported program to differentiate); only the forward graph has verdicts")
        return
    try:
        joint = joint_graph(program, loaded.graph)
    except Exception as exc:  # joint tracing fails in many framework-specific ways
        loaded.diagnostics.append(
            f"training mode: the backward graph could not be captured "
            f"({type(exc).__name__}: {first_line(exc)}); only the forward graph has verdicts")
        return
    backward = joint.metadata.get("backward_nodes", [])
    if loaded.graph.metadata.get("replicated_layers"):
        loaded.diagnostics.append(
            "training mode: backward ops come from the reduced-layer export; their counts "
            "cover those layers only")
    loaded.diagnostics.append(
        f"training mode: {len(backward)} backward nodes analysed with the forward graph")
    loaded.graph = joint


def joint_graph(program: Any, forward: Graph) -> Graph:
    """Forward graph nodes plus the backward nodes of ``program``'s joint graph."""
    import torch
    from torch.export.experimental import _export_forward_backward

    from trnport.analyzers.loaders.torch.fx_graph import graph_from_exported_program

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the stored program is at dispatch level already: functionalize, decompose nothing
        decomposed = program.run_decompositions({})
        loss_index = _sum_outputs_into_loss(decomposed, torch)
        joint_program = _export_forward_backward(decomposed, joint_loss_index=loss_index)
    joint = graph_from_exported_program(joint_program, forward.name, decompose=False)
    return _merge(forward, joint)


def _sum_outputs_into_loss(program: Any, torch: Any) -> int:
    """Rewrite ``program`` so its user outputs become one scalar loss (the sum of every
    floating-point output); returns the loss output's index."""
    from torch.export.graph_signature import (
        ExportGraphSignature,
        OutputKind,
        OutputSpec,
        TensorArgument,
    )

    graph = program.graph
    output = graph.output_node()
    specs = program.graph_signature.output_specs
    kept, kept_specs, floats = [], [], []
    for value, spec in zip(output.args[0], specs, strict=True):
        if spec.kind != OutputKind.USER_OUTPUT:
            kept.append(value)
            kept_specs.append(spec)
            continue
        val = value.meta.get("val") if isinstance(value, torch.fx.Node) else None
        if isinstance(val, torch.Tensor) and val.is_floating_point():
            floats.append(value)
    if not floats:
        raise ValueError("the model has no floating-point output to differentiate")
    total = None
    with graph.inserting_before(output):
        for value in floats:
            summed = graph.call_function(torch.ops.aten.sum.default, (value,))
            summed.meta["val"] = value.meta["val"].sum()
            if total is None:
                total = summed
                continue
            added = graph.call_function(torch.ops.aten.add.Tensor, (total, summed))
            added.meta["val"] = total.meta["val"] + summed.meta["val"]
            total = added
    output.args = (tuple([*kept, total]),)
    program._graph_signature = ExportGraphSignature(
        input_specs=program.graph_signature.input_specs,
        output_specs=[*kept_specs, OutputSpec(OutputKind.LOSS_OUTPUT,
                                              TensorArgument(total.name), None)])
    program.graph_module.recompile()
    return len(kept)


def _merge(forward: Graph, joint: Graph) -> Graph:
    """``forward`` plus ``joint``'s backward nodes (prefixed names) located at the forward op
    they differentiate."""
    forward_names = {node.name for node in forward.nodes}
    forward_nodes = {node.name: node for node in forward.nodes}
    producer: dict[str, str] = {}
    order = {node.name: i for i, node in enumerate(joint.nodes)}
    for node in joint.nodes:
        for out in node.outputs:
            producer[out] = node.name
    is_forward = _forward_set(joint)
    attributed: dict[str, str] = {}  # backward node → forward node name
    merged = dataclasses.replace(forward, nodes=list(forward.nodes),
                                 values=dict(forward.values), metadata=dict(forward.metadata))
    backward_names = []
    for node in joint.nodes:
        if node.name in is_forward:
            continue
        owner = _owner(node, producer, is_forward, attributed, order)
        if owner:
            attributed[node.name] = owner
        source = forward_nodes.get(owner) if owner in forward_names else None
        location = source.location if source is not None else node.location
        rename = {name: BACKWARD_PREFIX + name for name in (*node.inputs, *node.outputs) if name}
        for old, new in rename.items():
            if old in joint.values and new not in merged.values:
                merged.values[new] = dataclasses.replace(joint.values[old], name=new)
        merged.nodes.append(dataclasses.replace(
            node, name=BACKWARD_PREFIX + node.name,
            inputs=tuple(rename.get(i, i) for i in node.inputs),
            outputs=tuple(rename.get(o, o) for o in node.outputs),
            location=location,
            source_op=f"backward of {source.source_op or source.op}" if source else None,
        ))
        backward_names.append(BACKWARD_PREFIX + node.name)
    merged.metadata["backward_nodes"] = backward_names
    return merged


def _forward_set(joint: Graph) -> set[str]:
    """Nodes the loss depends on (the first output is the loss)."""
    producer = {out: node for node in joint.nodes for out in node.outputs}
    loss = joint.outputs[0] if joint.outputs else None
    seen: set[str] = set()
    stack = [loss] if loss else []
    while stack:
        value = stack.pop()
        node = producer.get(value)
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        stack.extend(i for i in node.inputs if i)
    return seen


def _owner(node, producer, is_forward, attributed, order) -> str | None:
    """The latest forward node this backward node reads, directly or via backward nodes."""
    best, best_rank = None, -1
    for value in node.inputs:
        source = producer.get(value)
        if source is None:
            continue
        candidate = source if source in is_forward else attributed.get(source)
        if candidate is not None and order.get(candidate, -1) > best_rank:
            best, best_rank = candidate, order.get(candidate, -1)
    return best
