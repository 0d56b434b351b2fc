"""Accounts and reporting periods: creating schools, reviewers and admins, resets, profiles.

Used by the command line (``zizhu-server create-school`` …), the API (profile, periods) and the
admin pages of the reviewer console. Every change is written to the audit log with its actor.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server import audit
from server.audit import Actor
from server.auth import INITIAL_PASSWORD, check_new_password, clear_throttle, hash_password, scope_prefixes
from server.db import Database
from server.errors import ConflictError, InvalidRequestError, NotFoundError
from server.models import ADMIN, REVIEWER, SCHOOL, Account, AuthToken, ReportingPeriod, utc_now

ORG_CODE = re.compile(r"^\d{10}$")
USERNAME = re.compile(r"^[\w.@-]{2,64}$")
SCOPE_PREFIX = re.compile(r"^\d{2}(\d{2}){0,2}$")
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
NAME_LENGTH = 100
CONTACT_NAME_LENGTH = 50
CSV_HEADER = ("机构码", "学校名称", "区划代码")


@dataclass(frozen=True)
class AccountInfo:
    """An account as the admin pages list it (never the password hash)."""

    id: int
    kind: str
    login: str
    name: str
    region_code: str | None
    scope: tuple[str, ...]
    must_change_password: bool
    contact_name: str
    contact_phone: str
    created_at: datetime


@dataclass(frozen=True)
class Profile:
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class SchoolRow:
    """One school to create or update (a line of an import file)."""

    org_code: str
    name: str
    region_code: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class PeriodInfo:
    id: str
    label: str
    school_year: str
    term: str
    deadline: date | None
    is_open: bool


# ---------------------------------------------------------------- checks


@cache
def _county_codes(province: str) -> frozenset[str]:
    from app.models.regions import current_counties

    return frozenset(current_counties(province))


def check_region_code(code: str) -> str:
    """A current county-level region code (GB/T 2260), or InvalidRequestError."""
    code = code.strip()
    if not re.fullmatch(r"\d{6}", code) or code not in _county_codes(code[:2]):
        raise InvalidRequestError(
            f"区划代码“{code}”不是现行的县级行政区划代码（6位数字，如 450102）。", code="bad_region"
        )
    return code


def check_org_code(code: str) -> str:
    code = code.strip()
    if not ORG_CODE.match(code):
        raise InvalidRequestError(f"机构码“{code}”应为10位数字（学校标识码）。", code="bad_org_code")
    return code


def check_name(name: str, what: str = "学校名称") -> str:
    name = name.strip()
    if not name or len(name) > NAME_LENGTH or any(ord(ch) < 32 for ch in name):
        raise InvalidRequestError(f"{what}不能为空，不能超过{NAME_LENGTH}个字。", code="bad_name")
    return name


def check_username(username: str) -> str:
    username = username.strip()
    if not USERNAME.match(username) or ORG_CODE.match(username):
        raise InvalidRequestError(
            f"用户名“{username}”无效：应为2至64个字母、数字、汉字或 . _ @ -，"
            "且不能是10位数字（那是学校的机构码）。",
            code="bad_username",
        )
    return username


def check_scope(prefixes: Iterable[str]) -> tuple[str, ...]:
    """Region-code prefixes of a reviewer (2, 4 or 6 digits: province, city, county)."""
    cleaned = tuple(dict.fromkeys(p.strip() for p in prefixes if p.strip()))
    if not cleaned:
        raise InvalidRequestError("审核范围不能为空：请填写区划代码前缀，如 4501。", code="bad_scope")
    for prefix in cleaned:
        if not SCOPE_PREFIX.match(prefix):
            raise InvalidRequestError(
                f"审核范围“{prefix}”无效：应为2、4或6位区划代码前缀，如 45、4501、450102。", code="bad_scope"
            )
    return cleaned


# ---------------------------------------------------------------- creating accounts


def create_school(db: Database, actor: Actor, org_code: str, name: str, region_code: str) -> AccountInfo:
    """A new school account with the initial password ``aabbcc`` (to be changed at first login)."""
    row = SchoolRow(check_org_code(org_code), check_name(name), check_region_code(region_code))
    password_hash = hash_password(INITIAL_PASSWORD)
    with db.write() as session:
        if _by_login(session, row.org_code) is not None:
            raise ConflictError(f"机构码 {row.org_code} 的学校账号已存在。", code="exists")
        account = _add_school(session, row, password_hash)
        audit.record(session, actor, "school.created", school_id=account.id, details=_school_details(row))
    return _info(account)


def parse_school_csv(data: bytes) -> list[SchoolRow]:
    """The rows of an import file ``机构码,学校名称,区划代码`` (UTF-8, UTF-8 with BOM or GB18030).

    The header line is optional. Raises InvalidRequestError listing every bad line (nothing is imported then).
    """
    text = _decode(data)
    problems: list[str] = []
    rows: list[SchoolRow] = []
    seen: dict[str, int] = {}
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in fields]
        if not any(cells) or (number == 1 and tuple(cells[:3]) == CSV_HEADER):
            continue
        if len(cells) < 3:
            problems.append(f"第{number}行：应有3列（机构码,学校名称,区划代码），实际为{len(cells)}列。")
            continue
        try:
            row = SchoolRow(check_org_code(cells[0]), check_name(cells[1]), check_region_code(cells[2]))
        except InvalidRequestError as exc:
            problems.append(f"第{number}行：{exc.message}")
            continue
        if row.org_code in seen:
            problems.append(f"第{number}行：机构码 {row.org_code} 与第{seen[row.org_code]}行重复。")
            continue
        seen[row.org_code] = number
        rows.append(row)
    if problems:
        raise InvalidRequestError("学校名单有误，未导入任何学校：\n" + "\n".join(problems), code="bad_file")
    if not rows:
        raise InvalidRequestError("学校名单中没有学校。", code="bad_file")
    return rows


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidRequestError("无法识别学校名单的文字编码，请另存为 UTF-8 编码的 CSV 文件。", code="bad_file")


def import_schools(db: Database, actor: Actor, rows: Sequence[SchoolRow]) -> ImportResult:
    """Create the schools that are new and update name/region of those that exist, in one transaction."""
    password_hash = hash_password(INITIAL_PASSWORD)  # one hash for the batch: the same initial password
    created = updated = unchanged = 0
    with db.write() as session:
        existing = {
            account.login: account
            for account in session.scalars(
                sa.select(Account).where(Account.login.in_([row.org_code for row in rows]))
            )
        }
        for row in rows:
            account = existing.get(row.org_code)
            if account is None:
                account = _add_school(session, row, password_hash)
                audit.record(
                    session, actor, "school.created", school_id=account.id, details=_school_details(row)
                )
                created += 1
            elif account.kind != SCHOOL:
                raise ConflictError(f"机构码 {row.org_code} 已被其他账号使用。", code="exists")
            elif (account.name, account.region_code) != (row.name, row.region_code):
                account.name, account.region_code = row.name, row.region_code
                audit.record(
                    session, actor, "school.updated", school_id=account.id, details=_school_details(row)
                )
                updated += 1
            else:
                unchanged += 1
    return ImportResult(created, updated, unchanged)


def create_staff(
    db: Database, actor: Actor, kind: str, username: str, *, password: str, scope: Iterable[str] = ()
) -> AccountInfo:
    """A reviewer (with region-code prefixes) or an admin, with the password given by the admin."""
    if kind not in (REVIEWER, ADMIN):
        raise ValueError(f"not a staff kind: {kind}")
    username = check_username(username)
    prefixes = check_scope(scope) if kind == REVIEWER else ()
    check_new_password(password, login=username, what="密码")
    password_hash = hash_password(password)
    with db.write() as session:
        if _by_login(session, username) is not None:
            raise ConflictError(f"用户名“{username}”已存在。", code="exists")
        account = Account(
            kind=kind,
            login=username,
            name=username,
            region_code=None,
            scope=",".join(prefixes),
            password_hash=password_hash,
            must_change_password=False,
            contact_name="",
            contact_phone="",
            created_at=utc_now(),
        )
        session.add(account)
        session.flush()
        action = "reviewer.created" if kind == REVIEWER else "admin.created"
        audit.record(session, actor, action, details={"username": username, "scope": list(prefixes)})
    return _info(account)


def reset_password(
    db: Database, actor: Actor, *, org_code: str | None = None, username: str | None = None
) -> AccountInfo:
    """Set the password back to ``aabbcc`` with a forced change; ends the account's sessions."""
    if (org_code is None) == (username is None):
        raise InvalidRequestError("请指定机构码或用户名其中之一。")
    login = org_code if org_code is not None else username
    assert login is not None
    password_hash = hash_password(INITIAL_PASSWORD)
    with db.write() as session:
        account = _by_login(session, login.strip())
        if account is None or (account.kind == SCHOOL) != (org_code is not None):
            what = f"机构码为 {login} 的学校" if org_code is not None else f"用户名为“{login}”的"
            raise NotFoundError(f"找不到{what}账号。")
        account.password_hash = password_hash
        account.must_change_password = True
        account.password_changed_at = utc_now()
        session.execute(sa.delete(AuthToken).where(AuthToken.account_id == account.id))
        clear_throttle(session, school=account.kind == SCHOOL, login=account.login)
        audit.record(
            session,
            actor,
            "password.reset",
            school_id=account.id if account.kind == SCHOOL else None,
            details={"login": account.login},
        )
    return _info(account)


