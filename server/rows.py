"""Rows of an upload: parsing the protocol's JSON, the stored form of each row, and the digest.

A row is stored as one text: its fields joined by the unit separator U+001F, in a fixed order —
``row_uid``, every column of the table in schema order, then the accepted warnings (rule ids,
sorted, without repeats, joined by ","). Joining strings is what Python does fastest, which keeps a
50,000-row upload well inside its time budget; values may therefore not contain U+001F (or U+0000,
which PostgreSQL cannot store) — such an upload is refused with 422.

The digest of a revision is the SHA-256 (hex) of the UTF-8 bytes of its stored rows joined by
"\\n". A client computes the same value with
``"\\n".join("\\x1f".join([uid, *values_in_schema_order, ",".join(sorted(set(accepted)))]) for …)``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from app.models.schema import TableKey, table_schema
from server.errors import InvalidRequestError, PayloadTooLargeError

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1
UID_KEY = "row_uid"
ACCEPTED_KEY = "accepted_warnings"
MAX_UID_LENGTH = 64
MAX_BATCH_ID_LENGTH = 100
FIELD_SEPARATOR = "\x1f"
_RULE_ID = re.compile(r"^[A-Za-z0-9]{1,10}$")


@dataclass(frozen=True)
class ParsedRows:
    """An upload's rows, checked for shape: columns of texts plus the stored form of every row."""

    table: TableKey
    schema_version: int
    client_batch_id: str
    uids: list[str]
    columns: dict[str, list[str]]
    accepted: list[tuple[str, ...]]
    encoded: list[str]
    digest: str

    @property
    def row_count(self) -> int:
        return len(self.uids)

    def frame(self) -> pd.DataFrame:
        """The rows as the validation engine reads them (column keys, row_uid, accepted_warnings)."""
        return rows_frame(self.columns, self.uids, self.accepted)


def rows_frame(
    columns: dict[str, list[str]], uids: Sequence[str], accepted: Sequence[tuple[str, ...]]
) -> pd.DataFrame:
    import pandas as pd

    data: dict[str, Any] = dict(columns)
    data[UID_KEY] = list(uids)
    data[ACCEPTED_KEY] = [",".join(rules) for rules in accepted]
    # object dtype: the engine reads the columns as object arrays, so no conversion at all.
    return pd.DataFrame(data, dtype=object)


def parse_upload(raw: bytes, table: TableKey, *, max_rows: int) -> ParsedRows:
    """Check an upload body's shape and build its rows (InvalidRequestError 422, PayloadTooLargeError 413)."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InvalidRequestError("上传内容不是有效的 JSON 数据。") from exc
    if not isinstance(body, dict):
        raise InvalidRequestError("上传内容格式错误：应为一个 JSON 对象。")
    schema_version = _integer(body, "schema_version")
    if schema_version != SCHEMA_VERSION:
        raise InvalidRequestError(
            f"数据格式版本 {schema_version} 与服务器（版本 {SCHEMA_VERSION}）不一致，"
            "请升级资助通客户端后重新上传。",
            code="schema_version",
        )
    client_batch_id = body.get("client_batch_id", "")
    if not isinstance(client_batch_id, str) or len(client_batch_id) > MAX_BATCH_ID_LENGTH:
        raise InvalidRequestError(f"client_batch_id 应为不超过{MAX_BATCH_ID_LENGTH}个字符的文本。")
    row_count = _integer(body, "row_count")
    rows = body.get("rows")
    if not isinstance(rows, list):
        raise InvalidRequestError("上传内容缺少数据行（rows）。")
    if len(rows) > max_rows:
        raise PayloadTooLargeError(f"一次最多上传 {max_rows} 行，本次为 {len(rows)} 行。")
    if row_count != len(rows):
        raise InvalidRequestError(
            f"行数 row_count（{row_count}）与实际数据行数（{len(rows)}）不一致，数据可能不完整，请重新上传。"
        )
    return _parsed_rows(rows, table, schema_version, _checked_text(client_batch_id))


def _integer(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if type(value) is not int:
        raise InvalidRequestError(f"上传内容缺少 {key}，或它不是整数。")
    return value


def _checked_text(value: str) -> str:
    digest_rows([value])  # the same character checks as the rows
    return value


def _parsed_rows(rows: list[Any], table: TableKey, schema_version: int, batch_id: str) -> ParsedRows:
    schema = table_schema(table)
    keys = schema.keys
    uids, accepted = _row_fields(rows, frozenset((*keys, UID_KEY, ACCEPTED_KEY)))
    tuples = _value_tuples(rows, keys)
    columns: dict[str, list[str]] = {}
    for key, values in zip(keys, zip(*tuples, strict=True) if tuples else [()] * len(keys), strict=True):
        if set(map(type, values)) - {str}:
            _raise_bad_value(values, schema.column(key).header)
        columns[key] = list(values)
    encoded = [
        f"{uid}{FIELD_SEPARATOR}{FIELD_SEPARATOR.join(values)}{FIELD_SEPARATOR}{','.join(rules)}"
        for uid, values, rules in zip(uids, tuples, accepted, strict=True)
    ]
    _check_separators(encoded, len(keys) + 1)
    return ParsedRows(table, schema_version, batch_id, uids, columns, accepted, encoded, digest_rows(encoded))


def _row_fields(rows: list[Any], allowed: frozenset[str]) -> tuple[list[str], list[tuple[str, ...]]]:
    """Check every row is an object with known keys; its uid and accepted warnings.

    Whole-list checks (``map``, set unions) run at C speed; a row-by-row pass only finds the
    first bad row for the message.
    """
    if set(map(type, rows)) - {dict}:
        index = next(index for index, row in enumerate(rows, start=1) if type(row) is not dict)
        raise InvalidRequestError(f"第{index}行格式错误：每一行应为一个 JSON 对象。")
    if set().union(*rows) - allowed:
        index, row = next((i, row) for i, row in enumerate(rows, start=1) if not allowed.issuperset(row))
        unknown = sorted(set(row) - allowed)[0]
        raise InvalidRequestError(f"第{index}行含有未知的列“{unknown[:40]}”。")
    uids: list[Any] = [row.get(UID_KEY) for row in rows]
    if rows and (
        set(map(type, uids)) - {str} or min(map(len, uids)) < 1 or max(map(len, uids)) > MAX_UID_LENGTH
    ):
        index = next(
            index
            for index, uid in enumerate(uids, start=1)
            if type(uid) is not str or not 1 <= len(uid) <= MAX_UID_LENGTH
        )
        raise InvalidRequestError(f"第{index}行缺少行标识 row_uid，或它不是1至{MAX_UID_LENGTH}个字符的文本。")
    if len(set(uids)) != len(uids):
        duplicate = next(uid for uid, count in Counter(uids).items() if count > 1)
        first, second = [index for index, uid in enumerate(uids, start=1) if uid == duplicate][:2]
        raise InvalidRequestError(f"第{second}行的行标识 row_uid 与第{first}行重复。")
    accepted = [
        _accepted(rules, index) if rules else ()
        for index, rules in enumerate((row.get(ACCEPTED_KEY) for row in rows), start=1)
    ]
    return uids, accepted


def _value_tuples(rows: list[dict[str, Any]], keys: Sequence[str]) -> list[tuple[Any, ...]]:
    """Each row's values in schema order (a missing key is an empty value)."""
    try:
        # The usual case (every key sent) runs at C speed.
        return list(map(itemgetter(*keys), rows))
    except KeyError:
        return [tuple(row.get(key, "") for key in keys) for row in rows]


