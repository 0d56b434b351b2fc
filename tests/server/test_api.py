"""The API of protocol.md against a real server process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from server.accounts import reset_password
from server.audit import Actor
from tests.server.conftest import World
from tests.server.live import (
    INITIAL_PASSWORD,
    SCHOOL_PASSWORD,
    aid_rows,
    bearer,
    client_digest,
    student_rows,
    upload,
    upload_body,
)

BACKEND_NUMBER = {"sqlite": 1, "postgresql": 2}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _status(live: World, token: str, period: str) -> dict[str, Any]:
    response = requests.get(f"{live.api}/submissions/{period}", headers=bearer(token), timeout=30)
    assert response.status_code == 200, response.text
    return {entry["table"]: entry for entry in response.json()["submissions"]}


# ---------------------------------------------------------------- accounts


def test_first_login_forces_a_password_change_by_the_rules(live: World) -> None:
    org_code = live.school("fresh")
    first = live.server.login(INITIAL_PASSWORD, org_code=org_code)
    assert first.status_code == 200
    body = first.json()
    assert body["must_change_password"] is True
    assert body["school"] == {"org_code": org_code, "name": "青秀区第一小学", "region_code": "450103"}
    token = body["token"]

    refused = requests.get(f"{live.api}/periods", headers=bearer(token), timeout=30)
    assert refused.status_code == 403
    assert refused.json()["code"] == "must_change_password"

    def change(new: str, old: str = INITIAL_PASSWORD) -> requests.Response:
        return requests.post(
            f"{live.api}/account/password",
            json={"old_password": old, "new_password": new},
            headers=bearer(token),
            timeout=30,
        )

    for weak in ("short1", INITIAL_PASSWORD, org_code):
        answer = change(weak)
        assert answer.status_code == 422, weak
        assert answer.json()["code"] == "weak_password"
        assert _has_chinese(answer.json()["message"])
    assert change("Good#Password1", old="not-the-old-one").json()["code"] == "wrong_password"
    assert change("Good#Password1").status_code == 204

    assert requests.get(f"{live.api}/periods", headers=bearer(token), timeout=30).status_code == 200
    assert live.server.login(INITIAL_PASSWORD, org_code=org_code).status_code == 401
    again = live.server.login("Good#Password1", org_code=org_code)
    assert again.status_code == 200
    assert again.json()["must_change_password"] is False


def test_profile_and_periods(live: World) -> None:
    token = live.school_token("upload")
    saved = requests.put(
        f"{live.api}/account/profile",
        json={"contact_name": "韦老师", "contact_phone": "0771-5551234"},
        headers=bearer(token),
        timeout=30,
    )
    assert saved.status_code == 200
    read = requests.get(f"{live.api}/account/profile", headers=bearer(token), timeout=30)
    assert read.json() == {"contact_name": "韦老师", "contact_phone": "0771-5551234"}
    bad = requests.put(
        f"{live.api}/account/profile", json={"contact_phone": "12345"}, headers=bearer(token), timeout=30
    )
    assert bad.status_code == 422
    assert "联系电话" in bad.json()["message"]

    periods = requests.get(f"{live.api}/periods", headers=bearer(token), timeout=30).json()["periods"]
    assert periods, "init offers the current period"
    assert all(p["is_open"] for p in periods)
    assert {"id", "label", "deadline"} <= set(periods[0])


def test_reset_password_ends_sessions_and_forces_a_change(live: World) -> None:
    org_code = live.school("reset")
    token = live.server.school_token(org_code)
    with live.server.database() as db:  # what `zizhu-server reset-password` does (its CLI: test_cli.py)
        reset_password(db, Actor.cli(), org_code=org_code)
    assert requests.get(f"{live.api}/periods", headers=bearer(token), timeout=30).status_code == 401
    assert live.server.login(SCHOOL_PASSWORD, org_code=org_code).status_code == 401
    again = live.server.login(INITIAL_PASSWORD, org_code=org_code)
    assert again.status_code == 200
    assert again.json()["must_change_password"] is True


def test_throttling_per_account(live: World) -> None:
    org_code = live.school("throttle")
    answers = [live.server.login("wrong-password", org_code=org_code, address="10.1.0.1") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    locked = live.server.login(INITIAL_PASSWORD, org_code=org_code, address="10.1.0.2")
    assert locked.status_code == 429, "even the right password waits for the lock to end"
    retry_after = int(locked.headers["Retry-After"])
    assert 800 < retry_after <= 900
    assert locked.json()["retry_after"] == retry_after
    assert "分钟" in locked.json()["message"]


def test_throttling_per_address(live: World) -> None:
    address = f"10.2.{BACKEND_NUMBER[live.backend]}.7"

    def fail(index: int) -> int:
        return live.server.login("wrong", org_code=f"99000{index:05d}", address=address).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:  # the server hashes in parallel: less waiting
        statuses = list(pool.map(fail, range(49)))
    assert statuses == [401] * 49
    assert fail(49) == 429
    # A school behind that address is refused too, one elsewhere is not.
    blocked = live.server.login(SCHOOL_PASSWORD, org_code=live.school("a"), address=address)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert live.server.login(SCHOOL_PASSWORD, org_code=live.school("a"), address="10.3.0.1").status_code in (
        200,
        401,  # 401 only if "a" never changed its password yet; never 429
    )


# ---------------------------------------------------------------- uploads and status


def test_upload_status_receipt_and_etag(live: World) -> None:
    token = live.school_token("upload")
    period = "2025-2026-2"
    assert _status(live, token, period)["students"]["status"] == "draft"
    rows = student_rows(30, period, seed=11)
    created = upload(live.api, token, period, "students", rows)
    assert created.status_code == 201, created.text
    receipt = created.json()
    assert receipt["revision"] == 1
    assert receipt["status"] == "pending"
    assert receipt["row_count"] == 30
    assert receipt["digest"] == client_digest(rows, "students")

    status = requests.get(f"{live.api}/submissions/{period}", headers=bearer(token), timeout=30)
    entries = {entry["table"]: entry for entry in status.json()["submissions"]}
    assert entries["students"]["revision"] == 1
    assert entries["students"]["status_label"] == "待审核"
    assert entries["aid"]["status"] == "draft"
    etag = status.headers["ETag"]
    unchanged = requests.get(
        f"{live.api}/submissions/{period}", headers={**bearer(token), "If-None-Match": etag}, timeout=30
    )
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    stored = requests.get(
        f"{live.api}/submissions/{period}/students/revisions/1", headers=bearer(token), timeout=30
    )
    assert stored.status_code == 200
    assert stored.json()["rows"] == rows
    assert stored.json()["digest"] == receipt["digest"]
    missing = requests.get(
        f"{live.api}/submissions/{period}/students/revisions/2", headers=bearer(token), timeout=30
    )
    assert missing.status_code == 404

    second = upload(live.api, token, period, "students", rows[:29], if_match='"1"')
    assert second.status_code == 201
    changed = requests.get(
        f"{live.api}/submissions/{period}", headers={**bearer(token), "If-None-Match": etag}, timeout=30
    )
    assert changed.status_code == 200, "a new revision changes the ETag"
    assert changed.headers["ETag"] != etag


def test_upload_with_errors_is_refused_with_row_level_errors_and_nothing_stored(live: World) -> None:
    token = live.school_token("upload")
    period = "2024-2025-1"
    rows = student_rows(10, period, seed=12)
    bad_id = rows[3]["id_number"]
    rows[3]["id_number"] = bad_id[:17] + ("0" if bad_id[17] != "0" else "1")  # wrong check digit
    rows[6]["gender"] = "未知"
    refused = upload(live.api, token, period, "students", rows)
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "validation_failed"
    assert _has_chinese(body["message"])
    found = {(error["row_uid"], error["rule"]) for error in body["errors"]}
    assert (rows[3]["row_uid"], "S06") in found
    assert (rows[6]["row_uid"], "S11") in found
    first = next(error for error in body["errors"] if error["rule"] == "S06")
    assert first["row"] == 4
    assert first["column"] == "身份证号"
    assert first["severity"] == "error"
    assert _status(live, token, period)["students"]["status"] == "draft"


def test_malformed_uploads_are_422_in_chinese(live: World) -> None:
    token = live.school_token("upload")
    period = "2024-2025-2"
    rows = student_rows(3, period, seed=13)
    cases: list[tuple[bytes, str]] = [
        (b"{not json", "JSON"),
        (json.dumps({**upload_body(rows), "row_count": 4}).encode(), "row_count"),
        (json.dumps(upload_body([{**rows[0], "surprise": "x"}, *rows[1:]])).encode(), "未知的列"),
        (json.dumps(upload_body([rows[0], {**rows[1], "row_uid": rows[0]["row_uid"]}])).encode(), "重复"),
        (json.dumps(upload_body([{**rows[0], "name": 12}])).encode(), "应为文本"),
        (json.dumps(upload_body([{**rows[0], "name": "韦\x1f"}])).encode(), "控制字符"),
        (json.dumps({**upload_body(rows), "schema_version": 7}).encode(), "升级"),
    ]
    for data, words in cases:
        answer = upload(live.api, token, period, "students", rows, body=data)
        assert answer.status_code == 422, (words, answer.text)
        assert words in answer.json()["message"], answer.json()
    assert _status(live, token, period)["students"]["status"] == "draft"


def test_if_match_412_and_428(live: World) -> None:
    token = live.school_token("upload")
    period = "2023-2024-1"
    rows = student_rows(5, period, seed=14)
    assert upload(live.api, token, period, "students", rows).status_code == 201
    stale = upload(live.api, token, period, "students", rows, if_match='"*"')
    assert stale.status_code == 412
    assert stale.json()["revision"] == 1
    assert stale.json()["status"] == "pending"
    assert stale.json()["current"]["revision"] == 1
    assert upload(live.api, token, period, "students", rows, if_match='"7"').status_code == 412
    missing = upload(live.api, token, period, "students", rows, if_match=None)
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["message"]
    assert upload(live.api, token, period, "students", rows, if_match='"1"').json()["revision"] == 2


def test_size_limit_413(live: World) -> None:
    token = live.school_token("upload")
    rows: list[dict[str, Any]] = [{}] * 250_001
    body = json.dumps(upload_body(rows)).encode()
    answer = upload(live.api, token, "2023-2024-2", "students", [], body=body, compress=True)
    assert answer.status_code == 413
    assert "250000" in answer.json()["message"]


def test_idempotent_retry_returns_the_first_answer(live: World) -> None:
    token = live.school_token("idempotency")
    period = "2025-2026-1"
    rows = student_rows(8, period, seed=15)
    key = str(uuid.uuid4())
    first = upload(live.api, token, period, "students", rows, key=key)
    assert first.status_code == 201
    # The retry still says If-Match "*": the stored answer wins over the (now stale) precondition.
    retry = upload(live.api, token, period, "students", rows, key=key)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    other = upload(live.api, token, period, "students", rows[:7], key=key)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert _status(live, token, period)["students"]["revision"] == 1

    # A refused upload's answer is kept too: the same retry gets the same 422.
    broken = [{**rows[0], "gender": "?"}, *rows[1:]]
    bad_key = str(uuid.uuid4())
    refused = upload(live.api, token, period, "students", broken, key=bad_key, if_match='"1"')
    assert refused.status_code == 422
    assert (
        upload(live.api, token, period, "students", broken, key=bad_key, if_match='"1"').json()
        == refused.json()
    )


def test_twenty_concurrent_retries_make_exactly_one_revision(live: World) -> None:
    token = live.school_token("concurrent")
    period = "2022-2023-1"
    rows = student_rows(200, period, seed=16)
    data = json.dumps(upload_body(rows), ensure_ascii=False).encode()
    key = str(uuid.uuid4())
    answers: list[requests.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def client() -> None:
        start.wait()
        for _attempt in range(60):  # as the client does: retry while the first one is in progress
            answer = upload(live.api, token, period, "students", rows, key=key, body=data)
            if answer.status_code != 409:
                break
            assert answer.json()["code"] == "upload_in_progress"
            time.sleep(float(answer.headers["Retry-After"]) / 4)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=client) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == 20
    assert {answer.status_code for answer in answers} == {201}
    assert {answer.json()["revision"] for answer in answers} == {1}
    assert len({answer.json()["received_at"] for answer in answers}) == 1
    assert _status(live, token, period)["students"]["revision"] == 1
    second = requests.get(
        f"{live.api}/submissions/{period}/students/revisions/2", headers=bearer(token), timeout=30
    )
    assert second.status_code == 404


def test_gzip_bodies(live: World) -> None:
    token = live.school_token("gzip")
    period = "2022-2023-2"
    rows = student_rows(40, period, seed=17)
    packed = upload(live.api, token, period, "students", rows, compress=True)
    assert packed.status_code == 201, packed.text
    assert packed.json()["digest"] == client_digest(rows, "students")
    corrupt = gzip.compress(json.dumps(upload_body(rows)).encode())[:-20]
    headers = {
        **bearer(token),
        "Content-Encoding": "gzip",
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
        "If-Match": '"1"',
    }
    cut = requests.put(f"{live.api}/submissions/{period}/students", data=corrupt, headers=headers, timeout=30)
    assert cut.status_code == 422
    assert cut.json()["code"] == "bad_gzip"
    brotli = requests.put(
        f"{live.api}/submissions/{period}/students",
        data=b"{}",
        headers={**headers, "Content-Encoding": "br", "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert brotli.status_code == 415


def test_aid_is_checked_against_the_schools_latest_students(live: World) -> None:
    token = live.school_token("cross")
    period = "2026-2027-1"
    students, aid = student_rows(12, period, seed=18), aid_rows(12, period, seed=18)
    early = upload(live.api, token, period, "aid", aid)
    assert early.status_code == 422
    assert early.json()["code"] == "students_missing"
    assert "在学状态表" in early.json()["message"]
    assert upload(live.api, token, period, "students", students).status_code == 201
    accepted = upload(live.api, token, period, "aid", aid)
    assert accepted.status_code == 201, accepted.text
    # A student removed from the latest 在学状态表 makes that student's aid rows fail A03.
    removed = students[0]["id_number"]
    assert upload(live.api, token, period, "students", students[1:], if_match='"1"').status_code == 201
    again = upload(live.api, token, period, "aid", aid, if_match='"1"')
    assert again.status_code == 422
    assert {error["rule"] for error in again.json()["errors"]} == {"A03"}
    assert all(removed in error["message"] for error in again.json()["errors"])


# ---------------------------------------------------------------- review


def _review(live: World, token: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    if body is None:
        return requests.get(f"{live.api}/review/{path}", headers=bearer(token), timeout=30)
    return requests.post(f"{live.api}/review/{path}", json=body, headers=bearer(token), timeout=30)


def test_review_cycle_return_fix_approve_lock_reopen(live: World) -> None:
    school = live.school_token("review")
    period = "2021-2022-1"
    rows = student_rows(20, period, seed=19)
    submission_id = upload(live.api, school, period, "students", rows).json()["submission_id"]

    queue = _review(live, live.reviewer_in, f"queue?status=pending&period={period}").json()
    assert [item["submission_id"] for item in queue["items"]] == [submission_id]
    assert queue["items"][0]["org_code"] == live.school("review")
    assert queue["counts"]["pending"] == 1
    assert _review(live, live.reviewer_in, f"queue?county=450105&period={period}").json()["total"] == 1
    assert _review(live, live.reviewer_in, f"queue?county=450102&period={period}").json()["total"] == 0

    detail = _review(live, live.reviewer_in, f"{submission_id}?limit=5&q={rows[7]['name']}").json()
    assert detail["rows"]["total"] >= 1
    assert rows[7]["row_uid"] in {row["row_uid"] for row in detail["rows"]["rows"]}
    assert detail["report"]["summary"]["error"] == 0
    assert detail["diff"]["previous"] is None

    no_reason = _review(
        live, live.reviewer_in, f"{submission_id}/decision", {"revision": 1, "decision": "return"}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "comment_required"
    unknown_row = _review(
        live,
        live.reviewer_in,
        f"{submission_id}/decision",
        {
            "revision": 1,
            "decision": "return",
            "comment": "x",
            "row_comments": [{"row_uid": "nope", "message": "?"}],
        },
    )
    assert unknown_row.status_code == 422
    returned = _review(
        live,
        live.reviewer_in,
        f"{submission_id}/decision",
        {
            "revision": 1,
            "decision": "return",
            "comment": "第3行学籍号有误，请核对后重新上传。",
            "row_comments": [
                {"row_uid": rows[2]["row_uid"], "column": "student_no", "message": "学籍号与学籍系统不符"}
            ],
        },
    )
    assert returned.status_code == 200, returned.text
    status = _status(live, school, period)["students"]
    assert status["status"] == "returned"
    assert status["comment"] == "第3行学籍号有误，请核对后重新上传。"
    assert status["reviewer"] == "qingxiu"
    assert status["row_comments"] == [
        {"row_uid": rows[2]["row_uid"], "column": "学籍号", "message": "学籍号与学籍系统不符"}
    ]

    fixed = [dict(row) for row in rows[1:]]
    fixed[1]["class_name"] = "测试班"
    fixed.append(student_rows(1, period, seed=20)[0])
    assert upload(live.api, school, period, "students", fixed, if_match='"1"').json()["revision"] == 2
    assert _status(live, school, period)["students"]["status"] == "pending"
    diff = _review(live, live.reviewer_in, str(submission_id)).json()["diff"]
    assert diff["previous"] == 1
    assert [row["row_uid"] for row in diff["deleted"]] == [rows[0]["row_uid"]]
    assert [row["row_uid"] for row in diff["added"]] == [fixed[-1]["row_uid"]]
    assert diff["changed"] == [
        {
            "row_uid": rows[2]["row_uid"],
            "row": 2,
            "old_row": 3,
            "cells": [
                {"column": "class_name", "header": "班级", "old": rows[2]["class_name"], "new": "测试班"}
            ],
        }
    ]

    stale = _review(
        live, live.reviewer_in, f"{submission_id}/decision", {"revision": 1, "decision": "approve"}
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_revision"
    approved = _review(
        live, live.reviewer_in, f"{submission_id}/decision", {"revision": 2, "decision": "approve"}
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    locked = upload(live.api, school, period, "students", fixed, if_match='"2"')
    assert locked.status_code == 409
    assert locked.json()["status"] == "approved"
    assert (
        _review(
            live, live.reviewer_in, f"{submission_id}/decision", {"revision": 2, "decision": "approve"}
        ).status_code
        == 409
    )

    assert _review(live, live.reviewer_in, f"{submission_id}/reopen", {"comment": "  "}).status_code == 422
    reopened = _review(live, live.reviewer_in, f"{submission_id}/reopen", {"comment": "补充材料后重新上传"})
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "returned"
    assert _status(live, school, period)["students"]["comment"] == "补充材料后重新上传"
    assert upload(live.api, school, period, "students", fixed, if_match='"2"').json()["revision"] == 3

    with live.server.database() as db:
        from server.audit import entries

        with db.read() as session:
            actions = [entry.action for entry in entries(session, submission_id=submission_id)]
    assert actions == [
        "upload.accepted",
        "review.reopened",
        "review.approved",
        "upload.accepted",
        "review.returned",
        "upload.accepted",
    ]


# ---------------------------------------------------------------- errors


def test_errors_are_json_with_chinese_messages(live: World) -> None:
    token = live.school_token("upload")
    answers = [
        requests.get(f"{live.api}/no/such/thing", timeout=30),
        requests.delete(f"{live.api}/periods", headers=bearer(token), timeout=30),
        requests.post(
            f"{live.api}/session", data=b"{", headers={"Content-Type": "application/json"}, timeout=30
        ),
        requests.post(f"{live.api}/session", json={"password": "x"}, timeout=30),
        requests.get(f"{live.api}/submissions/2026-2028-1", headers=bearer(token), timeout=30),
        requests.get(f"{live.api}/periods", headers=bearer("forged"), timeout=30),
    ]
    assert [answer.status_code for answer in answers] == [404, 405, 422, 422, 422, 401]
    for answer in answers:
        body = answer.json()
        assert set(body) >= {"code", "message"}
        assert _has_chinese(body["message"]), body
