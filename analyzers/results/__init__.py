"""The ground floor: the data that flows between the engine's stages and out to every reader.

Frozen dataclasses and the vocabulary they use, nothing more. :mod:`.findings` (a finding,
its location and provenance), :mod:`.report` (the report and its sections),
:mod:`.memory` (the memory section), :mod:`.rewrites` (rewrite suggestions),
:mod:`.vocabulary` (statuses, severities, categories, the verdict); :mod:`.codec` alone
knows the JSON form and :mod:`.units` formats bytes, FLOPs, seconds and counts. Every other
package of the engine may import this one; it imports none of them.
"""

from trnport.analyzers.results.findings import Finding, Location, Provenance
from trnport.analyzers.results.memory import MemorySection
from trnport.analyzers.results.report import (
    ConverterFix,
    FixAction,
    KbInfo,
    ModelInfo,
    ModuleRow,
    OperatorRow,
    Report,
    Summary,
    TargetInfo,
    ToolInfo,
)
from trnport.analyzers.results.rewrites import RewriteSuggestion
from trnport.analyzers.results.vocabulary import (
    CATEGORIES,
    IMPACTS,
    SCHEMA_ID,
    SEVERITIES,
    STATUSES,
    verdict_for,
)

__all__ = [
    "CATEGORIES", "IMPACTS", "SCHEMA_ID", "SEVERITIES", "STATUSES", "ConverterFix", "Finding",
    "FixAction", "KbInfo", "Location",
    "MemorySection", "ModelInfo", "ModuleRow", "OperatorRow", "Provenance", "Report",
    "RewriteSuggestion", "Summary", "TargetInfo", "ToolInfo", "verdict_for",
]
