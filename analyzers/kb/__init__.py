"""The Neuron knowledge base: SDK profiles, targets, operator verdicts, dtype issues and dtype
storage, rewrites, compiler and hardware limits and the sources of analysis findings, loaded
from ``resources/neuron/`` and validated against ``resources/schemas/kb.schema.json``.

``load_kb()`` is cached and imports neither torch nor onnx.
"""

from __future__ import annotations

from functools import cache

from trnport.analyzers.kb.knowledge_base import KnowledgeBase
from trnport.analyzers.kb.loader import default_kb_dir, load_kb_from
from trnport.analyzers.kb.model import (
    DtypeIssueSpec,
    InstanceInfo,
    Limit,
    OpEntry,
    Profile,
    Rewrite,
    RewriteAutomation,
    Rule,
    SourceEdit,
    Target,
    TargetFamily,
)


@cache
def load_kb() -> KnowledgeBase:
    """The shipped knowledge base (validated, frozen, loaded once per process)."""
    return load_kb_from(default_kb_dir())


__all__ = [
    "DtypeIssueSpec",
    "InstanceInfo",
    "KnowledgeBase",
    "Limit",
    "OpEntry",
    "Profile",
    "Rewrite",
    "RewriteAutomation",
    "Rule",
    "SourceEdit",
    "Target",
    "TargetFamily",
    "load_kb",
    "load_kb_from",
]
