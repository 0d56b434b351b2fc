"""One background lane for the review server: SyncService calls run one after another, off the GUI thread.

A status poll must not run on the same SyncService as an upload at the same moment (they share its
HTTP session), so every network call of a window goes through one :class:`SyncRunner` with a single
worker thread. Results, failures and upload progress come back on the GUI thread through queued
signals; the worker never touches a widget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits, the GUI thread runs the callbacks."""

    progressed = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        runner: SyncRunner,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_progress: Progress | None,
    ) -> None:
        super().__init__()
        self._runner = runner
        self._on_done = on_done
        self._on_error = on_error
        self._on_progress = on_progress
        queued = Qt.ConnectionType.QueuedConnection
        self.progressed.connect(self._progress, queued)
        self.finished.connect(self._done, queued)
        self.failed.connect(self._fail, queued)

    @Slot(int, int)
    def _progress(self, sent: int, total: int) -> None:
        if self._on_progress is not None and not self._runner.closed:
            self._on_progress(sent, total)

    @Slot(object)
    def _done(self, result: object) -> None:
        self._runner.finish(self)
        if not self._runner.closed:
            self._on_done(result)

    @Slot(object)
    def _fail(self, error: object) -> None:
        self._runner.finish(self)
        assert isinstance(error, BaseException)
        if not self._runner.closed:
            self._on_error(error)


class _Task(QRunnable):
    def __init__(self, work: Callable[[Progress], object], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work(self._relay.progressed.emit)
        except Exception as exc:  # classified by the GUI thread's handler (typed SyncError and others)
            log.debug("sync task failed", exc_info=True)
            self._relay.failed.emit(exc)
        else:
            self._relay.finished.emit(result)


class SyncRunner(QObject):
    """A queue of SyncService calls run one at a time on a worker thread of its own."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relays: set[_Relay] = set()  # alive until their task reported back
        self.closed = False

    @property
    def busy(self) -> bool:
        """True while a call is queued or running."""
        return bool(self._relays)

    def submit(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``work()`` after the calls queued before it; the callbacks run on the GUI thread."""
        self.submit_with_progress(lambda _progress: work(), on_done, on_error)

    def submit_with_progress(
        self,
        work: Callable[[Progress], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_progress: Progress | None = None,
    ) -> None:
        """Like :meth:`submit`; ``work`` gets a ``progress(done, total)`` that reaches ``on_progress``."""
        relay = _Relay(self, on_done, on_error, on_progress)
        self._relays.add(relay)
        self._pool.start(_Task(work, relay))

    def finish(self, relay: _Relay) -> None:
        self._relays.discard(relay)

    def wait(self, msecs: int = -1) -> bool:
        """Block until the queued calls ran (their callbacks still arrive through the event loop)."""
        return self._pool.waitForDone(msecs)

    def close(self) -> None:
        """No callback runs any more (the window is closing); a running call finishes on its own."""
        self.closed = True
