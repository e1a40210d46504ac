"""Reports built by hand for renderer tests: a realistic one whose model-supplied names are
hostile HTML/JS, and a clean one that has no findings."""

from __future__ import annotations

import dataclasses
from collections import Counter

from trnport.analyzers.results import (
    Finding,
    KbInfo,
    Location,
    ModelInfo,
    ModuleRow,
    OperatorRow,
    Provenance,
    Report,
    RewriteSuggestion,
    Summary,
    TargetInfo,
    ToolInfo,
)
from trnport.analyzers.results.memory import (
    ActivationSizes,
    ComputeEstimate,
    CoreSpec,
    FitAxes,
    FitCell,
    FitGrid,
    InstructionCount,
    KvCacheSize,
    LayoutChoice,
    MemorySection,
    ModuleFlops,
    ParameterSizes,
    PerCoreUsage,
    RooflineRow,
    ShardingRow,
    TargetFitRow,
)

# Each payload would change document.title if it ever ran as script.
SCRIPT_NODE = "<script>document.title='pwned-script'</script>"
IMG_OP = "<img src=x onerror=\"document.title='pwned-img'\">"
QUOTED_PATH = "/work/it's \"quoted\"/model <v2>.py"
SVG_MODULE = "layers.0.<svg onload=\"document.title='pwned-svg'\">"

GIB = 2**30

USABLE = 23 * GIB  # per logical core after the runtime's reservations


def _cell(tp: int, pp: int, batch: int, seq_len: int) -> FitCell:
    total = int(15 * GIB / (tp * pp) + batch * seq_len / 2048 * 0.9 * GIB)
    used = total / USABLE
    status = "does_not_fit" if used > 1 else ("tight" if used > 0.85 else "fits")
    return FitCell(tp=tp, pp=pp, batch=batch, seq_len=seq_len, total_bytes=total,
                   utilization=round(used, 4), status=status)


