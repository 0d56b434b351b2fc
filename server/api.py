"""The HTTP API under ``/api/v1`` (protocol.md): thin routes over the services.

Routes parse and check their input, find the principal from the bearer token, call one service
function and shape its answer. Blocking database work runs in FastAPI's thread pool (plain ``def``
routes); the upload route reads its body asynchronously and hands the work to the pool.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from server import accounts, auth, review, submissions
from server.auth import Principal
from server.db import Database
from server.errors import InvalidRequestError, PayloadTooLargeError, ServiceError
from server.schemas import (
    UPLOAD_BODY_SCHEMA,
    DecisionIn,
    DecisionOut,
    ErrorBody,
    LoginIn,
    LoginOut,
    PasswordIn,
    PeriodOut,
    PeriodsOut,
    ProfileIn,
    ProfileOut,
    QueueOut,
    ReceiptOut,
    ReopenIn,
    StatusOut,
    SubmissionOut,
    UploadReceiptOut,
)
from server.settings import Settings
from server.uploads import UploadRequest, handle_upload

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1
PERIOD_PATTERN = r"^\d{4}-\d{4}-[12]$"

router = APIRouter(prefix=PREFIX)
_bearer = HTTPBearer(auto_error=False, description="POST /api/v1/session 得到的令牌")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "请求有误",
        401: "未登录或登录已过期",
        403: "无权使用此功能（或须先修改密码）",
        404: "找不到",
        409: "状态冲突",
        412: "版本已变化",
        413: "数据过大",
        415: "不支持的内容编码",
        422: "请求内容不符合要求",
        428: "缺少 If-Match",
        429: "登录失败次数过多",
    }
    return {code: {"model": ErrorBody, "description": descriptions[code]} for code in codes}


_AUTH_ERRORS = (401, 403, 422)


# ---------------------------------------------------------------- dependencies


# The trivial dependencies are ``async``: FastAPI would run a plain ``def`` in the thread pool, a
# thread hop per dependency per request for a dictionary lookup.
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def client_address(request: Request) -> str:
    """The caller's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client is not None else ""


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials is not None else None


def current_principal(
    db: Annotated[Database, Depends(get_db)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal:
    """The logged-in account; 401 without a live token, 403 while its password must be changed."""
    with db.read() as session:
        return auth.require_principal(session, _token(credentials))


def principal_for_password_change(
    db: Annotated[Database, Depends(get_db)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal:
    with db.read() as session:
        return auth.require_principal(session, _token(credentials), allow_password_change=True)


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
AddressDep = Annotated[str, Depends(client_address)]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="报送期次，如 2026-2027-1")]
TablePath = Annotated[str, Path(pattern=r"^(students|aid)$", description="students 或 aid")]
SubmissionPath = Annotated[int, Path(ge=1, le=MAX_ID)]


# ---------------------------------------------------------------- session and account


@router.post("/session", response_model=LoginOut, responses=_errors(401, 422, 429), tags=["账号"])
def create_session(body: LoginIn, db: DbDep, settings: SettingsDep, address: AddressDep) -> LoginOut:
    """登录：学校用机构码，审核员和管理员用用户名。"""
    result = auth.login(
        db, settings, org_code=body.org_code, username=body.username, password=body.password, address=address
    )
    account = result.account
    school = None
    if account.kind == "school":
        school = {"org_code": account.login, "name": account.name, "region_code": account.region_code or ""}
    return LoginOut.model_validate(
        {
            "token": result.token,
            "expires_at": result.expires_at,
            "must_change_password": account.must_change_password,
            "role": account.kind,
            "name": account.name,
            "school": school,
            "scope": list(result.principal.scope),
        }
    )


@router.post(
    "/account/password",
    status_code=204,
    response_class=Response,
    responses=_errors(401, 403, 422, 429),
    tags=["账号"],
)
def change_password(
    body: PasswordIn,
    db: DbDep,
    settings: SettingsDep,
    address: AddressDep,
    principal: Annotated[Principal, Depends(principal_for_password_change)],
) -> Response:
    """修改密码（首次登录必须先修改初始密码）。"""
    auth.change_password(
        db,
        settings,
        principal,
        old_password=body.old_password,
        new_password=body.new_password,
        address=address,
    )
    return Response(status_code=204)


@router.get("/account/profile", response_model=ProfileOut, responses=_errors(*_AUTH_ERRORS), tags=["账号"])
def get_profile(db: DbDep, principal: PrincipalDep) -> ProfileOut:
    """负责人姓名和联系电话。"""
    return ProfileOut.model_validate(asdict(accounts.get_profile(db, principal.account_id)))


@router.put("/account/profile", response_model=ProfileOut, responses=_errors(*_AUTH_ERRORS), tags=["账号"])
def put_profile(body: ProfileIn, db: DbDep, principal: PrincipalDep, address: AddressDep) -> ProfileOut:
    """修改负责人姓名和联系电话。"""
    profile = accounts.update_profile(
        db, principal.actor(address), principal.account_id, body.contact_name, body.contact_phone
    )
    return ProfileOut.model_validate(asdict(profile))


@router.get("/periods", response_model=PeriodsOut, responses=_errors(*_AUTH_ERRORS), tags=["报送"])
def get_periods(db: DbDep, principal: PrincipalDep) -> PeriodsOut:
    """开放填报的报送期次及截止日期。"""
    del principal  # any logged-in account may read them
    return PeriodsOut(periods=[PeriodOut.model_validate(asdict(p)) for p in accounts.list_periods(db)])


# ---------------------------------------------------------------- submissions (schools)


@router.put(
    "/submissions/{period}/{table}",
    status_code=201,
    response_model=UploadReceiptOut,
    responses=_errors(401, 403, 409, 412, 413, 415, 422, 428),
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": UPLOAD_BODY_SCHEMA}}}
    },
    tags=["报送"],
)
async def upload(
    request: Request,
    *,
    period: PeriodPath,
    table: TablePath,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    address: AddressDep,
    idempotency_key: Annotated[str, Header(max_length=200, description="每次上传一个唯一标识（UUID）")],
    if_match: Annotated[
        str | None, Header(max_length=40, description='最近看到的版本号，如 "3"；首次上传为 "*"（必填）')
    ] = None,
) -> Response:
    """上传一张表的全部数据，成为新的版本（服务器用同一套规则校验）。"""
    body = await _read_body(request, settings)
    answer = await run_in_threadpool(
        handle_upload,
        db,
        settings,
        principal,
        UploadRequest(period, table, body, idempotency_key, if_match, address),
    )
    headers = dict(answer.headers)
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


async def _read_body(request: Request, settings: Settings) -> bytes:
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise _UnsupportedEncodingError(f"不支持的内容编码“{encoding[:20]}”：请用 gzip 或不压缩。")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_compressed_bytes:
        raise _too_large(settings)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > settings.max_compressed_bytes:
            raise _too_large(settings)
        chunks.append(chunk)
    data = b"".join(chunks)
    if encoding == "gzip":
        return await run_in_threadpool(_gunzip, data, settings.max_body_bytes)
    if len(data) > settings.max_body_bytes:
        raise _too_large(settings)
    return data


class _UnsupportedEncodingError(ServiceError):
    status_code = 415
    code = "unsupported_encoding"


def _too_large(settings: Settings) -> PayloadTooLargeError:
    megabytes = settings.max_body_bytes // (1024 * 1024)
    return PayloadTooLargeError(f"上传数据过大（解压后超过 {megabytes} MB）。请分期次上传或联系管理员。")


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing more than ``limit`` bytes of output (a gzip bomb)."""
    decompressor = zlib.decompressobj(wbits=31)
    out = bytearray()
    pending = data
    try:
        while pending and not decompressor.eof:
            out += decompressor.decompress(pending, limit + 1 - len(out))
            if len(out) > limit:
                raise PayloadTooLargeError(f"上传数据过大（解压后超过 {limit // (1024 * 1024)} MB）。")
            pending = decompressor.unconsumed_tail
    except zlib.error as exc:
        raise InvalidRequestError("上传数据的 gzip 压缩格式已损坏。", code="bad_gzip") from exc
    if not decompressor.eof:
        raise InvalidRequestError("上传数据的 gzip 压缩内容不完整，请重新上传。", code="bad_gzip")
    return bytes(out)


@router.get(
    "/submissions/{period}",
    response_model=None,
    responses={
        200: {"model": StatusOut, "description": "两张表的最新状态"},
        304: {"description": "与 If-None-Match 相同，没有变化"},
        **_errors(*_AUTH_ERRORS),
    },
    tags=["报送"],
)
async def get_status(
    period: PeriodPath,
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    if_none_match: Annotated[str | None, Header(max_length=500)] = None,
) -> Response:
    """两张表的审核状态（支持 ETag / If-None-Match，没有变化时返回 304）。"""
    # Every client polls this: login check and status in one read and one trip to the thread pool
    # (bench/bench_server.py).
    status = await run_in_threadpool(submissions.polled_status, db, _token(credentials), period)
    headers = {"ETag": status.etag, "Cache-Control": "no-cache"}
    if submissions.etag_matches(if_none_match, status.etag):
        return Response(status_code=304, headers=headers)
    return Response(status.body, media_type="application/json", headers=headers)


@router.get(
    "/submissions/{period}/{table}/revisions/{number}",
    response_model=None,
    responses={200: {"model": ReceiptOut, "description": "该版本的全部数据"}, **_errors(*_AUTH_ERRORS, 404)},
    tags=["报送"],
)
def get_receipt(
    period: PeriodPath,
    table: TablePath,
    number: Annotated[int, Path(ge=1, le=MAX_ID)],
    db: DbDep,
    principal: PrincipalDep,
) -> Response:
    """本校某次上传的数据（回执）。"""
    return Response(
        submissions.receipt_json(db, principal, period, table, number), media_type="application/json"
    )


# ---------------------------------------------------------------- review


@router.get("/review/queue", response_model=QueueOut, responses=_errors(*_AUTH_ERRORS), tags=["审核"])
def get_queue(
    *,
    db: DbDep,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(pattern=r"^(pending|returned|approved)$")] = None,
    county: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="区划代码或前缀")] = None,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    table: Annotated[str | None, Query(pattern=r"^(students|aid)$")] = None,
    search: Annotated[str, Query(max_length=100, pattern=r"^[^\x00]*$")] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> QueueOut:
    """审核范围内的报送（可按状态、县区、期次筛选），含各状态数量。"""
    queue = review.review_queue(
        db, principal, review.QueueFilter(status, county, period, table, search, offset, limit)
    )
    return QueueOut.model_validate(asdict(queue))


@router.get(
    "/review/{submission_id}",
    response_model=SubmissionOut,
    responses=_errors(*_AUTH_ERRORS, 404),
    tags=["审核"],
)
def get_submission(
    *,
    submission_id: SubmissionPath,
    db: DbDep,
    principal: PrincipalDep,
    revision: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    q: Annotated[str, Query(max_length=100, pattern=r"^[^\x00]*$")] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> SubmissionOut:
    """一份报送：数据行（分页、可搜索）、服务器校验报告、与上一版的差异。"""
    detail = review.get_submission(db, principal, submission_id)
    rows = review.submission_rows(
        db, principal, submission_id, revision=revision, query=q, offset=offset, limit=limit
    )
    report = review.validation_report(db, principal, submission_id, revision)
    diff = review.revision_diff(db, principal, submission_id, revision)
    return SubmissionOut.model_validate(
        {
            "submission": asdict(detail.item),
            "status": detail.entry.as_json(),
            "revisions": [asdict(info) for info in detail.revisions],
            "columns": [{"key": key, "header": header} for key, header in detail.columns],
            "rows": asdict(rows),
            "report": asdict(report),
            "diff": asdict(diff),
        }
    )


@router.post(
    "/review/{submission_id}/decision",
    response_model=DecisionOut,
    responses=_errors(*_AUTH_ERRORS, 404, 409),
    tags=["审核"],
)
def post_decision(
    submission_id: SubmissionPath, body: DecisionIn, db: DbDep, principal: PrincipalDep, address: AddressDep
) -> DecisionOut:
    """审核通过或退回重交（退回须填写原因，可附逐行意见）。"""
    entry = review.decide(
        db,
        principal,
        submission_id,
        revision=body.revision,
        decision=body.decision,
        comment=body.comment,
        row_comments=[review.RowComment(c.row_uid, c.column, c.message) for c in body.row_comments],
        address=address,
    )
    return DecisionOut.model_validate({**entry.as_json(), "submission_id": submission_id})


@router.post(
    "/review/{submission_id}/reopen",
    response_model=DecisionOut,
    responses=_errors(*_AUTH_ERRORS, 404, 409),
    tags=["审核"],
)
def post_reopen(
    submission_id: SubmissionPath, body: ReopenIn, db: DbDep, principal: PrincipalDep, address: AddressDep
) -> DecisionOut:
    """撤销审核：审核通过 → 退回重交（须填写原因）。"""
    entry = review.reopen(db, principal, submission_id, comment=body.comment, address=address)
    return DecisionOut.model_validate({**entry.as_json(), "submission_id": submission_id})
