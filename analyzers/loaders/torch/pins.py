"""``--input-shape`` pins checked against an exported program's inputs.

A ``torch.export`` program fixes each input's rank, its static sizes and its dtype from the
example inputs, so a pin may only choose sizes for the symbolic dims. (The ONNX loader applies
pins to the graph itself; TorchScript and Hugging Face configs refuse pins outright.)
"""

from __future__ import annotations

from collections.abc import Mapping

from trnport.analyzers.errors import InputError
from trnport.analyzers.graph import Graph


def check_pinned_inputs(graph: Graph, pinned: Mapping[str, tuple],
                        dtypes: Mapping[str, str] | None = None) -> None:
    """Refuse ``--input-shape`` pins that name no input, contradict a static size, or ask
    for a dtype other than the one the example inputs gave (an exported program's dtypes
    are fixed by its example inputs; the ONNX loader applies pins itself)."""
    for name, sizes in pinned.items():
        value = graph.values.get(name) if name in graph.inputs else None
        if value is None:
            known = ", ".join(graph.inputs) or "none"
            raise InputError(f"no tensor input named '{name}' (inputs: {known})")
        wanted = (dtypes or {}).get(name)
        if wanted and value.dtype and wanted != value.dtype:
            raise InputError(f"input '{name}' is {value.dtype} in the example inputs, but "
                             f"--input-shape asks for {wanted}; change the example inputs "
                             "(the exported program fixes each input's dtype)")
        if value.shape is None:
            continue
        if len(value.shape) != len(sizes):
            raise InputError(f"input '{name}' has rank {len(value.shape)}, but the pinned "
                             f"shape {list(sizes)} has rank {len(sizes)}")
        for axis, (dim, size) in enumerate(zip(value.shape, sizes, strict=True)):
            if isinstance(dim, int) and dim != size:
                raise InputError(f"input '{name}' has static size {dim} on axis {axis}, but "
                                 f"the pinned shape asks for {size}")
