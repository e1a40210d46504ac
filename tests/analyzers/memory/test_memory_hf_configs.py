"""Public configurations built by the Hugging Face loader: parameter counts and fit verdicts
agree with the published figures and with hand calculation."""

from __future__ import annotations

import json

import pytest

from tests.analyzers.memory.memory_fixtures import GIB, LLAMA2_7B, TRN1_CORE, TRN2_CORE
from tests.helpers import SAMPLES
from trnport.analyzers.memory.assessment import estimate_memory
from trnport.analyzers.memory.section import memory_section
from trnport.analyzers.options import AnalysisOptions

LLAMA2_7B_CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                    "rms_norm_eps": 1e-5, "tie_word_embeddings": False,
                    **{k: v for k, v in LLAMA2_7B.items() if k != "head_dim"}}


def _load(config_path, **options):
    from trnport.analyzers.loaders.hf.loader import load

    options = AnalysisOptions(**options)
    return load(config_path, options).graph, options


@pytest.fixture(scope="module")
def llama7b_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("llama7b") / "config.json"
    path.write_text(json.dumps(LLAMA2_7B_CONFIG), encoding="utf-8")
    return path


@pytest.mark.slow
def test_llama7b_config_gives_the_published_count_and_fits_trn1_only_in_bf16(llama7b_config):
    graph, options = _load(llama7b_config, target="trn1", dtype="bf16", seq_len=2048)
    bf16 = estimate_memory(graph, options, TRN1_CORE)
    assert bf16.params.parameters == 6_738_415_616
    assert round(bf16.params.parameter_bytes / GIB, 2) == 12.55
    assert bf16.chosen.components["kv_cache"] == GIB  # 2·32·2048·32·128·2 B
    assert bf16.chosen.fits
    graph, options = _load(llama7b_config, target="trn1", dtype="fp32", seq_len=2048, tp=1)
    fp32 = estimate_memory(graph, options, TRN1_CORE)
    assert round(fp32.params.parameter_bytes / GIB, 1) == 25.1
    assert not fp32.chosen.fits and fp32.smallest_tp == 2
    # the eager graph's peak is one layer's attention (fp32 scores of 32 heads); decoders are
    # costed with a fused attention kernel, which never stores them
    scores = 32 * 2048 * 2048 * 4
    activations = memory_section(fp32).activations
    assert activations.fused_attention
    assert scores <= activations.eager_attention_peak_bytes <= 4 * scores
    assert fp32.chosen.components["activations"] < scores


@pytest.mark.slow
def test_llama3_8b_sample_count_is_within_one_percent_and_needs_tp_on_trn1():
    graph, options = _load(SAMPLES / "llama3-8b", target="trn1", dtype="bf16", seq_len=8192,
                           tp=1)
    result = estimate_memory(graph, options, TRN1_CORE, other_budgets=[TRN2_CORE])
    published = 8_030_261_248  # Meta-Llama-3-8B
    assert abs(result.params.parameters - published) <= 0.01 * published
    # 14.96 GiB of bf16 weights + a 1 GiB cache (8 KV heads) exceed a 16 GiB trn1 core
    assert result.chosen.components["kv_cache"] == GIB
    assert not result.chosen.fits
    assert result.smallest_tp == 2
    trn2 = next(t for t in result.targets if t.budget.family == "trn2")
    assert trn2.smallest_tp == 1  # 24 GiB per trn2 logical core
