"""Reading and writing the knowledge base's YAML: the fast C loader when PyYAML has it, and
a deterministic dumper (no anchors, insertion order kept) for the generator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _PlainDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Never writes anchors: curated files share rule objects, the output must not."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # long prose reads better folded, code (a rewrite's before/after) as a literal block;
    # short strings stay plain
    style = "|" if "\n" in value else ">" if len(value) > 100 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PlainDumper.add_representer(str, _str_representer)


def load_yaml_text(text: str) -> Any:
    """Parse YAML text with the fastest safe loader available."""
    return yaml.load(text, Loader=_Loader)


def dump_yaml(data: Any, header: str = "") -> str:
    """Deterministic YAML: keys in insertion order, no aliases, 100-column lines."""
    body = yaml.dump(
        data,
        Dumper=_PlainDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return header + body


def write_yaml(path: Path, data: Any, header: str = "") -> None:
    """Write ``data`` to ``path`` (folders created), replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dump_yaml(data, header), encoding="utf-8")
    tmp.replace(path)
