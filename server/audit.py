"""The append-only audit log: who did what, when, from which address.

Every service that changes state calls :func:`record` inside the same transaction as the change, so
a change and its audit entry are committed together or not at all. The database refuses UPDATE and
DELETE on the table (triggers of migration 0001).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import AuditEntry, utc_now

ADDRESS_LENGTH = 64
CLI_ACTOR = "命令行"
CLI_ADDRESS = "本机"

# The Chinese names of the actions, for the console's audit pages.
ACTION_LABELS: dict[str, str] = {
    "login": "登录",
    "login.failed": "登录失败",
    "password.changed": "修改密码",
    "password.reset": "重置密码",
    "profile.updated": "修改负责人信息",
    "school.created": "新建学校账号",
    "school.updated": "修改学校信息",
    "reviewer.created": "新建审核员账号",
    "admin.created": "新建管理员账号",
    "period.updated": "设置报送期次",
    "upload.accepted": "上传数据",
    "upload.rejected": "上传被拒（数据有错误）",
    "review.approved": "审核通过",
    "review.returned": "退回重交",
    "review.reopened": "撤销审核",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: an account (id and login) or the command line, and the address it came from."""

    account_id: int | None
    login: str
    address: str

    @classmethod
    def cli(cls) -> Actor:
        return cls(None, CLI_ACTOR, CLI_ADDRESS)


@dataclass(frozen=True)
class AuditRecord:
    """One entry as the console shows it."""

    id: int
    at: datetime
    actor: str
    address: str
    action: str
    action_label: str
    school_id: int | None
    submission_id: int | None
    revision: int | None
    details: dict[str, Any]


def clip_address(address: str | None) -> str:
    """An address as stored (a proxy may send a long forwarded value)."""
    return (address or "")[:ADDRESS_LENGTH]


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    school_id: int | None = None,
    submission_id: int | None = None,
    revision: int | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry to the audit log (in the caller's transaction)."""
    session.execute(
        sa.insert(AuditEntry).values(
            at=at or utc_now(),
            actor_id=actor.account_id,
            actor=actor.login[:64],
            address=clip_address(actor.address),
            action=action,
            school_id=school_id,
            submission_id=submission_id,
            revision=revision,
            details=json.dumps(dict(details or {}), ensure_ascii=False, default=str),
        )
    )


def entries(
    session: Session,
    *,
    submission_id: int | None = None,
    school_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[AuditRecord]:
    """Entries, newest first, optionally only those of one submission or one school."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    if submission_id is not None:
        query = query.where(AuditEntry.submission_id == submission_id)
    if school_id is not None:
        query = query.where(AuditEntry.school_id == school_id)
    return [_record(entry) for entry in session.scalars(query)]


def _record(entry: AuditEntry) -> AuditRecord:
    details = json.loads(entry.details) if entry.details else {}
    return AuditRecord(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        address=entry.address,
        action=entry.action,
        action_label=ACTION_LABELS.get(entry.action, entry.action),
        school_id=entry.school_id,
        submission_id=entry.submission_id,
        revision=entry.revision,
        details=details if isinstance(details, dict) else {"value": details},
    )
