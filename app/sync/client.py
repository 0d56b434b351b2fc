"""ReviewClient: the HTTP calls of sync protocol v1 (``/api/v1``), one method per endpoint the school uses.

Plain Python (requests + urllib3), never Qt: the UI calls it on a worker thread. Network errors and
5xx answers are retried with exponential backoff (urllib3 ``Retry``, honouring ``Retry-After`` of a
503); an upload is retried with the same Idempotency-Key and the same bytes, so a retry never makes a
second revision. Every failure becomes one of the typed errors of :mod:`app.sync.errors`.

Thread safety: one client may serve one call at a time per thread; the UI's status poll and an upload
may run on two threads (requests' connection pool is thread-safe, the status cache is a plain dict).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry

from app import __version__
from app.sync.errors import (
    ApprovedError,
    AuthExpiredError,
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    LoginFailedError,
    NotFoundError,
    OfflineError,
    PasswordChangeRequiredError,
    PasswordRuleError,
    RevisionMismatchError,
    RowError,
    ServerAddressError,
    ServerError,
    ServerRejectedError,
    SyncError,
    ThrottledError,
    TooLargeError,
    UploadCancelledError,
    WrongPasswordError,
)

API_PREFIX = "/api/v1"
SCHEMA_VERSION = 1
# gzip level 3: 50,000 rows (24 MB of JSON) in about half the time of level 6, 15 % larger (4.1 MB).
GZIP_LEVEL = 3
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
Progress = Callable[[int, int], None]
CancelCheck = Callable[[], bool]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- settings of the retries


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a request tries: attempts, backoff, and the longest wait a server may ask for."""

    retries: int = 5
    # A refused connection is a server that is down or an address that is wrong: say so within a
    # second or two instead of after the whole backoff (lost answers and 5xx get all the retries).
    connect_retries: int = 2
    backoff_factor: float = 0.5  # waits 0, 1, 2, 4, 8 s between the attempts
    backoff_max: float = 20.0
    max_retry_after: float = 30.0  # a Retry-After beyond this is cut to it (the UI must not hang)
    busy_retries: int = 20  # 409 "the same upload is still being processed": wait and ask again
    connect_timeout: float = 5.0
    read_timeout: float = 120.0  # an upload of 200,000 rows is validated before the server answers


class _Retry(Retry):
    """urllib3's Retry with a ceiling on the server's Retry-After (a 503 must not freeze an upload)."""

    ceiling: ClassVar[float] = 30.0

    def sleep_for_retry(self, response: urllib3.BaseHTTPResponse) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            time.sleep(min(retry_after, self.ceiling))
            return True
        return False


def _retry_class(ceiling: float) -> type[_Retry]:
    # Retry.new() rebuilds the object from its constructor arguments, so the ceiling lives on a class.
    return type("_BoundedRetry", (_Retry,), {"ceiling": ceiling})


# ---------------------------------------------------------------- what the server answers


@dataclass(frozen=True)
class SessionInfo:
    """The answer to a login."""

    token: str
    expires_at: str
    must_change_password: bool
    org_code: str
    school_name: str
    region_code: str


@dataclass(frozen=True)
class Profile:
    """用户管理's 负责人 on the server."""

    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class UploadResult:
    """201 of an upload: the new revision."""

    revision: int
    status: str
    received_at: str
    row_count: int
    digest: str


@dataclass(frozen=True)
class RowComment:
    """A reviewer's comment on one row (``column`` may be empty: the whole row)."""

    row_uid: str
    column: str
    message: str


STATUS_LABELS = {"draft": "未上传", "pending": "待审核", "returned": "退回重交", "approved": "审核通过"}


@dataclass(frozen=True)
class TableStatus:
    """The review status of one table's latest revision (``draft`` and revision None: never uploaded)."""

    table: str
    status: str = "draft"
    revision: int | None = None
    status_label: str = ""
    reviewer: str = ""
    reviewed_at: str = ""
    comment: str = ""
    row_comments: tuple[RowComment, ...] = ()

    @property
    def label(self) -> str:
        """The Chinese status word (未上传 / 待审核 / 审核通过 / 退回重交)."""
        return self.status_label or STATUS_LABELS.get(self.status, self.status)

    @property
    def locked(self) -> bool:
        return self.status == "approved"

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], table: str | None = None) -> TableStatus:
        revision = raw.get("revision")
        comments = raw.get("row_comments") or []
        return cls(
            table=str(raw.get("table") or table or ""),
            status=str(raw.get("status") or "draft"),
            revision=int(revision) if isinstance(revision, int | str) and str(revision).isdigit() else None,
            status_label=str(raw.get("status_label") or ""),
            reviewer=str(raw.get("reviewer") or ""),
            reviewed_at=str(raw.get("reviewed_at") or ""),
            comment=str(raw.get("comment") or ""),
            row_comments=tuple(
                RowComment(
                    str(c.get("row_uid") or ""), str(c.get("column") or ""), str(c.get("message") or "")
                )
                for c in comments
                if isinstance(c, Mapping)
            ),
        )

    def as_json(self) -> dict[str, Any]:
        """The protocol's shape (also what ``zizhu status --format json`` prints per table)."""
        return {
            "table": self.table,
            "status": self.status,
            "status_label": self.label,
            "revision": self.revision,
            "reviewer": self.reviewer,
            "reviewed_at": self.reviewed_at,
            "comment": self.comment,
            "row_comments": [
                {"row_uid": c.row_uid, "column": c.column, "message": c.message} for c in self.row_comments
            ],
        }


