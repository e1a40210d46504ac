"""One home for unit formatting; each variant keeps the text its readers have always shown."""

from __future__ import annotations

import pytest

from trnport.analyzers.results.units import (
    GIB,
    KIB,
    MIB,
    TIB,
    compact_bytes,
    fixed_seconds,
    human_bytes,
    human_count,
    human_flops,
    human_seconds,
    tera_flops,
)


@pytest.mark.parametrize(("number", "largest", "text"), [
    (512, "TiB", "512 B"), (1536, "TiB", "1.50 KiB"), (3 * TIB, "TiB", "3.00 TiB"),
    (3 * TIB, "GiB", "3072.00 GiB"), (-2 * GIB, "GiB", "-2.00 GiB"), (-512, "GiB", "-512 B"),
])
def test_report_bytes_take_two_decimals_of_the_largest_unit_reached(number, largest, text):
    assert human_bytes(number, largest=largest) == text


def test_compact_bytes_switch_unit_from_a_fraction_of_it():
    assert compact_bytes(GIB / 4) == "0.25 GiB"
    assert compact_bytes(MIB / 5) == "0.20 MiB"
    assert compact_bytes(100) == "0.10 KiB"
    # the app's summary line: one decimal, MiB from 128 KiB
    assert compact_bytes(120 * KIB, digits=1, mib_from=2**17) == "120.0 KiB"
    assert compact_bytes(200 * KIB, digits=1, mib_from=2**17) == "0.2 MiB"


def test_flops_seconds_and_counts():
    assert human_flops(1.93e12) == "1.93 TFLOP" and human_flops(12) == "12 FLOP"
    assert tera_flops(5_220_879) == "5.22e-06 TFLOP"
    assert human_seconds(4.082e-06) == "4.08 µs" and human_seconds(0) == "0 s"
    assert human_seconds(7e-13) == "<1 ns"
    assert fixed_seconds(None) == "n/a" and fixed_seconds(4.082e-06) == "4.1 us"
    assert fixed_seconds(0.25) == "250.00 ms"
    assert human_count(8_030_261_248) == "8.03B" and human_count(999) == "999"
