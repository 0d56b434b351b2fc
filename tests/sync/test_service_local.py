"""SyncService and the sync commands where no server answers: settings, offline login, refusals."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from app.cli import main
from app.models.account import set_offline_password
from app.models.store import ReviewStatusRecord, Store
from app.sync.client import RetryPolicy
from app.sync.errors import (
    ApprovedError,
    LoginFailedError,
    NotLoggedInError,
    OfflineError,
    PasswordRuleError,
    ServerAddressError,
    ValidationFailedError,
)
from app.sync.service import SyncService, check_new_password
from app.sync.settings import SERVER_URL_ENV, SyncSettings, load_settings, save_settings, server_url
from tests.sync.helpers import ORG, PERIOD, seed_account, snapshot

FAST = RetryPolicy(retries=1, backoff_factor=0.0)


@pytest.fixture
def dead_url() -> str:
    """An address where nothing listens: connections are refused, as with a server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_the_server_address_comes_from_the_environment_before_the_settings_file(
    isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SERVER_URL_ENV, raising=False)
    assert server_url(isolated_data_dir) == ""
    SyncService(isolated_data_dir).set_server_url(" https://review.example.cn/ ")
    assert load_settings(isolated_data_dir).server_url == "https://review.example.cn"
    assert SyncService(isolated_data_dir).server_url == "https://review.example.cn"

    monkeypatch.setenv(SERVER_URL_ENV, "http://127.0.0.1:8765/")
    assert SyncService(isolated_data_dir).server_url == "http://127.0.0.1:8765"


@pytest.mark.parametrize("url", ["", "review.example.cn", "ftp://x", "http://", "http://host:port"])
def test_an_unusable_server_address_is_refused(isolated_data_dir: Path, url: str) -> None:
    with pytest.raises(ServerAddressError) as caught:
        SyncService(isolated_data_dir).set_server_url(url)
    assert "审核服务器地址无效" in caught.value.user_message


def test_a_damaged_settings_file_falls_back_to_defaults(isolated_data_dir: Path) -> None:
    isolated_data_dir.mkdir(parents=True)
    (isolated_data_dir / "sync.json").write_text("[1, 2", encoding="utf-8")
    assert load_settings(isolated_data_dir) == SyncSettings()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "至少要有8位"),
        ("aabbcc", "至少要有8位"),
        (ORG, "不能与机构码相同"),
        (" padded-password", "开头和结尾不能是空格"),
        ("x" * 129, "不能超过128位"),
    ],
)
def test_new_password_rules_say_what_is_wrong(password: str, reason: str) -> None:
    with pytest.raises(PasswordRuleError) as caught:
        check_new_password(ORG, password)
    assert reason in caught.value.user_message


def test_a_good_new_password_passes() -> None:
    check_new_password(ORG, "Guangxi-2026")


def test_offline_login_with_the_last_password_when_the_server_is_down(
    isolated_data_dir: Path, dead_url: str
) -> None:
    with Store.for_account(ORG, isolated_data_dir) as store:
        set_offline_password(store, "Secret-2026")
    service = SyncService(isolated_data_dir, server_url=dead_url, retry=FAST)

    result = service.login(ORG, "Secret-2026")

    assert not result.online and result.mode_label == "离线"
    assert "无法连接审核服务器" in result.offline_reason
    assert service.org_code == ORG and not service.has_token
    with pytest.raises(LoginFailedError) as caught:
        service.login(ORG, "wrong-password")
    assert "离线登录需使用本机上次登录成功时的密码" in caught.value.user_message


def test_an_account_never_used_here_cannot_log_in_offline(isolated_data_dir: Path, dead_url: str) -> None:
    service = SyncService(isolated_data_dir, server_url=dead_url, retry=FAST)
    with pytest.raises(OfflineError) as caught:
        service.login(ORG, "Secret-2026")
    assert "第一次使用必须联网登录" in caught.value.user_message
    assert not (isolated_data_dir / "accounts" / ORG).exists()


