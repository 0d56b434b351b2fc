"""One running client per school account: a second start brings the first window forward.

Clerks double-click the desktop shortcut again when the window hides behind Excel. A second copy
would open the same data file twice and show two grids that disagree. So the client that owns an
account keeps, in the account's folder of the per-user data folder (hence per Windows user and
机构码),

- ``instance/owner.lock`` — a QLockFile: who owns the account; a crashed run's lock is recognised
  as stale by its process id, so a power cut never locks anyone out;
- a watch on ``instance/``: a second start drops a ``*.request`` file there, the owner deletes it
  (the answer) and brings its window forward.

Only QtCore is needed: a local socket would pull QtNetwork (and on Linux Kerberos) into the bundle
for this one purpose.

Before the login window a start only asks (:func:`ask_running_instance`) for the account the login
window would offer; after the login :func:`claim_or_hand_over` claims the account or hands over to
the running client and tells the caller to quit.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QFileSystemWatcher, QLockFile, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.models.paths import account_dir

log = logging.getLogger(__name__)

INSTANCE_DIR = "instance"
LOCK_FILE = "owner.lock"
REQUEST_SUFFIX = ".request"
ANSWER_SECONDS = 3.0  # how long a second start waits for the owner to take its request
HAND_OVER_SECONDS = 5.0  # how long it keeps trying when the owner holds the lock but does not answer
_ASFW_ANY = -1  # AllowSetForegroundWindow: any process may take the foreground


def instance_dir(org_code: str, data_dir: Path | None = None) -> Path:
    """The folder of the owner's lock and of the requests to come forward, inside the account folder."""
    return account_dir(org_code, data_dir) / INSTANCE_DIR


class InstanceGuard(QObject):
    """Held by the client that owns an account: the lock, and the watch for a second start's request."""

    activation_requested = Signal()

    def __init__(self, lock: QLockFile, folder: Path, parent: QObject | None = None) -> None:
        """Use :meth:`claim`."""
        super().__init__(parent)
        self._lock = lock
        self.folder = folder
        for leftover in self._requests():  # from starts that gave up while nobody owned the account
            leftover.unlink(missing_ok=True)
        self._watcher = QFileSystemWatcher([str(folder)], self)
        self._watcher.directoryChanged.connect(self._take_requests)

    @classmethod
    def claim(cls, org_code: str, data_dir: Path | None = None) -> InstanceGuard | None:
        """Own the account for this process; None when another running client owns it."""
        folder = instance_dir(org_code, data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        lock = QLockFile(str(folder / LOCK_FILE))
        lock.setStaleLockTime(0)  # held for hours: only a dead owner makes it stale, not its age
        if not lock.tryLock(0):
            return None
        return cls(lock, folder)

    def release(self) -> None:
        """Stop watching and free the account (at exit; safe to call twice)."""
        watched = self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)
        self._lock.unlock()

    def _requests(self) -> list[Path]:
        return sorted(self.folder.glob(f"*{REQUEST_SUFFIX}"))

    def _take_requests(self) -> None:
        requests = self._requests()
        for request in requests:
            request.unlink(missing_ok=True)  # the deleted file is the answer the second start waits for
        if requests:
            log.info("a second start asked this client to come forward")
            self.activation_requested.emit()


def ask_running_instance(org_code: str, data_dir: Path | None = None) -> bool:
    """True when a running client owns this account and took the request to come forward."""
    try:
        folder = instance_dir(org_code, data_dir)
    except ValueError:  # not a valid 机构码: nothing can be running under it
        return False
    if not folder.is_dir() or not _owned(folder):
        return False
    request = folder / f"{os.getpid()}-{time.monotonic_ns()}{REQUEST_SUFFIX}"
    try:
        request.write_bytes(b"")
    except OSError as exc:
        log.warning("cannot ask the running client to come forward: %s", exc)
        return False
    _allow_foreground()
    deadline = time.monotonic() + ANSWER_SECONDS
    while request.exists() and time.monotonic() < deadline:
        # Events keep flowing meanwhile: in tests the owner lives in this very process.
        QCoreApplication.processEvents()
        time.sleep(0.02)
    if request.exists():
        request.unlink(missing_ok=True)
        return False
    return True


def _owned(folder: Path) -> bool:
    """Whether a live process holds the account's lock (taking a free lock for a moment to find out)."""
    probe = QLockFile(str(folder / LOCK_FILE))
    probe.setStaleLockTime(0)
    if probe.tryLock(0):
        probe.unlock()
        return False
    return True


def _allow_foreground() -> None:
    """Windows lets only the foreground process raise a window; this (just started) one passes it on."""
    if sys.platform == "win32":
        import ctypes

        ctypes.windll.user32.AllowSetForegroundWindow(_ASFW_ANY)


def claim_or_hand_over(org_code: str, data_dir: Path | None = None) -> InstanceGuard | None:
    """Claim the account, or bring its running client forward and return None (the caller quits).

    A client that holds the lock but does not answer is probably still starting: it is asked again
    for a few seconds; after that the user is told where the other window is.
    """
    deadline = time.monotonic() + HAND_OVER_SECONDS
    while True:
        guard = InstanceGuard.claim(org_code, data_dir)
        if guard is not None:
            return guard
        if ask_running_instance(org_code, data_dir):
            log.info("account %s is open in another client; brought it forward", org_code)
            return None
        if time.monotonic() >= deadline:
            break
    QMessageBox.information(
        None,
        "资助通已经打开",
        f"机构码 {org_code} 的资助通已经在运行，请在任务栏中找到它的窗口。\n"
        "如果找不到，请在任务管理器中结束“资助通”，然后重新打开。",
    )
    return None


def bring_to_front(window: QWidget) -> None:
    """Restore a minimized window, raise it above the others and give it the keyboard."""
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()
    modal = QApplication.activeModalWidget()
    if modal is not None and modal is not window:  # an open dialog stays on top of its window
        modal.raise_()
        modal.activateWindow()
