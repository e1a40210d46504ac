"""Every report format of a fixed set of models, compared byte for byte with committed files.

A change of any verdict, message or layout shows in review as a diff of
``tests/golden/reports/`` (HTML pages are kept gzip-compressed: each inlines the same style
sheet and scripts, which would otherwise stand in the tree once per case). Regenerate after
an intended change with ``TRNPORT_UPDATE_GOLDEN=1 python -m pytest tests/golden``.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest

from tests.helpers import REPO, run_cli
from trnport.analyzers.report.html_renderer import wrap_at_tokens
from trnport.analyzers.report.markdown_renderer import text as markdown_text
from trnport.analyzers.results.codec import report_from_dict, report_to_dict

HERE = Path(__file__).resolve().parent
REPORTS = HERE / "reports"
FORMATS = "json,text,markdown,sarif,junit,html"
UPDATE = os.environ.get("TRNPORT_UPDATE_GOLDEN") == "1"
SCHEMA = json.loads((REPO / "resources" / "schemas" / "report.schema.json").read_text())

# case name → model path (relative to the repository, so reports name the same path on every
# machine) and the options it is checked with
CASES = {
    "tiny_cnn": ("resources/samples/tiny_cnn.onnx", ()),
    "tiny_cnn-inf2-2.29": ("resources/samples/tiny_cnn.onnx", ("--target", "inf2",
                                                               "--sdk", "2.29")),
    "mlp_model": ("resources/samples/mlp_model.py", ("--trust-code",)),
    "mlp_model-training": ("resources/samples/mlp_model.py", ("--trust-code", "--mode",
                                                              "training")),
    "llama3-8b": ("resources/samples/llama3-8b", ()),
    "llama3-8b-trn1-tp8": ("resources/samples/llama3-8b", ("--target", "trn1", "--tp", "8",
                                                          "--seq-len", "512")),
    "custom_op": ("tests/golden/models/custom_op.onnx", ()),
    "sort_and_cumsum": ("tests/golden/models/sort_and_cumsum.pt2", ("--target", "trn1")),
}


def _portable(data: bytes) -> bytes:
    """The report with this checkout's absolute path replaced, so that the golden files match
    in any clone. Reports name source files by absolute path, and each format writes that
    path its own way: as it is, percent-encoded in links, Markdown-escaped, and in HTML text
    with a line-break opportunity after each ``/``."""
    path = str(REPO)
    forms = {path, quote(path, safe="/"), markdown_text(path), str(wrap_at_tokens(path)),
             html.escape(path)}
    for form in sorted(forms, key=len, reverse=True):
        data = data.replace(form.encode(), b"<repo>")
    return data


def _golden_name(name: str) -> str:
    return f"{name}.gz" if name.endswith(".html") else name


def _golden_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _store(path: Path, data: bytes) -> None:
    # mtime 0: the compressed file is the same bytes whenever its content is
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)


def _render(case: str, tmp_path: Path) -> Path:
    model, args = CASES[case]
    out = tmp_path / case
    result = run_cli("check", model, "--no-history", "--no-config", "--format", FORMATS,
                     "--output-dir", str(out), *args)
    assert result.code in (0, 1), result.stderr
    return out


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_reports_match_their_golden_files(case, tmp_path):
    rendered = _render(case, tmp_path)
    # the JSON report is valid and reads back into the same report
    (json_file,) = rendered.glob("*.json")
    data = json.loads(json_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert report_to_dict(report_from_dict(data)) == data
    expected = REPORTS / case
    if UPDATE:
        shutil.rmtree(expected, ignore_errors=True)
        expected.mkdir(parents=True)
        for file in rendered.iterdir():
            _store(expected / _golden_name(file.name), _portable(file.read_bytes()))
    produced = sorted(p.name for p in rendered.iterdir())
    assert sorted(map(_golden_name, produced)) == sorted(p.name for p in expected.iterdir())
    for name in produced:
        golden = _golden_bytes(expected / _golden_name(name))
        assert _portable((rendered / name).read_bytes()) == golden, (
            f"{case}/{name} differs from its golden file; if the change is intended, "
            "regenerate with TRNPORT_UPDATE_GOLDEN=1")
