"""An edit typed into the grid survives the GUI process being killed (SIGKILL) right after it."""

from __future__ import annotations

import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.models.period import Period
from app.models.store import Store

PERIOD = Period("2026-2027", "秋季学期")
MARKER = "EDITED"
STARTUP_LIMIT_S = 60

# The GUI process: opens the store and the grid, types into the first cell and presses Enter (the
# commit path of a real user), then says so and waits to be killed.
GUI_SCRIPT = f"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from app.models.period import Period
from app.models.store import Store
from app.ui.table_editor import TableEditor

app = QApplication([])
store = Store.open(Path(sys.argv[1]))
editor = TableEditor(store, "students")
editor.load(Period("{PERIOD.school_year}", "{PERIOD.term}"))
editor.show()
editor.view.setFocus()
editor.view.setCurrentIndex(editor.model.index(0, 0))
QTest.keyClicks(editor.view, "Killed Right After")
QTest.keyClick(editor.view, Qt.Key.Key_Tab)
QTest.keyClicks(editor.view, "2")
QTest.keyClick(editor.view, Qt.Key.Key_Return)
print("{MARKER}", flush=True)
time.sleep(120)
"""


def _wait_for_marker(process: subprocess.Popen[str], deadline: float) -> str:
    """The child's stdout up to the marker line ("" if it ended or the deadline passed first)."""
    assert process.stdout is not None
    seen = ""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            line = process.stdout.readline()
            if not line:
                break
            seen += line
            if line.strip() == MARKER:
                return seen
    return ""


def test_an_edit_is_in_the_store_after_the_gui_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as store:
        store.insert_rows("students", PERIOD, [{"name": "韦小宝", "gender": "男"}, {"name": "黄蓉"}])
    stderr_path = tmp_path / "gui.stderr"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", GUI_SCRIPT, str(path)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            seen = _wait_for_marker(process, time.monotonic() + STARTUP_LIMIT_S)
            assert seen, f"the GUI process did not finish its edit:\n{stderr_path.read_text()}"
            process.kill()  # SIGKILL (TerminateProcess on Windows): no clean-up code runs
            assert process.wait(timeout=10) == -getattr(signal, "SIGKILL", -1)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()

    with Store.open(path) as reopened:
        first = reopened.load("students", PERIOD).values[0]
    assert first[:2] == ["Killed Right After", "女"]  # 性别 typed as 2: normalized, stored
