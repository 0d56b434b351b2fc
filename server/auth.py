"""Passwords, bearer tokens, login throttling and the authenticated principal.

Shared by the API and the reviewer console (which keeps the same token in a cookie). Passwords are
argon2id hashes; tokens are random and only their SHA-256 is stored, with an expiry. Failed logins
are counted in the database per account and per address (``login_throttle``), so every worker
process enforces the same limits.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from server import audit
from server.audit import Actor
from server.db import Database
from server.errors import ForbiddenError, InvalidRequestError, ThrottledError, UnauthorizedError
from server.models import ADMIN, REVIEWER, SCHOOL, Account, AuthToken, LoginThrottle, utc_now
from server.settings import Settings

INITIAL_PASSWORD = "aabbcc"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): about 50 ms per hash on one core.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the login name is unknown, so that case takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a real password")


# ---------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    """The argon2id hash to store for ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, login: str, what: str = "新密码") -> str | None:
    """Why ``password`` may not be used as a new password (Chinese), or None when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"{what}至少需要{MIN_PASSWORD_LENGTH}个字符。"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"{what}不能超过{MAX_PASSWORD_LENGTH}个字符。"
    if password == INITIAL_PASSWORD:
        return f"{what}不能是初始密码 aabbcc。"
    if password == login:
        return f"{what}不能与机构码或用户名相同。"
    if password.strip() != password:
        return f"{what}的开头和结尾不能是空格。"
    return None


def check_new_password(password: str, *, login: str, what: str = "新密码") -> None:
    """Raise InvalidRequestError (code ``weak_password``) when ``password`` breaks the password rules."""
    problem = password_problem(password, login=login, what=what)
    if problem is not None:
        raise InvalidRequestError(problem, code="weak_password")


# ---------------------------------------------------------------- tokens and principals


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def scope_prefixes(scope: str) -> tuple[str, ...]:
    """The prefixes of a stored scope text ("4501,4502")."""
    return tuple(part for part in (p.strip() for p in scope.split(",")) if part)


@dataclass(frozen=True)
class Principal:
    """The account a request acts for (from its bearer token)."""

    account_id: int
    kind: str
    login: str
    name: str
    region_code: str | None
    scope: tuple[str, ...]
    must_change_password: bool
    token_id: int

    @property
    def is_school(self) -> bool:
        return self.kind == SCHOOL

    @property
    def is_reviewer(self) -> bool:
        """A reviewer or an admin (admins see and may review every school)."""
        return self.kind in (REVIEWER, ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.kind == ADMIN

    def covers(self, region_code: str | None) -> bool:
        """Whether a school with this region code is within this account's review scope."""
        if self.kind == ADMIN:
            return True
        if self.kind != REVIEWER or not region_code:
            return False
        return any(region_code.startswith(prefix) for prefix in self.scope)

    def actor(self, address: str) -> Actor:
        return Actor(self.account_id, self.login, address)


def _principal(account: Account, token_id: int) -> Principal:
    return Principal(
        account_id=account.id,
        kind=account.kind,
        login=account.login,
        name=account.name,
        region_code=account.region_code,
        scope=scope_prefixes(account.scope),
        must_change_password=account.must_change_password,
        token_id=token_id,
    )


# Every request runs this lookup: the statement is built once and reads plain columns, not an ORM
# entity, on the connection (no ORM layer): a status poll spent most of its time there
# (bench/bench_server.py).
_TOKEN_LOOKUP = (
    sa.select(
        AuthToken.id,
        AuthToken.expires_at,
        Account.id.label("account_id"),
        Account.kind,
        Account.login,
        Account.name,
        Account.region_code,
        Account.scope,
        Account.must_change_password,
    )
    .join(Account, Account.id == AuthToken.account_id)
    .where(AuthToken.token_hash == sa.bindparam("digest"))
)


