"""How many bytes a tensor takes on a NeuronCore when the user runs the model in ``--dtype``.

The graph records the dtypes of the export (a Hugging Face config is built in the analysed
dtype; a Python file or an ONNX model in whatever its author used). Since neuronx-cc 2.22
(Neuron 2.27 profiles) the compiler default is ``--auto-cast none``: nothing is recast, so the
dtype the user moves the model to (``model.to(torch.bfloat16)``) is what HBM holds. So:

* floating tensors in the graph's *model dtype* (the dominant float dtype of its weights) are
  re-expressed in the run dtype; floats in another dtype are deliberate (an RMSNorm or softmax
  upcast to float32 inside a bf16 model) and keep their own size;
* ``fp8`` means fp8 weights (1 byte) with bf16 activations, KV cache and gradients, which is how
  Neuron runs fp8 (quantised matmul weights, bf16 compute around them);
* dtypes the Neuron toolchain does not keep as declared take the size of the dtype it stores
  them as (``storage`` in ``resources/neuron/dtypes.yaml``: float64 becomes float32, 64-bit
  integers 32-bit, int16/uint16 are widened to 32 bits).
"""

from __future__ import annotations

import math
from collections import Counter

from trnport.analyzers.graph.ir import DTYPE_BYTES, Graph, param_shape_counts
from trnport.analyzers.kb import load_kb

FLOAT_DTYPES = frozenset({
    "float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
    "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1",
})
#: Bytes per weight element under each ``--dtype``.
WEIGHT_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1}
#: Dtype of activations, KV cache and gradients under each ``--dtype``.
ACTIVATION_DTYPE = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "fp8": "bfloat16"}
#: Storage name of weights under each ``--dtype`` (for "bytes by dtype" tables).
WEIGHT_DTYPE = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "fp8": "float8"}


def model_float_dtype(graph: Graph) -> str:
    """The float dtype most of the graph's weights are stored in (by elements); for a graph
    without float weights, the commonest float dtype among its values; float32 otherwise."""
    counts: Counter[str] = Counter()
    for (_kind, shape, dtype), repeats in param_shape_counts(graph.params).items():
        if dtype in FLOAT_DTYPES:
            counts[dtype] += math.prod(shape) * repeats
    if not counts:
        counts.update(v.dtype for v in graph.values.values() if v.dtype in FLOAT_DTYPES)
    return counts.most_common(1)[0][0] if counts else "float32"


class DtypePolicy:
    """Sizes of weights and activations under one ``--dtype`` for one graph."""

    def __init__(self, run_dtype: str, model_dtype: str) -> None:
        self.run_dtype = run_dtype
        self.model_dtype = model_dtype
        self._stored_as = load_kb().dtype_storage

    @classmethod
    def for_graph(cls, graph: Graph, run_dtype: str) -> DtypePolicy:
        return cls(run_dtype, model_float_dtype(graph))

    def _follows_run_dtype(self, dtype: str) -> bool:
        return dtype == self.model_dtype or dtype == "float64"

    def weight_element_bytes(self, dtype: str) -> float:
        """Bytes per element of a weight or buffer stored as ``dtype`` in the graph."""
        if dtype in FLOAT_DTYPES and self._follows_run_dtype(dtype):
            return WEIGHT_BYTES[self.run_dtype]
        return self._stored_bytes(dtype)

    def weight_storage_name(self, dtype: str) -> str:
        if dtype in FLOAT_DTYPES and self._follows_run_dtype(dtype):
            return WEIGHT_DTYPE[self.run_dtype]
        return self._stored_as.get(dtype, dtype)

    def activation_element_bytes(self, dtype: str | None) -> float:
        """Bytes per element of an intermediate value of ``dtype`` (0 when unknown)."""
        if dtype is None:
            return 0
        if dtype in FLOAT_DTYPES and self._follows_run_dtype(dtype):
            return DTYPE_BYTES[ACTIVATION_DTYPE[self.run_dtype]]
        return self._stored_bytes(dtype)

    def _stored_bytes(self, dtype: str) -> float:
        """Bytes per element of ``dtype`` as the Neuron toolchain stores it (0 when unknown)."""
        return DTYPE_BYTES.get(self._stored_as.get(dtype, dtype), 0)

    @property
    def activation_bytes(self) -> int:
        """Bytes per element of activations, KV cache and gradients in the run dtype."""
        return int(DTYPE_BYTES[ACTIVATION_DTYPE[self.run_dtype]])
