"""Background work for the GUI: run a function on a pool thread, get its result on the GUI thread.

Workers never touch widgets; the callbacks run on the GUI thread through a queued connection.
A busy indicator appears only when the work takes longer than PROGRESS_DELAY_MS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

log = logging.getLogger(__name__)
PROGRESS_DELAY_MS = 300
# What a window holds back while it waits for background work it cannot be changed during.
USER_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.ShortcutOverride,
        QEvent.Type.Shortcut,
        QEvent.Type.InputMethod,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.Wheel,
        QEvent.Type.ContextMenu,
        QEvent.Type.Close,
        QEvent.Type.Drop,
    }
)


class _Relay(QObject):
    """Lives on the GUI thread; the pool thread emits, the GUI thread runs the callbacks."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self.finished.connect(self._done, Qt.ConnectionType.QueuedConnection)
        self.failed.connect(self._fail, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _done(self, result: object) -> None:
        self._on_done(result)

    @Slot(object)
    def _fail(self, error: object) -> None:
        assert isinstance(error, BaseException)
        self._on_error(error)


class _Task(QRunnable):
    def __init__(self, work: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # handed to the GUI thread's error handler, which classifies it
            log.debug("background task failed", exc_info=True)
            self._relay.failed.emit(exc)
        else:
            self._relay.finished.emit(result)


_running: set[_Relay] = set()  # keeps relays alive until their task reported back


def run_in_background(
    parent: QWidget,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    *,
    label: str = "正在处理，请稍候……",
) -> None:
    """Run ``work()`` off the GUI thread; ``on_done(result)`` or ``on_error(exc)`` run on the GUI thread."""
    progress = QProgressDialog(label, "", 0, 0, parent)
    progress.setWindowTitle("资助通")
    progress.setCancelButton(None)
    progress.setMinimumDuration(PROGRESS_DELAY_MS)
    progress.setWindowModality(Qt.WindowModality.WindowModal)

    def finish() -> None:
        progress.reset()
        progress.deleteLater()

    def done(result: Any) -> None:
        finish()
        on_done(result)

    def failed(error: BaseException) -> None:
        finish()
        on_error(error)

    start_quietly(work, done, failed)


def start_quietly(
    work: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
) -> None:
    """Like :func:`run_in_background` without the progress dialog: the caller shows its own progress."""

    def done(result: Any) -> None:
        _running.discard(relay)
        on_done(result)

    def failed(error: BaseException) -> None:
        _running.discard(relay)
        on_error(error)

    relay = _Relay(done, failed)
    _running.add(relay)
    QThreadPool.globalInstance().start(_Task(work, relay))
