"""The Python-file loader: model files on disk, run only with trust, exported and converted."""

from __future__ import annotations

import runpy
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import torch

from tests.analyzers.loaders import torch_fixtures as fx
from trnport.analyzers.errors import InputError, TrustRequiredError
from trnport.analyzers.loaders import load_model
from trnport.analyzers.options import AnalysisOptions

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "resources" / "samples" / "mlp_model.py"
TRUSTED = AnalysisOptions(trust_code=True)

MODEL_FILE = textwrap.dedent('''
    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(8, 4)
            self.norm = nn.BatchNorm1d(4)

        def forward(self, x):
            y = self.lin(x)
            return torch.relu(self.norm(y))


    model = Net()
    example_inputs = [(torch.randn(2, 8),), (torch.randn(5, 8),)]
''')


def _write(tmp_path: Path, source: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def _line_of(path: Path, fragment: str) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, text in enumerate(lines, start=1) if fragment in text)


def _refused(path: Path, error_type: type[InputError], *fragments: str,
             options: AnalysisOptions = TRUSTED) -> str:
    with pytest.raises(error_type) as caught:
        load_model(path, options)
    message = str(caught.value)
    assert "\n" not in message and str(path.resolve()) in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def test_untrusted_file_is_refused_before_running(tmp_path):
    marker = tmp_path / "ran"
    path = _write(tmp_path, f"open({str(marker)!r}, 'w').close()\n")
    with pytest.raises(TrustRequiredError) as caught:
        load_model(path, AnalysisOptions())
    assert str(caught.value) == (
        f"{path}: running a Python model file executes its code; pass --trust-code to allow it"
    )
    assert not marker.exists()


def test_trusted_file_ops_equal_torch_core_aten_ops(tmp_path):
    path = _write(tmp_path, MODEL_FILE)
    namespace = runpy.run_path(str(path))
    program = torch.export.export(namespace["model"].eval(), namespace["example_inputs"][0],
                                  strict=False)
    loaded = load_model(path, TRUSTED)
    assert loaded.format == "python"
    assert Counter(n.op for n in loaded.graph.nodes) == fx.core_aten_counter(program)


def test_locations_point_into_the_model_file(tmp_path):
    path = _write(tmp_path, MODEL_FILE)
    graph = load_model(path, TRUSTED).graph
    addmm = next(n for n in graph.nodes if n.op == "aten.addmm.default")
    assert addmm.location.file == str(path.resolve())
    assert addmm.location.line == _line_of(path, "self.lin(x)")
    assert addmm.location.module == "lin"
    assert addmm.source_op == "aten.linear.default"


def test_every_example_input_shape_is_recorded(tmp_path):
    graph = load_model(_write(tmp_path, MODEL_FILE), TRUSTED).graph
    assert graph.metadata["input_shape_sets"] == [[[2, 8]], [[5, 8]]]
    assert graph.values["x"].shape == (2, 8)  # exported with the first tuple


def test_factories_are_called_and_a_single_tuple_is_accepted(tmp_path):
    source = MODEL_FILE.replace("model = Net()", "def model():\n    return Net()")
    source = source.replace(
        "example_inputs = [(torch.randn(2, 8),), (torch.randn(5, 8),)]",
        "example_inputs = lambda: (torch.randn(3, 8),)",
    )
    graph = load_model(_write(tmp_path, source), TRUSTED).graph
    assert graph.metadata["input_shape_sets"] == [[[3, 8]]]
    assert graph.param_count == 8 * 4 + 4 + 4 + 4


def test_mode_selects_eval_or_train_batch_norm(tmp_path):
    path = _write(tmp_path, MODEL_FILE)
    inference = {n.op for n in load_model(path, TRUSTED).graph.nodes}
    training = {n.op for n in load_model(
        path, AnalysisOptions(trust_code=True, mode="training")).graph.nodes}
    assert "aten._native_batch_norm_legit_no_training.default" in inference
    assert "aten._native_batch_norm_legit_functional.default" in training


def test_helper_module_beside_the_file_is_importable_and_forgotten(tmp_path):
    _write(tmp_path, "import torch\nSCALE = 3.0\n", name="trnport_test_helper.py")
    source = MODEL_FILE.replace("import torch\n", "import torch\nimport trnport_test_helper\n", 1)
    path = _write(tmp_path, source)
    path_before = list(sys.path)
    load_model(path, TRUSTED)
    assert sys.path == path_before
    assert "trnport_test_helper" not in sys.modules


def test_sample_model_file_loads_with_its_shape_sets():
    graph = load_model(SAMPLE, TRUSTED).graph
    ops = Counter(n.op for n in graph.nodes)
    assert ops["aten.topk.default"] == 1
    topk = next(n for n in graph.nodes if n.op == "aten.topk.default")
    assert graph.values[topk.inputs[0]].dtype == "int32"
    # at dispatch level masked_fill reaches the backend whole
    assert any("aten.masked_fill.Scalar" in (n.op, n.source_op) for n in graph.nodes)
    assert ops["aten.gelu.default"] == 1 and ops["aten.native_layer_norm.default"] == 2
    assert [shapes[0][1] for shapes in graph.metadata["input_shape_sets"]] == [16, 32, 48]


def test_syntax_error_names_file_and_line(tmp_path):
    path = _write(tmp_path, "import torch\n\ndef broken(:\n    pass\n")
    _refused(path, InputError, f"{path.resolve()}:3: syntax error")


def test_exception_while_running_names_the_line(tmp_path):
    path = _write(tmp_path, "import torch\nx = 1\nraise ValueError('boom')\n")
    _refused(path, InputError, f"{path.resolve()}:3:", "ValueError: boom")


def test_exit_while_running_is_an_input_error(tmp_path):
    path = _write(tmp_path, "import sys\nsys.exit(3)\n")
    _refused(path, InputError, "SystemExit")


def test_missing_model_is_refused(tmp_path):
    path = _write(tmp_path, "import torch\nexample_inputs = (torch.randn(1),)\n")
    _refused(path, InputError, "defines no `model`")


def test_missing_example_inputs_is_refused(tmp_path):
    path = _write(tmp_path, "import torch\nmodel = torch.nn.ReLU()\n")
    _refused(path, InputError, "defines no `example_inputs`")


def test_model_of_the_wrong_type_is_refused(tmp_path):
    path = _write(tmp_path, "import torch\nmodel = 3\nexample_inputs = (torch.randn(1),)\n")
    _refused(path, InputError, "`model` must be a torch.nn.Module", "not int")


def test_bare_tensor_example_input_is_refused_with_a_hint(tmp_path):
    path = _write(tmp_path, "import torch\nmodel = torch.nn.ReLU()\n"
                            "example_inputs = torch.randn(2)\n")
    _refused(path, InputError, "must be a tuple", "(x,)")


def test_list_of_non_tuples_is_refused(tmp_path):
    path = _write(tmp_path, "import torch\nmodel = torch.nn.ReLU()\n"
                            "example_inputs = [torch.randn(2), torch.randn(3)]\n")
    _refused(path, InputError, "non-empty list of tuples", "a list of Tensor")


def test_factory_that_needs_arguments_is_refused(tmp_path):
    path = _write(tmp_path, "import torch\ndef model(width):\n    return torch.nn.ReLU()\n"
                            "example_inputs = (torch.randn(2),)\n")
    _refused(path, InputError, "`model` must be a value or a function taking no arguments",
             "width")


def test_factory_that_raises_names_its_line(tmp_path):
    path = _write(tmp_path, "import torch\ndef model():\n    raise RuntimeError('no gpu')\n"
                            "example_inputs = (torch.randn(2),)\n")
    _refused(path, InputError, f"{path.resolve()}:3:", "calling `model` raised RuntimeError")


def test_untraceable_model_is_an_export_failure(tmp_path):
    path = _write(tmp_path, """
        import torch

        class Branchy(torch.nn.Module):
            def forward(self, x):
                return torch.from_numpy(x.numpy() * 2)

        model = Branchy()
        example_inputs = (torch.randn(3),)
    """)
    _refused(path, InputError, f"{path.resolve()}:{_line_of(path, 'x.numpy()')}: "
             "torch.export failed: ")
