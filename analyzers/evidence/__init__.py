"""Compiler evidence: verdicts from the real Neuron compiler rather than the knowledge base.

Three ways in, one result type (:class:`CompilerEvidence`):

- :func:`load_analyze_file` reads a saved ``torch_neuronx.analyze()`` result (JSON);
- :func:`load_compiler_log` reads a neuronx-cc log (``NCC_*`` error codes, "HLO instructions
  are not supported" lists);
- :func:`apply_probe` runs ``torch_neuronx.analyze`` itself when torch_neuronx is importable.

:func:`merge_evidence` folds the evidence into a :class:`~trnport.analyzers.results.Report`.
Nothing here imports torch at module level.
"""

from __future__ import annotations

from trnport.analyzers.evidence.analyze_import import load_analyze_file, parse_analyze_result
from trnport.analyzers.evidence.compiler_log import load_compiler_log, parse_compiler_log
from trnport.analyzers.evidence.merge import merge_evidence
from trnport.analyzers.evidence.model import CompilerEvidence
from trnport.analyzers.evidence.probe import apply_probe, run_probe

__all__ = [
    "CompilerEvidence",
    "apply_probe",
    "load_analyze_file",
    "load_compiler_log",
    "merge_evidence",
    "parse_analyze_result",
    "parse_compiler_log",
    "run_probe",
]
