"""The login token: in the OS credential store when there is one, else in a 0600 file (headless Linux)."""

from __future__ import annotations

import json
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring.backends.fail
import pytest
from keyring.backend import KeyringBackend

from app.sync.credentials import CREDENTIALS_FILE, SERVICE_NAME, StoredToken, TokenStore

SERVER = "http://127.0.0.1:8765"
ORG = "4500000001"


class _NoPriority:
    """A ``priority`` that raises: keyring then never picks the class by itself (not "viable")."""

    def __get__(self, instance: object, owner: type | None = None) -> float:
        raise RuntimeError("only used when passed in explicitly")


class MemoryKeyring(KeyringBackend):
    """A working credential store in memory; never picked by keyring's own backend detection."""

    priority = _NoPriority()

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    """A credential store that exists but refuses to work (a locked Secret Service, no D-Bus …)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


def no_keyring() -> KeyringBackend:
    """keyring's placeholder when no credential store exists (what a headless Linux gets)."""
    return keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]


def token(hours: float = 8) -> StoredToken:
    expiry = datetime.now(UTC) + timedelta(hours=hours)
    return StoredToken("secret-token-123", expiry.isoformat())


def test_without_a_credential_store_the_token_goes_into_a_private_file(isolated_data_dir: Path) -> None:
    store = TokenStore(isolated_data_dir, backend=no_keyring())
    assert not store.uses_keyring

    store.save(SERVER, ORG, token())

    path = isolated_data_dir / CREDENTIALS_FILE
    assert path.is_file()
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = store.load(SERVER, ORG)
    assert loaded is not None and loaded.token == "secret-token-123" and not loaded.expired()
    # A second TokenStore (the next start of the program) finds it too.
    assert TokenStore(isolated_data_dir, backend=no_keyring()).load(SERVER, ORG) == loaded


def test_the_fallback_file_keeps_tokens_per_server_and_account(isolated_data_dir: Path) -> None:
    store = TokenStore(isolated_data_dir, backend=no_keyring())
    store.save(SERVER, ORG, StoredToken("a"))
    store.save(SERVER, "4500000002", StoredToken("b"))
    store.save("https://review.example.cn", ORG, StoredToken("c"))

    store.delete(SERVER, ORG)

    assert store.load(SERVER, ORG) is None
    assert store.load(SERVER, "4500000002") == StoredToken("b")
    assert store.load("https://review.example.cn", ORG) == StoredToken("c")
    if sys.platform != "win32":
        assert stat.S_IMODE((isolated_data_dir / CREDENTIALS_FILE).stat().st_mode) == 0o600


def test_a_too_open_leftover_file_is_rewritten_private(isolated_data_dir: Path) -> None:
    path = isolated_data_dir / CREDENTIALS_FILE
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o644)
    TokenStore(isolated_data_dir, backend=no_keyring()).save(SERVER, ORG, token())
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))[f"{ORG}@{SERVER}"]["token"] == "secret-token-123"


def test_a_damaged_fallback_file_means_logged_out_not_a_crash(isolated_data_dir: Path) -> None:
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / CREDENTIALS_FILE).write_text("{not json", encoding="utf-8")
    store = TokenStore(isolated_data_dir, backend=no_keyring())
    assert store.load(SERVER, ORG) is None
    store.save(SERVER, ORG, StoredToken("fresh"))
    assert store.load(SERVER, ORG) == StoredToken("fresh")


def test_with_a_credential_store_no_file_is_written(isolated_data_dir: Path) -> None:
    backend = MemoryKeyring()
    store = TokenStore(isolated_data_dir, backend=backend)
    assert store.uses_keyring

    store.save(SERVER, ORG, token())

    assert not (isolated_data_dir / CREDENTIALS_FILE).exists()
    assert (SERVICE_NAME, f"{ORG}@{SERVER}") in backend.secrets
    loaded = store.load(SERVER, ORG)
    assert loaded is not None and loaded.token == "secret-token-123"
    store.delete(SERVER, ORG)
    assert store.load(SERVER, ORG) is None and backend.secrets == {}


def test_saving_to_the_credential_store_removes_an_older_file_copy(isolated_data_dir: Path) -> None:
    TokenStore(isolated_data_dir, backend=no_keyring()).save(SERVER, ORG, StoredToken("old"))
    TokenStore(isolated_data_dir, backend=MemoryKeyring()).save(SERVER, ORG, StoredToken("new"))
    entries = json.loads((isolated_data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))
    assert entries == {}


def test_a_credential_store_that_refuses_falls_back_to_the_file(isolated_data_dir: Path) -> None:
    store = TokenStore(isolated_data_dir, backend=LockedKeyring())
    store.save(SERVER, ORG, StoredToken("kept"))
    assert store.load(SERVER, ORG) == StoredToken("kept")
    assert (isolated_data_dir / CREDENTIALS_FILE).is_file()


def test_keyrings_own_placeholder_is_detected_as_unusable(
    isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    store = TokenStore(isolated_data_dir)
    assert not store.uses_keyring
    store.save(SERVER, ORG, StoredToken("x"))
    assert (isolated_data_dir / CREDENTIALS_FILE).is_file()


@pytest.mark.parametrize(
    ("expires_in", "expired"),
    [(timedelta(minutes=-1), True), (timedelta(minutes=5), False)],
)
def test_token_expiry_relative_to_now(expires_in: timedelta, expired: bool) -> None:
    # Computed when the test runs, not when it is collected: a long suite must not age the token.
    expires_at = (datetime.now(UTC) + expires_in).isoformat()
    assert StoredToken("t", expires_at).expired() is expired


@pytest.mark.parametrize(
    ("expires_at", "expired"),
    [("2020-01-01T00:00:00Z", True), ("2999-01-01T00:00:00+08:00", False), ("", False), ("garbage", False)],
)
def test_token_expiry(expires_at: str, expired: bool) -> None:
    assert StoredToken("t", expires_at).expired() is expired


def test_token_expiry_at_a_given_time() -> None:
    token = StoredToken("t", "2026-11-23T08:00:00+08:00")
    assert not token.expired(datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC))
    assert token.expired(datetime(2026, 11, 23, 0, 0, 0, tzinfo=UTC))
