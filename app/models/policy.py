"""The aid policy of a province (resources/policy/*.toml): items, who gets them, standards.

Nothing about amounts lives in code: rules A07/A08/A13/A21/A22 and the demo generator ask this.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from app.models.period import Period
from app.models.resources import load_toml

DEFAULT_POLICY = "guangxi.toml"
ALL_STAGES = "*"


@dataclass(frozen=True)
class Standard:
    """Per-term amounts of an item that hold from ``since`` on (until the next standard)."""

    since: Period
    amounts: Mapping[str, tuple[Decimal, ...]] = field(default_factory=dict)

    def amounts_for(self, stage: str) -> tuple[Decimal, ...]:
        return self.amounts.get(stage) or self.amounts.get(ALL_STAGES, ())


@dataclass(frozen=True)
class AidItem:
    name: str
    stages: tuple[str, ...]
    payout: tuple[str, ...]
    standards: tuple[Standard, ...]
    grades: tuple[str, ...] = ()
    local_fee: bool = False
    boarding_only: bool = False

    def standard_in(self, period: Period) -> Standard | None:
        """The standard in force in ``period``; None before the item existed."""
        current: Standard | None = None
        for standard in self.standards:
            if _period_key(standard.since) <= _period_key(period):
                current = standard
        return current

    def amounts_in(self, period: Period, stage: str) -> tuple[Decimal, ...]:
        standard = self.standard_in(period)
        return standard.amounts_for(stage) if standard else ()


@dataclass(frozen=True)
class Policy:
    province_code: str
    province_name: str
    items: tuple[AidItem, ...]

    @property
    def item_names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.items)

    def item(self, name: str) -> AidItem | None:
        return next((item for item in self.items if item.name == name), None)

    def items_for_stage(self, stage: str) -> tuple[AidItem, ...]:
        return tuple(item for item in self.items if stage in item.stages)


def _period_key(period: Period) -> tuple[int, int]:
    return period.start_year, 0 if period.term == "秋季学期" else 1


def _standard(raw: Mapping[str, Any]) -> Standard:
    amounts = {
        str(stage): tuple(Decimal(str(value)) for value in values)
        for stage, values in raw.get("amounts", {}).items()
    }
    return Standard(since=Period.from_id(str(raw["from"])), amounts=amounts)


def _item(raw: Mapping[str, Any]) -> AidItem:
    standards = sorted((_standard(s) for s in raw.get("standards", [])), key=lambda s: _period_key(s.since))
    return AidItem(
        name=str(raw["name"]),
        stages=tuple(raw["stages"]),
        payout=tuple(raw["payout"]),
        standards=tuple(standards),
        grades=tuple(raw.get("grades", ())),
        local_fee=bool(raw.get("local_fee", False)),
        boarding_only=bool(raw.get("boarding_only", False)),
    )


def parse_policy(raw: Mapping[str, Any]) -> Policy:
    return Policy(
        province_code=str(raw["province_code"]),
        province_name=str(raw["province_name"]),
        items=tuple(_item(item) for item in raw["items"]),
    )


@cache
def default_policy() -> Policy:
    """The policy shipped with the client."""
    return parse_policy(load_toml("policy", DEFAULT_POLICY))


def load_policy(path: Path | None = None) -> Policy:
    """The policy in ``path`` (a province's own file), or the shipped default."""
    if path is None:
        return default_policy()
    with path.open("rb") as stream:
        return parse_policy(tomllib.load(stream))