def _row_comment(raw: Mapping[str, Any]) -> RowComment:
    return RowComment(
        str(raw.get("row_uid") or ""), str(raw.get("column") or ""), str(raw.get("message") or "")
    )


@dataclass(frozen=True)
class PeriodStatus:
    """Both tables' status for one period, and the ETag that makes the next poll a 304."""

    period: str
    tables: Mapping[str, TableStatus]
    etag: str = ""

    def table(self, key: str) -> TableStatus:
        return self.tables.get(key) or TableStatus(key)


@dataclass(frozen=True)
class RevisionRows:
    """An uploaded revision as the server keeps it (the school's own receipt)."""

    revision: int
    rows: list[dict[str, Any]]
    raw: Mapping[str, Any] = field(repr=False)


# ---------------------------------------------------------------- the upload body


@dataclass(frozen=True)
class UploadBody:
    """A serialized upload: gzip of the JSON body, and a digest of the rows alone.

    ``content_digest`` (sha256 of the rows' JSON) tells whether a kept Idempotency-Key still belongs
    to the same data. The gzip has no time stamp, so the same rows and key give the same bytes.
    """

    gzipped: bytes
    raw_size: int
    row_count: int
    content_digest: str
    batch_id: str

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], batch_id: str) -> UploadBody:
        """``rows`` are dicts with ``row_uid``, the column keys and ``accepted_warnings`` (a list)."""
        rows_json = encode_rows(rows)
        return cls.from_encoded_rows(rows_json, len(rows), batch_id)

    @classmethod
    def from_encoded_rows(cls, rows_json: bytes, row_count: int, batch_id: str) -> UploadBody:
        head = json.dumps(
            {"schema_version": SCHEMA_VERSION, "client_batch_id": batch_id, "row_count": row_count},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        raw = head[:-1] + b',"rows":' + rows_json + b"}"
        return cls(
            gzipped=gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0),
            raw_size=len(raw),
            row_count=row_count,
            content_digest=rows_digest(rows_json),
            batch_id=batch_id,
        )


