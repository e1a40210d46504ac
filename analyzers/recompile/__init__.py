"""Recompilation analysis: distinct input shapes → compiled graphs, and the shape buckets
that bound them with the least padding."""

from trnport.analyzers.recompile.analysis import (
    DEFAULT_MAX_GRAPHS,
    RecompilationEstimate,
    from_lengths,
    from_shape_sets,
)
from trnport.analyzers.recompile.buckets import Bucketing, best_buckets
from trnport.analyzers.recompile.observed import parse_lengths, read_lengths

__all__ = ["DEFAULT_MAX_GRAPHS", "Bucketing", "RecompilationEstimate", "best_buckets",
           "from_lengths", "from_shape_sets", "parse_lengths", "read_lengths"]
