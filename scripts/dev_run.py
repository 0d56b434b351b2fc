"""`make run`: the whole review cycle on one machine — a local review server and the client pointed at it.

1. a server data folder under ``.run/server`` (``zizhu-server init``, SQLite), with the demo school
   4500000001 (initial password aabbcc, changed at the first login) and the demo reviewer
   ``demo`` / ``demo12345`` (scope 45, the whole of Guangxi), created on the first run;
2. ``zizhu-server run`` on http://127.0.0.1:8765 as a child process, waited for;
3. ``zizhu-gui`` on the client data folder ``.run/client`` with ``ZIZHU_SERVER_URL`` set, the login
   window filled with the demo school, demo rows loaded into an empty period;
4. the server is stopped when the client exits (or on Ctrl+C).

The reviewer's web console is at http://127.0.0.1:8765/console/. Run from the repository root:
``.venv/bin/python scripts/dev_run.py`` (``--port`` and ``--run-dir`` change the defaults).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_ORG = "4500000001"
DEMO_SCHOOL = "演示学校（兴宁区第一小学）"
DEMO_REGION = "450102"
DEMO_REVIEWER = ("demo", "demo12345")
REVIEWER_SCOPE = "45"
HOST = "127.0.0.1"
DEFAULT_PORT = 8765
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
ALREADY_EXISTS = "已存在"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="启动本机审核服务器和指向它的资助通客户端（make run）")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"审核服务器端口（默认 {DEFAULT_PORT}）"
    )
    parser.add_argument("--run-dir", type=Path, default=REPO_ROOT / ".run", help="数据文件夹（默认 .run/）")
    return parser.parse_args(argv)


def server_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "server.cli", *args]


def run_server_cli(data_dir: Path, *args: str, tolerate_existing: bool = False) -> None:
    """One ``zizhu-server`` command; an account that exists already is fine on later runs."""
    command, *rest = args
    result = subprocess.run(
        server_command(command, "--data-dir", str(data_dir), *rest),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode == 0:
        print(output)
        return
    if tolerate_existing and ALREADY_EXISTS in output:
        return
    raise SystemExit(f"zizhu-server {command} 失败（{result.returncode}）：\n{output}")


def prepare_server(data_dir: Path) -> None:
    """The database, the demo school and the demo reviewer (kept between runs)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    run_server_cli(data_dir, "init")
    run_server_cli(
        data_dir,
        "create-school",
        "--org-code",
        DEMO_ORG,
        "--name",
        DEMO_SCHOOL,
        "--region",
        DEMO_REGION,
        tolerate_existing=True,
    )
    username, password = DEMO_REVIEWER
    run_server_cli(
        data_dir,
        "create-reviewer",
        "--username",
        username,
        "--password",
        password,
        "--scope",
        REVIEWER_SCOPE,
        tolerate_existing=True,
    )


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex((HOST, port)) == 0


def start_server(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            server_command("run", "--data-dir", str(data_dir), "--host", HOST, "--port", str(port)),
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"审核服务器没有启动（退出码 {process.returncode}），见日志 {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/openapi.json", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"审核服务器 {START_TIMEOUT:.0f} 秒内没有应答，见日志 {log_path}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def run_client(client_dir: Path, url: str) -> int:
    env = {**os.environ, "ZIZHU_SERVER_URL": url}
    command = [
        sys.executable,
        "-m",
        "app.ui.main",
        "--data-dir",
        str(client_dir),
        "--org-code",
        DEMO_ORG,
        "--seed-demo",
    ]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    run_dir: Path = args.run_dir.resolve()
    server_dir, client_dir = run_dir / "server", run_dir / "client"
    url = f"http://{HOST}:{args.port}"
    if port_in_use(args.port):
        raise SystemExit(
            f"端口 {args.port} 已被占用（可能上次的审核服务器还在运行）。请关闭它，或用 --port 换一个端口。"
        )
    prepare_server(server_dir)
    log_path = run_dir / "server.log"
    server = start_server(server_dir, args.port, log_path)
    try:
        wait_until_up(server, url, log_path)
        username, password = DEMO_REVIEWER
        print(f"审核服务器：{url}（日志 {log_path}）")
        print(f"审核台：{url}/console/  审核员 {username} / {password}")
        print(f"客户端：机构码 {DEMO_ORG}，初始密码 aabbcc（首次登录须修改）；本机数据在 {client_dir}")
        return run_client(client_dir, url)
    except KeyboardInterrupt:
        return 130
    finally:
        stop(server)


if __name__ == "__main__":
    sys.exit(main())
