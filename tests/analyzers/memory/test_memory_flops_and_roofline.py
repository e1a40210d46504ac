"""FLOPs per node against torch's own FlopCounterMode, module totals, and the roofline."""

from __future__ import annotations

import pytest

from tests.analyzers.memory.memory_fixtures import TRN1_CORE, GraphBuilder
from trnport.analyzers.memory.dtypes import DtypePolicy
from trnport.analyzers.memory.flops import profile_compute
from trnport.analyzers.memory.ops import (
    ATTENTION_PACKETS,
    CONV_PACKETS,
    MATMUL_PACKETS,
    op_packet,
)
from trnport.analyzers.memory.roofline import Workload, forward_workload, roofline
from trnport.analyzers.results.memory import ModuleFlops

_EXACT = MATMUL_PACKETS | CONV_PACKETS | ATTENTION_PACKETS


def _compute(graph, dtype="fp32"):
    return profile_compute(graph, DtypePolicy.for_graph(graph, dtype), {})


def test_matmul_flops_are_two_m_n_k_plus_the_bias_adds():
    b = GraphBuilder()
    b.input("x", (8, 64))
    w = b.param("fc.weight", (64, 32))
    bias = b.param("fc.bias", (32,))
    b.op("aten.addmm.default", [bias, "x", w], "y", (8, 32), module="fc")
    b.input("q", (4, 16, 8))
    b.input("k", (4, 8, 16))
    b.op("aten.bmm.default", ["q", "k"], "s", (4, 16, 16), module="attn")
    costs = _compute(b.output("y", "s")).node_costs
    assert costs["y"].flops == 2 * 8 * 32 * 64 + 8 * 32
    assert costs["s"].flops == 2 * 4 * 16 * 16 * 8
    # addmm reads x, W and bias and writes y, all float32
    assert costs["y"].bytes_moved == 4 * (8 * 64 + 64 * 32 + 32 + 8 * 32)


def test_elementwise_is_one_op_per_element_and_views_are_free():
    b = GraphBuilder()
    b.input("x", (4, 256))
    b.op("aten.view.default", ["x"], "v", (1024,))
    b.op("aten.mul.Tensor", ["v", "v"], "m", (1024,))
    b.op("aten.sum.dim_IntList", ["m"], "s", (1,))
    costs = _compute(b.output("s")).node_costs
    assert (costs["v"].flops, costs["v"].bytes_moved) == (0, 0)
    assert costs["m"].flops == 1024
    assert costs["s"].flops == 1024  # a reduction costs per element read


def _torch_model():
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
            self.depthwise = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
            self.up = torch.nn.ConvTranspose2d(8, 4, 2, stride=2, bias=False)
            self.proj = torch.nn.Linear(32, 48, bias=False)

        def forward(self, x):
            h = self.up(torch.relu(self.depthwise(self.conv(x))))  # [2, 4, 32, 32]
            tokens = h.flatten(2).transpose(1, 2).reshape(2, 128, 32)
            q, k, v = self.proj(tokens).view(2, 128, 3, 2, 8).permute(2, 0, 3, 1, 4)
            return torch.nn.functional.scaled_dot_product_attention(q, k, v)

    torch.manual_seed(0)
    return Net().eval(), (torch.randn(2, 3, 32, 32),)


@pytest.mark.slow
def test_exact_flops_agree_with_torch_flop_counter():
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    from trnport.analyzers.loaders.torch.fx_graph import (
        export_program,
        graph_from_exported_program,
    )

    model, inputs = _torch_model()
    # the math backend runs attention as two bmm's, which the counter sees
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as \
            counter:
        model(*inputs)
    expected = counter.get_total_flops()
    graph = graph_from_exported_program(export_program(model, inputs), "net")
    compute = _compute(graph)
    exact = sum(cost.flops for name, cost in compute.node_costs.items()
                if op_packet(next(n.op for n in graph.nodes if n.name == name)) in _EXACT)
    assert exact == expected
    by_module = counter.get_flop_counts()
    for module in ("conv", "depthwise", "up", "proj"):
        assert compute.modules[module].flops == sum(by_module[f"Net.{module}"].values())


def test_module_totals_roll_up_to_every_prefix():
    b = GraphBuilder()
    b.input("x", (8, 64))
    w1 = b.param("layers.0.fc.weight", (64, 64))
    w2 = b.param("layers.1.fc.weight", (64, 64))
    b.op("aten.mm.default", ["x", w1], "h", (8, 64), module="layers.0.fc")
    b.op("aten.mm.default", ["h", w2], "y", (8, 64), module="layers.1.fc")
    compute = _compute(b.output("y"))
    one = 2 * 8 * 64 * 64
    assert compute.modules["layers"].flops == 2 * one
    assert compute.modules["layers.0"].flops == compute.modules["layers.0.fc"].flops == one
    top = compute.top_modules(2)
    assert top[0] == ModuleFlops(module="layers", flops=2 * one, share=1.0,
                                 bytes_moved=compute.modules["layers"].bytes_moved,
                                 intensity=round(2 * one / compute.modules["layers"].bytes_moved,
                                                 2))


def test_roofline_takes_the_slower_of_compute_and_memory():
    heavy = roofline(Workload(flops=95 * 10**12, bytes=41 * 10**9), TRN1_CORE, "bf16")
    assert heavy.compute_s == pytest.approx(1.0)  # 95 TFLOPS per trn1 core in bf16
    assert heavy.memory_s == pytest.approx(0.1)  # 410 GB/s per trn1 core
    assert heavy.bound == "compute" and heavy.time_s == pytest.approx(1.0)
    light = roofline(Workload(flops=95 * 10**12, bytes=820 * 10**9), TRN1_CORE, "fp32", tp=2)
    assert light.compute_s == pytest.approx(2.0)  # fp32 runs at a quarter of bf16, over 2
    assert light.memory_s == pytest.approx(1.0)
    assert light.bound == "compute"


def test_training_step_triples_forward_work_and_streams_the_optimizer_state():
    forward = forward_workload(10**12, 10**9, 10**8)
    step = forward_workload(10**12, 10**9, 10**8, training_state_bytes=5 * 10**9)
    assert forward == Workload(flops=10**12, bytes=11 * 10**8)
    assert step.flops == 3 * forward.flops
    assert step.bytes == 3 * forward.bytes + 10 * 10**9
    assert forward.intensity == pytest.approx(10**12 / (11 * 10**8))
