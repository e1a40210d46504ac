"""Mixture-of-experts memory: expert weights are weights (the per-token copies the export
gathers are not activations), activations grow with the experts each token is routed to,
expert parallelism (--ep) is checked against the expert count, and the public MoE models
fit at the parallel layouts their public deployments use."""

from __future__ import annotations

import pytest

from tests.analyzers.loaders.hf_configs import tiny_config, write_config
from tests.helpers import REPO, assert_one_line_error, run_cli
from trnport.analyzers.api import analyze
from trnport.analyzers.errors import InputError
from trnport.analyzers.memory.experts import picked_expert_weights
from trnport.analyzers.memory.scaling import resolved_shapes
from trnport.analyzers.options import AnalysisOptions
from trnport.analyzers.results.codec import report_to_dict

MOE_CONFIGS = REPO / "tests" / "fixtures" / "hf_moe"
GiB = 1024 ** 3


def _wide_mixtral(tmp_path, top_k):
    """Experts much wider than the hidden size, so a gathered expert copy dominates."""
    config = tiny_config("mixtral", intermediate_size=1024, num_local_experts=4,
                         num_experts_per_tok=top_k)
    return write_config(tmp_path / f"top{top_k}", config)


def test_gathered_expert_weights_are_not_counted_as_activations(tmp_path):
    from trnport.analyzers.loaders import load_model

    options = AnalysisOptions(seq_len=32)
    path = _wide_mixtral(tmp_path, 2)
    graph = load_model(path, options).graph
    shapes = resolved_shapes(graph, {})
    copies = picked_expert_weights(graph, shapes)
    assert copies and set(copies.values()) == {4}  # picked from the 4 stacked experts
    largest_copy = max(2 * _numel(shapes[name]) for name in copies)  # bf16 bytes
    peak = analyze(path, options).memory.activations.peak_bytes
    assert largest_copy > peak  # one layer's copy alone is larger than the whole peak


def test_activations_grow_with_the_experts_a_token_is_routed_to(tmp_path):
    options = AnalysisOptions(seq_len=64)
    one = analyze(_wide_mixtral(tmp_path, 1), options).memory.activations.peak_bytes
    two = analyze(_wide_mixtral(tmp_path, 2), options).memory.activations.peak_bytes
    assert two > one
    assert two < 2.5 * one  # tokens x top-k x expert width, not a copy of every expert


def test_router_numbers_come_from_the_config_into_the_assumptions(tmp_path):
    report = analyze(_wide_mixtral(tmp_path, 2), AnalysisOptions(seq_len=32, tp=4, ep=2))
    (moe,) = [a for a in report.memory.assumptions if a.startswith("mixture of experts")]
    assert "4 routed experts, top-2 routing" in moe and "EP 2 groups of TP 2" in moe
    assert report_to_dict(report)["target"]["ep"] == 2


def test_expert_parallel_degree_must_divide_tp_and_the_expert_count(tmp_path):
    with pytest.raises(InputError, match="--ep 3 must divide --tp 8"):
        AnalysisOptions(tp=8, ep=3)
    report = analyze(_wide_mixtral(tmp_path, 2), AnalysisOptions(seq_len=32, tp=8, ep=8))
    (issue,) = [f for f in report.findings if f.code == "TRN403" and "experts" in f.message]
    assert "4 experts cannot be split evenly over EP 8" in issue.message
    even = analyze(_wide_mixtral(tmp_path, 2), AnalysisOptions(seq_len=32, tp=8, ep=4))
    assert not [f for f in even.findings if f.code == "TRN403" and "EP" in f.message]


def test_ep_on_the_command_line_and_in_trnport_toml(tmp_path):
    path = _wide_mixtral(tmp_path, 2)
    result = run_cli("check", str(path), "--no-history", "--tp", "8", "--ep", "3")
    assert_one_line_error(result, "--ep 3 must divide --tp 8")
    (tmp_path / "trnport.toml").write_text("tp = 4\nep = 2\nseq-len = 32\n")
    result = run_cli("check", str(path), "--no-history", cwd=tmp_path)
    assert result.code in (0, 1), result.stderr
    assert "tp 4, ep 2;" in result.stdout


def _numel(shape):
    count = 1
    for size in shape:
        count *= size
    return count


def _errors_and_fit(name, **options):
    report = analyze(MOE_CONFIGS / name, AnalysisOptions(target="trn2", seq_len=128, **options))
    errors = [f for f in report.findings if f.severity == "error"]
    return report, errors, report.memory.per_core


# Public layouts: Mixtral-8x7B-Instruct compiled for Neuron with "num_cores": 8
# (huggingface.co/andrewrreed/Mixtral-8x7B-Instruct-v0.1-neuron-bs1-sl8k, config.json);
# Qwen3-235B-A22B on trn2.48xlarge with tp_degree 64, moe_tp_degree 2, moe_ep_degree 32
# (awsdocs-neuron libraries/nxd-inference/models/qwen3/qwen3_moe_235b.html); DeepSeek-V3 on
# the 64 logical cores of one trn2.48xlarge at LNC 2 (NxD Inference MoE deep dive:
# libraries/nxd-inference/developer_guides/moe-arch-deep-dive.html names it among the MoE
# models it serves).
@pytest.mark.slow
def test_mixtral_8x7b_fits_trn2_at_tp_8_with_weights_per_core_as_sharded():
    report, errors, per_core = _errors_and_fit("mixtral-8x7b", tp=8)
    assert report.model.params == 46_702_792_704
    assert not errors and per_core.status == "fits"
    weights = per_core.components["weights"]
    assert weights == pytest.approx(report.memory.parameters.parameter_bytes / 8, rel=1e-6)
    assert 10.5 * GiB < weights < 11.5 * GiB
    assert per_core.components["activations"] < 0.05 * GiB
    assert not [f for f in report.findings if f.code in ("TRN401", "TRN402", "TRN404")]


@pytest.mark.slow
def test_deepseek_v3_fits_one_trn2_48xlarge_at_tp_64():
    report, errors, per_core = _errors_and_fit("deepseek-v3", tp=64)
    assert round(report.model.params / 1e9) == 671
    assert not errors and per_core.status in ("fits", "tight")
    assert per_core.components["activations"] < 0.1 * GiB


@pytest.mark.slow
def test_qwen3_235b_a22b_fits_at_nxd_inference_layout_tp_64_ep_32():
    report, errors, per_core = _errors_and_fit("qwen3-235b-a22b", tp=64, ep=32)
    assert round(report.model.params / 1e9) == 235
    assert not errors and per_core.status == "fits"
    assert not [f for f in report.findings if f.code == "TRN403"]
    assert report.target.ep == 32
