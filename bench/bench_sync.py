"""Benchmark of the sync with the review server (not part of the test suite): ``python bench/bench_sync.py``.

Starts a real ``zizhu-server`` on 127.0.0.1 (SQLite, temporary folder; tests/server/live.py), fills a
school's local store with 50,000 valid 在学状态表 rows (and their 学生资助表 rows, so the local check
runs over both tables as 效验数据 does), then measures:

- the upload end to end through ``SyncService.upload_table``: serialize, gzip, send, the server's
  parse + validation + storage, the receipt kept locally — target ≤ 5 s — and, besides, the whole
  call, which first reads both tables and runs the local 效验数据 that must pass before anything is
  sent; each phase comes from ``SyncService.last_upload_timings``;
- a status poll that costs a 304 (``SyncService.refresh_status`` with the ETag; and the bare HTTP
  call) — target ≤ 20 ms, the median of 200 polls.

Each upload figure is the median of ``--runs`` uploads (each a new revision of changed data).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.backends.fail

from app.demo import generate
from app.models.period import Period
from app.models.store import Store
from app.sync.client import ReviewClient
from app.sync.credentials import TokenStore
from app.sync.service import SyncService

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # the live server helper of the tests, from a plain `python bench/…`
    sys.path.insert(0, str(REPO_ROOT))

from tests.server.live import ServerProcess  # noqa: E402

PERIOD = Period("2026-2027", "秋季学期")
ORG = "4501029999"
ROWS = 50_000
POLLS = 200
UPLOAD_TARGET = 5.0
POLL_TARGET = 0.020


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _seed(data_dir: Path, rows: int) -> None:
    demo = generate(rows, PERIOD, seed=3)
    with Store.for_account(ORG, data_dir) as store:
        store.replace_rows("students", PERIOD, demo.students)
        store.replace_rows("aid", PERIOD, demo.aid)
    print(f"本机数据：在学状态表 {len(demo.students):,} 行，学生资助表 {len(demo.aid):,} 行")


def _change_one_cell(data_dir: Path, run: int) -> None:
    with Store.for_account(ORG, data_dir) as store:
        uid = store.load("students", PERIOD, limit=1).uids[0]
        store.update_cell("students", uid, "remark", f"第{run}次")


_BEFORE = ("read", "check")  # the local 效验数据 that must pass first (reads both tables)
_PHASES = {
    "read": "读取两表",
    "check": "本机效验",
    "serialize": "序列化",
    "gzip": "gzip",
    "send": "发送与服务器处理",
    "receipt": "保存回执",
}


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; 0 where /proc is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _seconds(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    keyring.get_keyring = keyring.backends.fail.Keyring  # this benchmark never touches the OS keyring
    with tempfile.TemporaryDirectory() as folder, ServerProcess(Path(folder) / "server") as server:
        server.import_schools([(ORG, "基准测试学校", "450102")])
        data_dir = Path(folder) / "client"
        _seed(data_dir, args.rows)
        service = SyncService(data_dir, server_url=server.base_url)
        service.login(ORG, "aabbcc")
        service.change_password("aabbcc", "Jizhun-2026")

        totals, phases, cpu = [], [], []
        server_pid = server.process.pid if server.process is not None else 0
        for run in range(1, args.runs + 1):
            _change_one_cell(data_dir, run)
            before = time.process_time(), _cpu_seconds(server_pid)
            totals.append(_timed(lambda: service.upload_table(PERIOD, "students")))
            cpu.append((time.process_time() - before[0], _cpu_seconds(server_pid) - before[1]))
            phases.append(dict(service.last_upload_timings))
        receipt = service.last_receipt(PERIOD, "students")
        assert receipt is not None and receipt.row_count == args.rows
        median = {name: statistics.median(p[name] for p in phases) for name in phases[0]}
        chain = statistics.median(sum(t for name, t in p.items() if name not in _BEFORE) for p in phases)
        upload = statistics.median(totals)
        print(
            f"上传 {args.rows:,} 行（序列化 + gzip + 发送 + 服务器效验入库 + 回执）："
            f"中位数 {chain:.2f} s，目标 ≤ {UPLOAD_TARGET:.0f} s"
        )
        print(
            f"  upload_table 全程（另含读取两表和上传前必须通过的本机效验）：中位数 {upload:.2f} s"
            f"（各次 {_seconds(totals)}）"
        )
        print("  各阶段中位数：" + "，".join(f"{_PHASES[name]} {t:.2f} s" for name, t in median.items()))
        if server_pid and _cpu_seconds(server_pid):
            client_cpu = statistics.median(c for c, _ in cpu)
            server_cpu = statistics.median(s for _, s in cpu)
            print(
                f"  CPU 时间（不受本机其他进程的影响；两端依次工作，空闲机器上的用时约为二者之和）："
                f"客户端 {client_cpu:.2f} s（含本机效验），服务器 {server_cpu:.2f} s"
            )

        service.refresh_status(PERIOD)
        polls = [_timed(lambda: service.refresh_status(PERIOD)) for _ in range(POLLS)]
        token = TokenStore(data_dir).load(server.base_url, ORG)
        assert token is not None
        client = ReviewClient(server.base_url, token=token.token)
        client.status(PERIOD.id)
        bare = [_timed(lambda: client.status(PERIOD.id)) for _ in range(POLLS)]
        poll = statistics.median(polls)
        print(
            f"审核状态轮询（304）：SyncService.refresh_status 中位数 {poll * 1000:.1f} ms"
            f"（p95 {statistics.quantiles(polls, n=20)[-1] * 1000:.1f} ms），"
            f"仅 HTTP {statistics.median(bare) * 1000:.1f} ms，目标 ≤ {POLL_TARGET * 1000:.0f} ms"
        )
        service.close()
        client.close()
    ok = chain <= UPLOAD_TARGET and poll <= POLL_TARGET
    print("结果：" + ("达标" if ok else "未达标"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
