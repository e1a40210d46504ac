"""Rule documentation pages, generated from each rule module's docstring.

``python -m trnport.analyzers.rules.docs OUT_DIR`` writes one Markdown page per rule (the
pages shipped in ``resources/rules/``); a test checks the shipped pages are up to date.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from types import ModuleType

from trnport.analyzers.rules.base import DOC_HEADINGS
from trnport.analyzers.rules.registry import all_rules

_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)


def doc_sections(module: ModuleType) -> dict[str, str]:
    """The docstring's ``## Heading`` sections, heading → body text."""
    doc = inspect.getdoc(module) or ""
    parts = _SECTION.split(doc)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def example_code(module: ModuleType) -> str | None:
    """The Python code block of the Example section, when it is runnable Python."""
    match = re.search(r"```python\n(.*?)```", doc_sections(module).get("Example", ""), re.S)
    return match.group(1) if match else None


def rule_markdown(module: ModuleType) -> str:
    info = module.INFO
    doc = inspect.getdoc(module) or ""
    summary = doc.split("\n\n", 1)[0].replace("\n", " ")
    sections = doc_sections(module)
    lines = [
        f"# {info.code} {info.symbol}",
        "",
        summary,
        "",
        f"Severity: **{info.severity}** · category: `{info.category}`",
        "",
        f"Default fix: {info.fix}.",
    ]
    for heading in DOC_HEADINGS:
        lines += ["", f"## {heading}", "", sections.get(heading, "(missing)")]
    return "\n".join(lines) + "\n"


def write_docs(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for module in all_rules():
        path = out_dir / f"{module.INFO.code}.md"
        path.write_text(rule_markdown(module), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for page in write_docs(Path(sys.argv[1] if len(sys.argv) > 1 else "resources/rules")):
        print(page)
