"""A neuronx-cc log → compiler evidence.

Two things in a log are evidence: ``NCC_*`` error codes (mapped through the error-code
table in ``resources/neuron/compiler_errors.yaml``) and the list that follows
"The following HLO instructions are not supported by neuronx-cc", one finding per HLO
opcode. Log prefixes (timestamps, ``xla_util.cc:88]``) are ignored.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.analyzers.evidence.error_codes import error_table
from trnport.analyzers.evidence.findings import compiler_finding
from trnport.analyzers.evidence.model import IMPORTED, CompilerEvidence, read_bounded

TOOL = "neuronx-cc log"
_NCC = re.compile(r"\bNCC_([A-Z]{3,5}\d{3})\b")
# a logger prefix such as "2022-11-04 08:46:56.230998: E .../xla_util.cc:88] "
_PREFIX = re.compile(r"^.*?\.(?:cc|cpp|h|py):\d+\]\s?")
_HLO = re.compile(r"^%?[\w.\-]+\s*=\s*\S+(?:\s+\S+\])?\s+([a-z][a-z0-9\-]*)\(")
_VERSION = re.compile(r"(?:neuronx-cc|neuronxcc)(?:\s+version)?[\s:=\-]+v?(\d+\.\d+[\w.+]*)",
                      re.IGNORECASE)
_MESSAGE_LIMIT = 200


def load_compiler_log(path: Path, kind: str = IMPORTED) -> CompilerEvidence:
    """Read a neuronx-cc log file; InputError with one line when it is not a text log."""
    path = Path(path)
    data = read_bounded(path, "a neuronx-cc log")
    if b"\x00" in data[:65536]:
        raise InputError(f"{path}: not a text log (binary content)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        if sum(not c.isprintable() and c not in "\r\n\t" for c in text[:65536]) > 32:
            raise InputError(f"{path}: not a text log (binary content)") from None
    return parse_compiler_log(text, source=path.name, kind=kind)


def parse_compiler_log(text: str, source: str, kind: str = IMPORTED) -> CompilerEvidence:
    """The findings in a compiler log's text (no findings when it holds no errors)."""
    lines = [_PREFIX.sub("", line, count=1).rstrip() for line in text.splitlines()]
    version = _compiler_version(lines)
    label = f"{TOOL} {source}" + (f" (neuronx-cc {version})" if version else "")
    findings = _code_findings(lines, label, kind) + _hlo_findings(lines, label, kind)
    notes = () if findings else ("no NCC_* error codes or unsupported-HLO lists in the log",)
    return CompilerEvidence(kind=kind, source=label, tool=TOOL, neuronx_cc=version,
                            findings=tuple(findings), notes=notes)


def _compiler_version(lines: list[str]) -> str | None:
    for line in lines:
        match = _VERSION.search(line)
        if match:
            return match[1].rstrip(".")
    return None


def _code_findings(lines: list[str], label: str, kind: str) -> list:
    table = error_table()
    seen: Counter = Counter()
    first_text: dict[str, str] = {}
    for line in lines:
        for match in _NCC.finditer(line):
            code = f"NCC_{match[1]}"
            seen[code] += 1
            detail = line[match.end():].lstrip(" ]:-").strip()
            if detail and code not in first_text:
                first_text[code] = detail[:_MESSAGE_LIMIT]
    findings = []
    for code, count in seen.items():
        entry = table.lookup(code)
        detail = first_text.get(code)
        times = f" ({count} times)" if count > 1 else ""
        message = f"neuronx-cc {code}{times}: {entry.meaning}" + (
            f" — {detail}" if detail else "")
        findings.append(compiler_finding(
            entry.finding, message, kind=kind, source=f"{label}; {code}: {entry.source}",
            fix=entry.fix))
    return findings


def _hlo_findings(lines: list[str], label: str, kind: str) -> list:
    table = error_table()
    opcodes: Counter = Counter()
    example: dict[str, str] = {}
    in_list = False
    for line in lines:
        stripped = line.strip()
        if table.hlo_pattern in stripped:
            in_list = True
            continue
        if not in_list or not stripped or set(stripped) <= set("=-"):
            continue
        match = _HLO.match(stripped)
        if match is None:
            in_list = False
            continue
        opcodes[match[1]] += 1
        example.setdefault(match[1], " ".join(stripped.split())[:_MESSAGE_LIMIT])
    entry = table.hlo_unsupported
    findings = []
    for opcode, count in opcodes.items():
        times = f"{count} instructions" if count > 1 else "1 instruction"
        findings.append(compiler_finding(
            entry.finding, f"HLO {opcode}: {entry.meaning} ({times}, e.g. `{example[opcode]}`)",
            ops=(f"hlo.{opcode}",), kind=kind, source=f"{label}; {entry.source}",
            fix=entry.fix))
    return findings
