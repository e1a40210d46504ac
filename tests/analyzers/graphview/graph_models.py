"""Small ONNX models written for the graph tests."""

from __future__ import annotations

from pathlib import Path


def relu_chain(path: Path, count: int, names=None) -> Path:
    """``count`` Relu nodes in a chain over a 1×8 float input; ``names(i)`` names node i
    ("" leaves it unnamed, as many exporters do)."""
    import onnx
    from onnx import TensorProto, helper

    nodes = []
    for index in range(count):
        source = "x" if index == 0 else f"t{index - 1}"
        target = "y" if index == count - 1 else f"t{index}"
        nodes.append(helper.make_node("Relu", [source], [target],
                                      name=names(index) if names else ""))
    graph = helper.make_graph(nodes, "chain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(onnx.shape_inference.infer_shapes(model), str(path))
    return path


def dilated_pools(path: Path) -> Path:
    """Relu → MaxPool(dilation 2) → Relu → MaxPool(dilation 2) → Relu on a 1×1×16×16
    input: two pools that run on the host, between three stretches of device ops."""
    import onnx
    from onnx import TensorProto, helper

    def pool(source, target, name):
        return helper.make_node("MaxPool", [source], [target], name=name, kernel_shape=[2, 2],
                                dilations=[2, 2])

    nodes = [helper.make_node("Relu", ["x"], ["a"], name="/stem/Relu"),
             pool("a", "b", "/down1/MaxPool"),
             helper.make_node("Relu", ["b"], ["c"], name="/mid/Relu"),
             pool("c", "d", "/down2/MaxPool"),
             helper.make_node("Relu", ["d"], ["y"], name="/head/Relu")]
    graph = helper.make_graph(
        nodes, "pools", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(onnx.shape_inference.infer_shapes(model), str(path))
    return path
