"""trnport kb ops|targets|profiles: readable tables, JSON, one-line errors for bad filters."""

import json

import pytest

from tests.helpers import assert_one_line_error, run_cli


def test_kb_ops_filters_by_pattern_and_source():
    result = run_cli("kb", "ops", "--source", "onnx", "TopK")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["OP", "SOURCE", "STATUS"]
    assert any(line.startswith("TopK ") for line in lines)
    assert not any(line.startswith("aten.") for line in lines)
    assert "1 operators; SDK profile 2.34" in result.stdout


def test_kb_ops_json_honours_status_profile_and_glob():
    result = run_cli("kb", "ops", "--status", "unsupported", "--profile", "2.31",
                     "--format", "json", "aten.*")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["profile"] == "2.31"
    assert data["count"] == len(data["ops"]) > 0
    for row in data["ops"]:
        assert row["status"] == "unsupported"
        assert row["op"].startswith("aten.") and row["source"] == "aten"
        assert row["kb_source"] and row["confidence"] in ("high", "medium", "low")


def test_kb_ops_without_filters_lists_every_entry():
    from trnport.analyzers.kb import load_kb

    kb = load_kb()
    data = json.loads(run_cli("kb", "ops", "--format", "json").stdout)
    assert data["count"] == len(kb.aten_ops) + len(kb.torch_ops) + len(kb.onnx_ops)


def test_kb_targets_lists_every_family_with_per_core_numbers():
    text = run_cli("kb", "targets")
    assert text.code == 0
    for family in ("trn1", "trn1n", "inf2", "trn2", "trn3"):
        assert any(line.startswith(family + " ") for line in text.stdout.splitlines())
    data = json.loads(run_cli("kb", "targets", "--format", "json").stdout)
    trn2 = next(t for t in data["targets"] if t["family"] == "trn2")
    assert trn2["lnc_options"] == [1, 2] and trn2["hbm_gib_per_core"] > 0
    assert "trn2.48xlarge" in [i["name"] for i in trn2["instances"]]


def test_kb_profiles_marks_the_default_and_shows_compiler_versions():
    text = run_cli("kb", "profiles")
    assert text.code == 0
    assert "2.34 (default)" in text.stdout and "2.33" in text.stdout and "2.31" in text.stdout
    data = json.loads(run_cli("kb", "profiles", "--format", "json").stdout)
    assert data["default"] == "2.34"
    by_id = {p["id"]: p for p in data["profiles"]}
    assert [p["id"] for p in data["profiles"]][:2] == ["2.34", "2.33"]
    assert by_id["2.34"]["default"] and not by_id["2.33"]["default"]
    assert by_id["2.33"]["neuronx_cc"] == "2.28.7631.0"
    assert by_id["2.34"]["neuronx_cc"] is None  # not readable in the stored 2.34 notes
    assert by_id["2.34"]["compiler_defaults"]["int64"] == "not_confirmed"
    assert by_id["2.34"]["compiler_defaults"]["int64_assumed"] == "downcast"
    assert by_id["2.31"]["neuronx_cc"].startswith("2.26")
    assert "compiler_defaults" in by_id["2.32"]
    assert by_id["2.33"]["stacks"]["torchneuron"]["versions"] == ["2.13.3.0", "2.14.3.0"]


def _stacks(row, family):
    return [(s["stack"], s["status"], s["default"]) for s in row["stacks_by_target"][family]]


def test_kb_profiles_show_the_stacks_of_every_target_on_every_line():
    data = json.loads(run_cli("kb", "profiles", "--format", "json").stdout)
    by_id = {p["id"]: p for p in data["profiles"]}
    assert _stacks(by_id["2.34"], "trn2") == [("torchneuron", "public-beta", True)]
    assert _stacks(by_id["2.34"], "inf2") == [("xla", "maintenance", True)]
    assert _stacks(by_id["2.33"], "trn3") == [("torchneuron", "public-beta", True),
                                              ("xla", "deprecated", False)]
    assert _stacks(by_id["2.32"], "trn2") == [("xla", "supported", True),
                                              ("torchneuron", "private-beta", False)]
    assert _stacks(by_id["2.29"], "trn2") == [("xla", "supported", True)]
    for row in data["profiles"]:
        for family in ("inf2", "trn1", "trn1n"):
            assert [s[0] for s in _stacks(row, family)] == ["xla"], (row["id"], family)
    text = run_cli("kb", "profiles").stdout
    assert "2.34: inf2, trn1, trn1n: xla* (maintenance) · trn2, trn3: torchneuron* (public beta)" \
        in text


def test_kb_targets_show_the_stacks_of_the_chosen_line():
    data = json.loads(run_cli("kb", "targets", "--format", "json").stdout)
    assert data["profile"] == "2.34"
    by_family = {t["family"]: t for t in data["targets"]}
    assert by_family["trn2"]["stacks"] == [{"stack": "torchneuron", "status": "public-beta",
                                            "default": True}]
    older = json.loads(run_cli("kb", "targets", "--profile", "2.33", "--format", "json").stdout)
    trn2 = next(t for t in older["targets"] if t["family"] == "trn2")
    assert [s["stack"] for s in trn2["stacks"]] == ["torchneuron", "xla"]
    text = run_cli("kb", "targets", "--profile", "2.33").stdout
    assert "torchneuron* (public beta), xla (deprecated)" in text


@pytest.mark.parametrize("args, fragment", [
    (("kb", "ops", "--status", "bogus"), "--status"),
    (("kb", "ops", "--source", "tensorflow"), "--source"),
    (("kb", "ops", "--profile", "9.99"), "unknown Neuron SDK profile"),
    (("kb", "ops", "--format", "xml"), "--format"),
    (("kb", "nonsense"), "invalid choice"),
    (("kb",), "required"),
])
def test_bad_kb_arguments_are_one_line_errors(args, fragment):
    assert_one_line_error(run_cli(*args), fragment)
