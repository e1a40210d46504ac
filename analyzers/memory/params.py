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

from trnport.analyzers.graph.ir import DTYPE_BYTES, Graph, Param, param_shape_counts
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
    largest: float | None = None
    # a model with one weight per layer repeats a few kinds, dtypes and shapes thousands of
    # times: each is sized once, then counted
    params = unique_params(graph)
    size_of: dict[tuple[str, tuple[int, ...], str], float] = {}
    for key, repeats in param_shape_counts(params).items():
        kind, shape, dtype = key
        group = "trainable" if kind in TRAINABLE_KINDS else "other"
        storage = policy.weight_storage_name(dtype)
        numel = math.prod(shape)
        size = size_of[key] = numel * policy.weight_element_bytes(dtype)
        counts[group] += numel * repeats
        sizes[group] += size * repeats
        by_dtype[storage] = by_dtype.get(storage, 0) + size * repeats
        stored += math.ceil(numel * DTYPE_BYTES.get(dtype, 0)) * repeats  # Param.nbytes
        if group == "trainable" and (largest is None or size > largest):
            largest = size
    # the first trainable weight of the largest size, as one param at a time finds it
    largest_name = None if largest is None else next(
        p.name for p in params
        if p.kind in TRAINABLE_KINDS and size_of[(p.kind, p.shape, p.dtype)] == largest)
    return ParamSummary(
        parameters=counts["trainable"], buffers=counts["other"],
        parameter_bytes=math.ceil(sizes["trainable"]), buffer_bytes=math.ceil(sizes["other"]),
        stored_bytes=stored,
        bytes_by_dtype={k: math.ceil(v) for k, v in sorted(by_dtype.items())},
        largest=largest_name,
    )

