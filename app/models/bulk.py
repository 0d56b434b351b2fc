"""Helpers for bulk work on hundreds of thousands of small objects (loads, inserts, imports)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk work.

    A 100,000-row load, insert or import makes millions of tuples, lists and strings that hold no
    cycles; the collector would walk them again and again (a fifth of the time). Process-wide, so
    keep the block short. The objects still alive at the end (the rows just loaded or pasted) are
    moved out of the collector's reach (``gc.freeze``): otherwise the next full collection walks
    them all at once and the window stalls for a few hundred milliseconds. They hold no cycles, so
    reference counting still frees them when they go.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
