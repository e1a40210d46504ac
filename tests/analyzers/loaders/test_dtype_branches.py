"""Which floating dtypes a model's code branches on, from the conditions in its source: a
graph is retyped only between dtypes no condition names."""

from __future__ import annotations

import pytest

from trnport.analyzers.loaders.hf.dtype_branches import (
    ANY,
    condition_dtypes,
    dtype_branches,
    source_branches,
)


@pytest.mark.parametrize(("condition", "expected"), [
    ("hidden_states.dtype == torch.float16", {"float16"}),  # T5's clamp
    ("input_dtype == torch.float16 or input_dtype == torch.bfloat16", {"float16", "bfloat16"}),
    ("attn_weights.dtype != torch.float32", {"float32"}),  # GPT-2's upcast check
    ("self.weight.dtype in [torch.float16, torch.bfloat16]", {"float16", "bfloat16"}),
    ("query.dtype is torch.half", {"float16"}),
    ("hidden_states.dtype != self.weight.dtype", {ANY}),
    ("labels.dtype == torch.long or labels.dtype == torch.int", set()),
    ("x.dtype != w.dtype and w.dtype != torch.int8", set()),
    ("compute_device.type in ('cpu', 'mps')", set()),  # names no dtype
    ("dtype is None", set()),
    ("self.config.use_float16_kernels", set()),  # no comparison
])
def test_a_condition_counts_the_floating_dtypes_it_tests(condition, expected):
    assert condition_dtypes(condition) == expected


@pytest.mark.parametrize(("source", "expected"), [
    # ViT: cast the input to the weights' dtype when it differs — the same either way
    ("if x.dtype != w.dtype:\n    x = x.to(w.dtype)\n", set()),
    ("if x.dtype != w.dtype:\n    x = x.type(w.dtype)\n", set()),
    # a cast to a dtype of its own, an else branch, or more than the cast: counted
    ("if x.dtype == torch.float16:\n    x = x.to(torch.float32)\n", {"float16"}),
    ("if x.dtype != w.dtype:\n    x = x.to(w.dtype)\nelse:\n    y = 1\n", {ANY}),
    ("if x.dtype != w.dtype:\n    x = x.to(w.dtype)\n    x = x * 2\n", {ANY}),
    ("if x.dtype != w.dtype:\n    y = x.to(w.dtype)\n", {ANY}),
    ("y = 1 if x.dtype == torch.bfloat16 else 2\nwhile x.dtype is torch.half:\n    pass\n",
     {"bfloat16", "float16"}),
    ("def broken(:\n", {ANY}),
])
def test_a_guard_that_only_casts_to_a_tensors_dtype_does_not_count(source, expected):
    assert source_branches(source) == expected


@pytest.mark.slow
def test_the_modules_of_a_models_layers_are_read(tmp_path):
    import torch
    import transformers

    from tests.analyzers.loaders.hf_configs import TINY_CONFIGS

    def built(model_type: str, architecture: str):
        config = transformers.AutoConfig.for_model(model_type, **{
            k: v for k, v in TINY_CONFIGS[model_type].items() if k != "architectures"})
        with torch.device("meta"):
            return getattr(transformers, architecture)(config)

    assert dtype_branches(built("llama", "LlamaForCausalLM")) == ()
    assert dtype_branches(built("vit", "ViTModel")) == ()  # its input cast guard only
    assert dtype_branches(built("t5", "T5Model")) == ("float16",)  # clamps in float16
    # a module object that is not a torch module: read as its own type's module
    assert dtype_branches(object()) == ()
