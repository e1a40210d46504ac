"""Bytes, FLOPs, seconds and counts as text: the one home of every unit formatter.

The variants differ on purpose and are named for where they are read: reports and the
command line write two decimals of the largest binary unit reached (``human_bytes``); the
desktop app's compact labels switch to a unit from a fraction of it (``compact_bytes``, so
0.25 GiB rather than 256 MiB).
"""

from __future__ import annotations

KIB = 2**10
MIB = 2**20
GIB = 2**30
TIB = 2**40
BYTE_UNITS = (("TiB", TIB), ("GiB", GIB), ("MiB", MIB), ("KiB", KIB))
FLOP_UNITS = (("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6),
              ("kFLOP", 1e3))
COUNT_UNITS = (("B", 1e9), ("M", 1e6), ("k", 1e3))


def human_bytes(number: float, *, largest: str = "TiB") -> str:
    """``14.96 GiB``: two decimals of the largest binary unit up to ``largest`` that
    ``number`` reaches; whole bytes below 1 KiB (``512 B``). Negative numbers keep their
    sign."""
    units = BYTE_UNITS[[unit for unit, _ in BYTE_UNITS].index(largest):]
    for unit, size in units:
        if abs(number) >= size:
            return f"{number / size:.2f} {unit}"
    return f"{int(number)} B"


def compact_bytes(number: float, *, digits: int = 2, mib_from: float = MIB / 10) -> str:
    """GiB from a tenth of a GiB, MiB from ``mib_from`` bytes, else KiB, with ``digits``
    decimals: a label stays short and a small model never reads as ``0.00 GiB``."""
    if number >= GIB / 10:
        return f"{number / GIB:.{digits}f} GiB"
    if number >= mib_from:
        return f"{number / MIB:.{digits}f} MiB"
    return f"{number / KIB:.{digits}f} KiB"


def human_flops(number: float) -> str:
    """``1.93 TFLOP``: two decimals of the largest decimal unit reached, else whole FLOP."""
    for unit, size in FLOP_UNITS:
        if abs(number) >= size:
            return f"{number / size:.2f} {unit}"
    return f"{int(number)} FLOP"


def tera_flops(number: float) -> str:
    """``1.93 TFLOP``, always in TFLOP, to three significant digits."""
    return f"{number / 1e12:.3g} TFLOP"


def human_seconds(number: float) -> str:
    """``4.08 µs``: three significant digits of s, ms, µs or ns."""
    for unit, size in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(number) >= size:
            return f"{number / size:.3g} {unit}"
    if not number:
        return "0 s"
    return f"{number * 1e9:.3g} ns" if abs(number) >= 1e-9 else "<1 ns"


def fixed_seconds(number: float | None) -> str:
    """``4.08 ms``: two decimals of s or ms, one of ``us`` below; ``n/a`` for None (plain
    ASCII, for terminals)."""
    if number is None:
        return "n/a"
    if number >= 1:
        return f"{number:.2f} s"
    if number >= 1e-3:
        return f"{number * 1e3:.2f} ms"
    return f"{number * 1e6:.1f} us"


def human_count(number: float) -> str:
    """``8.03B``, ``12.50M``, ``4.10k``: two decimals of the largest unit reached, else the
    whole number."""
    for unit, size in COUNT_UNITS:
        if number >= size:
            return f"{number / size:.2f}{unit}"
    return str(int(number))


def neuron_cores(where: str, logical: int, lnc: int, physical: int | None) -> str:
    """An instance's NeuronCores as AWS counts them: ``trn2.48xlarge: 64 logical
    NeuronCores at LNC 2 (128 physical)``."""
    text = f"{where}: {logical} logical NeuronCores at LNC {lnc}"
    if physical and physical != logical:
        text += f" ({physical} physical)"
    return text
