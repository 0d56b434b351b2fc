"""The sync settings of this PC: the review server's address and the last account that logged in.

Kept in ``sync.json`` in the user data folder (never the install folder). The environment variable
``ZIZHU_SERVER_URL`` overrides the address (``make run`` and tests point the client at a local server).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app.models.paths import user_data_dir
from app.sync.errors import ServerAddressError

SETTINGS_FILE = "sync.json"
SERVER_URL_ENV = "ZIZHU_SERVER_URL"

log = logging.getLogger(__name__)


@dataclass
class SyncSettings:
    server_url: str = ""
    last_org_code: str = ""


def settings_path(data_dir: Path | None = None) -> Path:
    return (data_dir or user_data_dir()) / SETTINGS_FILE


def normalize_server_url(url: str) -> str:
    """``url`` without surrounding blanks and trailing slashes; raises ServerAddressError if unusable."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ServerAddressError(f"unusable server url {url!r}")
    try:
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise ServerAddressError(f"bad port in {url!r}") from exc
    return text


def load_settings(data_dir: Path | None = None) -> SyncSettings:
    """The saved settings; a missing or damaged file gives the defaults (it is only a convenience)."""
    path = settings_path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SyncSettings()
    except (OSError, ValueError):
        log.warning("sync settings %s unreadable; using defaults", path, exc_info=True)
        return SyncSettings()
    if not isinstance(raw, dict):
        return SyncSettings()
    return SyncSettings(
        server_url=str(raw.get("server_url") or ""), last_org_code=str(raw.get("last_org_code") or "")
    )


def save_settings(settings: SyncSettings, data_dir: Path | None = None) -> None:
    """Write the settings atomically (a power cut leaves the old or the new file, never half of one)."""
    path = settings_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        {"server_url": settings.server_url, "last_org_code": settings.last_org_code},
        ensure_ascii=False,
        indent=2,
    )
    handle, temporary = tempfile.mkstemp(prefix=".sync-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def server_url(data_dir: Path | None = None) -> str:
    """The configured server address ("" when none): ``ZIZHU_SERVER_URL``, else the settings file."""
    return os.environ.get(SERVER_URL_ENV, "").strip().rstrip("/") or load_settings(data_dir).server_url
