"""Where the loaded-graph cache lives (``trnport.analyzers.loaders.cache``): the user cache
folder, ``$TRNPORT_CACHE_DIR`` instead, none with ``--no-cache`` or ``TRNPORT_NO_CACHE=1``."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "TRNPORT_CACHE_DIR"
NO_CACHE_ENV = "TRNPORT_NO_CACHE"


def graph_cache_folder(disabled: bool = False) -> str | None:
    if disabled or os.environ.get(NO_CACHE_ENV, "") not in ("", "0"):
        return None
    override = os.environ.get(CACHE_ENV)
    if override:
        return override
    from platformdirs import user_cache_dir

    return str(Path(user_cache_dir("trnport", appauthor=False)) / "graphs")
