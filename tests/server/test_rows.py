"""Parsing an upload body: the stored form of rows, the digest a client can recompute, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.models.schema import table_schema
from server.errors import InvalidRequestError, PayloadTooLargeError
from server.rows import decode_rows, parse_upload, row_object, rows_json
from server.settings import Settings
from tests.server.live import client_digest, student_rows, upload_body


def _parse(rows: list[dict[str, Any]], **changes: Any) -> Any:
    return parse_upload(json.dumps({**upload_body(rows), **changes}).encode(), "students", max_rows=100)


def test_rows_round_trip_and_the_digest_matches_the_clients() -> None:
    rows = student_rows(5, seed=41)
    rows[1]["accepted_warnings"] = ["S16", "S08", "S16"]
    parsed = _parse(rows)
    assert parsed.row_count == 5
    assert parsed.digest == client_digest(rows, "students")
    keys = table_schema("students").keys
    assert row_object(parsed.encoded[1], keys) == {**rows[1], "accepted_warnings": ["S08", "S16"]}
    assert json.loads(rows_json(parsed.encoded, keys))[0] == rows[0]
    columns, uids, accepted = decode_rows(parsed.encoded, "students")
    assert uids == [row["row_uid"] for row in rows]
    assert columns["id_number"] == [row["id_number"] for row in rows]
    assert accepted[1] == ("S08", "S16")


def test_missing_columns_are_empty_and_an_empty_table_is_fine() -> None:
    parsed = _parse([{"row_uid": "only-uid"}])
    assert parsed.columns["name"] == [""]
    assert _parse([]).row_count == 0
    assert decode_rows([], "students")[1] == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"name": "韦\x1f某"}, "第3行含有不允许的控制字符"),
        ({"name": "韦\x00某"}, "控制字符"),
        ({"name": "\ud800"}, "代理字符"),
        ({"row_uid": ""}, "第3行缺少行标识"),
        ({"row_uid": "x" * 65}, "第3行缺少行标识"),
        ({"accepted_warnings": "S16"}, "第3行的已核对警告"),
        ({"accepted_warnings": ["S1,6"]}, "第3行的已核对警告"),
        ({"gender": None}, "第3行「性别」应为文本"),
    ],
)
def test_bad_rows_are_refused(change: dict[str, Any], words: str) -> None:
    rows = student_rows(3, seed=42)
    rows[2] = {**rows[2], **change}
    with pytest.raises(InvalidRequestError) as refused:
        _parse(rows)
    assert words in refused.value.message


def test_body_level_problems() -> None:
    rows = student_rows(2, seed=43)
    with pytest.raises(InvalidRequestError, match="row_count"):
        _parse(rows, row_count=3)
    with pytest.raises(InvalidRequestError, match="schema_version"):
        _parse(rows, schema_version="1")
    with pytest.raises(InvalidRequestError, match="升级"):
        _parse(rows, schema_version=2)
    with pytest.raises(InvalidRequestError, match="JSON"):
        parse_upload(b"\xff\xfe", "students", max_rows=10)
    with pytest.raises(PayloadTooLargeError):
        parse_upload(json.dumps(upload_body([{}] * 11)).encode(), "students", max_rows=10)


def test_the_row_limit_admits_200000_rows(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).max_rows >= 200_000
