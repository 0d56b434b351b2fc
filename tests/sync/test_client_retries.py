"""ReviewClient against a scripted server, for what the real server cannot be made to do on demand:
runs of 5xx, a 503 with Retry-After, answers that never come, an unreachable address. Everything the
real server can answer (401, 409, 412, 422, 429, 304 …) is tested against it in test_end_to_end.py."""

from __future__ import annotations

import gzip
import json
import socket
import time

import pytest

from app.sync.client import RetryPolicy, ReviewClient, UploadBody
from app.sync.errors import (
    LOCAL_DATA_KEPT,
    ConnectionFailedError,
    OfflineError,
    ServerError,
    UploadCancelledError,
)
from tests.sync.stub_server import Reply, stub_server

FAST = RetryPolicy(retries=3, backoff_factor=0.0, read_timeout=5.0)
CREATED = Reply(
    201, {"revision": 4, "status": "pending", "received_at": "2026-09-30T08:00:00Z", "row_count": 2}
)
STATUS = Reply(
    200, {"period": "2026-2027-1", "submissions": [{"table": "students", "revision": 1, "status": "pending"}]}
)


def body(rows: int = 2) -> UploadBody:
    return UploadBody.from_rows(
        [{"row_uid": f"uid-{n}", "name": f"学生{n}", "accepted_warnings": []} for n in range(rows)], "batch-1"
    )


def upload(client: ReviewClient, upload_body: UploadBody | None = None, **kwargs: object) -> object:
    return client.upload(
        "2026-2027-1",
        "students",
        upload_body or body(),
        idempotency_key="key-0001",
        if_match_revision=3,
        **kwargs,  # type: ignore[arg-type]
    )


def test_5xx_answers_are_retried_with_the_same_key_and_the_same_bytes() -> None:
    with stub_server(Reply(500), Reply(502), Reply(503), CREATED) as server:
        result = upload(ReviewClient(server.url, token="t", retry=FAST))

    assert getattr(result, "revision", None) == 4
    assert len(server.received) == 4
    assert {r.headers["Idempotency-Key"] for r in server.received} == {"key-0001"}
    assert {r.body for r in server.received} == {body().gzipped}
    first = server.received[0]
    assert first.method == "PUT" and first.path == "/api/v1/submissions/2026-2027-1/students"
    assert first.headers["Content-Encoding"] == "gzip" and first.headers["If-Match"] == '"3"'
    assert first.headers["Authorization"] == "Bearer t"
    sent = json.loads(gzip.decompress(first.body))
    assert sent["schema_version"] == 1 and sent["client_batch_id"] == "batch-1" and sent["row_count"] == 2
    assert sent["rows"][1] == {"row_uid": "uid-1", "name": "学生1", "accepted_warnings": []}


def test_a_server_that_keeps_failing_gives_the_server_error_message() -> None:
    with stub_server(*[Reply(500)] * 4) as server, pytest.raises(ServerError) as caught:
        upload(ReviewClient(server.url, token="t", retry=FAST))
    assert len(server.received) == 4  # the first try and three retries
    assert LOCAL_DATA_KEPT in caught.value.user_message


def test_the_wait_a_503_asks_for_is_kept() -> None:
    with stub_server(Reply(503, headers={"Retry-After": "1"}), STATUS) as server:
        started = time.monotonic()
        status = ReviewClient(server.url, token="t", retry=FAST).status("2026-2027-1")
        waited = time.monotonic() - started
    assert status.table("students").status == "pending"
    assert waited >= 0.95  # backoff is 0 here: only the Retry-After made it wait


def test_a_lost_answer_is_asked_for_again_with_the_same_key() -> None:
    with stub_server(Reply(hang_up=True), Reply(hang_up=True), CREATED) as server:
        result = upload(ReviewClient(server.url, token="t", retry=FAST))
    assert getattr(result, "revision", None) == 4
    assert [r.headers["Idempotency-Key"] for r in server.received] == ["key-0001"] * 3


