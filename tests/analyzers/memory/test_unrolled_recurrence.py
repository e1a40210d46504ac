"""Recurrent Hugging Face models export at a short probe length and the unrolled scan is
scaled to the length asked for (TRN405 names it and its cost)."""

import pytest

from tests.analyzers.loaders.hf_configs import write_config
from trnport.analyzers.api import analyze
from trnport.analyzers.loaders import load_model
from trnport.analyzers.loaders.hf.loader import PROBE_SEQ_LEN
from trnport.analyzers.memory.recurrence import unrolled_loops
from trnport.analyzers.options import AnalysisOptions

pytestmark = pytest.mark.slow

MAMBA = {"model_type": "mamba", "architectures": ["MambaForCausalLM"], "hidden_size": 64,
         "state_size": 8, "num_hidden_layers": 2, "vocab_size": 256, "expand": 2,
         "conv_kernel": 4}


def test_mamba_is_exported_at_the_probe_length_and_its_scan_scaled(tmp_path):
    write_config(tmp_path / "mamba", MAMBA)
    graph = load_model(tmp_path / "mamba", AnalysisOptions(seq_len=2048)).graph
    assert graph.values["input_ids"].shape == (1, PROBE_SEQ_LEN)
    assert graph.metadata["recurrence"] == {"probe_seq_len": PROBE_SEQ_LEN, "seq_len": 2048}
    loops = unrolled_loops(graph)
    assert [loop.file.rsplit("/", 1)[-1] for loop in loops] == ["modeling_mamba.py"]
    assert loops[0].scale == 2048 / PROBE_SEQ_LEN
    assert loops[0].unrolled_nodes == len(loops[0].nodes) * 128


def test_trn405_names_the_scan_and_its_cost(tmp_path):
    write_config(tmp_path / "mamba", MAMBA)
    report = analyze(tmp_path / "mamba", AnalysisOptions(seq_len=2048))
    found = [f for f in report.findings if f.code == "TRN405"]
    # a config has no user code: the module path places it, the library line is detail
    assert len(found) == 1 and found[0].location.file is None
    assert found[0].location.library.split(":")[0].endswith("modeling_mamba.py")
    assert "scaled to 2048" in found[0].message and "instructions" in found[0].message
    assert "backbone.layers.0.mixer" in found[0].message
    assert report.memory.per_core.seq_len == 2048  # sized at the length asked for


@pytest.mark.parametrize("model_type", ["llama", "bert", "t5"])
def test_transformers_without_a_recurrence_get_no_unrolled_loop(tmp_path, model_type):
    from tests.analyzers.loaders.hf_configs import tiny_config

    write_config(tmp_path / model_type, tiny_config(model_type))
    report = analyze(tmp_path / model_type, AnalysisOptions(seq_len=128))
    assert not [f for f in report.findings if f.code == "TRN405"]
