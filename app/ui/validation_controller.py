"""效验数据 in the window: results on the grids and in the issues panel, kept current while the user edits.

- A full run happens on a worker (:func:`validate_period`), which also builds the indexes
  (:class:`~app.ui.validation_results.ValidationResults`), so the window only swaps them in.
- Every edit of a row runs the cell rules of that row again at once (``check_row``, ~2 ms a row; a
  vectorised run of the same rules for a large paste) and marks the cross-row findings stale.
- 下一个问题 / 上一个问题 walk the open findings the panel lists, in table, row (as shown), column
  order; a double-click in the panel jumps to the cell, clearing a filter that hides its row.
- Ticking 已核对 on a warning is an undo step of the row's table (:class:`AcceptWarningsCommand`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject
from PySide6.QtWidgets import QAbstractItemView

from app.models.bulk import collector_paused
from app.models.period import Period
from app.models.schema import TABLE_KEYS, TableKey, table_schema
from app.models.store import Store
from app.ui.issues_panel import IssuesPanel
from app.ui.table_editor import TableEditor
from app.ui.table_model import RowsTableModel
from app.ui.undo import AcceptWarningsCommand
from app.ui.validation_results import (
    STALE_NOTE,
    Change,
    ValidationResults,
    catalog_position,
    column_index,
    is_open,
)
from app.validation.engine import check_row, rule_catalog, validate
from app.validation.report import Issue

if TYPE_CHECKING:
    import pandas as pd

    from app.ui.main_window import MainWindow

# Up to this many edited rows are checked one by one (check_row); more go through the vectorised engine.
ROW_BY_ROW = 20
FRAME_CHUNK = 5_000
ACCEPTED_COLUMN = "accepted_warnings"
UID_COLUMN = "row_uid"
_TABLE_ORDER = {table: index for index, table in enumerate(TABLE_KEYS)}
WalkKey = tuple[int, int, int, int]  # (table, view row, column, rule) of a finding
_AFTER_ANY_RULE = 1_000_000


@dataclass(frozen=True)
class TableSnapshot:
    """A table's rows as the grid holds them, taken on the GUI thread for a worker (lists copied,
    rows shared: an edit made meanwhile is checked again by the row check anyway)."""

    uids: list[str]
    values: list[Sequence[str]]
    accepted: list[tuple[str, ...]]

    @classmethod
    def of(cls, model: RowsTableModel) -> TableSnapshot:
        return cls(list(model.uids), list(model.rows_values()), list(model.rows_accepted()))


def snapshot_frame(table: TableKey, snapshot: TableSnapshot) -> pd.DataFrame:
    """The rows as the engine reads them: ``row_uid``, ``accepted_warnings``, then the schema's columns.

    Built FRAME_CHUNK rows at a time: one conversion of 100,000 rows would hold the interpreter
    lock for a quarter of a second, and the window could not paint meanwhile.
    """
    import numpy as np
    import pandas as pd

    keys = list(table_schema(table).keys)
    values = snapshot.values
    parts = [np.array(values[i : i + FRAME_CHUNK], dtype=object) for i in range(0, len(values), FRAME_CHUNK)]
    cells = np.concatenate(parts) if parts else np.empty((0, len(keys)), dtype=object)
    frame = pd.DataFrame(cells, columns=keys, dtype=object, copy=False)
    uids = np.empty(len(values), dtype=object)
    uids[:] = snapshot.uids
    accepted = np.empty(len(values), dtype=object)
    accepted[:] = [",".join(rules) for rules in snapshot.accepted]
    frame.insert(0, UID_COLUMN, uids)
    frame.insert(1, ACCEPTED_COLUMN, accepted)
    return frame


def validate_period(
    path: Path, period: Period, snapshots: Mapping[str, TableSnapshot | None] | None = None
) -> ValidationResults:
    """效验数据 on a worker thread: every rule over both tables, the findings indexed for the window.

    A table comes from its snapshot when given (what the grid shows), else from the store on a
    connection of the worker's own (a Store serves one thread).
    """
    with collector_paused():  # a collection walking every row of both grids would stall the window
        frames: dict[str, pd.DataFrame] = {}
        for table in TABLE_KEYS:
            snapshot = (snapshots or {}).get(table)
            if snapshot is not None:
                frames[table] = snapshot_frame(table, snapshot)
                continue
            with Store.open(path) as store:
                frames[table] = store.load_frame(table, period, with_accepted=True)
        report = validate(frames["students"], frames["aid"], period)
        return ValidationResults.from_report(report)


@cache
def cell_rule_ids(table: str) -> frozenset[str]:
    """The rules that need one row only: run again on every edited row."""
    return frozenset(
        rule.id
        for rule in rule_catalog()
        if rule.check is not None and rule.level == "cell" and rule.applies_to(table)
    )


def check_rows(
    table: TableKey,
    period: Period,
    rows: Sequence[tuple[str, int, Sequence[str], Sequence[str]]],
) -> list[tuple[str, list[Issue]]]:
    """The cell-rule findings of rows given as (uid, user row number, values, accepted rule ids)."""
    keys = table_schema(table).keys
    if len(rows) <= ROW_BY_ROW:
        found = []
        for uid, number, values, accepted in rows:
            mapping: dict[str, object] = dict(zip(keys, values, strict=False))
            mapping[ACCEPTED_COLUMN] = tuple(accepted)
            found.append((uid, check_row(table, mapping, period, row=number, row_uid=uid)))
        return found
    import pandas as pd  # only for a large edit (a paste, an undone delete)

    frame = pd.DataFrame([list(values) for _uid, _number, values, _accepted in rows], columns=list(keys))
    frame.insert(0, UID_COLUMN, [uid for uid, *_rest in rows])
    frame.insert(1, ACCEPTED_COLUMN, [",".join(accepted) for *_rest, accepted in rows])
    numbers: dict[str, list[int]] = {table: [number for _uid, number, _values, _accepted in rows]}
    students, aid = (frame, None) if table == "students" else (None, frame)
    report = validate(students, aid, period, rows=numbers, rules=cell_rule_ids(table))
    by_uid: dict[str, list[Issue]] = {uid: [] for uid, *_rest in rows}
    for issue in report.issues:
        if issue.row_uid in by_uid:
            by_uid[issue.row_uid].append(issue)
    return list(by_uid.items())


def _stored_positions(model: RowsTableModel, cells: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Row uid → stored position of the distinct rows of (uid, view row hint) pairs (gone rows left out)."""
    hints = dict(cells)
    if len(hints) > ROW_BY_ROW:  # one pass over the table instead of a search per row
        return {uid: position for position, uid in enumerate(model.uids) if uid in hints}
    positions: dict[str, int] = {}
    shown = model.rowCount()
    for uid, hint in hints.items():
        if 0 <= hint < shown and model.row_uid(hint) == uid:
            positions[uid] = model.source_row(hint)
            continue
        try:
            positions[uid] = model.uids.index(uid)
        except ValueError:
            continue  # deleted meanwhile
    return positions


