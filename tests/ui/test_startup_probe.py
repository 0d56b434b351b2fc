"""The start-up probe of bench/bench_startup.py: off by default, and when on it stops at the first window."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from app.ui.startup_probe import STARTUP_PROBE_ENV, watch_startup


def test_without_the_variable_nothing_is_watched(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STARTUP_PROBE_ENV, raising=False)
    assert watch_startup(qapp) is None


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_the_first_shown_window_writes_the_time_and_closes(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "shown.txt"
    monkeypatch.setenv(STARTUP_PROBE_ENV, str(target))
    before = time.time()
    probe = watch_startup(qapp)
    assert probe is not None
    try:
        dialog = QDialog()
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(target.exists, timeout=5000)
        assert before <= float(target.read_text(encoding="utf-8")) <= time.time()
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)  # as if the login was cancelled
    finally:
        qapp.removeEventFilter(probe)
