"""trnport lint-script exit codes and output; --shapes/--max-graphs on check."""

from tests.helpers import REPO
from trnport.app.cli.main import main

FIXTURES = REPO / "tests" / "fixtures" / "lint"


def test_lint_script_exits_1_on_errors_and_names_file_and_line(capsys):
    assert main(["lint-script", str(FIXTURES / "train_gpu.py")]) == 1
    out = capsys.readouterr().out  # trn2 on the newest SDK: TorchNeuron
    assert "train_gpu.py:5: TRN703 error" in out and 'backend="neuron"' in out
    assert main(["lint-script", str(FIXTURES / "train_gpu.py"), "--target", "trn1"]) == 1
    assert "init_process_group('xla')" in capsys.readouterr().out


def test_lint_script_exits_0_for_a_clean_xla_script_on_the_xla_stack(capsys):
    assert main(["lint-script", str(FIXTURES / "train_xla.py"), "--target", "trn1"]) == 0
    assert main(["lint-script", str(FIXTURES / "train_xla.py"), "--sdk", "2.32"]) == 0
    assert "for PyTorch/XLA on trn2 with Neuron SDK 2.32" in capsys.readouterr().err


def test_lint_script_syntax_error_is_one_line_exit_2(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("for x in\n")
    assert main(["lint-script", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "broken.py:1: syntax error" in err


def test_lint_script_missing_file_exits_2(tmp_path, capsys):
    assert main(["lint-script", str(tmp_path / "absent.py")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_check_with_bad_shapes_csv_exits_2_with_one_line(tmp_path, capsys):
    shapes = tmp_path / "lengths.csv"
    shapes.write_text("length\n12\nlots\n")
    model = REPO / "resources" / "samples"
    onnx = next(model.rglob("*.onnx"))
    assert main(["check", str(onnx), "--shapes", str(shapes), "--no-history",
                 "--no-config"]) == 2
    err = capsys.readouterr().err.strip()
    assert "lengths.csv:3" in err and err.count("\n") == 0


def test_check_with_shapes_reports_graphs_and_buckets(tmp_path, capsys):
    shapes = tmp_path / "lengths.csv"
    shapes.write_text("100,5\n128,3\n300,1\n512,1\n")
    onnx = next((REPO / "resources" / "samples").rglob("*.onnx"))
    main(["check", str(onnx), "--shapes", str(shapes), "--max-graphs", "2", "--no-history",
          "--no-config", "--format", "json"])
    out = capsys.readouterr().out
    assert "TRN310" in out and "4 distinct input shapes" in out
