"""The command line: help, version and one-line usage errors with exit code 2."""

import pytest

from tests.helpers import assert_one_line_error, run_cli
from trnport.analyzers import __version__


def test_version_prints_the_single_defined_version():
    result = run_cli("--version")
    assert result.code == 0
    assert result.stdout.strip() == f"trnport {__version__}"


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.code == 0
    assert "check" in result.stdout and "rules" in result.stdout


def test_check_help_documents_exit_codes_and_flags():
    result = run_cli("check", "--help")
    assert result.code == 0
    for flag in ("--target", "--mode", "--batch", "--seq-len", "--trust-code", "--no-history",
                 "--format", "--output", "--fail-on", "--min-coverage", "--sdk"):
        assert flag in result.stdout, flag
    assert "Exit 0" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("check",), "required: MODEL"),
        (("--check",), "required: MODEL"),
        (("check", "m.onnx", "--batch", "0"), "--batch"),
        (("check", "m.onnx", "--batch", "many"), "--batch"),
        (("check", "m.onnx", "--target", "h100"), "--target"),
        (("check", "m.onnx", "--mode", "serving"), "--mode"),
        (("check", "m.onnx", "--min-coverage", "140"), "--min-coverage"),
        (("check", "m.onnx", "--format", "pdf"), "unknown report format 'pdf'"),
        (("check", "a.onnx", "b.onnx", "--output", "x.json"), "--output takes one model"),
        (("frobnicate",), "invalid choice"),
        (("rules", "TRN999"), "no rule 'TRN999'"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args, fragment):
    assert_one_line_error(run_cli(*args), fragment)


def test_missing_model_file_is_one_line_and_exit_2(tmp_path):
    missing = tmp_path / "nowhere.onnx"
    assert_one_line_error(run_cli("check", str(missing)), "no such file", "nowhere.onnx")


def test_empty_model_file_is_one_line_and_exit_2(tmp_path):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    assert_one_line_error(run_cli("check", str(empty)), "file is empty")


def test_unknown_extension_is_one_line_and_exit_2(tmp_path):
    odd = tmp_path / "weights.h5"
    odd.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    assert_one_line_error(run_cli("check", str(odd)), "unrecognised model file extension '.h5'")


def test_folder_without_config_is_one_line_and_exit_2(tmp_path):
    assert_one_line_error(run_cli("check", str(tmp_path)), "no config.json")


def test_rules_lists_every_code():
    result = run_cli("rules")
    assert result.code == 0
    for code in ("TRN101", "TRN102", "TRN103", "TRN105", "TRN201", "TRN301"):
        assert code in result.stdout