def list_accounts(
    db: Database, *, kind: str | None = None, search: str = "", limit: int = 200, offset: int = 0
) -> list[AccountInfo]:
    """Accounts for the admin page, schools by 机构码 then staff by name; ``search`` matches login or name."""
    query = sa.select(Account).order_by(Account.kind, Account.login).limit(limit).offset(offset)
    if kind is not None:
        query = query.where(Account.kind == kind)
    if search:
        pattern = f"%{search}%"
        query = query.where(sa.or_(Account.login.like(pattern), Account.name.like(pattern)))
    with db.read() as session:
        return [_info(account) for account in session.scalars(query)]


def accounts_by_id(db: Database, ids: Iterable[int]) -> dict[int, AccountInfo]:
    """The accounts with these ids (the console's audit page names the schools of its entries)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with db.read() as session:
        return {
            account.id: _info(account)
            for account in session.scalars(sa.select(Account).where(Account.id.in_(wanted)))
        }


def _by_login(session: Session, login: str) -> Account | None:
    return session.scalars(sa.select(Account).where(Account.login == login)).first()


def _add_school(session: Session, row: SchoolRow, password_hash: str) -> Account:
    account = Account(
        kind=SCHOOL,
        login=row.org_code,
        name=row.name,
        region_code=row.region_code,
        scope="",
        password_hash=password_hash,
        must_change_password=True,
        contact_name="",
        contact_phone="",
        created_at=utc_now(),
    )
    session.add(account)
    session.flush()
    return account


def _school_details(row: SchoolRow) -> dict[str, str]:
    return {"org_code": row.org_code, "name": row.name, "region_code": row.region_code}


def _info(account: Account) -> AccountInfo:
    return AccountInfo(
        id=account.id,
        kind=account.kind,
        login=account.login,
        name=account.name,
        region_code=account.region_code,
        scope=scope_prefixes(account.scope),
        must_change_password=account.must_change_password,
        contact_name=account.contact_name,
        contact_phone=account.contact_phone,
        created_at=account.created_at,
    )


# ---------------------------------------------------------------- profile


def get_profile(db: Database, account_id: int) -> Profile:
    with db.read() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise NotFoundError("找不到该账号。")
        return Profile(account.contact_name, account.contact_phone)


def update_profile(
    db: Database, actor: Actor, account_id: int, contact_name: str, contact_phone: str
) -> Profile:
    """Set the 负责人's name and phone (either may be empty); InvalidRequestError for a malformed phone."""
    name, phone = contact_name.strip(), re.sub(r"\s", "", contact_phone)
    if len(name) > CONTACT_NAME_LENGTH or any(ord(ch) < 32 for ch in name):
        raise InvalidRequestError(f"负责人姓名不能超过{CONTACT_NAME_LENGTH}个字。", code="bad_contact")
    if phone and not PHONE.match(phone):
        raise InvalidRequestError(
            f"联系电话“{phone}”格式错误：手机号为11位，座机为“区号-号码”（如 0771-1234567）。",
            code="bad_contact",
        )
    with db.write() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise NotFoundError("找不到该账号。")
        account.contact_name, account.contact_phone = name, phone
        audit.record(
            session,
            actor,
            "profile.updated",
            school_id=account.id if account.kind == SCHOOL else None,
            details={"contact_name": name, "contact_phone": phone},
        )
    return Profile(name, phone)