def test_upload_is_refused_while_validation_finds_errors_and_nothing_changes(isolated_data_dir: Path) -> None:
    seed_account(isolated_data_dir, students=5)
    with Store.for_account(ORG, isolated_data_dir) as store:
        uids = store.load("students", PERIOD).uids
        store.update_cell("students", uids[2], "id_number", "450102202001151230")  # wrong check digit
        store.update_cell("students", uids[3], "gender", "")  # required
    before = snapshot(isolated_data_dir)
    service = SyncService(isolated_data_dir, server_url="http://127.0.0.1:9", org_code=ORG)

    with pytest.raises(ValidationFailedError) as caught:
        service.upload_table(PERIOD, "students")

    assert {(i.row, i.table) for i in caught.value.issues} == {(3, "students"), (4, "students")}
    assert caught.value.user_message.startswith("在学状态表还有 2 个错误，不能上传")
    assert snapshot(isolated_data_dir) == before
    with Store.for_account(ORG, isolated_data_dir) as store:
        assert store.pending_upload(PERIOD, "students") is None


def test_upload_without_login_says_to_log_in(isolated_data_dir: Path) -> None:
    seed_account(isolated_data_dir, students=3)
    service = SyncService(isolated_data_dir, server_url="http://127.0.0.1:9", org_code=ORG)
    with pytest.raises(NotLoggedInError) as caught:
        service.upload_table(PERIOD, "students")
    assert "请先联网登录" in caught.value.user_message


def test_an_approved_table_is_locked_even_when_the_server_cannot_be_asked(
    isolated_data_dir: Path, dead_url: str
) -> None:
    seed_account(isolated_data_dir, students=3)
    with Store.for_account(ORG, isolated_data_dir) as store:
        store.set_review_status(
            PERIOD,
            [
                ReviewStatusRecord(
                    "students", "approved", 2, json.dumps({"status": "approved", "revision": 2})
                )
            ],
        )
    service = SyncService(isolated_data_dir, server_url=dead_url, org_code=ORG, retry=FAST)
    assert service.is_locked(PERIOD, "students") and not service.is_locked(PERIOD, "aid")
    with pytest.raises(ApprovedError) as caught:
        service.upload_table(PERIOD, "students")
    assert caught.value.user_message == "本表已审核通过，数据已锁定，如需修改请联系上级撤销审核。"


def test_cli_upload_lists_the_errors_and_exits_1(
    isolated_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_account(isolated_data_dir, students=4)
    with Store.for_account(ORG, isolated_data_dir) as store:
        store.update_cell("students", store.load("students", PERIOD).uids[1], "id_number", "12345")
    save_settings(SyncSettings("http://127.0.0.1:9", ORG), isolated_data_dir)

    code = main(["upload", "--table", "students", "--school-year", "2026-2027", "--term", "秋季学期"])

    captured = capsys.readouterr()
    assert code == 1
    assert "在学状态表还有" in captured.err and "不能上传" in captured.err
    assert "第2行「身份证号」" in captured.out

    code = main(
        [
            "upload",
            "--table",
            "students",
            "--school-year",
            "2026-2027",
            "--term",
            "秋季学期",
            "--format",
            "json",
        ]
    )
    answer = json.loads(capsys.readouterr().out)
    assert code == 1 and answer["uploaded"] is False
    assert {e["row"] for e in answer["errors"]} == {2}


def test_cli_upload_before_any_login(isolated_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["upload", "--table", "aid", "--school-year", "2026-2027", "--term", "秋季学期"])
    assert code == 2 and "请先运行 zizhu login" in capsys.readouterr().err


def test_cli_login_when_the_server_is_down_and_the_account_is_new(
    isolated_data_dir: Path, dead_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["login", "--server", dead_url, "--org-code", ORG, "--password", "aabbcc"])
    err = capsys.readouterr().err
    assert code == 2 and "无法连接审核服务器" in err and "Traceback" not in err


def test_cli_status_when_the_server_is_down_shows_the_last_known_status(
    isolated_data_dir: Path,
    dead_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_account(isolated_data_dir, students=2)
    with Store.for_account(ORG, isolated_data_dir) as store:
        payload = {"status": "returned", "revision": 1, "comment": "请核对家庭住址"}
        store.set_review_status(PERIOD, [ReviewStatusRecord("students", "returned", 1, json.dumps(payload))])
    save_settings(SyncSettings(dead_url, ORG), isolated_data_dir)
    # A token kept on this PC, so the command goes as far as the network.
    from app.sync.credentials import StoredToken, TokenStore

    TokenStore(isolated_data_dir).save(dead_url, ORG, StoredToken("token"))

    code = main(["status", "--school-year", "2026-2027", "--term", "秋季学期"])

    captured = capsys.readouterr()
    assert code == 2 and "无法连接审核服务器" in captured.err
    assert "上次获取的审核状态" in captured.out and "退回重交（第1版）" in captured.out
    assert "请核对家庭住址" in captured.out