def encode_rows(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows as compact UTF-8 JSON (Chinese kept as is: a third smaller than \\u escapes)."""
    return json.dumps(list(rows), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def rows_digest(rows_json: bytes) -> str:
    return hashlib.sha256(rows_json).hexdigest()


def decode_body(gzipped: bytes) -> dict[str, Any]:
    """The JSON body of an upload from its gzip bytes (a receipt keeps exactly what was sent)."""
    raw = json.loads(gzip.decompress(gzipped))
    if not isinstance(raw, dict):
        raise ValueError("an upload body is a JSON object")
    return raw


class _Cancelled(Exception):  # noqa: N818 - internal signal, never shown; not an OSError so urllib3 does not retry it
    pass


class _ProgressReader:
    """The upload bytes as a rewindable file: reports progress and stops when the user cancels.

    urllib3 rewinds it (``seek``) before a retry, so every attempt sends the same bytes.
    """

    def __init__(self, data: bytes, progress: Progress | None, cancel: CancelCheck | None) -> None:
        self._data = memoryview(data)
        self._position = 0
        self._progress = progress
        self._cancel = cancel

    def __len__(self) -> int:
        return len(self._data)

    def read(self, size: int | None = -1) -> bytes:
        if self._cancel is not None and self._cancel():
            raise _Cancelled
        end = len(self._data) if size is None or size < 0 else min(len(self._data), self._position + size)
        chunk = bytes(self._data[self._position : end])
        self._position = end
        if self._progress is not None and chunk:
            self._progress(self._position, len(self._data))
        return chunk

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._position, len(self._data))[whence]
        self._position = max(0, min(len(self._data), base + offset))
        return self._position


# ---------------------------------------------------------------- the client


class ReviewClient:
    """The school's calls to the review server at ``base_url`` (e.g. ``http://127.0.0.1:8765``)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.policy = retry or RetryPolicy()
        self._http = requests.Session()
        self._http.headers.update({"User-Agent": f"zizhutong/{__version__}", "Accept": "application/json"})
        adapter = HTTPAdapter(max_retries=self._retry(), pool_connections=2, pool_maxsize=4)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
        self._status_cache: dict[str, PeriodStatus] = {}

    def _retry(self) -> Retry:
        policy = self.policy
        return _retry_class(policy.max_retry_after)(
            total=policy.retries,
            connect=min(policy.connect_retries, policy.retries),
            read=policy.retries,
            status=policy.retries,
            other=0,
            backoff_factor=policy.backoff_factor,
            backoff_max=policy.backoff_max,
            status_forcelist=_RETRY_STATUSES,
            # PUT and GET are safe to repeat (an upload carries its Idempotency-Key); a POST is retried
            # only when it never reached the server (connect errors).
            allowed_methods=frozenset({"GET", "PUT", "HEAD"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ReviewClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the account --------------------------------------------------------------------------------

    def login(self, org_code: str, password: str) -> SessionInfo:
        """``POST /session`` for a school; keeps the token for the following calls."""
        reply = self._request(
            "POST", "/session", json_body={"org_code": org_code, "password": password}, login=True
        )
        answer = _object(reply)
        raw_school = answer.get("school")
        school: Mapping[str, Any] = raw_school if isinstance(raw_school, Mapping) else {}
        token = answer.get("token")
        if not isinstance(token, str) or not token:
            raise ServerError("login answer without token")
        self.token = token
        return SessionInfo(
            token=token,
            expires_at=str(answer.get("expires_at") or ""),
            must_change_password=bool(answer.get("must_change_password")),
            org_code=str(school.get("org_code") or org_code),
            school_name=str(school.get("name") or ""),
            region_code=str(school.get("region_code") or ""),
        )

    def change_password(self, old_password: str, new_password: str) -> None:
        """``POST /account/password``; 204 when done."""
        self._request(
            "POST",
            "/account/password",
            json_body={"old_password": old_password, "new_password": new_password},
            password_change=True,
        )

    def get_profile(self) -> Profile:
        answer = _object(self._request("GET", "/account/profile"))
        return Profile(str(answer.get("contact_name") or ""), str(answer.get("contact_phone") or ""))

    def put_profile(self, profile: Profile) -> Profile:
        body = {"contact_name": profile.contact_name, "contact_phone": profile.contact_phone}
        answer = _object(self._request("PUT", "/account/profile", json_body=body))
        return Profile(
            str(answer.get("contact_name", profile.contact_name)),
            str(answer.get("contact_phone", profile.contact_phone)),
        )

    # -- uploads ------------------------------------------------------------------------------------

    def upload(
        self,
        period_id: str,
        table: str,
        body: UploadBody,
        *,
        idempotency_key: str,
        if_match_revision: int | None,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> UploadResult:
        """``PUT /submissions/{period}/{table}``: a new revision of the whole table.

        ``if_match_revision`` is the revision this PC last saw (None: it never saw one, sends ``*``).
        ``progress(sent_bytes, total_bytes)`` is called as the gzip body goes out; ``cancel()``
        returning True stops the upload before the body is complete (UploadCancelledError). Once the
        body is sent the server decides; a cancelled or failed upload may therefore still have made
        a revision, which a later upload with the same key (and same rows) gets back instead of a new one.
        """
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Idempotency-Key": idempotency_key,
            "If-Match": "*" if if_match_revision is None else f'"{if_match_revision}"',
        }
        path = f"/submissions/{period_id}/{table}"
        for attempt in range(self.policy.busy_retries + 1):
            reply = self._request(
                "PUT",
                path,
                data=body.gzipped,
                headers=headers,
                busy_ok=True,
                progress=progress,
                cancel=cancel,
            )
            if reply.response.status_code != 409:
                return _upload_result(_object(reply))
            wait, error = _retry_after(reply.response), _error_for(reply.response)
            if isinstance(error, ApprovedError) or wait is None or attempt == self.policy.busy_retries:
                raise error
            # The first request with this key is still being processed (e.g. its answer was lost
            # and this is the retry): ask again after the time the server names.
            log.info("upload %s still being processed; retrying in %.1f s", idempotency_key, wait)
            if cancel is not None and cancel():
                raise UploadCancelledError("cancelled while waiting")
            time.sleep(min(wait, self.policy.max_retry_after))
        raise AssertionError("unreachable")

    def status(self, period_id: str, *, known: PeriodStatus | None = None) -> PeriodStatus:
        """``GET /submissions/{period}``; with an ETag from ``known`` or the last call it costs a 304."""
        cached = known or self._status_cache.get(period_id)
        headers = {"If-None-Match": cached.etag} if cached is not None and cached.etag else {}
        reply = self._request("GET", f"/submissions/{period_id}", headers=headers, not_modified_ok=True)
        if reply.response.status_code == 304 and cached is not None:
            return cached
        result = PeriodStatus(
            period_id, _status_entries(reply.answer), reply.response.headers.get("ETag", "")
        )
        self._status_cache[period_id] = result
        return result

    def revision(self, period_id: str, table: str, revision: int) -> RevisionRows:
        """``GET /submissions/{period}/{table}/revisions/{n}``: the rows of an uploaded revision."""
        answer = _object(self._request("GET", f"/submissions/{period_id}/{table}/revisions/{revision}"))
        rows = answer.get("rows")
        return RevisionRows(
            revision=int(answer.get("revision") or revision),
            rows=[dict(row) for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else [],
            raw=answer,
        )

    # -- plumbing -----------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        **options: Any,
    ) -> _Reply:
        """Send one request and read its answer, raising the typed error of a failure.

        urllib3 retries what fails before an answer starts (refused or dropped connections, 5xx);
        an answer cut off midway (it then reads as truncated or unreadable) is asked for again here,
        for GET and PUT only: a PUT upload carries its Idempotency-Key, so the server answers it
        again instead of storing it twice.
        """
        retry_lost = method in ("GET", "PUT")
        data: bytes | None = options.pop("data", None)
        for attempt in range(self.policy.retries + 1):
            # A fresh reader per attempt: every attempt sends the same bytes from the start.
            reader = None if data is None else _ProgressReader(data, progress, cancel)
            try:
                return self._attempt(method, path, reader, **options)
            except _LostAnswer as lost:
                if not retry_lost or attempt == self.policy.retries:
                    raise ConnectionFailedError(lost.detail) from lost
                log.info("answer to %s %s lost (%s); asking again", method, path, lost.detail)
            if cancel is not None and cancel():
                raise UploadCancelledError("cancelled between attempts")
            time.sleep(
                min(self.policy.backoff_max, self.policy.backoff_factor * (2**attempt)) if attempt else 0
            )
        raise AssertionError("unreachable")

    def _attempt(
        self,
        method: str,
        path: str,
        reader: _ProgressReader | None,
        *,
        login: bool = False,
        password_change: bool = False,
        busy_ok: bool = False,
        not_modified_ok: bool = False,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> _Reply:
        all_headers = dict(headers or {})
        if self.token and not login:
            all_headers["Authorization"] = f"Bearer {self.token}"
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        try:
            response = self._http.request(
                method,
                self.base_url + API_PREFIX + path,
                headers=all_headers,
                timeout=timeout,
                json=json_body,
                data=reader,
            )
        except _Cancelled as exc:
            raise UploadCancelledError("cancelled while sending") from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise _LostAnswer(f"{type(exc).__name__}: {exc}") from exc
        except requests.exceptions.RequestException as exc:
            raise _network_error(exc) from exc
        status = response.status_code
        if not (status < 300 or (status == 304 and not_modified_ok) or (status == 409 and busy_ok)):
            raise _error_for(response, login=login, password_change=password_change)
        if status in (204, 304, 409):
            return _Reply(response, None)
        try:
            return _Reply(response, response.json())
        except ValueError as exc:
            # A success without its JSON is an answer cut inside its headers, not a server bug.
            raise _LostAnswer(f"unreadable {status} answer of {len(response.content)} bytes") from exc


@dataclass(frozen=True)
class _Reply:
    response: requests.Response
    answer: Any  # the parsed JSON body; None for 204, 304 and a busy 409


class _LostAnswer(Exception):  # noqa: N818 - internal signal: the answer was cut off on the way
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _object(reply: _Reply) -> Mapping[str, Any]:
    if not isinstance(reply.answer, Mapping):
        raise ServerError(f"answer is not a JSON object ({reply.response.status_code})")
    return reply.answer


def _status_entries(answer: Any) -> dict[str, TableStatus]:
    """The tables of a status answer: a list of entries, or an object holding them (a list or by table)."""
    entries: Any = answer
    if isinstance(answer, Mapping):
        entries = answer.get("tables", answer.get("submissions", answer))
    if isinstance(entries, Mapping):
        entries = [{"table": key, **value} for key, value in entries.items() if isinstance(value, Mapping)]
    if not isinstance(entries, list):
        raise ServerError(f"unreadable status answer: {answer!r:.200}")
    statuses = (TableStatus.from_json(entry) for entry in entries if isinstance(entry, Mapping))
    return {status.table: status for status in statuses if status.table}


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _upload_result(answer: Mapping[str, Any]) -> UploadResult:
    try:
        return UploadResult(
            revision=int(answer["revision"]),
            status=str(answer.get("status") or "pending"),
            received_at=str(answer.get("received_at") or ""),
            row_count=int(answer.get("row_count") or 0),
            digest=str(answer.get("digest") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ServerError(f"upload answer without revision: {dict(answer)!r:.200}") from exc


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: the server of this protocol sends seconds


def _body(response: requests.Response) -> Mapping[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, Mapping) else {}


@dataclass(frozen=True)
class _Answer:
    """A failed answer as the error mapping needs it."""

    status: int
    body: Mapping[str, Any]
    detail: str
    retry_after: float | None
    login: bool
    password_change: bool

    def mentions(self, *words: str) -> bool:
        text = json.dumps(self.body, ensure_ascii=False).lower()
        return any(word in text for word in words)

    @property
    def code(self) -> str:
        return str(self.body.get("code") or "")

    @property
    def wrong_old_password(self) -> bool:
        return self.password_change and (self.code == "wrong_password" or self.mentions("原密码"))


def _unauthorized(answer: _Answer) -> SyncError:
    if answer.login:
        return LoginFailedError(answer.detail)
    if answer.wrong_old_password:
        return WrongPasswordError(answer.detail)
    return AuthExpiredError(answer.detail)


def _forbidden(answer: _Answer) -> SyncError:
    if answer.wrong_old_password:
        return WrongPasswordError(answer.detail)
    if answer.code == "must_change_password" or answer.mentions("must_change_password", "修改密码"):
        return PasswordChangeRequiredError(answer.detail)
    return ForbiddenError(answer.detail)


def _conflict(answer: _Answer) -> SyncError:
    if answer.body.get("status") == "approved" or answer.mentions("approved", "审核通过"):
        return ApprovedError(answer.detail)
    return ConflictError(answer.detail)


def _precondition_failed(answer: _Answer) -> SyncError:
    current = answer.body.get("current")
    revision = current.get("revision") if isinstance(current, Mapping) else answer.body.get("revision")
    return RevisionMismatchError(
        answer.detail, current_revision=revision if isinstance(revision, int) else None
    )


def _rejected(answer: _Answer) -> SyncError:
    if answer.wrong_old_password:
        return WrongPasswordError(answer.detail)
    if answer.password_change:
        return PasswordRuleError(answer.detail)
    errors = answer.body.get("errors")
    listed = errors if isinstance(errors, list) else []
    rows = [RowError.from_json(error) for error in listed if isinstance(error, Mapping)]
    return ServerRejectedError(answer.detail, errors=rows)


_ERRORS_BY_STATUS: dict[int, Callable[[_Answer], SyncError]] = {
    400: _rejected,
    401: _unauthorized,
    403: _forbidden,
    404: lambda answer: NotFoundError(answer.detail),
    409: _conflict,
    412: _precondition_failed,
    413: lambda answer: TooLargeError(answer.detail),
    422: _rejected,
    429: lambda answer: ThrottledError(answer.detail, retry_after=answer.retry_after),
}


def _error_for(
    response: requests.Response, *, login: bool = False, password_change: bool = False
) -> SyncError:
    """The typed error of a non-success answer (by its status code, and a few fields of its body)."""
    status = response.status_code
    answer = _Answer(
        status=status,
        body=_body(response),
        detail=f"HTTP {status} {response.request.method} {response.url}: {response.text[:300]}",
        retry_after=_retry_after(response),
        login=login,
        password_change=password_change,
    )
    mapping = _ERRORS_BY_STATUS.get(status)
    if mapping is not None:
        return mapping(answer)
    return ServerError(answer.detail) if status >= 500 else SyncError(answer.detail)


def _network_error(exc: requests.exceptions.RequestException) -> SyncError:
    """Offline when no connection could be made at all; otherwise the connection failed midway."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return OfflineError(detail)
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, NewConnectionError | ConnectTimeoutError):
            return OfflineError(detail)
        return ConnectionFailedError(detail)
    if isinstance(exc, requests.exceptions.Timeout):
        return ConnectionFailedError(detail)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return ServerAddressError(detail)
    return ConnectionFailedError(detail)
