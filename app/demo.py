"""Demo data: a realistic school's 在学状态表 and 学生资助表 that pass every rule of rules.md.

Used by the tests, the benchmarks, ``zizhu demo`` and ``make run``. The data is made household by
household (1–3 students share a householder, phone and bank account), every number is valid
(GB 11643 check digits, Luhn card numbers), ID address codes are those in use in the birth year
(so old codes such as 450127 横县 or 452xxx appear, as in real data), ages fit the grades, and the
aid rows follow the policy file for the period. Everything comes from one seeded random generator,
so a seed always gives the same data.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Generic, TypeVar

from stdnum import luhn
from stdnum.cn import ric

from app.files.exporter import ExportError, export_table
from app.models.codes import code_list
from app.models.period import Period
from app.models.policy import AidItem, Policy, default_policy
from app.models.regions import codes_in_use, current_counties, historical_codes
from app.models.schema import TableKey, table_schema

T = TypeVar("T")
# Per 学段: the aid items in force with their per-term amounts.
_StageItems = dict[str, tuple[tuple[AidItem, tuple[Decimal, ...]], ...]]


class _Weighted(Generic[T]):
    """Values drawn with fixed weights (a bisect over cumulative weights: fast for 100,000 draws)."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values = tuple(value for value, _ in pairs)
        self.cumulative = tuple(accumulate(weight for _, weight in pairs))

    def draw(self, rng: random.Random) -> T:
        return self.values[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


PROVINCE = "45"
STUDENTS_FILE = "在学状态表.xlsx"
AID_FILE = "学生资助表.xlsx"

# Age on 31 August of the school year's first year in the first grade of each 学段.
FIRST_GRADE_AGE = {"学前教育": 3, "小学": 6, "初中": 12, "普通高中": 15, "中等职业教育": 15}
STAGES = _Weighted((("学前教育", 15), ("小学", 40), ("初中", 22), ("普通高中", 13), ("中等职业教育", 10)))
# Most students are the usual age; some started a year late or early, or repeated a year.
AGE_OFFSETS = _Weighted(((0, 85), (1, 12), (-1, 3)))
HOUSEHOLD_SIZES = _Weighted(((1, 55), (2, 33), (3, 12)))
BOARDING_SHARE = {"学前教育": 0.0, "小学": 0.25, "初中": 0.6, "普通高中": 0.85, "中等职业教育": 0.7}
HOUSEHOLDER_BORN = (1965, 1992)
PARENT_AGE_GAP = (20, 40)
GRANDPARENT_AGE_GAP = (42, 65)
SIBLING_SPREAD = 8  # years between the oldest and the youngest student of a household

# Guangxi surnames first (韦 黄 覃 蒙 莫 陆 are far more common there than nationally).
SURNAMES = _Weighted(
    (
    ("韦", 9), ("黄", 10), ("覃", 6), ("蒙", 4), ("莫", 4), ("陆", 4), ("李", 7), ("梁", 5), ("陈", 5),
    ("刘", 4), ("罗", 4), ("卢", 3), ("农", 3), ("蓝", 3), ("潘", 3), ("杨", 3), ("周", 2), ("谢", 2),
    ("廖", 2), ("吴", 2), ("何", 2), ("张", 3), ("王", 3), ("邓", 2), ("唐", 2), ("欧阳", 1), ("司马", 1),
    )
)  # fmt: skip
GIVEN_MALE = "伟俊杰浩宇轩明文强华志建海涛鹏辉超斌军勇林峰磊晨昊宏德光荣福贵生"
GIVEN_FEMALE = "芳娟丽敏静婷燕玲秀兰霞红梅琳雪雅欣怡佳慧美萍春月桂凤莲妹英菊"
ETHNICITIES = _Weighted(
    (
    ("汉族", 44), ("壮族", 42), ("瑶族", 5), ("苗族", 3), ("侗族", 3),
    ("仫佬族", 1), ("毛南族", 1), ("京族", 1),
    )
)  # fmt: skip
HARDSHIPS = _Weighted(
    (
    ("脱贫户(建档立卡)", 60), ("防返贫监测对象", 10), ("农村低保", 12), ("农村特困供养", 3),
    ("孤儿", 2), ("残疾", 5), ("其他家庭经济困难", 8),
    )
)  # fmt: skip
STATUSES = _Weighted((("在读", 94), ("送教上门", 1), ("休学", 2.5), ("转出", 2.5)))
IN_SCHOOL = ("在读", "送教上门")
ACCOUNT_PAYOUTS = ("一卡通", "银行卡")
REMARKS = ("父母外出务工", "留守儿童", "单亲家庭", "随迁子女")
# Guangxi area codes: 南宁 柳州 桂林 梧州/贺州 玉林/贵港 百色 钦州 河池 北海.
AREA_CODES = ("0771", "0772", "0773", "0774", "0775", "0776", "0777", "0778", "0779")
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182",
    "183", "184", "185", "186", "187", "188", "189", "191", "195", "198", "199",
)  # fmt: skip
# (bank, card prefix, number length): the 一卡通 of 惠民惠农 subsidies is mostly a 农信/农行 account.
ONE_CARD_BANKS = (("广西农村信用社", "621459", 19), ("中国农业银行", "622848", 19))
BANK_CARD_BANKS = (
    ("中国农业银行", "622848", 19), ("中国邮政储蓄银行", "621799", 19), ("中国建设银行", "621700", 19),
    ("中国工商银行", "622202", 19), ("桂林银行", "622856", 16), ("广西北部湾银行", "623160", 16),
)  # fmt: skip
# A school charges one fee per local-fee item; these are plausible Guangxi per-term fees.
LOCAL_FEES = {"学前教育": (600, 750, 900), "普通高中": (800, 950, 1100), "中等职业教育": (1000, 1200)}
NON_BOARDING_MARK = "非寄宿"  # the 非寄宿生生活补助 excludes the 寄宿生 one (rule A10)
# Items a student gets only sometimes, with the share, and the 困难类型 that qualify.
OPTIONAL_ITEMS = {"雨露计划职业教育补助": (0.5, ("脱贫户(建档立卡)", "防返贫监测对象"))}
HOME_COUNTIES = 4  # a school's students come mostly from a few counties
HOME_SHARE = 0.85
BIRTHPLACE_SHARE = 0.85  # IDs issued in the household's county when that code existed then


