"""`zizhu-server` commands: init, accounts from the command line and from a CSV list, resets."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main
from server.db import Database
from server.models import Account, AuditEntry, IdempotencyKey, utc_now
from server.settings import SQLITE_FILE, Settings
from tests.server.conftest import World


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """A data folder after ``zizhu-server init`` (SQLite: DATABASE_URL unset)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "data"
    code, out, _err = _run(capsys, "init", "--data-dir", str(folder))
    assert code == EXIT_OK
    assert "已创建" in out
    return folder


def _accounts(folder: Path) -> dict[str, Account]:
    db = Database(Settings(folder))
    try:
        with db.read() as session:
            return {account.login: account for account in session.scalars(sa.select(Account))}
    finally:
        db.dispose()


def _actions(folder: Path) -> list[str]:
    db = Database(Settings(folder))
    try:
        with db.read() as session:
            return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    finally:
        db.dispose()


def test_init_is_idempotent_and_uses_wal(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "init", "--data-dir", str(data_dir))
    assert code == EXIT_OK
    assert "已是最新版本" in out
    with sqlite3.connect(data_dir / SQLITE_FILE) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert _actions(data_dir) == ["period.updated"], "the second init changed nothing"


def test_commands_before_init_say_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, _out, err = _run(
        capsys,
        "create-admin",
        "--data-dir",
        str(tmp_path / "none"),
        "--username",
        "a1",
        "--password",
        "Admin#2026",
    )
    assert code == EXIT_REFUSED
    assert "zizhu-server init" in err


