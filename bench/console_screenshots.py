"""Screenshots of the reviewer web console for the docs: ``python bench/console_screenshots.py``.

Starts a real review server (``zizhu-server`` on a temporary SQLite folder), fills it with a few
schools of 南宁市 and their uploads through the API — one 在学状态表 returned with row comments and
uploaded again with changes, others pending, approved or returned — then logs in as the county
reviewer in Debian's headless Chromium (Playwright) and saves:

- ``console_queue.png``: the queue with every status;
- ``console_submission.png``: the pending second upload (rows with warnings and the comment fields);
- ``console_diff.png``: its comparison with the first upload.

``--out DIR`` chooses the folder (default ``docs/images``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.server.live import ServerProcess, aid_rows, bearer, student_rows, upload  # noqa: E402

PERIOD = "2026-2027-1"
CHROMIUM = "/usr/bin/chromium"
REVIEWER = ("nanning", "Shenhe#2026")
WIDTH = 1440
# 机构码, 学校名称, 区划代码, 学生数, 审核结果 (None = 待审核)
SCHOOLS: tuple[tuple[str, str, str, int, str | None], ...] = (
    ("2145010201", "南宁市兴宁区民主路小学", "450102", 36, None),
    ("2145010202", "南宁市兴宁区衡阳路小学", "450102", 48, "approve"),
    ("2145010301", "南宁市青秀区东葛路小学", "450103", 52, None),
    ("2145010302", "南宁市青秀区滨湖路小学", "450103", 40, "return"),
    ("2145010501", "南宁市江南区淡村小学", "450105", 30, None),
    ("2145010701", "南宁市西乡塘区明秀小学", "450107", 44, "approve"),
    ("2145010801", "南宁市良庆区大沙田小学", "450108", 28, None),
    ("2145011001", "南宁市武鸣区城东小学", "450110", 60, None),
)
FEATURED = SCHOOLS[0][0]


@dataclass(frozen=True)
class Scenario:
    """What the screenshots show: the featured submission (pending revision 2)."""

    submission_id: int


def with_warnings(rows: list[dict[str, Any]], *indexes: int, accepted: bool = False) -> list[dict[str, Any]]:
    """Rows ``indexes`` get a 学籍号 that is not "G + 身份证号": a warning (S18), 已核对 if ``accepted``."""
    changed = [dict(row) for row in rows]
    for index in indexes:
        number = changed[index]["id_number"]
        changed[index]["student_no"] = "G" + number[:-1] + ("1" if number[-1] == "0" else "0")
        if accepted:
            changed[index]["accepted_warnings"] = ["S18"]
    return changed


def put(
    server: ServerProcess, token: str, rows: list[dict[str, Any]], if_match: str, table: str = "students"
) -> None:
    answer = upload(server.api, token, PERIOD, table, rows, if_match=if_match, compress=True)
    if answer.status_code != 201:
        raise SystemExit(f"upload refused ({answer.status_code}): {answer.text[:2000]}")


class Reviewer:
    """The county reviewer through the API (to set up decisions before the screenshots)."""

    def __init__(self, server: ServerProcess) -> None:
        self.api = server.api
        self.headers = bearer(server.token(REVIEWER[1], username=REVIEWER[0]))

    def item(self, org_code: str) -> dict[str, Any]:
        answer = requests.get(
            f"{self.api}/review/queue", headers=self.headers, params={"limit": 500}, timeout=30
        )
        answer.raise_for_status()
        found: dict[str, Any] = next(i for i in answer.json()["items"] if i["org_code"] == org_code)
        return found

    def decide(
        self, org_code: str, decision: str, comment: str, row_comments: list[Mapping[str, str]]
    ) -> None:
        item = self.item(org_code)
        body = {
            "revision": item["revision"],
            "decision": decision,
            "comment": comment,
            "row_comments": row_comments,
        }
        answer = requests.post(
            f"{self.api}/review/{item['submission_id']}/decision", json=body, headers=self.headers, timeout=30
        )
        if answer.status_code != 200:
            raise SystemExit(f"decision refused ({answer.status_code}): {answer.text}")


def populate(server: ServerProcess) -> Scenario:
    """Schools, uploads and decisions through the command line and the API."""
    server.import_schools([(code, name, region) for code, name, region, _count, _decision in SCHOOLS])
    server.create_reviewer(REVIEWER[0], REVIEWER[1], ["4501"])
    reviewer = Reviewer(server)
    for seed, (code, _name, _region, count, decision) in enumerate(SCHOOLS, start=1):
        token = server.school_token(code)
        if code == FEATURED:
            _featured_history(server, reviewer, token, count, seed)
            continue
        put(server, token, with_warnings(student_rows(count, PERIOD, seed), *range(seed % 3)), '"*"')
        if seed % 2:  # some schools also sent their 学生资助表
            put(server, token, aid_rows(count, PERIOD, seed), '"*"', table="aid")
        if decision == "approve":
            reviewer.decide(code, "approve", "数据已核对。", [])
        elif decision == "return":
            reviewer.decide(code, "return", "请补充转出学生的转出日期说明后重新上传。", [])
    return Scenario(reviewer.item(FEATURED)["submission_id"])


def _featured_history(server: ServerProcess, reviewer: Reviewer, token: str, count: int, seed: int) -> None:
    """Revision 1 returned with comments on two rows; revision 2 fixes one, edits, adds and deletes rows."""
    everyone = student_rows(count + 1, PERIOD, seed)
    first = with_warnings(everyone[:count], 3)
    put(server, token, first, '"*"')
    reviewer.decide(
        FEATURED,
        "return",
        "第4行学籍号与身份证号不一致，第8行班级有误，请核实后重新上传。",
        [
            {
                "row_uid": first[3]["row_uid"],
                "column": "student_no",
                "message": "学籍号与身份证号不一致，请核实",
            },
            {"row_uid": first[7]["row_uid"], "column": "class_name", "message": "班级应为二(2)班"},
        ],
    )
    second = [dict(row) for row in first]
    second[7]["class_name"] = "二(2)班"
    second[10]["remark"] = "随迁子女"
    del second[20]
    second.append(everyone[count])
    second = with_warnings(with_warnings(second, 1), 5, accepted=True)
    put(server, token, second, '"1"')


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, without its sandbox (the tests and this script may run as root)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, chromium_sandbox=False, args=["--no-sandbox"])


def login(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/console/")


def take_screenshots(base_url: str, scenario: Scenario, out: Path) -> list[Path]:
    """Log in as the reviewer and save the console's pages as PNG files in ``out``."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    submission = f"{base_url}/console/submissions/{scenario.submission_id}"
    shots = [  # (address, file, height of the window)
        (f"{base_url}/console/?status=all", "console_queue.png", 760),
        (submission, "console_submission.png", 1500),
        (f"{submission}?view=diff", "console_diff.png", 1300),
    ]
    written = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 900}, locale="zh-CN")
            login(page, base_url, *REVIEWER)
            for url, name, height in shots:
                page.set_viewport_size({"width": WIDTH, "height": height})
                page.goto(url)
                path = out / name
                page.screenshot(path=str(path), full_page=False)
                written.append(path)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out", type=Path, default=REPO_ROOT / "docs" / "images", help="where the PNG files go"
    )
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="zizhu-console-") as folder,
        ServerProcess(Path(folder) / "server") as server,
    ):
        scenario = populate(server)
        for path in take_screenshots(server.base_url, scenario, args.out):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
