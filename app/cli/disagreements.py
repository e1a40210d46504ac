"""Where ``--probe xla`` and the static verdict disagreed, collected across runs.

Each run appends one JSON line per disagreement to a file in the user data folder
(``$TRNPORT_DISAGREEMENTS`` names another file); ``trnport kb disagreements`` lists them
grouped by op, which shows where the knowledge base should change.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

STORE_ENV = "TRNPORT_DISAGREEMENTS"


def store_path() -> Path:
    override = os.environ.get(STORE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("trnport", appauthor=False)) / "xla-probe-disagreements.jsonl"


def record(disagreements) -> None:
    """Append ``disagreements`` (Disagreement objects); a store that cannot be written is
    skipped: it is a convenience, the report already lists them."""
    if not disagreements:
        return
    path = store_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as store:
            for item in disagreements:
                store.write(json.dumps(asdict(item), sort_keys=True) + "\n")
    except OSError:
        return


def grouped(path: Path | None = None) -> list[dict]:
    """The stored disagreements as one entry per (op, static, probe), most models first."""
    path = path or store_path()
    groups: dict[tuple[str, str, str], dict] = {}
    models: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            item = json.loads(line)
            key = (item["op"], item["static"], item["probe"])
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a crash: skip it, keep the rest
        groups.setdefault(key, {"op": key[0], "static": key[1], "probe": key[2],
                                "torch_xla": item.get("torch_xla")})
        models[key].add(str(item.get("model", "")))
    for key, entry in groups.items():
        entry["models"] = sorted(models[key])
    return sorted(groups.values(), key=lambda e: (-len(e["models"]), e["op"]))
