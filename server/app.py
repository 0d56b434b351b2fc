"""The FastAPI application of the review server.

``create_app(settings)`` builds it (the database must have been created with ``zizhu-server init``);
``app_from_env()`` is the factory uvicorn's worker processes call (settings from the environment).
Every error leaves as JSON ``{"code", "message", …}`` with a Chinese message — never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.api import PREFIX, router
from server.console.routes import install_console
from server.db import Database
from server.errors import ServiceError
from server.fastpoll import FastPollMiddleware
from server.settings import Settings

log = logging.getLogger(__name__)

INTERNAL_ERROR = "服务器内部错误，请稍后重试；如果问题仍然存在，请联系管理员。"
_HTTP_MESSAGES = {
    404: ("not_found", "找不到该地址。"),
    405: ("method_not_allowed", "该地址不支持这种请求方式。"),
}
# Chinese wording of pydantic's error types (its own messages are English).
_REASONS = {
    "missing": "不能缺少",
    "extra_forbidden": "是未知的字段",
    "string_too_long": "超过长度限制",
    "string_too_short": "不能为空或太短",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "literal_error": "取值无效",
    "greater_than_equal": "超出允许范围",
    "less_than_equal": "超出允许范围",
    "greater_than": "超出允许范围",
    "less_than": "超出允许范围",
    "too_long": "条目过多",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
}


def create_app(settings: Settings) -> FastAPI:
    """The application over the database of ``settings`` (refuses to start on a missing/old one)."""
    db = Database(settings)
    db.check_ready()
    _warm_up()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="资助通审核服务器",
        version="1",
        description="学校端上传数据、查询审核状态，上级资助中心审核（protocol.md）。",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.include_router(router)
    install_console(app)
    _add_error_handlers(app)
    # Unchanged status polls (nearly all traffic) are answered before the framework's routing.
    app.add_middleware(FastPollMiddleware, db=db)
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory ``server.app:app_from_env`` (ZIZHU_SERVER_DATA_DIR, DATABASE_URL)."""
    return create_app(Settings.from_env())


def _warm_up() -> None:
    """Load the rule catalog, code lists and region tables now, not during the first upload."""
    from datetime import date

    from app.models.period import current_period
    from app.models.schema import table_schema
    from app.validation.engine import validate
    from server.rows import rows_frame

    period = current_period(date.today())
    for table in ("students", "aid"):
        keys = table_schema(table).keys
        frame = rows_frame({key: [""] for key in keys}, ["warm-up"], [()])
        if table == "students":
            validate(frame, None, period)
        else:
            validate(rows_frame({key: [] for key in table_schema("students").keys}, [], []), frame, period)


def _add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = dict(exc.headers)
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    fields = [_field(problem.get("loc", ())) for problem in problems]
    first = problems[0] if problems else {}
    message = f"请求内容不符合要求：{_describe(first)}" if first else "请求内容不符合要求。"
    if len(problems) > 1:
        message += f"（另有 {len(problems) - 1} 处问题）"
    return JSONResponse({"code": "invalid_request", "message": message, "fields": fields}, status_code=422)


def _field(loc: Sequence[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "请求体"


def _describe(problem: dict[str, Any]) -> str:
    kind = str(problem.get("type", ""))
    if kind == "value_error":
        error = (problem.get("ctx") or {}).get("error")
        reason = str(error) if error is not None else "取值无效"
        if not any("\u4e00" <= ch <= "\u9fff" for ch in reason):
            reason = "取值无效"
    else:
        reason = _REASONS.get(kind, "格式不正确")
    return f"「{_field(problem.get('loc', ()))}」{reason}。"


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot even decode: the same 422 as any other bad content.
        return JSONResponse(
            {"code": "invalid_request", "message": "请求内容不是有效的 JSON 数据。"}, status_code=422
        )
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求无法处理。"))
    return JSONResponse({"code": code, "message": message}, status_code=exc.status_code, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"code": "internal_error", "message": INTERNAL_ERROR}, status_code=500)
