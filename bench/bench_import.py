"""How fast is the import pipeline? A 50,000-row 在学状态表 .xlsx: read by calamine and by openpyxl,
then the full import_file (read + header mapping + normalization + Excel-damage checks).

Run: .venv/bin/python bench/bench_import.py [rows]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from app.files.importer import import_file
from app.files.reader import read_sheet
from app.models.schema import table_schema

ROWS = 50_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韦覃蒙莫农陆"
GIVEN = "子涵浩宇欣怡梓萱俊杰雨桐思远嘉怡文博佳琪明轩诗涵宇航一诺晨曦"
ETHNICITIES = ("汉族", "壮族", "瑶族", "苗族", "侗族", "仫佬族", "壮", "汉")
GRADES = {
    "小学": ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级"),
    "初中": ("七年级", "八年级", "九年级", "初一"),
}
HARDSHIP = ("脱贫户(建档立卡)", "防返贫监测对象", "农村低保", "建档立卡", "其他家庭经济困难")
REGIONS = ("450102", "450103", "450181", "450122", "450123")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(rng: random.Random, region: str, year: int) -> str:
    body = f"{region}{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    return body + check


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _student(rng: random.Random) -> list[str]:
    region = rng.choice(REGIONS)
    stage = rng.choice(tuple(GRADES))
    student_id = _id_number(rng, region, rng.randint(2010, 2019))
    householder = _name(rng)
    return [
        _name(rng),
        rng.choice(("男", "女")),
        student_id,
        rng.choice(ETHNICITIES),
        stage,
        rng.choice(GRADES[stage]),
        f"{rng.randint(1, 9)}班",
        "G" + student_id,
        "在读",
        rng.choice(("是", "否")),
        rng.choice(HARDSHIP),
        region,
        householder,
        _id_number(rng, region, rng.randint(1970, 1990)),
        rng.choice(("子", "女", "孙子")),
        f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}",
        "",
    ]


def write_students_xlsx(path: Path, rows: int, seed: int = 7) -> int:
    """A realistic 在学状态表 workbook written with openpyxl's streaming writer (all cells text)."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("在学状态表")
    sheet.append(list(table_schema("students").headers))
    for _ in range(rows):
        sheet.append(_student(rng))
    workbook.save(path)
    return rows


def _openpyxl_rows(path: Path) -> Iterator[tuple[object, ...]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _timed(label: str, work: Callable[[], int]) -> float:
    started = time.perf_counter()
    count = work()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.2f} s   ({count} rows)")
    return seconds


def main(argv: list[str]) -> int:
    rows = int(argv[1]) if len(argv) > 1 else ROWS
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "students.xlsx"
        _timed(
            f"write {rows} rows with openpyxl (write_only)", lambda: write_students_xlsx(path, rows) or rows
        )
        print(f"file size: {path.stat().st_size / 1e6:.1f} MB, 17 columns")
        _timed("read: python-calamine (read_sheet)", lambda: len(read_sheet(path).rows))
        _timed("read: openpyxl read_only, values_only", lambda: sum(1 for _ in _openpyxl_rows(path)))
        result = None

        def full_import() -> int:
            nonlocal result
            result = import_file(path, "students")
            return len(result.rows)

        _timed("import_file (read + map + normalize + damage)", full_import)
        assert result is not None
        print(f"issues: {len(result.issues)} (errors {result.error_count}), problems: {len(result.problems)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
