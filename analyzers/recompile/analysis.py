"""How many graphs varying input shapes compile to, and which buckets would bound them.

Inputs: the shape sets of a Python model file's ``example_inputs`` list (in
``Graph.metadata["input_shape_sets"]``) and/or observed lengths from ``--shapes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from trnport.analyzers.recompile.buckets import Bucketing, best_buckets

DEFAULT_MAX_GRAPHS = 4


@dataclass(frozen=True)
class VaryingDim:
    """One input dimension that changes between example inputs (or the observed lengths)."""

    label: str                 # "input 0, dim 1" or "observed length"
    values: tuple[int, ...]
    bucketing: Bucketing


@dataclass(frozen=True)
class RecompilationEstimate:
    graphs: int                # distinct shapes = graphs compiled without bucketing
    max_graphs: int
    dims: tuple[VaryingDim, ...]
    bucketed_graphs: int       # graphs after padding every varying dim to its edges
    source: str                # "example_inputs" or "--shapes"

    def to_dict(self) -> dict:
        return {
            "source": self.source, "graphs": self.graphs, "max_graphs": self.max_graphs,
            "bucketed_graphs": self.bucketed_graphs,
            "dims": [{"dim": d.label, "distinct": len(set(d.values)),
                      "edges": list(d.bucketing.edges),
                      "padding_pct": round(d.bucketing.overhead_pct, 2)} for d in self.dims],
        }


def from_lengths(lengths: tuple[int, ...], max_graphs: int) -> RecompilationEstimate | None:
    """Estimate for observed lengths; None when there is only one length."""
    if len(set(lengths)) < 2:
        return None
    bucketing = best_buckets(lengths, max_graphs)
    dim = VaryingDim("observed length", tuple(lengths), bucketing)
    return RecompilationEstimate(len(set(lengths)), max_graphs, (dim,), len(bucketing.edges),
                                 "--shapes")


def from_shape_sets(shape_sets: list, max_graphs: int) -> RecompilationEstimate | None:
    """Estimate for several example-input shape sets; None when all shapes are equal or the
    sets are not comparable (different numbers of tensors or ranks)."""
    signatures = [_signature(s) for s in shape_sets]
    if len(set(signatures)) < 2 or len({_layout(s) for s in signatures}) != 1:
        return None
    columns = _varying_columns(signatures)
    budgets = _split_budget([values for _, values in columns], max_graphs)
    dims = tuple(VaryingDim(label, values, best_buckets(values, budget))
                 for (label, values), budget in zip(columns, budgets, strict=True))
    bucketed = {_bucketed(sig, columns, dims) for sig in signatures}
    return RecompilationEstimate(len(set(signatures)), max_graphs, dims, len(bucketed),
                                 "example_inputs")


def _signature(shapes: list) -> tuple:
    return tuple(tuple(s) if s is not None else None for s in shapes)


def _layout(signature: tuple) -> tuple:
    return tuple(None if s is None else len(s) for s in signature)


def _varying_columns(signatures: list[tuple]) -> list[tuple[str, tuple[int, ...]]]:
    columns = []
    for index, first in enumerate(signatures[0]):
        if first is None:
            continue
        for axis in range(len(first)):
            values = tuple(int(sig[index][axis]) for sig in signatures)
            if len(set(values)) > 1:
                columns.append((f"input {index}, dim {axis}", values))
    return columns


def _split_budget(columns: list[tuple[int, ...]], max_graphs: int) -> list[int]:
    """Buckets per varying dim whose product stays within ``max_graphs``, given greedily to
    the dim whose padding falls most from one more bucket."""
    budgets = [1] * len(columns)
    while True:
        best, gain = None, 0.0
        for i, values in enumerate(columns):
            grown = budgets.copy()
            grown[i] += 1
            if _product(grown) > max_graphs or budgets[i] >= len(set(values)):
                continue
            saved = (best_buckets(values, budgets[i]).padded
                     - best_buckets(values, grown[i]).padded) / max(1, sum(values))
            if saved > gain:
                best, gain = i, saved
        if best is None:
            return budgets
        budgets[best] += 1


def _product(numbers: list[int]) -> int:
    result = 1
    for n in numbers:
        result *= n
    return result


def _bucketed(signature: tuple, columns, dims: tuple[VaryingDim, ...]) -> tuple:
    shapes = [list(s) if s is not None else None for s in signature]
    for (label, _), dim in zip(columns, dims, strict=True):
        index, axis = (int(part.split()[-1]) for part in label.split(", "))
        value = shapes[index][axis]
        shapes[index][axis] = next(edge for edge in dim.bucketing.edges if edge >= value)
    return tuple(tuple(s) if s is not None else None for s in shapes)
