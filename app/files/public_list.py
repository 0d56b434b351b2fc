"""导出公示名单: the 学生资助表 of a period for public posting, with ID and account numbers masked.

A school posts who received which aid (姓名, 学段, 年级, 资助项目, 金额) on its notice board; the
身份证号 and the account number are shown only as ``4501**********123X`` so that nobody can copy them.
The 年级 comes from the student's row in the 在学状态表 (the 学生资助表 has no such column).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from app.files.exporter import SheetColumn, write_rows
from app.models.period import Period
from app.models.schema import table_schema
from app.models.store import Store

MASK_CHAR = "*"
KEEP = 4  # characters kept at each end of a masked number
SHEET_TITLE = "公示名单"

PUBLIC_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("序号", 6, "integer"),
    SheetColumn("姓名", 10),
    SheetColumn("身份证号", 20, "text"),
    SheetColumn("学段", 12),
    SheetColumn("年级", 8),
    SheetColumn("资助项目", 26),
    SheetColumn("资助金额(元)", 12, "amount"),
    SheetColumn("银行卡号/一卡通账号", 22, "text"),
)


def mask_number(text: str, keep: int = KEEP) -> str:
    """``text`` with all but its first and last ``keep`` characters replaced by ``*``.

    ``450127200801011230`` → ``4501**********1230``. A value shorter than ``2 * keep + 4`` keeps
    only a quarter of its length at each end, so that at least half of it is always hidden;
    an empty value stays empty.
    """
    length = len(text)
    kept = keep if length >= 2 * keep + 4 else length // 4
    if kept == 0:
        return MASK_CHAR * length
    return text[:kept] + MASK_CHAR * (length - 2 * kept) + text[-kept:]


def grades_by_id(students: Sequence[Sequence[str]]) -> dict[str, str]:
    """身份证号 → 年级 of the 在学状态表 rows (the first row wins where a number is listed twice)."""
    schema = table_schema("students")
    id_at, grade_at = schema.index_of("id_number"), schema.index_of("grade")
    grades: dict[str, str] = {}
    for row in students:
        grades.setdefault(row[id_at], row[grade_at])
    return grades


def public_rows(aid: Sequence[Sequence[str]], grades: Mapping[str, str]) -> list[list[object]]:
    """The rows of the 公示名单 (see PUBLIC_COLUMNS) for the 学生资助表 rows ``aid``."""
    schema = table_schema("aid")
    at = {key: schema.index_of(key) for key in ("name", "id_number", "stage", "item", "amount", "account_no")}
    rows: list[list[object]] = []
    for number, row in enumerate(aid, start=1):
        id_number = row[at["id_number"]]
        rows.append(
            [
                number,
                row[at["name"]],
                mask_number(id_number),
                row[at["stage"]],
                grades.get(id_number, ""),
                row[at["item"]],
                row[at["amount"]],
                mask_number(row[at["account_no"]]),
            ]
        )
    return rows


def export_public_list(
    path: Path,
    students: Sequence[Sequence[str]],
    aid: Sequence[Sequence[str]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the 公示名单 of the ``aid`` rows to the .xlsx file ``path``; returns the row count.

    Raises app.files.exporter.ExportError (with a Chinese ``user_message``) when it cannot be written.
    """
    rows = public_rows(aid, grades_by_id(students))
    return write_rows(path, SHEET_TITLE, PUBLIC_COLUMNS, rows, progress=progress)


def export_public_list_from_store(
    store: Store, period: Period, path: Path, progress: Callable[[int], None] | None = None
) -> int:
    """The 公示名单 of ``period``'s 学生资助表 in ``store`` (see export_public_list)."""
    students = store.load("students", period).values
    aid = store.load("aid", period).values
    return export_public_list(path, students, aid, progress=progress)
