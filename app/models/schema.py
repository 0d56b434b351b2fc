"""Table schemas as data: resources/tables/<key>.toml describes every column of a table."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from app.models.codes import CodeList, code_list
from app.models.policy import Policy, default_policy
from app.models.resources import load_toml

TableKey = Literal["students", "aid"]
TABLE_KEYS: tuple[TableKey, ...] = ("students", "aid")
POLICY_ITEMS = "policy:items"

ColumnType = Literal[
    "text", "enum", "id18", "id", "student_no", "region", "phone", "decimal", "date", "school_year", "account"
]

# Header decorations that templates add around a column name: 「*姓名」, 「姓名（必填）」, 「姓名\n」.
_HEADER_NOISE = re.compile(r"[\s*＊:：]|[(（]\s*(?:必填|选填|可选|必录)\s*[)）]")


def header_match_key(text: str) -> str:
    """The form of a header cell used to compare it with headers and aliases."""
    folded = unicodedata.normalize("NFKC", text)
    return _HEADER_NOISE.sub("", folded).lower()


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: ColumnType
    required: bool = False
    max_length: int | None = None
    enum: str | None = None
    depends_on: str | None = None
    aliases: tuple[str, ...] = ()
    width: int = 10
    text_format: bool = False
    damage_check: bool = False
    # The column is required only when (or unless) another column holds one of these values.
    required_when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required_unless: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_enum(self) -> bool:
        return self.enum is not None

    def code_list(self, policy: Policy | None = None) -> CodeList:
        """The values this enum column accepts."""
        if self.enum is None:
            raise ValueError(f"column {self.key} is not an enum column")
        if self.enum == POLICY_ITEMS:
            names = (policy or default_policy()).item_names
            return CodeList(name=POLICY_ITEMS, title=self.header, values=names)
        return code_list(self.enum)


@dataclass(frozen=True, eq=False)  # identity-hashed: one instance per table (cached)
class TableSchema:
    key: TableKey
    title: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(column.header for column in self.columns)

    def column(self, key: str) -> Column:
        return self._by_key[key]

    def index_of(self, key: str) -> int:
        return self.keys.index(key)

    def match_header(self, text: str) -> Column | None:
        """The column whose header or alias is ``text`` (spaces, *, 全角 and （必填） ignored)."""
        return self._by_header.get(header_match_key(text))

    @property
    def _by_key(self) -> Mapping[str, Column]:
        return _index_by_key(self)

    @property
    def _by_header(self) -> Mapping[str, Column]:
        return _index_by_header(self)


@cache
def _index_by_key(schema: TableSchema) -> Mapping[str, Column]:
    return MappingProxyType({column.key: column for column in schema.columns})


@cache
def _index_by_header(schema: TableSchema) -> Mapping[str, Column]:
    index: dict[str, Column] = {}
    for column in schema.columns:
        for name in (column.header, *column.aliases):
            index.setdefault(header_match_key(name), column)
    return MappingProxyType(index)


def _condition(raw: Any) -> Mapping[str, tuple[str, ...]]:
    if not raw:
        return MappingProxyType({})
    return MappingProxyType({str(k): tuple(str(v) for v in values) for k, values in raw.items()})


def _column(raw: Mapping[str, Any]) -> Column:
    return Column(
        key=str(raw["key"]),
        header=str(raw["header"]),
        type=raw["type"],
        required=bool(raw.get("required", False)),
        max_length=raw.get("max_length"),
        enum=raw.get("enum"),
        depends_on=raw.get("depends_on"),
        aliases=tuple(raw.get("aliases", ())),
        width=int(raw.get("width", 10)),
        text_format=bool(raw.get("text_format", False)),
        damage_check=bool(raw.get("damage_check", False)),
        required_when=_condition(raw.get("required_when")),
        required_unless=_condition(raw.get("required_unless")),
    )


@cache
def table_schema(key: str) -> TableSchema:
    """The schema of table ``key`` ("students" or "aid")."""
    if key not in TABLE_KEYS:
        raise KeyError(f"unknown table {key!r}")
    raw = load_toml("tables", f"{key}.toml")
    return TableSchema(
        key=raw["table"]["key"],
        title=str(raw["table"]["title"]),
        columns=tuple(_column(c) for c in raw["columns"]),
        unique_key=tuple(raw["table"]["unique_key"]),
    )
