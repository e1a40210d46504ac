"""Pausing Python's cyclic garbage collector around phases that allocate many long-lived
objects and almost no reference cycles (building the IR, verdicts, costs and findings): a
collection there would only re-scan what is still in use."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside the block, back on after it (unless it was off already).

    What the block made is moved to the oldest generation as it ends (``gc.freeze`` then
    ``gc.unfreeze``, which only relink lists): left young, the first collection after the
    block would walk all of it at once (0.1 s for the IR of a 100k-node model), only to
    find it alive, as the block's objects are by design; in the oldest generation it waits
    for the next full collection, as any long-lived object does. (Objects frozen before
    are unfrozen too; nothing in trnport freezes any.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()
