"""Read TorchNeuron's compatibility table (``torch_api_compatibility.md``) into rows.

The table is not shipped with trnport: a user imports the copy they have
(``trnport kb import-torchneuron FILE --torch-neuronx VERSION``). What its format is known to
be (awsdocs-neuron ``latest/torch/reference/api/supported-operators.rst``, FACTS.md §12): the
public PyTorch API namespace by namespace (``torch``, ``torch.Tensor``, ``torch.nn``…), one
status per entry — ``Y`` (supported; the limitations column says ``Native``, ``Host-only`` or
``Needs a process group``), ``CPU_FALLBACK`` (the named ATen operator runs on the CPU and is
copied back; where coverage differs by dtype, the dtypes that fall back) or ``N`` (not
supported). Its exact headers are not documented, so columns are found by header words and a
namespace is taken from the Markdown heading above a table; anything else is refused with a
one-line :class:`InputError` that says what was expected, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trnport.analyzers.errors import InputError

STATUSES = ("Y", "CPU_FALLBACK", "N")
EXPECTED = ("expected the TorchNeuron compatibility table (torch_api_compatibility.md): "
            "Markdown tables with an API column, a Status column of Y, CPU_FALLBACK or N, and a "
            "Limitations column")
_KINDS = (("needs a process group", "needs a process group"), ("host-only", "host-only"),
          ("host only", "host-only"), ("native", "native"))
_ATEN = re.compile(r"aten(?:::|\.)([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?")
_BACKTICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_.:]*)`")
_DTYPE_NAMES = {
    name: name for name in (
        "float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
        "bool", "complex64", "complex128", "float8_e4m3fn", "float8_e5m2")
}
# the PyTorch aliases count only when spelt as dtypes (torch.double), not as plain words
_DTYPE_ALIASES = {"torch.double": "float64", "torch.half": "float16", "torch.long": "int64",
                  "torch.float": "float32", "torch.int": "int32"}
_DTYPE = re.compile(r"(?<![\w.])(?:torch\.)?(" + "|".join(sorted(_DTYPE_NAMES, key=len,
                                                                 reverse=True)) + r")\b"
                    + r"|(" + "|".join(re.escape(a) for a in _DTYPE_ALIASES) + r")\b")
_NAMESPACE = re.compile(r"\btorch(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_API_WORDS = ("api", "name", "function", "operator", "symbol")
_STATUS_WORDS = ("status", "support")
_LIMIT_WORDS = ("limitation", "note", "detail", "comment")


@dataclass(frozen=True)
class CompatRow:
    """One API entry: ``status`` is Y, CPU_FALLBACK or N; ``kind`` what the limitations say of
    a supported entry (native, host-only, needs a process group); ``aten`` the ATen ops the
    limitations name (``aten.op``); ``dtypes`` those they name as affected."""

    line: int
    namespace: str | None
    api: str
    status: str
    kind: str | None
    aten: tuple[str, ...]
    dtypes: tuple[str, ...]
    limitation: str


def parse_table(text: str, origin: str = "<table>") -> list[CompatRow]:
    """Every API row of the tables in ``text``; InputError (one line, ``origin:line``) when
    the text is not the compatibility table."""
    lines = text.splitlines()
    namespace: str | None = None
    rows: list[CompatRow] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped.startswith("#"):
            namespace = _heading_namespace(stripped)
            index += 1
        elif stripped.startswith("|"):
            block_start = index
            while index < len(lines) and lines[index].strip().startswith("|"):
                index += 1
            rows += _table_rows(lines[block_start:index], block_start + 1, namespace, origin)
        else:
            index += 1
    if not rows:
        raise InputError(f"{origin}: no API table found; {EXPECTED}")
    return rows


def _heading_namespace(heading: str) -> str | None:
    match = _NAMESPACE.search(heading.lstrip("#").replace("`", ""))
    return match.group() if match else None


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [_clean(cell) for cell in re.split(r"(?<!\\)\|", body)]


def _clean(cell: str) -> str:
    return cell.replace("\\|", "|").replace("**", "").replace("__", "").strip()


def _column(header: list[str], words: tuple[str, ...], taken: set[int]) -> int | None:
    for position, name in enumerate(header):
        if position not in taken and any(word in name.lower() for word in words):
            return position
    return None


def _table_rows(block: list[str], first_line: int, namespace: str | None,
                origin: str) -> list[CompatRow]:
    if len(block) < 2 or not re.fullmatch(r"[\s|:\-]+", block[1].strip()):
        return []  # not a Markdown table (no separator row)
    header = _cells(block[0])
    status_col = _column(header, _STATUS_WORDS, set())
    if status_col is None:
        return []  # e.g. the support counts by namespace: no per-API status column
    limit_col = _column(header, _LIMIT_WORDS, {status_col})
    api_col = _column(header, _API_WORDS, {status_col, *(() if limit_col is None else
                                                         (limit_col,))})
    if api_col is None or limit_col is None:
        missing = "API" if api_col is None else "Limitations"
        raise InputError(f"{origin}:{first_line}: table has no {missing} column "
                         f"(headers: {', '.join(header)}); {EXPECTED}")
    namespace_col = _column(header, ("namespace", "module"),
                            {status_col, limit_col, api_col})
    rows = []
    for offset, line in enumerate(block[2:], start=2):
        cells = _cells(line)
        if len(cells) <= max(api_col, status_col, limit_col):
            raise InputError(f"{origin}:{first_line + offset}: row has {len(cells)} cells, the "
                             f"header {len(header)}; {EXPECTED}")
        api = cells[api_col].strip("`").strip()
        if not api:
            continue
        status = cells[status_col].strip("`").strip().upper()
        if status not in STATUSES:
            raise InputError(f"{origin}:{first_line + offset}: status {cells[status_col]!r} of "
                             f"{api} is not one of {', '.join(STATUSES)}; {EXPECTED}")
        space = cells[namespace_col].strip("`") if namespace_col is not None else namespace
        rows.append(_row(first_line + offset, space or namespace, api, status,
                         cells[limit_col]))
    return rows


def _row(line: int, namespace: str | None, api: str, status: str, limitation: str) -> CompatRow:
    if namespace and not (api == namespace or api.startswith(f"{namespace}.")) and \
            not api.startswith("torch."):
        api = f"{namespace}.{api}"
    lowered = limitation.lower()
    kind = next((name for word, name in _KINDS if word in lowered), None) if status == "Y" \
        else None
    aten = [f"aten.{m.group(1)}" + (f".{m.group(2)}" if m.group(2) else "")
            for m in _ATEN.finditer(limitation)]
    if status == "CPU_FALLBACK" and not aten:
        # an unqualified backticked name in the fallback note is taken to be the ATen op
        aten = [f"aten.{name}" for name in _BACKTICKED.findall(limitation)
                if name.lower() not in _DTYPE_NAMES and "." not in name]
    dtypes = sorted({_DTYPE_NAMES[m.group(1)] if m.group(1) else _DTYPE_ALIASES[m.group(2)]
                     for m in _DTYPE.finditer(limitation)})
    return CompatRow(line=line, namespace=namespace, api=api, status=status, kind=kind,
                     aten=tuple(dict.fromkeys(aten)), dtypes=tuple(dtypes),
                     limitation=" ".join(limitation.split()))
