"""Which PyTorch reader a zip archive needs, from what it holds rather than its name.

People name ``torch.export.save`` archives, ``torch.jit.save`` archives and ``torch.save``
zips alike (``model.pt``), so the format dispatch asks here before it picks a reader: a
``.pt2`` that holds a pickle goes to the TorchScript reader (which explains or refuses it),
a ``.pt`` that holds an export archive goes to the ``.pt2`` reader. Only the zip directory is
read.
"""

from __future__ import annotations

import zipfile
from pathlib import Path


def reader_format(path: Path, named_format: str) -> str:
    """The format whose reader handles ``path``, given the one its name suggests
    (``"pt2"`` or ``"torchscript"``)."""
    names = _entry_names(path)
    if names is None:
        return named_format  # not a readable zip: the named reader says what is wrong
    if named_format == "pt2" and _is_pickle_zip(names):
        return "torchscript"
    if named_format == "torchscript" and any(n.endswith("/archive_format") for n in names):
        return "pt2"
    return named_format


def _is_pickle_zip(names: list[str]) -> bool:
    """A zip written by torch.jit.save or torch.save (data.pkl, no archive_format entry)."""
    return (any(n.endswith("data.pkl") for n in names)
            and not any(n.endswith("archive_format") for n in names))


def _entry_names(path: Path) -> list[str] | None:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None
