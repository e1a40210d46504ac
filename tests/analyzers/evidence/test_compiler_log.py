"""neuronx-cc logs: NCC_* codes through the error-code table, unsupported-HLO lists per op."""

import pytest

from tests.helpers import REPO
from trnport.analyzers.errors import InputError
from trnport.analyzers.evidence import load_compiler_log, parse_compiler_log
from trnport.analyzers.evidence.error_codes import error_table

FIXTURES = REPO / "tests" / "fixtures" / "evidence"
REFERENCE_CSV = REPO.parent / "shared" / "reference" / "neuron" / "compiler_error_codes.csv"


def test_log_codes_map_to_findings_with_the_tables_fix_and_source():
    evidence = load_compiler_log(FIXTURES / "neuronx_cc.log")
    assert evidence.neuronx_cc == "2.26.6360.0+a1b2c3d4"
    by_message = {f.message.split(":")[0]: f for f in evidence.findings}
    topk = by_message["neuronx-cc NCC_EVRF013 (2 times)"]
    assert topk.code == "TRN103" and topk.severity == "error"
    assert topk.fix == "cast to float first"
    assert "EVRF013.rst" in topk.provenance.source
    assert "cast the operand to float" in topk.message
    oom = by_message["neuronx-cc NCC_EOOM001"]
    assert (oom.code, oom.category) == ("TRN401", "memory")
    unknown = by_message["neuronx-cc NCC_EQQQ123"]
    assert "does not know" in unknown.message


def test_unsupported_hlo_list_gives_one_finding_per_opcode_and_stops_at_the_list_end():
    evidence = load_compiler_log(FIXTURES / "neuronx_cc.log")
    hlo = {f.ops[0]: f for f in evidence.findings if f.ops}
    assert set(hlo) == {"hlo.reverse", "hlo.dynamic-slice"}
    assert "2 instructions" in hlo["hlo.reverse"].message
    assert hlo["hlo.dynamic-slice"].code == "TRN101"
    assert "issues/679" in hlo["hlo.dynamic-slice"].provenance.source


def test_clean_log_has_no_findings_and_says_so():
    evidence = parse_compiler_log("Compiler status PASS\n", source="ok.log")
    assert evidence.findings == ()
    assert evidence.notes and "no NCC_" in evidence.notes[0]


def test_every_code_in_the_reference_table_is_known():
    if not REFERENCE_CSV.exists():
        pytest.skip("reference set not available")
    table = error_table()
    text = REFERENCE_CSV.read_text()
    import re

    for code in set(re.findall(r"NCC_([A-Z]{4}\d{3})", text)):
        assert f"NCC_{code}" in table.errors, code


def test_every_mapped_finding_code_is_a_registered_rule():
    from trnport.analyzers.rules import find_rule

    table = error_table()
    for entry in [*table.errors.values(), table.unknown, table.hlo_unsupported]:
        assert find_rule(entry.finding) is not None, entry


@pytest.mark.parametrize("content, fragment", [
    (b"", "empty"),
    (b"\x00\x01\x02ELF\x00" * 100, "binary"),
    (bytes(range(128, 256)) * 20, "binary"),
])
def test_unreadable_logs_raise_one_line_input_errors(tmp_path, content, fragment):
    path = tmp_path / "build.log"
    path.write_bytes(content)
    with pytest.raises(InputError, match=fragment):
        load_compiler_log(path)
