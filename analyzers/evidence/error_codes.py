"""The neuronx-cc error-code table (``resources/neuron/compiler_errors.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class CompilerError:
    """One NCC_* code: what triggers it, the fix, the finding it becomes, and the source."""

    code: str
    category: str
    finding: str
    meaning: str
    fix: str
    source: str


@dataclass(frozen=True)
class ErrorTable:
    errors: dict[str, CompilerError]
    unknown: CompilerError
    hlo_unsupported: CompilerError
    hlo_pattern: str

    def lookup(self, code: str) -> CompilerError:
        """The entry for ``code``; an unknown code gets the table's generic entry."""
        return self.errors.get(code) or CompilerError(
            code=code, category="unknown", finding=self.unknown.finding,
            meaning=self.unknown.meaning, fix=self.unknown.fix, source=self.unknown.source)


def table_path() -> Path:
    from trnport.analyzers.kb.loader import default_kb_dir

    return default_kb_dir() / "compiler_errors.yaml"


@cache
def error_table() -> ErrorTable:
    """The shipped table, loaded once per process."""
    from trnport.analyzers.kb.yaml_io import load_yaml_text

    data = load_yaml_text(table_path().read_text(encoding="utf-8"))
    errors = {}
    for entry in data["errors"]:
        for code in entry["codes"]:
            errors[code] = CompilerError(code=code, category=entry["category"],
                                         finding=entry["finding"], meaning=entry["meaning"],
                                         fix=entry["fix"], source=entry["source"])

    def special(key: str) -> CompilerError:
        spec = data[key]
        return CompilerError(code=key, category=key, finding=spec["finding"],
                             meaning=spec["meaning"], fix=spec["fix"], source=spec["source"])

    return ErrorTable(errors=errors, unknown=special("unknown_code"),
                      hlo_unsupported=special("hlo_unsupported"),
                      hlo_pattern=data["hlo_unsupported"]["pattern"])
