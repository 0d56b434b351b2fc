"""Shared machinery of the console pages: templates, the session cookie, CSRF tokens and page errors.

The session is an ordinary API bearer token (``server.auth.login``) kept in an HttpOnly,
SameSite=Lax cookie, so nothing about sessions lives in process memory and every worker accepts it.
Every form that changes something carries a CSRF token derived from the session token (an HMAC of
it): only a page that was served to the holder of the cookie can know it, and a database copy does
not reveal it (the database keeps only the token's SHA-256). The login form, which has no session
yet, uses a random double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile

from server import auth
from server.auth import Principal
from server.db import Database
from server.errors import ServiceError
from server.settings import Settings

PREFIX = "/console"
SESSION_COOKIE = "zizhu_console"
LOGIN_COOKIE = "zizhu_console_login"
CSRF_FIELD = "csrf"
PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
# Reviewers read times in Beijing time; a fixed offset needs no time-zone database on the server.
BEIJING = timezone(timedelta(hours=8), "北京时间")
_CSRF_CONTEXT = b"zizhu-console-csrf-v1"
# The pages show personal data (ID and account numbers): never cached, never framed, own scripts only.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
KIND_LABELS = {"school": "学校", "reviewer": "审核员", "admin": "管理员"}


# ---------------------------------------------------------------- templates


def _beijing_time(moment: datetime | None, with_seconds: bool = False) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(BEIJING) if moment.tzinfo else moment.replace(tzinfo=UTC).astimezone(BEIJING)
    return local.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def _thousands(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


_DETAIL_NAMES = {
    "comment": "意见",
    "row_comments": "逐行意见",
    "locked": "已锁定登录",
    "org_code": "机构码",
    "name": "名称",
    "region_code": "区划代码",
    "username": "用户名",
    "scope": "审核范围",
    "login": "账号",
    "period": "期次",
    "table": "表",
    "rows": "行数",
    "errors": "错误数",
    "digest": "摘要",
    "deadline": "截止日期",
    "is_open": "开放",
    "contact_name": "负责人",
    "contact_phone": "联系电话",
}
_TABLE_NAMES = {"students": "在学状态表", "aid": "学生资助表"}


def _detail_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(part) for part in value) or "无"
    if key == "table":
        return _TABLE_NAMES.get(str(value), str(value))
    if key == "digest":
        return str(value)[:12] + "…"
    return "" if value is None else str(value)


def describe_details(details: Mapping[str, Any]) -> str:
    """An audit entry's details as one Chinese line (「意见：…；逐行意见：2」)."""
    return "；".join(
        f"{_DETAIL_NAMES.get(key, key)}：{_detail_value(key, value)}"
        for key, value in details.items()
        if value not in (None, "")
    )


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every value is escaped, whatever a school typed into its rows
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["time"] = _beijing_time
    environment.filters["thousands"] = _thousands
    environment.filters["details"] = describe_details
    environment.globals["P"] = PREFIX
    environment.globals["KIND_LABELS"] = KIND_LABELS
    environment.globals["query"] = query_string
    return environment


def query_string(**params: Any) -> str:
    """``?a=1&b=2`` of the non-empty parameters (for links that keep the current filters)."""
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


TEMPLATES = _environment()


