"""Every OpInfo of torch's operator database, as a one-op model, gets dispatch-level verdicts
for inf2 on SDK 2.32: no traceback, no ATen op without an answer (torch-xla's lowering list
answers every ATen op: lowered, decomposed, run by a shared kernel, or on the host CPU), and
the verdict table in ``tests/golden/opinfo_verdicts.tsv`` unchanged — regenerate it with
``TRNPORT_UPDATE_GOLDEN=1`` and review the diff."""

from __future__ import annotations

import os

import pytest

from tests.analyzers.coverage.opinfo_sweep import (
    key_of,
    opinfos,
    read_golden,
    sweep_row,
    write_golden,
)
from trnport.analyzers.kb import load_kb

UPDATE = os.environ.get("TRNPORT_UPDATE_GOLDEN") == "1"
INFOS = opinfos()
_ROWS: dict[str, object] = {}


@pytest.fixture(scope="module")
def golden():
    rows = read_golden()
    yield rows
    if UPDATE and _ROWS:
        write_golden([*_ROWS.values()])


@pytest.mark.slow
@pytest.mark.parametrize("info", INFOS, ids=key_of)
def test_opinfo_sample_gets_an_answer_for_every_op(info, golden):
    row = sweep_row(info, load_kb())
    _ROWS[row.key] = row
    unanswered = [op for op, status in row.verdicts
                  if status == "unknown" and op.startswith("aten.")]
    assert not unanswered, f"{row.key}: no knowledge-base entry for {unanswered}"
    if UPDATE:
        return
    expected = golden.get(row.key)
    assert expected is not None, f"{row.key} is not in the golden table; regenerate it"
    assert row.text().split("\t", 1)[1] == expected, (
        f"{row.key}: verdicts changed; regenerate with TRNPORT_UPDATE_GOLDEN=1 and review")


def test_golden_table_lists_every_opinfo():
    golden = read_golden()
    assert golden, "tests/golden/opinfo_verdicts.tsv is missing"
    assert set(golden) == {key_of(info) for info in INFOS}
