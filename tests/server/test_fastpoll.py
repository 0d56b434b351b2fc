"""The fast path of status polling (server/fastpoll.py) against a live server, SQLite and PostgreSQL.

Its ``304`` must be indistinguishable from the route's, and it must never answer where the route
would refuse or send new content. These tests use schools and a period of their own (2019-2020-1).
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import requests

from tests.server.conftest import World
from tests.server.live import bearer, student_rows, upload

PERIOD = "2019-2020-1"
# 机构码 → (学校名称, 区划代码); created by the tests that need them (import-schools is idempotent).
_SCHOOLS = {
    "same": ("2145000031", "青秀区快查一小", "450103"),
    "expired": ("2145000032", "青秀区快查二小", "450103"),
    "revoked": ("2145000033", "青秀区快查三小", "450103"),
    "owner": ("2145000034", "青秀区快查四小", "450103"),
    "other": ("2145000035", "青秀区快查五小", "450103"),
    "changed": ("2145000036", "青秀区快查六小", "450103"),
}


def _token(live: World, name: str) -> str:
    code, school, region = _SCHOOLS[name]
    live.server.import_schools([(code, school, region)])
    return live.server.school_token(code)


def _status_url(live: World) -> str:
    return f"{live.api}/submissions/{PERIOD}"


def _etag(live: World, token: str) -> str:
    first = requests.get(_status_url(live), headers=bearer(token), timeout=30)
    assert first.status_code == 200, first.text
    return first.headers["ETag"]


def _poll(live: World, token: str, etag: str) -> requests.Response:
    return requests.get(_status_url(live), headers={**bearer(token), "If-None-Match": etag}, timeout=30)


def _raw_get(live: World, headers: list[tuple[str, str]]) -> http.client.HTTPResponse:
    """A GET with exactly these header lines (repeats allowed, which ``requests`` cannot send)."""
    address = urlsplit(live.api)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    connection.putrequest("GET", f"{address.path}/submissions/{PERIOD}")
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _comparable(response: http.client.HTTPResponse) -> list[tuple[str, str]]:
    # The Date header moves with the clock; everything else must be byte for byte the same.
    return [(name.lower(), value) for name, value in response.getheaders() if name.lower() != "date"]


def test_fast_304_is_the_same_as_the_routes_304(live: World) -> None:
    token = _token(live, "same")
    etag = _etag(live, token)
    fast = _raw_get(live, [("Authorization", f"Bearer {token}"), ("If-None-Match", etag)])
    # A repeated Authorization line is left to the framework: this one is answered by the route.
    routed = _raw_get(
        live,
        [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}"), ("If-None-Match", etag)],
    )
    assert fast.status == routed.status == 304
    assert _comparable(fast) == _comparable(routed)
    assert ("etag", etag) in _comparable(fast)
    assert ("cache-control", "no-cache") in _comparable(fast)
    weak_list = _poll(live, token, f'"0000", W/{etag}')
    assert weak_list.status_code == 304
    assert weak_list.content == b""


def test_expired_token_gets_401_not_304(live: World) -> None:
    token = _token(live, "expired")
    etag = _etag(live, token)
    assert _poll(live, token, etag).status_code == 304
    live.server.expire_token(token)
    refused = _poll(live, token, etag)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert "ETag" not in refused.headers


def test_revoked_token_and_reset_password_get_401_or_403_not_304(live: World) -> None:
    token = _token(live, "revoked")
    etag = _etag(live, token)
    assert _poll(live, token, etag).status_code == 304
    code = _SCHOOLS["revoked"][0]
    live.server.reset_password(org_code=code)  # ends every session of the school
    assert _poll(live, token, etag).status_code == 401
    # A new session while the reset password must still be changed: 403, as on the route.
    fresh = live.server.token("aabbcc", org_code=code)
    forced = _poll(live, fresh, etag)
    assert forced.status_code == 403
    assert forced.json()["code"] == "must_change_password"


def test_unknown_token_and_staff_never_get_304(live: World) -> None:
    token = _token(live, "same")
    etag = _etag(live, token)
    unknown = _poll(live, token + "x", etag)
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "invalid_token"
    staff = _poll(live, live.reviewer_in, etag)
    assert staff.status_code == 403
    assert staff.json()["code"] == "school_only"
    anonymous = requests.get(_status_url(live), headers={"If-None-Match": etag}, timeout=30)
    assert anonymous.status_code == 401


def test_another_schools_etag_never_gives_a_304(live: World) -> None:
    owner = _token(live, "owner")
    other = _token(live, "other")
    created = upload(live.api, owner, PERIOD, "students", student_rows(3, PERIOD, seed=31))
    assert created.status_code == 201, created.text
    owner_etag = _etag(live, owner)
    assert _poll(live, owner, owner_etag).status_code == 304
    answer = _poll(live, other, owner_etag)
    assert answer.status_code == 200
    assert answer.headers["ETag"] != owner_etag
    students = next(entry for entry in answer.json()["submissions"] if entry["table"] == "students")
    assert students["status"] == "draft", "the other school sees its own status, not the owner's"


def test_two_schools_with_the_same_status_have_different_etags(live: World) -> None:
    # Neither school has uploaded anything in this period: the answers are the same bytes.
    first, second = _token(live, "owner"), _token(live, "other")
    never_used = "2018-2019-2"
    url = f"{live.api}/submissions/{never_used}"
    first_answer = requests.get(url, headers=bearer(first), timeout=30)
    second_answer = requests.get(url, headers=bearer(second), timeout=30)
    assert first_answer.content == second_answer.content
    assert first_answer.headers["ETag"] != second_answer.headers["ETag"]
    polled = requests.get(
        url, headers={**bearer(second), "If-None-Match": first_answer.headers["ETag"]}, timeout=30
    )
    assert polled.status_code == 200


def test_changed_status_gives_200_with_a_new_etag(live: World) -> None:
    token = _token(live, "changed")
    etag = _etag(live, token)
    assert _poll(live, token, etag).status_code == 304
    created = upload(live.api, token, PERIOD, "students", student_rows(4, PERIOD, seed=36))
    assert created.status_code == 201, created.text
    changed = _poll(live, token, etag)
    assert changed.status_code == 200
    new_etag = changed.headers["ETag"]
    assert new_etag != etag
    assert changed.headers["Cache-Control"] == "no-cache"
    students = next(entry for entry in changed.json()["submissions"] if entry["table"] == "students")
    assert (students["status"], students["revision"]) == ("pending", 1)
    assert _poll(live, token, new_etag).status_code == 304
