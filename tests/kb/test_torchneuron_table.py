"""Reading TorchNeuron's compatibility table (fixtures written to the documented format, with
invented rows), storing it per torch-neuronx version, and which SDK line uses which table."""

from __future__ import annotations

import pytest

from tests.helpers import REPO
from trnport.analyzers.errors import InputError
from trnport.analyzers.kb import load_kb
from trnport.analyzers.kb.torchneuron_overlay import (
    CompatIndex,
    check_native_version,
    stored_name,
    stored_tables,
    table_for,
    table_from_markdown,
)
from trnport.analyzers.kb.torchneuron_table import parse_table

FIXTURES = REPO / "tests" / "fixtures" / "torchneuron"


def _rows():
    return {row.api: row for row in parse_table((FIXTURES / "compat_table.md").read_text())}


def test_rows_take_their_namespace_from_the_heading_and_keep_the_three_statuses():
    rows = _rows()
    assert rows["torch.add"].status == "Y" and rows["torch.add"].kind == "native"
    assert rows["torch.manual_seed"].kind == "host-only"
    assert rows["torch.abs"].kind == "native"  # unqualified name, bold marker stripped
    assert rows["torch.unique"].status == "N"
    assert rows["torch.distributed.all_reduce"].kind == "needs a process group"
    assert rows["torch.distributed.all_reduce"].namespace == "torch.distributed"
    assert len(rows) == 9  # the support-count table has no API column and is skipped


def test_cpu_fallback_rows_name_the_aten_op_and_the_dtypes_that_fall_back():
    rows = _rows()
    assert rows["torch.fft.rfft"].aten == ("aten._fft_r2c",)
    assert rows["torch.fft.rfft"].dtypes == ()
    assert rows["torch.cumsum"].aten == ("aten.cumsum",)
    assert rows["torch.cumsum"].dtypes == ("float64", "int64")


@pytest.mark.parametrize("fixture, fragment", [
    ("unknown_status.md", "status 'Partial' of torch.mul is not one of Y, CPU_FALLBACK, N"),
    ("no_limitations.md", "table has no Limitations column"),
    ("no_table.md", "no API table found"),
])
def test_an_unexpected_format_is_refused_in_one_line_naming_what_was_expected(fixture, fragment):
    with pytest.raises(InputError) as caught:
        parse_table((FIXTURES / fixture).read_text(), fixture)
    message = str(caught.value)
    assert fragment in message and "\n" not in message
    assert "expected the TorchNeuron compatibility table (torch_api_compatibility.md)" in message
    assert message.startswith(fixture)


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "table.md"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8 text"):
        table_from_markdown(path, "2.14.3.0")


@pytest.mark.parametrize("version, accepted", [
    ("2.14.3.0", True), ("2.13.3.0", True), ("2.9.0.2.15.32035", False), ("1.13.1", False),
    ("latest", False),
])
def test_only_torchneuron_versions_of_torch_neuronx_are_accepted(version, accepted):
    if accepted:
        assert check_native_version(version) == version
    else:
        with pytest.raises(InputError):
            check_native_version(version)


def test_the_index_answers_per_op_and_dtype():
    table = table_from_markdown(FIXTURES / "compat_table.md", "2.14.3.0")
    index = CompatIndex(table)
    assert index.lookup("aten._fft_r2c", ("float32",)).status == "cpu_fallback"
    assert index.lookup("aten._fft_r2c", ()).exact
    assert index.lookup("aten.cumsum", ("int64",)).status == "cpu_fallback"
    native_cumsum = index.lookup("aten.cumsum", ("float32",))
    assert native_cumsum.status == "supported" and native_cumsum.exact
    added = index.lookup("aten.add", ("float32",))
    assert added.status == "supported" and not added.exact  # matched by API name only
    assert index.lookup("aten.add_", ("float32",)).status == "supported"
    assert index.lookup("aten.unique", ()).status == "unsupported"
    assert index.lookup("aten.mm", ("float32",)) is None


def test_stored_tables_round_trip_and_apply_to_the_line_that_lists_them(tmp_path):
    kb = load_kb()
    table = table_from_markdown(FIXTURES / "compat_table.md", "2.14.3.0")
    (tmp_path / stored_name(table.version)).write_text(table.to_json(), encoding="utf-8")
    (stored,) = stored_tables(tmp_path)
    assert stored == table
    line_233 = kb.profile("2.33").stacks["torchneuron"].versions
    assert table_for([stored], line_233, []) == stored
    assert table_for([stored], ["2.13.3.0"], []) is None
    # 2.34 lists no TorchNeuron version: a table as new as every older line's applies
    assert table_for([stored], [], ["2.12.0.1.0.1284", "2.14.3.0"]) == stored
    assert table_for([stored], [], ["2.15.0.0"]) is None


def test_a_corrupt_stored_table_is_an_input_error(tmp_path):
    (tmp_path / stored_name("2.14.3.0")).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not a stored TorchNeuron table"):
        stored_tables(tmp_path)
