"""Fixtures of the review-server tests: a live ``zizhu-server`` per database, with its accounts.

- ``postgres_url``: a fresh PostgreSQL database for this test session, dropped at the end. The
  server comes from ``.ci/postgres.sh`` (installs and starts Debian's PostgreSQL when needed), or
  from ``ZIZHU_TEST_POSTGRES_URL`` when that is set (a URL whose role may CREATE DATABASE).
- ``live``: one real server process per backend (``sqlite`` and ``postgresql``; tests using it run
  once for each), started from a data folder made by ``zizhu-server init``, with the schools,
  reviewers and admin of ``World`` created through the command line.

Tests share a server, so each uses its own schools (``live.school("…")``) or its own period.
Periods already used (in the reviewers' scope): test_api 2021-2022-1 … 2026-2027-1 (see there),
test_authz 2020-2021-1/-2; test_schemathesis uploads random data at random periods, last.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.server.live import REPO_ROOT, ServerProcess

BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL_ENV = "ZIZHU_TEST_POSTGRES_URL"
REVIEWER_PASSWORD = "Shenhe#2026"
ADMIN_PASSWORD = "Guanli#2026"

# name → (机构码, 学校名称, 区划代码). Reviewer "qingxiu" covers 4501, "liuzhou" covers 4502.
SCHOOLS: dict[str, tuple[str, str, str]] = {
    "a": ("2145000001", "兴宁区第一小学", "450102"),
    "b": ("2145000002", "兴宁区第二小学", "450102"),
    "liuzhou": ("2145020001", "城中区实验小学", "450202"),
    "fresh": ("2145000010", "青秀区第一小学", "450103"),
    "upload": ("2145000011", "青秀区第二小学", "450103"),
    "idempotency": ("2145000012", "青秀区第三小学", "450103"),
    "concurrent": ("2145000013", "青秀区第四小学", "450103"),
    "gzip": ("2145000014", "青秀区第五小学", "450103"),
    "review": ("2145000015", "江南区第一小学", "450105"),
    "cross": ("2145000016", "江南区第二小学", "450105"),
    "throttle": ("2145000017", "江南区第三小学", "450105"),
    "schemathesis": ("2145000018", "江南区第四小学", "450105"),
    "matrix": ("2145000019", "江南区第五小学", "450105"),
    "reset": ("2145000020", "良庆区第一小学", "450108"),
}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for this session (psycopg URL); dropped afterwards."""
    import psycopg
    from psycopg import sql

    base = os.environ.get(POSTGRES_URL_ENV) or _run_postgres_script()
    name = f"zizhu_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _run_postgres_script() -> str:
    script = REPO_ROOT / ".ci" / "postgres.sh"
    # Files, not pipes: a server the script starts must never keep our read end waiting for EOF.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        try:
            returncode = subprocess.run(
                [str(script)], stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=240, check=False
            ).returncode
        except (OSError, subprocess.TimeoutExpired) as exc:
            returncode, exc_text = -1, str(exc)
        else:
            exc_text = ""
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    url = stdout.strip()
    if returncode != 0 or not url.startswith("postgresql://"):
        pytest.fail(
            f"{script} did not provide a PostgreSQL server (exit {returncode}) {exc_text}\n"
            f"stdout: {stdout}\nstderr: {stderr[-4000:]}\n"
            f"Install PostgreSQL or set {POSTGRES_URL_ENV} to a URL whose role may create databases."
        )
    return url


@dataclass
class World:
    """A running server and the accounts every test may use."""

    server: ServerProcess
    backend: str
    reviewer_in: str  # token of "qingxiu", scope 4501
    reviewer_out: str  # token of "liuzhou", scope 4502
    admin: str  # token of "admin"
    _school_tokens: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return self.server.api

    @staticmethod
    def school(name: str) -> str:
        """The 机构码 of one of SCHOOLS."""
        return SCHOOLS[name][0]

    def school_token(self, name: str) -> str:
        """A token of school ``name`` (its first login and password change done once)."""
        if name not in self._school_tokens:
            self._school_tokens[name] = self.server.school_token(self.school(name))
        return self._school_tokens[name]


@pytest.fixture(scope="session", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A live server on SQLite, then on PostgreSQL, with the schools and staff accounts of this module."""
    backend: str = request.param
    database_url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    server = ServerProcess(tmp_path_factory.mktemp(f"server-{backend}"), database_url=database_url)
    server.init()
    # Each command is a process of its own: run them side by side (SQLite waits for its write lock).
    with ThreadPoolExecutor(max_workers=5) as pool:
        jobs: list[Future[Any]] = [
            pool.submit(server.start),
            pool.submit(server.import_schools, SCHOOLS.values()),
            pool.submit(server.create_reviewer, "qingxiu", REVIEWER_PASSWORD, ["4501"]),
            pool.submit(server.create_reviewer, "liuzhou", REVIEWER_PASSWORD, ["4502"]),
            pool.submit(server.create_admin, "admin", ADMIN_PASSWORD),
        ]
        for job in jobs:
            job.result()
    with server:
        yield World(
            server=server,
            backend=backend,
            reviewer_in=server.token(REVIEWER_PASSWORD, username="qingxiu"),
            reviewer_out=server.token(REVIEWER_PASSWORD, username="liuzhou"),
            admin=server.token(ADMIN_PASSWORD, username="admin"),
        )


@pytest.fixture
def fresh_dir(tmp_path: Path) -> Path:
    """An empty data folder for a server of its own."""
    return tmp_path / "server-data"
