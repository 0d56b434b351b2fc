"""The admin's pages: accounts (list, create schools and staff, import a school list, reset
passwords) and the whole audit log. Reviewers who are not admins get a 403 page.

Every change goes through ``server.accounts``, which writes the audit entry with the admin as actor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from server import accounts, audit
from server.console.web import (
    KIND_LABELS,
    PREFIX,
    ConsoleRoute,
    ConsoleUser,
    PageError,
    admin_user,
    clean,
    client_address,
    form_file,
    form_text,
    get_db,
    posted_form,
    redirect,
    render,
)
from server.db import Database
from server.errors import InvalidRequestError, ServiceError
from server.models import ADMIN, REVIEWER, SCHOOL

ACCOUNTS_PAGE_SIZE = 100
AUDIT_PAGE_SIZE = 100
MAX_CSV_BYTES = 5 * 1024 * 1024
KINDS = (SCHOOL, REVIEWER, ADMIN)

router = APIRouter(prefix=f"{PREFIX}/admin", route_class=ConsoleRoute, include_in_schema=False)

DbDep = Annotated[Database, Depends(get_db)]
AdminDep = Annotated[ConsoleUser, Depends(admin_user)]
ShortText = Annotated[str, Query(max_length=100)]
PageNumber = Annotated[int, Query(ge=1, le=10_000_000)]


async def admin_form(form: Annotated[FormData, Depends(posted_form)], _user: AdminDep) -> FormData:
    """A form posted by an admin (CSRF checked)."""
    return form


FormDep = Annotated[FormData, Depends(admin_form)]


@dataclass
class AccountForms:
    """What the admin typed into the account forms (shown again when one was refused)."""

    school: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    failed: str = ""  # which form the error belongs to: school / import / staff / reset


def _done_message(done: str, who: str, counts: tuple[int, int, int]) -> str:
    messages = {
        "school": f"已新建学校账号 {who}，初始密码为 aabbcc，首次登录须修改。",
        "reviewer": f"已新建审核员账号“{who}”。",
        "admin": f"已新建管理员账号“{who}”。",
        "reset": f"已把 {who} 的密码重置为 aabbcc，下次登录须修改；该账号的登录状态已全部失效。",
        "import": "学校名单已导入：新建 {} 所，更新 {} 所，{} 所没有变化。".format(*counts),
    }
    return messages.get(done, "")


# ---------------------------------------------------------------- accounts


@router.get("/accounts")
def accounts_page(
    *,
    user: AdminDep,
    db: DbDep,
    kind: ShortText = SCHOOL,
    q: ShortText = "",
    page: PageNumber = 1,
    done: ShortText = "",
    who: ShortText = "",
    created: Annotated[int, Query(ge=0)] = 0,
    updated: Annotated[int, Query(ge=0)] = 0,
    unchanged: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Accounts of one kind (search by 机构码, user name or name) and the forms to add accounts."""
    notice = _done_message(done, who, (created, updated, unchanged))
    return _accounts_response(db, user, kind, clean(q).strip(), page, notice=notice)


def _accounts_response(
    db: Database,
    user: ConsoleUser,
    kind: str,
    search: str,
    page: int,
    *,
    notice: str = "",
    error: str = "",
    forms: AccountForms | None = None,
    status_code: int = 200,
) -> Response:
    kind = kind if kind in KINDS else SCHOOL
    found = accounts.list_accounts(
        db, kind=kind, search=search, limit=ACCOUNTS_PAGE_SIZE + 1, offset=(page - 1) * ACCOUNTS_PAGE_SIZE
    )
    return render(
        "accounts.html",
        user=user,
        status_code=status_code,
        kind=kind,
        kinds=[(key, KIND_LABELS[key]) for key in KINDS],
        q=search,
        page=page,
        accounts=found[:ACCOUNTS_PAGE_SIZE],
        has_next=len(found) > ACCOUNTS_PAGE_SIZE,
        notice=notice,
        error=error,
        forms=forms or AccountForms(),
    )


def _refused(
    db: Database, user: ConsoleUser, form: FormData, exc: ServiceError, forms: AccountForms
) -> Response:
    kind = form_text(form, "back_kind") or SCHOOL
    return _accounts_response(
        db,
        user,
        kind,
        form_text(form, "back_q"),
        1,
        error=exc.message,
        forms=forms,
        status_code=exc.status_code,
    )


def _actor(request: Request, user: ConsoleUser) -> audit.Actor:
    return user.principal.actor(client_address(request))


