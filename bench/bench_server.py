"""Benchmark of the review server over loopback: ``python bench/bench_server.py``.

For each database (SQLite file, PostgreSQL from ``.ci/postgres.sh``) a real ``zizhu-server run``
with 4 uvicorn workers is started on a fresh database, and the script measures:

1. one school uploading 50,000 在学状态表 rows, gzip-compressed, until the 201 (parsing, the full
   server-side validation and the bulk insert included) — target ≤ 3 s (median of ``--repeats``);
2. 200 schools each uploading a 2,000-row batch at the same moment (one client thread per
   school): wall time, throughput and p50/p99 latency of the uploads;
3. status polling ``GET /submissions/{period}`` with ``If-None-Match`` (the client's steady state:
   every answer a 304): first one client on one connection, for the server's own CPU time per poll
   (all worker processes, from /proc — the figure that depends least on what else the machine is
   doing), then many schools over keep-alive connections at once — target ≥ 1,000/s. The client
   runs on the same cores as the server, so on a small machine it competes with it.

Setup shortcuts (not measured): the schools' first-login password change is skipped and their
tokens are written straight into the database, so setting up 200 schools costs no argon2 time.

Run: ``.venv/bin/python bench/bench_server.py [--backend sqlite|postgresql|both] [--workers 4]``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.server.live import ServerProcess, protocol_rows, upload_body  # noqa: E402

PERIOD = "2026-2027-1"
BIG_ROWS = 50_000
BIG_TARGET_S = 3.0
POLL_TARGET = 1_000.0
REGION = "450103"


@dataclass
class Figure:
    backend: str
    what: str
    value: str
    target: str = ""
    ok: bool = True


@dataclass
class Bodies:
    """Upload bodies, generated and compressed once for every backend."""

    big: bytes
    batch: bytes
    batch_rows: int


@dataclass
class Fleet:
    """The schools of a run and their bearer tokens."""

    codes: list[str]
    tokens: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- data


def make_bodies(batch_rows: int) -> Bodies:
    from app.demo import generate
    from app.models.period import Period

    started = time.perf_counter()
    students = generate(BIG_ROWS, Period.from_id(PERIOD), seed=7).students
    big = _gzip_body(protocol_rows(students, prefix="big-"))
    batch = _gzip_body(protocol_rows(students[:batch_rows], prefix="b-"))
    print(f"(demo data: {BIG_ROWS:,} rows generated and compressed in {time.perf_counter() - started:.1f} s)")
    return Bodies(big, batch, batch_rows)


def _gzip_body(rows: list[dict[str, Any]]) -> bytes:
    raw = json.dumps(upload_body(rows), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return gzip.compress(raw, compresslevel=6)


# ---------------------------------------------------------------- the server


@contextmanager
def running_server(backend: str, workers: int, schools: int) -> Iterator[tuple[ServerProcess, Fleet]]:
    """A fresh server on ``backend`` with ``schools`` + 1 schools whose tokens are ready."""
    with tempfile.TemporaryDirectory(prefix="zizhu-bench-server-") as folder, _database(backend) as url:
        server = ServerProcess(Path(folder) / "data", database_url=url, workers=workers)
        with server:
            codes = [f"21450{n:05d}" for n in range(schools + 1)]
            server.import_schools((code, f"测试学校{code[-5:]}", REGION) for code in codes)
            yield server, Fleet(codes, _tokens(server, codes))


@contextmanager
def _database(backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
        return
    import psycopg
    from psycopg import sql

    base = subprocess.run(
        [str(REPO_ROOT / ".ci" / "postgres.sh")], capture_output=True, text=True, check=True, timeout=900
    ).stdout.strip()
    name = f"zizhu_bench_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _tokens(server: ServerProcess, codes: Sequence[str]) -> dict[str, str]:
    """Bearer tokens for the schools, written into the database (no logins, no password changes)."""
    import sqlalchemy as sa

    from server.auth import token_digest
    from server.models import Account, AuthToken, utc_now

    tokens = {code: secrets.token_urlsafe(32) for code in codes}
    now = utc_now()
    with server.database() as db, db.write() as session:
        session.execute(sa.update(Account).where(Account.login.in_(codes)).values(must_change_password=False))
        ids = dict(
            session.execute(sa.select(Account.login, Account.id).where(Account.login.in_(codes))).all()
        )
        session.execute(
            sa.insert(AuthToken),
            [
                {
                    "token_hash": token_digest(token),
                    "account_id": ids[code],
                    "created_at": now,
                    "expires_at": now + server_ttl(),
                    "address": "bench",
                }
                for code, token in tokens.items()
            ],
        )
    return tokens


def server_ttl() -> Any:
    from datetime import timedelta

    return timedelta(hours=6)


# ---------------------------------------------------------------- HTTP


class Client:
    """One keep-alive HTTP/1.1 connection (http.client: far less overhead per request than requests)."""

    def __init__(self, server: ServerProcess) -> None:
        self.connection = http.client.HTTPConnection(server.host, server.port, timeout=600)

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, Any]:
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read(), response.headers

    def close(self) -> None:
        self.connection.close()


def put_students(client: Client, token: str, body: bytes, if_match: str) -> tuple[int, bytes]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Idempotency-Key": str(uuid.uuid4()),
        "If-Match": if_match,
    }
    status, data, _headers = client.request("PUT", f"/api/v1/submissions/{PERIOD}/students", body, headers)
    return status, data


# ---------------------------------------------------------------- 1. one big upload


def bench_big_upload(
    server: ServerProcess, fleet: Fleet, bodies: Bodies, backend: str, repeats: int
) -> list[Figure]:
    token = fleet.tokens[fleet.codes[-1]]
    times: list[float] = []
    client = Client(server)
    try:
        for revision in range(repeats):
            started = time.perf_counter()
            status, data = put_students(
                client, token, bodies.big, '"*"' if revision == 0 else f'"{revision}"'
            )
            times.append(time.perf_counter() - started)
            if status != 201:
                raise SystemExit(f"the {BIG_ROWS:,}-row upload was refused ({status}): {data[:500]!r}")
    finally:
        client.close()
    median = statistics.median(times)
    what = f"{BIG_ROWS:,}-row upload, gzip {len(bodies.big) / 1e6:.1f} MB (median of {repeats})"
    return [
        Figure(
            backend,
            what,
            f"{median:.2f} s (best {min(times):.2f} s)",
            f"≤ {BIG_TARGET_S:g} s",
            median <= BIG_TARGET_S,
        )
    ]


# ---------------------------------------------------------------- 2. many schools at once


def bench_concurrent_uploads(
    server: ServerProcess, fleet: Fleet, bodies: Bodies, backend: str
) -> list[Figure]:
    schools = fleet.codes[:-1]
    start = threading.Barrier(len(schools))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def one(code: str) -> None:
        client = Client(server)
        try:
            client.connection.connect()
            start.wait()
            started = time.perf_counter()
            status, _data = put_students(client, fleet.tokens[code], bodies.batch, '"*"')
            elapsed = time.perf_counter() - started
        finally:
            client.close()
        with lock:
            latencies.append(elapsed)
            statuses[status] += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(schools)) as pool:
        list(pool.map(one, schools))
    wall = time.perf_counter() - began
    if statuses != Counter({201: len(schools)}):
        raise SystemExit(f"concurrent uploads: unexpected answers {dict(statuses)}\n{_log_tail(server)}")
    rows = len(schools) * bodies.batch_rows
    p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
    label = f"{len(schools)} schools × {bodies.batch_rows:,} rows at once"
    return [
        Figure(backend, f"{label}: all accepted in", f"{wall:.1f} s"),
        Figure(
            backend,
            f"{label}: throughput",
            f"{len(schools) / wall:.1f} uploads/s = {rows / wall:,.0f} rows/s",
        ),
        Figure(backend, f"{label}: latency p50 / p99", f"{p50:.2f} s / {p99:.2f} s"),
    ]


def _log_tail(server: ServerProcess, lines: int = 80) -> str:
    problems = [line for line in server.log().splitlines() if "INFO:" not in line]
    return "server log (without INFO lines, end):\n" + "\n".join(problems[-lines:])


def _percentile(values: Sequence[float], percent: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# ---------------------------------------------------------------- 3. status polling


def bench_polling(
    server: ServerProcess, fleet: Fleet, backend: str, threads: int, seconds: float
) -> list[Figure]:
    etags = _etags(server, fleet)
    codes = list(etags)
    counts: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    measuring = threading.Event()

    def poll(offset: int) -> None:
        client = Client(server)
        mine: Counter[int] = Counter()
        times: list[float] = []
        index = offset
        try:
            while not stop.is_set():
                code = codes[index % len(codes)]
                index += threads
                headers = {"Authorization": f"Bearer {fleet.tokens[code]}", "If-None-Match": etags[code]}
                started = time.perf_counter()
                status, _data, _headers = client.request(
                    "GET", f"/api/v1/submissions/{PERIOD}", None, headers
                )
                if measuring.is_set():
                    times.append(time.perf_counter() - started)
                    mine[status] += 1
        finally:
            client.close()
        with lock:
            counts.update(mine)
            latencies.extend(times)

    workers = [threading.Thread(target=poll, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # connections open, workers warm
    measuring.set()
    began, cpu_before = time.perf_counter(), server_cpu_seconds(server)
    time.sleep(seconds)
    measuring.clear()
    elapsed, cpu_used = time.perf_counter() - began, server_cpu_seconds(server) - cpu_before
    stop.set()
    for worker in workers:
        worker.join()
    total = sum(counts.values())
    rate = total / elapsed
    not_modified = counts.get(304, 0)
    return [
        Figure(
            backend,
            f"status polling, {threads} keep-alive clients, {len(codes)} schools",
            f"{rate:,.0f} requests/s ({not_modified / max(1, total):.1%} were 304)",
            f"≥ {POLL_TARGET:,.0f}/s",
            rate >= POLL_TARGET and not_modified == total,
        ),
        Figure(
            backend,
            "status polling latency p50 / p99",
            f"{_percentile(latencies, 50) * 1000:.1f} ms / {_percentile(latencies, 99) * 1000:.1f} ms",
        ),
        Figure(
            backend,
            "status polling: server CPU per request (all workers)",
            f"{cpu_used / max(1, total) * 1000:.2f} ms ≈ {total / max(cpu_used, 1e-9):,.0f}/s per core",
        ),
    ]


def server_cpu_seconds(server: ServerProcess) -> float:
    """CPU time used so far by the server process and its workers (Linux /proc; 0 elsewhere)."""
    assert server.process is not None
    root = server.process.pid
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(entry.name) == root or int(fields[1]) == root:
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def bench_poll_cost(server: ServerProcess, fleet: Fleet, backend: str, requests: int) -> list[Figure]:
    """One client polling over one connection: the server's own CPU time per 304, with nothing else
    of this benchmark competing for the cores (the concurrent figure depends on the machine)."""
    etags = _etags(server, fleet)
    codes = list(etags)
    client = Client(server)
    try:
        cpu_before, began = server_cpu_seconds(server), time.perf_counter()
        for index in range(requests):
            code = codes[index % len(codes)]
            headers = {"Authorization": f"Bearer {fleet.tokens[code]}", "If-None-Match": etags[code]}
            status, _data, _headers = client.request("GET", f"/api/v1/submissions/{PERIOD}", None, headers)
            if status != 304:
                raise SystemExit(f"status poll answered {status}, not 304")
        elapsed, cpu_used = time.perf_counter() - began, server_cpu_seconds(server) - cpu_before
    finally:
        client.close()
    per_request = cpu_used / requests
    return [
        Figure(
            backend,
            f"status polling, one connection: server CPU per 304 ({requests:,} polls)",
            f"{per_request * 1000:.2f} ms ≈ {1 / max(per_request, 1e-9):,.0f}/s per core",
        ),
        Figure(
            backend, "status polling, one connection: latency", f"{elapsed / requests * 1000:.2f} ms per poll"
        ),
    ]


def _etags(server: ServerProcess, fleet: Fleet) -> dict[str, str]:
    client = Client(server)
    try:
        etags = {}
        for code in fleet.codes:
            status, _data, headers = client.request(
                "GET",
                f"/api/v1/submissions/{PERIOD}",
                None,
                {"Authorization": f"Bearer {fleet.tokens[code]}"},
            )
            if status != 200:
                raise SystemExit(f"status of {code}: {status}")
            etags[code] = headers["ETag"]
        return etags
    finally:
        client.close()


# ---------------------------------------------------------------- main


def run_backend(backend: str, args: argparse.Namespace, bodies: Bodies) -> list[Figure]:
    started = time.perf_counter()
    with running_server(backend, args.workers, args.schools) as (server, fleet):
        print(
            f"({backend}: server with {args.workers} workers ready in {time.perf_counter() - started:.1f} s)"
        )
        steps: list[Callable[[], list[Figure]]] = [
            lambda: bench_big_upload(server, fleet, bodies, backend, args.repeats),
            lambda: bench_concurrent_uploads(server, fleet, bodies, backend),
            lambda: bench_poll_cost(server, fleet, backend, args.poll_requests),
            lambda: bench_polling(server, fleet, backend, args.poll_threads, args.poll_seconds),
        ]
        figures = []
        for step in steps:
            found = step()
            _report(found)
            figures += found
        return figures


def _report(figures: Sequence[Figure]) -> None:
    for figure in figures:
        mark = "" if not figure.target else ("  ok" if figure.ok else "  MISSED")
        print(f"{figure.backend:<11} {figure.what:<62} {figure.value:<40} {figure.target}{mark}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=4, help="uvicorn worker processes (default 4)")
    parser.add_argument("--schools", type=int, default=200, help="schools uploading at once (default 200)")
    parser.add_argument(
        "--batch-rows", type=int, default=2_000, help="rows per school's batch (default 2000)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of the 50,000-row upload (default 3)")
    parser.add_argument("--poll-threads", type=int, default=16, help="polling client threads (default 16)")
    parser.add_argument("--poll-seconds", type=float, default=5.0, help="measured polling time (default 5)")
    parser.add_argument(
        "--poll-requests", type=int, default=2_000, help="polls on one connection (default 2000)"
    )
    args = parser.parse_args(argv)
    bodies = make_bodies(args.batch_rows)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(f"{'backend':<11} {'measure':<62} {'value':<40} target")
    figures = [figure for backend in backends for figure in run_backend(backend, args, bodies)]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPU cores shared by the server and this client; load average {load}")
    return 0 if all(figure.ok for figure in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
