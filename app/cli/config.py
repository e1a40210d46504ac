"""``trnport check`` settings from ``trnport.toml`` or ``pyproject.toml`` ``[tool.trnport]``.

The file is looked up from the working directory upwards; in each folder ``trnport.toml``
wins over ``pyproject.toml``, and a ``pyproject.toml`` counts only when it has a
``[tool.trnport]`` table. Keys are the long option names (``fail-on``, ``seq-len``…;
underscores work too); paths in the file are relative to the file's folder. Options given
on the command line win. A bad file is a :class:`UsageError` naming the file and key.

    [tool.trnport]
    models = ["models/encoder.onnx"]
    target = "trn2"
    stack = "torchneuron"                # PyTorch stack: xla | torchneuron
    fail-on = "warning"
    min-coverage = 95
    ignore = ["TRN6"]
    format = ["junit", "sarif"]
    output-dir = "reports"
    shapes = "observed_lengths.csv"      # --shapes (relative to this file)
    max-graphs = 3
    input-shape = ["ids=1x128:int64"]    # or a table: [tool.trnport.input-shape] ids = "1x128"
    source-url = "https://github.com/org/repo/blob/main/{path}#L{line}"  # HTML source links
"""

from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trnport.analyzers.options import DTYPES, MODES, OPTIMIZERS, STACKS, TARGET_FAMILIES
from trnport.app.cli.parser import REPORT_FORMATS, SEVERITY_LEVELS, UsageError

CONFIG_NAMES = ("trnport.toml", "pyproject.toml")


class _Invalid(Exception):
    """A value of the wrong type or out of range (the message says what was expected)."""


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise _Invalid(f"expected one of {', '.join(options)}, got {value!r}")
        return value
    return check


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(f"expected a whole number of at least 1, got {value!r}")
    return value


def _percentage(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise _Invalid(f"expected a percentage from 0 to 100, got {value!r}")
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected true or false, got {value!r}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"expected a non-empty string, got {value!r}")
    return value


def _source_url(value: Any) -> str:
    """A source-browser URL with a ``{path}`` placeholder (``{line}`` is optional)."""
    text = _string(value)
    if "{path}" not in text:
        raise _Invalid(f"expected a URL with {{path}} (and {{line}}), got {value!r}")
    return text


def _strings(value: Any) -> list[str]:
    """A list of strings, or one comma-separated string."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid(f"expected a list of strings, got {value!r}")
    return [v.strip() for v in value]


def _graph_budget(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise _Invalid(f"expected a whole number from 1 to 1000, got {value!r}")
    return value


def _input_shapes(value: Any) -> list[tuple[str, tuple[int, ...], str | None]]:
    """``["ids=1x128:int64", ...]`` (one string works too) or a table
    ``{ids = "1x128:int64"}``, as the (name, dims, dtype) triples --input-shape gives."""
    from trnport.app.cli.parser import input_shape

    if isinstance(value, dict):
        if not all(isinstance(v, str) for v in value.values()):
            raise _Invalid(f"expected NAME = \"DIMS[:DTYPE]\" strings, got {value!r}")
        texts = [f"{name}={dims}" for name, dims in value.items()]
    elif isinstance(value, str):
        texts = [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        texts = value
    else:
        raise _Invalid(f"expected a list of NAME=DIMS[:DTYPE] strings, got {value!r}")
    pins, seen = [], set()
    for text in texts:
        try:
            pin = input_shape(text)
        except argparse.ArgumentTypeError as problem:
            raise _Invalid(str(problem)) from None
        if pin[0] in seen:
            raise _Invalid(f"input {pin[0]!r} is given twice")
        seen.add(pin[0])
        pins.append(pin)
    return pins


def _formats(value: Any) -> list[str]:
    names = [v.lower() for v in _strings(value)]
    for name in names:
        if name not in REPORT_FORMATS:
            raise _Invalid(f"unknown report format {name!r}; choose from "
                           f"{', '.join(REPORT_FORMATS)}")
    return names


def _codes(value: Any) -> list[str]:
    selectors = _strings(value)
    for selector in selectors:
        problem = code_selector_problem(selector)
        if problem:
            raise _Invalid(problem)
    return selectors


def code_selector_problem(selector: str) -> str | None:
    """Why ``selector`` selects no rule, or None when it is a rule code, a symbol, or a
    family prefix (``TRN2``, ``TRN20``: families are fixed even before all their rules
    exist, so a config written today keeps working)."""
    from trnport.analyzers.report.rule_docs import load_rule_docs
    from trnport.analyzers.rules.registry import RULE_MODULES

    wanted = selector.strip()
    if re.fullmatch(r"TRN(?:[1-7]\d?)?", wanted.upper()) or wanted.upper() in RULE_MODULES:
        return None
    if any(doc.symbol == wanted.lower() for doc in load_rule_docs().values()):
        return None
    return (f"{selector!r} matches no rule (codes look like TRN101, families like TRN2; "
            "'trnport rules' lists them)")


# config key (underscored) -> (argparse dest, validator, is a path relative to the file)
_KEYS: dict[str, tuple[str, Callable[[Any], Any], bool]] = {
    "target": ("target", _choice(TARGET_FAMILIES), False),
    "instance": ("instance", _string, False),
    "mode": ("mode", _choice(MODES), False),
    "dtype": ("dtype", _choice(DTYPES), False),
    "batch": ("batch", _positive, False),
    "seq_len": ("seq_len", _positive, False),
    "tp": ("tp", _positive, False),
    "ep": ("ep", _positive, False),
    "pp": ("pp", _positive, False),
    "dp": ("dp", _positive, False),
    "optimizer": ("optimizer", _choice(OPTIMIZERS), False),
    "zero1": ("zero1", _boolean, False),
    "sdk": ("sdk", _string, False),
    "stack": ("stack", _choice(STACKS), False),
    "fail_on": ("fail_on", _choice(SEVERITY_LEVELS), False),
    "min_coverage": ("min_coverage", _percentage, False),
    "select": ("select", _codes, False),
    "ignore": ("ignore", _codes, False),
    "baseline": ("baseline", _string, True),
    "format": ("formats", _formats, False),
    "formats": ("formats", _formats, False),
    "output_dir": ("output_dir", _string, True),
    "jobs": ("jobs", _positive, False),
    "quiet": ("quiet", _boolean, False),
    "color": ("color", _choice(("auto", "always", "never")), False),
    "source_url": ("source_url", _source_url, False),
    "no_history": ("no_history", _boolean, False),
    "db": ("db", _string, False),
    "models": ("models", _strings, True),
    "shapes": ("shapes", _string, True),
    "max_graphs": ("max_graphs", _graph_budget, False),
    "input_shape": ("input_shape", _input_shapes, False),
    "input_shapes": ("input_shape", _input_shapes, False),
}
_REFUSED = {
    "trust_code": "a config file cannot allow running model code; pass --trust-code",
    "output": "a config file cannot name one --output file; use output-dir",
}


@dataclass(frozen=True)
class CheckConfig:
    """Settings from a config file, keyed by the ``check`` command's argparse dests."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)


