"""Start-up time measurement (bench/bench_startup.py): when the first window is on screen, say when.

With ``ZIZHU_STARTUP_PROBE=<file>`` in the environment the client writes the wall-clock time
(``time.time()``) at which its first window (the login window) was exposed into ``<file>`` and
closes its windows, so ``main()`` returns as if the user had cancelled the login. A file rather than
stdout, because a windowed Windows executable has no stdout. Without the variable nothing happens.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QWindow
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

STARTUP_PROBE_ENV = "ZIZHU_STARTUP_PROBE"


class _FirstExposure(QObject):
    """Event filter on the application: the first exposed window stops the clock."""

    def __init__(self, target: Path, app: QApplication) -> None:
        super().__init__(app)
        self._target = target
        self._app = app

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Expose and isinstance(watched, QWindow) and watched.isExposed():
            shown_at = time.time()
            self._app.removeEventFilter(self)
            self._target.write_text(f"{shown_at:.6f}\n", encoding="utf-8")
            log.info("startup probe: first window %r shown", watched.title())
            QTimer.singleShot(0, self._app.closeAllWindows)
        return False


def watch_startup(app: QApplication) -> QObject | None:
    """Install the probe when ZIZHU_STARTUP_PROBE names a file (returns it); otherwise do nothing."""
    target = os.environ.get(STARTUP_PROBE_ENV)
    if not target:
        return None
    probe = _FirstExposure(Path(target), app)
    app.installEventFilter(probe)
    return probe
