"""Fixture models mark, line by line, the finding codes coverage must produce there
(``# expect: CODE``) and must not (``# ok: CODE``); the first line's ``# trnport:`` comment
picks target and SDK. Each fixture is loaded as a user's Python model file would be."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trnport.analyzers.coverage import assess_coverage
from trnport.analyzers.kb import load_kb
from trnport.analyzers.loaders.torch import python_file
from trnport.analyzers.options import AnalysisOptions

FIXTURES = Path(__file__).parent / "fixtures"
_MARK = re.compile(r"#\s*(expect|ok):\s*(TRN\d{3}(?:\s*,\s*TRN\d{3})*)")
_HEADER = re.compile(r"--(target|sdk)\s+(\S+)")


def _marks(path: Path) -> tuple[dict[str, str], list[tuple[int, str, str]]]:
    lines = path.read_text().splitlines()
    header = dict(_HEADER.findall(lines[0])) if lines and lines[0].startswith("# trnport:") else {}
    marks = []
    for number, text in enumerate(lines, start=1):
        match = _MARK.search(text)
        if match:
            for code in re.split(r"\s*,\s*", match.group(2)):
                marks.append((number, match.group(1), code))
    return header, marks


def _codes_by_line(path: Path, header: dict[str, str]) -> dict[int, set[str]]:
    options = AnalysisOptions(
        target=header.get("target", "trn2"), sdk=header.get("sdk"), trust_code=True
    )
    loaded = python_file.load(path, options)
    kb = load_kb()
    result = assess_coverage(
        loaded.graph, kb, kb.profile(options.sdk), kb.target(options.target), options
    )
    nodes = {node.name: node for node, _ in loaded.graph.walk()}
    found: dict[int, set[str]] = {}
    for item in (*result.verdicts, *result.dtype_issues):
        location = nodes[item.node].location
        if item.code and location.file and Path(location.file).resolve() == path.resolve():
            found.setdefault(location.line, set()).add(item.code)
    return found


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.stem)
def test_fixture_marks_hold(fixture: Path) -> None:
    header, marks = _marks(fixture)
    assert marks, f"{fixture.name} marks nothing"
    found = _codes_by_line(fixture, header)
    problems = []
    for line, kind, code in marks:
        present = code in found.get(line, set())
        if kind == "expect" and not present:
            problems.append(f"line {line}: expected {code}, got {sorted(found.get(line, []))}")
        if kind == "ok" and present:
            problems.append(f"line {line}: {code} must not fire")
    assert not problems, f"{fixture.name}: " + "; ".join(problems)
