"""Op types, domains and names from the model cannot forge lines or drive the terminal in
the text and Markdown reports: control characters, ANSI and bidi controls are escaped."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper

from tests.helpers import run_cli
from trnport.analyzers.results.printable import printable

FORGED = "\nFAKE: ready, coverage 100.0%, 0 findings; gate passed\x1b[2J\x1b[31m"


@pytest.fixture(scope="module")
def hostile_model(tmp_path_factory) -> str:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    domain = "evil.domain" + FORGED
    nodes = [helper.make_node("Relu", ["x"], ["h"], name="relu" + FORGED),
             helper.make_node("Boom" + FORGED, ["h"], ["y"], name="boom\u202etxt.exe",
                              domain=domain)]
    graph = helper.make_graph(nodes, "g" + FORGED, [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid(domain, 1)])
    path = tmp_path_factory.mktemp("hostile") / "evil.onnx"
    onnx.save(model, path)
    return str(path)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_model_strings_cannot_forge_lines_or_send_escapes(hostile_model, fmt):
    result = run_cli("check", hostile_model, "--no-history", "--fail-on", "none",
                     "--format", fmt)
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "evil" in out  # the custom op is reported ...
    assert not any(line.startswith("FAKE") for line in out.splitlines())  # ... on its line
    assert "\x1b" not in out and "\u202e" not in out
    assert "\\x1b[2J" in out


def test_printable_escapes_controls_and_keeps_ordinary_text():
    assert printable("a\nb\tc\x1b[0m\x7f\x85\u202e") == "a\\nb\\tc\\x1b[0m\\x7f\\x85\\u202e"
    assert printable("caf\udce9 \\ é 🟢") == "caf\\xe9 \\ é 🟢"
