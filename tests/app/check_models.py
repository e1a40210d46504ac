"""Models for the ``trnport check`` CI tests, derived from the shipped tiny CNN with onnx:
the same model re-exported under new node names, and the model with one problem added."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import SAMPLES, run_cli

TINY_CNN = SAMPLES / "tiny_cnn.onnx"
CUSTOM_DOMAIN = "com.example.kernels"


def copy_tiny_cnn(folder: Path, name: str = "tiny_cnn.onnx") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(TINY_CNN, folder / name))


def with_renamed_nodes(folder: Path, name: str = "renamed.onnx") -> Path:
    """The tiny CNN with every node renamed, as a fresh export would name them."""
    import onnx

    model = onnx.load(TINY_CNN)
    for index, node in enumerate(model.graph.node):
        node.name = f"reexported_{index}_{node.op_type.lower()}"
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / name)
    return folder / name


def with_custom_op(folder: Path, name: str = "extended.onnx") -> Path:
    """The tiny CNN plus one node of an op from a private domain, on a new output: a
    finding the original does not have."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(TINY_CNN)
    model.opset_import.append(helper.make_opsetid(CUSTOM_DOMAIN, 1))
    model.graph.node.append(helper.make_node(
        "FancyNorm", ["logits"], ["fancy"], name="fancy_norm", domain=CUSTOM_DOMAIN))
    model.graph.output.append(helper.make_tensor_value_info("fancy", TensorProto.FLOAT, None))
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / name)
    return folder / name


def json_report(model: Path, *args: str) -> dict:
    """The JSON report of ``model`` from the real CLI (exit 0 or 1)."""
    result = run_cli("check", str(model), "--no-history", "--format", "json", *args)
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout)


def expected_exit(report: dict, fail_on: str) -> int:
    """What the gate must answer for ``report`` at ``fail_on`` (no baseline)."""
    levels = {"error": ("error",), "warning": ("error", "warning"),
              "info": ("error", "warning", "info"), "none": ()}[fail_on]
    return 1 if any(f["severity"] in levels for f in report["findings"]) else 0
