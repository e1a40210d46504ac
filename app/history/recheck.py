"""Re-analysing a stored session's model under another SDK profile, and comparing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results import Report
from trnport.app.history.convert import unsaved_detail
from trnport.app.history.diff import compare
from trnport.app.history.records import SessionDetail, SessionDiff, SessionSummary
from trnport.app.history.store import Store

Analyze = Callable[[Path, AnalysisOptions], Report]


@dataclass(frozen=True)
class RecheckResult:
    before: SessionDetail
    after: SessionDetail
    diff: SessionDiff


def recheck_options(summary: SessionSummary, sdk: str, *,
                    trust_code: bool = False) -> AnalysisOptions:
    """The stored session's target and shapes, under SDK profile ``sdk``. Options a
    session does not record (pp, dp, optimizer, ZeRO-1) take their defaults."""
    return AnalysisOptions(
        target=summary.target_family, instance=summary.target_instance,
        mode=summary.target_mode, dtype=summary.target_dtype, batch=summary.target_batch,
        seq_len=summary.target_seq_len, tp=summary.target_tp, sdk=sdk, trust_code=trust_code,
    )


def _engine_analyze(path: Path, options: AnalysisOptions) -> Report:
    from trnport.analyzers.api import analyze

    return analyze(path, options)


def recheck(store: Store, session_id: int, sdk: str, *, trust_code: bool = False,
            save: bool = True, analyze: Analyze | None = None) -> RecheckResult:
    """Analyse session ``session_id``'s model again under ``sdk`` and diff the two.

    The model is read from the path the session recorded (it may have changed since: the
    diff then shows a new sha256). The new analysis is saved as a session unless ``save``
    is False. Raises :class:`InputError` if the model file is gone.
    """
    before = store.get_session(session_id)
    model_path = Path(before.summary.model_path)
    if not model_path.exists():
        raise InputError(f"{model_path}: the model of session {session_id} no longer exists "
                         "at this path")
    options = recheck_options(before.summary, sdk, trust_code=trust_code)
    report = (analyze or _engine_analyze)(model_path, options)
    if save:
        after = store.get_session(store.save_session(report).id)
    else:
        after = unsaved_detail(report)
    return RecheckResult(before=before, after=after, diff=compare(before, after))
