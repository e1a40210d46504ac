"""Graph inputs whose dimensions are symbolic (ONNX ``dim_param`` or anonymous dims,
``torch.export`` ``dynamic_shapes``), with the range export proved for each symbol, whether
a symbol is a batch axis, and a proposal of padding buckets for the other ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from trnport.analyzers.graph import Graph

_RANGE = re.compile(r"\[\s*(-?\d+)\s*,\s*(-?\d+|int_oo|oo|inf)\s*\]")
#: the largest power-of-two bucket proposed when export gives no upper bound
DEFAULT_MAX_BUCKET = 4096
#: symbol names exporters and people give a batch axis (``batch``, ``batch_size``, ``N``...)
_BATCH_NAME = re.compile(r"^(batch|batch_?size|bs|b|n|num_?samples)(_?\d+)?$", re.IGNORECASE)
#: words in the names of length-like axes (sequence, time, spatial), never batch axes
_LENGTH_WORDS = re.compile(r"seq|len|token|time|frame|position|step|past|height|width|pixel",
                           re.IGNORECASE)


@dataclass(frozen=True)
class DynamicInput:
    """One graph input with symbolic dims: ``dims`` maps axis → symbol; ``ranges`` maps a
    symbol to the (low, high) export proved (high None when unbounded)."""

    name: str
    shape: tuple
    dims: tuple[tuple[int, str], ...]
    ranges: tuple[tuple[str, tuple[int, int | None]], ...] = ()


def dynamic_inputs(graph: Graph, pinned: Mapping[str, tuple] | None = None) -> list[DynamicInput]:
    """Every user input with a symbolic dimension that ``pinned`` does not fix."""
    pinned = pinned or {}
    ranges = _ranges(graph.metadata.get("range_constraints") or {})
    found = []
    for name in graph.inputs:
        value = graph.values.get(name)
        if value is None or value.shape is None or name in pinned:
            continue
        dims = tuple((axis, d) for axis, d in enumerate(value.shape) if not isinstance(d, int))
        if not dims:
            continue
        symbols = {symbol for _, symbol in dims}
        found.append(DynamicInput(
            name=name, shape=tuple(value.shape), dims=dims,
            ranges=tuple((s, ranges[s]) for s in sorted(symbols) if s in ranges),
        ))
    return found


def batch_symbols(found: list[DynamicInput]) -> set[str]:
    """The symbols of ``found`` that are batch axes.

    A name decides when it says so (``batch``, ``batch_size``, ``N`` for batch; ``seq``,
    ``length``, ``height``... for the others). An unnamed-looking symbol (``s0``,
    ``unk__3``) is a batch axis when it only ever sizes axis 0 of inputs of rank 2 or more,
    which is where every framework puts the batch; elsewhere it is taken as a length.
    """
    leading: dict[str, bool] = {}
    for entry in found:
        for axis, symbol in entry.dims:
            at_front = axis == 0 and len(entry.shape) >= 2
            leading[symbol] = leading.get(symbol, True) and at_front
    return {symbol for symbol, only_leading in leading.items()
            if _BATCH_NAME.match(symbol) or (only_leading and not _LENGTH_WORDS.search(symbol))}


def _ranges(constraints: Mapping[str, str]) -> dict[str, tuple[int, int | None]]:
    parsed = {}
    for symbol, text in constraints.items():
        match = _RANGE.search(str(text))
        if match:
            high = match.group(2)
            parsed[str(symbol)] = (int(match.group(1)),
                                   int(high) if high.lstrip("-").isdigit() else None)
    return parsed


def bucket_edges(low: int, high: int | None, max_buckets: int = 4) -> list[int]:
    """Power-of-two padding buckets covering ``[low, high]``: each input is padded up to the
    next edge, so at most ``max_buckets`` graphs are compiled. The largest edges are kept,
    since the top edge must hold the longest input."""
    top = high if high is not None and high < 10**9 else DEFAULT_MAX_BUCKET
    edge = 1
    while edge < max(low, 1):
        edge *= 2
    edges = []
    while edge < top:
        edges.append(edge)
        edge *= 2
    edges.append(top)
    return edges[-max_buckets:]
