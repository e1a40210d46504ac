"""The instruction estimate against public cases (limits.yaml lists them with sources): the
SDXL VAE decoder fails at a 104 x 152 latent and compiles at 128 x 128; models AWS documents
as compiling stay far below the risk threshold."""

import importlib.util

import pytest

from tests.analyzers.loaders.hf_configs import write_config
from tests.helpers import REPO
from trnport.analyzers.api import analyze
from trnport.analyzers.kb import load_kb
from trnport.analyzers.loaders.torch.fx_graph import export_program, graph_from_exported_program
from trnport.analyzers.memory.instructions import estimate_instructions
from trnport.analyzers.options import AnalysisOptions

pytestmark = pytest.mark.slow

LLAMA_2_7B = {
    "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096,
    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
    "intermediate_size": 11008, "vocab_size": 32000, "max_position_embeddings": 4096,
    "bos_token_id": 1, "eos_token_id": 2,
}
BERT_LARGE = {
    "model_type": "bert", "architectures": ["BertForMaskedLM"], "hidden_size": 1024,
    "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096,
    "vocab_size": 30522, "max_position_embeddings": 512,
}
VIT_LARGE = {
    "model_type": "vit", "architectures": ["ViTForImageClassification"], "hidden_size": 1024,
    "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096,
    "image_size": 224, "patch_size": 16, "num_channels": 3,
}


VAE_DECODER = REPO / "tests" / "fixtures" / "compile_size" / "sd_vae_decoder.py"


def _vae_decoder(latent):
    path = VAE_DECODER
    spec = importlib.util.spec_from_file_location("sd_vae_decoder", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model, inputs = module.example(latent)
    return graph_from_exported_program(export_program(model, inputs), "Decoder")


def test_calibration_band_comes_from_the_knowledge_base():
    kb = load_kb()
    low, high = kb.limit("instruction_factor_low"), kb.limit("instruction_factor_high")
    assert (low.value, high.value) == (2.6, 4.8)
    assert "issues/987" in low.source and "issues/34" in high.source


def test_sdxl_vae_decoder_is_at_risk_where_it_failed_and_not_where_it_compiled():
    failing = estimate_instructions(_vae_decoder((104, 152)), {})
    compiling = estimate_instructions(_vae_decoder((128, 128)), {})
    assert failing.at_risk and not compiling.at_risk
    # the calibration points recorded in limits.yaml
    assert round(failing.per_core / 1e6, 2) == 1.08 and round(compiling.per_core / 1e6, 2) == 0.99
    assert failing.band[1] >= failing.limit > compiling.band[1]
    sd15 = estimate_instructions(_vae_decoder((64, 64)), {})
    assert not sd15.at_risk


def test_trn404_states_the_error_band(tmp_path):
    model = tmp_path / "vae.py"
    model.write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('vae', {str(VAE_DECODER)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "model, example_inputs = module.example((104, 152))\n", encoding="utf-8")
    report = analyze(model, AnalysisOptions(trust_code=True, target="inf2", dtype="fp32"))
    found = [f for f in report.findings if f.code == "TRN404"]
    assert len(found) == 1
    assert "2.6x to 4.8x the estimate" in found[0].message and "5,000,000" in found[0].message
    assert "issues/34" in found[0].provenance.source


@pytest.mark.parametrize(("name", "config", "options"), [
    ("bert-large", BERT_LARGE, {"seq_len": 512, "target": "inf2"}),
    ("vit-large", VIT_LARGE, {"target": "inf2"}),
    ("llama-2-7b", LLAMA_2_7B, {"seq_len": 2048, "tp": 8, "target": "trn1"}),
])
def test_models_aws_documents_as_compiling_are_not_at_risk(tmp_path, name, config, options):
    write_config(tmp_path / name, config)
    report = analyze(tmp_path / name, AnalysisOptions(**options))
    assert not [f for f in report.findings if f.code == "TRN404"]
    assert report.memory.instructions.per_core < report.memory.instructions.risk_threshold / 3