@dataclass(frozen=True)
class DemoData:
    """The two tables as rows of {column key: text}, every schema key present."""

    students: list[dict[str, str]]
    aid: list[dict[str, str]]


@dataclass
class _Household:
    name: str
    id_number: str
    is_grandparent: bool
    maternal: bool  # a maternal grandparent: the students are 外孙子/外孙女
    is_male: bool
    child_surname: str
    region: str
    phone: str
    ethnicity: str
    hardship: str
    payout: str
    bank: str
    account_no: str


class _Generator:
    """One seeded run: the random source, the school's constants and the numbers already used."""

    def __init__(self, period: Period, seed: int) -> None:
        self.period = period
        self.start_year = period.start_year
        self.rng = random.Random(seed)
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_accounts: set[str] = set()
        self.all_counties = tuple(current_counties(PROVINCE))
        self.home_counties = tuple(self.rng.sample(self.all_counties, HOME_COUNTIES))
        self.fees: dict[str, Decimal] = {}
        self.pay_dates: dict[str, tuple[str, ...]] = {}
        self.items = _items_in_force(default_policy(), period)
        self.grades = {stage: code_list("grade").values_for_stage(stage) for stage in FIRST_GRADE_AGE}

    # ---------------------------------------------------------------- people

    def name(self, is_male: bool, surname: str) -> str:
        pool = GIVEN_MALE if is_male else GIVEN_FEMALE
        given = "".join(self.rng.choice(pool) for _ in range(self.rng.choice((1, 2, 2, 2))))
        return surname + given

    def id_number(self, born: date, is_male: bool, home_region: str) -> str:
        """A valid 18-digit number, with an address code that was in use in the birth year."""
        codes = _address_codes(born.year)
        prefer_home = home_region in codes and self.rng.random() < BIRTHPLACE_SHARE
        while True:
            code = home_region if prefer_home else self.rng.choice(codes)
            # The 17th digit is odd for men, even for women (GB 11643).
            sequence = self.rng.randrange(500) * 2 + (1 if is_male else 0)
            body = f"{code}{born.year:04d}{born.month:02d}{born.day:02d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
            prefer_home = False  # that county/day is crowded: take another county

    def birth_date(self, age: int) -> date:
        """A day of birth that makes the student ``age`` on 31 August of the school year."""
        first = date(self.start_year - age - 1, 9, 1)
        days = (date(self.start_year - age, 9, 1) - first).days
        return first + timedelta(days=self.rng.randrange(days))

    def phone(self) -> str:
        while True:
            if self.rng.random() < 0.15:
                local = f"{self.rng.randint(2, 8)}{self.rng.randrange(10**6):06d}"
                phone = f"{self.rng.choice(AREA_CODES)}-{local}"
            else:
                phone = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def account(self, prefix: str, length: int) -> str:
        while True:
            digits = length - len(prefix) - 1
            body = f"{prefix}{self.rng.randrange(10**digits):0{digits}d}"
            number = body + luhn.calc_check_digit(body)
            if number not in self.used_accounts:
                self.used_accounts.add(number)
                return number

    def region(self) -> str:
        if self.rng.random() < HOME_SHARE:
            return self.rng.choice(self.home_counties)
        return self.rng.choice(self.all_counties)

    # ---------------------------------------------------------------- households

    def household(self, size: int) -> tuple[_Household, list[dict[str, str]]]:
        """A householder and their ``size`` students, who share phone, region and bank account."""
        hardship = HARDSHIPS.draw(self.rng)
        # Orphans live with their grandparents; otherwise a parent is usually the householder.
        is_grandparent = hardship == "孤儿" or self.rng.random() < 0.15
        maternal = is_grandparent and self.rng.random() < 0.2
        placements = self.placements(size)
        born_years = [self.start_year - age for _, _, age in placements]
        householder_year = self.householder_year(min(born_years), max(born_years), is_grandparent)
        householder_born = date(householder_year, 1, 1) + timedelta(days=self.rng.randrange(365))
        is_male = self.rng.random() < (0.7 if is_grandparent else 0.75)
        surname = SURNAMES.draw(self.rng)
        # Children carry the father's surname: the householder's only when he is the father's line.
        child_surname = surname if is_male and not maternal else SURNAMES.draw(self.rng)
        region = self.region()
        one_card = self.rng.random() < 0.7
        bank, prefix, length = self.rng.choice(ONE_CARD_BANKS if one_card else BANK_CARD_BANKS)
        home = _Household(
            name=self.name(is_male, surname),
            id_number=self.id_number(householder_born, is_male, region),
            is_grandparent=is_grandparent,
            maternal=maternal,
            is_male=is_male,
            child_surname=child_surname,
            region=region,
            phone=self.phone(),
            ethnicity=ETHNICITIES.draw(self.rng),
            hardship=hardship,
            payout="一卡通" if one_card else "银行卡",
            bank=bank,
            account_no=self.account(prefix, length),
        )
        return home, [self.student(home, stage, grade, age) for stage, grade, age in placements]

    def placements(self, size: int) -> list[tuple[str, str, int]]:
        """(学段, 年级, age) of the household's students, siblings at most SIBLING_SPREAD apart."""
        first = self.placement()
        chosen = [first]
        for _ in range(size - 1):
            for _attempt in range(10):
                candidate = self.placement()
                if abs(candidate[2] - first[2]) <= SIBLING_SPREAD:
                    chosen.append(candidate)
                    break
        return chosen

    def placement(self) -> tuple[str, str, int]:
        stage = STAGES.draw(self.rng)
        grades = self.grades[stage]
        index = self.rng.randrange(len(grades))
        # Most students are the usual age; some started a year late or early, or repeated a year.
        offset = AGE_OFFSETS.draw(self.rng)
        return stage, grades[index], FIRST_GRADE_AGE[stage] + index + offset

    def householder_year(self, oldest_born: int, youngest_born: int, is_grandparent: bool) -> int:
        low_gap, high_gap = GRANDPARENT_AGE_GAP if is_grandparent else PARENT_AGE_GAP
        low, high = youngest_born - high_gap, oldest_born - low_gap
        clamped = max(low, HOUSEHOLDER_BORN[0]), min(high, HOUSEHOLDER_BORN[1])
        if clamped[0] <= clamped[1]:
            low, high = clamped
        return self.rng.randint(low, max(low, high))

    def student(self, home: _Household, stage: str, grade: str, age: int) -> dict[str, str]:
        is_male = self.rng.random() < 0.52
        born = self.birth_date(age)
        id_number = self.id_number(born, is_male, home.region)
        status = STATUSES.draw(self.rng)
        if status == "送教上门" and stage not in ("小学", "初中"):
            status = "在读"
        boarding = status != "送教上门" and self.rng.random() < BOARDING_SHARE[stage]
        has_student_no = stage != "学前教育" or self.rng.random() < 0.6
        if home.maternal:
            relation = "外孙子" if is_male else "外孙女"
        elif home.is_grandparent:
            relation = "孙子" if is_male else "孙女"
        else:
            relation = "子" if is_male else "女"
        remark = "送教上门" if status == "送教上门" else ""
        if not remark and self.rng.random() < 0.05:
            remark = self.rng.choice(REMARKS)
        return {
            "name": self.name(is_male, home.child_surname),
            "gender": "男" if is_male else "女",
            "id_number": id_number,
            "ethnicity": home.ethnicity,
            "stage": stage,
            "grade": grade,
            "class_name": f"{self.rng.randint(1, 8)}班",
            "student_no": "G" + id_number if has_student_no else "",
            "status": status,
            "boarding": "是" if boarding else "否",
            "hardship": home.hardship,
            "household_region": home.region,
            "householder_name": home.name,
            "householder_id": home.id_number,
            "relation": relation,
            "guardian_phone": home.phone,
            "remark": remark,
        }

    # ---------------------------------------------------------------- aid

    def aid_rows(self, student: dict[str, str], home: _Household) -> list[dict[str, str]]:
        if student["status"] not in IN_SCHOOL:
            return []
        return [
            self.aid_row(item, amounts, student, home)
            for item, amounts in self.items.get(student["stage"], ())
            if self.entitled(item, student)
        ]

    def entitled(self, item: AidItem, student: dict[str, str]) -> bool:
        if item.grades and student["grade"] not in item.grades:
            return False
        boards = student["boarding"] == "是"
        # 寄宿生 and 非寄宿生 living allowances exclude each other (rules A10/A11).
        if (item.boarding_only and not boards) or (NON_BOARDING_MARK in item.name and boards):
            return False
        optional = OPTIONAL_ITEMS.get(item.name)
        if optional is None:
            return True
        share, hardships = optional
        return student["hardship"] in hardships and self.rng.random() < share

    def aid_row(
        self, item: AidItem, amounts: tuple[Decimal, ...], student: dict[str, str], home: _Household
    ) -> dict[str, str]:
        payout = home.payout if home.payout in item.payout else item.payout[0]
        with_account = payout in ACCOUNT_PAYOUTS
        amount = self.local_fee(item, student["stage"]) if item.local_fee else self.rng.choice(amounts)
        return {
            "name": student["name"],
            "id_number": student["id_number"],
            "stage": student["stage"],
            "item": item.name,
            "school_year": self.period.school_year,
            "term": self.period.term,
            "amount": f"{amount:.2f}",
            "payout": payout,
            "account_no": home.account_no if with_account else "",
            "bank": home.bank if with_account else "",
            "holder_name": home.name if with_account else "",
            "holder_relation": _holder_relation(home) if with_account else "",
            "paid_on": "" if payout == "直接减免" else self.rng.choice(self.dates_for(item.name)),
            "remark": "",
        }

    def local_fee(self, item: AidItem, stage: str) -> Decimal:
        """The school's own fee for an item: one figure for the whole school."""
        if item.name not in self.fees:
            self.fees[item.name] = Decimal(self.rng.choice(LOCAL_FEES.get(stage, (900,))))
        return self.fees[item.name]

    def dates_for(self, item_name: str) -> tuple[str, ...]:
        """The one or two days the school paid an item on (a payout is a batch, not per student)."""
        if item_name not in self.pay_dates:
            first, last = _payout_window(self.period, date.today())
            span = (last - first).days + 1
            days = sorted({first + timedelta(days=self.rng.randrange(span)) for _ in range(2)})
            self.pay_dates[item_name] = tuple(day.isoformat() for day in days)
        return self.pay_dates[item_name]


