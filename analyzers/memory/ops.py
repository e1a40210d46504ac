"""Operator families the memory and compute estimates treat specially.

Op names are compared by *packet*: ``aten.mm.default`` → ``aten.mm`` (TorchScript graphs record
no overload), ``onnx::MatMul`` as is.
"""

from __future__ import annotations

import functools


@functools.cache  # a model has few op names and every pass asks per node
def op_packet(op: str) -> str:
    """``aten.view.default`` → ``aten.view``; ONNX names are returned unchanged."""
    if "::" in op:
        return op
    parts = op.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else op


#: Ops that pick rows of their first input by index. On a stacked expert weight
#: ``[experts, out, in]`` the pick is the export's way of routing tokens to experts
#: (``weight[expert_ids]``): Neuron's MoE kernels read the experts' weights in place, so the
#: picked copy is weight traffic, not an activation (see :mod:`.activations`).
GATHER_PACKETS = frozenset({"aten.index", "aten.index_select", "onnx::Gather"})

#: Ops whose outputs share their first input's storage (no new memory, no data moved).
#: A compiler may still materialise some (a permute before a matmul); eager PyTorch does not.
ALIAS_PACKETS = frozenset({
    "aten.view", "aten._unsafe_view", "aten.reshape", "aten.permute", "aten.transpose",
    "aten.t", "aten.expand", "aten.expand_as", "aten.view_as", "aten.slice", "aten.select",
    "aten.unsqueeze", "aten.squeeze", "aten.alias", "aten.as_strided", "aten.diagonal",
    "aten.unfold", "aten.narrow", "aten.split", "aten.split_with_sizes", "aten.unbind",
    "aten.chunk", "aten.view_as_real", "aten.view_as_complex", "aten.unflatten",
    "aten.flatten", "aten.detach", "aten.lift_fresh", "aten.movedim", "aten.swapaxes",
    "aten.numpy_T", "aten.mT", "aten.real", "aten.imag",
    "onnx::Reshape", "onnx::Flatten", "onnx::Squeeze", "onnx::Unsqueeze", "onnx::Identity",
})

#: Matrix products (exact FLOPs); also the boundaries of attention-score regions.
MATMUL_PACKETS = frozenset({
    "aten.mm", "aten.addmm", "aten.bmm", "aten.baddbmm", "aten.matmul", "aten.linear",
    "aten.addbmm", "aten.dot", "aten.mv", "aten.addmv", "aten.einsum",
    "onnx::MatMul", "onnx::Gemm", "onnx::MatMulInteger", "onnx::QLinearMatMul",
})
CONV_PACKETS = frozenset({
    "aten.convolution", "aten.conv1d", "aten.conv2d", "aten.conv3d", "aten._convolution",
    "aten.conv_transpose1d", "aten.conv_transpose2d", "aten.conv_transpose3d",
    "onnx::Conv", "onnx::ConvTranspose", "onnx::ConvInteger", "onnx::QLinearConv",
})
ATTENTION_PACKETS = frozenset({
    "aten.scaled_dot_product_attention", "aten._scaled_dot_product_flash_attention",
    "aten._scaled_dot_product_flash_attention_for_cpu",
    "aten._scaled_dot_product_efficient_attention", "aten._scaled_dot_product_cudnn_attention",
    "aten._scaled_dot_product_attention_math", "onnx::Attention",
})
SOFTMAX_PACKETS = frozenset({
    "aten._softmax", "aten.softmax", "aten._safe_softmax", "aten._log_softmax",
    "aten.log_softmax", "onnx::Softmax", "onnx::LogSoftmax",
})
#: Ops that only move or create data: no arithmetic.
DATA_MOVEMENT_PACKETS = frozenset({
    "aten.cat", "aten.stack", "aten.clone", "aten.copy", "aten._to_copy", "aten.contiguous",
    "aten.index", "aten.index_select", "aten.gather", "aten.embedding", "aten.constant_pad_nd",
    "aten.pad", "aten.repeat", "aten.roll", "aten.flip", "aten.full", "aten.full_like",
    "aten.zeros", "aten.zeros_like", "aten.ones", "aten.ones_like", "aten.empty",
    "aten.empty_like", "aten.empty_strided", "aten.arange", "aten.scalar_tensor",
    "aten.new_zeros", "aten.new_ones", "aten.new_full", "aten.new_empty", "aten.fill",
    "aten.slice_scatter", "aten.select_scatter", "aten.index_put", "aten.scatter",
    "aten.tril", "aten.triu", "aten.lift_fresh_copy",
    "onnx::Concat", "onnx::Gather", "onnx::GatherElements", "onnx::GatherND", "onnx::Slice",
    "onnx::Pad", "onnx::Tile", "onnx::Expand", "onnx::Transpose", "onnx::Cast",
    "onnx::Constant", "onnx::ConstantOfShape", "onnx::Shape", "onnx::Split", "onnx::Range",
    "onnx::ScatterND", "onnx::ScatterElements",
})
#: Ops costing about this many operations per output element (transcendental and normalising).
HEAVY_ELEMENTWISE = {
    "aten._softmax": 5, "aten.softmax": 5, "aten._safe_softmax": 5, "aten._log_softmax": 5,
    "aten.log_softmax": 5, "onnx::Softmax": 5, "onnx::LogSoftmax": 5,
    "aten.native_layer_norm": 8, "aten.layer_norm": 8, "onnx::LayerNormalization": 8,
    "aten.native_group_norm": 8, "aten.group_norm": 8, "onnx::GroupNormalization": 8,
    "aten._native_batch_norm_legit_no_training": 2, "aten._native_batch_norm_legit": 8,
    "aten.native_batch_norm": 8, "aten.batch_norm": 2, "onnx::BatchNormalization": 2,
    "aten.gelu": 8, "onnx::Gelu": 8,
}
#: Reductions: cost is one operation per *input* element.
REDUCTION_PACKETS = frozenset({
    "aten.sum", "aten.mean", "aten.amax", "aten.amin", "aten.max", "aten.min", "aten.prod",
    "aten.var", "aten.var_mean", "aten.std", "aten.argmax", "aten.argmin", "aten.logsumexp",
    "aten.norm", "aten.linalg_vector_norm", "aten.cumsum", "aten.avg_pool2d",
    "aten.max_pool2d_with_indices", "aten.max_pool2d", "aten._adaptive_avg_pool2d",
    "aten.adaptive_avg_pool2d", "aten.avg_pool1d", "aten.avg_pool3d",
    "onnx::ReduceSum", "onnx::ReduceMean", "onnx::ReduceMax", "onnx::ReduceMin",
    "onnx::ReduceProd", "onnx::MaxPool", "onnx::AveragePool", "onnx::GlobalAveragePool",
    "onnx::GlobalMaxPool", "onnx::ArgMax", "onnx::ArgMin", "onnx::CumSum",
})
