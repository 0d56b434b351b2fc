"""The reviewer web console against a live server (SQLite and PostgreSQL), driven like a browser.

A ``Console`` is a requests session that logs in through the login form and posts forms with the
CSRF token of the page it last loaded, the way a browser does. The API is the witness: what the
console did must show in the school's status and in the review API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.server.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, World
from tests.server.live import INITIAL_PASSWORD, bearer, student_rows, upload

PERIOD = "2026-2027-1"
# Schools of this module only (the fixture creates them on each backend's server).
SCHOOLS = {
    "queue": ("2145030001", "青秀区滨湖路小学", "450103"),
    "filter": ("2145030002", "江南区淡村小学", "450105"),
    "return": ("2145030003", "青秀区东葛路小学", "450103"),
    "stale": ("2145030004", "青秀区长湖路小学", "450103"),
    "reopen": ("2145030005", "江南区五一路小学", "450105"),
    "escape": ("2145030006", "江南区亭子小学", "450105"),
    "diff": ("2145030007", "青秀区园湖路小学", "450103"),
    "rows": ("2145030009", "青秀区桃源路小学", "450103"),
    "csrf": ("2145030008", "青秀区民族大道小学", "450103"),
    "elsewhere": ("2145032001", "城中区龙城路小学", "450202"),
}
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


@dataclass
class Console:
    """A browser-like session on the console."""

    base: str
    http: requests.Session
    csrf: str = ""

    @classmethod
    def open(cls, world: World) -> Console:
        return cls(f"{world.server.base_url}/console", requests.Session())

    def get(self, path: str, **params: Any) -> requests.Response:
        response = self.http.get(self.base + path, params=params, timeout=30)
        self._remember_csrf(response)
        return response

    def post(
        self,
        path: str,
        data: Mapping[str, str] | list[tuple[str, str]],
        *,
        csrf: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Post a form with the CSRF token of the last page (or ``csrf``), as the page's form would."""
        fields = list(data.items()) if isinstance(data, Mapping) else list(data)
        body = [("csrf", self.csrf if csrf is None else csrf), *fields]
        response = self.http.post(self.base + path, data=body, timeout=60, **kwargs)
        self._remember_csrf(response)
        return response

    def _remember_csrf(self, response: requests.Response) -> None:
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)

    def login(self, username: str, password: str) -> requests.Response:
        self.get("/login")
        return self.post("/login", {"username": username, "password": password, "next": "/console/"})


def logged_in(world: World, username: str = "qingxiu", password: str = REVIEWER_PASSWORD) -> Console:
    console = Console.open(world)
    answer = console.login(username, password)
    assert answer.status_code == 200 and answer.url.endswith("/console/"), answer.text
    return console


@pytest.fixture(scope="module")
def world(live: World) -> Iterator[World]:
    """The live server with this module's schools (created on each backend)."""
    live.server.import_schools(SCHOOLS.values())
    yield live


def school_token(world: World, name: str) -> str:
    return world.server.school_token(SCHOOLS[name][0])


def put_students(world: World, name: str, rows: list[dict[str, Any]], if_match: str = '"*"') -> int:
    answer = upload(world.api, school_token(world, name), PERIOD, "students", rows, if_match=if_match)
    assert answer.status_code == 201, answer.text
    revision: int = answer.json()["revision"]
    return revision


def ensure_uploaded(world: World, name: str, rows: list[dict[str, Any]]) -> None:
    """Upload ``rows`` as revision 1 unless the school uploaded already (tests share the server)."""
    if not school_status(world, name)["revision"]:
        put_students(world, name, rows)


def submission_id(world: World, name: str, table: str = "students") -> int:
    answer = requests.get(
        f"{world.api}/review/queue",
        headers=bearer(world.admin),
        params={"limit": "500", "search": SCHOOLS[name][0]},
        timeout=30,
    )
    items = [item for item in answer.json()["items"] if item["table"] == table]
    assert len(items) == 1, answer.text
    found: int = items[0]["submission_id"]
    return found


