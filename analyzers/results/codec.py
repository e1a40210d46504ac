"""A :class:`Report` and its ``trnport.report/1`` JSON form, both ways. Nothing else in
trnport reads or writes the report's JSON keys.

Every section is a dataclass whose fields are its JSON object's keys, in the order they are
written: tuples are arrays, dicts are objects (integer keys are written as strings), None
is null. Where the JSON form departs from that, it is spelt out here: a finding also carries
its node ``count``; a rewrite suggestion leaves out the optional parts it does not have; a
report without a memory analysis has an empty ``memory`` object. The report's ``graph``
(every node of the model, for the graph views) is not part of the JSON form.

``report_from_dict(report_to_dict(r)) == r`` for every report.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from trnport.analyzers.results.findings import Finding
from trnport.analyzers.results.report import Report
from trnport.analyzers.results.rewrites import RewriteSuggestion

JsonObject = dict[str, Any]

# keys written after an object's fields, from its properties; skipped when read back
_DERIVED: Mapping[type, Mapping[str, Callable[[Any], Any]]] = {
    Finding: {"count": lambda finding: finding.count},
}
# fields left out of the JSON object while they are None
_OMITTED_WHEN_NONE: Mapping[type, frozenset[str]] = {
    RewriteSuggestion: frozenset({"apply", "before", "after", "diff", "diff_label"}),
}
# fields never written (and ignored when read): data for the views, not the contract
_NOT_WRITTEN: Mapping[type, frozenset[str]] = {
    Report: frozenset({"graph"}),
}
# fields written as an empty object while they are None
_EMPTY_WHEN_NONE: Mapping[type, frozenset[str]] = {
    Report: frozenset({"memory"}),
}


def report_to_dict(report: Report) -> JsonObject:
    """The report as plain JSON-ready data, keys in the schema's order."""
    return _object_to_dict(report)


def finding_to_dict(finding: Finding) -> JsonObject:
    """One finding as it appears in the report's ``findings`` array."""
    return _object_to_dict(finding)


def report_from_dict(data: Mapping[str, Any]) -> Report:
    """The report a ``trnport.report/1`` JSON object holds; ValueError when it is not one."""
    report = _decode(Report, data, "report")
    assert isinstance(report, Report)
    return report


def _object_to_dict(item: Any) -> JsonObject:
    names, omitted, emptied, derived = _plan(type(item))
    data: JsonObject = {}
    for name in names:
        value = getattr(item, name)
        if type(value) in _PLAIN:
            data[name] = value
        elif value is None:
            if name in omitted:
                continue
            data[name] = {} if name in emptied else None
        else:
            data[name] = _encode(value)
    for key, derive in derived:
        data[key] = derive(item)
    return data


#: values written as they are (checked by exact type: a subclass takes the general path)
_PLAIN = frozenset({str, int, float, bool})


#: what :func:`_object_to_dict` writes of a type: its field names in order (less the ones
#: never written), the fields left out or emptied while None, the derived keys
_Plan = tuple[tuple[str, ...], frozenset[str], frozenset[str],
              tuple[tuple[str, Callable[[Any], Any]], ...]]
_PLANS: dict[type, _Plan] = {}


def _plan(kind: type) -> _Plan:
    plan = _PLANS.get(kind)
    if plan is None:
        skipped = _NOT_WRITTEN.get(kind, frozenset())
        plan = _PLANS[kind] = (
            tuple(f.name for f in dataclasses.fields(kind) if f.name not in skipped),
            _OMITTED_WHEN_NONE.get(kind, frozenset()), _EMPTY_WHEN_NONE.get(kind, frozenset()),
            tuple(_DERIVED.get(kind, {}).items()))
    return plan


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN or value is None:
        return value
    # a dataclass seen before, by exact type: a table is thousands of rows of one type
    if kind in _PLANS:
        return _object_to_dict(value)
    # plain items are taken as they are without a call
    if isinstance(value, tuple | list):
        return [item if type(item) in _PLAIN else _encode(item) for item in value]
    if isinstance(value, dict):
        return {key if isinstance(key, str) else str(key):
                item if type(item) in _PLAIN else _encode(item)
                for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _object_to_dict(value)
    return value


@cache
def _field_types(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _decode(annotation: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _decode_object(annotation, value, where)
    if origin is types.UnionType or origin is typing.Union:
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if value is None:
            return None
        return _decode(options[0], value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected an array")
        item_type = typing.get_args(annotation)[0]
        return tuple(_decode(item_type, item, f"{where}[{index}]")
                     for index, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected an object")
        key_type, item_type = typing.get_args(annotation)
        return {_decode_key(key_type, key, where): _decode(item_type, item, f"{where}.{key}")
                for key, item in value.items()}
    return _scalar(annotation, value, where)


def _decode_key(key_type: Any, key: str, where: str) -> Any:
    if key_type is int:
        try:
            return int(key)
        except ValueError:
            raise ValueError(f"{where}: key {key!r} is not an integer") from None
    return key


def _scalar(annotation: Any, value: Any, where: str) -> Any:
    accepted: tuple[type, ...] = {float: (int, float)}.get(annotation, (annotation,))
    if (isinstance(value, bool) and annotation is not bool) or not isinstance(value, accepted):
        raise ValueError(f"{where}: expected {annotation.__name__}, got {value!r}")
    return value


def _decode_object(kind: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    hints = _field_types(kind)
    emptied = _EMPTY_WHEN_NONE.get(kind, frozenset())
    skipped = _NOT_WRITTEN.get(kind, frozenset())
    known = {field.name for field in dataclasses.fields(kind)} - skipped
    unknown = set(value) - known - set(_DERIVED.get(kind, {}))
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    arguments = {}
    for field in dataclasses.fields(kind):
        if field.name in skipped:
            continue
        if field.name not in value:
            if field.default is dataclasses.MISSING and \
                    field.default_factory is dataclasses.MISSING:
                raise ValueError(f"{where}: missing {field.name!r}")
            continue
        item = value[field.name]
        if field.name in emptied and item == {}:
            item = None
        arguments[field.name] = _decode(hints[field.name], item, f"{where}.{field.name}")
    return kind(**arguments)
