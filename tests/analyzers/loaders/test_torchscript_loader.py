"""The TorchScript loader: real torch.jit archives; torch.save pickles scanned, never unpickled."""

from __future__ import annotations

import os
import pickle
import random
from collections import Counter
from pathlib import Path

import pytest
import torch

from tests.analyzers.loaders import torch_fixtures as fx
from trnport.analyzers.errors import InputError, UnsafeInputError
from trnport.analyzers.loaders import load_model
from trnport.analyzers.options import AnalysisOptions

FIXTURE_FILE = str(Path(fx.__file__).resolve())
OPTIONS = AnalysisOptions()
STATE_DICT_MESSAGE = (
    "holds only weights (a state_dict), no graph; save the model with torch.export.save "
    "or torch.jit.save"
)


@pytest.fixture(scope="module")
def traced_cnn(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ts") / "cnn.pt"
    torch.jit.trace(fx.SmallCNN().eval(), fx.cnn_inputs()).save(str(path))
    return path


@pytest.fixture(scope="module")
def scripted_cnn(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ts") / "cnn_scripted.ts"
    torch.jit.script(fx.SmallCNN().eval()).save(str(path))
    return path


class _Payload:
    """Unpickling this runs ``touch <marker>``: the test sees if anything executed it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _refused(path: Path, error_type: type[InputError], *fragments: str) -> str:
    with pytest.raises(error_type) as caught:
        load_model(path, OPTIONS)
    message = str(caught.value)
    assert type(caught.value) is error_type, type(caught.value)
    assert "\n" not in message and str(path) in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def test_traced_ops_equal_the_inlined_torchscript_graph(traced_cnn):
    loaded = load_model(traced_cnn, OPTIONS)
    assert loaded.format == "torchscript"
    assert Counter(n.op for n in loaded.graph.nodes) == fx.torchscript_counter(traced_cnn)


def test_traced_conv_points_at_the_fixture_line_and_module(traced_cnn):
    graph = load_model(traced_cnn, OPTIONS).graph
    conv = next(n for n in graph.nodes if n.op == "aten._convolution")
    assert conv.location.file == FIXTURE_FILE
    assert conv.location.line == fx.source_line(fx.SmallCNN.forward, "self.conv(x)")
    assert conv.location.module == "conv"
    linear = next(n for n in graph.nodes if n.op == "aten.linear")
    assert linear.location.module == "fc"


def test_weights_are_inputs_named_by_their_module_path(traced_cnn):
    graph = load_model(traced_cnn, OPTIONS).graph
    conv = next(n for n in graph.nodes if n.op == "aten._convolution")
    assert conv.inputs[1:] == ("conv.weight", "conv.bias")
    assert conv.attributes["stride"] == [1, 1] and conv.attributes["padding"] == [1, 1]
    assert graph.values["conv.weight"].shape == (8, 3, 3, 3)


def test_params_match_the_module(traced_cnn):
    graph = load_model(traced_cnn, OPTIONS).graph
    module = fx.SmallCNN()
    assert graph.param_count == fx.parameter_count(module)
    assert {p.name for p in graph.params if p.kind == "buffer"} == {
        name for name, _ in module.named_buffers()}


def test_scripted_module_keeps_control_flow_as_subgraphs(scripted_cnn):
    graph = load_model(scripted_cnn, OPTIONS).graph
    ops = Counter(node.op for node, _ in graph.walk())
    assert ops["aten.conv2d"] == 1 and ops["aten.linear"] == 1 and ops["aten.batch_norm"] == 1
    branches = [n for n in graph.nodes if n.op == "prim.If"]
    assert branches and all(n.subgraphs for n in branches)
    # every emitted aten op is one the TorchScript graph really has
    assert {op for op in ops if op.startswith("aten.")} <= set(fx.torchscript_counter(scripted_cnn))
    batch_norm = next(n for n, _ in graph.walk() if n.op == "aten.batch_norm")
    assert batch_norm.location.module == "bn"


def test_state_dict_zip_is_refused_for_having_no_graph(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save(fx.SmallCNN().state_dict(), path)
    _refused(path, InputError, STATE_DICT_MESSAGE)


def test_legacy_state_dict_is_refused_for_having_no_graph(tmp_path):
    path = tmp_path / "weights.pth"
    torch.save(fx.SmallCNN().state_dict(), path, _use_new_zipfile_serialization=False)
    _refused(path, InputError, STATE_DICT_MESSAGE)


def test_malicious_torch_save_zip_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.zeros(2), "extra": _Payload(marker)}, path)
    message = _refused(path, UnsafeInputError, "refusing to unpickle untrusted code")
    assert f"pickle would import {os.system.__module__}.system" in message
    assert not marker.exists()


def test_malicious_plain_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    # protocol 4 names the callable with STACK_GLOBAL and memoised strings
    path.write_bytes(pickle.dumps(_Payload(marker), protocol=4))
    message = _refused(path, UnsafeInputError)
    assert f"pickle would import {os.system.__module__}.system" in message
    assert not marker.exists()


def test_pickled_whole_module_is_refused_as_unsafe(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(fx.SmallCNN(), path)
    _refused(path, UnsafeInputError, "pickle would import", "refusing to unpickle")


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    _refused(path, InputError, "empty")


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "random.pt"
    path.write_bytes(random.Random(3).randbytes(4096))
    _refused(path, InputError, "not a TorchScript archive or torch.save file")


def test_truncated_archive_is_refused(traced_cnn, tmp_path):
    path = tmp_path / "truncated.pt"
    data = traced_cnn.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _refused(path, InputError, "truncated or corrupt")


def test_torch_export_archive_named_pt_is_read_as_pt2(tmp_path):
    path = tmp_path / "exported.pt"
    program = torch.export.export(fx.SmallCNN().eval(), fx.cnn_inputs(), strict=False)
    torch.export.save(program, path)
    loaded = load_model(path, OPTIONS)
    assert loaded.format == "pt2"
    assert Counter(n.op for n in loaded.graph.nodes) == fx.core_aten_counter(program)


def test_input_shape_pins_are_refused_for_torchscript(traced_cnn):
    """TorchScript records no input shapes: a pin would be silently ignored, so it is refused."""
    options = AnalysisOptions(input_shapes={"x": (1, 3, 32, 32)})
    with pytest.raises(InputError, match=r"cnn\.pt: --input-shape does not apply to a "
                                         r"TorchScript archive"):
        load_model(traced_cnn, options)
