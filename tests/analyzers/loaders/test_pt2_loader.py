"""The .pt2 loader: real torch.export.save archives, read without unpickling or loading weights."""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper
from torch.export import Dim

from tests.analyzers.loaders import torch_fixtures as fx
from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders import load_model
from trnport.analyzers.options import AnalysisOptions

FIXTURE_FILE = str(Path(fx.__file__).resolve())
OPTIONS = AnalysisOptions()


@pytest.fixture(scope="module")
def cnn_program():
    return torch.export.export(fx.SmallCNN().eval(), fx.cnn_inputs(), strict=False)


@pytest.fixture(scope="module")
def cnn_pt2(cnn_program, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pt2") / "cnn.pt2"
    torch.export.save(cnn_program, path)
    return path


@pytest.fixture(scope="module")
def attention_program():
    return torch.export.export(fx.TinyAttention().eval(), fx.attention_inputs(), strict=False,
                               dynamic_shapes=({1: Dim("seq", min=2, max=63)},))


def _rewrite_zip(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    """Copy ``source`` to ``target`` with the entries whose name ends with a key replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            for suffix, replacement in replace.items():
                if info.filename.endswith(suffix):
                    data = replacement
            new.writestr(info.filename, data)
    return target


def _assert_one_line(error: pytest.ExceptionInfo, path: Path, *fragments: str) -> None:
    message = str(error.value)
    assert "\n" not in message and str(path) in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_loaded_ops_equal_torch_dispatch_level_ops(cnn_program, cnn_pt2):
    loaded = load_model(cnn_pt2, OPTIONS)
    assert loaded.format == "pt2"
    assert Counter(n.op for n in loaded.graph.nodes) == fx.dispatch_level_counter(cnn_program)


def test_locations_and_source_ops_survive_save_and_load(cnn_pt2):
    graph = load_model(cnn_pt2, OPTIONS).graph
    conv = next(n for n in graph.nodes if n.op == "aten.convolution.default")
    assert (conv.location.file, conv.location.module) == (FIXTURE_FILE, "conv")
    assert conv.location.line == fx.source_line(fx.SmallCNN.forward, "self.conv(x)")
    addmm = next(n for n in graph.nodes if n.op == "aten.addmm.default")
    assert addmm.source_op == "aten.linear.default"


def test_an_already_decomposed_archive_keeps_the_users_ops(cnn_program, tmp_path):
    path = tmp_path / "decomposed.pt2"
    decomposed = cnn_program.run_decompositions()
    torch.export.save(decomposed, path)
    graph = load_model(path, OPTIONS).graph
    # what the archive holds reaches the backend as it is
    assert Counter(n.op for n in graph.nodes) == fx.core_aten_counter(decomposed)
    addmm = next(n for n in graph.nodes if n.op == "aten.addmm.default")
    assert addmm.source_op == "aten.linear.default"


def test_params_come_from_the_signature_with_shapes_and_dtypes(cnn_pt2):
    graph = load_model(cnn_pt2, OPTIONS).graph
    module = fx.SmallCNN()
    assert graph.param_count == fx.parameter_count(module)
    shapes = {p.name: p.shape for p in graph.params}
    expected = {n: tuple(t.shape) for n, t in (*module.named_parameters(),
                                               *module.named_buffers())}
    assert shapes == expected


def test_dynamic_dims_survive_save_and_load(attention_program, tmp_path):
    path = tmp_path / "attention.pt2"
    torch.export.save(attention_program, path)
    graph = load_model(path, OPTIONS).graph
    assert Counter(n.op for n in graph.nodes) == fx.dispatch_level_counter(attention_program)
    seq = graph.values["x"].shape[1]
    assert isinstance(seq, str)
    assert graph.metadata["dynamic_dims"] == {"x": {1: seq}}
    assert graph.metadata["range_constraints"][seq] == "[2, 63]"


def test_loading_never_unpickles_or_reads_weights(cnn_pt2, tmp_path, monkeypatch):
    """Pickled payloads that torch.export.load would unpickle are never touched."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    evil = pickle.dumps(Payload())
    with zipfile.ZipFile(cnn_pt2) as archive:
        config_name = next(n for n in archive.namelist() if n.endswith("weights_config.json"))
        config = json.loads(archive.read(config_name))
    for entry in config["config"].values():
        entry["use_pickle"] = True  # torch.export.load would torch.load(weights_only=False)
    first_weight = next(iter(config["config"].values()))["path_name"]
    path = _rewrite_zip(cnn_pt2, tmp_path / "evil.pt2", {
        "sample_inputs/model.pt": evil,
        "weights_config.json": json.dumps(config).encode(),
        f"weights/{first_weight}": evil,
    })

    def refuse(*_args, **_kwargs):
        raise AssertionError("the loader must not unpickle anything")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    graph = load_model(path, OPTIONS).graph
    assert any(n.op == "aten.convolution.default" for n in graph.nodes)
    assert not marker.exists()


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.pt2"
    path.write_bytes(b"")
    with pytest.raises(InputError) as error:
        load_model(path, OPTIONS)
    _assert_one_line(error, path, "empty")


def test_truncated_archive_is_refused(cnn_pt2, tmp_path):
    path = tmp_path / "truncated.pt2"
    data = cnn_pt2.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as error:
        load_model(path, OPTIONS)
    _assert_one_line(error, path, "not a torch.export .pt2 archive")


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "random.pt2"
    path.write_bytes(random.Random(7).randbytes(4096))
    with pytest.raises(InputError) as error:
        load_model(path, OPTIONS)
    _assert_one_line(error, path, "not a torch.export .pt2 archive")


def test_onnx_file_renamed_to_pt2_is_refused(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    path = tmp_path / "model.pt2"
    onnx.save(helper.make_model(graph), path)
    with pytest.raises(InputError) as error:
        load_model(path, OPTIONS)
    _assert_one_line(error, path, "not a torch.export .pt2 archive")


def test_zip_without_the_archive_layout_is_refused(tmp_path):
    path = tmp_path / "other.pt2"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes/readme.txt", "hello")
    with pytest.raises(InputError) as error:
        load_model(path, OPTIONS)
    _assert_one_line(error, path, "not a torch.export .pt2 archive")


def test_corrupt_program_json_is_refused(cnn_pt2, tmp_path):
    path = _rewrite_zip(cnn_pt2, tmp_path / "corrupt.pt2", {"models/model.json": b"{not json"})
    with pytest.raises(InputError) as error:
        load_model(path, OPTIONS)
    _assert_one_line(error, path, "program JSON is corrupt")


def test_program_json_from_another_schema_is_refused(cnn_pt2, tmp_path):
    path = _rewrite_zip(cnn_pt2, tmp_path / "schema.pt2", {"models/model.json": b'{"a": 1}'})
    with pytest.raises(InputError) as error:
        load_model(path, OPTIONS)
    _assert_one_line(error, path)


def test_torchscript_archive_named_pt2_is_read_as_torchscript(tmp_path):
    path = tmp_path / "traced.pt2"
    torch.jit.trace(fx.SmallCNN().eval(), fx.cnn_inputs()).save(str(path))
    loaded = load_model(path, OPTIONS)
    assert loaded.format == "torchscript"
    assert Counter(n.op for n in loaded.graph.nodes) == fx.torchscript_counter(path)


class _HiddenStates(torch.nn.Module):
    """Returns a transformers ModelOutput, as Hugging Face models do."""

    def forward(self, x: torch.Tensor):
        from transformers.modeling_outputs import BaseModelOutput

        return BaseModelOutput(last_hidden_state=torch.tanh(x))


@pytest.fixture(scope="module")
def model_output_pt2(tmp_path_factory) -> Path:
    outputs = pytest.importorskip("transformers.modeling_outputs")
    import torch.utils._pytree as pytree

    assert outputs.BaseModelOutput in pytree.SUPPORTED_NODES
    path = tmp_path_factory.mktemp("hf") / "hidden.pt2"
    program = torch.export.export(_HiddenStates(), (torch.randn(2, 3),), strict=False)
    torch.export.save(program, path)
    return path


@pytest.mark.slow
def test_program_returning_transformers_outputs_loads_in_a_fresh_process(model_output_pt2):
    """A fresh interpreter has not imported transformers; the loader imports it itself."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from trnport.analyzers.loaders import load_model\n"
        "from trnport.analyzers.options import AnalysisOptions\n"
        "assert 'transformers' not in sys.modules\n"
        "graph = load_model(Path(sys.argv[1]), AnalysisOptions()).graph\n"
        "print(sorted(n.op for n in graph.nodes))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(model_output_pt2)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "['aten.tanh.default']"


def test_pytree_type_from_an_unknown_library_is_refused_not_imported(model_output_pt2,
                                                                     tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    package = tmp_path / "evilpkg"
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with zipfile.ZipFile(model_output_pt2) as archive:
        name = next(n for n in archive.namelist() if n.endswith("models/model.json"))
        program_json = archive.read(name)
    renamed = program_json.replace(b"transformers.modeling_outputs.", b"evilpkg.")
    assert renamed != program_json
    path = _rewrite_zip(model_output_pt2, tmp_path / "renamed.pt2",
                        {"models/model.json": renamed})
    with pytest.raises(InputError) as error:
        load_model(path, OPTIONS)
    _assert_one_line(error, path, "evilpkg.BaseModelOutput")
    assert not marker.exists()
