"""Benchmark of sorting, filtering and searching the grid (not part of the test suite).

``python bench/bench_filter.py`` — a child process generates 100,000 demo students (app.demo) into a
temporary store; this process opens them in a TableEditor (offscreen, 1280×800) and measures what
the user waits for, each time until the grid has repainted:

- a filter (target ≤ 200 ms): a value of 学段 ticked in the checklist; 姓名 包含 a character; both
  columns together; 只看有问题的行 with 5,000 problem rows; 清除筛选;
- for the record: the filter checklist of 学段 and of 姓名 (distinct values and counts), sorting by
  姓名 and by 年级, filtering while sorted, 查找下一个 and 全部查找 over every column.

Each figure is the best of three runs (the machine is shared).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from generated_store import run_over_students
from PySide6.QtWidgets import QApplication

from app.models.period import Period
from app.models.row_view import ColumnFilter, TextCondition, value_counts
from app.models.schema import table_schema
from app.models.search import Query, find_all, find_next
from app.models.store import Store
from app.ui.table_editor import TableEditor

PERIOD = Period("2026-2027", "秋季学期")
STUDENTS = 100_000
ROUNDS = 5
FILTER_TARGET_MS = 200.0
SCHEMA = table_schema("students")
NAME, STAGE, GRADE = SCHEMA.index_of("name"), SCHEMA.index_of("stage"), SCHEMA.index_of("grade")


def best_ms(
    app: QApplication, editor: TableEditor, action: Callable[[], object], undo: Callable[[], object]
) -> tuple[float, float]:
    """The fastest of ROUNDS runs of ``action`` + repaint: (wall-clock ms, CPU ms of this process).

    ``undo`` restores the state before each run. The CPU time shows the work itself when other
    processes share the machine's cores (the wall-clock time then includes waiting for a core).
    """
    walls, cpus = [], []
    for _round in range(ROUNDS):
        undo()
        app.processEvents()
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        app.processEvents()
        editor.repaint()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls) * 1000, min(cpus) * 1000


def report(name: str, ms: tuple[float, float], shown: int | None = None, target: float | None = None) -> None:
    wall, cpu = ms
    verdict = "" if target is None else ("  ok" if wall <= target else f"  OVER the {target:g} ms target")
    rows = "" if shown is None else f"  ({shown:,} rows shown)"
    print(f"{name:<40} {wall:8.1f} ms  (CPU {cpu:6.1f} ms){rows}{verdict}")


def timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def run(path: Path) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    with Store.open(path) as store:
        editor = TableEditor(store, "students")
        editor.resize(1280, 800)
        editor.show()
        editor.load(PERIOD)
        while editor.loading:  # a large table's rest arrives from a worker
            app.processEvents()
        model = editor.model
        print(f"{model.total_row_count():,} 在学状态表 rows, offscreen 1280×800, best of {ROUNDS}")
        primary = ColumnFilter(frozenset({"小学"}))
        contains = ColumnFilter(condition=TextCondition("contains", "华"))
        problems = set(model.uids[::20])

        def none() -> None:
            model.clear_filters()

        def stage_filter() -> None:
            model.set_column_filter(STAGE, primary)

        def both() -> None:
            model.set_column_filter(STAGE, primary)
            model.set_column_filter(NAME, contains)

        report(
            "filter 学段 = 小学", best_ms(app, editor, stage_filter, none), model.rowCount(), FILTER_TARGET_MS
        )
        ms = best_ms(app, editor, lambda: model.set_column_filter(NAME, contains), none)
        report("filter 姓名 包含 华", ms, model.rowCount(), FILTER_TARGET_MS)
        ms = best_ms(app, editor, lambda: model.set_column_filter(NAME, contains), stage_filter)
        report("filter 姓名 包含 华, with 学段 filtered", ms, model.rowCount(), FILTER_TARGET_MS)
        ms = best_ms(app, editor, lambda: model.set_problem_filter(problems), none)
        report("只看有问题的行 (5,000 rows)", ms, model.rowCount(), FILTER_TARGET_MS)
        report("清除筛选", best_ms(app, editor, none, both), model.rowCount(), FILTER_TARGET_MS)

        ms = best_ms(app, editor, lambda: value_counts(model.values_for_filter(STAGE)), none)
        report("checklist of 学段 (value counts)", ms)
        ms = best_ms(app, editor, lambda: value_counts(model.values_for_filter(NAME)), none)
        report("checklist of 姓名 (value counts)", ms)
        report("sort by 姓名", best_ms(app, editor, lambda: editor.sort_by(NAME), lambda: editor.sort_by(-1)))
        report(
            "sort by 年级", best_ms(app, editor, lambda: editor.sort_by(GRADE), lambda: editor.sort_by(-1))
        )
        editor.sort_by(NAME)
        ms = best_ms(app, editor, stage_filter, none)
        report("filter 学段 = 小学, sorted by 姓名", ms, model.rowCount(), FILTER_TARGET_MS)
        editor.sort_by(-1)
        model.clear_filters()

        columns = model.columnCount()
        rows = model.visible_values()
        hits: list[tuple[int, int]] = []
        report("查找下一个 包含 华", timed(lambda: find_next(rows, Query("华"), columns, (0, 0))))
        report(
            "全部查找 包含 华, every column", timed(lambda: hits.extend(find_all(rows, Query("华"), columns)))
        )
        print(f"  ({len(hits):,} hits)")
        editor.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_over_students(__file__, __doc__.splitlines()[0], STUDENTS, PERIOD, run))
