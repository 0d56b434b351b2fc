"""Checks shared by both tables: ID numbers (S03–S09, used again by S22 and A02; the array checks
themselves are in idnumbers.py), required values (S01/A01), text length (S26), Excel damage (X01,
X03, X04), duplicates and phone formats.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from app.validation.arrays import CharMatrix, Ints, Mask, Objects, digits_mask
from app.validation.context import Context
from app.validation.damage import X01_MESSAGE, X02_MESSAGE
from app.validation.idnumbers import ID_MESSAGES, IdAnalysis, IdKind, for_column, region_known
from app.validation.normalize import (
    N01_MESSAGE,
    N02_MESSAGE,
    N03_MESSAGE,
    N04_MESSAGE,
    N05_MESSAGE,
    N06_MESSAGE,
)
from app.validation.registry import Hits, Positions, Rule, metadata, register, rule

ID_COLUMNS = ("id_number", "householder_id")
MAX_LISTED_ROWS = 10
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
LANDLINE_PATTERN = r"^0\d{2,3}-?\d{7,8}$"
_ZERO = ord("0")


def id_analysis(ctx: Context, key: str) -> IdAnalysis:
    """The ID numbers of column ``key`` checked once per run (cached on the context)."""
    return ctx.ids(key)


# ---------------------------------------------------------------- S03–S09: 身份证号 of 在学状态表


def _id_rule(rule_id: str, title: str, kind: int) -> None:
    """Register one of S03–S07/S09: the rows of ``kind`` in the 身份证号 of 在学状态表."""

    def check(ctx: Context, rule_: Rule) -> Iterable[Hits]:
        ids = id_analysis(ctx, "id_number")
        positions = np.flatnonzero(ids.kind == kind)
        if not len(positions):
            return []
        kinds = np.full(len(positions), kind, dtype=np.int8)
        return [Hits(positions, "id_number", ids.messages(positions, kinds))]

    register(Rule(rule_id, "students", ("id_number",), "error", "cell", title, ID_MESSAGES[kind], check))


_id_rule("S03", "身份证号位数", IdKind.LENGTH)
_id_rule("S04", "身份证号格式", IdKind.FORMAT)
_id_rule("S05", "身份证号出生日期", IdKind.DATE)
_id_rule("S06", "身份证号校验位", IdKind.CHECK)
_id_rule("S07", "身份证号省级代码", IdKind.PROVINCE)


@rule(
    "S08",
    table="students",
    columns=("id_number",),
    severity="warning",
    level="cell",
    title="身份证号地址码",
    message="身份证号地址码 {code} 不在历年行政区划代码中，请核对。",
)
def s08_region(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    ids = id_analysis(ctx, "id_number")
    ok = np.flatnonzero(ids.kind == IdKind.OK)
    unknown = ok[~region_known(ids.region_numbers()[ok])]
    return rule_.hits(ctx, unknown, "id_number", code=ids.text(unknown, 0, 6))


_id_rule("S09", "学生15位身份证号", IdKind.LEGACY)


# ---------------------------------------------------------------- S01 / A01: required values


def required_mask(ctx: Context, key: str) -> Mask:
    """Rows where column ``key`` must be filled (its conditions evaluated on the row's other cells)."""
    column = ctx.column(key)
    needed = np.full(ctx.size, column.required, dtype=np.bool_)
    for other, values in column.required_unless.items():
        needed &= ~ctx.member(other, values)
    for other, values in column.required_when.items():
        needed |= ctx.member(other, values)
    return needed


def _required_hits(ctx: Context, rule_: Rule) -> list[Hits]:
    found: list[Hits] = []
    for column in ctx.schema.columns:
        if not (column.required or column.required_when):
            continue
        missing = ctx.empty(column.key)
        if np.count_nonzero(missing):  # the conditions are worked out only where something is missing
            found += rule_.hits(ctx, required_mask(ctx, column.key) & missing, column.key)
    return found


def _required_columns(table: str) -> tuple[str, ...]:
    from app.models.schema import table_schema

    return tuple(c.key for c in table_schema(table).columns if c.required or c.required_when)


@rule(
    "S01",
    table="students",
    columns=_required_columns("students"),
    severity="error",
    level="cell",
    title="必填项为空",
    message="「{column}」不能为空。",
)
def s01_required(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return _required_hits(ctx, rule_)


@rule(
    "A01",
    table="aid",
    columns=_required_columns("aid"),
    severity="error",
    level="cell",
    title="必填项为空",
    message="「{column}」不能为空。",
)
def a01_required(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return _required_hits(ctx, rule_)


# ---------------------------------------------------------------- S26: text length


@rule(
    "S26",
    table="*",
    columns=("name", "class_name", "householder_name", "remark", "bank", "holder_name"),
    severity="error",
    level="cell",
    title="文字超长",
    message="「{column}」超过{n}个字。",
)
def s26_length(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    found: list[Hits] = []
    for column in ctx.schema.columns:
        # Coded columns (IDs, phones, dates …) have format rules that already say what is wrong.
        if column.type == "text" and column.max_length:
            found += rule_.hits(
                ctx, ctx.lengths(column.key) > column.max_length, column.key, n=column.max_length
            )
    return found


# ---------------------------------------------------------------- X: damage done by Excel


@rule(
    "X01",
    table="*",
    columns=("id_number", "householder_id", "student_no", "guardian_phone", "account_no"),
    severity="error",
    level="cell",
    title="号码被Excel改成科学计数法",
    message=X01_MESSAGE,
)
def x01_scientific(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    found: list[Hits] = []
    for column in ctx.schema.columns:
        if column.damage_check:
            found += rule_.hits(ctx, ctx.damaged(column.key), column.key, value=ctx.values(column.key))
    return found


@rule(
    "X03",
    table="*",
    columns=ID_COLUMNS,
    severity="error",
    level="cell",
    title="身份证号疑似被Excel截断",
    message=ID_MESSAGES[IdKind.TRUNCATED],
)
def x03_truncated(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    found: list[Hits] = []
    for key in ID_COLUMNS:
        if ctx.has_column(key):
            ids = id_analysis(ctx, key)
            message = for_column(rule_.message, ctx.header(key))
            found += rule_.hits(ctx, ids.kind == IdKind.TRUNCATED, key, template=message)
    return found


def mobile_ok(matrix: CharMatrix, lengths: Ints) -> Mask:
    """``^1[3-9]\\d{9}$`` on a code-point matrix."""
    digit = digits_mask(matrix[:, :11])
    second = matrix[:, 1]
    first_ok = (matrix[:, 0] == ord("1")) & (second >= ord("3")) & (second <= ord("9"))
    return np.asarray((lengths == 11) & digit.all(axis=1) & first_ok, dtype=np.bool_)


def landline_ok(matrix: CharMatrix, lengths: Ints) -> Mask:
    """``^0\\d{2,3}-?\\d{7,8}$`` on a code-point matrix (values longer than the matrix fail)."""
    width = matrix.shape[1]
    inside = np.arange(width)[None, :] < lengths[:, None]
    hyphen = (matrix == ord("-")) & inside
    allowed = (digits_mask(matrix) | hyphen | ~inside).all(axis=1)
    hyphens = hyphen.sum(axis=1)
    where = hyphen.argmax(axis=1)
    after = lengths - where - 1
    plain = (hyphens == 0) & (lengths >= 10) & (lengths <= 12)
    split = (hyphens == 1) & ((where == 3) | (where == 4)) & (after >= 7) & (after <= 8)
    return np.asarray(
        allowed & (matrix[:, 0] == _ZERO) & (plain | split) & (lengths <= width), dtype=np.bool_
    )


def phone_views(ctx: Context, key: str) -> tuple[CharMatrix, Ints, Mask]:
    """(matrix, lengths, valid) of a phone column; cached because S24 and X04 both need it."""

    def compute() -> tuple[CharMatrix, Ints, Mask]:
        width = ctx.column(key).max_length or 13
        matrix, lengths = ctx.chars(key, width), ctx.lengths(key)
        return matrix, lengths, mobile_ok(matrix, lengths) | landline_ok(matrix, lengths)

    return ctx.memo(("phone", key), compute)


@rule(
    "X04",
    table="students",
    columns=("guardian_phone",),
    severity="warning",
    level="cell",
    title="电话疑似丢失开头的0",
    message='「{column}」可能丢失了开头的"0"，请核对。',
)
def x04_lost_zero(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    key = "guardian_phone"
    matrix, lengths, valid = phone_views(ctx, key)
    zero = np.full((ctx.size, 1), _ZERO, dtype=np.uint32)
    restored = landline_ok(np.hstack([zero, matrix]), lengths + 1)
    first, second = matrix[:, 0], matrix[:, 1]
    # Area codes are 010, 02x and 03xx–09xx: without their 0 they start with 10 or 2–9, never 1[1-9].
    area_like = ((first >= ord("2")) & (first <= ord("9"))) | ((first == ord("1")) & (second == _ZERO))
    return rule_.hits(ctx, ctx.present(key) & ~valid & restored & area_like, key)


# ---------------------------------------------------------------- duplicates (S10, S19, A09)


def duplicates(ctx: Context, codes: Ints, mask: Mask) -> tuple[Positions, Objects]:
    """Rows (among ``mask``) whose code another such row shares, and the other rows' numbers.

    The numbers read "3、17" (at most ten, then "等"), for a message's "第{rows}行".
    """
    candidates = np.flatnonzero(mask)
    group = codes[candidates]
    if not len(group):
        return candidates, np.empty(0, dtype=object)
    counts = np.bincount(group)
    repeated = counts[group] > 1
    positions, group = candidates[repeated], group[repeated]
    order = np.lexsort((positions, group))
    positions, group = positions[order], group[order]
    others: dict[int, str] = {}
    starts = np.flatnonzero(np.diff(group)) + 1
    for members in np.split(positions, starts) if len(positions) else []:
        numbers = ctx.rows[members].tolist()
        for index, position in enumerate(members.tolist()):
            others[position] = _row_list(numbers[:index] + numbers[index + 1 :])
    ordered = np.array(sorted(others), dtype=np.intp)
    texts = np.array([others[p] for p in ordered.tolist()], dtype=object)
    return ordered, texts


def _row_list(numbers: list[int]) -> str:
    shown = "、".join(str(n) for n in numbers[:MAX_LISTED_ROWS])
    return shown + ("等" if len(numbers) > MAX_LISTED_ROWS else "")


# ---------------------------------------------------------------- applied at import time (metadata)

metadata("N01", table="*", columns=(), severity="notice", title="全角字符已转换", message=N01_MESSAGE)
metadata("N02", table="*", columns=(), severity="notice", title="不可见字符已清除", message=N02_MESSAGE)
metadata("N03", table="*", columns=ID_COLUMNS, severity="notice", title="末位x已改为X", message=N03_MESSAGE)
metadata("N04", table="*", columns=(), severity="notice", title="代码值已规范", message=N04_MESSAGE)
metadata("N05", table="*", columns=("name",), severity="notice", title="间隔号已规范", message=N05_MESSAGE)
metadata("N06", table="aid", columns=("paid_on",), severity="notice", title="日期已规范", message=N06_MESSAGE)
metadata(
    "X02",
    table="*",
    columns=("id_number", "householder_id", "student_no", "guardian_phone", "account_no"),
    severity="error",
    title="号码在Excel中被存成数字",
    message=X02_MESSAGE,
)


def not_in_list(ctx: Context, key: str) -> Mask:
    """Rows whose value of the enum column ``key`` is filled but not one of its list's values."""
    return ctx.present(key) & ~ctx.member(key, ctx.column(key).code_list(ctx.policy).values)


def enum_hits(ctx: Context, rule_: Rule) -> list[Hits]:
    """Values outside the code lists of the rule's columns, one message template for all."""
    hits: list[Hits] = []
    for key in rule_.columns:
        allowed = "、".join(ctx.column(key).code_list(ctx.policy).values)
        hits += rule_.hits(ctx, not_in_list(ctx, key), key, value=ctx.values(key), allowed=allowed)
    return hits
