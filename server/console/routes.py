"""The reviewer's pages: login, the queue, a submission (rows, report, diff, audit) and its decisions.

Every page calls the services of ``server.review`` / ``server.auth`` with the session's principal,
so scope checks are the services' own: a submission outside the reviewer's scope is a 404 page,
exactly like one that does not exist. Forms post back with a CSRF token and answer with a
303 redirect (or the same page again with the error and what was typed).
"""

from __future__ import annotations

import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import FormData

from server import accounts, auth, review
from server.console import admin
from server.console.web import (
    LOGIN_COOKIE,
    PREFIX,
    STATIC_DIR,
    ConsoleRoute,
    ConsoleUser,
    PageError,
    check_same_site,
    clean,
    clear_cookie_redirect,
    client_address,
    current_user,
    error_page,
    form_text,
    form_texts,
    get_db,
    get_settings,
    new_login_nonce,
    posted_form,
    redirect,
    render,
    safe_next,
    session_form,
    session_user,
    set_session_cookie,
)
from server.db import Database
from server.errors import InvalidRequestError, ServiceError, ThrottledError
from server.models import APPROVED, PENDING
from server.settings import Settings

MAX_ID = 2**31 - 1
QUEUE_PAGE_SIZE = 50
ROWS_PAGE_SIZE = 50
ISSUES_PAGE_SIZE = 200
DIFF_LIMIT = 300
AUDIT_LIMIT = 500
EXTRA_COMMENT_LINES = 3
VIEWS = ("rows", "report", "diff", "audit")
STATUS_TABS = (("pending", "待审核"), ("returned", "退回重交"), ("approved", "审核通过"), ("all", "全部"))
DONE_MESSAGES = {
    "approved": "已审核通过，该表已锁定。",
    "returned": "已退回重交。学校刷新审核状态后会看到退回原因和逐行意见。",
    "reopened": "已撤销审核，该表改为“退回重交”，学校可以修改后重新上传。",
    "password": "密码已修改。",
}

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UserDep = Annotated[ConsoleUser, Depends(current_user)]
SessionUserDep = Annotated[ConsoleUser, Depends(session_user)]
FormDep = Annotated[FormData, Depends(posted_form)]
SessionFormDep = Annotated[FormData, Depends(session_form)]
SubmissionPath = Annotated[int, Path(ge=1, le=MAX_ID)]
ShortText = Annotated[str, Query(max_length=100)]
PageNumber = Annotated[int, Query(ge=1, le=10_000_000)]


def install_console(app: FastAPI) -> None:
    """Mount the console at ``/console`` (its static files too) and send ``/`` there."""
    app.include_router(router)
    app.include_router(admin.router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(_fallback)  # last: after the static files

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)


# ---------------------------------------------------------------- login, logout, password


@router.get("")
def console_root() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status_code=307)


@router.get("/login")
def login_page(
    request: Request, next_path: Annotated[str, Query(alias="next", max_length=2000)] = ""
) -> Response:
    """The login form (with a fresh anti-forgery nonce in a cookie and in the form)."""
    return _login_form(request, next_path=safe_next(next_path))


