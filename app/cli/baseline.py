"""``--baseline FILE|DIR|last``: the findings a previous run already had, so that a check
fails only on what is new.

- ``FILE``: a ``trnport.report/1`` JSON report (``--format json``), used for every model;
- ``DIR``: a folder of JSON reports named as ``--output-dir`` names them (``<model>.json``);
  a model without one there has no baseline and all its findings are new;
- ``last``: the newest session of the same model, target and mode in the porting history.

Findings are matched on code, ops and location (file name, line, module), not on node
names, so re-exporting a model (which renames nodes) does not make old findings new.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trnport.analyzers.report.gate import finding_key_from_json
from trnport.analyzers.results import SCHEMA_ID
from trnport.app.cli.parser import UsageError

LAST = "last"


@dataclass(frozen=True)
class Baseline:
    keys: Counter
    label: str


def baseline_from_report(data: Any, label: str) -> Baseline:
    """The counted finding keys of a JSON report (already parsed)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID:
        raise UsageError(f"baseline {label} is not a trnport JSON report "
                         f"(expected \"schema\": \"{SCHEMA_ID}\"; write one with --format json)")
    findings = data.get("findings")
    if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
        raise UsageError(f"baseline {label} has no list of findings")
    return Baseline(keys=Counter(finding_key_from_json(f) for f in findings), label=label)


def load_baseline_file(path: Path) -> Baseline:
    """Read a JSON report written by ``trnport check --format json``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"baseline {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"baseline {path}: cannot read it ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"baseline {path} is not valid JSON: {error.msg} at line "
                         f"{error.lineno}") from None
    except RecursionError:
        raise UsageError(f"baseline {path} is not a report (JSON nested too deeply)") from None
    return baseline_from_report(data, str(path))


def _from_history(model: Path, family: str, mode: str, db_url: str | None) -> Baseline:
    try:
        from trnport.app.history import open_store
    except ImportError:
        raise UsageError("--baseline last: no porting history yet (the history store is not "
                         "available in this installation)") from None
    with open_store(db_url) as store:
        for summary in store.list_sessions(str(model)):
            if summary.target_family == family and summary.target_mode == mode:
                report = store.get_session(summary.id).report
                return baseline_from_report(report, f"history session {summary.id}")
    raise UsageError(f"--baseline last: no porting history yet for {model} on {family} "
                     f"{mode}; run 'trnport check' once without --no-history to record one")


class BaselineSource:
    """Resolves ``--baseline`` for each model of a run; a file is read once."""

    def __init__(self, spec: str | None, db_url: str | None = None):
        self.spec = spec
        self._db_url = db_url
        self._shared: Baseline | None = None
        if spec and spec != LAST:
            path = Path(spec)
            if not path.exists():
                raise UsageError(f"baseline {spec}: no such file or folder")
            if path.is_file():
                self._shared = load_baseline_file(path)

    def for_model(self, model: Path, stem: str, family: str, mode: str) -> Baseline | None:
        """The baseline of one model, or None when there is none to compare with."""
        if not self.spec:
            return None
        if self.spec == LAST:
            return _from_history(model, family, mode, self._db_url)
        if self._shared is not None:
            return self._shared
        candidate = Path(self.spec) / f"{stem}.json"
        if not candidate.is_file():
            return Baseline(keys=Counter(), label=f"{candidate} (missing: all findings new)")
        return load_baseline_file(candidate)