def _items_in_force(
    policy: Policy, period: Period
) -> dict[str, tuple[tuple[AidItem, tuple[Decimal, ...]], ...]]:
    """Per 学段, the items in force in ``period`` (rule A22) with their per-term amounts.

    An item without amounts for the 学段 is left out unless its amount is a local fee.
    """
    in_force: _StageItems = {}
    for stage in FIRST_GRADE_AGE:
        in_force[stage] = tuple(
            (item, item.amounts_in(period, stage))
            for item in policy.items_for_stage(stage)
            if item.standard_in(period) is not None and (item.local_fee or item.amounts_in(period, stage))
        )
    return in_force


def _holder_relation(home: _Household) -> str:
    if not home.is_grandparent:
        return "父亲" if home.is_male else "母亲"
    return "外祖父母" if home.maternal else "祖父母"


@cache
def _address_codes(year: int) -> tuple[str, ...]:
    # Only codes that rule S08 knows (in use at some time since 1980).
    known = historical_codes()
    return tuple(code for code in codes_in_use(PROVINCE, year) if code in known)


def _term_bounds(period: Period) -> tuple[date, date]:
    start = period.start_year
    if period.term == "秋季学期":
        return date(start, 9, 1), date(start + 1, 3, 1) - timedelta(days=1)
    return date(start + 1, 3, 1), date(start + 1, 8, 31)


