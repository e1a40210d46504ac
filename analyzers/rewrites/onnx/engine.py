"""Apply ONNX rewrites to a ``ModelProto``: match by op type, ``check``, replace, keep the
graph in topological order. Every refusal carries its one-line reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trnport.analyzers.rewrites.base import Applied, Refusal
from trnport.analyzers.rewrites.onnx.base import OnnxRewrite
from trnport.analyzers.rewrites.onnx.context import GraphContext
from trnport.analyzers.rewrites.registry import implementation, implementations


def onnx_rewrites() -> tuple[OnnxRewrite, ...]:
    """Every ONNX rewrite, in the order they are applied."""
    return implementations("onnx")


def onnx_rewrite(rewrite_id: str) -> OnnxRewrite | None:
    return implementation("onnx", rewrite_id)


@dataclass(frozen=True)
class RewriteResult:
    model: Any
    applied: tuple[Applied, ...]
    refusals: tuple[Refusal, ...]


def apply_rewrites(model: Any, rewrite_ids: Iterable[str]) -> RewriteResult:
    """A rewritten copy of ``model``; the input is never modified."""
    import onnx

    work = onnx.ModelProto()
    work.CopyFrom(model)
    _name_nodes(work.graph)
    original_value_info = list(work.graph.value_info)
    typed = _with_types(work)
    applied: list[Applied] = []
    refusals: list[Refusal] = []
    for rewrite_id in rewrite_ids:
        rewrite = onnx_rewrite(rewrite_id)
        if rewrite is None:
            raise KeyError(rewrite_id)
        if hasattr(rewrite, "rewrite_model"):  # a whole-model rewrite (the opset import)
            done, refused = rewrite.rewrite_model(typed)
            applied.extend(done)
            refusals.extend(refused)
        else:
            _run_one(typed, rewrite, applied, refusals)
    if typed is not work:
        work.ClearField("opset_import")
        work.opset_import.extend(typed.opset_import)
    work.graph.ClearField("node")
    work.graph.node.extend(_topological(typed.graph.node))
    work.graph.ClearField("initializer")
    work.graph.initializer.extend(_used_initializers(typed.graph))
    produced = {name for node in work.graph.node for name in node.output}
    work.graph.ClearField("value_info")
    work.graph.value_info.extend(v for v in original_value_info if v.name in produced)
    return RewriteResult(work, tuple(applied), tuple(refusals))


def find_opportunities(model: Any) -> tuple[tuple[Applied, ...], tuple[Refusal, ...]]:
    """What every rewrite would do to ``model`` (matches that pass and refusals)."""
    result = apply_rewrites(model, [r.INFO.id for r in onnx_rewrites()])
    return result.applied, result.refusals


def _run_one(model: Any, rewrite: OnnxRewrite, applied: list, refusals: list) -> None:
    done: set[str] = set()
    while True:
        context = GraphContext.of(model)
        target = next((n for n in model.graph.node if n.op_type in rewrite.INFO.ops
                       and n.name not in done), None)
        if target is None:
            return
        done.add(target.name)
        reason = rewrite.check(context, target)
        if reason:
            refusals.append(Refusal(rewrite.INFO.id, target.name, reason))
            continue
        replacement = rewrite.replace(context, target)
        removed = [n for n in model.graph.node if n.name in replacement.remove]
        position = max(i for i, n in enumerate(model.graph.node) if n.name in replacement.remove)
        kept = list(model.graph.node)
        new_nodes = kept[:position + 1] + list(replacement.nodes) + kept[position + 1:]
        new_nodes = [n for n in new_nodes if n.name not in replacement.remove
                     or any(n is r for r in replacement.nodes)]
        model.graph.ClearField("node")
        model.graph.node.extend(new_nodes)
        model.graph.initializer.extend(replacement.initializers)
        done.update(n.name for n in replacement.nodes)
        applied.append(Applied(rewrite.INFO.id, target.name,
                               tuple(n.op_type for n in removed),
                               tuple(n.op_type for n in replacement.nodes)))


def _name_nodes(graph: Any) -> None:
    taken = {n.name for n in graph.node if n.name}
    for index, node in enumerate(graph.node):
        if not node.name:
            name = f"{node.op_type}_{index}"
            while name in taken:
                name += "_"
            node.name = name
            taken.add(name)


def _with_types(model: Any) -> Any:
    """``model`` with inferred value types, so checks can read element types and ranks."""
    import onnx

    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception:  # inference is a convenience: checks then refuse for unknown types
        return model


def _used_initializers(graph: Any) -> list[Any]:
    used = {name for node in graph.node for name in node.input}
    used |= {out.name for out in graph.output} | {i.name for i in graph.input}
    return [init for init in graph.initializer if init.name in used]


def _topological(nodes: Iterable[Any]) -> list[Any]:
    """Nodes in a stable topological order (subgraph captures are not edges here)."""
    nodes = list(nodes)
    producer = {out: i for i, n in enumerate(nodes) for out in n.output if out}
    placed: list[Any] = []
    state = [0] * len(nodes)  # 0 new, 1 visiting, 2 placed

    def visit(index: int) -> None:
        stack = [(index, iter(nodes[index].input))]
        state[index] = 1
        while stack:
            current, inputs = stack[-1]
            for name in inputs:
                dep = producer.get(name)
                if dep is not None and state[dep] == 0:
                    state[dep] = 1
                    stack.append((dep, iter(nodes[dep].input)))
                    break
            else:
                stack.pop()
                state[current] = 2
                placed.append(nodes[current])

    for index in range(len(nodes)):
        if state[index] == 0:
            visit(index)
    return placed
