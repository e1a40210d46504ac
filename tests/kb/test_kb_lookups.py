"""Profile, target, operator and rewrite look-ups."""

from __future__ import annotations

import pytest

from trnport.analyzers.errors import InputError
from trnport.analyzers.kb import load_kb


def test_default_profile_is_2_34_and_release_numbers_map_to_their_line():
    kb = load_kb()
    assert kb.profile(None).id == "2.34"
    assert kb.profile("2.33.1").id == "2.33"
    assert kb.profile("2.31.1").id == "2.31"
    assert kb.profile("2.28.1").id == "2.28"
    assert kb.profile("2.25").id == "2.25"


def test_every_sdk_line_back_to_2_18_has_its_own_profile_with_its_compiler():
    kb = load_kb()
    lines = [f"2.{minor}" for minor in range(18, 35)]
    assert [p.id for p in kb.profiles] == lines[::-1]
    assert kb.profile("2.20").neuronx_cc == "2.15.143.0"
    assert kb.profile("2.18").neuronx_cc == "2.13.72.0"
    assert kb.profile("2.18").compiler_defaults["auto_cast"] == "matmult"


def test_trn2_is_not_a_target_before_neuron_2_21():
    kb = load_kb()
    assert "trn2" in kb.profile("2.21").stacks["xla"].targets
    assert "trn2" not in kb.profile("2.20").stacks["xla"].targets
    with pytest.raises(InputError, match=r"2\.20"):
        kb.stack(kb.profile("2.20"), "trn2")


def test_unknown_profile_lists_valid_ids():
    with pytest.raises(InputError) as caught:
        load_kb().profile("1.0")
    assert "2.34" in str(caught.value) and "2.26" in str(caught.value)


def test_profiles_carry_the_version_dependent_defaults():
    kb = load_kb()
    assert kb.profile("2.26").compiler_defaults["auto_cast"] == "matmult"
    assert kb.profile("2.29").compiler_defaults["auto_cast"] == "none"
    assert kb.profile("2.29").training_on_xla_supported is True
    assert kb.profile("2.30").training_on_xla_supported is False
    assert kb.profile("2.32").compiler_defaults["native_int64_flag"] is True
    assert kb.profile("2.31").compiler_defaults["native_int64_flag"] is False
    assert kb.profile("2.32").stacks["torchneuron"].targets == {"trn2": "private-beta",
                                                                "trn3": "private-beta"}
    assert kb.profile("2.32").neuronx_cc == "2.27.5334.0"
    notes = " ".join(kb.profile("2.32").notes)
    assert "2.27.4747.0" in notes and "2.27.5334.0" in notes


def test_trn2_default_lnc_gives_64_cores_of_24_gib():
    target = load_kb().target("trn2")
    assert (target.instance, target.lnc, target.cores, target.hbm_gib_per_core) == (
        "trn2.48xlarge",
        2,
        64,
        24,
    )
    assert target.neuroncore == "v3" and target.physical_cores == 128
    assert target.tflops_per_core["bf16"] == pytest.approx(667 / 4)
    assert target.runtime_overheads["microcode_mb_per_physical_core"] == 96
    assert any("2.9" in note and "3 TB/s" in note for note in target.notes)


def test_trn2_at_lnc_1_and_small_instances():
    kb = load_kb()
    lnc1 = kb.target("trn2", lnc=1)
    assert (lnc1.cores, lnc1.hbm_gib_per_core) == (128, 12)
    small = kb.target("inf2", "inf2.xlarge")
    assert (small.cores, small.hbm_gib_per_core, small.neuroncore) == (2, 16, "v2")
    assert kb.target("trn1", "trn1.2xlarge").tflops_per_chip["fp32"] == 47.5


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("trn9",), "unknown target"),
        (("trn1", "trn2.48xlarge"), "unknown instance"),
        (("trn1", None, 2), "LNC 2 is not available on trn1"),
    ],
)
def test_bad_target_requests_raise_input_error(args, fragment):
    with pytest.raises(InputError, match=fragment):
        load_kb().target(*args)


def test_aten_lookup_by_overload_packet_torchscript_and_in_place_names():
    kb = load_kb()
    assert kb.aten("aten.topk.default").key == "aten.topk"
    assert kb.aten("aten.topk").key == "aten.topk"
    assert kb.aten("aten::topk").key == "aten.topk"
    assert kb.aten("aten.scatter.reduce").key == "aten.scatter.reduce"
    assert kb.aten("aten.scatter.src").key == "aten.scatter"
    assert kb.aten("aten.relu_").key == "aten.relu"
    assert kb.aten("aten.no_such_op.default") is None


def test_onnx_lookup_is_limited_to_the_default_domain():
    kb = load_kb()
    assert kb.onnx("TopK").aten == ("aten.topk",)
    assert kb.onnx("TopK", "ai.onnx") is kb.onnx("TopK")
    assert kb.onnx("FusedMatMul", "com.microsoft") is None
    assert kb.op("onnx::Gemm") is kb.onnx("Gemm")
    assert kb.op("higher_order.cond").status == "unsupported"


def test_onnx_ops_without_onnx2torch_converter_are_unsupported_with_a_rewrite():
    kb = load_kb()
    entry = kb.onnx("Hardmax")
    assert entry.status == "unsupported" and entry.code == "TRN101"
    assert kb.rewrite(entry.rewrite).title


def test_rewrites_have_titles():
    kb = load_kb()
    assert kb.rewrite("RW-topk-int-to-float").title.startswith("Cast")
    assert kb.rewrite(None) is None
    assert kb.rewrite("RW-unknown") is None
