"""Keeping CPython's cyclic garbage collector out of the lab's hot loops.

A lab holds hundreds of thousands of events for good. Each time a burst of allocations
(a batch fold's row dicts, a page of decoded events) triggers a full collection, the
collector walks every object it tracks, those events among them, and finds nothing to
free: rows and decoded events form no cycles, and reference counting frees them anyway.
On a rebuild that walk cost as much as the fold itself.

This module lives on the write side because both sides use it: the event stores decode
pages of events under it, and the read side folds batches under it (the read side
already depends on the write side; the other way round it would not).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch, then restore it.

    Nesting is fine: the outermost pause restores. The switch is process-wide: a second
    thread's batch running meanwhile is slower at worst (it may see the collector come
    back on before it ends), never wrong.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
