"""Bucket edges that minimise padding for a fixed number of compiled graphs.

Every observed length is padded up to the smallest edge not below it; the largest edge is
the largest length. Optimal edges are always observed lengths, and the padding cost obeys
the Monge (quadrangle) property, so a divide-and-conquer dynamic programme finds the exact
optimum in O(k · n log n) for ``n`` distinct lengths and ``k`` buckets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucketing:
    """Edges (ascending) and what padding to them costs, counted over every observation."""

    edges: tuple[int, ...]
    real: int      # sum of the observed lengths
    padded: int    # sum of the edges they are padded to

    @property
    def overhead_pct(self) -> float:
        """Extra (padding) elements as a percentage of the real ones."""
        return 100.0 * (self.padded - self.real) / self.real if self.real else 0.0


def best_buckets(lengths: Iterable[int], max_buckets: int) -> Bucketing:
    """The bucketing of ``lengths`` (with repeats) into at most ``max_buckets`` edges that
    pads least. ValueError for an empty input or a count below 1."""
    counts = Counter(lengths)
    if not counts:
        raise ValueError("no lengths to bucket")
    if max_buckets < 1:
        raise ValueError("at least one bucket is needed")
    values = sorted(counts)
    weights = [counts[v] for v in values]
    real = sum(v * w for v, w in zip(values, weights, strict=True))
    k = min(max_buckets, len(values))
    edges = _optimal_edges(values, weights, k)
    padded = 0
    j = 0
    for value, weight in zip(values, weights, strict=True):
        while edges[j] < value:
            j += 1
        padded += edges[j] * weight
    return Bucketing(edges=tuple(edges), real=real, padded=padded)


def _optimal_edges(values: list[int], weights: list[int], k: int) -> list[int]:
    n = len(values)
    prefix_w = [0] * (n + 1)
    prefix_vw = [0] * (n + 1)
    for i, (v, w) in enumerate(zip(values, weights, strict=True)):
        prefix_w[i + 1] = prefix_w[i] + w
        prefix_vw[i + 1] = prefix_vw[i] + v * w

    def cost(i: int, j: int) -> int:
        """Padding of values[i..j] (inclusive) to values[j]."""
        return values[j] * (prefix_w[j + 1] - prefix_w[i]) - (prefix_vw[j + 1] - prefix_vw[i])

    inf = float("inf")
    # best[j]: least padding of values[0..j] with the current number of buckets, last edge j
    best = [cost(0, j) for j in range(n)]
    choices: list[list[int]] = [[-1] * n]
    for _ in range(1, k):
        new = [inf] * n
        arg = [-1] * n
        _fill(new, arg, best, cost, 0, n - 1, 0, n - 1)
        best = new
        choices.append(arg)
    edges = []
    j = n - 1
    for layer in range(k - 1, -1, -1):
        edges.append(values[j])
        j = choices[layer][j]
    return sorted(edges)


def _fill(new, arg, prev, cost, lo, hi, opt_lo, opt_hi) -> None:
    """Divide and conquer: new[j] = min over p < j of prev[p] + cost(p+1, j); the best p is
    monotone in j."""
    stack = [(lo, hi, opt_lo, opt_hi)]
    while stack:
        lo, hi, opt_lo, opt_hi = stack.pop()
        if lo > hi:
            continue
        mid = (lo + hi) // 2
        best_value, best_p = float("inf"), -1  # -1: too few values for this many buckets
        for p in range(opt_lo, min(mid, opt_hi + 1)):
            value = prev[p] + cost(p + 1, mid)
            if value < best_value:
                best_value, best_p = value, p
        new[mid], arg[mid] = best_value, best_p
        split = best_p if best_p >= 0 else opt_lo
        stack.append((lo, mid - 1, opt_lo, split))
        stack.append((mid + 1, hi, split, opt_hi))
