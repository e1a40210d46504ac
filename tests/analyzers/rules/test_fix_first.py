"""What to fix first: at most five actions, blockers before host time before lossy numerics
before the rest, one line each with the rewrite; and one finding per problem, with its
count, nodes and every place it occurs."""

from __future__ import annotations

import json

import pytest

from tests.helpers import SAMPLES, run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results import Finding, Location, Provenance
from trnport.analyzers.rules.priority import fix_first, impact_of

LLAMA_70B = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80,
    "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": 128256,
    "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
    "hidden_act": "silu", "tie_word_embeddings": False, "torch_dtype": "bfloat16",
}


def _finding(code, severity, category, nodes, fix="do it", rewrite=None, line=1):
    return Finding(code=code, symbol="s", severity=severity, category=category,
                   message=f"{code} at {line}", fix=fix, ops=("aten.x.default",),
                   nodes=tuple(nodes), location=Location(file="m.py", line=line),
                   provenance=Provenance(kind="rule", source="src"), rewrite=rewrite)


def test_blockers_then_host_time_by_flops_then_lossy_numerics_then_the_rest():
    findings = [
        _finding("TRN601", "warning", "performance", ["p"]),
        _finding("TRN202", "warning", "dtype", ["d"]),
        _finding("TRN102", "warning", "cpu_fallback", ["small"], fix="move small"),
        _finding("TRN102", "warning", "cpu_fallback", ["big"], fix="move big"),
        _finding("TRN101", "error", "unsupported_op", ["e"]),
        _finding("TRN402", "info", "memory", ["m"]),
    ]
    actions = fix_first(findings, {"big": 10**9, "small": 10})
    assert [a.code for a in actions] == ["TRN101", "TRN102", "TRN102", "TRN202", "TRN601"]
    assert [a.impact for a in actions] == ["blocks-compile", "host-time", "host-time",
                                           "lossy-numerics", "performance"]
    assert actions[1].action.startswith("move big") and actions[1].flops == 10**9
    assert [a.rank for a in actions] == [1, 2, 3, 4, 5]
    assert impact_of(findings[-1]) == "performance"


def test_findings_with_one_code_and_one_fix_are_one_action_counting_their_nodes():
    findings = [_finding("TRN101", "error", "unsupported_op", [f"n{i}"], fix="lower the opset",
                         rewrite="RW-onnx-opset-downgrade", line=i) for i in range(3)]
    (action,) = fix_first(findings, {})
    assert action.count == 3 and action.nodes == ("n0", "n1", "n2")
    assert "on 3 nodes" in action.action and "rewrite RW-onnx-opset-downgrade" in action.action
    assert "\n" not in action.action


def test_a_real_model_opens_with_its_blocker_and_merges_one_problem_in_many_places():
    report = analyze(SAMPLES / "tiny_cnn.onnx")
    actions = report.summary.fix_first
    assert 1 <= len(actions) <= 5
    assert actions[0].code == "TRN101" and actions[0].impact == "blocks-compile"



def test_one_problem_in_three_places_is_one_finding_with_the_other_places(tmp_path):
    model = tmp_path / "three_topks.py"
    model.write_text(
        "import torch\n\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        a = torch.topk(x, 2).values\n"
        "        b = torch.topk(x + 1, 2).values\n"
        "        c = torch.topk(x * 2, 2).values\n"
        "        return a + b + c\n\n"
        "model = Model()\n"
        "example_inputs = (torch.arange(16, dtype=torch.int32).reshape(2, 8),)\n",
        encoding="utf-8")
    report = analyze(model, AnalysisOptions(trust_code=True, target="inf2", sdk="2.32"))
    (topk,) = [f for f in report.findings if f.code == "TRN103"]  # one problem, one finding
    assert topk.count == 3
    assert topk.location.line == 5 and [p.line for p in topk.also_at] == [6, 7]
    assert topk.location not in topk.also_at
    assert report.summary.fix_first[0].code == "TRN103" and "on 3 nodes" in \
        report.summary.fix_first[0].action


@pytest.mark.slow
def test_a_70b_config_is_analysed_at_the_smallest_tp_that_fits_and_tp_1_is_blocked(tmp_path):
    folder = tmp_path / "llama-70b"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(LLAMA_70B))
    out = tmp_path / "auto.json"
    auto = run_cli("check", str(folder), "--no-history", "--format", "json", "-o", str(out))
    assert auto.code == 0, auto.stderr
    report = json.loads(out.read_text())
    assert report["target"]["tp"] >= 8 and report["target"]["layout_source"] == "auto"
    assert report["memory"]["per_core"]["status"] != "does_not_fit"
    assert report["summary"]["fix_first"]
    assert any(note.startswith(f"TP {report['target']['tp']} chosen: smallest that fits")
               for note in report["diagnostics"])
    pinned = run_cli("check", str(folder), "--no-history", "--tp", "1")
    assert pinned.code == 1
    assert "TRN401" in pinned.stdout and "verdict: BLOCKED" in pinned.stdout
    assert f"is TP {report['target']['tp']}" in pinned.stdout