def authenticate(
    session: Session | sa.Connection, token: str, now: datetime | None = None
) -> Principal | None:
    """The principal of a live token, or None (unknown, revoked or expired)."""
    if not token:
        return None
    connection = session.connection() if isinstance(session, Session) else session
    row = connection.execute(_TOKEN_LOOKUP, {"digest": token_digest(token)}).first()
    if row is None or row.expires_at <= (now or utc_now()):
        return None
    return Principal(
        account_id=row.account_id,
        kind=row.kind,
        login=row.login,
        name=row.name,
        region_code=row.region_code,
        scope=scope_prefixes(row.scope),
        must_change_password=bool(row.must_change_password),
        token_id=row.id,
    )


def require_principal(
    session: Session | sa.Connection, token: str | None, *, allow_password_change: bool = False
) -> Principal:
    """The principal of ``token``; UnauthorizedError, or ForbiddenError while the password must change."""
    if not token:
        raise UnauthorizedError("请先登录。", code="not_logged_in")
    principal = authenticate(session, token)
    if principal is None:
        raise UnauthorizedError("登录已过期或无效，请重新登录。", code="invalid_token")
    if principal.must_change_password and not allow_password_change:
        raise ForbiddenError("首次登录（或密码被重置后）须先修改密码。", code="must_change_password")
    return principal


def revoke_token(db: Database, token: str) -> None:
    """End a session (logout); unknown tokens are ignored."""
    with db.write() as session:
        session.execute(sa.delete(AuthToken).where(AuthToken.token_hash == token_digest(token)))


# ---------------------------------------------------------------- login


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    principal: Principal
    account: Account


_ORG_CODE = re.compile(r"^\d{10}$")


def login(
    db: Database,
    settings: Settings,
    *,
    password: str,
    address: str,
    org_code: str | None = None,
    username: str | None = None,
) -> LoginResult:
    """Check the credentials of a school (``org_code``) or a reviewer/admin (``username``).

    Raises UnauthorizedError for wrong credentials and ThrottledError while the account or the address is
    locked after too many failures (the failure that reaches the limit already answers ThrottledError).
    """
    if (org_code is None) == (username is None):
        raise InvalidRequestError("请填写机构码（学校）或用户名（审核员、管理员）其中之一。")
    name = (org_code if org_code is not None else username) or ""
    school = org_code is not None
    keys = (_account_key(school, name), _address_key(address))
    now = utc_now()
    with db.read() as session:
        _raise_if_locked(session, keys, now)
        account = _find_login(session, name, school=school)
        stored_hash = account.password_hash if account is not None else _DUMMY_HASH
    if account is None or not verify_password(stored_hash, password):
        _failed(db, settings, keys=keys, name=name, address=address, account=account)
    return _succeeded(db, settings, account, account_key=keys[0], password=password, address=address)


def _find_login(session: Session, name: str, *, school: bool) -> Account | None:
    if school and not _ORG_CODE.match(name):
        return None
    kinds = (SCHOOL,) if school else (REVIEWER, ADMIN)
    return session.scalars(sa.select(Account).where(Account.login == name, Account.kind.in_(kinds))).first()


def _failed(
    db: Database,
    settings: Settings,
    *,
    keys: tuple[str, str],
    name: str,
    address: str,
    account: Account | None,
) -> NoReturn:
    now = utc_now()
    with db.write() as session:
        locked = _count_failure(session, keys[0], settings.account_max_failures, settings, now)
        locked = _count_failure(session, keys[1], settings.address_max_failures, settings, now) or locked
        audit.record(
            session,
            Actor(account.id if account else None, name[:64], address),
            "login.failed",
            school_id=account.id if account is not None and account.kind == SCHOOL else None,
            details={"locked": locked},
            at=now,
        )
    if locked:
        _raise_if_locked_now(db, keys)
    raise UnauthorizedError(
        "机构码或密码错误。" if keys[0].startswith("account:school:") else "用户名或密码错误。",
        code="invalid_credentials",
    )


def _raise_if_locked_now(db: Database, keys: tuple[str, ...]) -> None:
    with db.read() as session:
        _raise_if_locked(session, keys, utc_now())


