"""Rewrite an ONNX file end to end: apply each rewrite, prove it against the original
(checker + onnxruntime within a tolerance), keep only proven ones, re-analyse.

Plain functions for the CLI and the GUI's worker; nothing here prints."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from trnport.analyzers.errors import InputError
from trnport.analyzers.output_file import write_output
from trnport.analyzers.rewrites.onnx.engine import apply_rewrites, onnx_rewrite, onnx_rewrites
from trnport.analyzers.rewrites.verify import DEFAULT_TOLERANCE, verify
from trnport.analyzers.rewriting.outcome import RewriteOutcome, Step, with_reports


def safe_rewrite_ids() -> tuple[str, ...]:
    return tuple(r.INFO.id for r in onnx_rewrites() if r.INFO.safe)


def check_rewrite_ids(ids: list[str]) -> None:
    unknown = [rid for rid in ids if onnx_rewrite(rid) is None]
    if unknown:
        known = ", ".join(r.INFO.id for r in onnx_rewrites())
        raise InputError(f"no automated ONNX rewrite {unknown[0]!r} (known: {known})")


def load_onnx(path: Path) -> Any:
    """The model at ``path`` with its external data, or an InputError."""
    import onnx

    from trnport.analyzers.loaders.onnx.loader import read_model

    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise InputError(f"{path}: rewrite takes an .onnx model")
    model = read_model(path)
    try:
        onnx.load_external_data_for_model(model, str(path.parent))
    except Exception as error:  # missing file, escaping path
        line = (str(error).splitlines() or [type(error).__name__])[0]
        raise InputError(f"{path}: cannot read external data ({line})") from error
    return model


def rewrite_model(model: Any, rewrite_ids: list[str], tolerance: float = DEFAULT_TOLERANCE,
                  seed: int = 0) -> RewriteOutcome:
    """Apply ``rewrite_ids`` in order; each is verified against the original model and
    dropped (status ``refused``) when the outputs differ or the result is invalid."""
    check_rewrite_ids(rewrite_ids)
    current, steps = model, []
    for rewrite_id in rewrite_ids:
        result = apply_rewrites(current, [rewrite_id])
        if not result.applied:
            steps.append(Step(rewrite_id, "no-match", refusals=result.refusals))
            continue
        proof = verify(model, result.model, tolerance, seed)
        status = "verified" if proof.ok else "refused"
        steps.append(Step(rewrite_id, status, result.applied, result.refusals, proof))
        if proof.ok:
            current = result.model
    return RewriteOutcome(current, tuple(steps))


def reanalyse(source: Path, outcome: RewriteOutcome, options: Any = None) -> RewriteOutcome:
    """``outcome`` with the findings the rewrites cleared and those they introduced."""
    from trnport.analyzers.api import analyze

    before = analyze(source, options)
    with tempfile.TemporaryDirectory() as folder:
        rewritten = Path(folder) / Path(source).name
        save_model(outcome.model, rewritten)
        after = analyze(rewritten, options)
    return with_reports(outcome, before, after)


def save_model(model: Any, path: Path) -> None:
    """Write ``model`` to ``path`` (a regular file atomically; see :mod:`output_file`)."""
    write_output(path, model.SerializeToString())
