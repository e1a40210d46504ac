"""PyTorch rewrites on the exported program: op sequence after, numerical equality on CPU,
and the exact refusal reason for a near miss."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from trnport.analyzers.errors import InputError, TrustRequiredError  # noqa: E402
from trnport.analyzers.rewriting import torch as flow  # noqa: E402


class TopK(torch.nn.Module):
    def forward(self, x):
        values, indices = x.topk(2)
        return values, indices


class IntMatMul(torch.nn.Module):
    def forward(self, a, b):
        return a @ b


class FloatTopK(torch.nn.Module):
    def forward(self, x):
        values, indices = x.topk(2)
        return values, indices


class OneHot(torch.nn.Module):
    def forward(self, idx):
        return F.one_hot(idx, 5)


class MaskedSoftmax(torch.nn.Module):
    def __init__(self, fill):
        super().__init__()
        self.fill = fill

    def forward(self, scores, mask):
        return scores.masked_fill(~mask, self.fill).softmax(-1)


class MaskedNoSoftmax(torch.nn.Module):
    def forward(self, scores, mask):
        return scores.masked_fill(~mask, torch.finfo(torch.float32).min).exp()


class MaskedSum(torch.nn.Module):
    def forward(self, x, mask):
        return x[mask].sum()


class MaskedMean(torch.nn.Module):
    def forward(self, x, mask):
        return x[mask].mean()


def _model(module, *args):
    program = torch.export.export(module, args, strict=False)
    return flow.TorchModel(program, args, Path("model.py"))


def _ops(program):
    return [str(n.target).replace("aten.", "").split(".")[0] for n in program.graph.nodes
            if n.op == "call_function" and "getitem" not in str(n.target)]


def _rewrite(model, rewrite_id):
    outcome = flow.rewrite_program(model, [rewrite_id])
    (step,) = outcome.steps
    return outcome, step


def test_integer_topk_runs_in_float_and_keeps_outputs():
    outcome, step = _rewrite(_model(TopK(), torch.randint(0, 100, (3, 6))),
                             "RW-topk-int-to-float")
    assert step.status == "verified"
    assert step.verification.max_abs == 0.0
    assert _ops(outcome.model) == ["_to_copy", "topk", "_to_copy"]


def test_float_topk_is_refused_with_its_reason():
    _, step = _rewrite(_model(FloatTopK(), torch.randn(3, 6)), "RW-topk-int-to-float")
    assert step.status == "no-match"
    assert step.refusals[0].reason == "input 'x' of aten.topk is float32, not an integer tensor"


def test_integer_matmul_runs_in_float():
    args = (torch.randint(0, 8, (3, 4)), torch.randint(0, 8, (4, 2)))
    outcome, step = _rewrite(_model(IntMatMul(), *args), "RW-int-matmul-to-float")
    assert step.status == "verified"
    assert _ops(outcome.model) == ["_to_copy", "_to_copy", "matmul", "_to_copy"]
    assert torch.equal(outcome.model.module()(*args), args[0] @ args[1])


def test_mixed_integer_matmul_is_refused():
    args = (torch.randint(0, 8, (3, 4)), torch.randint(0, 8, (4, 2), dtype=torch.int32))
    _, step = _rewrite(_model(IntMatMul(), *args), "RW-int-matmul-to-float")
    assert step.status == "no-match"
    assert step.refusals[0].reason == "the inputs of aten.matmul have different integer types"


def test_one_hot_becomes_compare_with_arange():
    outcome, step = _rewrite(_model(OneHot(), torch.tensor([0, 4, 2])),
                             "RW-one-hot-compare-arange")
    assert step.status == "verified"
    assert _ops(outcome.model) == ["unsqueeze", "arange", "eq", "_to_copy"]


def test_finfo_min_mask_becomes_finite_before_softmax():
    model = _model(MaskedSoftmax(torch.finfo(torch.float32).min), torch.randn(4, 6),
                   torch.rand(4, 6) < 0.5)
    outcome, step = _rewrite(model, "RW-finite-mask-fill")
    assert step.status == "verified"
    fills = [n.args[2] for n in outcome.model.graph.nodes
             if n.target is torch.ops.aten.masked_fill.Scalar]
    assert fills == [-1.0e4]


def test_minus_inf_mask_with_fully_masked_rows_is_refused_by_verification():
    """A fully masked row is NaN with -inf and uniform with -1e4: outputs differ."""
    model = _model(MaskedSoftmax(float("-inf")), torch.randn(8, 2), torch.rand(8, 2) < 0.5)
    _, step = _rewrite(model, "RW-finite-mask-fill")
    assert step.status == "refused"
    assert "has NaN where the original has none" in step.verification.reason


def test_mask_fill_without_softmax_is_refused_with_its_reason():
    model = _model(MaskedNoSoftmax(), torch.randn(3, 4), torch.rand(3, 4) < 0.5)
    _, step = _rewrite(model, "RW-finite-mask-fill")
    assert step.status == "no-match"
    assert step.refusals[0].reason == ("the masked values feed aten.exp 'exp' before any "
                                       "softmax, so the fill value would change its result")


def test_boolean_index_then_sum_becomes_where():
    model = _model(MaskedSum(), torch.randn(3, 4), torch.rand(3, 4) < 0.5)
    outcome, step = _rewrite(model, "RW-mask-with-where")
    assert step.status == "verified"
    assert _ops(outcome.model) == ["where", "sum"]
    assert step.verification.max_abs < 1e-5


def test_boolean_index_then_mean_is_refused_with_its_reason():
    model = _model(MaskedMean(), torch.randn(3, 4), torch.rand(3, 4) < 0.5)
    _, step = _rewrite(model, "RW-mask-with-where")
    assert step.status == "no-match"
    assert step.refusals[0].reason == ("the selected values feed aten.mean 'mean', not a full "
                                       "sum; filling with zeros would change its result")


def test_rewritten_program_saves_and_reanalyses(tmp_path):
    model = _model(TopK(), torch.randint(0, 100, (3, 6)))
    outcome = flow.reanalyse(model, flow.rewrite_program(model, ["RW-topk-int-to-float"]))
    # the unbounded int64 input stays narrowed: TRN202 is reported again, read by the new cast
    assert [f.code for f in outcome.cleared if f.code != "TRN202"] == ["TRN103"]
    assert [f.code for f in outcome.introduced] in ([], ["TRN202"])
    flow.save_program(outcome.model, tmp_path / "out.pt2")
    loaded = torch.export.load(str(tmp_path / "out.pt2"))
    assert _ops(loaded) == ["_to_copy", "topk", "_to_copy"]


def test_pt2_needs_trust_code(tmp_path):
    path = tmp_path / "m.pt2"
    path.write_bytes(b"x")
    with pytest.raises(TrustRequiredError, match=r"torch\.export\.load"):
        flow.load_program(path, trust_code=False)


def test_unknown_torch_rewrite_is_an_input_error():
    with pytest.raises(InputError, match=r"no automated PyTorch rewrite 'RW-nope'"):
        flow.check_rewrite_ids(["RW-nope"])


def test_ordinary_fill_value_is_refused_with_its_reason():
    model = _model(MaskedSoftmax(-100.0), torch.randn(3, 4), torch.rand(3, 4) < 0.5)
    _, step = _rewrite(model, "RW-finite-mask-fill")
    assert step.status == "no-match"
    assert step.refusals[0].reason == "the fill value -100.0 is not -inf or the float minimum"


def test_half_precision_minimum_counts_as_a_fill():
    model = _model(MaskedSoftmax(torch.finfo(torch.float16).min),
                   torch.randn(3, 4, dtype=torch.float16), torch.rand(3, 4) < 0.5)
    _, step = _rewrite(model, "RW-finite-mask-fill")
    assert step.status == "verified", step