class ValidationController(QObject):
    """Owns the issues panel and the current results; connects them to the window's grids."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.results = ValidationResults()
        self.panel = IssuesPanel(window)
        self.panel.hide()
        self._walk: tuple[list[WalkKey], list[Issue]] | None = None
        self.panel.issue_activated.connect(self.jump_to)
        self.panel.walk_requested.connect(self.walk)
        self.panel.model.accept_requested.connect(self.request_accept)
        self.panel.model.modelReset.connect(self._forget_walk)
        for table, page in window.pages.items():
            self._watch(table, page.editor)

    # ------------------------------------------------------------ results

    def show_results(self, results: ValidationResults) -> None:
        """Show the findings of a 效验数据 run: marks, panel (opened), counts, problem rows."""
        self.results = results
        for table, editor in self._editors():
            editor.model.set_marks(results.marks[table])
            editor.set_problem_rows(results.problem_uids(table), refresh=True)
        self.panel.show_results(results)
        self.panel.show()
        self.panel.raise_()
        self._show_counts()
        self._forget_walk()
        self._window.statusBar().showMessage(f"效验完成：{results.summary()}。按 F8 查看下一个问题。")

    def validation_job(self) -> Callable[[], ValidationResults]:
        """效验数据 for a worker: the grids' rows are taken now (a table still loading is read from
        the store by the worker)."""
        period, path = self._window.period, self._window.store.path
        snapshots: dict[str, TableSnapshot | None] = {
            table: None if editor.loading else TableSnapshot.of(editor.model)
            for table, editor in self._editors()
        }
        return lambda: validate_period(path, period, snapshots)

    def clear(self) -> None:
        """Forget every finding (another period is shown)."""
        self.results = ValidationResults()
        for table, editor in self._editors():
            editor.model.set_marks(self.results.marks[table])
            editor.set_problem_rows(None)
        self.panel.show_results(self.results)
        self._show_counts()
        self._forget_walk()

    def summary(self, table: str | None = None) -> str:
        """「12 个错误，3 个警告，已核对 1 个」 of one table or of both."""
        return self.results.summary(table)

    def _apply(self, change: Change) -> None:
        if change:
            for table in change.marked_tables:
                self._editor(table).model.refresh_marks()
            self.panel.apply(change)
        for table in change.problem_tables:
            self._editor(table).set_problem_rows(self.results.problem_uids(table))
        self._show_counts()
        self._forget_walk()

    def _show_counts(self) -> None:
        results = self.results
        for table, page in self._window.pages.items():
            if not results.validated and not len(results):
                page.panel.show_issues("尚未效验数据")
                continue
            text = results.summary(table)
            if not results.validated:
                text += "（尚未效验数据）"
            elif results.has_stale(table):
                text += f"（部分结果{STALE_NOTE}）"
            page.panel.show_issues(text)
        self.panel.show_summary()

    # ------------------------------------------------------------ edits

    def _watch(self, table: TableKey, editor: TableEditor) -> None:
        model = editor.model

        def inserted(_parent: QModelIndex, first: int, last: int) -> None:
            if not editor.loading:  # rows arriving while a large table opens are not edits
                rows = range(first, last + 1)
                self.recheck(table, [(model.row_uid(row), row) for row in rows], skip_empty=True)

        def removing(_parent: QModelIndex, first: int, last: int) -> None:
            uids = [model.row_uid(row) for row in range(first, last + 1)]
            self._rows_deleted(table, uids)

        # Edits, undo/redo, paste and replace all come through the session with the rows they changed.
        editor.session.cells_shown.connect(lambda cells: self.recheck(table, cells))
        editor.session.accepted_changed.connect(lambda uid, rules: self._accepted_changed(table, uid, rules))
        model.rowsInserted.connect(inserted)
        model.rowsAboutToBeRemoved.connect(removing)
        model.modelReset.connect(lambda: self._prune(table))
        model.layoutChanged.connect(self._forget_walk)

    def recheck(self, table: TableKey, cells: Sequence[tuple[str, int]], *, skip_empty: bool = False) -> None:
        """Run the cell rules again on the rows of (row uid, view row hint) whose values changed, and
        show the outcome at once (hidden rows included)."""
        editor = self._editor(table)
        model, period = editor.model, editor.period
        if period is None or not cells:
            return
        values, accepted = model.rows_values(), model.rows_accepted()
        rows = []
        for uid, stored in _stored_positions(model, cells).items():
            row_values = values[stored]
            if skip_empty and not any(row_values):
                continue
            rows.append((uid, stored + 1, list(row_values), accepted[stored]))
        if not rows:
            return
        change = self.results.replace_row_cells(table, check_rows(table, period, rows))
        self._edited(table)
        self._apply(change)

    def _edited(self, table: str) -> None:
        stale_before = len(self.results.stale)
        self.results.mark_edited(table)
        if len(self.results.stale) != stale_before:
            self.panel.model.refresh_titles()  # cross-row findings turn grey: 需重新效验

    def _rows_deleted(self, table: str, uids: Sequence[str]) -> None:
        change = self.results.drop_rows(table, uids)
        self._edited(table)
        self._apply(change)

    def _prune(self, table: TableKey) -> None:
        """After a reset of a grid (a large delete, another period): drop the findings of rows now gone."""
        gone = self.results.rows_with_issues(table)
        if gone:
            gone -= set(self._editor(table).model.uids)
        if gone:
            self._rows_deleted(table, sorted(gone))
        self._forget_walk()

    # ------------------------------------------------------------ 已核对

    def request_accept(self, issue: Issue, ticked: bool) -> None:
        """Tick or clear 已核对 on a warning: one undo step of the warning's table."""
        if issue.severity != "warning" or not issue.row_uid or issue.table not in self._window.pages:
            return
        editor = self._editor(issue.table)
        if editor.read_only:
            editor.refuse_locked()
            return
        try:
            row = editor.model.uids.index(issue.row_uid)
        except ValueError:
            return  # the row was deleted meanwhile
        old = tuple(editor.model.rows_accepted()[row])
        new = tuple(rule for rule in old if rule != issue.rule)
        if ticked:
            new = (*new, issue.rule)
        text = f"{'核对' if ticked else '取消核对'}第{issue.row}行的警告 {issue.rule}"
        editor.undo_stack.push(AcceptWarningsCommand(editor.session, issue.row_uid, old, new, text))

    def _accepted_changed(self, table: str, uid: str, rules: Sequence[str]) -> None:
        self._apply(self.results.set_accepted(table, uid, rules))

    # ------------------------------------------------------------ walking and jumping

    def jump_to(self, issue: Issue) -> bool:
        """Show the cell of ``issue`` (its tab, its row even if a filter hid it); False if the row is gone."""
        if issue.table not in self._window.pages or not issue.row_uid:
            return False
        page = self._window.pages[issue.table]
        self._window.tabs.setCurrentWidget(page)
        editor = page.editor
        if not editor.reveal_uid(issue.row_uid, column_index(issue)):
            self._window.statusBar().showMessage("该行已被删除，请重新效验数据。", 8000)
            return False
        editor.view.scrollTo(editor.view.currentIndex(), QAbstractItemView.ScrollHint.PositionAtCenter)
        editor.view.setFocus()
        self._window.statusBar().showMessage(f"第{issue.row}行「{issue.column}」：{issue.message}", 15000)
        return True

    def walk(self, step: int) -> Issue | None:
        """下一个问题 (step 1) / 上一个问题 (step -1) from the current cell; wraps around at the ends."""
        keys, issues = self._walk_order()
        if not issues:
            self._window.statusBar().showMessage(
                "没有需要处理的问题。" if self.results.validated else "尚未效验数据。请先按 F5 效验数据。",
                8000,
            )
            return None
        position = self._next_position(keys, issues, step)
        wrapped = not 0 <= position < len(issues)
        issue = issues[position % len(issues)]
        self.panel.select_issue(issue)
        self.jump_to(issue)
        note = ("已回到第一个问题，" if step > 0 else "已回到最后一个问题，") if wrapped else ""
        self._window.statusBar().showMessage(
            f"{note}问题 {position % len(issues) + 1:,} / {len(issues):,}：第{issue.row}行「{issue.column}」"
            f"{issue.message}",
            15000,
        )
        return issue

    def _next_position(self, keys: list[WalkKey], issues: list[Issue], step: int) -> int:
        here = self._current_cell()
        selected = self.panel.current_issue()
        if selected is not None and here is not None:
            key = self._walk_key(selected)
            if key is not None and key[:3] == here:
                index = bisect_left(keys, key)
                while index < len(keys) and issues[index] is not selected and keys[index] == key:
                    index += 1
                if index < len(keys) and issues[index] is selected:
                    return index + step
        if here is None:
            return 0 if step > 0 else len(issues) - 1
        if step > 0:
            return bisect_right(keys, (*here, _AFTER_ANY_RULE))
        return bisect_left(keys, (*here, -1)) - 1

    def _current_cell(self) -> tuple[int, int, int] | None:
        page = self._window.current_page()
        current = page.editor.view.currentIndex()
        if not current.isValid():
            return None
        return _TABLE_ORDER.get(page.table, 0), current.row(), current.column()

    def _walk_order(self) -> tuple[list[WalkKey], list[Issue]]:
        """The open findings the panel lists, in table / view row / column / rule order (cached)."""
        if self._walk is None:
            positions: dict[str, dict[str, int]] = {
                table: self._view_positions(editor) for table, editor in self._editors()
            }
            keyed = []
            for issue in self.panel.model.issues_shown():
                if not is_open(issue):
                    continue
                key = self._walk_key(issue, positions)
                if key is not None:
                    keyed.append((key, issue))
            keyed.sort(key=lambda pair: pair[0])
            self._walk = ([key for key, _issue in keyed], [issue for _key, issue in keyed])
        return self._walk

    def _walk_key(self, issue: Issue, positions: dict[str, dict[str, int]] | None = None) -> WalkKey | None:
        if not issue.row_uid or issue.table not in self._window.pages:
            return None
        if positions is None:
            row = self._editor(issue.table).model.view_row_of_uid(issue.row_uid)
        else:
            row = positions[issue.table].get(issue.row_uid, -1)
        if row < 0:
            return None  # hidden by a filter, or deleted
        return _TABLE_ORDER[issue.table], row, column_index(issue), catalog_position(issue.rule)

    @staticmethod
    def _view_positions(editor: TableEditor) -> dict[str, int]:
        return {uid: row for row, uid in enumerate(editor.model.visible_uids())}

    def _forget_walk(self, *_args: Any) -> None:
        self._walk = None

    # ------------------------------------------------------------ helpers

    def _editors(self) -> list[tuple[TableKey, TableEditor]]:
        return [(table, page.editor) for table, page in self._window.pages.items()]

    def _editor(self, table: str) -> TableEditor:
        return self._window.pages[table].editor  # type: ignore[index]
