"""Errors of the server's services, each with an HTTP status, a stable code and a Chinese message.

Services (auth, accounts, uploads, review) raise these; the API turns one into a JSON body
``{"code": …, "message": …, **extra}`` (and headers such as ``Retry-After``), and the reviewer
console shows ``message``. Nothing here depends on FastAPI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ServiceError(Exception):
    """A request the server refuses; ``message`` is plain Chinese for the user."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"code": self.code, "message": self.message, **self.extra}


class UnauthorizedError(ServiceError):
    status_code = 401
    code = "unauthorized"


class ForbiddenError(ServiceError):
    status_code = 403
    code = "forbidden"


class NotFoundError(ServiceError):
    status_code = 404
    code = "not_found"


class ConflictError(ServiceError):
    status_code = 409
    code = "conflict"


class PreconditionFailedError(ServiceError):
    status_code = 412
    code = "revision_mismatch"


class PayloadTooLargeError(ServiceError):
    status_code = 413
    code = "too_large"


class InvalidRequestError(ServiceError):
    """A request whose content is wrong (HTTP 422)."""

    status_code = 422
    code = "invalid_request"


class PreconditionRequiredError(ServiceError):
    status_code = 428
    code = "precondition_required"


class ThrottledError(ServiceError):
    """Too many failed logins: retry after ``retry_after`` seconds."""

    status_code = 429
    code = "throttled"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(
            message, extra={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
        )
        self.retry_after = retry_after