CUT_IN_BODY = (
    b'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n{"revision": 4,'
)
CUT_IN_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: appl"


def test_an_answer_cut_off_in_its_body_is_asked_for_again() -> None:
    with stub_server(Reply(raw=CUT_IN_BODY), CREATED) as server:
        result = upload(ReviewClient(server.url, token="t", retry=FAST))
    assert getattr(result, "revision", None) == 4
    assert [r.headers["Idempotency-Key"] for r in server.received] == ["key-0001"] * 2
    assert server.received[0].body == server.received[1].body == body().gzipped


def test_an_answer_cut_off_in_its_headers_is_asked_for_again() -> None:
    with stub_server(Reply(raw=CUT_IN_HEADERS), STATUS) as server:
        status = ReviewClient(server.url, token="t", retry=FAST).status("2026-2027-1")
    assert status.table("students").revision == 1 and len(server.received) == 2


def test_a_login_whose_answer_is_lost_is_not_sent_twice() -> None:
    with stub_server(Reply(raw=CUT_IN_BODY), CREATED) as server, pytest.raises(ConnectionFailedError):
        ReviewClient(server.url, retry=FAST).login("4500000001", "Secret-2026")
    assert len(server.received) == 1


def test_the_same_upload_still_being_processed_is_waited_for() -> None:
    busy = Reply(409, {"code": "upload_in_progress", "message": "相同的上传正在处理中"}, {"Retry-After": "0"})
    with stub_server(busy, busy, CREATED) as server:
        result = upload(ReviewClient(server.url, token="t", retry=FAST))
    assert getattr(result, "revision", None) == 4 and len(server.received) == 3


def test_an_answer_that_never_comes_is_a_connection_failure() -> None:
    policy = RetryPolicy(retries=1, backoff_factor=0.0, read_timeout=0.3)
    with (
        stub_server(Reply(delay=1.0), Reply(delay=1.0)) as server,
        pytest.raises(ConnectionFailedError) as caught,
    ):
        ReviewClient(server.url, token="t", retry=policy).status("2026-2027-1")
    assert "网络连接失败" in caught.value.user_message


def test_a_server_that_is_not_running_is_offline() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now: every connection attempt is refused.
    with pytest.raises(OfflineError) as caught:
        ReviewClient(f"http://127.0.0.1:{port}", token="t", retry=FAST).status("2026-2027-1")
    assert "无法连接审核服务器" in caught.value.user_message and LOCAL_DATA_KEPT in caught.value.user_message


def _big_body() -> UploadBody:
    # Distinct row texts so that the gzip body spans many send blocks.
    return UploadBody.from_rows(
        [
            {"row_uid": f"uid-{n:06d}", "name": f"{n * 7919:x}-{n}", "accepted_warnings": []}
            for n in range(20_000)
        ],
        "batch-big",
    )


def test_progress_follows_the_bytes_sent() -> None:
    big = _big_body()
    seen: list[tuple[int, int]] = []
    with stub_server(CREATED) as server:
        upload(
            ReviewClient(server.url, token="t", retry=FAST),
            big,
            progress=lambda sent, total: seen.append((sent, total)),
        )
    assert len(seen) > 3
    assert [sent for sent, _ in seen] == sorted(sent for sent, _ in seen)
    assert seen[-1] == (len(big.gzipped), len(big.gzipped))
    assert server.received[0].body == big.gzipped


def test_cancel_stops_the_upload_before_the_body_is_complete() -> None:
    big = _big_body()
    cancelled = False

    def progress(sent: int, total: int) -> None:
        nonlocal cancelled
        cancelled = True

    with stub_server(CREATED) as server:
        with pytest.raises(UploadCancelledError) as caught:
            upload(
                ReviewClient(server.url, token="t", retry=FAST),
                big,
                progress=progress,
                cancel=lambda: cancelled,
            )
        time.sleep(0.2)
    assert "已取消上传" in caught.value.user_message
    assert server.received == []  # no complete request reached the server
    assert server.replies == [CREATED]
