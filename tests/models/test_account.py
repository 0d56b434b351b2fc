"""Offline login and the 负责人's contact details."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.account import (
    AccountError,
    Contact,
    account_exists,
    check_offline_password,
    check_org_code,
    get_contact,
    login_offline,
    set_contact,
    set_offline_password,
)
from app.models.store import Store


def test_offline_password_is_checked_against_the_last_login(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite3") as store:
        assert check_offline_password(store, "anything")  # nothing kept yet: first use
        set_offline_password(store, "正确的密码123")
        assert check_offline_password(store, "正确的密码123")
        assert not check_offline_password(store, "wrong")
        assert "正确的密码123" not in (store.get_meta("offline_password") or "")


def test_account_exists_once_its_store_was_created(tmp_path: Path) -> None:
    assert not account_exists("2145000001", tmp_path)
    Store.for_account("2145000001", tmp_path).close()
    assert account_exists("2145000001", tmp_path)


@pytest.mark.parametrize("code", ["214500000", "21450000011", "21450a0001", ""])
def test_org_code_must_be_ten_digits(code: str) -> None:
    with pytest.raises(AccountError, match="10位数字"):
        check_org_code(code)


def test_contact_round_trip_and_checks(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite3") as store:
        assert get_contact(store) == Contact("", "")
        set_contact(store, Contact(" 黄老师 ", "0771-5301234"))
        assert get_contact(store) == Contact("黄老师", "0771-5301234")
        with pytest.raises(AccountError, match="联系电话"):
            set_contact(store, Contact("黄老师", "12345"))
        with pytest.raises(AccountError, match="姓名"):
            set_contact(store, Contact("", "13812345678"))
        assert get_contact(store) == Contact("黄老师", "0771-5301234")


def test_first_login_of_an_existing_account_keeps_its_password(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite3") as store:  # made earlier, e.g. by an import
        assert login_offline(store, "第一次的密码")
        assert login_offline(store, "第一次的密码")
        assert not login_offline(store, "别的密码")
