"""Operator coverage: a knowledge-base verdict for every node of a graph, plus the dtype
issues (TRN2xx) each node has on the chosen target and SDK profile."""

from __future__ import annotations

from trnport.analyzers.coverage.assess import assess_coverage
from trnport.analyzers.coverage.result import (
    NODE_STATUSES,
    CoverageResult,
    DtypeIssue,
    NodeVerdict,
)

__all__ = ["NODE_STATUSES", "CoverageResult", "DtypeIssue", "NodeVerdict", "assess_coverage"]