@router.post("/schools")
def create_school(request: Request, user: AdminDep, form: FormDep, db: DbDep) -> Response:
    """新建学校账号 (initial password aabbcc)."""
    typed = {name: form_text(form, name).strip() for name in ("org_code", "name", "region_code")}
    try:
        info = accounts.create_school(
            db, _actor(request, user), typed["org_code"], typed["name"], typed["region_code"]
        )
    except ServiceError as exc:
        return _refused(db, user, form, exc, AccountForms(school=typed, failed="school"))
    return redirect(f"{PREFIX}/admin/accounts", kind=SCHOOL, done="school", who=info.login)


@router.post("/schools/import")
def import_schools(request: Request, user: AdminDep, form: FormDep, db: DbDep) -> Response:
    """导入学校名单: a CSV file 机构码,学校名称,区划代码 (new schools created, known ones updated)."""
    upload = form_file(form, "file")
    try:
        if upload is None or not upload.filename:
            raise InvalidRequestError("请选择要导入的学校名单文件（CSV）。")
        data = upload.file.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            raise InvalidRequestError("学校名单文件过大（超过 5 MB），请分成几个文件导入。")
        result = accounts.import_schools(db, _actor(request, user), accounts.parse_school_csv(data))
    except ServiceError as exc:
        return _refused(db, user, form, exc, AccountForms(failed="import"))
    return redirect(
        f"{PREFIX}/admin/accounts",
        kind=SCHOOL,
        done="import",
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )


@router.post("/staff")
def create_staff(request: Request, user: AdminDep, form: FormDep, db: DbDep) -> Response:
    """新建审核员 (with its region scope) or 管理员."""
    typed = {name: form_text(form, name).strip() for name in ("kind", "username", "scope")}
    kind = typed["kind"] if typed["kind"] in (REVIEWER, ADMIN) else REVIEWER
    scope = typed["scope"].replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
    try:
        info = accounts.create_staff(
            db,
            _actor(request, user),
            kind,
            typed["username"],
            password=form_text(form, "password"),
            scope=scope if kind == REVIEWER else (),
        )
    except ServiceError as exc:
        return _refused(db, user, form, exc, AccountForms(staff=typed, failed="staff"))
    return redirect(f"{PREFIX}/admin/accounts", kind=kind, done=kind, who=info.login)


@router.post("/reset")
def reset_password(request: Request, user: AdminDep, form: FormDep, db: DbDep) -> Response:
    """重置密码 of a school or a staff account (back to aabbcc with a forced change)."""
    kind, login = form_text(form, "kind"), form_text(form, "login").strip()
    try:
        if login == user.principal.login:
            raise InvalidRequestError("不能在这里重置自己的密码，请使用右上角的“修改密码”。")
        if kind == SCHOOL:
            info = accounts.reset_password(db, _actor(request, user), org_code=login)
        else:
            info = accounts.reset_password(db, _actor(request, user), username=login)
    except ServiceError as exc:
        return _refused(db, user, form, exc, AccountForms(failed="reset"))
    return redirect(
        f"{PREFIX}/admin/accounts",
        kind=info.kind,
        q=form_text(form, "back_q"),
        done="reset",
        who=f"{info.login}（{info.name}）" if info.kind == SCHOOL else info.login,
    )


# ---------------------------------------------------------------- the audit log


@router.get("/audit")
def audit_page(user: AdminDep, db: DbDep, school: ShortText = "", page: PageNumber = 1) -> Response:
    """The whole audit log, newest first; ``school`` (a 机构码) narrows it to one school."""
    org_code = school.strip()
    school_id = _school_id(db, org_code) if org_code else None
    with db.read() as session:
        entries = audit.entries(
            session,
            school_id=school_id,
            limit=AUDIT_PAGE_SIZE + 1,
            offset=(page - 1) * AUDIT_PAGE_SIZE,
        )
    return render(
        "audit.html",
        user=user,
        entries=entries[:AUDIT_PAGE_SIZE],
        has_next=len(entries) > AUDIT_PAGE_SIZE,
        page=page,
        school=org_code,
        schools=_school_names(db, entries),
    )


def _school_id(db: Database, org_code: str) -> int:
    matches = [
        info for info in accounts.list_accounts(db, kind=SCHOOL, search=org_code) if info.login == org_code
    ]
    if not matches:
        raise PageError(404, f"没有机构码为 {org_code} 的学校。")
    return matches[0].id


def _school_names(db: Database, entries: list[audit.AuditRecord]) -> dict[int, Any]:
    """The schools the entries name (id → AccountInfo), for their 机构码 and name."""
    return accounts.accounts_by_id(db, (entry.school_id for entry in entries if entry.school_id is not None))
