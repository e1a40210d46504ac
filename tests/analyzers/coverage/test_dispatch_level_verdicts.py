"""Verdicts at the op level the Neuron backend receives: an op outside torch-xla 2.9's
lowering list runs on the host CPU (TRN102, with the bytes it copies), plain models stay on
the device, and TorchNeuron (trn2 on 2.34) agrees with the stack layer."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from trnport.analyzers.coverage import assess_coverage
from trnport.analyzers.kb import load_kb
from trnport.analyzers.loaders.torch.fx_graph import export_program, graph_from_exported_program
from trnport.analyzers.options import AnalysisOptions


class _Call(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def _graph(module: nn.Module, *inputs):
    kb = load_kb()
    program = export_program(module.eval(), inputs)
    return graph_from_exported_program(program, "m", backend_kernels=kb.backend_kernels)


def _assess(graph, target: str, sdk: str):
    kb = load_kb()
    options = AnalysisOptions(target=target, sdk=sdk)
    return assess_coverage(graph, kb, kb.profile(sdk), kb.target(target), options)


X = torch.randn(2, 8)
# each uses one op that torch-xla 2.9 neither lowers nor serves with a composite kernel
OUTSIDE_THE_LOWERING_LIST = {
    "sinc": (torch.sinc, (X,), "aten.sinc.default"),
    "heaviside": (torch.heaviside, (X, X), "aten.heaviside.default"),
    "fmax": (torch.fmax, (X, X), "aten.fmax.default"),
    "copysign": (torch.copysign, (X, X), "aten.copysign.Tensor"),
    "signbit": (torch.signbit, (X,), "aten.signbit.default"),
    "nextafter": (torch.nextafter, (X, X), "aten.nextafter.default"),
    "special_entr": (torch.special.entr, (X,), "aten.special_entr.default"),
    "logaddexp": (torch.logaddexp, (X, X), "aten.logaddexp.default"),
    "upsample_nearest1d": (lambda x: F.interpolate(x, scale_factor=2), (torch.randn(1, 2, 8),),
                           "aten.upsample_nearest1d.default"),
}


@pytest.mark.parametrize("name", sorted(OUTSIDE_THE_LOWERING_LIST))
def test_an_op_outside_the_lowering_list_runs_on_the_host_cpu(name):
    fn, inputs, op = OUTSIDE_THE_LOWERING_LIST[name]
    graph = _graph(_Call(fn), *inputs)
    assert op in {node.op for node in graph.nodes}, "the op reaches the backend as itself"
    result = _assess(graph, "inf2", "2.32")
    verdict = next(v for v in result.verdicts if v.op == op)
    assert (verdict.status, verdict.code) == ("cpu_fallback", "TRN102")
    assert "host CPU" in verdict.reason and "to the host and" in verdict.reason
    assert "graph is cut" in verdict.reason
    on_torchneuron = next(v for v in _assess(graph, "trn2", "2.34").verdicts if v.op == op)
    assert (on_torchneuron.status, on_torchneuron.code) == ("cpu_fallback", "TRN102")


def test_a_composite_op_is_judged_by_what_the_dispatcher_makes_of_it():
    graph = _graph(_Call(lambda x: F.interpolate(x, scale_factor=2)), torch.randn(1, 2, 8))
    upsample = next(n for n in graph.nodes if n.op == "aten.upsample_nearest1d.default")
    assert upsample.source_op == "aten.upsample_nearest1d.vec"


def test_an_op_torch_xla_registers_ahead_of_functionalization_stays_whole():
    graph = _graph(_Call(lambda a, b: torch.einsum("ij,kj->ik", a, b)), X, X)
    assert [n.op for n in graph.nodes] == ["aten.einsum.default"]
    assert _assess(graph, "inf2", "2.32").verdicts[0].status == "supported"


class _Cnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.GELU(), nn.AdaptiveAvgPool2d(2))
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.features(x).flatten(1)).softmax(-1)


class _Mlp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.SiLU(), nn.Dropout(0.1),
                                 nn.Linear(32, 16), nn.LayerNorm(16))

    def forward(self, x):
        return self.net(x)


class _Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.qkv = nn.Linear(16, 48)

    def forward(self, x):
        q, k, v = self.qkv(x).view(1, 8, 3, 2, 8).unbind(2)
        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                             v.transpose(1, 2), is_causal=True)
        return out.transpose(1, 2).reshape(1, 8, 16)


PLAIN_MODELS = {
    "cnn": (_Cnn, (torch.randn(1, 3, 8, 8),)),
    "mlp": (_Mlp, (torch.randn(4, 16),)),
    "attention": (_Attention, (torch.randn(1, 8, 16),)),
    "transformer_encoder_layer": (
        lambda: nn.TransformerEncoderLayer(16, 2, 32, batch_first=True),
        (torch.randn(1, 8, 16),)),
}


@pytest.mark.parametrize("name", sorted(PLAIN_MODELS))
def test_plain_models_stay_on_the_device(name):
    build, inputs = PLAIN_MODELS[name]
    graph = _graph(build(), *inputs)
    for target, sdk in (("inf2", "2.32"), ("trn1", "2.32"), ("trn2", "2.34")):
        result = _assess(graph, target, sdk)
        off_device = [(v.op, v.status) for v in result.verdicts
                      if v.status not in ("supported", "conditional")]
        assert not off_device, (target, off_device)
