"""The JSON report's text: the same data as ``json.dumps`` of the report's JSON form, two-space
indented, with each table row that fits on one line written on one line."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from trnport.analyzers.report.json_renderer import ROW_WIDTH, _one_line_encoder, _write, render_json
from trnport.analyzers.results.codec import report_from_dict, report_to_dict
from trnport.analyzers.results.report import ModuleRow

from .report_samples import clean_report, full_report, hostile_report


def _text(value) -> str:
    parts: list[str] = []
    _write(value, "", parts, _one_line_encoder())
    return "".join(parts)


@pytest.mark.parametrize("build", [hostile_report, clean_report, full_report])
def test_the_text_holds_the_reports_json_form_and_reads_back_to_the_report(build):
    report = build()
    text = render_json(report)
    assert text.endswith("}\n")
    assert json.loads(text) == json.loads(json.dumps(report_to_dict(report)))
    assert report_from_dict(json.loads(text)) == report_from_dict(report_to_dict(report))


def test_non_ascii_text_is_kept_as_it_is():
    assert _text({"name": "café ≥ naïve"}) == '{\n  "name": "café ≥ naïve"\n}'
    assert _text([{"name": "ü"}]) == '[\n  {"name": "ü"}\n]'


def test_sections_are_indented_and_short_rows_take_one_line_each():
    report = dataclasses.replace(full_report(), modules=(
        ModuleRow("", {"supported": 3}), ModuleRow("layers.0", {"supported": 2})))
    lines = render_json(report).splitlines()
    assert lines[0] == "{"
    assert lines[1].startswith('  "schema": ')
    assert '    {"module": "", "nodes_by_status": {"supported": 3}},' in lines
    assert '    {"module": "layers.0", "nodes_by_status": {"supported": 2}}' in lines
    assert lines[-1] == "}"


def test_a_row_longer_than_the_width_is_indented_like_the_rest():
    short = {"name": "x" * 10}
    long = {"name": "x" * ROW_WIDTH}
    text = _text({"rows": [short, long]})
    assert text == ('{\n  "rows": [\n    {"name": "' + "x" * 10 + '"},\n    {\n      "name": "'
                    + "x" * ROW_WIDTH + '"\n    }\n  ]\n}')


@pytest.mark.parametrize("value", [
    {}, [], {"a": [], "b": {}}, [1, [2, [3]], {"x": None}], {"s": "é\u2028\"\\\n\t"},
    {"numbers": [0, -0.0, 1.5e-7, 10**30, True, False, None]}, [[{"a": 1}] * 3],
    {"nested": {"deeper": {"deepest": list(range(40))}}},
])
def test_any_json_value_reads_back_the_same(value):
    text = _text(value)
    assert json.loads(text) == value
    assert json.dumps(json.loads(text)) == json.dumps(value)


def test_numbers_and_keys_are_written_as_json_writes_them():
    encode = _one_line_encoder()
    for value in (1.5, -0.0, 1e-05, 2**70, math.inf, -math.inf, "tab\there", None, True,
                  [1, {"a": [None, 2.5e-7]}]):
        assert encode(value) == json.dumps(value, ensure_ascii=False)
    assert json.loads(_text({2: "a", True: "b", None: "c", 1.5: "d"})) == \
        json.loads(json.dumps({2: "a", True: "b", None: "c", 1.5: "d"}))
    assert math.isnan(json.loads(_text([math.nan]))[0])


def test_a_value_json_cannot_write_is_refused_as_json_refuses_it():
    with pytest.raises(TypeError, match="not JSON serializable"):
        _text({"rows": [{"value": object()}]})
