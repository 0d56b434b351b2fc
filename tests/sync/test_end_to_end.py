"""The whole review cycle against a real review server process, through SyncService and the CLI.

login → forced password change → upload → the reviewer returns it with a row comment → the status
shows 退回重交 and the comment on the right row → fix → revision 2 → approve → locked → reopen → unlocked.
Plus every answer of the server the client must understand (401, 403, 409, 412, 422, 429, 304).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli import main
from app.demo import generate
from app.models.account import Contact
from app.models.store import ReviewStatusRecord, Store
from app.sync.client import RetryPolicy, ReviewClient
from app.sync.credentials import TokenStore
from app.sync.errors import (
    ApprovedError,
    AuthExpiredError,
    ConnectionFailedError,
    LoginFailedError,
    PasswordChangeRequiredError,
    PasswordRuleError,
    RevisionMismatchError,
    ServerRejectedError,
    ThrottledError,
    WrongPasswordError,
)
from app.sync.service import SyncService
from tests.sync.conftest import FAST, NEW_PASSWORD, LiveServer, Reviewer, logged_in
from tests.sync.fault_proxy import FaultProxy
from tests.sync.helpers import PERIOD, seed_account, snapshot


def test_the_review_cycle(
    isolated_data_dir: Path, live_server: LiveServer, school: str, reviewer: Reviewer
) -> None:
    seed_account(isolated_data_dir, students=8, org=school)
    service = SyncService(isolated_data_dir, server_url=live_server.url, retry=FAST)

    # First login: the server insists on a new password before anything else.
    first = service.login(school, "aabbcc")
    assert first.online and first.must_change_password and first.school_name.startswith("测试学校")
    with pytest.raises(PasswordChangeRequiredError):
        service.upload_table(PERIOD, "students")
    with pytest.raises(PasswordRuleError):
        service.change_password("aabbcc", school)
    assert service.change_password("aabbcc", NEW_PASSWORD).must_change_password is False

    status = service.refresh_status(PERIOD)
    assert status.table("students").status == "draft" and not service.is_locked(PERIOD, "students")

    receipt = service.upload_table(PERIOD, "students")
    assert (receipt.revision, receipt.row_count) == (1, 8) and receipt.digest
    assert service.upload_table(PERIOD, "aid").revision == 1
    assert service.refresh_status(PERIOD).table("students").status == "pending"

    # The reviewer returns it with a comment on the third row's 身份证号.
    with Store.for_account(school, isolated_data_dir) as store:
        uids = store.load("students", PERIOD).uids
    reviewer.decide(
        school,
        "students",
        "return",
        "第3行身份证号与户口簿不一致，请核对",
        row_comments=[{"row_uid": uids[2], "column": "身份证号", "message": "与户口簿不一致"}],
    )
    returned = service.refresh_status(PERIOD).table("students")
    assert (returned.status, returned.label, returned.revision) == ("returned", "退回重交", 1)
    assert returned.comment == "第3行身份证号与户口簿不一致，请核对"
    assert [(c.row_uid, c.column, c.message) for c in returned.row_comments] == [
        (uids[2], "身份证号", "与户口簿不一致")
    ]
    assert service.known_status(PERIOD).table("students").comment == returned.comment  # kept locally

    # Fix the row; 与上次上传相比 shows exactly that change; revision 2.
    assert service.diff_since_last_upload(PERIOD, "students").is_empty
    with Store.for_account(school, isolated_data_dir) as store:
        store.update_cell("students", uids[2], "class_name", "一(2)班")
    diff = service.diff_since_last_upload(PERIOD, "students")
    assert [c.row_uid for c in diff.changed] == [uids[2]] and not diff.added and not diff.deleted
    assert service.upload_table(PERIOD, "students").revision == 2
    assert service.diff_since_last_upload(PERIOD, "students").is_empty

    # Approved: locked, and uploads are refused.
    reviewer.decide(school, "students", "approve")
    assert service.refresh_status(PERIOD).table("students").locked
    assert service.is_locked(PERIOD, "students") and not service.is_locked(PERIOD, "aid")
    with pytest.raises(ApprovedError) as caught:
        service.upload_table(PERIOD, "students")
    assert caught.value.user_message == "本表已审核通过，数据已锁定，如需修改请联系上级撤销审核。"

    # Reopened (撤销审核): editable and uploadable again, as the next revision.
    reviewer.reopen(school, "students", "需补充一名转入学生")
    assert service.is_locked(PERIOD, "students")  # what this PC last saw …
    assert service.upload_table(PERIOD, "students").revision == 3  # … but a locked upload asks first
    assert not service.is_locked(PERIOD, "students")
    assert [r.revision for r in service.receipts(PERIOD, "students")] == [3, 2, 1]


def test_a_stale_local_status_still_meets_the_servers_lock(
    isolated_data_dir: Path, live_server: LiveServer, school: str, reviewer: Reviewer
) -> None:
    seed_account(isolated_data_dir, students=3, org=school)
    service = logged_in(isolated_data_dir, live_server.url, school)
    service.upload_table(PERIOD, "students")
    reviewer.decide(school, "students", "approve")
    before = snapshot(isolated_data_dir, school)
    with Store.for_account(school, isolated_data_dir) as store:  # this PC has not polled since
        store.set_review_status(
            PERIOD, [ReviewStatusRecord("students", "pending", 1, '{"status": "pending"}')]
        )
        store.update_cell("students", store.load("students", PERIOD).uids[0], "remark", "改动")

    with pytest.raises(ApprovedError):  # the server's 409
        service.upload_table(PERIOD, "students")

    assert service.is_locked(PERIOD, "students")  # the refusal refreshed the status
    with Store.for_account(school, isolated_data_dir) as store:
        assert store.pending_upload(PERIOD, "students") is None
        assert store.load("students", PERIOD).values[0][-1] == "改动"
    assert snapshot(isolated_data_dir, school)["aid"] == before["aid"]


def test_an_upload_from_another_pc_in_between_is_a_revision_mismatch(
    tmp_path: Path, live_server: LiveServer, school: str
) -> None:
    office, laptop = tmp_path / "office", tmp_path / "laptop"
    for data_dir in (office, laptop):
        seed_account(data_dir, students=3, org=school)
    first = logged_in(office, live_server.url, school)
    first.upload_table(PERIOD, "students")
    second = SyncService(laptop, server_url=live_server.url, retry=FAST)
    assert second.login(school, NEW_PASSWORD).online

    with pytest.raises(RevisionMismatchError) as caught:
        second.upload_table(PERIOD, "students")

    assert caught.value.current_revision == 1
    assert "第1版" in caught.value.user_message
    assert second.known_status(PERIOD).table("students").revision == 1  # refreshed
    assert second.upload_table(PERIOD, "students").revision == 2  # now it knows revision 1


def test_the_servers_own_validation_errors_come_back_on_their_rows(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    # The server checks a 学生资助表 against the 在学状态表 it has, not the one on this PC: a student
    # added here but not uploaded yet makes the aid rows of that student an error on the server only.
    seed_account(isolated_data_dir, students=4, org=school)
    service = logged_in(isolated_data_dir, live_server.url, school)
    service.upload_table(PERIOD, "students")
    newcomer = generate(1, PERIOD, seed=77)
    with Store.for_account(school, isolated_data_dir) as store:
        store.insert_rows("students", PERIOD, newcomer.students)
        new_aid = set(store.insert_rows("aid", PERIOD, newcomer.aid))
    assert service.validation_errors(PERIOD, "aid") == []
    before = snapshot(isolated_data_dir, school)

    with pytest.raises(ServerRejectedError) as caught:
        service.upload_table(PERIOD, "aid")

    errors = caught.value.errors
    assert errors and {e.row_uid for e in errors} == new_aid
    assert all(e.message and e.rule and e.row >= 1 for e in errors)
    issues = [e.as_issue("aid") for e in errors]
    assert all(i.table == "aid" and i.severity == "error" and i.row_uid in new_aid for i in issues)
    assert f"审核服务器效验发现 {len(errors)} 个错误" in caught.value.user_message
    assert snapshot(isolated_data_dir, school) == before
    assert [r.table for r in service.receipts()] == ["students"]
    with Store.for_account(school, isolated_data_dir) as store:
        assert store.pending_upload(PERIOD, "aid") is None  # a definite "no": the next upload is new


def test_status_polling_costs_a_304(live_server: LiveServer, school: str, isolated_data_dir: Path) -> None:
    service = logged_in(isolated_data_dir, live_server.url, school)
    polled = service.refresh_status(PERIOD)
    assert service.refresh_status(PERIOD) is polled  # 304: the answer already known
    token = TokenStore(isolated_data_dir).load(live_server.url, school)
    assert token is not None
    client = ReviewClient(live_server.url, token=token.token, retry=FAST)
    first = client.status(PERIOD.id)
    assert first.etag
    assert client.status(PERIOD.id) is first  # 304: the cached answer
    assert ReviewClient(live_server.url, token=token.token).status(PERIOD.id, known=first) is first


def test_a_revision_can_be_fetched_back(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    seed_account(isolated_data_dir, students=4, org=school)
    service = logged_in(isolated_data_dir, live_server.url, school)
    receipt = service.upload_table(PERIOD, "students")
    token = TokenStore(isolated_data_dir).load(live_server.url, school)
    assert token is not None

    fetched = ReviewClient(live_server.url, token=token.token).revision(
        PERIOD.id, "students", receipt.revision
    )

    sent = service.receipt_rows(receipt)
    assert [row["row_uid"] for row in fetched.rows] == sent.uids
    assert [row["name"] for row in fetched.rows] == [values[0] for values in sent.values]


def test_wrong_passwords_then_throttling(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    service = SyncService(isolated_data_dir, server_url=live_server.url, retry=FAST)
    for _ in range(4):
        with pytest.raises(LoginFailedError) as wrong:
            service.login(school, "not-the-password")
        assert wrong.value.user_message == "机构码或密码错误，请核对后重新输入。"
    for password in ("not-the-password", "aabbcc"):  # the fifth failure locks the account, for a while
        with pytest.raises(ThrottledError) as caught:
            service.login(school, password)
        assert caught.value.retry_after and caught.value.retry_after > 60
        assert caught.value.user_message == "尝试次数过多，服务器暂时拒绝了请求，请 15 分钟后再试。"
    assert not (isolated_data_dir / "accounts" / school).exists()  # no offline fallback for a refusal


def test_a_wrong_old_password_is_said_so(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    service = SyncService(isolated_data_dir, server_url=live_server.url, retry=FAST)
    service.login(school, "aabbcc")
    with pytest.raises(WrongPasswordError) as caught:
        service.change_password("aabbcc-wrong", NEW_PASSWORD)
    assert caught.value.user_message == "原密码错误，密码没有修改。"


def test_an_expired_token_logs_the_account_out(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    service = logged_in(isolated_data_dir, live_server.url, school)
    assert service.has_token
    kept = TokenStore(isolated_data_dir).load(live_server.url, school)
    assert kept is not None
    live_server.process.expire_token(kept.token)  # its lifetime ran out on the server

    with pytest.raises(AuthExpiredError) as caught:
        service.refresh_status(PERIOD)

    assert "请重新联网登录" in caught.value.user_message
    assert not service.has_token
    assert TokenStore(isolated_data_dir).load(live_server.url, school) is None
    assert service.login(school, NEW_PASSWORD).online  # the password still works


def test_the_profile_is_kept_on_the_server_and_locally(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    service = logged_in(isolated_data_dir, live_server.url, school)
    saved = service.save_profile(Contact("黄老师", "13907710001"))
    assert saved == Contact("黄老师", "13907710001")
    assert service.get_profile() == saved


def test_after_an_answer_lost_in_a_crash_the_next_run_gets_the_same_revision(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    seed_account(isolated_data_dir, students=3, org=school)
    with FaultProxy(live_server.host_port, fault_rate=0.0) as proxy:
        logged_in(isolated_data_dir, proxy.url, school)
        # Every answer is now lost after the server did the work; the client gives up.
        proxy.fault_rate, proxy.kinds = 1.0, ("cut",)
        no_retries = RetryPolicy(retries=0)
        with pytest.raises(ConnectionFailedError) as lost:
            SyncService(isolated_data_dir, server_url=proxy.url, retry=no_retries).upload_table(
                PERIOD, "students"
            )
        assert lost.value.user_message == "网络连接失败，数据已保存在本机，可稍后重新上传。"
        with Store.for_account(school, isolated_data_dir) as store:
            assert store.pending_upload(PERIOD, "students") is not None
            assert store.upload_receipts() == []

        # A new run of the program, the network fine again: the kept key gets revision 1 back.
        proxy.fault_rate = 0.0
        receipt = SyncService(isolated_data_dir, server_url=proxy.url, retry=FAST).upload_table(
            PERIOD, "students"
        )

    assert receipt.revision == 1
    service = SyncService(isolated_data_dir, server_url=live_server.url, retry=FAST)
    assert service.login(school, NEW_PASSWORD).online
    assert service.refresh_status(PERIOD).table("students").revision == 1


def test_the_cli_cycle(  # noqa: PLR0917 - pytest fixtures
    isolated_data_dir: Path,
    live_server: LiveServer,
    school: str,
    reviewer: Reviewer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_account(isolated_data_dir, students=5, org=school)
    data = ["--data-dir", str(isolated_data_dir)]
    period = ["--school-year", "2026-2027", "--term", "秋季学期"]

    code = main(["login", "--server", live_server.url, "--org-code", school, "--password", "aabbcc", *data])
    assert code == 2 and "--new-password" in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", io.StringIO("aabbcc\n"))
    code = main(["login", "--org-code", school, "--password-stdin", "--new-password", NEW_PASSWORD, *data])
    out = capsys.readouterr().out
    assert code == 0 and "密码已修改" in out and f"已登录审核服务器 {live_server.url}" in out

    assert main(["upload", "--table", "students", *period, *data]) == 0
    out = capsys.readouterr().out
    assert "已上传在学状态表（2026-2027学年秋季学期）：第1版，5 行" in out

    assert main(["upload", "--table", "aid", *period, "--format", "json", *data]) == 0
    uploaded = json.loads(capsys.readouterr().out)
    assert uploaded["revision"] == 1 and uploaded["table"] == "aid" and uploaded["digest"]

    with Store.for_account(school, isolated_data_dir) as store:
        uid = store.load("students", PERIOD).uids[1]
    reviewer.decide(
        school,
        "students",
        "return",
        "请核对",
        row_comments=[{"row_uid": uid, "column": "name", "message": "姓名有误"}],
    )

    assert main(["status", *period, "--format", "json", *data]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status == {
        "students": {
            "status": "returned",
            "revision": 1,
            "comment": "请核对",
            "row_comments": [{"row_uid": uid, "column": "姓名", "message": "姓名有误"}],
        },
        "aid": {"status": "pending", "revision": 1, "comment": "", "row_comments": []},
    }

    assert main(["status", *period, *data]) == 0
    text = capsys.readouterr().out
    assert "在学状态表：退回重交（第1版）" in text and "第2行「姓名」：姓名有误" in text
