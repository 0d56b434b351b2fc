"""Valid sample rows of both tables and helpers to run the engine on small hand-made tables.

ID numbers and card numbers are completed with python-stdnum's check digits, an implementation
independent of the engine's own array arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd
from stdnum import luhn
from stdnum.cn import ric

from app.models.period import Period
from app.models.schema import table_schema
from app.validation.engine import Report, validate
from app.validation.report import Issue

PERIOD = Period("2026-2027", "秋季学期")
TODAY = date(2026, 11, 1)


def id_number(first17: str) -> str:
    """An 18-digit ID number: ``first17`` followed by its correct MOD 11-2 check character."""
    assert len(first17) == 17
    return first17 + ric.calc_check_digit(first17 + "0")


def card_number(first: str) -> str:
    """A bank card number: ``first`` followed by its Luhn check digit."""
    return first + luhn.calc_check_digit(first)


# A boy in 小学一年级 in 2026-2027 (born 2020-01-15: 6 on 31 August 2026), 兴宁区 南宁.
STUDENT_ID = id_number("45010220200115123")
HOUSEHOLDER_ID = id_number("45010219850304201")
ACCOUNT = card_number("621700123456789012")

STUDENT: dict[str, str] = {
    "name": "韦小明",
    "gender": "男",
    "id_number": STUDENT_ID,
    "ethnicity": "壮族",
    "stage": "小学",
    "grade": "一年级",
    "class_name": "一(1)班",
    "student_no": "G" + STUDENT_ID,
    "status": "在读",
    "boarding": "是",
    "hardship": "脱贫户(建档立卡)",
    "household_region": "450102",
    "householder_name": "韦大山",
    "householder_id": HOUSEHOLDER_ID,
    "relation": "子",
    "guardian_phone": "13812345678",
    "remark": "",
}

AID: dict[str, str] = {
    "name": "韦小明",
    "id_number": STUDENT_ID,
    "stage": "小学",
    "item": "义务教育寄宿生生活补助",
    "school_year": "2026-2027",
    "term": "秋季学期",
    "amount": "625",
    "payout": "一卡通",
    "account_no": ACCOUNT,
    "bank": "中国农业银行",
    "holder_name": "韦大山",
    "holder_relation": "父亲",
    "paid_on": "2026-09-15",
    "remark": "",
}


def student(**changes: str) -> dict[str, str]:
    return {**STUDENT, **changes}


def student_with_id(number: str, **changes: str) -> dict[str, str]:
    """The sample student with another ID number (and the matching G 学籍号)."""
    return student(id_number=number, student_no="G" + number, **changes)


def aid(**changes: str) -> dict[str, str]:
    return {**AID, **changes}


def other_student(n: int, **changes: str) -> dict[str, str]:
    """A different valid student (own ID, 学籍号, household and phone), number ``n`` (1–99)."""
    number = id_number(f"45010220200115{n:03d}")
    householder = id_number(f"450102198501{n:02d}201")
    row = student(
        id_number=number,
        student_no="G" + number,
        gender="男" if n % 2 else "女",
        householder_id=householder,
        guardian_phone=f"139{n:08d}",
    )
    return {**row, **changes}


def frame(table: str, rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    keys = list(table_schema(table).keys)
    extra = [key for row in rows for key in row if key not in keys]
    columns = keys + list(dict.fromkeys(extra))
    return pd.DataFrame(
        [[row.get(key, "") for key in columns] for row in rows], columns=columns, dtype=object
    )


def run(
    students: Sequence[Mapping[str, object]] | None = None,
    aid_rows: Sequence[Mapping[str, object]] | None = None,
    **options: object,
) -> Report:
    """The engine on hand-made tables, by default in 2026-2027 秋季学期 on 2026-11-01."""
    options.setdefault("today", TODAY)
    period = options.pop("period", PERIOD)
    assert isinstance(period, Period)
    return validate(
        frame("students", students) if students is not None else None,
        frame("aid", aid_rows) if aid_rows is not None else None,
        period,
        **options,  # type: ignore[arg-type]
    )


def found(report: Report, rule: str) -> list[Issue]:
    return [issue for issue in report.issues if issue.rule == rule]


def rules_of(report: Report) -> set[str]:
    return {issue.rule for issue in report.issues}
