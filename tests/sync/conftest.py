"""Fixtures of the sync tests: a real review server process, its schools and reviewer, and no OS keyring.

The server is the real one, run through its command line by tests/server/live.py (``init``,
``import-schools``, ``create-reviewer``, ``run`` on a free port of 127.0.0.1, SQLite in a temporary
folder), started once for the session. Each test that needs a school takes a fresh 机构码 from the
pool, so tests never see each other's uploads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
import requests

from app.sync.client import RetryPolicy
from app.sync.service import SyncService
from tests.server.live import ServerProcess

REGION = "450102"
SCHOOL_POOL = 60
REVIEWER = ("county-reviewer", "Reviewer-2026")
NEW_PASSWORD = "Guangxi-2026"
# Retries without the production backoff: the tests stay fast, the behaviour is the same.
FAST = RetryPolicy(retries=6, backoff_factor=0.02, backoff_max=0.2)


@pytest.fixture(autouse=True)
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens of the tests never reach the developer's real credential store: the file fallback."""
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)


@dataclass
class LiveServer:
    """The running review server; ``new_school`` hands out unused 机构码 (initial password aabbcc)."""

    process: ServerProcess
    _codes: Iterator[str]

    @property
    def url(self) -> str:
        return self.process.base_url

    @property
    def host_port(self) -> tuple[str, int]:
        return self.process.host, self.process.port

    def new_school(self) -> str:
        try:
            return next(self._codes)
        except StopIteration:
            raise AssertionError(f"the school pool ({SCHOOL_POOL}) is used up; make it larger") from None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``zizhu-server`` (tests/server/live.py) on SQLite, with a pool of schools and a county reviewer."""
    codes = [f"{REGION}{n:04d}" for n in range(1, SCHOOL_POOL + 1)]
    with ServerProcess(tmp_path_factory.mktemp("review-server")) as server:
        server.import_schools((code, f"测试学校{code[-4:]}", REGION) for code in codes)
        server.create_reviewer(REVIEWER[0], REVIEWER[1], [REGION[:4]])
        yield LiveServer(server, iter(codes))


@pytest.fixture
def school(live_server: LiveServer) -> str:
    """A school on the server that nobody has used yet."""
    return live_server.new_school()


def logged_in(data_dir: Path, url: str, org_code: str, *, retry: RetryPolicy = FAST) -> SyncService:
    """A SyncService past the first login and its forced password change."""
    service = SyncService(data_dir, server_url=url, retry=retry)
    first = service.login(org_code, "aabbcc")
    assert first.online and first.must_change_password
    result = service.change_password("aabbcc", NEW_PASSWORD)
    assert result.online and not result.must_change_password
    return service


class Reviewer:
    """The county reviewer, through the review API (what the web console does)."""

    def __init__(self, url: str) -> None:
        self.api = f"{url}/api/v1"
        answer = requests.post(
            f"{self.api}/session", json={"username": REVIEWER[0], "password": REVIEWER[1]}, timeout=10
        )
        answer.raise_for_status()
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    def submission(self, org_code: str, table: str) -> dict[str, Any]:
        answer = requests.get(
            f"{self.api}/review/queue", headers=self.headers, params={"limit": 500}, timeout=10
        )
        answer.raise_for_status()
        items = [i for i in answer.json()["items"] if i["org_code"] == org_code and i["table"] == table]
        assert len(items) == 1, items
        item: dict[str, Any] = items[0]
        return item

    def decide(
        self, org_code: str, table: str, decision: str, comment: str = "", **extra: Any
    ) -> dict[str, Any]:
        item = self.submission(org_code, table)
        body = {"revision": item["revision"], "decision": decision, "comment": comment, **extra}
        answer = requests.post(
            f"{self.api}/review/{item['submission_id']}/decision", json=body, headers=self.headers, timeout=10
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def reopen(self, org_code: str, table: str, comment: str) -> None:
        item = self.submission(org_code, table)
        answer = requests.post(
            f"{self.api}/review/{item['submission_id']}/reopen",
            json={"comment": comment},
            headers=self.headers,
            timeout=10,
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def reviewer(live_server: LiveServer) -> Reviewer:
    return Reviewer(live_server.url)
