"""Request and response bodies of the API (pydantic), as published in ``/api/v1/openapi.json``.

Every text a client sends goes through ``Text``: no NUL characters and no unpaired surrogates
(PostgreSQL rejects the first, UTF-8 the second), so such input is a 422, never a 500.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from server.review import QueueItem, ReportView, RevisionDiff, RevisionInfo, RowPage


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能含有控制字符 \\u0000")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("含有无法识别的字符") from exc
    return value


_Clean = AfterValidator(_clean_text)
LoginName = Annotated[str, Field(min_length=1, max_length=64), _Clean]
Password = Annotated[str, Field(max_length=200), _Clean]
ContactName = Annotated[str, Field(max_length=50), _Clean]
Phone = Annotated[str, Field(max_length=30), _Clean]
RowUid = Annotated[str, Field(min_length=1, max_length=64), _Clean]
ColumnName = Annotated[str, Field(max_length=40), _Clean]
RowMessage = Annotated[str, Field(min_length=1, max_length=500), _Clean]
Comment = Annotated[str, Field(max_length=2000), _Clean]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- errors


class RowError(BaseModel):
    """One finding of the server's validation (the same fields as the client's issues)."""

    row_uid: str | None
    row: int
    column: str
    rule: str
    severity: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: a stable ``code`` and a Chinese ``message``; some add fields."""

    code: str
    message: str
    errors: list[RowError] | None = None
    error_count: int | None = None
    status: str | None = None
    revision: int | None = None
    current: StatusEntryOut | None = None
    retry_after: int | None = None
    fields: list[str] | None = None


# ---------------------------------------------------------------- session and account


class LoginIn(_Strict):
    """A school logs in with ``org_code``; a reviewer or admin with ``username``."""

    org_code: LoginName | None = None
    username: LoginName | None = None
    password: Password

    @model_validator(mode="after")
    def _one_identity(self) -> LoginIn:
        if (self.org_code is None) == (self.username is None):
            raise ValueError("请填写 org_code（学校）或 username（审核员、管理员）其中之一")
        return self


class SchoolOut(BaseModel):
    org_code: str
    name: str
    region_code: str


class LoginOut(BaseModel):
    token: str
    expires_at: datetime
    must_change_password: bool
    role: Literal["school", "reviewer", "admin"]
    name: str
    school: SchoolOut | None
    scope: list[str]


class PasswordIn(_Strict):
    old_password: Password
    new_password: Password


class ProfileIn(_Strict):
    contact_name: ContactName = ""
    contact_phone: Phone = ""


class ProfileOut(BaseModel):
    contact_name: str
    contact_phone: str


class PeriodOut(BaseModel):
    id: str
    label: str
    school_year: str
    term: str
    deadline: date | None
    is_open: bool


class PeriodsOut(BaseModel):
    periods: list[PeriodOut]


# ---------------------------------------------------------------- submissions


class RowCommentOut(BaseModel):
    row_uid: str
    column: str
    message: str


class StatusEntryOut(BaseModel):
    """The status of one table (revision 0 and ``draft`` before the first upload)."""

    table: Literal["students", "aid"]
    revision: int
    status: Literal["draft", "pending", "returned", "approved"]
    status_label: str
    reviewer: str | None
    reviewed_at: datetime | None
    comment: str | None
    row_comments: list[RowCommentOut]
    received_at: datetime | None
    row_count: int | None
    digest: str | None


class StatusOut(BaseModel):
    period: str
    submissions: list[StatusEntryOut]


class UploadReceiptOut(BaseModel):
    revision: int
    status: Literal["pending"]
    received_at: datetime
    row_count: int
    digest: str
    submission_id: int


class ReceiptOut(BaseModel):
    """An uploaded revision with its rows exactly as they were stored (the school's receipt)."""

    period: str
    table: Literal["students", "aid"]
    revision: int
    status: str
    status_label: str
    received_at: datetime
    row_count: int
    digest: str
    schema_version: int
    client_batch_id: str
    rows: list[dict[str, Any]]


UPLOAD_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema_version", "row_count", "rows"],
    "properties": {
        "schema_version": {"type": "integer", "const": 1},
        "client_batch_id": {"type": "string", "maxLength": 100},
        "row_count": {"type": "integer", "minimum": 0},
        "rows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["row_uid"],
                "properties": {
                    "row_uid": {"type": "string", "minLength": 1, "maxLength": 64},
                    "accepted_warnings": {"type": "array", "items": {"type": "string", "maxLength": 10}},
                },
                "additionalProperties": {"type": "string"},
            },
        },
    },
}


# ---------------------------------------------------------------- review


# A queue row is the review service's own dataclass (server.review.QueueItem): the API shows it as is.
QueueItemOut = QueueItem


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    total: int
    counts: dict[str, int]
    offset: int
    limit: int


class ColumnOut(BaseModel):
    key: str
    header: str


class SubmissionOut(BaseModel):
    """``GET /review/{id}``: the submission, a page of its rows, the report and the diff.

    Its parts are the review service's own dataclasses (pydantic reads them as models): no mirror.
    """

    submission: QueueItemOut
    status: StatusEntryOut
    revisions: list[RevisionInfo]
    columns: list[ColumnOut]
    rows: RowPage
    report: ReportView
    diff: RevisionDiff


class RowCommentIn(_Strict):
    row_uid: RowUid
    column: ColumnName = ""
    message: RowMessage


class DecisionIn(_Strict):
    revision: int = Field(ge=1, le=2**31 - 1)
    decision: Literal["approve", "return"]
    comment: Comment = ""
    row_comments: list[RowCommentIn] = Field(default_factory=list, max_length=1000)


class ReopenIn(_Strict):
    comment: Comment


class DecisionOut(StatusEntryOut):
    submission_id: int


ErrorBody.model_rebuild()