def school_status(world: World, name: str, table: str = "students") -> dict[str, Any]:
    answer = requests.get(
        f"{world.api}/submissions/{PERIOD}", headers=bearer(school_token(world, name)), timeout=30
    )
    assert answer.status_code == 200, answer.text
    entry: dict[str, Any] = next(e for e in answer.json()["submissions"] if e["table"] == table)
    return entry


def text_of(html: str) -> str:
    """The visible text of a page, roughly (tags dropped, whitespace squeezed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- login and session


def test_login_sets_a_protected_session_cookie_and_logout_ends_it(world: World) -> None:
    console = Console.open(world)
    first = console.get("/")
    assert first.url.endswith("/console/login?next=%2Fconsole%2F") and "审核平台登录" in first.text

    wrong = console.login("qingxiu", "not-the-password")
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text

    answer = console.login("qingxiu", REVIEWER_PASSWORD)
    assert answer.status_code == 200 and "审核队列" in answer.text and "qingxiu" in answer.text
    cookie = next(
        c for c in answer.history[0].raw.headers.getlist("Set-Cookie") if c.startswith("zizhu_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    token = console.http.cookies["zizhu_console"]
    assert requests.get(f"{world.api}/review/queue", headers=bearer(token), timeout=30).status_code == 200

    logout = console.post("/logout", {})
    assert logout.url.endswith("/console/login") and "审核平台登录" in logout.text
    # The session is over on the server too, not only forgotten by the browser.
    assert requests.get(f"{world.api}/review/queue", headers=bearer(token), timeout=30).status_code == 401
    console.http.cookies.set("zizhu_console", token, path="/console")
    assert console.get("/").url.startswith(console.base + "/login")


def test_login_form_needs_its_anti_forgery_nonce(world: World) -> None:
    forged = requests.post(
        f"{world.server.base_url}/console/login",
        data={"username": "qingxiu", "password": REVIEWER_PASSWORD, "csrf": "guess"},
        allow_redirects=False,
        timeout=30,
    )
    assert forged.status_code == 403 and "zizhu_console=" not in forged.headers.get("Set-Cookie", "")


def test_schools_cannot_log_in_to_the_console(world: World) -> None:
    school_token(world, "queue")  # the school has its own password by now
    answer = Console.open(world).login(SCHOOLS["queue"][0], "Xuexiao#2026")
    assert answer.status_code == 401 and "用户名或密码错误" in answer.text


def test_login_only_returns_to_console_pages(world: World) -> None:
    console = Console.open(world)
    console.get("/login")
    answer = console.post(
        "/login",
        {"username": "qingxiu", "password": REVIEWER_PASSWORD, "next": "https://evil.example/"},
        allow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/console/"


def test_pages_forbid_framing_and_caching(world: World) -> None:
    answer = logged_in(world).get("/")
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------- the queue


def test_queue_shows_submissions_in_scope_with_counts_and_filters(world: World) -> None:
    ensure_uploaded(world, "queue", student_rows(6, PERIOD, seed=11))
    ensure_uploaded(world, "filter", student_rows(5, PERIOD, seed=12))
    ensure_uploaded(world, "elsewhere", student_rows(4, PERIOD, seed=13))
    console = logged_in(world)

    pending = text_of(console.get("/").text)
    assert "青秀区滨湖路小学" in pending and "江南区淡村小学" in pending
    assert "城中区龙城路小学" not in pending  # 4502 is not in qingxiu's scope
    assert re.search(r"待审核 \d+ 退回重交 \d+ 审核通过 \d+ 全部 \d+", pending)

    only_jiangnan = text_of(console.get("/", county="450105").text)
    assert "江南区淡村小学" in only_jiangnan and "青秀区滨湖路小学" not in only_jiangnan
    by_name = text_of(console.get("/", q="滨湖路").text)
    assert "青秀区滨湖路小学" in by_name and "江南区淡村小学" not in by_name
    other_period = text_of(console.get("/", period="2025-2026-2").text)
    assert "青秀区滨湖路小学" not in other_period and "2026-2027学年秋季学期 在学状态表" not in other_period
    assert "青秀区滨湖路小学" in text_of(console.get("/", period=PERIOD).text)
    approved = text_of(console.get("/", status="approved", q="滨湖路").text)
    assert "没有符合条件的报送" in approved
    bad = console.get("/", county="45x")
    assert bad.status_code == 200 and "县（区）应为区划代码或其前缀" in bad.text

    liuzhou = text_of(logged_in(world, "liuzhou").get("/").text)
    assert "城中区龙城路小学" in liuzhou and "青秀区滨湖路小学" not in liuzhou


def test_a_submission_outside_the_scope_is_not_found(world: World) -> None:
    ensure_uploaded(world, "elsewhere", student_rows(4, PERIOD, seed=13))
    number = submission_id(world, "elsewhere")
    console = logged_in(world)
    assert console.get(f"/submissions/{number}").status_code == 404
    refused = console.post(f"/submissions/{number}/approve", {"revision": "1"})
    assert refused.status_code == 404 and "不在您的审核范围内" in refused.text
    assert school_status(world, "elsewhere")["status"] == "pending"
    assert logged_in(world, "liuzhou").get(f"/submissions/{number}").status_code == 200


# ---------------------------------------------------------------- one submission


def test_rows_are_paged_and_searchable_with_the_report_beside_them(world: World) -> None:
    rows = student_rows(60, PERIOD, seed=21)
    # A 学籍号 that is not "G + 身份证号": a warning (S18) the reviewer should see on that cell.
    rows[57]["student_no"] = (
        "G" + rows[57]["id_number"][:-1] + ("1" if rows[57]["id_number"][-1] == "0" else "0")
    )
    put_students(world, "rows", rows)
    number = submission_id(world, "rows")
    console = logged_in(world)

    first = console.get(f"/submissions/{number}")
    assert first.status_code == 200
    assert rows[0]["name"] in first.text and rows[55]["name"] not in first.text  # 50 rows a page
    assert "第 1 页，共 2 页" in text_of(first.text)
    second = console.get(f"/submissions/{number}", page=2)
    assert rows[55]["name"] in second.text and 'id="row-58"' in second.text
    assert 'class="warn" title="学籍号与&#34;G+身份证号&#34;不一致，请核对。"' in second.text

    found = console.get(f"/submissions/{number}", q=rows[42]["id_number"])
    assert "含“" in found.text and rows[42]["name"] in found.text and rows[0]["name"] not in found.text

    report = text_of(console.get(f"/submissions/{number}", view="report").text)
    assert "S18" in report and "学籍号与身份证号不一致" in report and "警告 1" in report


def test_diff_lists_added_changed_and_deleted_rows(world: World) -> None:
    ensure_uploaded(world, "diff", student_rows(30, PERIOD, seed=22))
    number = submission_id(world, "diff")
    before = school_status(world, "diff")
    current = requests.get(
        f"{world.api}/submissions/{PERIOD}/students/revisions/{before['revision']}",
        headers=bearer(school_token(world, "diff")),
        timeout=30,
    ).json()["rows"]
    extra = student_rows(31, PERIOD, seed=22)[30]
    changed = [dict(row) for row in current]
    changed[3]["class_name"] = "九(9)班"
    removed = changed.pop(10)
    changed.append(extra)
    put_students(world, "diff", changed, if_match=f'"{before["revision"]}"')

    page = logged_in(world).get(f"/submissions/{number}", view="diff")
    text = text_of(page.text)
    assert "新增 1 行，修改 1 行，删除 1 行" in text
    assert (
        '<td class="new">九(9)班</td>' in page.text
        and f'<td class="old">{current[3]["class_name"]}</td>' in page.text
    )
    assert extra["name"] in text and removed["name"] in text
    assert 'class="added"' in page.text and 'class="deleted"' in page.text


def test_return_needs_a_reason_then_reaches_the_school_with_row_comments(world: World) -> None:
    rows = student_rows(8, PERIOD, seed=31)
    revision = put_students(world, "return", rows)
    number = submission_id(world, "return")
    console = logged_in(world)
    page = console.get(f"/submissions/{number}")
    assert "退回重交" in page.text and f'value="uid:{rows[2]["row_uid"]}"' in page.text

    fields = _row_comment_fields(rows, {2: ("id_number", "身份证号与户口簿不一致")})
    fields += [("rc_ref", "6"), ("rc_column", ""), ("rc_message", "该生已转学，请删除")]
    refused = console.post(f"/submissions/{number}/return", _form(fields, revision=revision, comment="  "))
    assert refused.status_code == 422 and "请填写退回原因" in refused.text
    assert (
        "身份证号与户口簿不一致" in refused.text and "该生已转学，请删除" in refused.text
    )  # nothing typed is lost
    assert school_status(world, "return")["status"] == "pending"

    done = console.post(
        f"/submissions/{number}/return", _form(fields, revision=revision, comment="请核对第3行和第6行")
    )
    assert done.status_code == 200 and "已退回重交" in done.text
    status = school_status(world, "return")
    assert status["status"] == "returned" and status["comment"] == "请核对第3行和第6行"
    assert status["reviewer"] == "qingxiu"
    assert sorted((c["row_uid"], c["column"], c["message"]) for c in status["row_comments"]) == sorted(
        [
            (rows[2]["row_uid"], "身份证号", "身份证号与户口簿不一致"),
            (rows[5]["row_uid"], "", "该生已转学，请删除"),
        ]
    )
    # The decision is in the submission's audit log, with the reviewer and the reason.
    audit = text_of(console.get(f"/submissions/{number}", view="audit").text)
    assert "退回重交" in audit and "qingxiu" in audit and "请核对第3行和第6行" in audit


def test_a_row_number_that_does_not_exist_is_refused(world: World) -> None:
    if school_status(world, "return")["status"] != "pending":
        current = school_status(world, "return")["revision"]
        put_students(world, "return", student_rows(8, PERIOD, seed=32), if_match=f'"{current}"')
    revision = school_status(world, "return")["revision"]
    number = submission_id(world, "return")
    console = logged_in(world)
    console.get(f"/submissions/{number}")
    fields = [("rc_ref", "99"), ("rc_column", ""), ("rc_message", "没有这一行")]
    answer = console.post(f"/submissions/{number}/return", _form(fields, revision=revision, comment="请核对"))
    assert answer.status_code == 422 and "第99行不存在" in answer.text
    assert school_status(world, "return")["status"] == "pending"


def _row_comment_fields(
    rows: list[dict[str, Any]], comments: Mapping[int, tuple[str, str]]
) -> list[tuple[str, str]]:
    """What the rows table posts: for every row its uid, the chosen column and the comment (mostly empty)."""
    fields: list[tuple[str, str]] = []
    for index, row in enumerate(rows):
        column, message = comments.get(index, ("", ""))
        fields += [("rc_ref", f"uid:{row['row_uid']}"), ("rc_column", column), ("rc_message", message)]
    return fields


def _form(fields: list[tuple[str, str]], **values: Any) -> list[tuple[str, str]]:
    return [(key, str(value)) for key, value in values.items()] + fields


def test_approving_an_old_revision_is_refused(world: World) -> None:
    put_students(world, "stale", student_rows(5, PERIOD, seed=41))
    number = submission_id(world, "stale")
    console = logged_in(world)
    console.get(f"/submissions/{number}")  # the reviewer looks at revision 1 …
    put_students(
        world, "stale", student_rows(6, PERIOD, seed=41), if_match='"1"'
    )  # … the school uploads again
    answer = console.post(f"/submissions/{number}/approve", {"revision": "1"})
    assert answer.status_code == 409 and "第1版不能再审核" in answer.text
    assert school_status(world, "stale")["status"] == "pending"
    assert console.post(f"/submissions/{number}/approve", {"revision": "2"}).status_code == 200
    assert school_status(world, "stale")["status"] == "approved"


def test_reopen_needs_a_reason_and_unlocks_the_table(world: World) -> None:
    revision = put_students(world, "reopen", student_rows(5, PERIOD, seed=51))
    number = submission_id(world, "reopen")
    console = logged_in(world)
    console.get(f"/submissions/{number}")
    approved = console.post(
        f"/submissions/{number}/approve", {"revision": str(revision), "comment": "数据无误"}
    )
    assert "已审核通过" in approved.text and "撤销审核" in approved.text
    assert school_status(world, "reopen")["status"] == "approved"

    refused = console.post(f"/submissions/{number}/reopen", {"comment": ""})
    assert refused.status_code == 422 and "请填写撤销审核的原因" in refused.text
    assert school_status(world, "reopen")["status"] == "approved"
    done = console.post(f"/submissions/{number}/reopen", {"comment": "学校申请更正"})
    assert "已撤销审核" in done.text
    status = school_status(world, "reopen")
    assert (status["status"], status["comment"]) == ("returned", "学校申请更正")
    again = console.post(f"/submissions/{number}/reopen", {"comment": "再次撤销"})
    assert again.status_code == 409 and "只有审核通过的数据可以撤销审核" in again.text


def test_forms_without_the_session_csrf_token_change_nothing(world: World) -> None:
    revision = put_students(world, "csrf", student_rows(5, PERIOD, seed=61))
    number = submission_id(world, "csrf")
    console = logged_in(world)
    console.get(f"/submissions/{number}")
    for token in ("", "0" * 64):
        forged = console.post(f"/submissions/{number}/approve", {"revision": str(revision)}, csrf=token)
        assert forged.status_code == 403 and "页面已过期或来源不明" in forged.text
    # Another reviewer's page gives its own token, which is not valid for this session.
    other = logged_in(world)
    forged = console.post(f"/submissions/{number}/approve", {"revision": str(revision)}, csrf=other.csrf)
    assert forged.status_code == 403
    cross_site = console.post(
        f"/submissions/{number}/approve",
        {"revision": str(revision)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross_site.status_code == 403
    assert school_status(world, "csrf")["status"] == "pending"


def test_everything_a_school_sent_is_escaped(world: World) -> None:
    rows = student_rows(3, PERIOD, seed=71)
    rows[1]["remark"] = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    put_students(world, "escape", rows)
    number = submission_id(world, "escape")
    page = logged_in(world).get(f"/submissions/{number}", q="<script>")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_unknown_pages_and_bad_parameters_answer_in_chinese(world: World) -> None:
    console = logged_in(world)
    assert (
        console.get("/no-such-page").status_code == 404
        and "找不到该页面" in console.get("/no-such-page").text
    )
    bad = console.get("/submissions/abc")
    assert bad.status_code == 422 and "请求内容不完整或格式不正确" in bad.text
    assert console.get("/submissions/2147483000").status_code == 404
    assert (
        requests.get(world.server.base_url + "/", allow_redirects=False, timeout=30).headers["Location"]
        == "/console/"
    )


# ---------------------------------------------------------------- the admin pages


def test_reviewers_cannot_use_the_admin_pages(world: World) -> None:
    console = logged_in(world)
    assert "账号管理" not in console.get("/").text
    for path in ("/admin/accounts", "/admin/audit"):
        answer = console.get(path)
        assert answer.status_code == 403 and "只有管理员" in answer.text
    posted = console.post(
        "/admin/schools", {"org_code": "2145039999", "name": "不应创建", "region_code": "450103"}
    )
    assert posted.status_code == 403
    listed = logged_in(world, "admin", ADMIN_PASSWORD).get("/admin/accounts", q="2145039999")
    assert "没有符合“2145039999”的账号" in listed.text


def test_admin_creates_a_school_which_must_change_its_password(world: World) -> None:
    console = logged_in(world, "admin", ADMIN_PASSWORD)
    assert "账号管理" in console.get("/").text
    console.get("/admin/accounts")
    bad = console.post("/admin/schools", {"org_code": "12345", "name": "某小学", "region_code": "450103"})
    assert bad.status_code == 422 and "应为10位数字" in bad.text and 'value="某小学"' in bad.text

    created = console.post(
        "/admin/schools", {"org_code": "2145031001", "name": "青秀区新竹小学", "region_code": "450103"}
    )
    assert "已新建学校账号 2145031001" in created.text and "青秀区新竹小学" in created.text
    first = world.server.login(INITIAL_PASSWORD, org_code="2145031001")
    assert first.status_code == 200 and first.json()["must_change_password"] is True
    again = console.post(
        "/admin/schools", {"org_code": "2145031001", "name": "重复", "region_code": "450103"}
    )
    assert again.status_code == 409 and "已存在" in again.text


def test_admin_imports_a_school_list(world: World) -> None:
    console = logged_in(world, "admin", ADMIN_PASSWORD)
    console.get("/admin/accounts")
    csv = "机构码,学校名称,区划代码\n2145031101,青秀区一中,450103\n2145031102,青秀区二中,450103\n"
    answer = console.post(
        "/admin/schools/import", {}, files={"file": ("名单.csv", csv.encode("utf-8"), "text/csv")}
    )
    assert "新建 2 所" in answer.text and "青秀区二中" in console.get("/admin/accounts", q="2145031102").text
    broken = console.post(
        "/admin/schools/import",
        {},
        files={"file": ("名单.csv", "2145031103,三中,999999\n".encode(), "text/csv")},
    )
    assert broken.status_code == 422 and "第1行" in broken.text and "999999" in broken.text


def test_admin_creates_a_reviewer_and_resets_passwords(world: World) -> None:
    console = logged_in(world, "admin", ADMIN_PASSWORD)
    console.get("/admin/accounts", kind="reviewer")
    created = console.post(
        "/admin/staff",
        {"kind": "reviewer", "username": "jiangnan", "password": "Jiangnan#2026", "scope": "450105"},
    )
    assert "已新建审核员账号“jiangnan”" in created.text and "450105" in created.text
    reviewer = logged_in(world, "jiangnan", "Jiangnan#2026")
    assert "审核范围：450105" in text_of(reviewer.get("/").text)

    console.get("/admin/accounts", kind="reviewer")
    reset = console.post("/admin/reset", {"kind": "reviewer", "login": "jiangnan"})
    assert "已把 jiangnan 的密码重置为 aabbcc" in reset.text
    assert reviewer.get("/").url.startswith(reviewer.base + "/login")  # its sessions ended

    # With the reset password the console lets it do nothing but choose a new one.
    forced = Console.open(world)
    answer = forced.login("jiangnan", INITIAL_PASSWORD)
    assert answer.url.endswith("/console/password") and "请先设置新密码" in answer.text
    assert forced.get("/").url.endswith("/console/password")
    mismatch = forced.post(
        "/password",
        {"old_password": INITIAL_PASSWORD, "new_password": "Jiangnan#2027", "new_password_again": "x"},
    )
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.text
    weak = forced.post(
        "/password",
        {"old_password": INITIAL_PASSWORD, "new_password": "aabbcc", "new_password_again": "aabbcc"},
    )
    assert weak.status_code == 422 and "新密码至少需要8个字符" in weak.text
    changed = forced.post(
        "/password",
        {
            "old_password": INITIAL_PASSWORD,
            "new_password": "Jiangnan#2027",
            "new_password_again": "Jiangnan#2027",
        },
    )
    assert changed.url.endswith("/console/?done=password") and "密码已修改" in changed.text

    school = SCHOOLS["queue"][0]
    console.get("/admin/accounts")
    reset_school = console.post("/admin/reset", {"kind": "school", "login": school})
    assert f"已把 {school}" in reset_school.text
    assert world.server.login(INITIAL_PASSWORD, org_code=school).json()["must_change_password"] is True
    world.server.school_token(school)  # back to the usual password for the other tests


def test_admin_reads_the_audit_log(world: World) -> None:
    ensure_uploaded(world, "filter", student_rows(5, PERIOD, seed=12))
    console = logged_in(world, "admin", ADMIN_PASSWORD)
    page = text_of(console.get("/admin/audit").text)
    assert "审计日志" in page and "登录" in page and "admin" in page
    school = text_of(console.get("/admin/audit", school=SCHOOLS["filter"][0]).text)
    assert "上传数据" in school and "江南区淡村小学" in school and "在学状态表" in school
    assert "青秀区滨湖路小学" not in school
    assert console.get("/admin/audit", school="2145099999").status_code == 404