def find_config(start: Path) -> Path | None:
    """The nearest config file at or above ``start`` (see the module docstring)."""
    for folder in (start, *start.parents):
        candidate = folder / "trnport.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    # Cheap text test first: most pyproject files are not ours and need no parsing.
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "tool.trnport" in text or ("[tool]" in text and "trnport" in text)


def _read_table(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read config {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"config {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"config {path} is not valid TOML: {error}") from None
    except RecursionError:
        raise UsageError(f"config {path} is not a trnport config (nested too deeply)") from None
    table = data.get("tool", {}).get("trnport") if isinstance(data.get("tool"), dict) else None
    if path.name == "pyproject.toml":
        return table if isinstance(table, dict) else {}
    if table is not None:
        if not isinstance(table, dict):
            raise UsageError(f"config {path}: [tool.trnport] must be a table")
        return table
    return data


def load_config(path: Path) -> CheckConfig:
    """Read and check the settings in ``path``."""
    values: dict[str, Any] = {}
    for raw_key, raw_value in _read_table(path).items():
        key = str(raw_key).replace("-", "_")
        if key in _REFUSED:
            raise UsageError(f"config {path}: {raw_key}: {_REFUSED[key]}")
        if key not in _KEYS:
            known = ", ".join(sorted(k.replace("_", "-") for k in _KEYS))
            raise UsageError(f"config {path}: unknown key {raw_key!r} (known: {known})")
        dest, validate, is_path = _KEYS[key]
        try:
            value = validate(raw_value)
        except _Invalid as problem:
            raise UsageError(f"config {path}: {raw_key}: {problem}") from None
        if is_path:
            value = _relative_to(path.parent, value)
        values[dest] = value
    return CheckConfig(path=path, values=values)


def _relative_to(folder: Path, value: str | list[str]) -> str | list[str]:
    if isinstance(value, list):
        return [str(folder / item) for item in value]
    if value == "last":  # --baseline last names the history, not a file
        return value
    return str(folder / value)


def config_for(explicit: Path | None, disabled: bool, cwd: Path) -> CheckConfig:
    """The settings to use: ``--config FILE``, none with ``--no-config``, else the nearest."""
    if disabled:
        return CheckConfig()
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"config {explicit}: no such file")
        return load_config(explicit)
    found = find_config(cwd)
    return load_config(found) if found else CheckConfig()


def detach_defaults(parser: argparse.ArgumentParser, dests: set[str]) -> dict[str, Any]:
    """Take the defaults of ``dests`` off ``parser`` (so an unset option parses as None and
    a config value can fill it) and return them."""
    defaults = {}
    for action in parser._actions:
        if action.dest in dests:
            defaults[action.dest] = action.default
            action.default = None
    return defaults


def merge_settings(args: argparse.Namespace, config: CheckConfig,
                   defaults: dict[str, Any]) -> argparse.Namespace:
    """``args`` with every unset option taken from ``config``, else from ``defaults``."""
    merged = argparse.Namespace(**vars(args))
    for dest, default in defaults.items():
        if getattr(merged, dest, None) in (None, []):
            setattr(merged, dest, config.values.get(dest, default))
    return merged


CONFIGURABLE = {dest for dest, _, _ in _KEYS.values()}
