"""``--probe``: run ``torch_neuronx.analyze`` on the model itself and merge its verdicts.

The probe needs torch-neuronx and neuronx-cc (a Neuron host, or any host with the compiler
installed) and a model it can call: a Python model file (``model`` and ``example_inputs``,
run with ``--trust-code``). When torch_neuronx is not importable, or the model is another
format, or analyze() fails, the report is returned with a diagnostic that says so: the
static verdicts stand and the exit code does not change. torch and torch_neuronx are
imported only inside the probe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.evidence.model import PROBE, CompilerEvidence
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results import Report

UNAVAILABLE = ("compiler probe unavailable: torch_neuronx is not importable here "
               "(verdicts are from the knowledge base only)")


class ProbeUnavailable(Exception):
    """The probe cannot run here; ``str(error)`` is one line for the report."""


def apply_probe(report: Report, path: Path, options: AnalysisOptions, kb=None) -> Report:
    """``report`` with the probe's verdicts merged, or with a diagnostic explaining why the
    probe did not run. Never raises for an unavailable or failing probe."""
    import dataclasses

    from trnport.analyzers.evidence.merge import merge_evidence

    try:
        evidence = run_probe(Path(path), options, report_format=report.model.format)
    except ProbeUnavailable as why:
        return dataclasses.replace(report, diagnostics=(*report.diagnostics, str(why)))
    return merge_evidence(report, evidence, kb)


def run_probe(path: Path, options: AnalysisOptions, report_format: str = "python"
              ) -> CompilerEvidence:
    """Run ``torch_neuronx.analyze`` on the model at ``path``; ProbeUnavailable when it
    cannot run here."""
    try:
        import torch_neuronx
    except ImportError:
        raise ProbeUnavailable(UNAVAILABLE) from None
    if report_format != "python":
        raise ProbeUnavailable(
            f"compiler probe skipped: it runs on Python model files (.py), not {report_format} "
            "models (import a saved analyze() result with 'trnport import-analyze')")
    model, example_inputs = _model_and_inputs(path, options)
    try:
        result = torch_neuronx.analyze(model, example_inputs)
    except Exception as error:  # the compiler or torch-xla failing is a finding-less outcome
        first = (str(error).strip().splitlines() or [""])[0][:200]
        raise ProbeUnavailable(f"compiler probe failed: {type(error).__name__}: {first}") from None
    from trnport.analyzers.evidence.analyze_import import parse_analyze_result

    try:
        return parse_analyze_result(result, source=path.name, kind=PROBE)
    except Exception as error:  # an analyze() of another version returning another shape
        raise ProbeUnavailable(f"compiler probe returned an unexpected result: {error}") from None


def _model_and_inputs(path: Path, options: AnalysisOptions) -> tuple[Any, tuple]:
    from trnport.analyzers.loaders.torch import python_file as loader

    if not options.trust_code:
        raise InputError(f"{path}: the compiler probe runs the model file; pass --trust-code")
    resolved = path.resolve()
    with loader._file_folder_importable(resolved):
        namespace = loader._run_file(resolved)
        model = loader._model_from(resolved, namespace)
        inputs = loader._example_inputs_from(resolved, namespace)[0]
    if options.mode == "training":
        model.train()
    else:
        model.eval()
    return model, tuple(inputs)