def with_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(
    template: str,
    *,
    user: ConsoleUser | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from ``templates/<template>``; ``user`` (None on the login page) fills the header."""
    html = TEMPLATES.get_template(template).render(user=user, **context)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    with_security_headers(response)
    return response


def redirect(path: str, **params: Any) -> RedirectResponse:
    """303 See Other to a console page (after a form: the browser then GETs it)."""
    return RedirectResponse(path + query_string(**params), status_code=303)


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True)
class ConsoleUser:
    """The logged-in reviewer or admin of a console request."""

    principal: Principal
    csrf: str
    token: str

    @property
    def is_admin(self) -> bool:
        return self.principal.is_admin

    @property
    def role_label(self) -> str:
        return KIND_LABELS.get(self.principal.kind, self.principal.kind)


class LoginRequiredError(Exception):
    """No live console session: the browser is sent to the login page."""

    def __init__(self, next_path: str = "") -> None:
        super().__init__("login required")
        self.next_path = next_path


class PasswordChangeRequiredError(Exception):
    """The account's password was reset: nothing but the password page until it is changed."""


class PageError(Exception):
    """A page the console refuses, shown as an error page with ``message`` (Chinese)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session (an HMAC of its secret token)."""
    return hmac.new(session_token.encode("utf-8"), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def database_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_db(request: Request) -> Database:
    """The database (a dependency; ``async`` so that FastAPI does not use a thread for it)."""
    return database_of(request)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    """The browser's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client is not None else ""


def _current_path(request: Request) -> str:
    path = request.url.path
    return path + ("?" + request.url.query if request.url.query else "")


def session_user(request: Request) -> ConsoleUser:
    """The reviewer or admin of the session cookie, even while the password must be changed."""
    token = request.cookies.get(SESSION_COOKIE, "")
    next_path = _current_path(request) if request.method == "GET" else ""
    if not token:
        raise LoginRequiredError(next_path)
    with database_of(request).read() as session:
        principal = auth.authenticate(session, token)
    if principal is None or not principal.is_reviewer:
        raise LoginRequiredError(next_path)
    return ConsoleUser(principal, csrf_token(token), token)


async def current_user(user: Annotated[ConsoleUser, Depends(session_user)]) -> ConsoleUser:
    """The logged-in reviewer or admin; the password page first when the password must change."""
    if user.principal.must_change_password:
        raise PasswordChangeRequiredError()
    return user


async def admin_user(user: Annotated[ConsoleUser, Depends(current_user)]) -> ConsoleUser:
    if not user.is_admin:
        raise PageError(403, "只有管理员可以使用账号管理和审计日志。")
    return user


def check_same_site(request: Request) -> None:
    """Refuse a form posted from another site (browsers say so in Sec-Fetch-Site)."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise PageError(403, "拒绝了来自其他网站的提交。请在审核平台页面上操作。")


async def _checked_form(request: Request, user: ConsoleUser) -> FormData:
    check_same_site(request)
    form = await request.form()
    if not hmac.compare_digest(form_text(form, CSRF_FIELD), user.csrf):
        raise PageError(403, "页面已过期或来源不明，请刷新页面后重新操作。")
    return form


async def posted_form(request: Request, user: Annotated[ConsoleUser, Depends(current_user)]) -> FormData:
    """The submitted form of a logged-in user, after its CSRF token was checked."""
    return await _checked_form(request, user)


async def session_form(request: Request, user: Annotated[ConsoleUser, Depends(session_user)]) -> FormData:
    """Like ``posted_form``, also while the password must be changed (logout, the password form)."""
    return await _checked_form(request, user)


def form_text(form: FormData, name: str) -> str:
    """A text field of a form ("" when missing or a file); NUL characters (which PostgreSQL cannot
    store) are dropped."""
    value = form.get(name)
    return clean(value) if isinstance(value, str) else ""


def form_texts(form: FormData, name: str) -> list[str]:
    return [clean(value) for value in form.getlist(name) if isinstance(value, str)]


def clean(text: str) -> str:
    """``text`` without NUL characters and unpaired surrogates (neither can be stored)."""
    return text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")


def form_file(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) else None


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def set_session_cookie(request: Request, response: Response, token: str, expires_at: datetime) -> None:
    max_age = max(1, int((expires_at - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="lax")


def safe_next(path: str) -> str:
    """Where to go after logging in: only a console page (never another site)."""
    if path.startswith(PREFIX + "/") and not path.startswith("//") and "\\" not in path:
        return path
    return PREFIX + "/"


# ---------------------------------------------------------------- routes


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ConsoleRoute(APIRoute):
    """A console route: errors become HTML pages (or the login page), and every page gets safe headers."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequiredError as exc:
                target = PREFIX + "/login" + query_string(next=exc.next_path)
                response = clear_cookie_redirect(target)
            except PasswordChangeRequiredError:
                response = RedirectResponse(PREFIX + "/password", status_code=303)
            except PageError as exc:
                response = error_page(exc.status_code, exc.message)
            except ServiceError as exc:
                response = error_page(exc.status_code, exc.message, headers=exc.headers)
            except RequestValidationError:
                response = error_page(422, "请求内容不完整或格式不正确，请返回上一页重新操作。")
            return with_security_headers(response)

        return console_handler


def clear_cookie_redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response)
    return response


def error_page(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    titles = {403: "无权访问", 404: "找不到页面", 409: "状态已变化", 422: "无法处理", 429: "请稍后再试"}
    return render(
        "error.html",
        user=None,
        status_code=status_code,
        headers=headers,
        title=titles.get(status_code, "出错了"),
        message=message,
    )
