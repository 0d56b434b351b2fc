"""A second start of the client brings the first window forward instead of opening the store twice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.ui import single_instance
from app.ui.main import parse_args, running_elsewhere
from app.ui.single_instance import (
    REQUEST_SUFFIX,
    InstanceGuard,
    ask_running_instance,
    bring_to_front,
    claim_or_hand_over,
    instance_dir,
)

ORG = "2145000001"
OTHER_ORG = "2145000002"
ROOT = Path(__file__).resolve().parents[2]
# The offscreen platform cannot raise windows and says so; on a desktop raise() works.
offscreen_raise = pytest.mark.qt_log_ignore("This plugin does not support raise")


@pytest.fixture
def owner(qapp: object, isolated_data_dir: Path) -> Iterator[InstanceGuard]:
    """The first client, running in this process."""
    guard = InstanceGuard.claim(ORG)
    assert guard is not None
    yield guard
    guard.release()


def _second_start(data_dir: Path, code: str) -> subprocess.Popen[bytes]:
    """Another process of the same user doing what a second start does."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ZIZHU_DATA_DIR=str(data_dir))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=ROOT)


def test_only_one_client_owns_an_account(owner: InstanceGuard, isolated_data_dir: Path) -> None:
    assert InstanceGuard.claim(ORG) is None
    other = InstanceGuard.claim(OTHER_ORG)  # another school's data on the same PC is independent
    assert other is not None
    other.release()
    assert InstanceGuard.claim(ORG, isolated_data_dir / "elsewhere") is not None  # another data folder
    owner.release()
    again = InstanceGuard.claim(ORG)
    assert again is not None
    again.release()


def test_asking_when_nothing_runs_is_a_quick_no(qapp: object, isolated_data_dir: Path) -> None:
    assert ask_running_instance(ORG) is False  # no account folder yet
    guard = InstanceGuard.claim(ORG)
    assert guard is not None
    guard.release()
    assert ask_running_instance(ORG) is False  # folder there, nobody holding the lock
    assert not list(instance_dir(ORG).glob(f"*{REQUEST_SUFFIX}"))
    assert ask_running_instance("not a code") is False


def test_the_owner_takes_the_request_and_comes_forward(owner: InstanceGuard, qtbot: QtBot) -> None:
    with qtbot.waitSignal(owner.activation_requested, timeout=5000):
        assert ask_running_instance(ORG) is True
    assert not list(owner.folder.glob(f"*{REQUEST_SUFFIX}"))


def test_a_second_start_hands_over_instead_of_opening_the_store(
    owner: InstanceGuard, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_box(*_args: object) -> None:
        raise AssertionError("the user must not be told anything when the hand-over works")

    monkeypatch.setattr(QMessageBox, "information", no_box)
    with qtbot.waitSignal(owner.activation_requested, timeout=5000):
        assert claim_or_hand_over(ORG) is None


def test_before_login_the_offered_account_is_checked(owner: InstanceGuard, qtbot: QtBot) -> None:
    with qtbot.waitSignal(owner.activation_requested, timeout=5000):
        assert running_elsewhere(parse_args(["--org-code", ORG])) is True
    assert running_elsewhere(parse_args(["--org-code", OTHER_ORG])) is False


def test_an_owner_that_never_answers_gets_the_user_told(
    qapp: object, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = InstanceGuard.claim(ORG)
    assert owner is not None
    owner.release()
    assert owner._lock.lock()  # hung: holds the lock, watches nothing
    monkeypatch.setattr(single_instance, "ANSWER_SECONDS", 0.2)
    monkeypatch.setattr(single_instance, "HAND_OVER_SECONDS", 0.3)
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: told.append(text))
    try:
        assert claim_or_hand_over(ORG) is None
    finally:
        owner.release()
    assert len(told) == 1 and f"机构码 {ORG} 的资助通已经在运行" in told[0]
    assert not list(instance_dir(ORG).glob(f"*{REQUEST_SUFFIX}")), "a request nobody took is withdrawn"


@offscreen_raise
def test_a_second_process_brings_the_minimized_window_back(
    owner: InstanceGuard, qtbot: QtBot, isolated_data_dir: Path
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.showMinimized()
    owner.activation_requested.connect(lambda: bring_to_front(window))
    second = _second_start(
        isolated_data_dir,
        f"""
        import sys
        from PySide6.QtWidgets import QApplication
        from app.ui.single_instance import claim_or_hand_over
        app = QApplication([])
        sys.exit(0 if claim_or_hand_over("{ORG}") is None else 3)
        """,
    )
    try:
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=30000)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0
    assert not window.isMinimized()
    assert window.isVisible()


def test_a_crashed_owner_does_not_lock_the_account(qapp: object, isolated_data_dir: Path) -> None:
    crashed = _second_start(
        isolated_data_dir,
        f"""
        import os
        from PySide6.QtCore import QCoreApplication
        from app.ui.single_instance import InstanceGuard
        app = QCoreApplication([])
        guard = InstanceGuard.claim("{ORG}")
        assert guard is not None
        os._exit(0)  # like a power cut: the lock file stays behind
        """,
    )
    assert crashed.wait(timeout=30) == 0
    assert (instance_dir(ORG) / single_instance.LOCK_FILE).exists()
    assert ask_running_instance(ORG) is False
    guard = InstanceGuard.claim(ORG)
    assert guard is not None
    guard.release()


@offscreen_raise
def test_bring_to_front_restores_a_minimized_window(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.showMinimized()
    bring_to_front(window)
    assert not window.isMinimized()
    assert window.isVisible()
