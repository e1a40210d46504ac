"""Run every OpInfo's first float32 CPU sample on torch-xla (PJRT CPU device) and record the
``aten::`` CPU-fallback counters each produces: what torch-xla really does with the op.

Needs an environment of its own with ``torch==2.9.0 torch-xla==2.9.0 expecttest`` (not the
project's .venv, whose torch is newer). Results are appended to OUT (JSON lines, one per
OpInfo), so an interrupted run continues where it stopped; a lowering error poisons the XLA
runtime, so the script exits (status 3) after one and is simply started again::

    until PJRT_DEVICE=CPU python run_opinfo_on_xla.py opinfo_xla.jsonl; do :; done
"""

from __future__ import annotations

import json
import os
import signal
import sys

os.environ.setdefault("PJRT_DEVICE", "CPU")

import torch
import torch_xla
import torch_xla.debug.metrics as met
from torch.testing._internal.common_methods_invocations import op_db
from torch.utils._pytree import tree_map

SECONDS_PER_OP = 20
POISONED = "Check failed: tensor_data"


class _Timeout(Exception):
    pass


def _alarm(*_args) -> None:
    raise _Timeout


def _counters() -> list[str]:
    return sorted(name for name in met.counter_names() if name.startswith("aten::"))


def _run(info, device) -> dict:
    def to_device(value):
        return value.to(device) if isinstance(value, torch.Tensor) else value

    sample = next(iter(info.sample_inputs("cpu", torch.float32, requires_grad=False)))
    first, args, kwargs = (tree_map(to_device, part)
                           for part in (sample.input, sample.args, sample.kwargs))
    torch_xla.sync()
    met.clear_counters()
    result = info.op(first, *args, **kwargs)
    torch_xla.sync()
    tree_map(lambda v: v.cpu() if isinstance(v, torch.Tensor) else v, result)
    return {"fallbacks": _counters()}


def main(out_path: str) -> int:
    done = set()
    if os.path.exists(out_path):
        with open(out_path, encoding="utf-8") as handle:
            done = {json.loads(line)["key"] for line in handle if line.strip()}
    device = torch_xla.device()
    signal.signal(signal.SIGALRM, _alarm)
    for info in op_db:
        key = info.name + (f".{info.variant_test_name}" if info.variant_test_name else "")
        if key in done or torch.float32 not in info.supported_dtypes("cpu"):
            continue
        signal.alarm(SECONDS_PER_OP)
        try:
            record = _run(info, device)
        except _Timeout:
            record = {"error": "timeout"}
        except Exception as exc:  # any failure of the op on XLA is a result to record
            record = {"error": f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"}
        finally:
            signal.alarm(0)
        error = record.get("error", "")
        if POISONED in error:
            return 3  # an earlier error broke the runtime: retry this op in a fresh process
        record["key"] = key
        with open(out_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        if "Error while lowering" in error:
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
