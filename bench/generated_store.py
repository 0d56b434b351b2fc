"""Shared by the window benchmarks: a store of generated rows, built in a child process.

The child keeps the generator's memory out of the measured process (RSS figures stay the window's own).
Each benchmark calls :func:`build_in_child` from its ``main`` and, in the child (``--build PATH``),
:func:`build_students` or its own variant.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from app.models.period import Period
from app.models.store import Store


def build_students(path: Path, students: int, period: Period) -> None:
    """Fill a new store with ``students`` generated 在学状态表 rows of ``period``."""
    from app.demo import generate

    rows = generate(students, period).students
    with Store.open(path) as store:
        store.insert_rows("students", period, rows)


def build_in_child(script: str, path: Path, students: int, *extra: str) -> None:
    """Run ``script --build PATH --students N [extra…]`` and say how long the store took."""
    started = time.perf_counter()
    command = [sys.executable, script, "--build", str(path), "--students", str(students), *extra]
    subprocess.run(command, check=True)
    print(f"generated {students:,} students into a store in {time.perf_counter() - started:.1f} s")