def _check_separators(encoded: list[str], separators: int) -> None:
    for index, text in enumerate(encoded, start=1):
        if text.count(FIELD_SEPARATOR) != separators:
            raise InvalidRequestError(f"第{index}行含有不允许的控制字符（\\u001f）。")


def _raise_bad_value(values: Sequence[Any], header: str) -> None:
    index = next(index for index, value in enumerate(values, start=1) if type(value) is not str)
    raise InvalidRequestError(f"第{index}行「{header}」应为文本（字符串）。")


def _accepted(value: Any, index: int) -> tuple[str, ...]:
    if type(value) is not list or any(type(rule) is not str or not _RULE_ID.match(rule) for rule in value):
        raise InvalidRequestError(
            f'第{index}行的已核对警告 accepted_warnings 应为规则编号的列表，如 ["A13"]。'
        )
    return tuple(sorted(set(value)))


def digest_rows(encoded: Iterable[str]) -> str:
    """The revision digest: SHA-256 of the stored rows joined by newlines (422 for bad characters)."""
    text = "\n".join(encoded)
    if "\x00" in text:
        raise InvalidRequestError("上传内容含有不允许的控制字符（\\u0000）。")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError("上传内容含有无法识别的字符（不成对的 Unicode 代理字符）。") from exc
    return hashlib.sha256(data).hexdigest()


def split_row(text: str, width: int) -> tuple[str, list[str], tuple[str, ...]]:
    """A stored row's uid, its ``width`` values, and its accepted warnings."""
    fields = text.split(FIELD_SEPARATOR)
    rules = fields[-1]
    return fields[0], fields[1 : width + 1], tuple(rules.split(",")) if rules else ()


def row_object(text: str, keys: Sequence[str]) -> dict[str, Any]:
    """A stored row in the protocol's shape: {row_uid, column keys…, accepted_warnings}."""
    uid, values, rules = split_row(text, len(keys))
    return {UID_KEY: uid, **dict(zip(keys, values, strict=True)), ACCEPTED_KEY: list(rules)}


def rows_json(texts: Iterable[str], keys: Sequence[str]) -> str:
    """Stored rows as the protocol's JSON array."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    return encoder.encode([row_object(text, keys) for text in texts])


def decode_rows(
    texts: Sequence[str], table: TableKey
) -> tuple[dict[str, list[str]], list[str], list[tuple[str, ...]]]:
    """Columns, uids and accepted warnings of stored rows (to validate against a stored revision)."""
    keys = table_schema(table).keys
    split = [text.split(FIELD_SEPARATOR) for text in texts]
    if not split:
        return {key: [] for key in keys}, [], []
    fields = list(zip(*split, strict=True))
    columns = {key: list(fields[index + 1]) for index, key in enumerate(keys)}
    accepted = [tuple(rules.split(",")) if rules else () for rules in fields[-1]]
    return columns, list(fields[0]), accepted
