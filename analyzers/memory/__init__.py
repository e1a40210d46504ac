"""Memory, compute and parallelism fit: will the model fit a NeuronCore, at which TP, how fast.

:func:`assess_memory` is the stage the engine calls; its :class:`MemoryResult` is read by the
TRN4xx rules (``context.memory``) and becomes the report's memory section
(:func:`memory_section`). Module map: :mod:`.params` (weights and buffers),
:mod:`.activations` (liveness peak, saved activations), :mod:`.kv_cache`,
:mod:`.training_state`, :mod:`.fit` (per-core grid), :mod:`.flops`, :mod:`.roofline`,
:mod:`.instructions` and :mod:`.sharding` (size risks), :mod:`.hardware` (per-core budget),
:mod:`.section` (the report's section).
"""

from __future__ import annotations

from trnport.analyzers.errors import InputError
from trnport.analyzers.graph.ir import Graph
from trnport.analyzers.memory.assessment import estimate_memory
from trnport.analyzers.memory.hardware import (
    CoreBudget,
    budget_from_target,
    compute_dtype_for,
)
from trnport.analyzers.memory.result import MemoryResult
from trnport.analyzers.memory.section import memory_section
from trnport.analyzers.options import TARGET_FAMILIES, AnalysisOptions


def assess_memory(graph: Graph, kb, profile, target, options: AnalysisOptions, *,
                  coverage=None) -> MemoryResult:
    """Memory fit, compute estimate and size risks of ``graph`` on ``target``.

    ``kb``/``profile``/``target`` are what :func:`trnport.analyzers.kb.load_kb`,
    ``kb.profile()`` and ``kb.target()`` return. TP degrees are tried up to the logical
    cores of the target's instance (``--instance``, else the family's default instance); the
    other target families of the knowledge base are summarised too at their default
    instances (smallest TP, roofline).
    ``coverage`` (an object with ``.verdicts``), when given, adds FLOPs per coverage status.
    """
    budget = budget_from_target(target)
    others = []
    for family in TARGET_FAMILIES:
        if family == budget.family:
            continue
        try:
            others.append(budget_from_target(kb.target(family)))
        except InputError:  # a family the knowledge base does not describe is skipped
            continue
    verdicts = getattr(coverage, "verdicts", None) if coverage is not None else None
    return estimate_memory(graph, options, budget, other_budgets=others,
                           compute_dtype=compute_dtype_for(options.dtype, profile),
                           coverage_verdicts=verdicts)


__all__ = ["CoreBudget", "MemoryResult", "assess_memory", "estimate_memory", "memory_section"]
