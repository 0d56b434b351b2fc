"""Rules of 学生资助表 (aid) that need no 在学状态表: A02, A07–A10, A12–A19, A21–A23.

The policy file decides everything about items, stages, payout kinds and amounts (A07, A08, A13, A21,
A22). Those checks depend on a few low-cardinality columns together (项目, 学段, 学年, 学期, 金额), so
each is evaluated once per distinct combination and spread back to the rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache

import numpy as np
import numpy.typing as npt

from app.models.period import TERMS, Period, PeriodError
from app.models.policy import AidItem, Policy
from app.validation.arrays import Ints, Mask, Objects, digits_mask
from app.validation.context import Context
from app.validation.idnumbers import IdKind, is_error
from app.validation.registry import Hits, Rule, rule
from app.validation.rules_common import duplicates, enum_hits, id_analysis

ACCOUNT_MIN, ACCOUNT_MAX = 16, 19
SELF = "本人"
_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SCHOOL_YEAR = re.compile(r"(\d{4})-(\d{4})")
# The day-pupil counterpart of a boarding item has the same name with 非寄宿生 for 寄宿生 (A10).
_BOARDING, _DAY = "寄宿生", "非寄宿生"


@cache
def row_period(school_year: str, term: str) -> Period | None:
    """The period a row names, or None when its 学年 or 学期 is not well formed."""
    try:
        return Period(school_year, term)
    except PeriodError:
        return None


@cache
def parse_amount(text: str) -> Decimal | None:
    """A 资助金额: digits with at most two decimals, greater than 0; else None."""
    if not _AMOUNT.fullmatch(text):
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount > 0 else None


def amount_text(amount: Decimal) -> str:
    """312.5 → "312.5", 500 → "500" (no exponent, no trailing zeros)."""
    return format(amount.normalize(), "f")


def year_labels(values: Objects) -> Objects:
    """ "2026-2027" → "2026-2027学年", as the messages say it."""
    return np.array([f"{value}学年" for value in values.tolist()], dtype=object)


def boarding_pairs(policy: Policy) -> tuple[frozenset[str], frozenset[str]]:
    """(boarding items, their day-pupil counterparts) of the policy."""
    boarding = frozenset(item.name for item in policy.items if item.boarding_only)
    day = frozenset(name.replace(_BOARDING, _DAY, 1) for name in boarding) & frozenset(policy.item_names)
    return boarding, day


def _policy_item(ctx: Context, name: str) -> AidItem | None:
    return ctx.policy.item(name)


# ---------------------------------------------------------------- A02 身份证号


@rule(
    "A02",
    table="aid",
    columns=("id_number",),
    severity="error",
    level="cell",
    title="身份证号",
    message="{problem}",
)
def a02_id_number(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    ids = id_analysis(ctx, "id_number")
    # A 15-digit number in the aid table is simply the wrong length (S03's message).
    kinds = np.where(ids.kind == IdKind.LEGACY, IdKind.LENGTH, ids.kind).astype(np.int8)
    positions = np.flatnonzero(is_error(kinds))
    return rule_.hits(ctx, positions, "id_number", problem=ids.messages(positions, kinds[positions]))


# ---------------------------------------------------------------- A07, A08, A21, A22: the policy


def item_known(ctx: Context) -> Mask:
    return ctx.member("item", ctx.policy.item_names)


@rule(
    "A07",
    table="aid",
    columns=("item",),
    severity="error",
    level="cell",
    title="资助项目无效",
    message='资助项目"{value}"不在资助项目清单中。',
)
def a07_item(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return rule_.hits(ctx, ctx.present("item") & ~item_known(ctx), "item", value=ctx.values("item"))


@rule(
    "A08",
    table="aid",
    columns=("item", "stage"),
    severity="error",
    level="cell",
    title="资助项目不适用于该学段",
    message='"{item}"不适用于{stage}学生。',
)
def a08_item_stage(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    stages = ctx.column("stage").code_list().values

    def wrong(item_name: str, stage: str) -> bool:
        item = _policy_item(ctx, item_name)
        return item is not None and stage in stages and stage not in item.stages

    mask = ctx.per_distinct(("item", "stage"), wrong, dtype=np.bool_)
    return rule_.hits(ctx, mask, "item", item=ctx.values("item"), stage=ctx.values("stage"))


@rule(
    "A21",
    table="aid",
    columns=("payout", "item"),
    severity="error",
    level="cell",
    title="发放方式与资助项目不符",
    message='"{item}"的发放方式应为"{kind}"。',
)
def a21_payout(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    def expected(item_name: str, payout: str) -> str:
        item = _policy_item(ctx, item_name)
        if item is None or not payout or payout in item.payout:
            return ""
        return '"或"'.join(item.payout)  # renders as "一卡通"或"银行卡"

    kinds = ctx.per_distinct(("item", "payout"), expected)
    return rule_.hits(ctx, kinds != "", "payout", item=ctx.values("item"), kind=kinds)


@rule(
    "A22",
    table="aid",
    columns=("item", "school_year", "term"),
    severity="warning",
    level="cell",
    title="资助项目或标准在该学期不适用",
    message='"{item}"在{school_year}{term}不适用或标准已调整，请核对。',
)
def a22_in_force(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    def out_of_force(item_name: str, school_year: str, term: str) -> bool:
        item, period = _policy_item(ctx, item_name), row_period(school_year, term)
        if item is None or period is None:
            return False
        standard = item.standard_in(period)
        return standard is None or (period != ctx.period and standard is not item.standard_in(ctx.period))

    mask = ctx.per_distinct(("item", "school_year", "term"), out_of_force, dtype=np.bool_)
    return rule_.hits(
        ctx,
        mask,
        "item",
        item=ctx.values("item"),
        school_year=year_labels(ctx.values("school_year")[mask]),
        term=ctx.values("term"),
    )


# ---------------------------------------------------------------- A09–A10 across rows


@rule(
    "A09",
    table="aid",
    columns=("id_number", "item", "school_year", "term"),
    severity="error",
    level="table",
    title="重复发放",
    message='该生{school_year}{term}已有"{item}"（第{rows}行），不能重复发放。',
)
def a09_duplicate(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    key = ("id_number", "item", "school_year", "term")
    codes = ctx.group_codes(key)
    filled = ctx.present("id_number") & ctx.present("item") & ctx.present("school_year") & ctx.present("term")
    positions, rows = duplicates(ctx, codes, filled)
    return rule_.hits(
        ctx,
        positions,
        "item",
        school_year=year_labels(ctx.values("school_year")[positions]),
        term=ctx.values("term"),
        item=ctx.values("item"),
        rows=rows,
    )


@rule(
    "A10",
    table="aid",
    columns=("item",),
    severity="error",
    level="table",
    title="寄宿生与非寄宿生补助重复",
    message="同一学期不能同时享受寄宿生和非寄宿生生活补助。",
)
def a10_boarding_and_day(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    boarding_names, day_names = boarding_pairs(ctx.policy)
    boarding = ctx.member("item", boarding_names) & ctx.present("id_number")
    day = ctx.member("item", day_names) & ctx.present("id_number")
    student_term = ctx.group_codes(("id_number", "school_year", "term"))
    groups = int(student_term.max(initial=0)) + 1
    has_boarding = np.bincount(student_term[boarding], minlength=groups) > 0
    has_day = np.bincount(student_term[day], minlength=groups) > 0
    both = has_boarding[student_term] & has_day[student_term]
    return rule_.hits(ctx, (boarding | day) & both, "item")


# ---------------------------------------------------------------- A12–A13 金额


@rule(
    "A12",
    table="aid",
    columns=("amount",),
    severity="error",
    level="cell",
    title="资助金额格式",
    message="资助金额应为大于0的数字，最多两位小数。",
)
def a12_amount(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    valid = ctx.per_distinct(("amount",), lambda text: parse_amount(text) is not None, dtype=np.bool_)
    return rule_.hits(ctx, ctx.present("amount") & ~valid, "amount")


@rule(
    "A13",
    table="aid",
    columns=("amount", "item", "school_year", "term"),
    severity="warning",
    level="cell",
    title="资助金额与标准不符",
    message='资助金额 {amt} 元与"{item}"的标准（每学期 {std} 元）不符，请核对档次。',
)
def a13_standard(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    def standard_text(item_name: str, stage: str, school_year: str, term: str, text: str) -> str:
        item, period, amount = _policy_item(ctx, item_name), row_period(school_year, term), parse_amount(text)
        if item is None or item.local_fee or period is None or amount is None or stage not in item.stages:
            return ""
        amounts = item.amounts_in(period, stage)
        if not amounts or amount in amounts:
            return ""
        return "/".join(amount_text(a) for a in amounts)

    keys = ("item", "stage", "school_year", "term", "amount")
    standards = ctx.per_distinct(keys, standard_text)
    return rule_.hits(
        ctx, standards != "", "amount", amt=ctx.values("amount"), item=ctx.values("item"), std=standards
    )


# ---------------------------------------------------------------- A14–A17 学年、学期、日期


def _school_year_ok(text: str) -> bool:
    match = _SCHOOL_YEAR.fullmatch(text)
    return match is not None and int(match.group(2)) == int(match.group(1)) + 1


@rule(
    "A14",
    table="aid",
    columns=("school_year",),
    severity="error",
    level="cell",
    title="学年格式",
    message='学年应写成"2026-2027"的形式。',
)
def a14_school_year(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    valid = ctx.per_distinct(("school_year",), _school_year_ok, dtype=np.bool_)
    return rule_.hits(ctx, ctx.present("school_year") & ~valid, "school_year")


@rule(
    "A15",
    table="aid",
    columns=("term",),
    severity="error",
    level="cell",
    title="学期无效",
    message='学期应为"秋季学期"或"春季学期"。',
)
def a15_term(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return rule_.hits(ctx, ctx.present("term") & ~ctx.member("term", TERMS), "term")


@rule(
    "A16",
    table="aid",
    columns=("school_year", "term"),
    severity="error",
    level="cell",
    title="学年学期不是本期",
    message="本表正在填报{period}，该行为{school_year}{term}。",
)
def a16_period(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    def other_period(school_year: str, term: str) -> bool:
        period = row_period(school_year, term)
        return period is not None and period != ctx.period

    mask = ctx.per_distinct(("school_year", "term"), other_period, dtype=np.bool_)
    return rule_.hits(
        ctx,
        mask,
        "school_year",
        period=ctx.period.label,
        school_year=year_labels(ctx.values("school_year")[mask]),
        term=ctx.values("term"),
    )


@rule(
    "A24",
    table="aid",
    columns=("holder_relation",),
    severity="error",
    level="cell",
    title="代码值无效",
    message='「{column}」"{value}"不是可选的值，应为：{allowed}。',
)
def a24_other_lists(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    """持卡人与学生关系 has a drop-down list but no rule of its own in rules.md (发放方式 is A21's)."""
    return enum_hits(ctx, rule_)


@rule(
    "A25",
    table="aid",
    columns=("paid_on",),
    severity="error",
    level="cell",
    title="发放日期无效",
    message='发放日期"{value}"不是有效日期，请写成"2026-09-01"的形式。',
)
def a25_paid_on_not_a_date(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    not_a_date = ctx.per_distinct(("paid_on",), lambda text: parse_iso_date(text) is None, dtype=np.bool_)
    bad = ctx.present("paid_on") & not_a_date
    return rule_.hits(ctx, bad, "paid_on", value=ctx.values("paid_on"))


def term_days(period: Period) -> tuple[date, date]:
    """First and last day of a term: 秋季 9-1 … end of February, 春季 3-1 … 8-31."""
    if period.term == TERMS[0]:
        return date(period.start_year, 9, 1), date(period.start_year + 1, 3, 1) - timedelta(days=1)
    return date(period.start_year + 1, 3, 1), date(period.start_year + 1, 8, 31)


@cache
def parse_iso_date(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@rule(
    "A17",
    table="aid",
    columns=("paid_on",),
    severity="warning",
    level="cell",
    title="发放日期不在学期内",
    message="发放日期 {d} 不在{school_year}{term}内或晚于今天。",
)
def a17_paid_on(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    today = ctx.env.today

    def term_of_bad_date(text: str, school_year: str, term: str) -> Period | None:
        """The term the date should lie in, when it does not (a text that is no date is A25's)."""
        period = row_period(school_year, term) or ctx.period
        day = parse_iso_date(text)
        if day is None:
            return None
        first, last = term_days(period)
        return None if first <= day <= min(last, today) else period

    codes, combos = ctx.distinct(("paid_on", "school_year", "term"))
    expected = [term_of_bad_date(*combo) for combo in combos]
    wrong = np.array([period is not None for period in expected], dtype=np.bool_)
    bad = ctx.present("paid_on") & wrong[codes] if len(combos) else np.zeros(ctx.size, dtype=np.bool_)
    terms = [expected[code] for code in codes[bad].tolist()]
    return rule_.hits(
        ctx,
        bad,
        "paid_on",
        d=ctx.values("paid_on"),
        school_year=np.array([f"{p.school_year}学年" for p in terms if p], dtype=object),
        term=np.array([p.term for p in terms if p], dtype=object),
    )


# ---------------------------------------------------------------- A18–A19 账号


def account_views(ctx: Context) -> tuple[Mask, Mask]:
    """(16–19 digits, Luhn passes) for the 账号 column, computed on a digit matrix."""

    def compute() -> tuple[Mask, Mask]:
        shaped = np.zeros(ctx.size, dtype=np.bool_)
        luhn = np.zeros(ctx.size, dtype=np.bool_)
        rows = np.flatnonzero(ctx.present("account_no"))
        matrix, lengths = ctx.chars("account_no", ACCOUNT_MAX)[rows], ctx.lengths("account_no")[rows]
        inside = np.arange(ACCOUNT_MAX)[None, :] < lengths[:, None]
        digit = digits_mask(matrix)
        shaped[rows] = (lengths >= ACCOUNT_MIN) & (lengths <= ACCOUNT_MAX) & (digit | ~inside).all(axis=1)
        luhn[rows] = luhn_ok(np.where(digit & inside, matrix - ord("0"), 0).astype(np.uint8), lengths)
        return shaped, luhn & shaped

    return ctx.memo(("account",), compute)


_LUHN_DOUBLE = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.uint8)


def luhn_ok(digits: npt.NDArray[np.uint8], lengths: Ints) -> Mask:
    """The Luhn check on left-aligned rows of digits (0 beyond each row's length).

    Every second digit from the right is doubled (its digit sum taken): in a left-aligned row of even
    length those are the even columns, of odd length the odd columns. Padding adds 0 either way.
    """
    even, odd = digits[:, 0::2], digits[:, 1::2]
    plain_even, plain_odd = even.sum(axis=1, dtype=np.int64), odd.sum(axis=1, dtype=np.int64)
    doubled_even = _LUHN_DOUBLE[even].sum(axis=1, dtype=np.int64)
    doubled_odd = _LUHN_DOUBLE[odd].sum(axis=1, dtype=np.int64)
    total = np.where(lengths % 2 == 0, doubled_even + plain_odd, plain_even + doubled_odd)
    return np.asarray(total % 10 == 0, dtype=np.bool_)


@rule(
    "A18",
    table="aid",
    columns=("account_no",),
    severity="error",
    level="cell",
    title="账号格式",
    message="银行卡号/一卡通账号应为16至19位数字。",
)
def a18_account(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    shaped, _luhn = account_views(ctx)
    return rule_.hits(ctx, ctx.present("account_no") & ~shaped, "account_no")


@rule(
    "A19",
    table="aid",
    columns=("account_no",),
    severity="warning",
    level="cell",
    title="银行卡校验位",
    message="银行卡号校验位未通过，请核对；部分借记卡不适用此校验，核对无误可确认。",
)
def a19_luhn(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    shaped, luhn = account_views(ctx)
    return rule_.hits(ctx, ctx.present("account_no") & shaped & ~luhn, "account_no")


# ---------------------------------------------------------------- A23 持卡人


@rule(
    "A23",
    table="aid",
    columns=("holder_name", "holder_relation"),
    severity="warning",
    level="cell",
    title="持卡人姓名与学生不同",
    message='持卡人与学生关系为"本人"，但持卡人姓名与学生姓名不同。',
)
def a23_holder(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    is_self = ctx.values("holder_relation") == SELF
    named = ctx.present("holder_name") & ctx.present("name")
    differs = ctx.values("holder_name") != ctx.values("name")
    return rule_.hits(ctx, is_self & named & differs, "holder_name")
