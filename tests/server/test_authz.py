"""The authorization matrix: every endpoint × every kind of caller gives the specified status.

Callers: no token, an expired token, school A, school B (same county as A), a reviewer whose scope
covers A and B, a reviewer of another city, an admin, and a school that has not yet changed its
initial password. Requests that would change data are built so that passing the authorization
check ends in a harmless refusal (stale If-Match, stale revision, wrong old password), so the
matrix can run in any order with the other tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.server.conftest import World
from tests.server.live import INITIAL_PASSWORD, SCHOOL_PASSWORD, bearer, client_digest, student_rows, upload

PERIOD = "2020-2021-1"
ONLY_B = "2020-2021-2"
CALLERS = ("none", "expired", "school_a", "school_b", "reviewer_in", "reviewer_out", "admin", "must_change")


@dataclass
class Setup:
    tokens: dict[str, str | None]
    a_rows: list[dict[str, Any]]
    b_rows: list[dict[str, Any]]
    a_submission: int
    b_submission: int
    liuzhou_submission: int


@pytest.fixture(scope="session")
def setup(live: World) -> Setup:
    a, b = live.school_token("a"), live.school_token("b")
    a_rows, b_rows = student_rows(20, PERIOD, seed=31), student_rows(15, PERIOD, seed=32)
    a_answer = upload(live.api, a, PERIOD, "students", a_rows)
    b_answer = upload(live.api, b, PERIOD, "students", b_rows)
    liuzhou = upload(
        live.api, live.school_token("liuzhou"), PERIOD, "students", student_rows(5, PERIOD, seed=33)
    )
    assert upload(live.api, b, ONLY_B, "students", student_rows(4, ONLY_B, seed=34)).status_code == 201
    for answer in (a_answer, b_answer, liuzhou):
        assert answer.status_code == 201, answer.text
    expired = live.server.token(SCHOOL_PASSWORD, org_code=live.school("a"))
    live.server.expire_token(expired)
    must_change = live.server.login(INITIAL_PASSWORD, org_code=live.school("matrix")).json()["token"]
    return Setup(
        tokens={
            "none": None,
            "expired": expired,
            "school_a": a,
            "school_b": b,
            "reviewer_in": live.reviewer_in,
            "reviewer_out": live.reviewer_out,
            "admin": live.admin,
            "must_change": must_change,
        },
        a_rows=a_rows,
        b_rows=b_rows,
        a_submission=a_answer.json()["submission_id"],
        b_submission=b_answer.json()["submission_id"],
        liuzhou_submission=liuzhou.json()["submission_id"],
    )


Call = Callable[[World, Setup, str | None], requests.Response]


def _get(path: str) -> Call:
    def call(live: World, setup: Setup, token: str | None) -> requests.Response:
        return requests.get(f"{live.api}/{path.format(s=setup)}", headers=bearer(token), timeout=30)

    return call


def _send(method: str, path: str, body: dict[str, Any]) -> Call:
    def call(live: World, setup: Setup, token: str | None) -> requests.Response:
        return requests.request(
            method, f"{live.api}/{path.format(s=setup)}", json=body, headers=bearer(token), timeout=30
        )

    return call


def _stale_upload(live: World, setup: Setup, token: str | None) -> requests.Response:
    return upload(
        live.api, token, PERIOD, "students", setup.a_rows[:2], key=str(uuid.uuid4()), if_match='"99"'
    )


#                           none expired   A    B  rev_in rev_out admin must_change
PROFILE_OK = (401, 401, 200, 200, 200, 200, 200, 403)
SCHOOL_ONLY = (401, 401, 200, 200, 403, 403, 403, 403)
REVIEW_QUEUE = (401, 401, 403, 403, 200, 200, 200, 403)
REVIEW_IN_SCOPE = (401, 401, 403, 403, 200, 404, 200, 403)
DECIDE_REFUSED = (401, 401, 403, 403, 409, 404, 409, 403)

MATRIX: list[tuple[str, Call, tuple[int, ...]]] = [
    ("GET /account/profile", _get("account/profile"), PROFILE_OK),
    ("PUT /account/profile", _send("PUT", "account/profile", {"contact_name": "张老师"}), PROFILE_OK),
    ("GET /periods", _get("periods"), PROFILE_OK),
    (
        "POST /account/password",
        _send("POST", "account/password", {"old_password": "not-it", "new_password": "Whatever#2026"}),
        (401, 401, 422, 422, 422, 422, 422, 422),
    ),
    ("GET /submissions/{period}", _get(f"submissions/{PERIOD}"), SCHOOL_ONLY),
    ("GET /submissions/…/revisions/1", _get(f"submissions/{PERIOD}/students/revisions/1"), SCHOOL_ONLY),
    ("PUT /submissions/{period}/{table}", _stale_upload, (401, 401, 412, 412, 403, 403, 403, 403)),
    ("GET /review/queue", _get("review/queue"), REVIEW_QUEUE),
    ("GET /review/{A}", _get("review/{s.a_submission}"), REVIEW_IN_SCOPE),
    ("GET /review/{B}", _get("review/{s.b_submission}"), REVIEW_IN_SCOPE),
    (
        "GET /review/{liuzhou}",
        _get("review/{s.liuzhou_submission}"),
        (401, 401, 403, 403, 404, 200, 200, 403),
    ),
    (
        "POST /review/{A}/decision",
        _send("POST", "review/{s.a_submission}/decision", {"revision": 99, "decision": "approve"}),
        DECIDE_REFUSED,
    ),
    (
        "POST /review/{A}/reopen",
        _send("POST", "review/{s.a_submission}/reopen", {"comment": "撤销"}),
        DECIDE_REFUSED,
    ),
]


def test_authorization_matrix(live: World, setup: Setup) -> None:
    wrong: list[str] = []
    for name, call, expected in MATRIX:
        for caller, status in zip(CALLERS, expected, strict=True):
            answer = call(live, setup, setup.tokens[caller])
            if answer.status_code != status:
                wrong.append(
                    f"{name} as {caller}: {answer.status_code} (expected {status}) {answer.text[:160]}"
                )
            elif status >= 400:
                body = answer.json()
                assert body["code"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    assert not wrong, "\n".join(wrong)


def test_school_a_never_sees_school_b(live: World, setup: Setup) -> None:
    a, b = setup.tokens["school_a"], setup.tokens["school_b"]

    def status(token: str | None, period: str) -> dict[str, Any]:
        answer = requests.get(f"{live.api}/submissions/{period}", headers=bearer(token), timeout=30)
        return {entry["table"]: entry for entry in answer.json()["submissions"]}

    assert status(a, PERIOD)["students"]["digest"] == client_digest(setup.a_rows, "students")
    assert status(b, PERIOD)["students"]["digest"] == client_digest(setup.b_rows, "students")
    assert status(a, ONLY_B)["students"]["status"] == "draft"
    receipt = requests.get(
        f"{live.api}/submissions/{PERIOD}/students/revisions/1", headers=bearer(a), timeout=30
    )
    assert receipt.json()["rows"] == setup.a_rows
    only_b = requests.get(
        f"{live.api}/submissions/{ONLY_B}/students/revisions/1", headers=bearer(a), timeout=30
    )
    assert only_b.status_code == 404
    # The matrix's uploads from A never touched B's submission.
    assert status(b, PERIOD)["students"]["revision"] == 1
    assert json.dumps(status(b, PERIOD)).count(live.school("a")) == 0


def test_review_queue_shows_only_the_scope(live: World, setup: Setup) -> None:
    def ids(token: str | None) -> set[int]:
        answer = requests.get(
            f"{live.api}/review/queue?period={PERIOD}&limit=500", headers=bearer(token), timeout=30
        )
        return {item["submission_id"] for item in answer.json()["items"]}

    both = {setup.a_submission, setup.b_submission}
    assert ids(live.reviewer_in) == both
    assert ids(live.reviewer_out) == {setup.liuzhou_submission}
    assert ids(live.admin) == {*both, setup.liuzhou_submission}
