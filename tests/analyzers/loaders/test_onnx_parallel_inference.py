"""Shape inference in a forked child (overlapped with node conversion) gives exactly the
graph, shapes note and diagnostics of the sequential path, including its fallbacks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import onnx
import pytest

from tests.analyzers.loaders import onnx_fixtures as fx
from trnport.analyzers.errors import InputError
from trnport.analyzers.loaders.onnx import forked as onnx_forked
from trnport.analyzers.loaders.onnx import loader as onnx_loader
from trnport.analyzers.options import AnalysisOptions

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is Linux-only")

MODELS = {
    "mlp": fx.mlp_model,
    "dtype_zoo": fx.dtype_zoo_model,
    "attributes": fx.attribute_model,
    "control_flow": fx.control_flow_model,  # subgraphs: whole inferred model is fetched
    "old_ir": fx.old_ir_model,
    "inconsistent_types": fx.inconsistent_types_model,  # inference fails: declared shapes
    "unsorted": fx.unsorted_model,
    "weights": fx.weights_model,
    "many": lambda: fx.many_nodes_model(5),
}
BROKEN = {
    "cyclic": fx.cyclic_model,
    "dangling": fx.dangling_input_model,
    "duplicate_output": fx.duplicate_output_model,
    "absurd_dim": lambda: fx.absurd_dim_model([2**40, 2**40]),
}


def _load(path: Path, forked: bool, monkeypatch, check: bool = True, **options):
    # graphs shared inference takes never fork: this module is about the ones it leaves
    monkeypatch.setattr(onnx_loader, "may_share", lambda model, data_prop: False)
    monkeypatch.setattr(onnx_forked, "MIN_NODES", 0 if forked else 10**9)
    # earlier tests may leave daemon threads behind; the thread check is tested below
    monkeypatch.setattr(onnx_forked, "only_python_thread", lambda: True)
    calls = []
    original = onnx_forked.ForkedInference.__init__

    def counting(self, *args):
        calls.append(1)
        original(self, *args)

    monkeypatch.setattr(onnx_forked.ForkedInference, "__init__", counting)
    try:
        loaded = onnx_loader.load(path, AnalysisOptions(**options))
        result = (loaded.graph, loaded.diagnostics)
    except InputError as error:
        result = str(error)
    assert bool(calls) == forked or not check  # some broken files need no inference
    return result


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forked_inference_gives_the_sequential_graph(name, tmp_path, monkeypatch):
    path = fx.save(MODELS[name](), tmp_path / f"{name}.onnx")
    sequential = _load(path, False, monkeypatch)
    forked = _load(path, True, monkeypatch)
    assert forked == sequential
    assert forked[0].metadata["shapes"] == sequential[0].metadata["shapes"]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_forked_inference_gives_the_sequential_error(name, tmp_path, monkeypatch):
    path = fx.save(BROKEN[name](), tmp_path / f"{name}.onnx")
    sequential = _load(path, False, monkeypatch)
    assert isinstance(sequential, str)
    assert _load(path, True, monkeypatch, check=False) == sequential


def test_pinned_shapes_take_the_forked_path_too(tmp_path, monkeypatch):
    model = fx.mlp_model()
    path = fx.save(model, tmp_path / "mlp.onnx")
    name = model.graph.input[0].name
    sequential = _load(path, False, monkeypatch, input_shapes={name: (3, 8)})
    assert _load(path, True, monkeypatch, input_shapes={name: (3, 8)}) == sequential


def test_a_dead_child_makes_the_parent_infer(tmp_path, monkeypatch):
    path = fx.save(fx.many_nodes_model(3), tmp_path / "many.onnx")
    sequential = _load(path, False, monkeypatch)

    def dying(model, data, infer, request, answer):
        os._exit(3)

    monkeypatch.setattr(onnx_forked, "_child", dying)
    assert _load(path, True, monkeypatch) == sequential


def test_no_fork_with_other_threads_small_graphs_or_local_functions(monkeypatch):
    import threading

    model = fx.many_nodes_model(3)
    monkeypatch.setattr(onnx_forked, "MIN_NODES", 0)
    real_check = onnx_forked.only_python_thread
    monkeypatch.setattr(onnx_forked, "only_python_thread", lambda: True)
    assert onnx_forked.can_fork(model)
    monkeypatch.setattr(onnx_forked, "MIN_NODES", len(model.graph.node) + 1)
    assert not onnx_forked.can_fork(model)
    monkeypatch.setattr(onnx_forked, "MIN_NODES", 0)
    monkeypatch.setattr(onnx_forked, "only_python_thread", real_check)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not onnx_forked.can_fork(model)
    finally:
        stop.set()
        thread.join()
    monkeypatch.setattr(onnx_forked, "only_python_thread", lambda: True)
    with_function = onnx.ModelProto()
    with_function.CopyFrom(model)
    with_function.functions.add(name="f", domain="local")
    assert not onnx_forked.can_fork(with_function)
