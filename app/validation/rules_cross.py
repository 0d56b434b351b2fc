"""Rules across the two tables of a period: A03–A06, A11, A20 (学生资助表 against 在学状态表) and the
coverage check C01 (在学状态表 against 学生资助表).

Each aid row is joined to the first 在学状态表 row with its 身份证号 once (a hash lookup of the
distinct numbers); the rules compare the joined columns as arrays.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from app.validation.arrays import Ints, Mask, Objects, first_positions
from app.validation.context import Context
from app.validation.registry import Hits, Rule, rule
from app.validation.rules_aid import boarding_pairs

ENROLLED = ("在读", "送教上门")  # 送教上门 counts as 在读 (A06, C01)
POVERTY = "脱贫户(建档立卡)"
NOT_BOARDING = "否"


def student_rows(ctx: Context) -> Ints:
    """For each aid row, the position of its student in 在学状态表 (-1 when there is none)."""
    return ctx.memo(("student_rows",), lambda: match_rows(ctx, _students(ctx), "id_number"))


def match_rows(left: Context, right: Context, key: str) -> Ints:
    """For each row of ``left``, the first row of ``right`` with the same ID number in ``key``, or -1.

    Empty and damaged numbers match nothing. Well-formed numbers are matched by their integer keys;
    the few others by their text.
    """
    import pandas as pd

    result = np.full(left.size, -1, dtype=np.int64)
    left_keys, right_keys = left.id_keys(key), right.id_keys(key)
    candidates = np.flatnonzero(right.present(key) & (right_keys >= 0))
    codes, uniques = pd.factorize(right_keys[candidates])
    first = candidates[first_positions(codes.astype(np.int64))]
    asking = np.flatnonzero(left.present(key) & (left_keys >= 0))
    found = pd.Index(uniques).get_indexer(pd.Index(left_keys[asking]))
    if first.size:  # an empty other table matches nothing (and has no position 0 to index)
        result[asking] = np.where(found >= 0, first[np.maximum(found, 0)], -1)
    _match_texts(left, right, key, result)
    return result


def _match_texts(left: Context, right: Context, key: str, result: Ints) -> None:
    """Match the numbers that are not 18 valid characters (a typo on both sides still matches)."""
    right_rows = np.flatnonzero(right.present(key) & (right.id_keys(key) < 0))
    left_rows = np.flatnonzero(left.present(key) & (left.id_keys(key) < 0))
    if not len(right_rows) or not len(left_rows):
        return
    first: dict[str, int] = {}
    for position, value in zip(right_rows.tolist(), right.values(key)[right_rows].tolist(), strict=True):
        first.setdefault(value, position)
    for position, value in zip(left_rows.tolist(), left.values(key)[left_rows].tolist(), strict=True):
        result[position] = first.get(value, -1)


def _students(ctx: Context) -> Context:
    if ctx.other is None:
        raise ValueError("a cross-table rule ran without 在学状态表")
    return ctx.other


def student_values(ctx: Context, key: str) -> tuple[Mask, Objects]:
    """(rows with a student, the student's value of ``key``; "" where there is no student)."""
    positions = student_rows(ctx)
    found = positions >= 0
    values = np.full(ctx.size, "", dtype=object)
    values[found] = _students(ctx).values(key)[positions[found]]
    return found, values


def _differs(ctx: Context, key: str) -> tuple[Mask, Objects]:
    found, theirs = student_values(ctx, key)
    return found & ctx.present(key) & (theirs != "") & (theirs != ctx.values(key)), theirs


@rule(
    "A03",
    table="aid",
    columns=("id_number",),
    severity="error",
    level="cross",
    title="学生不在在学状态表中",
    message="身份证号 {id} 不在在学状态表中，请先在在学状态表中登记该生。",
)
def a03_unknown_student(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    missing = ctx.present("id_number") & (student_rows(ctx) < 0)
    return rule_.hits(ctx, missing, "id_number", id=ctx.values("id_number"))


@rule(
    "A04",
    table="aid",
    columns=("name", "id_number"),
    severity="error",
    level="cross",
    title="姓名与在学状态表不一致",
    message='姓名与在学状态表中该身份证号的姓名"{name}"不一致。',
)
def a04_name(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    wrong, names = _differs(ctx, "name")
    return rule_.hits(ctx, wrong, "name", name=names)


@rule(
    "A05",
    table="aid",
    columns=("stage", "id_number"),
    severity="error",
    level="cross",
    title="学段与在学状态表不一致",
    message='学段与在学状态表中该生的学段"{v}"不一致。',
)
def a05_stage(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    wrong, stages = _differs(ctx, "stage")
    return rule_.hits(ctx, wrong, "stage", v=stages)


@rule(
    "A06",
    table="aid",
    columns=("id_number",),
    severity="error",
    level="cross",
    title="学生不在读",
    message='该生在学状态为"{status}"，不在读的学生不能享受资助。',
)
def a06_not_enrolled(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    found, status = student_values(ctx, "status")
    enrolled = np.isin(status, np.array(ENROLLED, dtype=object))
    return rule_.hits(ctx, found & (status != "") & ~enrolled, "id_number", status=status)


@rule(
    "A11",
    table="aid",
    columns=("item", "id_number"),
    severity="error",
    level="cross",
    title="非寄宿生领取寄宿生补助",
    message="该生登记为非寄宿生，不能享受寄宿生生活补助。",
)
def a11_boarding(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    boarding_items, _day = boarding_pairs(ctx.policy)
    found, boarding = student_values(ctx, "boarding")
    return rule_.hits(ctx, ctx.member("item", boarding_items) & found & (boarding == NOT_BOARDING), "item")


@rule(
    "A20",
    table="aid",
    columns=("account_no",),
    severity="warning",
    level="cross",
    title="账号被多个家庭使用",
    message="账号 {v} 同时用于{n}个不同家庭的学生，请核对。",
)
def a20_shared_account(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    positions = student_rows(ctx)
    households, _ = _students(ctx).factorized("householder_id")
    student_ids, _ = ctx.factorized("id_number")
    rows = np.flatnonzero(ctx.present("account_no") & ctx.present("id_number"))
    student = positions[rows]
    known = student >= 0
    known[known] &= _students(ctx).present("householder_id")[student[known]]
    # A student without a known household counts as a household of their own.
    offset = int(households.max(initial=-1)) + 1
    # With an empty 在学状态表 no student is known (and there is no position 0 to index).
    of_student = households[np.maximum(student, 0)] if households.size else np.zeros_like(student)
    household = np.where(known, of_student, offset + student_ids[rows])
    accounts, _ = ctx.factorized("account_no")
    account = accounts[rows]
    base = int(household.max(initial=0)) + 1
    pairs = np.unique(account * base + household)  # one entry per (account, household)
    per_account = np.bincount(pairs // base, minlength=int(accounts.max(initial=0)) + 1)
    counts = per_account[account]
    shared = counts > 1
    return rule_.hits(
        ctx, rows[shared], "account_no", v=ctx.values("account_no")[rows[shared]], n=counts[shared]
    )


@rule(
    "C01",
    table="students",
    columns=("id_number",),
    severity="warning",
    level="coverage",
    title="建档立卡学生没有资助记录",
    message="{name}（{id}）为在读建档立卡学生，本学期没有资助记录，请核对是否漏报。",
)
def c01_coverage(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    if ctx.other is None:
        raise ValueError("C01 ran without 学生资助表")
    has_aid = match_rows(ctx, ctx.other, "id_number") >= 0
    enrolled = ctx.member("status", ENROLLED) & ctx.member("hardship", (POVERTY,))
    missing = enrolled & ctx.present("id_number") & ~has_aid
    return rule_.hits(ctx, missing, "id_number", name=ctx.values("name"), id=ctx.values("id_number"))
