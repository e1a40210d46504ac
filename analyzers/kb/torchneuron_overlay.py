"""Imported TorchNeuron compatibility tables: how one is stored, which one an SDK line uses,
and what it says of one ATen op at the dtypes of one node.

A table belongs to one torch-neuronx (TorchNeuron) release: it is regenerated for each. It is
stored as ``torch-neuronx-<version>.json`` in a folder the front end chooses (the user data
folder); the engine only reads it. A table applies to an SDK line that lists its version, or,
for a line whose TorchNeuron versions are not documented (2.34), when it is at least as new as
every version an older line lists (the newest such table; the report says the pairing is not
documented).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from trnport.analyzers.errors import InputError
from trnport.analyzers.kb.torchneuron_table import CompatRow, parse_table

FORMAT = "trnport.torchneuron-table/1"
_STATUS = {"Y": "supported", "CPU_FALLBACK": "cpu_fallback", "N": "unsupported"}


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def check_native_version(version: str) -> str:
    """``version`` if it is a TorchNeuron (native) torch-neuronx version, else InputError.

    Both stacks ship as ``torch-neuronx``: the PyTorch/XLA library's versions are
    ``<torch 2.9 or older>.<build>`` (``2.9.0.2.15.32035``), TorchNeuron's follow the PyTorch
    it pairs with, 2.10 and newer (``2.14.3.0``) — awsdocs-neuron
    ``latest/torch/troubleshooting.html``, ``announce-transition-pytorch-trainium``."""
    text = version.strip().lstrip("v")
    parts = text.split(".")
    if len(parts) < 2 or not all(part.isdigit() for part in parts):
        raise InputError(f"--torch-neuronx {version!r} is not a version like 2.14.3.0")
    if _version_tuple(text)[:2] < (2, 10) or len(parts) >= 6:
        raise InputError(f"torch-neuronx {text} is the PyTorch/XLA library; the compatibility "
                         "table belongs to TorchNeuron (torch-neuronx 2.10 or newer, e.g. "
                         "2.14.3.0)")
    return text


@dataclass(frozen=True)
class CompatTable:
    """An imported table: the torch-neuronx version it describes, the file it came from and
    that file's sha256, and its rows."""

    version: str
    source_file: str
    sha256: str
    rows: tuple[CompatRow, ...]

    def to_json(self) -> str:
        data = {"format": FORMAT, "torch_neuronx": self.version, "source_file": self.source_file,
                "sha256": self.sha256, "rows": [asdict(row) for row in self.rows]}
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def table_from_markdown(path: Path, version: str) -> CompatTable:
    """Parse the Markdown table at ``path`` as the one of torch-neuronx ``version``."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; expected the Markdown file "
                         "torch_api_compatibility.md") from None
    rows = parse_table(text, str(path))
    return CompatTable(check_native_version(version), path.name,
                       hashlib.sha256(data).hexdigest(), tuple(rows))


def stored_name(version: str) -> str:
    return f"torch-neuronx-{version}.json"


@lru_cache(maxsize=8)
def _read_stored(path: str, mtime_ns: int) -> CompatTable:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("format")
        rows = tuple(CompatRow(**{**row, "aten": tuple(row["aten"]),
                                  "dtypes": tuple(row["dtypes"])}) for row in data["rows"])
        return CompatTable(data["torch_neuronx"], data["source_file"], data["sha256"], rows)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InputError(f"{path}: not a stored TorchNeuron table ({FORMAT}); import it again "
                         "with trnport kb import-torchneuron") from exc


def stored_tables(folder: str | Path | None) -> list[CompatTable]:
    """Every table stored in ``folder`` (none when it is None or missing), oldest first."""
    if folder is None or not Path(folder).is_dir():
        return []
    tables = []
    for path in sorted(Path(folder).glob("torch-neuronx-*.json")):
        tables.append(_read_stored(str(path), path.stat().st_mtime_ns))
    return sorted(tables, key=lambda table: _version_tuple(table.version))


def table_for(tables: Sequence[CompatTable], line_versions: Iterable[str],
              older_versions: Iterable[str]) -> CompatTable | None:
    """The newest of ``tables`` for an SDK line listing ``line_versions`` of TorchNeuron;
    when it lists none, the newest table at least as new as all ``older_versions``."""
    listed = set(line_versions)
    if listed:
        matching = [t for t in tables if t.version in listed]
    else:
        floor = max((_version_tuple(v) for v in older_versions), default=())
        matching = [t for t in tables if _version_tuple(t.version) >= floor]
    return matching[-1] if matching else None


@dataclass(frozen=True)
class CompatVerdict:
    """What a table says of one op at one node's dtypes: ``status`` (supported, cpu_fallback,
    unsupported), the row it comes from, and whether the row names the ATen op (``exact``)
    or only an API of the same name."""

    status: str
    row: CompatRow
    exact: bool


class CompatIndex:
    """A table's rows by the ATen op they concern: the ops a CPU_FALLBACK note names, else
    (for Y and N rows) ``aten.<last part of the API name>``, which is a guess."""

    def __init__(self, table: CompatTable) -> None:
        self.table = table
        self._by_op: dict[str, list[tuple[CompatRow, bool]]] = {}
        for row in table.rows:
            if row.aten:
                for op in row.aten:
                    self._by_op.setdefault(op.split(".")[0] + "." + op.split(".")[1],
                                           []).append((row, True))
            else:
                name = row.api.rsplit(".", 1)[-1]
                if name and name == name.lower() and not name.startswith("__"):
                    self._by_op.setdefault(f"aten.{name}", []).append((row, False))

    def lookup(self, packet: str, dtypes: Iterable[str]) -> CompatVerdict | None:
        """The table's verdict for ATen ``packet`` (``aten.add``) at ``dtypes``, or None
        when the table does not list it."""
        found = self._by_op.get(packet) or self._by_op.get(packet.rstrip("_"))
        if not found:
            return None
        exact = [item for item in found if item[1]]
        chosen = exact or found
        present = set(dtypes)
        for row, is_exact in chosen:
            if row.status == "CPU_FALLBACK" and (not row.dtypes or present & set(row.dtypes)):
                return CompatVerdict("cpu_fallback", row, is_exact)
        for row, is_exact in chosen:
            if row.status == "N":
                return CompatVerdict("unsupported", row, is_exact)
        row, is_exact = chosen[0]
        return CompatVerdict("supported", row, is_exact)