# What the memory analysis finds for a Llama-8B-like model, with hostile names.
SAMPLE_MEMORY = MemorySection(
    mode="inference", dtype="bf16", compute_dtype="bf16",
    core=CoreSpec(family="trn2", instance="trn2.48xlarge", lnc=2,
                  hbm_bytes_per_core=24 * GIB, reserved_bytes=GIB,
                  usable_bytes_per_core=USABLE, max_cores=64, bandwidth_bytes_per_s=7.25e11,
                  tflops_per_core={"bf16": 166.75, "fp32": 45.25}),
    parameters=ParameterSizes(parameters=8_030_261_248, buffers=64,
                              parameter_bytes=16_060_522_496, buffer_bytes=512,
                              total_bytes=16_060_523_008, stored_bytes=16_060_523_008,
                              bytes_by_dtype={"bfloat16": 16_060_523_008},
                              largest="model.embed_tokens.weight"),
    activations=ActivationSizes(peak_bytes=542_130_176, peak_node=SCRIPT_NODE,
                                saved_bytes=None, fused_attention=True,
                                eager_attention_peak_bytes=1_610_612_736, export_batch=1,
                                export_seq_len=128, unsized_values=0),
    kv_cache=KvCacheSize(layers=32, kv_heads=8, head_dim=128, batch=1, seq_len=2048,
                         bytes=268_435_456),
    training_state=None,
    layout=LayoutChoice(tp=1, pp=1, batch=1, seq_len=2048, dp=1),
    per_core=PerCoreUsage(tp=1, pp=1, batch=1, seq_len=2048,
                          components={"weights": 16_060_522_496, "buffers": 512,
                                      "activations": 542_130_176, "kv_cache": 268_435_456,
                                      "runtime_overhead": 1_200_000_000},
                          total_bytes=18_071_088_640, usable_bytes=USABLE,
                          utilization=0.7317, status="fits"),
    fit_grid=FitGrid(
        tight_threshold=0.85,
        axes=FitAxes(tp=(1, 2, 4, 8), pp=(1, 2), batch=(1, 4, 16), seq_len=(1024, 2048)),
        cells=tuple(_cell(tp, pp, batch, seq) for tp in (1, 2, 4, 8) for pp in (1, 2)
                    for batch in (1, 4, 16) for seq in (1024, 2048)),
    ),
    smallest_tp=1,
    largest_batch_per_tp={1: 4, 2: 16, 4: 64, 8: 128},
    batch_search_limit=4096,
    targets=(
        TargetFitRow(family="trn2", instance="trn2.48xlarge", usable_bytes_per_core=USABLE,
                     max_cores=64, status="fits", utilization=0.7317, smallest_tp=1),
        TargetFitRow(family="trn1", instance="trn1.32xlarge", usable_bytes_per_core=15 * GIB,
                     max_cores=32, status="does_not_fit", utilization=1.12, smallest_tp=2),
    ),
    compute=ComputeEstimate(
        flops=32_974_898_079_744, flops_per_token=16_101_024_453,
        bytes_moved_unfused=46_668_000_000, step_flops=32_974_898_079_744,
        step_bytes=46_668_000_000, arithmetic_intensity=706.59,
        by_module=(
            ModuleFlops(module="model.layers", flops=30_823_067_942_912, share=0.9347,
                        bytes_moved=40_000_000_000, intensity=770.58),
            ModuleFlops(module="lm_head", flops=2_151_778_615_296, share=0.0653,
                        bytes_moved=1_050_000_000, intensity=2049.31),
            ModuleFlops(module="model.layers.0", flops=963_220_873_216, share=0.0292,
                        bytes_moved=1_250_000_000, intensity=770.58),
            ModuleFlops(module=SVG_MODULE, flops=400_000_000_000, share=0.012,
                        bytes_moved=500_000_000, intensity=800.0),
            ModuleFlops(module="model.embed_tokens", flops=1_000_000, share=0.0,
                        bytes_moved=1_050_000_000, intensity=0.0),
        ),
        roofline=(RooflineRow(family="trn2", dtype="bf16", tp=1, compute_s=0.1977,
                              memory_s=0.0644, time_s=0.1977, bound="compute"),),
        flops_by_status=None,
    ),
    instructions=InstructionCount(total=2_522_154, per_core=2_522_154, limit=5_000_000,
                                  risk_threshold=2_500_000, at_risk=True,
                                  heaviest_node="mm_14", confidence="low"),
    sharding=(ShardingRow(dimension="MLP kernel intermediate", size=14336, tp=1,
                          message="MLP intermediate size 14336 exceeds the NKI kernel's 4096",
                          severity="info", node=None),),
    assumptions=("weights are split evenly by TP and PP",
                 f"activations rescaled from the exported shapes {SCRIPT_NODE}"),
)

SAMPLE_REWRITES = (
    RewriteSuggestion(
        id="RW101", title="sort -> topk at the graph edge",
        source="aws-neuron-sdk torch-neuronx analyze: aten::sort unsupported",
        automated=False, findings_cleared=1, codes="TRN101", nodes=(SCRIPT_NODE, "sort_1"),
        nodes_on_device=0, flops_on_device=0, host_round_trips_removed=0,
        before="values, idx = torch.sort(scores, descending=True)\n# </script><b>x</b>",
        after="values, idx = torch.topk(scores, k=scores.shape[-1])", rank=1,
    ),
)


def _finding(code, symbol, severity, category, message, ops, nodes, location, **extra):
    return Finding(
        code=code, symbol=symbol, severity=severity, category=category, message=message,
        fix=extra.pop("fix", "Replace the operator with supported primitives."),
        ops=tuple(ops), nodes=tuple(nodes), location=location,
        provenance=Provenance(kind="rule", source=extra.pop("source", "FACTS.md op table")),
        **extra,
    )


