"""A real review server for tests: ``zizhu-server`` in its own process on 127.0.0.1.

``ServerProcess`` runs the actual command line (``python -m server.cli``): ``init`` on a data
folder, account commands, and ``run`` under uvicorn on a free port. Reusable by any test that needs
a live server (the sync client's end-to-end tests too)::

    with ServerProcess(tmp_path / "server", database_url=None) as server:   # init + start
        server.import_schools([("2145000001", "某某小学", "450102")])
        token = server.school_token("2145000001")              # first login + password change
        response = upload(server.api, token, "2026-2027-1", "students", student_rows(20))

``database_url`` None means the SQLite file in the data folder; a PostgreSQL URL puts the server on
that database (``tests/server/conftest.py`` makes a fresh one per test session).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
INITIAL_PASSWORD = "aabbcc"
SCHOOL_PASSWORD = "Xuexiao#2026"  # what school_token() changes the initial password to
START_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """``zizhu-server`` on a data folder: the CLI, and ``run`` as a background process."""

    data_dir: Path
    database_url: str | None = None
    workers: int = 1
    host: str = "127.0.0.1"
    port: int = 0
    extra_env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "server.log"

    # ------------------------------------------------------------ addresses

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api(self) -> str:
        """The API root, e.g. ``http://127.0.0.1:43123/api/v1``."""
        return f"{self.base_url}/api/v1"

    # ------------------------------------------------------------ the command line

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO_ROOT), env.get("PYTHONPATH"))))
        env.update(self.extra_env)
        return env

    def cli(self, command: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``zizhu-server COMMAND --data-dir DIR ARGS…``; with ``check`` a failure raises."""
        result = subprocess.run(
            [sys.executable, "-m", "server.cli", command, "--data-dir", str(self.data_dir), *args],
            cwd=REPO_ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"zizhu-server {command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def init(self) -> str:
        return self.cli("init").stdout

    def create_school(self, org_code: str, name: str, region: str) -> None:
        self.cli("create-school", "--org-code", org_code, "--name", name, "--region", region)

    def import_schools(self, schools: Iterable[tuple[str, str, str]]) -> str:
        """Create (or update) schools (机构码, 学校名称, 区划代码) with one ``import-schools``."""
        path = self.data_dir / f"schools-{uuid.uuid4().hex[:8]}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["机构码", "学校名称", "区划代码"])
            writer.writerows(schools)
        return self.cli("import-schools", str(path)).stdout

    def create_reviewer(self, username: str, password: str, scope: Sequence[str]) -> None:
        self.cli(
            "create-reviewer", "--username", username, "--password", password, "--scope", ",".join(scope)
        )

    def create_admin(self, username: str, password: str) -> None:
        self.cli("create-admin", "--username", username, "--password", password)

    def reset_password(self, *, org_code: str | None = None, username: str | None = None) -> None:
        who = ("--org-code", org_code) if org_code is not None else ("--username", username or "")
        self.cli("reset-password", *who)

    # ------------------------------------------------------------ the server process

    def start(self) -> ServerProcess:
        """Start ``zizhu-server run`` on a free port and wait until it answers."""
        if self.process is not None:
            return self
        self.port = self.port or free_port()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "run",
                "--data-dir",
                str(self.data_dir),
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            cwd=REPO_ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"zizhu-server run exited ({self.process.returncode}):\n{self.log()}")
            try:
                if requests.get(f"{self.api}/openapi.json", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"zizhu-server run did not answer within {START_TIMEOUT} s:\n{self.log()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> ServerProcess:
        """Init the data folder (idempotent) and start the server, if not done yet."""
        if self.process is None:
            self.init()
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ logging in

    def login(
        self,
        password: str,
        *,
        org_code: str | None = None,
        username: str | None = None,
        address: str | None = None,
    ) -> requests.Response:
        """``POST /session``; ``address`` is sent as X-Forwarded-For (uvicorn trusts it from 127.0.0.1)."""
        body = {"org_code": org_code} if org_code is not None else {"username": username}
        headers = {"X-Forwarded-For": address} if address else {}
        return requests.post(
            f"{self.api}/session", json={**body, "password": password}, headers=headers, timeout=30
        )

    def token(self, password: str, *, org_code: str | None = None, username: str | None = None) -> str:
        response = self.login(password, org_code=org_code, username=username)
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def school_token(self, org_code: str, password: str = SCHOOL_PASSWORD) -> str:
        """A token of the school, doing the forced first password change (to ``password``) if needed."""
        response = self.login(INITIAL_PASSWORD, org_code=org_code)
        if response.status_code != 200:
            return self.token(password, org_code=org_code)
        token: str = response.json()["token"]
        if response.json()["must_change_password"]:
            changed = requests.post(
                f"{self.api}/account/password",
                json={"old_password": INITIAL_PASSWORD, "new_password": password},
                headers=bearer(token),
                timeout=30,
            )
            assert changed.status_code == 204, changed.text
        return token

    # ------------------------------------------------------------ the database itself

    @contextmanager
    def database(self) -> Iterator[Any]:
        """The server's ``Database`` (for what no API does, such as ageing a token)."""
        from server.db import Database
        from server.settings import Settings

        db = Database(Settings(self.data_dir, self.database_url))
        try:
            yield db
        finally:
            db.dispose()

    def expire_token(self, token: str, *, ago: timedelta = timedelta(hours=1)) -> None:
        """Make a token's expiry lie in the past, as if its lifetime had run out."""
        import sqlalchemy as sa

        from server.auth import token_digest
        from server.models import AuthToken, utc_now

        with self.database() as db, db.write() as session:
            session.execute(
                sa.update(AuthToken)
                .where(AuthToken.token_hash == token_digest(token))
                .values(expires_at=utc_now() - ago)
            )


# ---------------------------------------------------------------- requests


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def student_rows(count: int, period_id: str = "2026-2027-1", seed: int = 1) -> list[dict[str, Any]]:
    """``count`` valid 在学状态表 rows in the protocol's shape (with row_uid), from the demo generator."""
    return protocol_rows(_demo(count, period_id, seed).students, prefix=f"s{seed}-")


def aid_rows(count: int, period_id: str = "2026-2027-1", seed: int = 1) -> list[dict[str, Any]]:
    """The 学生资助表 rows that go with ``student_rows(count, period_id, seed)``."""
    return protocol_rows(_demo(count, period_id, seed).aid, prefix=f"a{seed}-")


def _demo(count: int, period_id: str, seed: int) -> Any:
    from app.demo import generate
    from app.models.period import Period

    return generate(count, Period.from_id(period_id), seed)


def protocol_rows(rows: Iterable[Mapping[str, str]], prefix: str = "r") -> list[dict[str, Any]]:
    return [{"row_uid": f"{prefix}{index}", **row, "accepted_warnings": []} for index, row in enumerate(rows)]


def upload_body(rows: Sequence[Mapping[str, Any]], batch: str = "batch-1") -> dict[str, Any]:
    return {"schema_version": 1, "client_batch_id": batch, "row_count": len(rows), "rows": list(rows)}


def upload(
    api: str,
    token: str | None,
    period: str,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str | None = None,
    if_match: str | None = '"*"',
    compress: bool = False,
    body: bytes | None = None,
) -> requests.Response:
    """``PUT /submissions/{period}/{table}`` the way the client does (gzip optional)."""
    data = body if body is not None else json.dumps(upload_body(rows), ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key or str(uuid.uuid4()),
        **bearer(token),
    }
    if if_match is not None:
        headers["If-Match"] = if_match
    if compress:
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    return requests.put(f"{api}/submissions/{period}/{table}", data=data, headers=headers, timeout=120)


def client_digest(rows: Sequence[Mapping[str, Any]], table: str) -> str:
    """The revision digest as a client computes it (protocol rows → SHA-256, see server/rows.py)."""
    import hashlib

    from app.models.schema import table_schema

    keys = table_schema(table).keys
    lines = [
        "\x1f".join(
            [
                row["row_uid"],
                *(row.get(key, "") for key in keys),
                ",".join(sorted(set(row.get("accepted_warnings", [])))),
            ]
        )
        for row in rows
    ]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
