"""The fast path of status polling: a ``304`` without the web framework.

Every school client polls ``GET /api/v1/submissions/{period}`` with ``If-None-Match`` and nearly
every answer is ``304``. Through FastAPI (dependencies, security scheme, header validation, the
thread pool) most of that request's CPU time went to the framework, not to the lookup itself
(bench/bench_server.py). ``FastPollMiddleware`` answers exactly that request — a well-formed period,
one ``Authorization: Bearer …`` and one ``If-None-Match`` — itself, with the same login check
(``auth.require_principal`` through ``submissions.polled_status``) and the same ETag as the route.

It only ever answers ``304``. Anything else — no or a bad token, a school whose password must
change, a staff account, a changed status, unusual headers, any error — goes on to the FastAPI app
untouched, so every error body and every ``200`` comes from the one normal route.
"""

from __future__ import annotations

import logging
import re
from typing import Final, NamedTuple

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server import submissions
from server.api import PREFIX
from server.db import Database
from server.errors import ServiceError

log = logging.getLogger(__name__)

# ASCII digits only (the route's pattern is looser); the period is parsed again by the lookup.
_STATUS_PATH: Final = re.compile(rf"{re.escape(PREFIX)}/submissions/([0-9]{{4}}-[0-9]{{4}}-[12])")
# The route declares If-None-Match with max_length=500: longer ones get its 422.
_MAX_IF_NONE_MATCH: Final = 500
_AUTHORIZATION: Final = b"authorization"
_IF_NONE_MATCH: Final = b"if-none-match"


class FastPollMiddleware:
    """ASGI middleware answering unchanged status polls with ``304``; everything else passes through.

    ``inline`` (the default) runs the two lookups on the event loop: a read of a few dozen to a few
    hundred microseconds is cheaper than the hop to the thread pool. On PostgreSQL they use a
    connection of the event loop's own (``Database.for_event_loop``), so a pool drained by uploads
    never makes the loop wait; ``inline=False`` sends them to the thread pool instead.
    """

    def __init__(self, app: ASGIApp, db: Database, inline: bool | None = None) -> None:
        self.app = app
        self.inline = True if inline is None else inline
        self.db = db.for_event_loop() if self.inline else db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        poll = _poll_of(scope)
        if poll is not None and await self._unchanged(poll, scope, receive, send):
            return
        await self.app(scope, receive, send)

    async def _unchanged(self, poll: _Poll, scope: Scope, receive: Receive, send: Send) -> bool:
        """Send the ``304`` and return True when the school's status still has that ETag."""
        try:
            if self.inline:
                status = submissions.polled_status(self.db, poll.token, poll.period)
            else:
                status = await run_in_threadpool(submissions.polled_status, self.db, poll.token, poll.period)
        except ServiceError:
            return False  # 401/403/422: the route gives the answer, with its body
        except Exception:
            # The route will meet the same problem and answer (and log) it the usual way.
            log.debug("fast status poll failed; handing the request to the route", exc_info=True)
            return False
        if not submissions.etag_matches(poll.if_none_match, status.etag):
            return False
        await not_modified(status.etag)(scope, receive, send)
        return True


def not_modified(etag: str) -> Response:
    """The ``304`` of ``GET /submissions/{period}``: the same headers as the route's."""
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "no-cache"})


class _Poll(NamedTuple):
    period: str
    token: str
    if_none_match: str


def _poll_of(scope: Scope) -> _Poll | None:
    """The period, token and If-None-Match of a plain status poll; None for any other request."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    match = _STATUS_PATH.fullmatch(scope["path"])
    headers = _poll_headers(scope) if match is not None else None
    if match is None or headers is None:
        return None
    token = _bearer_token(headers[0].decode("latin-1"))
    tags = headers[1].decode("latin-1")
    if token is None or len(tags) > _MAX_IF_NONE_MATCH:
        return None
    return _Poll(match.group(1), token, tags)


def _poll_headers(scope: Scope) -> tuple[bytes, bytes] | None:
    """(Authorization, If-None-Match) when each appears exactly once (and is not empty)."""
    authorization: bytes | None = None
    if_none_match: bytes | None = None
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            if authorization is not None:
                return None  # repeated: leave it to the framework's own reading
            authorization = value
        elif name == _IF_NONE_MATCH:
            if if_none_match is not None:
                return None
            if_none_match = value
    if authorization is None or not if_none_match:
        return None
    return authorization, if_none_match


def _bearer_token(authorization: str) -> str | None:
    """The token of ``Bearer <token>``, read the way FastAPI's HTTPBearer reads it."""
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials
