"""How fast is the validation engine? Demo data of 50,000 students and their ~90,000 aid rows.

Prints:
1. the engine's full run (every rule, both tables, data already in DataFrames) — target ≤ 1.0 s;
2. `zizhu validate` end to end on two CSV files (a fresh process: start-up, import, engine, JSON);
3. the cell-level check of one edited row (check_row) — target ≤ 2 ms;
4. the same five basic checks (required, enum, regex, ID check digit, unique) on 在学状态表 three
   ways: our engine restricted to S01/S13/S17/S06/S10, pandera (lazy=True) and frictionless.

pandera and frictionless are only needed here: `.venv/bin/pip install pandera frictionless`.

Run: .venv/bin/python bench/bench_validate.py [students]
"""

from __future__ import annotations

import csv
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from app.demo import generate
from app.models.codes import code_list
from app.models.period import Period, current_period
from app.models.schema import table_schema
from app.validation.engine import check_row, validate

STUDENTS = 50_000
REPEATS = 5
ROW_CHECKS = 2_000
MISTAKES = 100
BASIC_RULES = frozenset({"S01", "S13", "S17", "S06", "S10"})
STUDENT_NO_PATTERN = r"^(?:[GJ]\d{17}[\dX]|L\d{18})$"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def best_of(function: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    """(fastest, median) wall time of ``function`` in seconds; the machine is shared, the minimum is
    the engine's own cost, the median shows the noise."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def write_csv(path: Path, table: str, rows: Sequence[Mapping[str, str]]) -> Path:
    schema = table_schema(table)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(schema.headers)
        writer.writerows([row[key] for key in schema.keys] for row in rows)
    return path


def cli_argv(students: Path, aid: Path, period: Period) -> list[str]:
    """`zizhu validate …` as a fresh process (through app.cli once the command is wired there)."""
    runner = (
        "import argparse, sys\n"
        "from app.cli import build_parser, main\n"
        "commands = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]\n"
        "if any('validate' in a.choices for a in commands):\n"
        "    sys.exit(main(sys.argv[1:]))\n"
        "from app.cli_validate import add_validate_parser\n"
        "parser = argparse.ArgumentParser(prog='zizhu')\n"
        "add_validate_parser(parser.add_subparsers(dest='command'))\n"
        "args = parser.parse_args(sys.argv[1:])\n"
        "sys.exit(args.handler(args))\n"
    )
    period_args = ["--school-year", period.school_year, "--term", period.term, "--format", "json"]
    return [
        sys.executable,
        "-c",
        runner,
        "validate",
        "--students",
        str(students),
        "--aid",
        str(aid),
        *period_args,
    ]


# ---------------------------------------------------------------- the five basic checks, three ways


def basic_required_columns() -> list[str]:
    schema = table_schema("students")
    return [c.key for c in schema.columns if c.required and not c.required_unless and not c.required_when]


def mod11_ok(number: str) -> bool:
    """GB 11643 check digit of one 18-character number (what a pandera/frictionless user writes)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17]


def pandera_schema() -> Any:
    pa = importlib.import_module("pandera.pandas")
    ethnicities = list(code_list("ethnicity").values)
    columns: dict[str, Any] = {
        key: pa.Column(str, pa.Check(lambda s: s != "")) for key in basic_required_columns()
    }
    columns["ethnicity"] = pa.Column(str, [pa.Check(lambda s: s != ""), pa.Check.isin(ethnicities)])
    columns["student_no"] = pa.Column(
        str, pa.Check(lambda s: (s == "") | s.str.fullmatch(STUDENT_NO_PATTERN))
    )
    columns["id_number"] = pa.Column(
        str, [pa.Check(lambda s: s != ""), pa.Check(mod11_ok, element_wise=True)], unique=True
    )
    return pa.DataFrameSchema(columns)


def run_pandera(schema: Any, frame: pd.DataFrame) -> int:
    errors = importlib.import_module("pandera.errors")
    try:
        schema.validate(frame, lazy=True)
    except errors.SchemaErrors as exc:
        return len(exc.failure_cases)
    return 0


def frictionless_resource(frame: pd.DataFrame) -> Any:
    fl = importlib.import_module("frictionless")
    keys = list(frame.columns)
    required = set(basic_required_columns()) | {"ethnicity", "id_number"}
    fields = []
    for key in keys:
        constraints: dict[str, Any] = {}
        if key in required:
            constraints["required"] = True
        if key == "ethnicity":
            constraints["enum"] = list(code_list("ethnicity").values)
        if key == "student_no":
            constraints["pattern"] = STUDENT_NO_PATTERN[1:-1]
        if key == "id_number":
            constraints["unique"] = True
        fields.append({"name": key, "type": "string", "constraints": constraints})
    schema = fl.Schema.from_descriptor({"fields": fields})
    data = [keys, *frame.itertuples(index=False, name=None)]
    return fl.Resource(data=data, schema=schema)


def frictionless_check() -> Any:
    """A frictionless row check for the ID check digit (frictionless has no such built-in check)."""
    fl = importlib.import_module("frictionless")

    def validate_row(self: Any, row: Any) -> Any:
        number = row["id_number"]
        if number and not mod11_ok(number):
            yield fl.errors.RowError.from_row(row, note="身份证号校验位错误")

    members = {"type": "id-check-digit", "Errors": [fl.errors.RowError], "validate_row": validate_row}
    return type("IdCheckDigit", (fl.Check,), members)()


def run_frictionless(frame: pd.DataFrame) -> int:
    fl = importlib.import_module("frictionless")
    resource = frictionless_resource(frame)
    report = fl.validate(resource, checklist=fl.Checklist(checks=[frictionless_check()]), limit_errors=10**9)
    return sum(len(task.errors) for task in report.tasks)


def with_mistakes(students: pd.DataFrame) -> pd.DataFrame:
    """A copy with MISTAKES errors of each of the five kinds, in different rows."""
    dirty = students.copy()
    rows = iter(range(0, len(dirty) - 1, 2))  # even rows; a copied number comes from the odd row after

    def take() -> list[int]:
        return [next(rows) for _ in range(MISTAKES)]

    dirty.loc[take(), "name"] = ""
    dirty.loc[take(), "ethnicity"] = "火星族"
    dirty.loc[take(), "student_no"] = "X123"
    wrong = take()
    dirty.loc[wrong, "id_number"] = [
        n[:-1] + ("1" if n[-1] == "0" else "0") for n in dirty.loc[wrong, "id_number"]
    ]
    copies = take()
    dirty.loc[copies, "id_number"] = dirty.loc[[r + 1 for r in copies], "id_number"].to_numpy()
    return dirty


# ---------------------------------------------------------------- main


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else STUDENTS
    period = current_period()
    today = date.today()
    started = time.perf_counter()
    data = generate(count, period, seed=1)
    students, aid = pd.DataFrame(data.students), pd.DataFrame(data.aid)
    total = len(students) + len(aid)
    made = time.perf_counter() - started
    print(f"演示数据：{len(students):,} 名学生 + {len(aid):,} 条资助记录（生成用时 {made:.1f} s）")

    report = validate(students, aid, period, today=today)
    summary = report.summary()
    print(f"演示数据检查结果：{summary}（应全为 0），未完成的规则：{report.failed_rules or '无'}")
    fastest, median = best_of(lambda: validate(students, aid, period, today=today))
    print(
        f"1. 引擎全部规则（两表 {total:,} 行）：最快 {fastest:.3f} s，中位 {median:.3f} s，"
        f"{total / fastest:,.0f} 行/秒（目标 ≤ 1.0 s）"
    )

    with tempfile.TemporaryDirectory() as folder:
        students_csv = write_csv(Path(folder) / "在学状态表.csv", "students", data.students)
        aid_csv = write_csv(Path(folder) / "学生资助表.csv", "aid", data.aid)
        started = time.perf_counter()
        done = subprocess.run(cli_argv(students_csv, aid_csv, period), capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        print(f"2. zizhu validate 端到端（CSV，新进程）：{elapsed:.2f} s，退出码 {done.returncode}")
        if done.returncode not in (0, 1):
            print(done.stderr.decode("utf-8", "replace"))

    rows = data.students[:ROW_CHECKS]
    check_row("students", rows[0], period, today=today)
    times = []
    for row in rows:
        started = time.perf_counter()
        check_row("students", row, period, today=today)
        times.append(time.perf_counter() - started)
    times.sort()
    print(
        f"3. 单行检查 check_row（{len(rows):,} 行）：中位 {statistics.median(times) * 1000:.2f} ms，"
        f"95% {times[int(len(times) * 0.95)] * 1000:.2f} ms（目标 ≤ 2 ms）"
    )

    n = len(students)
    ours, _ = best_of(lambda: validate(students, None, period, today=today, rules=BASIC_RULES))
    print(f"4. 五项基本检查（必填、枚举、正则、身份证校验位、唯一），在学状态表 {n:,} 行：")
    print(f"   本引擎：{ours:.3f} s（{n / ours:,.0f} 行/秒）")
    schema = pandera_schema()
    pandera_time, _ = best_of(lambda: run_pandera(schema, students), repeats=3)
    print(
        f"   pandera (lazy)：{pandera_time:.3f} s（{n / pandera_time:,.0f} 行/秒），"
        f"为本引擎的 {pandera_time / ours:.1f} 倍"
    )
    frictionless_time, _ = best_of(lambda: run_frictionless(students), repeats=1)
    print(
        f"   frictionless：{frictionless_time:.3f} s（{n / frictionless_time:,.0f} 行/秒），"
        f"为本引擎的 {frictionless_time / ours:.1f} 倍"
    )
    dirty = with_mistakes(students)
    found = (
        len(validate(dirty, None, period, today=today, rules=BASIC_RULES).issues),
        run_pandera(schema, dirty),
        run_frictionless(dirty),
    )
    print(
        f"   核对：在同一份数据中放入 {MISTAKES * 5} 处错误后，三者报告的问题数："
        f"本引擎 {found[0]}，pandera {found[1]}，frictionless {found[2]}"
        "（重复号码：本引擎与 pandera 每一行都报，frictionless 只报后出现的行）"
    )
    versions = {name: importlib.import_module(name).__version__ for name in ("pandera", "frictionless")}
    listed = "，".join(f"{name} {version}" for name, version in versions.items())
    print(f"   版本：{listed}，pandas {pd.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