def _login_form(
    request: Request, *, next_path: str, error: str = "", username: str = "", status_code: int = 200
) -> Response:
    nonce = new_login_nonce()
    response = render(
        "login.html",
        user=None,
        status_code=status_code,
        nonce=nonce,
        next_path=next_path,
        error=error,
        username=username,
    )
    response.set_cookie(
        LOGIN_COOKIE, nonce, path=PREFIX, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response


@router.post("/login")
def login_submit(
    *,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    """Log a reviewer or admin in: the API's token goes into the HttpOnly session cookie."""
    check_same_site(request)
    target, username = safe_next(next_path), clean(username).strip()
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(nonce, csrf):
        return _login_form(
            request,
            next_path=target,
            username=username,
            status_code=403,
            error="登录页面已过期，请重新登录。",
        )
    if not username or not password:
        return _login_form(
            request, next_path=target, username=username, status_code=422, error="请填写用户名和密码。"
        )
    try:
        result = auth.login(
            db, settings, username=username, password=clean(password), address=client_address(request)
        )
    except ServiceError as exc:
        response = _login_form(
            request, next_path=target, username=username, status_code=exc.status_code, error=exc.message
        )
        if isinstance(exc, ThrottledError):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    after = f"{PREFIX}/password" if result.principal.must_change_password else target
    response = RedirectResponse(after, status_code=303)
    set_session_cookie(request, response, result.token, result.expires_at)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(user: SessionUserDep, _form: SessionFormDep, db: DbDep) -> Response:
    """End the session (the token is revoked on the server, not only forgotten by the browser)."""
    auth.revoke_token(db, user.token)
    return clear_cookie_redirect(f"{PREFIX}/login")


@router.get("/password")
def password_page(user: SessionUserDep) -> Response:
    return _password_form(user)


def _password_form(user: ConsoleUser, error: str = "", status_code: int = 200) -> Response:
    forced = user.principal.must_change_password
    return render("password.html", user=user, error=error, forced=forced, status_code=status_code)


@router.post("/password")
def password_submit(
    request: Request, user: SessionUserDep, form: SessionFormDep, db: DbDep, settings: SettingsDep
) -> Response:
    """Change the own password (forced after an admin reset it)."""
    old, new = form_text(form, "old_password"), form_text(form, "new_password")
    if new != form_text(form, "new_password_again"):
        return _password_form(user, "两次输入的新密码不一致。", 422)
    try:
        auth.change_password(
            db, settings, user.principal, old_password=old, new_password=new, address=client_address(request)
        )
    except ServiceError as exc:
        response = _password_form(user, exc.message, exc.status_code)
        response.headers.update(exc.headers)
        return response
    return redirect(f"{PREFIX}/", done="password")


# ---------------------------------------------------------------- the queue


@router.get("/")
def queue_page(
    *,
    user: UserDep,
    db: DbDep,
    status: ShortText = "pending",
    county: ShortText = "",
    period: ShortText = "",
    table: ShortText = "",
    q: ShortText = "",
    page: PageNumber = 1,
    done: ShortText = "",
) -> Response:
    """The submissions in the reviewer's scope, filtered by status, county, period, table and school."""
    search = clean(q).strip()
    flt = review.QueueFilter(
        status=None if status == "all" else status,
        county=county.strip() or None,
        period=period or None,
        table=table or None,
        search=search,
        offset=(page - 1) * QUEUE_PAGE_SIZE,
        limit=QUEUE_PAGE_SIZE,
    )
    error = ""
    try:
        queue = review.review_queue(db, user.principal, flt)
    except InvalidRequestError as exc:
        error = exc.message
        queue = review.Queue([], 0, dict.fromkeys(review.QUEUE_STATUSES, 0), 0, QUEUE_PAGE_SIZE)
    return render(
        "queue.html",
        user=user,
        queue=queue,
        tabs=STATUS_TABS,
        all_count=sum(queue.counts.values()),
        status=status,
        county=county.strip(),
        period=period,
        table=table,
        q=search,
        page=page,
        pages=_page_count(queue.total, QUEUE_PAGE_SIZE),
        periods=accounts.list_periods(db, open_only=False),
        counties=_counties_in_scope(user),
        error=error,
        notice=DONE_MESSAGES.get(done, ""),
    )


def _page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def _counties_in_scope(user: ConsoleUser) -> list[tuple[str, str]]:
    """(code, name) of the current counties under the reviewer's scope; [] for admins (free input)."""
    from app.models.regions import current_counties

    found: dict[str, str] = {}
    for prefix in user.principal.scope:
        for code, name in current_counties(prefix[:2]).items():
            if code.startswith(prefix):
                found[code] = name
    return sorted(found.items())


# ---------------------------------------------------------------- one submission


@dataclass
class Typed:
    """What the reviewer typed into a form that was refused: shown again, not lost."""

    comment: str = ""
    form: str = ""  # which form: approve / return / reopen
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)  # row_uid → (column, message)
    extra: list[tuple[str, str, str]] = field(default_factory=list)  # (row number, column, message)

    @property
    def has_row_comments(self) -> bool:
        return bool(self.rows) or any(ref or message.strip() for ref, _column, message in self.extra)


@dataclass(frozen=True)
class PageState:
    """Which part of a submission page is shown."""

    revision: int | None = None
    view: str = "rows"
    q: str = ""
    page: int = 1


@router.get("/submissions/{submission_id}")
def submission_page(
    *,
    user: UserDep,
    db: DbDep,
    submission_id: SubmissionPath,
    rev: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    view: ShortText = "rows",
    q: ShortText = "",
    page: PageNumber = 1,
    done: ShortText = "",
) -> Response:
    """A submission: its revisions and decision, and its rows, report, diff or audit log."""
    state = PageState(rev, view if view in VIEWS else "rows", clean(q).strip(), page)
    return _submission_response(db, user, submission_id, state, notice=DONE_MESSAGES.get(done, ""))


def _submission_response(
    db: Database,
    user: ConsoleUser,
    submission_id: int,
    state: PageState,
    *,
    notice: str = "",
    error: str = "",
    typed: Typed | None = None,
    status_code: int = 200,
) -> Response:
    principal = user.principal
    detail = review.get_submission(db, principal, submission_id)
    number = state.revision or detail.item.revision
    shown = next((info for info in detail.revisions if info.number == number), None)
    if shown is None:
        raise PageError(404, f"该报送没有第{number}版。")
    latest = number == detail.item.revision
    context: dict[str, Any] = {
        "detail": detail,
        "item": detail.item,
        "shown": shown,
        "latest": latest,
        "can_decide": latest and detail.item.status == PENDING,
        "can_reopen": latest and detail.item.status == APPROVED,
        "state": state,
        "report": review.validation_report(db, principal, submission_id, number),
        "notice": notice,
        "error": error,
        "typed": typed or Typed(),
        "extra_lines": EXTRA_COMMENT_LINES,
    }
    context.update(
        _view_context(db, user, submission_id, state, number=number, report=context["report"], shown=shown)
    )
    return render("submission.html", user=user, status_code=status_code, **context)


def _view_context(
    db: Database,
    user: ConsoleUser,
    submission_id: int,
    state: PageState,
    *,
    number: int,
    report: review.ReportView,
    shown: review.RevisionInfo,
) -> dict[str, Any]:
    principal = user.principal
    if state.view == "report":
        first = (state.page - 1) * ISSUES_PAGE_SIZE
        return {
            "issues": report.issues[first : first + ISSUES_PAGE_SIZE],
            "pages": _page_count(len(report.issues), ISSUES_PAGE_SIZE),
            "rows_page_size": ROWS_PAGE_SIZE,
        }
    if state.view == "diff":
        return {
            "diff": review.revision_diff(db, principal, submission_id, number, limit=DIFF_LIMIT),
            "diff_limit": DIFF_LIMIT,
        }
    if state.view == "audit":
        return {"entries": review.submission_audit(db, principal, submission_id, limit=AUDIT_LIMIT)}
    rows = review.submission_rows(
        db,
        principal,
        submission_id,
        revision=number,
        query=state.q,
        offset=(state.page - 1) * ROWS_PAGE_SIZE,
        limit=ROWS_PAGE_SIZE,
    )
    return {
        "rows": rows,
        "pages": _page_count(rows.total, ROWS_PAGE_SIZE),
        "cell_issues": _cell_issues(report),
        "row_comments": _comments_by_row(shown.row_comments),
    }


def _cell_issues(report: review.ReportView) -> dict[str, dict[str, list[review.IssueView]]]:
    """Findings by row_uid, then by column header ("" for the whole row)."""
    found: dict[str, dict[str, list[review.IssueView]]] = defaultdict(lambda: defaultdict(list))
    for issue in report.issues:
        if issue.row_uid:
            found[issue.row_uid][issue.column].append(issue)
    return found


def _comments_by_row(comments: list[review.RowComment]) -> dict[str, list[review.RowComment]]:
    found: dict[str, list[review.RowComment]] = defaultdict(list)
    for comment in comments:
        found[comment.row_uid].append(comment)
    return found


def _form_state(form: FormData) -> PageState:
    """The page the form was posted from (to show it again with an error)."""
    view = form_text(form, "view")
    return PageState(
        revision=None,
        view=view if view in VIEWS else "rows",
        q=form_text(form, "q").strip()[:100],
        page=_positive(form_text(form, "page"), default=1),
    )


def _positive(text: str, *, default: int) -> int:
    return int(text) if text.isdigit() and 0 < int(text) <= 10_000_000 else default


def _revision_field(form: FormData) -> int:
    text = form_text(form, "revision")
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise PageError(422, "表单缺少版本号，请刷新页面后重新操作。")
    return int(text)


@router.post("/submissions/{submission_id}/approve")
def approve(
    request: Request, user: UserDep, form: FormDep, db: DbDep, submission_id: SubmissionPath
) -> Response:
    """审核通过 of the revision the reviewer looked at (a newer upload makes it a 409)."""
    comment = form_text(form, "comment")
    try:
        review.decide(
            db,
            user.principal,
            submission_id,
            revision=_revision_field(form),
            decision="approve",
            comment=comment,
            address=client_address(request),
        )
    except ServiceError as exc:
        return _refused(db, user, submission_id, form, exc=exc, typed=Typed(comment=comment, form="approve"))
    return redirect(f"{PREFIX}/submissions/{submission_id}", done="approved")


@router.post("/submissions/{submission_id}/return")
def return_submission(
    request: Request, user: UserDep, form: FormDep, db: DbDep, submission_id: SubmissionPath
) -> Response:
    """退回重交 with its reason and the comments on rows or cells."""
    revision = _revision_field(form)
    typed = _typed_comments(form)
    try:
        comments = _row_comments(db, user, submission_id, revision, typed)
        review.decide(
            db,
            user.principal,
            submission_id,
            revision=revision,
            decision="return",
            comment=typed.comment,
            row_comments=comments,
            address=client_address(request),
        )
    except ServiceError as exc:
        return _refused(db, user, submission_id, form, exc=exc, typed=typed)
    return redirect(f"{PREFIX}/submissions/{submission_id}", done="returned")


@router.post("/submissions/{submission_id}/reopen")
def reopen(
    request: Request, user: UserDep, form: FormDep, db: DbDep, submission_id: SubmissionPath
) -> Response:
    """撤销审核: approved → returned, with the reason."""
    comment = form_text(form, "comment")
    try:
        review.reopen(db, user.principal, submission_id, comment=comment, address=client_address(request))
    except ServiceError as exc:
        return _refused(db, user, submission_id, form, exc=exc, typed=Typed(comment=comment, form="reopen"))
    return redirect(f"{PREFIX}/submissions/{submission_id}", done="reopened")


def _refused(
    db: Database, user: ConsoleUser, submission_id: int, form: FormData, *, exc: ServiceError, typed: Typed
) -> Response:
    response = _submission_response(
        db,
        user,
        submission_id,
        _form_state(form),
        error=exc.message,
        typed=typed,
        status_code=exc.status_code,
    )
    response.headers.update(exc.headers)
    return response


def _typed_comments(form: FormData) -> Typed:
    """The return form: its reason, the comments typed in the rows table (by row_uid) and the extra
    lines (by row number)."""
    refs, columns, messages = (form_texts(form, name) for name in ("rc_ref", "rc_column", "rc_message"))
    if not len(refs) == len(columns) == len(messages):
        raise PageError(422, "逐行意见不完整，请刷新页面后重新填写。")
    typed = Typed(comment=form_text(form, "comment"), form="return")
    for ref, column, message in zip(refs, columns, messages, strict=True):
        if ref.startswith("uid:"):
            if message.strip():
                typed.rows[ref.removeprefix("uid:")] = (column, message)
        else:
            typed.extra.append((ref.strip(), column, message))
    return typed


def _row_comments(
    db: Database, user: ConsoleUser, submission_id: int, revision: int, typed: Typed
) -> list[review.RowComment]:
    comments = [review.RowComment(uid, column, message) for uid, (column, message) in typed.rows.items()]
    for ref, column, message in typed.extra:
        if not message.strip():
            continue
        if not ref.isdigit() or int(ref) < 1:
            raise InvalidRequestError(
                f"逐行意见“{message.strip()[:20]}”缺少行号：请填写数据的行号（如 12）。"
            )
        page = review.submission_rows(
            db, user.principal, submission_id, revision=revision, offset=int(ref) - 1, limit=1
        )
        if not page.rows:
            raise InvalidRequestError(f"第{int(ref)}行不存在：第{revision}版共有数据行 {page.total} 行。")
        comments.append(review.RowComment(page.rows[0].row_uid, column, message))
    return comments


# ---------------------------------------------------------------- unknown console addresses


_fallback = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


@_fallback.get("/{path:path}")
def not_found(path: str) -> Response:
    return error_page(404, "找不到该页面。")