# ---------------------------------------------------------------- periods


def ensure_period(
    db: Database, actor: Actor, period_id: str, *, deadline: date | None = None, is_open: bool = True
) -> PeriodInfo:
    """Offer a reporting period to schools (or change its deadline / close it)."""
    from app.models.period import Period, PeriodError

    try:
        period = Period.from_id(period_id)
    except PeriodError as exc:
        raise InvalidRequestError(str(exc), code="bad_period") from exc
    with db.write() as session:
        row = session.get(ReportingPeriod, period.id)
        if row is None:
            row = ReportingPeriod(id=period.id, label=period.label, deadline=deadline, is_open=is_open)
            session.add(row)
        elif (row.deadline, row.is_open) == (deadline, is_open):
            return _period_info(row)
        else:
            row.deadline, row.is_open = deadline, is_open
        audit.record(
            session,
            actor,
            "period.updated",
            details={
                "period": period.id,
                "deadline": deadline.isoformat() if deadline else None,
                "is_open": is_open,
            },
        )
    return _period_info(row)


def seed_period(db: Database, actor: Actor, period_id: str) -> None:
    """Offer ``period_id`` (open, no deadline) unless it is known already (``zizhu-server init``)."""
    with db.read() as session:
        if session.get(ReportingPeriod, period_id) is not None:
            return
    ensure_period(db, actor, period_id)


def list_periods(db: Database, *, open_only: bool = True) -> list[PeriodInfo]:
    """Reporting periods, newest first."""
    query = sa.select(ReportingPeriod).order_by(ReportingPeriod.id.desc())
    if open_only:
        query = query.where(ReportingPeriod.is_open.is_(True))
    with db.read() as session:
        return [_period_info(row) for row in session.scalars(query)]


def _period_info(row: ReportingPeriod) -> PeriodInfo:
    from app.models.period import Period

    period = Period.from_id(row.id)
    return PeriodInfo(row.id, period.label, period.school_year, period.term, row.deadline, row.is_open)
