"""Loading: every shipped file validates (with jsonschema and with the loader's own fast
validator), bad data is a one-line InputError naming file and path, and loading is quick
and imports neither torch nor onnx."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from trnport.analyzers.errors import InputError
from trnport.analyzers.kb.loader import (
    COMPILED_FILE,
    default_kb_dir,
    default_schema_path,
    load_kb_from,
)
from trnport.analyzers.kb.schema import SchemaValidator, SchemaViolation
from trnport.analyzers.kb.yaml_io import dump_yaml, load_yaml_text

KINDS = {
    "meta": "meta_file",
    "profiles": "profiles_file",
    "targets": "targets_file",
    "dtypes": "dtypes_file",
    "rewrites": "rewrites_file",
    "limits": "limits_file",
    "citations": "citations_file",
    "ops": "ops_file",
    "stacks": "stacks_file",
    "known_issues": "known_issues_file",
}


def _schema() -> dict:
    return json.loads(default_schema_path().read_text())


def _shipped() -> dict[str, dict]:
    root = default_kb_dir()
    files = {"kb.yaml", *load_yaml_text((root / "kb.yaml").read_text())["files"]}
    return {name: load_yaml_text((root / name).read_text()) for name in sorted(files)}


def _jsonschema_errors(data: dict) -> list:
    schema = _schema()
    validator = jsonschema.Draft202012Validator(
        {**schema, "$ref": f"#/$defs/{KINDS[data['kind']]}"}
    )
    return list(validator.iter_errors(data))


def _fast_error(data: dict) -> SchemaViolation | None:
    try:
        SchemaValidator(_schema()).validate(data, KINDS[data["kind"]])
    except SchemaViolation as exc:
        return exc
    return None


def test_every_shipped_file_validates_with_jsonschema_and_the_fast_validator():
    files = _shipped()
    assert {"profiles.yaml", "targets.yaml", "ops/aten.yaml", "ops/onnx.yaml"} <= set(files)
    for name, data in files.items():
        assert _jsonschema_errors(data) == [], name
        assert _fast_error(data) is None, name


CORRUPTIONS = {
    "bad status": ("ops/aten.yaml", lambda d: d["ops"]["aten.topk"].update(status="maybe")),
    "missing source": ("ops/aten.yaml", lambda d: d["ops"]["aten.mm"].pop("source")),
    "bad confidence": ("ops/onnx.yaml", lambda d: d["ops"]["Add"].update(confidence="sure")),
    "unknown condition key": (
        "ops/aten.yaml",
        lambda d: d["ops"]["aten.topk"]["rules"][0]["when"].update(colour="red"),
    ),
    "unknown code": ("ops/aten.yaml", lambda d: d["ops"]["aten.nonzero"].update(code="TRN999")),
    "dtype match without in": (
        "ops/aten.yaml",
        lambda d: d["ops"]["aten.topk"]["rules"][0]["when"].update(input_dtype={"index": 0}),
    ),
    "negative cores": (
        "targets.yaml",
        lambda d: d["families"]["trn2"].update(physical_cores_per_chip=0),
    ),
    "profile without id": ("profiles.yaml", lambda d: d["profiles"][0].pop("id")),
    "profile without stacks": ("profiles.yaml", lambda d: d["profiles"][0].pop("stacks")),
    "unknown stack status": (
        "profiles.yaml",
        lambda d: d["profiles"][0]["stacks"]["torchneuron"]["targets"].update(trn2="ga-ish"),
    ),
    "default stack of an unknown stack": (
        "profiles.yaml", lambda d: d["profiles"][0]["default_stack"].update(trn2="jax")),
    "stack without texts": ("stacks.yaml", lambda d: d["stacks"]["xla"].pop("texts")),
    "bad rewrite id": (
        "rewrites.yaml",
        lambda d: d["rewrites"].update({"rw_bad": {"title": "x", "source": "abc"}}),
    ),
    "automated rewrite without matches": (
        "rewrites.yaml",
        lambda d: d["rewrites"]["RW-topk-int-to-float"]["automated"].pop("matches"),
    ),
    "fx match that is no ATen overload": (
        "rewrites.yaml",
        lambda d: d["rewrites"]["RW-topk-int-to-float"]["automated"]["matches"].update(
            fx=["topk"]),
    ),
    "limit without source": ("limits.yaml",
                             lambda d: d["limits"]["instruction_count"].pop("source")),
    "negative limit": ("limits.yaml",
                       lambda d: d["limits"]["nki_mlp_intermediate"].update(value=-1)),
    "storage without source": ("dtypes.yaml", lambda d: d["storage"].pop("source")),
    "empty citation": ("citations.yaml", lambda d: d["citations"].update(hbm_fit="")),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_fast_validator_rejects_what_jsonschema_rejects(case):
    name, corrupt = CORRUPTIONS[case]
    data = _shipped()[name]
    corrupt(data)
    assert _jsonschema_errors(data), f"{case}: jsonschema accepted it"
    assert _fast_error(data) is not None, f"{case}: the fast validator accepted it"


def _copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "neuron"
    shutil.copytree(default_kb_dir(), target, ignore=shutil.ignore_patterns("curated"))
    return target


def test_corrupted_file_gives_one_line_input_error_naming_file_and_path(tmp_path):
    kb_dir = _copy_kb(tmp_path)
    aten = kb_dir / "ops" / "aten.yaml"
    data = load_yaml_text(aten.read_text())
    data["ops"]["aten.topk"]["status"] = "maybe"
    aten.write_text(dump_yaml(data))
    with pytest.raises(InputError) as caught:
        load_kb_from(kb_dir)
    message = str(caught.value)
    assert "\n" not in message
    assert str(aten) in message
    assert "/ops/aten.topk/status" in message


def test_yaml_syntax_error_gives_one_line_input_error(tmp_path):
    kb_dir = _copy_kb(tmp_path)
    (kb_dir / "profiles.yaml").write_text("kind: profiles\nprofiles: [unclosed\n")
    with pytest.raises(InputError) as caught:
        load_kb_from(kb_dir)
    assert "\n" not in str(caught.value)
    assert "profiles.yaml" in str(caught.value) and "invalid YAML" in str(caught.value)


def test_missing_data_file_gives_input_error(tmp_path):
    kb_dir = _copy_kb(tmp_path)
    (kb_dir / "targets.yaml").unlink()
    with pytest.raises(InputError, match=r"targets\.yaml"):
        load_kb_from(kb_dir)


def test_edited_yaml_wins_over_the_stale_compiled_copy(tmp_path):
    kb_dir = _copy_kb(tmp_path)
    aten = kb_dir / "ops" / "aten.yaml"
    data = load_yaml_text(aten.read_text())
    data["ops"]["aten.mm"]["reason"] = "edited by hand for this test"
    aten.write_text(dump_yaml(data))
    assert (kb_dir / COMPILED_FILE).is_file()
    assert load_kb_from(kb_dir).aten("aten.mm.default").reason == "edited by hand for this test"


def test_compiled_copy_matches_the_yaml_it_stands_for():
    compiled = json.loads((default_kb_dir() / COMPILED_FILE).read_text())
    assert compiled["files"] == _shipped()


def test_load_imports_no_framework():
    """Its speed is measured in benchmarks/bench_engine.py, against a floor."""
    code = (
        "import sys\n"
        "from trnport.analyzers.kb.loader import default_kb_dir, load_kb_from\n"
        "kb = load_kb_from(default_kb_dir())\n"
        "print(len(kb.aten_ops), 'torch' in sys.modules, 'onnx' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    entries, torch_loaded, onnx_loaded = proc.stdout.split()
    assert int(entries) > 500
    assert torch_loaded == "False" and onnx_loaded == "False"


def test_load_kb_is_cached():
    from trnport.analyzers.kb import load_kb

    first = load_kb()
    assert load_kb() is first