def _payout_window(period: Period, today: date) -> tuple[date, date]:
    """Days on which the school plausibly paid: the first two months of the term, never after today.

    For a term that has not started yet the term's first day is used; rule A17 then warns that
    the date is in the future, which is what real data entered ahead of time would get too.
    """
    term_start, _term_end = _term_bounds(period)
    first, last = term_start + timedelta(days=9), term_start + timedelta(days=60)
    if today < first:
        return (term_start, today) if today >= term_start else (term_start, term_start)
    return first, min(last, today)


def generate(students: int, period: Period, seed: int = 1) -> DemoData:
    """``students`` 在学状态表 rows for ``period`` and their 学生资助表 rows (~1.8 per student).

    The same arguments give the same data. Payout dates lie in the term's first two months and never
    after today, so only while today is inside that window can a later day move some of them.
    """
    generator = _Generator(period, seed)
    student_rows: list[dict[str, str]] = []
    aid_rows: list[dict[str, str]] = []
    while len(student_rows) < students:
        size = min(students - len(student_rows), HOUSEHOLD_SIZES.draw(generator.rng))
        home, home_rows = generator.household(size)
        student_rows.extend(home_rows)
        for row in home_rows:
            aid_rows.extend(generator.aid_rows(row, home))
    return DemoData(students=student_rows, aid=aid_rows)


def _table_rows(table: TableKey, rows: list[dict[str, str]]) -> list[list[str]]:
    keys = table_schema(table).keys
    return [[row[key] for key in keys] for row in rows]


def write_demo(out_dir: Path, students: int, period: Period, seed: int = 1) -> tuple[Path, Path]:
    """Write 在学状态表.xlsx and 学生资助表.xlsx of generated data into ``out_dir`` (created if needed).

    Raises app.files.exporter.ExportError when a file cannot be written.
    """
    data = generate(students, period, seed)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"无法创建文件夹“{out_dir}”，请换一个保存位置。") from exc
    students_path, aid_path = out_dir / STUDENTS_FILE, out_dir / AID_FILE
    export_table(students_path, "students", _table_rows("students", data.students))
    export_table(aid_path, "aid", _table_rows("aid", data.aid))
    return students_path, aid_path
