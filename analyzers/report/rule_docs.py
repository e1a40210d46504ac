"""The shipped rule documentation pages (``resources/rules/CODE.md``) as data for renderers.

Reports link every finding to its rule's page: the HTML report embeds the pages it needs,
SARIF carries them as rule metadata. Pages are read from the installed resources, never
from the rule modules, so rendering a report imports no rule code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

# Where SARIF ``helpUri`` points: a hosted copy of the pages when this is set, otherwise
# the page shipped inside the installed package.
DOCS_URL_ENV = "TRNPORT_RULE_DOCS_URL"

_TITLE = re.compile(r"^# (TRN\d{3}) ([a-z0-9-]+)\s*$", re.MULTILINE)
_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class RuleDoc:
    """One rule page: the title line, the one-sentence summary and the ``##`` sections."""

    code: str
    symbol: str
    summary: str
    markdown: str
    sections: tuple[tuple[str, str], ...]

    def section(self, heading: str) -> str:
        return dict(self.sections).get(heading, "")


def rules_dir() -> Path:
    """The folder of the shipped rule pages."""
    return Path(str(resources.files("trnport.resources").joinpath("rules")))


def parse_rule_doc(markdown: str) -> RuleDoc | None:
    """A page's parts, or None when the text is not a rule page."""
    title = _TITLE.search(markdown)
    if title is None:
        return None
    body = markdown[title.end():]
    parts = _SECTION.split(body)
    preamble = [p.strip() for p in parts[0].strip().split("\n\n") if p.strip()]
    summary = preamble[0].replace("\n", " ") if preamble else ""
    sections = tuple(
        (parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)
    )
    return RuleDoc(code=title.group(1), symbol=title.group(2), summary=summary,
                   markdown=markdown, sections=sections)


@cache
def load_rule_docs(folder: Path | None = None) -> dict[str, RuleDoc]:
    """Every shipped rule page by code; an unreadable or malformed page is left out."""
    folder = folder or rules_dir()
    docs = {}
    for page in sorted(folder.glob("TRN*.md")):
        try:
            doc = parse_rule_doc(page.read_text(encoding="utf-8"))
        except OSError:
            continue
        if doc is not None:
            docs[doc.code] = doc
    return docs


def rule_help_uri(code: str) -> str:
    """An absolute URI of rule ``code``'s documentation page."""
    base = os.environ.get(DOCS_URL_ENV, "").rstrip("/")
    if base:
        return f"{base}/{code}.md"
    return (rules_dir() / f"{code}.md").resolve().as_uri()
