"""Shared bits of the sync tests: a demo school's local data, and a store's rows as plain lists."""

from __future__ import annotations

from pathlib import Path

from app.demo import DemoData, generate
from app.models.period import Period
from app.models.store import Store

ORG = "4500000001"
PERIOD = Period("2026-2027", "秋季学期")


def seed_account(data_dir: Path, students: int = 12, *, org: str = ORG, seed: int = 1) -> DemoData:
    """Valid demo rows of both tables in the account's local store (validation finds nothing)."""
    demo = generate(students, PERIOD, seed=seed)
    with Store.for_account(org, data_dir) as store:
        store.replace_rows("students", PERIOD, demo.students)
        store.replace_rows("aid", PERIOD, demo.aid)
    return demo


def snapshot(data_dir: Path, org: str = ORG) -> dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...]]]]:
    """Every row of both tables (uid, values, accepted warnings): to prove local data did not change."""
    with Store.for_account(org, data_dir) as store:
        result = {}
        for table in ("students", "aid"):
            rows = store.load(table, PERIOD)
            result[table] = [
                (uid, tuple(values), accepted)
                for uid, values, accepted in zip(rows.uids, rows.values, rows.accepted, strict=True)
            ]
    return result
