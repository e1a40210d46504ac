"""Findings made inside an installed library point at the user's line that called into it,
with the library's line kept as detail, and every report format shows them under that call
site; a model built from a Hugging Face config (no user code) is attributed to its module
path."""

from __future__ import annotations

import json

import pytest

from tests.analyzers.loaders.hf_configs import tiny_config, write_config
from trnport.analyzers.api import analyze
from trnport.analyzers.loaders.torch.fx_graph import library_path
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.report.markdown_renderer import render_markdown
from trnport.analyzers.report.sarif_renderer import render_sarif
from trnport.analyzers.report.text_renderer import render_text
from trnport.analyzers.results.codec import report_to_dict

LIBRARY = '''\
import torch


class DilatedBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 4, kernel_size=2, dilation=3)
        self.other = torch.nn.Conv2d(4, 4, kernel_size=3, dilation=2)

    def forward(self, x):
        y = self.conv(x)
        return self.other(y)
'''
USER = '''\
# trnport: --sdk 2.26 --target trn1
import sys
sys.path.insert(0, {site!r})
import torch
from dilated_lib.blocks import DilatedBlock


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = DilatedBlock()

    def forward(self, x):
        return self.block(x)


model = Model()
example_inputs = (torch.randn(1, 4, 16, 16),)
'''
CALL_LINE = 14  # ``return self.block(x)`` in USER


@pytest.fixture(scope="module")
def library_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("attribution")
    package = root / "lib" / "python3" / "site-packages" / "dilated_lib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text(LIBRARY)
    user = root / "model.py"
    user.write_text(USER.format(site=str(package.parent)))
    options = AnalysisOptions(trust_code=True, sdk="2.26", target="trn1")
    return user, analyze(user, options)


def _library_findings(report):
    return [f for f in report.findings if f.location.library]


def test_library_findings_point_at_the_users_call_with_the_library_line_as_detail(
        library_report):
    user, report = library_report
    (finding,) = [f for f in report.findings if f.code == "TRN502"]
    assert (finding.location.file, finding.location.line) == (str(user), CALL_LINE)
    assert finding.location.library == "dilated_lib/blocks.py:11"
    assert finding.location.module == "block.conv"


def test_every_format_groups_library_findings_under_the_call_site(library_report):
    user, report = library_report
    text = render_text(report)
    assert f"  at {user}:{CALL_LINE} (inside installed libraries):\n    TRN502" in text
    assert "library: dilated_lib/blocks.py:11 in block.conv" in text
    markdown = render_markdown(report)
    assert f"{user}:{CALL_LINE} in block.conv → dilated_lib/blocks.py:11 `" in markdown
    data = report_to_dict(report)
    (located,) = [f["location"] for f in data["findings"] if f["code"] == "TRN502"]
    assert located == {"file": str(user), "line": CALL_LINE, "module": "block.conv",
                       "library": "dilated_lib/blocks.py:11"}
    sarif = json.loads(render_sarif(report))
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "TRN502"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": CALL_LINE}
    related = result["relatedLocations"][0]["physicalLocation"]
    assert related == {"artifactLocation": {"uri": "dilated_lib/blocks.py"},
                       "region": {"startLine": 11}}


def test_html_report_names_the_library_line(library_report):
    from trnport.analyzers.report.html_renderer import render_html

    _, report = library_report
    html = render_html(report)
    assert "Library line" in html and "dilated_lib/blocks.py:11" in html


def test_user_code_without_libraries_keeps_its_own_line(tmp_path):
    path = tmp_path / "plain.py"
    path.write_text(LIBRARY + "\nmodel = DilatedBlock()\n"
                    "example_inputs = (torch.randn(1, 4, 16, 16),)\n")
    report = analyze(path, AnalysisOptions(trust_code=True, sdk="2.26", target="trn1"))
    (finding,) = [f for f in report.findings if f.code == "TRN502"]
    assert (finding.location.file, finding.location.line) == (str(path), 11)
    assert finding.location.library is None


def test_hugging_face_config_is_attributed_to_module_paths(tmp_path):
    from trnport.analyzers.loaders import load_model

    path = write_config(tmp_path / "llama", tiny_config("llama"))
    graph = load_model(path, AnalysisOptions(seq_len=16)).graph
    attention = [n.location for n in graph.nodes
                 if (n.location.module or "").endswith("layers.0.self_attn")]
    assert attention
    for location in attention:
        assert location.file is None and location.line is None
        assert location.library.startswith("transformers/models/llama/modeling_llama.py:")


@pytest.mark.parametrize(("file", "expected"), [
    ("/usr/lib/python3/dist-packages/transformers/models/bert/modeling_bert.py",
     "transformers/models/bert/modeling_bert.py"),
    ("/home/me/.venv/lib/python3.11/site-packages/timm/layers/mlp.py", "timm/layers/mlp.py"),
    ("/home/me/project/model.py", None),
])
def test_library_path_is_the_path_inside_the_package_root(file, expected):
    assert library_path(file) == expected
