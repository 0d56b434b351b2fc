"""Rules of 在学状态表 (students): S02, S10–S25 of rules.md (S01, S03–S09, S26 are in rules_common)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from types import MappingProxyType

import numpy as np

from app.models.codes import code_list
from app.models.regions import current_counties
from app.validation.arrays import Mask, digits_mask
from app.validation.context import Context
from app.validation.idnumbers import IdKind, for_column, is_error
from app.validation.registry import Hits, Rule, rule
from app.validation.rules_common import duplicates, enum_hits, id_analysis, not_in_list, phone_views

# Usual age of a grade on 31 August of the school year's first year (小学一年级 = 6, 七年级 = 12,
# 高一 and 中职一年级 = 15). S16 warns when the age from the ID number is more than 2 years off.
USUAL_AGE: Mapping[tuple[str, str], int] = MappingProxyType(
    {
        ("学前教育", "小班"): 3,
        ("学前教育", "中班"): 4,
        ("学前教育", "大班"): 5,
        **{
            ("小学", grade): 6 + n
            for n, grade in enumerate(("一年级", "二年级", "三年级", "四年级", "五年级", "六年级"))
        },
        **{("初中", grade): 12 + n for n, grade in enumerate(("七年级", "八年级", "九年级"))},
        **{("普通高中", grade): 15 + n for n, grade in enumerate(("高一", "高二", "高三"))},
        **{("中等职业教育", grade): 15 + n for n, grade in enumerate(("一年级", "二年级", "三年级"))},
    }
)
AGE_TOLERANCE = 2
AGE_REFERENCE_DAY = 831  # 31 August, as mmdd
SELF = "本人"
STUDENT_NO_WIDTH = 19
# S25: a phone shared by more households than this is suspicious.
MAX_HOUSEHOLDS_PER_PHONE = 3

# Characters of a name (S02): CJK ideographs (basic, extension A, compatibility, extensions B–H),
# the middle dot of minority names and 〇.
_NAME_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))
_NAME_SIGNS = (0x00B7, 0x3007)
NAME_MIN, NAME_MAX = 2, 30


# ---------------------------------------------------------------- S02 姓名


@rule(
    "S02",
    table="students",
    columns=("name",),
    severity="error",
    level="cell",
    title="姓名含不允许的字符",
    message='姓名"{value}"含数字、字母、空格等不允许的字符。',
)
def s02_name(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    lengths = ctx.lengths("name")
    matrix = ctx.chars("name", NAME_MAX)
    allowed = matrix == 0
    for low, high in _NAME_RANGES:
        allowed |= (matrix >= low) & (matrix <= high)
    for sign in _NAME_SIGNS:
        allowed |= matrix == sign
    # Longer than 30 is S26's finding, not a wrong character.
    bad = ctx.present("name") & (lengths <= NAME_MAX) & (~allowed.all(axis=1) | (lengths < NAME_MIN))
    return rule_.hits(ctx, bad, "name", value=ctx.values("name"))


# ---------------------------------------------------------------- S10 / S19 duplicates


@rule(
    "S10",
    table="students",
    columns=("id_number",),
    severity="error",
    level="table",
    title="身份证号重复",
    message="身份证号 {id} 在本表重复（第{rows}行）。",
)
def s10_duplicate_id(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    codes, _ = ctx.factorized("id_number")
    positions, rows = duplicates(ctx, codes, ctx.present("id_number"))
    return rule_.hits(ctx, positions, "id_number", id=ctx.values("id_number"), rows=rows)


@rule(
    "S19",
    table="students",
    columns=("student_no",),
    severity="error",
    level="table",
    title="学籍号重复",
    message="学籍号 {v} 在本表重复（第{rows}行）。",
)
def s19_duplicate_student_no(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    codes, _ = ctx.factorized("student_no")
    positions, rows = duplicates(ctx, codes, ctx.present("student_no"))
    return rule_.hits(ctx, positions, "student_no", v=ctx.values("student_no"), rows=rows)


# ---------------------------------------------------------------- enums


@rule(
    "S11",
    table="students",
    columns=("gender",),
    severity="error",
    level="cell",
    title="性别无效",
    message='性别只能填"男"或"女"。',
)
def s11_gender(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return rule_.hits(ctx, not_in_list(ctx, "gender"), "gender")


@rule(
    "S12",
    table="students",
    columns=("gender", "id_number"),
    severity="error",
    level="cell",
    title="性别与身份证号不符",
    message="性别与身份证号不符（身份证号显示为{sex}）。",
)
def s12_gender_vs_id(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    ids = id_analysis(ctx, "id_number")
    gender = ctx.values("gender")
    male, female = gender == "男", gender == "女"
    from_id = ids.is_male()
    wrong = (ids.kind == IdKind.OK) & ((male & ~from_id) | (female & from_id))
    return rule_.hits(ctx, wrong, "gender", sex=np.where(from_id, "男", "女").astype(object))


@rule(
    "S13",
    table="students",
    columns=("ethnicity",),
    severity="error",
    level="cell",
    title="民族无效",
    message='民族"{value}"不是国家标准民族名称。',
)
def s13_ethnicity(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return rule_.hits(ctx, not_in_list(ctx, "ethnicity"), "ethnicity", value=ctx.values("ethnicity"))


@rule(
    "S14",
    table="students",
    columns=("stage",),
    severity="error",
    level="cell",
    title="学段无效",
    message='学段"{value}"无效，应为：学前教育、小学、初中、普通高中、中等职业教育。',
)
def s14_stage(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return rule_.hits(ctx, not_in_list(ctx, "stage"), "stage", value=ctx.values("stage"))


def _grade_fits(stage: str, grade: str) -> bool:
    return grade in code_list("grade").values_for_stage(stage)


@rule(
    "S15",
    table="students",
    columns=("grade", "stage"),
    severity="error",
    level="cell",
    title="年级与学段不符",
    message='{stage}没有"{grade}"。',
)
def s15_grade(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    stage_known = ctx.member("stage", code_list("stage").values)
    fits = ctx.per_distinct(("stage", "grade"), _grade_fits, dtype=np.bool_)
    wrong = stage_known & ctx.present("grade") & ~fits
    return rule_.hits(ctx, wrong, "grade", stage=ctx.values("stage"), grade=ctx.values("grade"))


def _usual_age(stage: str, grade: str) -> int:
    return USUAL_AGE.get((stage, grade), -1)


@rule(
    "S16",
    table="students",
    columns=("grade", "id_number"),
    severity="warning",
    level="cell",
    title="年龄与年级不符",
    message="按身份证号出生日期，该生{age}岁，与{stage}{grade}不相符，请核对。",
)
def s16_age(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    ids = id_analysis(ctx, "id_number")
    usual = ctx.per_distinct(("stage", "grade"), _usual_age, dtype=np.int64)
    birth = ids.birth_numbers()
    age = ctx.period.start_year - birth // 10000 - (birth % 10000 > AGE_REFERENCE_DAY).astype(np.int64)
    off = (ids.kind == IdKind.OK) & (usual >= 0) & (np.abs(age - usual) > AGE_TOLERANCE)
    return rule_.hits(ctx, off, "grade", age=age, stage=ctx.values("stage"), grade=ctx.values("grade"))


# ---------------------------------------------------------------- S17–S18 学籍号


def student_no_valid(ctx: Context) -> Mask:
    """``^G\\d{17}[\\dX]$``, ``^J\\d{17}[\\dX]$`` or ``^L\\d{18}$`` on the 学籍号 column."""

    def compute() -> Mask:
        matrix = ctx.chars("student_no", STUDENT_NO_WIDTH)
        digit = digits_mask(matrix)
        first, body = matrix[:, 0], digit[:, 1:18].all(axis=1)
        last_digit, last_x = digit[:, 18], matrix[:, 18] == ord("X")
        id_like = ((first == ord("G")) | (first == ord("J"))) & body & (last_digit | last_x)
        temporary = (first == ord("L")) & body & last_digit
        return np.asarray(
            (ctx.lengths("student_no") == STUDENT_NO_WIDTH) & (id_like | temporary), dtype=np.bool_
        )

    return ctx.memo(("student_no_valid",), compute)


@rule(
    "S17",
    table="students",
    columns=("student_no",),
    severity="error",
    level="cell",
    title="学籍号格式",
    message="学籍号格式错误：应为 G、J 或 L 加18位，共19位。",
)
def s17_student_no(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return rule_.hits(ctx, ctx.present("student_no") & ~student_no_valid(ctx), "student_no")


@rule(
    "S18",
    table="students",
    columns=("student_no", "id_number"),
    severity="warning",
    level="cell",
    title="学籍号与身份证号不一致",
    message='学籍号与"G+身份证号"不一致，请核对。',
)
def s18_student_no_vs_id(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    number = ctx.chars("student_no", STUDENT_NO_WIDTH)
    ids = ctx.chars("id_number", 18)
    g_type = student_no_valid(ctx) & (number[:, 0] == ord("G"))
    differs = (number[:, 1:] != ids).any(axis=1) | (ctx.lengths("id_number") != 18)
    return rule_.hits(ctx, g_type & ctx.present("id_number") & differs, "student_no")


# ---------------------------------------------------------------- S20–S21


@rule(
    "S20",
    table="students",
    columns=("status",),
    severity="error",
    level="cell",
    title="在学状态无效",
    message='在学状态"{value}"无效。',
)
def s20_status(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    return rule_.hits(ctx, not_in_list(ctx, "status"), "status", value=ctx.values("status"))


@rule(
    "S27",
    table="students",
    columns=("boarding", "hardship", "relation"),
    severity="error",
    level="cell",
    title="代码值无效",
    message='「{column}」"{value}"不是可选的值，应为：{allowed}。',
)
def s27_other_lists(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    """是否寄宿, 困难类型 and 与户主关系 have drop-down lists but no rule of their own in rules.md."""
    return enum_hits(ctx, rule_)


@cache
def county_values(province_code: str) -> frozenset[str]:
    """What 户籍所在县(区) accepts: a current county code, alone or as displayed ("450102 兴宁区")."""
    counties = current_counties(province_code)
    return frozenset(counties) | frozenset(f"{code} {name}" for code, name in counties.items())


@rule(
    "S21",
    table="students",
    columns=("household_region",),
    severity="error",
    level="cell",
    title="户籍所在县无效",
    message='户籍所在县(区)"{value}"不是有效的县级行政区划。',
)
def s21_region(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    key = "household_region"
    wrong = ctx.present(key) & ~ctx.member(key, county_values(ctx.policy.province_code))
    return rule_.hits(ctx, wrong, key, value=ctx.values(key))


# ---------------------------------------------------------------- S22–S23 户主


_HOLDER_LEGACY = "为15位旧号码（升级后为 {id18}），请核对"


@rule(
    "S22",
    table="students",
    columns=("householder_id",),
    severity="error",
    level="cell",
    title="户主身份证号",
    message="户主身份证号{problem}。",
)
def s22_householder_id(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    key = "householder_id"
    ids = id_analysis(ctx, key)
    # X03 reports a truncated number; a legacy number is a warning unless its date or province is wrong.
    kinds = np.where(ids.kind == IdKind.LEGACY, ids.legacy_kind, ids.kind)
    legacy_ok = (ids.kind == IdKind.LEGACY) & (ids.legacy_kind == IdKind.OK)
    errors = np.flatnonzero(is_error(kinds))
    found = rule_.hits(
        ctx, errors, key, problem=_problems(ids.messages(errors, kinds[errors]), ctx.header(key))
    )
    upgrades = np.flatnonzero(legacy_ok)
    problem = np.array(
        [_HOLDER_LEGACY.format(id18=text) for text in ids.text(upgrades).tolist()], dtype=object
    )
    return found + rule_.hits(ctx, upgrades, key, severity="warning", problem=problem)


def _problems(messages: np.ndarray, header: str) -> np.ndarray:
    """ "身份证号中的出生日期 … 无效。" → "中的出生日期 … 无效" (the part after the column's name)."""
    cut = len(header)
    return np.array([for_column(m, header)[cut:].rstrip("。") for m in messages.tolist()], dtype=object)


@rule(
    "S23",
    table="students",
    columns=("relation", "id_number", "householder_id"),
    severity="error",
    level="cell",
    title="与户主关系矛盾",
    message="与户主关系与户主身份证号矛盾。",
)
def s23_relation(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    relation = ctx.values("relation")
    both = ctx.present("id_number") & ctx.present("householder_id") & ctx.present("relation")
    same = ctx.values("id_number") == ctx.values("householder_id")
    is_self = relation == SELF
    return rule_.hits(ctx, both & (is_self != same), "relation")


# ---------------------------------------------------------------- S24–S25 电话


@rule(
    "S24",
    table="students",
    columns=("guardian_phone",),
    severity="error",
    level="cell",
    title="联系电话格式",
    message='联系电话"{value}"格式错误：手机号为11位，座机为"区号-号码"。',
)
def s24_phone(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    key = "guardian_phone"
    _matrix, _lengths, valid = phone_views(ctx, key)
    return rule_.hits(ctx, ctx.present(key) & ~valid, key, value=ctx.values(key))


@rule(
    "S25",
    table="students",
    columns=("guardian_phone",),
    severity="warning",
    level="table",
    title="电话被多个家庭使用",
    message="电话 {v} 被{n}个不同家庭的学生使用，请核对。",
)
def s25_shared_phone(ctx: Context, rule_: Rule) -> Iterable[Hits]:
    key = "guardian_phone"
    rows = np.flatnonzero(ctx.present(key) & ctx.present("householder_id"))
    phones, _ = ctx.factorized(key)
    households, _ = ctx.factorized("householder_id")
    phone, household = phones[rows], households[rows]
    base = int(households.max(initial=0)) + 1
    pairs = np.unique(phone * base + household)  # one entry per (phone, household)
    per_phone = np.bincount(pairs // base, minlength=int(phones.max(initial=0)) + 1)
    counts = per_phone[phone]
    shared = counts > MAX_HOUSEHOLDS_PER_PHONE
    return rule_.hits(ctx, rows[shared], key, v=ctx.values(key)[rows[shared]], n=counts[shared])
