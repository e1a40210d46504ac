"""ONNX repros of the corpus, built with ``onnx.helper``: each builder writes a small, valid
model to ``path`` and returns it. Cases name a builder and its arguments (``repro.builder``,
``repro.args``)."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

_DTYPES = {"float": TensorProto.FLOAT, "int32": TensorProto.INT32, "int64": TensorProto.INT64,
           "double": TensorProto.DOUBLE, "float16": TensorProto.FLOAT16, "bool": TensorProto.BOOL}


def _save(path: Path, nodes, inputs, outputs, initializers=(), opset: int = 17,
          domains: tuple[tuple[str, int], ...] = ()) -> Path:
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializer=list(initializers))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in domains]
    model = helper.make_model(graph, opset_imports=opsets)
    if not domains:
        onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _io(name: str, dtype: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, _DTYPES[dtype], shape)




def symbolic_encoder(path: Path, hidden: int = 64) -> Path:
    """MatMul + Relu over x[batch, seq, hidden] with named symbolic dims (dim_param)."""
    weight = helper.make_tensor("w", TensorProto.FLOAT, [hidden, hidden], [0.01] * hidden * hidden)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="proj"),
             helper.make_node("Relu", ["h"], ["y"], name="act")]
    return _save(path, nodes, [_io("x", "float", ["batch", "seq", hidden])],
                 [_io("y", "float", ["batch", "seq", hidden])], [weight])


def nonzero(path: Path) -> Path:
    """NonZero on a float tensor: the output length is the number of non-zero elements."""
    node = helper.make_node("NonZero", ["x"], ["y"], name="nonzero")
    return _save(path, [node], [_io("x", "float", [4, 8])], [_io("y", "int64", [2, "count"])])


def topk(path: Path, dtype: str = "int32", k: int = 4) -> Path:
    """TopK over the last axis of x[2, 16] of ``dtype``."""
    kk = helper.make_tensor("k", TensorProto.INT64, [1], [k])
    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"], name="topk", axis=-1)
    return _save(path, [node], [_io("x", dtype, [2, 16])],
                 [_io("values", dtype, [2, k]), _io("indices", "int64", [2, k])], [kk])


def if_on_data(path: Path) -> Path:
    """If whose condition is ReduceSum(x) > 0: a branch decided by the input's values."""
    def branch(name: str, op: str) -> onnx.GraphProto:
        node = helper.make_node(op, ["x"], [f"{name}_out"], name=f"{name}_node")
        return helper.make_graph([node], name, [], [_io(f"{name}_out", "float", [4])])

    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["total"], name="sum", keepdims=0),
        helper.make_node("Greater", ["total", "zero"], ["positive"], name="gt"),
        helper.make_node("If", ["positive"], ["y"], name="branch",
                         then_branch=branch("then", "Relu"), else_branch=branch("else", "Neg")),
    ]
    return _save(path, nodes, [_io("x", "float", [4])], [_io("y", "float", [4])], [zero])


def custom_domain_op(path: Path, domain: str = "com.example", op: str = "FusedGelu") -> Path:
    """One node of a custom (non-ONNX) domain, as exporters emit for fused kernels."""
    node = helper.make_node(op, ["x"], ["y"], name="custom", domain=domain)
    return _save(path, [node], [_io("x", "float", [2, 8])], [_io("y", "float", [2, 8])],
                 domains=((domain, 1),))
