"""Shared wording and locations for the TRN4xx memory findings (the rules stay small)."""

from __future__ import annotations

from trnport.analyzers.graph.ir import Graph, Node
from trnport.analyzers.memory.fit import CoreUsage
from trnport.analyzers.memory.locate import first_located, first_user_of_param, node_named
from trnport.analyzers.memory.result import MemoryResult
from trnport.analyzers.results.findings import Location
from trnport.analyzers.results.units import human_bytes, neuron_cores


def gib_bytes(number: float) -> str:
    """Bytes as memory findings write them: GiB at most (a finding never says TiB)."""
    return human_bytes(number, largest="GiB")


def describe_layout(usage: CoreUsage) -> str:
    layout = usage.layout
    seq = f", seq_len {layout.seq_len}" if layout.seq_len else ""
    return f"tp {layout.tp}, pp {layout.pp}, batch {layout.batch}{seq}"


def describe_usage(usage: CoreUsage, family: str) -> str:
    """The per-core total against the usable HBM, then each component, largest first."""
    parts = sorted(((size, name) for name, size in usage.components.items() if size),
                   reverse=True)
    listed = ", ".join(f"{name.replace('_', ' ')} {gib_bytes(size)}" for size, name in parts)
    return (f"one NeuronCore needs {gib_bytes(usage.total_bytes)} of the "
            f"{gib_bytes(usage.usable_bytes)} usable per {family} core "
            f"({usage.utilization:.0%}): {listed}")


def culprit_node(graph: Graph, memory: MemoryResult, usage: CoreUsage) -> Node | None:
    """The node to point at: the activation peak when activations dominate, else the first
    reader of the largest weight."""
    components = usage.components
    biggest = max(components, key=components.get) if components else None
    if biggest == "activations":
        node = node_named(graph, memory.activations.peak_node_at(memory.model.scale(
            usage.layout)))
    else:
        node = first_user_of_param(graph, memory.params.largest)
    return first_located(graph, node)


def location_of(node: Node | None) -> Location:
    if node is None:
        return Location()
    return Location(file=node.location.file, line=node.location.line,
                    module=node.location.module, library=node.location.library)


def cores_text(budget) -> str:
    """The budget's instance and its NeuronCores as AWS counts them."""
    return neuron_cores(budget.instance or budget.family, budget.max_cores, budget.lnc,
                        budget.physical_cores)


def layout_choice_note(memory: MemoryResult) -> str | None:
    """What the reader must know about a layout the analysis chose itself (None when the
    user gave --tp)."""
    layout = memory.chosen.layout
    if memory.layout_source != "auto" or (memory.fitting_layout is not None and
                                          layout.tp * layout.pp == 1):
        return None
    if memory.fitting_layout is None:
        return (f"no layout fits {cores_text(memory.budget)}; analysed at TP {layout.tp}, "
                f"PP {layout.pp}")
    stages = f", PP {layout.pp}" if layout.pp > 1 else ""
    return (f"TP {layout.tp}{stages} chosen: smallest that fits {cores_text(memory.budget)} "
            f"(--tp sets it)")
