"""The report's JSON form: written and read back by one codec, without loss, in the shape the
schema describes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.analyzers.report.report_samples import clean_report, full_report, hostile_report
from trnport.analyzers.results.codec import finding_to_dict, report_from_dict, report_to_dict


@pytest.mark.parametrize("make", [hostile_report, full_report, clean_report])
def test_a_report_survives_its_json_form(make):
    report = make()
    data = json.loads(json.dumps(report_to_dict(report)))
    assert report_from_dict(data) == report
    assert report_to_dict(report_from_dict(data)) == data


def test_json_keys_follow_the_schema_order_with_the_documented_departures():
    report = full_report()
    data = report_to_dict(report)
    assert list(data) == ["schema", "tool", "kb", "target", "model", "summary", "findings",
                          "operators", "memory", "rewrites", "diagnostics", "modules"]
    assert data["findings"][0]["count"] == report.findings[0].count == 2
    assert finding_to_dict(report.findings[0]) == data["findings"][0]
    assert list(data["memory"]["largest_batch_per_tp"]) == ["1", "2", "4", "8"]
    by_hand, automated = data["rewrites"]
    assert "apply" not in by_hand and "diff" not in by_hand and by_hand["rank"] == 2
    assert list(automated)[-6:] == ["apply", "before", "after", "diff", "diff_label", "rank"]
    assert report_to_dict(clean_report())["memory"] == {}


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["summary"].update(verdict=3), "report.summary.verdict: expected str"),
    (lambda d: d["memory"]["per_core"].update(spare=1), "unknown keys ['spare']"),
    (lambda d: d["model"].pop("sha256"), "report.model: missing 'sha256'"),
    (lambda d: d["memory"]["fit_grid"].update(cells={}), "fit_grid.cells: expected an array"),
    (lambda d: d["memory"]["largest_batch_per_tp"].update(x=1), "key 'x' is not an integer"),
    (lambda d: d["rewrites"][0].update(automated="yes"), "expected bool"),
])
def test_what_is_not_a_report_is_refused_with_the_place_it_went_wrong(change, message):
    data = report_to_dict(full_report())
    change(data)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        report_from_dict(data)


def test_integers_stay_integers_and_floats_floats():
    report = hostile_report()
    data = report_to_dict(dataclasses.replace(
        report, summary=dataclasses.replace(report.summary, coverage_pct=100)))
    assert report_from_dict(data).summary.coverage_pct == 100
    with pytest.raises(ValueError, match="expected int"):
        data["model"]["nodes"] = 1.5
        report_from_dict(data)