def test_create_school(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(data_dir)
    code, out, _err = _run(
        capsys,
        "create-school",
        "--data-dir",
        folder,
        "--org-code",
        "2145000001",
        "--name",
        "某某小学",
        "--region",
        "450102",
    )
    assert code == EXIT_OK
    assert "2145000001" in out
    assert "aabbcc" in out
    school = _accounts(data_dir)["2145000001"]
    assert (school.kind, school.name, school.region_code) == ("school", "某某小学", "450102")
    assert school.must_change_password is True
    assert school.password_hash.startswith("$argon2id$")

    refusals = [
        ("2145000001", "450102", "已存在"),
        ("21450001", "450102", "10位数字"),
        ("2145000002", "459999", "区划代码"),
    ]
    for org_code, region, words in refusals:
        code, _out, err = _run(
            capsys,
            "create-school",
            "--data-dir",
            folder,
            "--org-code",
            org_code,
            "--name",
            "学校",
            "--region",
            region,
        )
        assert code == EXIT_REFUSED
        assert words in err
    assert _actions(data_dir) == ["period.updated", "school.created"]


def test_import_schools_from_csv(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = data_dir / "schools.csv"
    first.write_text(
        "机构码,学校名称,区划代码\n2145000001,兴宁区第一小学,450102\n2145000002,兴宁区第二小学,450102\n",
        encoding="utf-8-sig",
    )
    code, out, _err = _run(capsys, "import-schools", "--data-dir", str(data_dir), str(first))
    assert code == EXIT_OK
    assert "新建 2 所" in out

    # Excel on a Chinese Windows saves CSV as GB18030, often without the header line.
    second = data_dir / "more.csv"
    second.write_bytes(
        "2145000002,兴宁区第二小学（新校区）,450103\n2145000003,青秀区小学,450103\n".encode("gb18030")
    )
    code, out, _err = _run(capsys, "import-schools", "--data-dir", str(data_dir), str(second))
    assert code == EXIT_OK
    assert "新建 1 所，更新 1 所，未变 0 所" in out
    schools = _accounts(data_dir)
    assert schools["2145000002"].name == "兴宁区第二小学（新校区）"
    assert schools["2145000002"].region_code == "450103"

    broken = data_dir / "broken.csv"
    broken.write_text("2145000009,好学校,450102\n123,坏机构码,450102\n2145000010,缺列\n", encoding="utf-8")
    code, _out, err = _run(capsys, "import-schools", "--data-dir", str(data_dir), str(broken))
    assert code == EXIT_REFUSED
    assert "第2行" in err and "第3行" in err
    assert "2145000009" not in _accounts(data_dir), "a file with errors imports nothing"

    code, _out, err = _run(
        capsys, "import-schools", "--data-dir", str(data_dir), str(data_dir / "missing.csv")
    )
    assert code == EXIT_REFUSED
    assert "无法读取" in err


def test_create_reviewer_and_admin(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(data_dir)
    code, out, _err = _run(
        capsys,
        "create-reviewer",
        "--data-dir",
        folder,
        "--username",
        "qingxiu",
        "--password",
        "Shenhe#2026",
        "--scope",
        "4501,450203",
    )
    assert code == EXIT_OK
    assert "4501、450203" in out
    code, _out, _err = _run(
        capsys, "create-admin", "--data-dir", folder, "--username", "admin", "--password", "Guanli#2026"
    )
    assert code == EXIT_OK
    accounts = _accounts(data_dir)
    assert (accounts["qingxiu"].kind, accounts["qingxiu"].scope) == ("reviewer", "4501,450203")
    assert accounts["qingxiu"].must_change_password is False
    assert accounts["admin"].kind == "admin"

    refusals = [
        (
            ("create-reviewer", "--username", "qingxiu", "--password", "Shenhe#2026", "--scope", "4501"),
            "已存在",
        ),
        (("create-reviewer", "--username", "x2", "--password", "Shenhe#2026", "--scope", "45a1"), "审核范围"),
        (
            ("create-reviewer", "--username", "x3", "--password", "short", "--scope", "4501"),
            "至少需要8个字符",
        ),
        (("create-admin", "--username", "2145000001", "--password", "Guanli#2026"), "10位数字"),
    ]
    for argv, words in refusals:
        code, _out, err = _run(capsys, argv[0], "--data-dir", folder, *argv[1:])
        assert code == EXIT_REFUSED, argv
        assert words in err, err


def test_reset_password(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(data_dir)
    _run(
        capsys,
        "create-school",
        "--data-dir",
        folder,
        "--org-code",
        "2145000001",
        "--name",
        "某某小学",
        "--region",
        "450102",
    )
    _run(capsys, "create-admin", "--data-dir", folder, "--username", "admin", "--password", "Guanli#2026")
    before = _accounts(data_dir)["admin"].password_hash
    code, out, _err = _run(capsys, "reset-password", "--data-dir", folder, "--username", "admin")
    assert code == EXIT_OK
    assert "aabbcc" in out
    admin = _accounts(data_dir)["admin"]
    assert admin.must_change_password is True
    assert admin.password_hash != before
    assert _run(capsys, "reset-password", "--data-dir", folder, "--org-code", "2145000001")[0] == EXIT_OK

    code, _out, err = _run(capsys, "reset-password", "--data-dir", folder, "--org-code", "2145009999")
    assert code == EXIT_REFUSED
    assert "找不到" in err
    with pytest.raises(SystemExit) as usage:
        main(["reset-password", "--data-dir", folder])
    assert usage.value.code == EXIT_USAGE
    assert "须指定以下参数之一" in capsys.readouterr().err
    assert _actions(data_dir)[-2:] == ["password.reset", "password.reset"]


def test_init_on_the_live_database_is_idempotent(live: World) -> None:
    assert "已是最新版本" in live.server.init()


def _add_keys(folder: Path, ages_in_days: Sequence[int]) -> None:
    db = Database(Settings(folder))
    try:
        with db.write() as session:
            account_id = session.scalars(sa.select(Account.id).where(Account.login == "2145000001")).one()
            now = utc_now()
            for number, age in enumerate(ages_in_days):
                used = now - timedelta(days=age)
                session.add(
                    IdempotencyKey(
                        account_id=account_id,
                        key=f"key-{number:04d}-{age}",
                        fingerprint="f" * 64,
                        state="done",
                        status_code=422,
                        response='{"errors":[]}',
                        created_at=used,
                        updated_at=used,
                    )
                )
    finally:
        db.dispose()


def _keys(folder: Path) -> list[str]:
    db = Database(Settings(folder))
    try:
        with db.read() as session:
            return sorted(session.scalars(sa.select(IdempotencyKey.key)))
    finally:
        db.dispose()


def test_purge_keys_keeps_a_season_of_upload_keys(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(data_dir)
    school = ("--org-code", "2145000001", "--name", "某某小学", "--region", "450102")
    assert _run(capsys, "create-school", "--data-dir", folder, *school)[0] == EXIT_OK
    _add_keys(data_dir, [400, 181, 179, 3])

    code, _out, err = _run(capsys, "purge-keys", "--data-dir", folder, "--older-than-days", "30")
    assert code == EXIT_REFUSED
    assert "至少要保留 180 天" in err
    assert len(_keys(data_dir)) == 4, "a refused purge deletes nothing"

    code, out, _err = _run(capsys, "purge-keys", "--data-dir", folder)
    assert code == EXIT_OK
    assert "已清理 2 个 180 天以前的上传标识" in out
    assert _keys(data_dir) == ["key-0002-179", "key-0003-3"]
    assert _actions(data_dir)[-1] == "idempotency_keys.purge"

    code, out, _err = _run(capsys, "purge-keys", "--data-dir", folder, "--older-than-days", "365")
    assert code == EXIT_OK and "已清理 0 个" in out
    with pytest.raises(SystemExit) as usage:
        main(["purge-keys", "--data-dir", folder, "--older-than-days", "半年"])
    assert usage.value.code == EXIT_USAGE
    assert "天数应为正整数" in capsys.readouterr().err
