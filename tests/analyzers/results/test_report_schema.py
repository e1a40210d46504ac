"""The report schema describes the memory and rewrite sections field for field: every
dataclass of those sections has a ``$defs`` entry with a property of the matching JSON type
for each field, and no property without a field; and every report the samples build
validates."""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing

import jsonschema
import pytest

from tests.analyzers.report.report_samples import clean_report, full_report, hostile_report
from tests.helpers import REPO
from trnport.analyzers.results.codec import report_to_dict
from trnport.analyzers.results.memory import MemorySection
from trnport.analyzers.results.rewrites import RewriteSuggestion

SCHEMA = json.loads((REPO / "resources" / "schemas" / "report.schema.json").read_text())
DEFS = SCHEMA["$defs"]
# fields the JSON form leaves out while they are None (see results/codec.py)
OPTIONAL = {RewriteSuggestion: {"apply", "before", "after", "diff", "diff_label"}}
_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean"}


def def_name(kind: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()


def section_classes(root: type) -> list[type]:
    """``root`` and every dataclass its fields hold, directly or in tuples and dicts."""
    found: list[type] = []

    def visit(annotation) -> None:
        if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            if annotation not in found:
                found.append(annotation)
                for hint in typing.get_type_hints(annotation).values():
                    visit(hint)
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(root)
    return found


def described(schema: dict) -> frozenset:
    """What a property schema admits, as comparable terms."""
    if "$ref" in schema:
        target = schema["$ref"].rsplit("/", 1)[-1]
        return described(DEFS[target]) if "enum" in DEFS[target] else frozenset({target})
    if "anyOf" in schema:
        return frozenset().union(*(described(option) for option in schema["anyOf"]))
    if "enum" in schema:
        return frozenset("null" if v is None else _JSON_TYPES[type(v)] for v in schema["enum"])
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    terms = set()
    for kind in kinds:
        if kind == "array":
            terms.add(("array", described(schema["items"])))
        elif kind == "object":
            terms.add(("object", described(schema["additionalProperties"])))
        else:
            terms.add(kind)
    return frozenset(terms)


def expected(annotation) -> frozenset:
    """What a field's annotation admits, in the terms of :func:`described`."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return frozenset({def_name(annotation)})
    if origin is types.UnionType:
        return frozenset().union(*(frozenset({"null"}) if arg is type(None) else expected(arg)
                                   for arg in typing.get_args(annotation)))
    if origin is tuple:
        return frozenset({("array", expected(typing.get_args(annotation)[0]))})
    if origin is dict:
        return frozenset({("object", expected(typing.get_args(annotation)[1]))})
    return frozenset({_JSON_TYPES[annotation]})


CLASSES = [*section_classes(MemorySection), *section_classes(RewriteSuggestion)]


@pytest.mark.parametrize("kind", CLASSES, ids=lambda kind: kind.__name__)
def test_every_field_has_a_property_of_its_type_and_every_property_a_field(kind):
    definition = DEFS[def_name(kind)]
    hints = typing.get_type_hints(kind)
    fields = [field.name for field in dataclasses.fields(kind)]
    assert list(definition["properties"]) == fields
    assert definition["additionalProperties"] is False
    optional = OPTIONAL.get(kind, set())
    assert definition["required"] == [name for name in fields if name not in optional]
    for name in fields:
        annotation = hints[name]
        if name in optional:  # left out rather than null
            (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        assert described(definition["properties"][name]) == expected(annotation), name


def test_the_report_names_the_section_definitions():
    properties = SCHEMA["properties"]
    assert {"$ref": "#/$defs/memory_section"} in properties["memory"]["anyOf"]
    assert properties["rewrites"]["items"] == {"$ref": "#/$defs/rewrite_suggestion"}


@pytest.mark.parametrize("make", [hostile_report, full_report, clean_report])
def test_sample_reports_validate(make):
    jsonschema.Draft202012Validator(SCHEMA).validate(report_to_dict(make()))


def test_a_memory_section_with_a_stray_figure_does_not_validate():
    data = report_to_dict(full_report())
    data["memory"]["per_core"]["spare_bytes"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(data)
