"""Uploads through a faulty network (tests/sync/fault_proxy.py) to a real review server.

Whatever the network does — connections dropped before the server saw the request, answers cut
off after the server stored the upload, delays — every logical upload ends as exactly one revision
on the server, and the local data is exactly what the user made it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.store import Store
from app.sync.client import ReviewClient
from app.sync.credentials import TokenStore
from app.sync.errors import ConnectionFailedError, OfflineError, ServerError
from app.sync.receipts import Receipt
from app.sync.service import SyncService
from tests.sync.conftest import FAST, NEW_PASSWORD, LiveServer, logged_in
from tests.sync.fault_proxy import FAULT_KINDS, FaultProxy
from tests.sync.helpers import PERIOD, seed_account, snapshot

UPLOADS = 50
FAULT_RATE = 0.3
ATTEMPTS = 10  # the user clicking 上传数据 again after a failure


def upload_until_done(service: SyncService) -> tuple[Receipt, int]:
    """Upload the 在学状态表 as a user would: again after each network failure; returns the failures too."""
    for failures in range(ATTEMPTS):
        try:
            return service.upload_table(PERIOD, "students"), failures
        except (ConnectionFailedError, ServerError):
            continue
    raise AssertionError(f"no upload got through in {ATTEMPTS} attempts")


def test_50_uploads_under_30_percent_faults_make_exactly_one_revision_each(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    seed_account(isolated_data_dir, students=4, org=school)
    with Store.for_account(school, isolated_data_dir) as store:
        uid = store.load("students", PERIOD).uids[0]
    with FaultProxy(live_server.host_port, fault_rate=0.0, seed=20261122) as proxy:
        service = logged_in(isolated_data_dir, proxy.url, school)
        proxy.fault_rate = FAULT_RATE
        gave_up = 0
        for n in range(1, UPLOADS + 1):
            with Store.for_account(school, isolated_data_dir) as store:
                store.update_cell("students", uid, "remark", f"第{n}次修改")
            expected = snapshot(isolated_data_dir, school)

            receipt, failures = upload_until_done(service)

            gave_up += failures
            assert receipt.revision == n  # never a second revision for one upload
            assert snapshot(isolated_data_dir, school) == expected
        proxy.fault_rate = 0.0
        faults, requests = dict(proxy.faults), proxy.requests

    # Every kind of fault happened, on about 30 % of the requests (uploads and their retries).
    assert set(faults) == set(FAULT_KINDS), faults
    assert requests > UPLOADS and 0.15 < sum(faults.values()) / requests < 0.45, (faults, requests)
    assert [r.revision for r in service.receipts(PERIOD, "students")] == list(range(UPLOADS, 0, -1))
    # The server holds 50 revisions, and the last one is exactly the local table.
    token = TokenStore(isolated_data_dir).load(proxy.url, school)
    assert token is not None
    direct = ReviewClient(live_server.url, token=token.token, retry=FAST)
    assert direct.status(PERIOD.id).table("students").revision == UPLOADS
    last = direct.revision(PERIOD.id, "students", UPLOADS).rows
    local = snapshot(isolated_data_dir, school)["students"]
    assert [row["row_uid"] for row in last] == [uid for uid, _, _ in local]
    assert last[0]["remark"] == f"第{UPLOADS}次修改"
    with Store.for_account(school, isolated_data_dir) as store:
        assert store.pending_upload(PERIOD, "students") is None


def test_a_server_that_is_down_gives_the_offline_message_and_the_data_stays_local(
    isolated_data_dir: Path, live_server: LiveServer, school: str
) -> None:
    seed_account(isolated_data_dir, students=3, org=school)
    with FaultProxy(live_server.host_port, fault_rate=0.0) as proxy:
        service = logged_in(isolated_data_dir, proxy.url, school)
        service.refresh_status(PERIOD)
        before = snapshot(isolated_data_dir, school)
        proxy.close()  # the server is down: connections are refused

        with pytest.raises(OfflineError) as caught:
            service.upload_table(PERIOD, "students")
        assert caught.value.user_message.startswith("无法连接审核服务器")
        assert "数据已保存在本机，可稍后重新上传" in caught.value.user_message
        assert snapshot(isolated_data_dir, school) == before
        assert service.receipts() == []
        with pytest.raises(OfflineError):
            service.refresh_status(PERIOD)
        assert service.known_status(PERIOD).table("students").status == "draft"  # still shown

        again = SyncService(isolated_data_dir, server_url=proxy.url, retry=FAST).login(school, NEW_PASSWORD)
        assert not again.online and again.mode_label == "离线"

        proxy.start()  # back up: the same upload now goes through, once
        receipt = service.upload_table(PERIOD, "students")

    assert receipt.revision == 1 and receipt.row_count == 3
    assert snapshot(isolated_data_dir, school) == before