def hostile_report() -> Report:
    """A blocked report whose node, op, module and path names are HTML/JS payloads."""
    findings = (
        _finding("TRN101", "unsupported-op", "error", "unsupported_op",
                 f"{IMG_OP}: no Neuron lowering", [IMG_OP, "aten.sort.default"],
                 [SCRIPT_NODE, "sort_1"],
                 Location(file=QUOTED_PATH, line=42, module=SVG_MODULE), rewrite="RW101"),
        _finding("TRN101", "unsupported-op", "error", "unsupported_op",
                 "aten.fft_rfft.default: no Neuron lowering", ["aten.fft_rfft.default"],
                 [f"fft_{i}" for i in range(9)],
                 Location(file="/src/spectral.py", line=7, module="encoder.spectrum")),
        _finding("TRN202", "int64-downcast", "warning", "dtype",
                 "aten.arange.start: int64 values are narrowed to int32",
                 ["aten.arange.start"], ["arange"],
                 Location(file="/src/model.py", line=19, module="embed"),
                 fix="Use int32 for indices.", confidence="medium"),
        _finding("TRN102", "host-fallback", "warning", "cpu_fallback",
                 "Loop: runs on the host CPU", ["Loop"], ["loop_0"], Location()),
    )
    operators = (
        OperatorRow(op="aten.convolution.default", count=12, status="supported", reason=""),
        OperatorRow(op="aten.relu.default", count=12, status="supported", reason=""),
        OperatorRow(op=IMG_OP, count=1, status="unsupported",
                    reason=f"no lowering for {SCRIPT_NODE}", source_ops=("Custom",)),
        OperatorRow(op="aten.sort.default", count=1, status="unsupported", reason="no lowering"),
        OperatorRow(op="aten.fft_rfft.default", count=9, status="unsupported",
                    reason="no lowering"),
        OperatorRow(op="aten.arange.start", count=1, status="conditional",
                    reason="int64 downcast", confidence="medium"),
        OperatorRow(op="Loop", count=1, status="cpu_fallback", reason="control flow on host"),
        OperatorRow(op="com.vendor.Mystery", count=2, status="unknown", reason="not in the KB"),
    )
    by_status = {"supported": 24, "conditional": 1, "cpu_fallback": 1, "unsupported": 11,
                 "unknown": 2}
    return Report(
        tool=ToolInfo(name="trnport", version="0.1.0"),
        kb=KbInfo(profile="2.32", neuronx_cc="2.27", torch_neuronx="2.9",
                  generated="2026-01-15"),
        target=TargetInfo(family="trn2", instance="trn2.48xlarge", mode="inference",
                          dtype="bf16", batch=1, seq_len=2048, tp=1),
        model=ModelInfo(path=QUOTED_PATH, format="python", sha256="ab" * 32, nodes=39,
                        params=6_738_415_616, param_bytes=13_476_831_232),
        summary=Summary(verdict="blocked", coverage_pct=round(24 / 39 * 100, 2),
                        nodes_by_status=by_status,
                        findings_by_severity={"error": 2, "warning": 2, "info": 0}),
        findings=findings,
        operators=operators,
        memory=SAMPLE_MEMORY,
        rewrites=SAMPLE_REWRITES,
        diagnostics=(f"node {SCRIPT_NODE} has no shape",),
        modules=(
            ModuleRow(module="", nodes_by_status=by_status),
            ModuleRow(module="encoder", nodes_by_status={"supported": 12, "unsupported": 9}),
            ModuleRow(module="encoder.spectrum",
                      nodes_by_status={"supported": 0, "unsupported": 9}),
            ModuleRow(module=SVG_MODULE, nodes_by_status={"supported": 3, "unsupported": 2,
                                                          "unknown": 2, "cpu_fallback": 1}),
            ModuleRow(module="stem", nodes_by_status={"supported": 9}),
        ),
    )


def clean_report() -> Report:
    """A ready report: every node supported, nothing found, no memory section."""
    report = hostile_report()
    return dataclasses.replace(
        report,
        model=dataclasses.replace(report.model, path="/models/tiny.onnx", format="onnx",
                                  nodes=24),
        summary=Summary(verdict="ready", coverage_pct=100.0,
                        nodes_by_status={"supported": 24, "conditional": 0, "cpu_fallback": 0,
                                         "unsupported": 0, "unknown": 0},
                        findings_by_severity={"error": 0, "warning": 0, "info": 0}),
        findings=(), operators=report.operators[:2], memory=None, rewrites=(), diagnostics=(),
        modules=(),
    )


