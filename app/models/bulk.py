"""Helpers for bulk work on hundreds of thousands of small objects (loads, inserts, imports)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import sys
from collections.abc import Callable, Iterator
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


def return_free_memory() -> None:
    """Give the heap the process no longer uses back to the system (glibc only; elsewhere nothing).

    A bulk job on a pool thread (reading a large table, renumbering 100,000 rows) leaves its freed
    memory in that thread's malloc arena, where it keeps counting in the process's resident size
    (30 MB after a delete of rows in a 100,000-row table, bench/bench_grid.py).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl has no malloc_trim)
        return None
    return trim
