"""A small, fast JSON Schema validator for the knowledge base's own schema.

``jsonschema`` takes longer to import than the whole knowledge base may take to load, so
the loader validates with this compiled subset of draft 2020-12 instead: the schema is
turned once into nested closures. It understands exactly the keywords
``resources/schemas/kb.schema.json`` uses and refuses any other, so the schema cannot
silently outgrow it; tests check that it agrees with ``jsonschema`` on the shipped files
and on corrupted ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any, str], None]

_IGNORED = {"$schema", "$id", "title", "description", "default", "$defs"}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class SchemaViolation(Exception):
    """Data does not match the schema; ``path`` is a JSON-pointer-like location."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '/'}: {message}")
        self.path = path or "/"
        self.message = message


class SchemaValidator:
    """Compiles ``schema`` once; ``validate(data, ref)`` checks data against ``#/$defs/<ref>``."""

    def __init__(self, schema: dict) -> None:
        self._schema = schema
        self._compiled: dict[str, Check] = {}

    def validate(self, data: Any, definition: str) -> None:
        self._ref(f"#/$defs/{definition}")(data, "")

    # ---- compilation ------------------------------------------------------------------
    def _ref(self, ref: str) -> Check:
        compiled = self._compiled.get(ref)
        if compiled is None:
            if not ref.startswith("#/$defs/"):
                raise ValueError(f"unsupported $ref {ref}")
            # a placeholder breaks recursion (condition → any_of → condition)
            holder: list[Check] = []
            self._compiled[ref] = lambda value, path: holder[0](value, path)
            holder.append(self._compile(self._schema["$defs"][ref.removeprefix("#/$defs/")]))
            compiled = self._compiled[ref]
        return compiled

    def _compile(self, node: dict) -> Check:
        unknown = set(node) - _IGNORED - set(_KEYWORDS)
        if unknown:
            raise ValueError(
                f"schema keyword(s) not supported by the fast validator: {sorted(unknown)}"
            )
        checks = [_KEYWORDS[key](self, node[key], node) for key in _KEYWORDS if key in node]
        checks = [c for c in checks if c is not None]

        def check(value: Any, path: str) -> None:
            for one in checks:
                one(value, path)

        return check


def _kw_ref(v: SchemaValidator, ref: str, node: dict) -> Check:
    return v._ref(ref)


def _kw_type(v: SchemaValidator, spec: str | list[str], node: dict) -> Check:
    names = [spec] if isinstance(spec, str) else list(spec)
    tests = [_TYPES[n] for n in names]

    def check(value: Any, path: str) -> None:
        if not any(test(value) for test in tests):
            raise SchemaViolation(
                path, f"expected {' or '.join(names)}, got {type(value).__name__}"
            )

    return check


def _kw_enum(v: SchemaValidator, allowed: list, node: dict) -> Check:
    def check(value: Any, path: str) -> None:
        if not any(_same(value, a) for a in allowed):
            raise SchemaViolation(path, f"{value!r} is not one of {allowed}")

    return check


def _kw_const(v: SchemaValidator, expected: Any, node: dict) -> Check:
    def check(value: Any, path: str) -> None:
        if not _same(value, expected):
            raise SchemaViolation(path, f"expected {expected!r}, got {value!r}")

    return check


