"""Every rule documents itself with the fixed headings, ships its generated page, and its
documented example really triggers it."""

import os
import shlex

import pytest

from tests.helpers import REPO
from trnport.analyzers.results import CATEGORIES, SEVERITIES
from trnport.analyzers.rules.base import DOC_HEADINGS
from trnport.analyzers.rules.docs import doc_sections, example_code, rule_markdown
from trnport.analyzers.rules.registry import RULE_MODULES, all_rules

RULE_DOCS = REPO / "resources" / "rules"
RULES = all_rules()


@pytest.mark.parametrize("module", RULES, ids=lambda m: m.INFO.code)
def test_rule_has_every_documentation_heading(module):
    sections = doc_sections(module)
    for heading in DOC_HEADINGS:
        assert sections.get(heading), f"{module.INFO.code} lacks '## {heading}'"


@pytest.mark.parametrize("module", RULES, ids=lambda m: m.INFO.code)
def test_rule_info_is_consistent_with_the_code_table(module):
    info = module.INFO
    assert RULE_MODULES[info.code] == module.__name__.rsplit(".", 1)[1]
    assert module.__name__.rsplit(".", 1)[1].startswith(info.code.lower())
    assert info.severity in SEVERITIES
    assert info.category in CATEGORIES
    assert info.symbol == info.symbol.lower() and " " not in info.symbol
    assert info.fix and not info.fix.endswith(".")


def test_symbols_are_unique():
    symbols = [m.INFO.symbol for m in RULES]
    assert len(symbols) == len(set(symbols))


def test_shipped_rule_pages_match_the_rules():
    """Regenerate with TRNPORT_UPDATE_GOLDEN=1 after changing a rule's docstring."""
    if os.environ.get("TRNPORT_UPDATE_GOLDEN"):
        from trnport.analyzers.rules.docs import write_docs

        write_docs(RULE_DOCS)
    for module in RULES:
        page = RULE_DOCS / f"{module.INFO.code}.md"
        assert page.is_file(), f"missing {page}"
        assert page.read_text(encoding="utf-8") == rule_markdown(module), (
            f"{page} is stale: run TRNPORT_UPDATE_GOLDEN=1 pytest {__file__}")
    shipped = {p.stem for p in RULE_DOCS.glob("*.md")}
    assert shipped == set(RULE_MODULES), "pages without a rule, or rules without a page"


def _example_options(code: str):
    """Options named in an example's first line (``# trnport: --sdk 2.31``)."""
    from trnport.analyzers.options import AnalysisOptions

    first = code.lstrip().splitlines()[0]
    settings = {"trust_code": True}
    if first.startswith("# trnport:"):
        words = shlex.split(first.split(":", 1)[1])
        for flag, value in zip(words[::2], words[1::2], strict=True):
            # numeric flags (--tp 8, --batch 4) are ints in AnalysisOptions
            settings[flag.lstrip("-").replace("-", "_")] = int(value) if value.isdigit() else value
    return AnalysisOptions(**settings)


RUNNABLE = [m for m in RULES if example_code(m)]


# rules whose findings a Python model file cannot produce, with the reason
NO_PYTHON_EXAMPLE = {
    "TRN105": "an op missing from the knowledge base cannot be written on purpose",
    "TRN104": "its only verdicts today are TorchScript loops (prim.Loop)",
}


def test_most_rules_have_a_runnable_example():
    missing = {m.INFO.code for m in RULES if not example_code(m)}
    assert missing <= set(NO_PYTHON_EXAMPLE), missing


@pytest.mark.slow
@pytest.mark.parametrize("module", RUNNABLE, ids=lambda m: m.INFO.code)
def test_documented_example_triggers_its_rule(module, tmp_path):
    from trnport.analyzers.api import analyze

    code = example_code(module)
    model_file = tmp_path / f"example_{module.INFO.code.lower()}.py"
    model_file.write_text(code, encoding="utf-8")
    report = analyze(model_file, _example_options(code))
    codes = {f.code for f in report.findings}
    assert module.INFO.code in codes, (module.INFO.code, sorted(codes))
    fired = next(f for f in report.findings if f.code == module.INFO.code)
    assert fired.location.file and fired.location.file.endswith(model_file.name), fired.location
