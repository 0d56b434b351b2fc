"""Shared by the window benchmarks: a store of generated rows, built in a child process.

The child keeps the generator's memory out of the measured process (RSS figures stay the window's own).
A benchmark over 在学状态表 rows only hands its ``run(store_path)`` to :func:`run_over_students`;
others call :func:`build_in_child` from their own ``main`` and build in the child (``--build PATH``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def run_over_students(
    script: str, description: str, default_students: int, period: Period, run: Callable[[Path], int]
) -> int:
    """The ``main`` of a benchmark over generated students: parse ``--students``, build, ``run``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--students", type=int, default=default_students)
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.build is not None:
        build_students(args.build, args.students, period)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        build_in_child(script, path, args.students)
        return run(path)
