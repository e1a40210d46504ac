"""Pausing Python's cyclic garbage collector around phases that allocate many long-lived
objects and almost no reference cycles (building the IR, verdicts, costs and findings): a
collection there would only re-scan what is still in use."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside the block, back on after it (unless it was off already)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