def _succeeded(
    db: Database, settings: Settings, account: Account, *, account_key: str, password: str, address: str
) -> LoginResult:
    now = utc_now()
    token = secrets.token_urlsafe(32)
    expires_at = now + settings.token_ttl
    with db.write() as session:
        session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == account_key))
        # The account's expired tokens are of no use to anyone: tidy them up while we are here.
        session.execute(
            sa.delete(AuthToken).where(AuthToken.account_id == account.id, AuthToken.expires_at < now)
        )
        token_id = session.execute(
            sa.insert(AuthToken)
            .values(
                token_hash=token_digest(token),
                account_id=account.id,
                created_at=now,
                expires_at=expires_at,
                address=audit.clip_address(address),
            )
            .returning(AuthToken.id)
        ).scalar_one()
        if _HASHER.check_needs_rehash(account.password_hash):
            session.execute(
                sa.update(Account)
                .where(Account.id == account.id)
                .values(password_hash=hash_password(password))
            )
        audit.record(
            session,
            Actor(account.id, account.login, address),
            "login",
            school_id=account.id if account.kind == SCHOOL else None,
            at=now,
        )
    return LoginResult(token, expires_at, _principal(account, token_id), account)


# ---------------------------------------------------------------- password change


def change_password(
    db: Database,
    settings: Settings,
    principal: Principal,
    *,
    old_password: str,
    new_password: str,
    address: str,
) -> None:
    """Change the principal's own password; other sessions of the account end, this one stays.

    Raises InvalidRequestError (``wrong_password`` / ``weak_password``) and ThrottledError like a
    login: a wrong old password counts as a failed login of the account.
    """
    keys = (_account_key(principal.is_school, principal.login),)
    with db.read() as session:
        _raise_if_locked(session, keys, utc_now())
        stored_hash = session.scalar(
            sa.select(Account.password_hash).where(Account.id == principal.account_id)
        )
    if stored_hash is None or not verify_password(stored_hash, old_password):
        now = utc_now()
        with db.write() as session:
            locked = _count_failure(session, keys[0], settings.account_max_failures, settings, now)
        if locked:
            _raise_if_locked_now(db, keys)
        raise InvalidRequestError("原密码不正确。", code="wrong_password")
    check_new_password(new_password, login=principal.login)
    now = utc_now()
    with db.write() as session:
        session.execute(
            sa.update(Account)
            .where(Account.id == principal.account_id)
            .values(
                password_hash=hash_password(new_password), must_change_password=False, password_changed_at=now
            )
        )
        session.execute(
            sa.delete(AuthToken).where(
                AuthToken.account_id == principal.account_id, AuthToken.id != principal.token_id
            )
        )
        audit.record(
            session,
            principal.actor(address),
            "password.changed",
            school_id=principal.account_id if principal.is_school else None,
            at=now,
        )


# ---------------------------------------------------------------- throttling


def _account_key(school: bool, name: str) -> str:
    return f"account:{'school' if school else 'staff'}:{name}"


def _address_key(address: str) -> str:
    return f"address:{audit.clip_address(address)}"


def clear_throttle(session: Session, *, school: bool, login: str) -> None:
    """Forget the failed logins of an account (after an admin reset its password)."""
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == _account_key(school, login)))


def _raise_if_locked(session: Session, keys: tuple[str, ...], now: datetime) -> None:
    locks = session.scalars(
        sa.select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
        )
    ).all()
    until = max((lock for lock in locks if lock is not None), default=None)
    if until is None:
        return
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    raise ThrottledError(f"登录失败次数过多，请{minutes}分钟后再试。", retry_after=seconds)


def _count_failure(session: Session, key: str, limit: int, settings: Settings, now: datetime) -> bool:
    """Count one failure for ``key``; True when the key is (now) locked."""
    _insert_if_missing(session, key, now)
    state = session.scalars(sa.select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).one()
    if state.locked_until is not None and state.locked_until > now:
        return True
    if now - state.window_started_at > settings.failure_window or state.locked_until is not None:
        state.failures, state.window_started_at, state.locked_until = 0, now, None
    state.failures += 1
    if state.failures >= limit:
        state.locked_until = now + settings.lockout
        state.failures = 0
    session.flush()
    return state.locked_until is not None


def _insert_if_missing(session: Session, key: str, now: datetime) -> None:
    values = {"key": key, "failures": 0, "window_started_at": now, "locked_until": None}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(LoginThrottle).values(values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(LoginThrottle).values(values).on_conflict_do_nothing())
