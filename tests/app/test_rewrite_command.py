"""trnport rewrite: writes proven rewrites, lists cleared findings, refuses bad input."""

from __future__ import annotations

import onnx
import pytest

from tests.analyzers.rewrites import models
from trnport.app.cli.main import main


@pytest.fixture
def topk_model(tmp_path):
    path = tmp_path / "topk.onnx"
    onnx.save(models.integer_topk(), str(path))
    return path


def test_rewrite_apply_writes_verified_model_and_lists_cleared_findings(topk_model, capsys):
    out = topk_model.with_name("fixed.onnx")
    code = main(["rewrite", str(topk_model), "--apply", "RW-topk-int-to-float", "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "outputs equal (max abs error 0, max rel error 0, tolerance 1e-05)" in text
    assert "findings cleared: 1" in text and "TRN103 topk" in text
    onnx.checker.check_model(onnx.load(str(out)))
    assert [n.op_type for n in onnx.load(str(out)).graph.node] == ["Cast", "TopK", "Cast"]


def test_rewrite_all_safe_clears_nonzero_finding(tmp_path, capsys):
    path = tmp_path / "masked.onnx"
    onnx.save(models.masked_reduce(), str(path))
    out = tmp_path / "out.onnx"
    assert main(["rewrite", str(path), "--all-safe", "-o", str(out)]) == 0
    assert "TRN301 nonzero" in capsys.readouterr().out
    assert "NonZero" not in [n.op_type for n in onnx.load(str(out)).graph.node]


def test_rewrite_refused_by_verification_keeps_original(tmp_path, capsys):
    """Random masks leave rows fully masked: -inf gives NaN there, -1e4 does not."""
    path = tmp_path / "mask.onnx"
    onnx.save(models.masked_softmax(), str(path))
    out = tmp_path / "out.onnx"
    code = main(["rewrite", str(path), "--apply", "RW-finite-mask-fill", "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 1
    assert "RW-finite-mask-fill: refused on 1 node(s)" in text
    assert "has NaN where the original has none" in text
    assert not out.exists()


def test_rewrite_with_no_match_writes_nothing(topk_model, capsys):
    out = topk_model.with_name("out.onnx")
    code = main(["rewrite", str(topk_model), "--apply", "RW-mask-with-where", "-o", str(out)])
    assert code == 1 and not out.exists()
    assert "no rewrite applied" in capsys.readouterr().out


def test_rewrite_list_names_applicable_rewrites(topk_model, capsys):
    assert main(["rewrite", str(topk_model), "--list"]) == 0
    assert "would rewrite topk: TopK -> Cast TopK Cast" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--apply", "RW-nope", "-o", "x.onnx"], "no automated ONNX rewrite 'RW-nope'"),
    (["--all-safe"], "rewrite needs -o OUT for"),
    ([], "rewrite needs --apply RW-..., --all-safe or --list"),
    (["--all-safe", "-o", "x.onnx", "--tolerance", "-1"], "must be zero or positive"),
])
def test_rewrite_bad_options_exit_2_with_one_line(topk_model, tmp_path, capsys, argv,
                                                  message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["rewrite", str(topk_model), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [b"", b"\x00garbage\xff" * 10])
def test_rewrite_unreadable_model_exits_2(tmp_path, capsys, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    assert main(["rewrite", str(path), "--all-safe", "-o", str(tmp_path / "o.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("trnport: ") and len(err.strip().splitlines()) == 1


def test_rewrite_refuses_unknown_format(tmp_path, capsys):
    path = tmp_path / "model.txt"
    path.write_text("hello\n")
    assert main(["rewrite", str(path), "--all-safe", "-o", str(tmp_path / "o.onnx")]) == 2
    assert "rewrite takes an .onnx model" in capsys.readouterr().err


TOPK_FILE = """
import torch


class TopK(torch.nn.Module):
    def forward(self, x):
        values, indices = x.topk(2)
        return values, indices


model = TopK()
example_inputs = (torch.randint(0, 100, (3, 6)),)
"""


@pytest.fixture
def topk_file(tmp_path):
    path = tmp_path / "topk_model.py"
    path.write_text(TOPK_FILE)
    return path


def test_rewrite_python_model_writes_verified_pt2(topk_file, capsys):
    import torch

    out = topk_file.with_name("fixed.pt2")
    code = main(["rewrite", str(topk_file), "--trust-code", "--apply", "RW-topk-int-to-float",
                 "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "RW-topk-int-to-float: verified on 1 node(s) (topk); outputs equal" in text
    # the integer TopK (TRN103), and the unbounded int64 input it read (TRN202)
    assert "findings cleared: 2" in text and "TRN103 topk" in text
    program = torch.export.load(str(out))
    x = torch.randint(0, 100, (3, 6))
    assert all(torch.equal(a, b) for a, b in zip(program.module()(x), x.topk(2), strict=True))


def test_rewrite_pt2_with_trust_code_and_list(topk_file, tmp_path, capsys):
    first = tmp_path / "first.pt2"
    assert main(["rewrite", str(topk_file), "--trust-code", "--all-safe", "-o", str(first)]) == 0
    capsys.readouterr()
    import torch

    class FloatTopK(torch.nn.Module):
        def forward(self, x):
            values, indices = x.topk(2)
            return values, indices

    source = tmp_path / "float.pt2"
    torch.export.save(torch.export.export(FloatTopK(), (torch.randn(3, 6),)), str(source))
    assert main(["rewrite", str(source), "--trust-code", "--list"]) == 0
    assert ("refused topk: input 'x' of aten.topk is float32, not an integer tensor"
            in capsys.readouterr().out)
    out = tmp_path / "out.pt2"
    assert main(["rewrite", str(source), "--trust-code", "--apply", "RW-topk-int-to-float",
                 "-o", str(out)]) == 1
    assert "no rewrite applied" in capsys.readouterr().out and not out.exists()


@pytest.mark.parametrize(("name", "argv", "message"), [
    ("m.pt2", ["--all-safe", "-o", "o.pt2"], "torch.export.load, which can run code"),
    ("m.py", ["--all-safe", "-o", "o.pt2"], "pass --trust-code"),
    ("m.py", ["--trust-code", "--all-safe", "-o", "o.onnx"], "-o must name a .pt2 file"),
    ("m.py", ["--trust-code", "--apply", "RW-nope", "-o", "o.pt2"],
     "no automated PyTorch rewrite 'RW-nope'"),
    ("m.pt2", ["--trust-code", "--all-safe", "-o", "o.pt2"], "not a torch.export .pt2 archive"),
    ("z.pt2", ["--trust-code", "--all-safe", "-o", "o.pt2"], "torch.export.load failed"),
])
def test_rewrite_torch_bad_input_exit_2_with_one_line(tmp_path, capsys, monkeypatch, name,
                                                      argv, message):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    if name == "z.pt2":
        import zipfile

        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("z/archive_format", "pt2")
    else:
        path.write_bytes(b"not a model" if name.endswith(".pt2") else TOPK_FILE.encode())
    assert main(["rewrite", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