def _same(a: Any, b: Any) -> bool:
    # JSON Schema equality: booleans are not numbers
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _kw_properties(v: SchemaValidator, props: dict, node: dict) -> Check:
    compiled = {name: v._compile(sub) for name, sub in props.items()}

    def check(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for name, sub in compiled.items():
                if name in value:
                    sub(value[name], f"{path}/{name}")

    return check


def _kw_pattern_properties(v: SchemaValidator, props: dict, node: dict) -> Check:
    compiled = [(re.compile(p), v._compile(sub)) for p, sub in props.items()]

    def check(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                for pattern, sub in compiled:
                    if pattern.search(key):
                        sub(item, f"{path}/{key}")

    return check


def _kw_additional(v: SchemaValidator, spec: bool | dict, node: dict) -> Check:
    known = set(node.get("properties", {}))
    patterns = [re.compile(p) for p in node.get("patternProperties", {})]
    sub = v._compile(spec) if isinstance(spec, dict) else None

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            if key in known or any(p.search(key) for p in patterns):
                continue
            if sub is None:
                if spec is False:
                    raise SchemaViolation(f"{path}/{key}", "unexpected key")
            else:
                sub(item, f"{path}/{key}")

    return check


def _kw_required(v: SchemaValidator, names: list[str], node: dict) -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for name in names:
                if name not in value:
                    raise SchemaViolation(path, f"missing required key {name!r}")

    return check


def _kw_property_names(v: SchemaValidator, spec: dict, node: dict) -> Check:
    sub = v._compile(spec)

    def check(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key in value:
                sub(key, f"{path}/{key}")

    return check


def _kw_min_properties(v: SchemaValidator, count: int, node: dict) -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, dict) and len(value) < count:
            raise SchemaViolation(path, f"needs at least {count} key(s)")

    return check


def _kw_items(v: SchemaValidator, spec: dict, node: dict) -> Check:
    sub = v._compile(spec)

    def check(value: Any, path: str) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                sub(item, f"{path}/{index}")

    return check


def _kw_min_items(v: SchemaValidator, count: int, node: dict) -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, list) and len(value) < count:
            raise SchemaViolation(path, f"needs at least {count} item(s)")

    return check


def _kw_min_length(v: SchemaValidator, count: int, node: dict) -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, str) and len(value) < count:
            raise SchemaViolation(path, f"string shorter than {count}")

    return check


def _kw_pattern(v: SchemaValidator, pattern: str, node: dict) -> Check:
    compiled = re.compile(pattern)

    def check(value: Any, path: str) -> None:
        if isinstance(value, str) and not compiled.search(value):
            raise SchemaViolation(path, f"{value!r} does not match {pattern}")

    return check


def _numeric_bound(strict: bool) -> Callable[[SchemaValidator, float, dict], Check]:
    def make(v: SchemaValidator, bound: float, node: dict) -> Check:
        def check(value: Any, path: str) -> None:
            if _TYPES["number"](value) and (value <= bound if strict else value < bound):
                raise SchemaViolation(
                    path, f"{value} is below the {'exclusive ' if strict else ''}minimum {bound}"
                )

        return check

    return make


def _kw_one_of(v: SchemaValidator, options: list[dict], node: dict) -> Check:
    compiled = [v._compile(option) for option in options]

    def check(value: Any, path: str) -> None:
        errors = []
        passed = 0
        for option in compiled:
            try:
                option(value, path)
                passed += 1
            except SchemaViolation as exc:
                errors.append(exc)
        if passed != 1:
            detail = (
                min(errors, key=lambda e: -len(e.path)).message if errors else "several options"
            )
            where = max(errors, key=lambda e: len(e.path)).path if errors else path
            raise SchemaViolation(
                where, f"matches {passed} of {len(compiled)} allowed forms ({detail})"
            )

    return check


_KEYWORDS: dict[str, Callable[[SchemaValidator, Any, dict], Check | None]] = {
    "$ref": _kw_ref,
    "type": _kw_type,
    "enum": _kw_enum,
    "const": _kw_const,
    "required": _kw_required,
    "properties": _kw_properties,
    "patternProperties": _kw_pattern_properties,
    "additionalProperties": _kw_additional,
    "propertyNames": _kw_property_names,
    "minProperties": _kw_min_properties,
    "items": _kw_items,
    "minItems": _kw_min_items,
    "minLength": _kw_min_length,
    "pattern": _kw_pattern,
    "minimum": _numeric_bound(strict=False),
    "exclusiveMinimum": _numeric_bound(strict=True),
    "oneOf": _kw_one_of,
}
