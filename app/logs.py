"""Logging to a rotating file in the user data folder (never to the install folder)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from app.models.paths import log_dir

LOG_FILE = "zizhu.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def setup_logging(data_dir: Path | None = None, level: int = logging.INFO) -> Path:
    """Send the app's log records to ``logs/zizhu.log`` (1 MB × 5 files); returns the file path."""
    folder = log_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=5, encoding="utf-8", delay=True
        )
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    return path
