"""`zizhu-gui --self-test`: passes on a working installation, names the failed step otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.models.errors import StoreReadOnlyError
from app.models.paths import DATA_DIR_ENV
from app.models.store import Store
from app.ui import self_test
from app.ui.main import parse_args

# The offscreen platform says so when a window with a layout is shown; it is not a bug of ours.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_self_test_passes_and_leaves_the_users_data_alone(
    qapp: QApplication, isolated_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default_format = QSettings.defaultFormat()
    assert self_test.run_self_test() == 0
    output = capsys.readouterr().out
    assert "自检通过" in output
    assert "在学状态表 40 行" in output and "效验无错误" in output and "界面正常" in output
    # Its store lived in a temporary folder: the user's data folder has no account, and the
    # environment and Qt settings format are as before.
    assert not (isolated_data_dir / "accounts").exists()
    assert os.environ[DATA_DIR_ENV] == str(isolated_data_dir)
    assert QSettings.defaultFormat() == default_format


def test_a_store_that_cannot_be_created_fails_with_the_reason(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*_args: object) -> None:
        raise StoreReadOnlyError("attempt to write a readonly database")

    monkeypatch.setattr(Store, "for_account", refuse)
    assert self_test.run_self_test() == 1
    output = capsys.readouterr().out
    assert f"自检失败：无法建立本机数据文件：{StoreReadOnlyError.user_message}" in output
    assert "readonly database" not in output
    assert "Traceback" not in output


def test_a_rule_that_crashes_fails_the_self_test(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """E.g. a bundle without python-stdnum's region database: the region rule raises."""
    from app.validation import rules_common

    def broken(*_args: object) -> object:
        raise FileNotFoundError("stdnum/cn/loc.dat")

    monkeypatch.setattr(rules_common, "region_known", broken)  # S08 looks it up in its own module
    assert self_test.run_self_test() == 1
    output = capsys.readouterr().out
    assert "自检失败：效验规则" in output and "S08" in output
    assert "缺少数据文件" in output


def test_an_unexpected_error_is_reported_in_chinese_without_a_traceback(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("app.demo.write_demo", explode)
    assert self_test.run_self_test() == 1
    output = capsys.readouterr()
    assert "自检失败：出现意外错误，详情已记录在日志文件中。" in output.out
    assert "boom" not in output.out and "Traceback" not in output.out + output.err


def test_the_command_line_flag_selects_the_self_test() -> None:
    assert parse_args(["--self-test"]).self_test is True
    assert parse_args([]).self_test is False
