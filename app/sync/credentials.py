"""Where the login token is kept: the OS credential store, or a private file where there is none.

Windows keeps it in the Credential Manager, macOS in the Keychain, a Linux desktop in the Secret
Service (all through ``keyring``). Where no usable backend exists (a headless Linux, a locked or broken
keyring) the token goes into ``credentials.json`` in the user data folder, readable by the user only
(mode 0600, written atomically). The token is never stored next to the school's data.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
from keyring.backend import KeyringBackend

from app.models.paths import user_data_dir

SERVICE_NAME = "zizhutong"
CREDENTIALS_FILE = "credentials.json"
_FILE_MODE = 0o600

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredToken:
    """A bearer token and when the server said it expires (ISO 8601, "" if it did not say)."""

    token: str
    expires_at: str = ""

    def expired(self, now: datetime | None = None) -> bool:
        """True once the expiry time has passed; a token without a readable expiry never expires here."""
        expiry = parse_time(self.expires_at)
        if expiry is None:
            return False
        return (now or datetime.now(UTC)) >= expiry

    def to_json(self) -> str:
        return json.dumps({"token": self.token, "expires_at": self.expires_at})

    @classmethod
    def from_json(cls, text: str) -> StoredToken | None:
        try:
            raw = json.loads(text)
        except ValueError:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("token"), str) or not raw["token"]:
            return None
        return cls(raw["token"], str(raw.get("expires_at") or ""))


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time as an aware datetime (UTC when it has no zone); None if unreadable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def keyring_usable(backend: KeyringBackend) -> bool:
    """False for keyring's placeholders: "no backend found" (a Linux without a Secret Service) and "null"."""
    return not isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring)


class TokenStore:
    """Tokens per (server, 机构码): in the OS credential store, else in the 0600 fallback file."""

    def __init__(self, data_dir: Path | None = None, *, backend: KeyringBackend | None = None) -> None:
        self._file = (data_dir or user_data_dir()) / CREDENTIALS_FILE
        self._backend = backend if backend is not None else keyring.get_keyring()

    @property
    def file_path(self) -> Path:
        return self._file

    @property
    def uses_keyring(self) -> bool:
        return keyring_usable(self._backend)

    def save(self, server_url: str, org_code: str, token: StoredToken) -> None:
        """Keep ``token``; in the credential store when it works, else in the private file."""
        key = _key(server_url, org_code)
        if self._keyring_set(key, token.to_json()):
            self._file_drop(key)  # never leave an older copy in the file
            return
        entries = self._file_read()
        entries[key] = {"token": token.token, "expires_at": token.expires_at}
        self._file_write(entries)

    def load(self, server_url: str, org_code: str) -> StoredToken | None:
        """The kept token, or None."""
        key = _key(server_url, org_code)
        text = self._keyring_get(key)
        if text is not None:
            return StoredToken.from_json(text)
        entry = self._file_read().get(key)
        return StoredToken.from_json(json.dumps(entry)) if isinstance(entry, dict) else None

    def delete(self, server_url: str, org_code: str) -> None:
        """Forget the token (logout, expired token); no error when there was none."""
        key = _key(server_url, org_code)
        if self.uses_keyring:
            with contextlib.suppress(Exception):
                self._backend.delete_password(SERVICE_NAME, key)
        self._file_drop(key)

    # -- the credential store -----------------------------------------------------------------------

    def _keyring_set(self, key: str, secret: str) -> bool:
        if not self.uses_keyring:
            return False
        try:
            self._backend.set_password(SERVICE_NAME, key, secret)
        except Exception:  # any backend failure (locked, no D-Bus …) falls back to the file
            log.warning("credential store %s refused the token; using the private file", _name(self._backend))
            return False
        return True

    def _keyring_get(self, key: str) -> str | None:
        if not self.uses_keyring:
            return None
        try:
            return self._backend.get_password(SERVICE_NAME, key)
        except Exception:
            log.warning("credential store %s unreadable; trying the private file", _name(self._backend))
            return None

    # -- the fallback file --------------------------------------------------------------------------

    def _file_read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self._file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("credentials file %s unreadable; ignoring it", self._file, exc_info=True)
            return {}
        return raw if isinstance(raw, dict) else {}

    def _file_drop(self, key: str) -> None:
        entries = self._file_read()
        if key in entries:
            del entries[key]
            self._file_write(entries)

    def _file_write(self, entries: dict[str, Any]) -> None:
        """Replace the file atomically; the new file is created 0600 (no moment it is readable by others)."""
        self._file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._file.with_name(f".{CREDENTIALS_FILE}.{os.getpid()}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
        handle = os.open(temporary, flags, _FILE_MODE)
        try:
            with os.fdopen(handle, "wb") as stream:
                if sys.platform != "win32":
                    os.fchmod(stream.fileno(), _FILE_MODE)  # O_CREAT's mode does not apply to a leftover file
                stream.write(json.dumps(entries, indent=2).encode("utf-8"))
                stream.flush()
                os.fsync(stream.fileno())
            temporary.replace(self._file)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def _key(server_url: str, org_code: str) -> str:
    return f"{org_code}@{server_url}"


def _name(backend: KeyringBackend) -> str:
    # Not str(backend): that reads the backend's priority, which may itself raise.
    return type(backend).__name__
