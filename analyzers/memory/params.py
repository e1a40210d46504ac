"""Weights and buffers, counted from the graph's :class:`Param` list (shapes and dtypes only,
never data), and sized under the run dtype (see :mod:`.dtypes`).

A tensor the export lists twice under one name (tied embeddings are listed once by
``torch.export``) is counted once. Trainable weights are ``parameter`` entries and ONNX
``initializer`` entries (ONNX does not say which initializers are trained); ``buffer`` and
``constant`` entries are state that is never trained (rotary tables, batch-norm statistics).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from trnport.analyzers.graph.ir import DTYPE_BYTES, Graph, Param
from trnport.analyzers.memory.dtypes import DtypePolicy

TRAINABLE_KINDS = ("parameter", "initializer")


@dataclass(frozen=True)
class ParamSummary:
    """Element counts and bytes of weights (trainable) and buffers, under the run dtype.

    ``stored_bytes`` is what the graph declares (the file's or export's dtypes);
    ``bytes_by_dtype`` maps storage dtype under the run dtype to bytes, weights and buffers
    together. ``largest`` names the biggest weight, for pointing a finding at it.
    """

    parameters: int
    buffers: int
    parameter_bytes: int
    buffer_bytes: int
    stored_bytes: int
    bytes_by_dtype: Mapping[str, int]
    largest: str | None

    @property
    def total_bytes(self) -> int:
        return self.parameter_bytes + self.buffer_bytes


def unique_params(graph: Graph) -> list[Param]:
    seen: set[str] = set()
    unique = []
    for param in graph.params:
        if param.name not in seen:
            seen.add(param.name)
            unique.append(param)
    return unique


def summarize_params(graph: Graph, policy: DtypePolicy) -> ParamSummary:
    """Count and size the graph's weights and buffers under ``policy``."""
    counts = {"trainable": 0, "other": 0}
    sizes = {"trainable": 0.0, "other": 0.0}
    by_dtype: dict[str, float] = {}
    stored = 0
    largest: tuple[float, str] | None = None
    per_dtype: dict[str, tuple[float, str, float]] = {}  # a model has few dtypes
    for param in unique_params(graph):
        group = "trainable" if param.kind in TRAINABLE_KINDS else "other"
        known = per_dtype.get(param.dtype)
        if known is None:
            known = per_dtype[param.dtype] = (policy.weight_element_bytes(param.dtype),
                                              policy.weight_storage_name(param.dtype),
                                              DTYPE_BYTES.get(param.dtype, 0))
        per_element, name, stored_per_element = known
        numel = param.numel
        size = numel * per_element
        counts[group] += numel
        sizes[group] += size
        by_dtype[name] = by_dtype.get(name, 0) + size
        stored += math.ceil(numel * stored_per_element)  # Param.nbytes
        if group == "trainable" and (largest is None or size > largest[0]):
            largest = (size, param.name)
    return ParamSummary(
        parameters=counts["trainable"], buffers=counts["other"],
        parameter_bytes=math.ceil(sizes["trainable"]), buffer_bytes=math.ceil(sizes["other"]),
        stored_bytes=stored,
        bytes_by_dtype={k: math.ceil(v) for k, v in sorted(by_dtype.items())},
        largest=largest[1] if largest else None,
    )