HOSTILE_DIFF = (
    "--- a/model.py\n"
    "+++ b/model.py (suggestion, not verified)\n"
    "@@ -40,3 +40,3 @@\n"
    "     x = self.proj(x)\n"
    f"-    y = torch.sort(x)  # {SCRIPT_NODE}\n"
    "+    y = torch.topk(x, k=x.shape[-1])\n"
)
RANKED_REWRITES = (
    RewriteSuggestion(
        id="RW-int64-to-int32", title="Use int32 for indices", source="FACTS.md dtypes",
        automated=False, findings_cleared=3, codes="TRN202", nodes=("arange",),
        nodes_on_device=0, flops_on_device=0, host_round_trips_removed=0, rank=2),
    RewriteSuggestion(
        id="RW101", title="sort -> topk at the graph edge",
        source="aws-neuron-sdk torch-neuronx analyze: aten::sort unsupported",
        automated=True, findings_cleared=1, codes="TRN101, TRN102",
        nodes=(SCRIPT_NODE, "sort_1"), nodes_on_device=2, flops_on_device=3_500_000_000,
        host_round_trips_removed=1,
        apply=f"trnport rewrite '{QUOTED_PATH}' --apply RW101",
        before="values, idx = torch.sort(scores, descending=True)\n# </script><b>x</b>",
        after="values, idx = torch.topk(scores, k=scores.shape[-1])",
        diff=HOSTILE_DIFF, diff_label="suggestion (not verified)", rank=1),
)


def full_report() -> Report:
    """The hostile report with what later analyses add: hazard findings of every family
    (TRN30x, TRN310 with bucket edges, TRN5xx, TRN6xx, TRN7xx), compiler evidence
    (compiler-probe, imported), ranked rewrites with a diff and an apply command, FLOPs
    coverage and FLOPs by status."""
    report = hostile_report()
    hazards = (
        _finding("TRN310", "recompilation-per-input-shape", "warning", "recompilation",
                 "5 distinct input shapes compile 5 graphs; bucketed to at most 4: input 0, "
                 "dim 1: 5 values 16..512 → edges 64, 128, 256, 512 (+12.5% padding)",
                 [], [], Location(file="/src/model.py", line=75),
                 fix="Pad inputs to the proposed bucket edges and compile one graph per "
                     "bucket"),
        _finding("TRN302", "dynamic-input-dims", "warning", "dynamic_shape",
                 f"input {SCRIPT_NODE} has symbolic dims batch (axis 0)", [], ["input_ids"],
                 Location(file="/src/model.py", line=12, module="embed"),
                 fix="Pin the size with --input-shape"),
        _finding("TRN501", "bf16-mask-constant", "warning", "numerical",
                 "aten.scalar_tensor.default: fill value -inf", ["aten.scalar_tensor.default"],
                 ["scalar_tensor"], Location(file="/src/model.py", line=35, module="attn"),
                 fix="Fill masks with -1e4", confidence="medium"),
        _finding("TRN601", "optimizer-on-host", "warning", "performance",
                 "optimizer state stays on the host", [], [], Location(),
                 fix="Move the optimizer after model.to(device)"),
        _finding("TRN701", "cuda-device-call", "error", "porting",
                 "train.py calls .cuda() on the model", [], [],
                 Location(file="/src/train.py", line=88), fix="Use torch_xla's xla device"),
    )
    evidence = (
        dataclasses.replace(report.findings[0], message="aten.sort.default: failureAt neuronx-cc",
                            provenance=Provenance(kind="compiler-probe",
                                                  source="torch_neuronx.analyze 2.9")),
        dataclasses.replace(report.findings[1], message="NCC_EVRF013: unsupported HLO sort",
                            provenance=Provenance(kind="imported",
                                                  source="neuronx-cc log build/compile.log")),
    )
    findings = (*report.findings, *hazards, *evidence)
    memory = with_flops_by_status(report.memory, {"supported": 30_000_000_000_000,
                                                  "unsupported": 2_974_898_079_744})
    severities = Counter(f.severity for f in findings)
    return dataclasses.replace(
        report, findings=findings, rewrites=RANKED_REWRITES, memory=memory,
        summary=dataclasses.replace(
            report.summary, flops_coverage_pct=90.98,
            findings_by_severity={s: severities.get(s, 0) for s in ("error", "warning",
                                                                     "info")}))


def with_flops_by_status(memory: MemorySection, by_status: dict[str, int]) -> MemorySection:
    """``memory`` with FLOPs per coverage status."""
    return dataclasses.replace(
        memory, compute=dataclasses.replace(memory.compute, flops_by_status=by_status))


def with_per_core(memory: MemorySection, **changes) -> MemorySection:
    """``memory`` with the chosen layout's usage changed."""
    return dataclasses.replace(memory, per_core=dataclasses.replace(memory.per_core, **changes))
