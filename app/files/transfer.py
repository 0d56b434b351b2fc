"""Services shared by the CLI and the desktop client: a file into the store, the store into a file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.files.exporter import export_table
from app.files.importer import ImportResult, import_file
from app.models.period import Period
from app.models.schema import TableKey
from app.models.store import Store


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did: the file's findings, and how many rows reached the store."""

    result: ImportResult
    inserted: int
    rows_now: int

    @property
    def refused(self) -> bool:
        """True when the file itself was unusable (e.g. a required column missing): nothing changed."""
        return self.inserted == 0 and any(p.severity == "error" for p in self.result.problems)


def import_into_store(
    store: Store,
    path: Path,
    table: TableKey,
    period: Period,
    *,
    sheet: str | None = None,
    replace: bool = False,
) -> ImportOutcome:
    """Read ``path`` through the import pipeline and append (or replace) the period's rows.

    Rows with cell problems (X01/X02 …) are stored too, flagged by the issues, so the clerk can fix
    them in the grid; a file-level error (no header row, a required column missing) stores nothing.
    """
    result = import_file(path, table, sheet)
    if any(problem.severity == "error" for problem in result.problems) or not result.rows:
        return ImportOutcome(result, 0, store.count(table, period))
    if replace:
        store.replace_rows(table, period, result.rows)
    else:
        store.insert_rows(table, period, result.rows)
    return ImportOutcome(result, len(result.rows), store.count(table, period))


def export_from_store(
    store: Store,
    table: TableKey,
    period: Period,
    path: Path,
    progress: Callable[[int], None] | None = None,
    *,
    uids: Sequence[str] | None = None,
) -> int:
    """Write the period's rows of ``table`` to an .xlsx file; returns the number of rows.

    ``uids`` (e.g. the rows a filter shows, in the order shown) exports only those rows, in that
    order; rows no longer in the store are left out.
    """
    rows = store.load(table, period)
    values = rows.values
    if uids is not None:
        position = {uid: index for index, uid in enumerate(rows.uids)}
        values = [values[position[uid]] for uid in uids if uid in position]
    return export_table(path, table, values, progress=progress)
