"""Where imported TorchNeuron compatibility tables are kept, and importing one.

A table is stored per torch-neuronx version as ``torch-neuronx-<version>.json`` in
``torchneuron/`` of the user data folder (``$TRNPORT_TORCHNEURON_TABLES`` names another
folder); every analysis on the TorchNeuron stack reads the folder, and the table of its SDK
line decides the per-op verdicts (provenance ``imported``).
"""

from __future__ import annotations

import os
from pathlib import Path

from trnport.analyzers.errors import InputError

TABLES_ENV = "TRNPORT_TORCHNEURON_TABLES"


def tables_folder() -> str:
    """The folder of imported tables (it need not exist yet)."""
    override = os.environ.get(TABLES_ENV)
    if override:
        return override
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("trnport", appauthor=False)) / "torchneuron")


def import_table(source: Path, version: str, folder: str | None = None):
    """Parse ``source`` as the compatibility table of torch-neuronx ``version`` and store it;
    returns (table, stored path). InputError (one line) for an unreadable or unexpected
    file or a version that is not TorchNeuron's."""
    from trnport.analyzers.kb.torchneuron_overlay import stored_name, table_from_markdown

    if not source.is_file():
        raise InputError(f"{source}: no such file")
    table = table_from_markdown(source, version)
    target_dir = Path(folder or tables_folder())
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / stored_name(table.version)
        temporary = target.with_suffix(".json.tmp")
        temporary.write_text(table.to_json(), encoding="utf-8")
        temporary.replace(target)
    except OSError as exc:
        raise InputError(f"cannot store the table in {target_dir}: "
                         f"{exc.strerror or exc}") from exc
    return table, target
