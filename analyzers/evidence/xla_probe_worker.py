"""The child process of ``--probe xla``: run a model on torch-xla's CPU device and write what
torch-xla did with it as JSON.

Run as ``python -m trnport.analyzers.evidence.xla_probe_worker MODEL OUT.json [--training]``
with ``PJRT_DEVICE=CPU`` (the parent sets it, and ``XLA_SAVE_TENSORS_FILE`` so that torch-xla
writes the HLO of every graph it runs). It records:

- ``dispatched``: every ATen overload that reached the XLA device, counted (a dispatch mode
  below autograd sees what the backend receives: composite ops already decomposed);
- ``fallbacks``: the ops torch-xla ran on the CPU (its ``aten::`` metrics counters);
- ``graphs``: how many graphs torch-xla compiled and executed.

The model runs in its own process: torch-xla changes process-wide state, a model can hang or
crash, and its output must not reach the user's terminal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    model_path, out_path = Path(argv[0]), Path(argv[1])
    training = "--training" in argv[2:]
    result: dict[str, Any] = {"error": None}
    try:
        result.update(_observe(model_path, training))
    except Exception as error:  # the model failing on torch-xla is the probe's answer
        first = (str(error).strip().splitlines() or [""])[0][:300]
        result["error"] = f"{type(error).__name__}: {first}"
    out_path.write_text(json.dumps(result), encoding="utf-8")
    return 0


def _observe(model_path: Path, training: bool) -> dict[str, Any]:
    import torch
    import torch_xla
    import torch_xla.core.xla_model as xm
    import torch_xla.debug.metrics as metrics
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_map

    dispatched: dict[str, int] = {}

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = f"aten.{func._schema.name.split('::', 1)[-1]}.{func._overloadname}"
            if func.namespace == "aten" and _touches_xla(args, kwargs or {}):
                dispatched[name] = dispatched.get(name, 0) + 1
            return func(*args, **(kwargs or {}))

    model, inputs = _model_and_inputs(model_path, torch)
    device = xm.xla_device()
    model = model.to(device)
    model.train(training)
    moved = tree_map(lambda x: x.to(device) if isinstance(x, torch.Tensor) else x, inputs)
    metrics.clear_all()
    with Recorder():
        if training:
            output = model(*moved)
            _loss(output, torch).backward()
        else:
            with torch.no_grad():
                output = model(*moved)
    torch_xla.sync()
    # bring the results home so that every pending graph really runs
    tree_map(lambda x: x.cpu() if isinstance(x, torch.Tensor) else x, output)
    fallbacks = {name: metrics.counter_value(name) or 0 for name in metrics.counter_names()
                 if name.startswith("aten::")}
    return {
        "torch": torch.__version__.split("+")[0],
        "torch_xla": torch_xla.__version__.split("+")[0],
        "dispatched": dispatched,
        "fallbacks": {name: count for name, count in fallbacks.items() if count},
        "graphs": {"compiled": _metric_samples(metrics, "CompileTime"),
                   "executed": _metric_samples(metrics, "ExecuteTime")},
    }


def _touches_xla(args: Any, kwargs: dict) -> bool:
    import torch
    from torch.utils._pytree import tree_flatten

    leaves, _ = tree_flatten((args, kwargs))
    return any(isinstance(x, torch.Tensor) and x.device.type == "xla" for x in leaves)


def _metric_samples(metrics: Any, name: str) -> int:
    data = metrics.metric_data(name)
    return int(data[0]) if data else 0


def _loss(output: Any, torch: Any) -> Any:
    from torch.utils._pytree import tree_flatten

    leaves, _ = tree_flatten(output)
    floats = [x for x in leaves if isinstance(x, torch.Tensor) and x.is_floating_point()]
    if not floats:
        raise ValueError("training probe: the model returns no floating-point tensor to "
                         "differentiate")
    return sum(x.float().sum() for x in floats)


def _model_and_inputs(path: Path, torch: Any) -> tuple[Any, tuple]:
    if path.suffix.lower() == ".pt2":
        program = torch.export.load(str(path))
        return program.module(), _program_inputs(program, torch)
    from trnport.analyzers.loaders.torch import python_file as loader

    resolved = path.resolve()
    with loader._file_folder_importable(resolved):
        namespace = loader._run_file(resolved)
        model = loader._model_from(resolved, namespace)
        inputs = loader._example_inputs_from(resolved, namespace)[0]
    return model, tuple(inputs)


def _program_inputs(program: Any, torch: Any) -> tuple:
    """The program's saved example inputs, else tensors of its input shapes (a symbolic dim
    takes the value export traced it with)."""
    saved = getattr(program, "example_inputs", None)
    if saved:
        args, _kwargs = saved
        return tuple(args)
    user_inputs = set(program.graph_signature.user_inputs)
    made = []
    for node in program.graph.nodes:
        if node.op != "placeholder" or node.name not in user_inputs:
            continue
        value = node.meta["val"]
        shape = [_concrete(dim) for dim in value.shape]
        if value.dtype.is_floating_point:
            made.append(torch.randn(shape, dtype=value.dtype))
        else:
            made.append(torch.zeros(shape, dtype=value.dtype))
    return tuple(made)


def _concrete(dim: Any) -> int:
    try:
        return int(dim)
    except (TypeError, ValueError):
        hint = getattr(getattr(dim, "node", None), "hint", None)
        return int(hint) if hint is not None else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
