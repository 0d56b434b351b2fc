"""The reviewer console in a real browser: Debian's headless Chromium driven by Playwright.

A reviewer logs in, opens the school's pending upload, returns it with a comment on one row, and —
after the school uploaded revision 2 through the API — approves that revision. The API confirms
every step. Screenshots of the queue and of the submission page are written to the test's folder
(``bench/console_screenshots.py`` writes the ones in docs/images).

Playwright's sync API runs its own event loop: it must not run inside another asyncio loop, so
this module has no async fixtures and shares nothing with the Qt tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from tests.server.live import ServerProcess, bearer, student_rows, upload

CHROMIUM = "/usr/bin/chromium"
PERIOD = "2026-2027-1"
SCHOOL = ("2145040001", "兴宁区民主路小学", "450102")
REVIEWER = ("xingning", "Shenhe#2026")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A review server of its own (SQLite) with one school and its county's reviewer."""
    with ServerProcess(tmp_path_factory.mktemp("console-browser")) as process:
        process.import_schools([SCHOOL])
        process.create_reviewer(REVIEWER[0], REVIEWER[1], ["4501"])
        yield process


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, chromium_sandbox=False, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


def school_status(server: ServerProcess, token: str) -> dict[str, Any]:
    answer = requests.get(f"{server.api}/submissions/{PERIOD}", headers=bearer(token), timeout=30)
    assert answer.status_code == 200, answer.text
    entry: dict[str, Any] = next(e for e in answer.json()["submissions"] if e["table"] == "students")
    return entry


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000, f"{path} is not a real screenshot"


def test_reviewer_returns_a_row_then_approves_the_next_revision(
    server: ServerProcess, page: Page, tmp_path: Path
) -> None:
    token = server.school_token(SCHOOL[0])
    rows = student_rows(12, PERIOD, seed=5)
    assert upload(server.api, token, PERIOD, "students", rows, compress=True).status_code == 201

    # Log in: the console sends the browser to its login page first.
    page.goto(f"{server.base_url}/console/")
    expect(page).to_have_url(f"{server.base_url}/console/login?next=%2Fconsole%2F")
    page.get_by_label("用户名").fill(REVIEWER[0])
    page.get_by_label("密码").fill(REVIEWER[1])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{server.base_url}/console/")

    # The queue lists the pending upload.
    entry = page.locator("table.queue tbody tr", has_text=SCHOOL[1])
    expect(entry).to_contain_text("待审核")
    expect(entry).to_contain_text("第1版")
    page.screenshot(path=str(tmp_path / "console_queue.png"), full_page=True)

    entry.get_by_role("link", name=SCHOOL[1]).click()
    expect(page.locator("h1")).to_contain_text(SCHOOL[1])
    expect(page.locator("#row-12")).to_contain_text(rows[11]["name"])
    page.screenshot(path=str(tmp_path / "console_submission.png"), full_page=True)

    # 退回重交 with a reason and a comment on the 身份证号 of row 3.
    page.locator("#row-3 select[name=rc_column]").select_option(label="身份证号")
    page.locator("#row-3 input[name=rc_message]").fill("身份证号与户口簿不一致，请核对")
    page.get_by_label("退回原因（必填）").fill("第3行身份证号有误，请核对后重新上传。")
    page.get_by_role("button", name="退回重交").click()
    expect(page.locator(".notice.ok")).to_contain_text("已退回重交")
    expect(page.locator(".summary .badge")).to_have_text("退回重交")
    expect(page.locator("#row-3")).to_have_class("commented")

    returned = school_status(server, token)
    assert (returned["status"], returned["revision"]) == ("returned", 1)
    assert returned["comment"] == "第3行身份证号有误，请核对后重新上传。"
    assert returned["row_comments"] == [
        {"row_uid": rows[2]["row_uid"], "column": "身份证号", "message": "身份证号与户口簿不一致，请核对"}
    ]

    # The school fixes the row and uploads revision 2.
    fixed = [dict(row) for row in rows]
    fixed[2]["remark"] = "已核对户口簿"
    second = upload(server.api, token, PERIOD, "students", fixed, if_match='"1"', compress=True)
    assert second.status_code == 201 and second.json()["revision"] == 2

    page.reload()
    expect(page.locator(".summary .badge")).to_have_text("待审核")
    expect(page.get_by_role("heading", name="审核第2版")).to_be_visible()

    # 审核通过 asks for confirmation: cancelling it changes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".summary .badge")).to_have_text("待审核")
    assert school_status(server, token)["status"] == "pending"

    messages: list[str] = []

    def accept(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".notice.ok")).to_contain_text("已审核通过")
    assert messages and "第2版" in messages[0]

    approved = school_status(server, token)
    assert (approved["status"], approved["revision"], approved["reviewer"]) == ("approved", 2, REVIEWER[0])

    for name in ("console_queue.png", "console_submission.png"):
        assert_png(tmp_path / name)
