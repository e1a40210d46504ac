"""Forward + backward for ``--mode training``: the joint graph of an exported program.

The exported program's user outputs are summed into a scalar loss, and
``torch.export.experimental._export_forward_backward`` traces forward and backward together on
the program's fake/meta tensors (no weights are read). Forward nodes keep the names of the
forward graph, so they take its source locations; each backward node is attributed to the
latest forward node it reads (directly or through earlier backward nodes) — the op whose
gradient it computes.

Parameters the loss does not depend on (a pretraining head this forward leaves unused, a
weight that only feeds an argmax) receive no gradient, and the joint tracer refuses those
("Found a parameter that did not receive a gradient"). They are traced as frozen weights, as
an optimizer would leave them, so the rest of the backward is still analysed. When capture
fails anyway the forward graph is kept and ``graph.metadata["training_capture"]`` says why,
which the incomplete-training-coverage rule reports.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

from trnport.analyzers.graph import Graph
from trnport.analyzers.loaders.base import LoadedModel, first_line

BACKWARD_PREFIX = "backward."
#: Formats whose graph comes from torch.export: without a program, export did not capture it.
_EXPORTED_FORMATS = frozenset({"python", "pt2", "hf-config"})


def add_backward(loaded: LoadedModel) -> None:
    """Replace ``loaded.graph`` by forward + backward; on failure keep the forward graph,
    record why in its metadata and add a diagnostic (never raise)."""
    program = loaded.graph.metadata.pop("exported_program", None)
    if program is None and loaded.format in _EXPORTED_FORMATS:
        _record_missing_backward(loaded, "torch.export produced no program to differentiate")
        return
    if program is None:
        loaded.diagnostics.append(
            f"training mode: backward ops were not analysed ({loaded.format} models have no "
            "exported program to differentiate); only the forward graph has verdicts")
        return
    try:
        joint = joint_graph(program, loaded.graph)
    except Exception as exc:  # joint tracing fails in many framework-specific ways
        _record_missing_backward(loaded, f"{type(exc).__name__}: {first_line(exc)}")
        return
    backward = joint.metadata.get("backward_nodes", [])
    frozen = joint.metadata.get("frozen_parameters", [])
    if frozen:
        loaded.diagnostics.append(
            f"training mode: {len(frozen)} parameter(s) get no gradient from this forward "
            f"and were traced as frozen: {', '.join(frozen[:5])}"
            f"{' ...' if len(frozen) > 5 else ''}")
    if loaded.graph.metadata.get("replicated_layers"):
        loaded.diagnostics.append(
            "training mode: backward ops come from the reduced-layer export; their counts "
            "cover those layers only")
    loaded.diagnostics.append(
        f"training mode: {len(backward)} backward nodes analysed with the forward graph")
    loaded.graph = joint


def _record_missing_backward(loaded: LoadedModel, reason: str) -> None:
    """Keep the forward graph and say, for the rule and the summary, why it is alone."""
    loaded.graph.metadata["training_capture"] = {"complete": False, "reason": reason}
    loaded.graph.metadata.setdefault("not_analysed", []).append(
        "the backward graph (training mode): only forward ops have verdicts")
    loaded.diagnostics.append(
        f"training mode: the backward graph could not be captured ({reason}); only the "
        "forward graph has verdicts")


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
        frozen = _freeze_parameters_without_gradient(decomposed, torch)
        joint_program = _export_forward_backward(decomposed, joint_loss_index=loss_index)
    joint = graph_from_exported_program(joint_program, forward.name, decompose=False)
    merged = _merge(forward, joint)
    if frozen:
        merged.metadata["frozen_parameters"] = frozen
    return merged


#: Ops whose floating-point result carries no gradient to their inputs.
_GRADIENT_STOPS = frozenset({"aten.detach.default"})


def _freeze_parameters_without_gradient(program: Any, torch: Any) -> list[str]:
    """Mark every parameter the loss has no differentiable path to as not requiring a
    gradient (in the placeholder's fake value, which the joint tracer reads); returns their
    names. A path is differentiable while each value on it is floating point: a boolean mask
    or an integer index computed from a weight passes it no gradient."""
    from torch.export.graph_signature import InputKind

    graph = program.graph
    loss = graph.output_node().args[0][-1]
    reached: set[Any] = set()
    stack = [loss]
    while stack:
        node = stack.pop()
        if not isinstance(node, torch.fx.Node) or node in reached:
            continue
        reached.add(node)
        if node.op != "call_function" or str(node.target) in _GRADIENT_STOPS:
            continue
        stack.extend(arg for arg in node.all_input_nodes if _carries_gradient(arg, torch))
    placeholders = {node.name: node for node in graph.nodes if node.op == "placeholder"}
    frozen = []
    for spec in program.graph_signature.input_specs:
        if spec.kind != InputKind.PARAMETER:
            continue
        node = placeholders.get(spec.arg.name)
        val = node.meta.get("val") if node is not None else None
        if node is None or node in reached or not getattr(val, "requires_grad", False):
            continue
        node.meta["val"] = val.detach()
        frozen.append(spec.target)
    return frozen


def _carries_gradient(node: Any, torch: Any) -> bool:
    """Whether a gradient can flow back through ``node``'s value (a float tensor, or a
    tuple holding one; shapes and symbols carry none)."""
    val = node.meta.get("val")
    values = val if isinstance(val, (tuple, list)) else (val,)
    return any(isinstance(v, torch.Tensor) and (v.is_floating_point() or v.is_complex())
               for v in values)


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
