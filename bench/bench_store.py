"""Benchmark of the local store (not part of the test suite): ``python bench/bench_store.py``.

Measures, on a temporary file, what a large school does to the store: a 100,000-row import in one
transaction, loading those rows for the grid (Store.load) and for validation (Store.load_frame), one
committed cell edit, deleting 10,000 scattered rows and inserting 10,000 rows in the middle.
Each figure is the median of a few runs (the edit: of 200 edits). Targets: insert ≤ 1 s,
load ≤ 1 s, one edit ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app.models.period import Period
from app.models.store import Store

PERIOD = Period("2026-2027", "秋季学期")
ROWS = 100_000
CHUNK = 10_000
EDITS = 200

_SURNAMES = "张王李赵陈刘杨黄吴周覃韦莫蒙农蓝潘梁罗"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂"
_ETHNICITIES = ("汉族", "壮族", "瑶族", "苗族", "侗族", "仫佬族", "毛南族")
_GRADES = {"小学": ("一年级", "三年级", "六年级"), "初中": ("七年级", "九年级"), "普通高中": ("高一", "高三")}
_HARDSHIP = ("脱贫户(建档立卡)", "防返贫监测对象", "农村低保", "孤儿", "残疾", "其他家庭经济困难")
_REGIONS = ("450102", "450302", "450481", "451023", "451121", "452701")
_RELATIONS = ("子", "女", "孙子", "孙女", "本人")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(rng: random.Random, region: str, year: int) -> str:
    body = f"{region}{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2)))


def realistic_rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    """``count`` students rows with all 17 columns filled the way a school fills them."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        stage = rng.choice(tuple(_GRADES))
        region = rng.choice(_REGIONS)
        surname = rng.choice(_SURNAMES)
        rows.append(
            {
                "name": surname + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2))),
                "gender": rng.choice(("男", "女")),
                "id_number": _id_number(rng, region, rng.randint(2008, 2020)),
                "ethnicity": rng.choice(_ETHNICITIES),
                "stage": stage,
                "grade": rng.choice(_GRADES[stage]),
                "class_name": f"{rng.randint(1, 12)}班",
                "student_no": f"G{_id_number(rng, region, rng.randint(2008, 2020))[:18]}",
                "status": "在读" if rng.random() < 0.95 else "休学",
                "boarding": rng.choice(("是", "否")),
                "hardship": rng.choice(_HARDSHIP),
                "household_region": region,
                "householder_name": surname + rng.choice(_GIVEN) + rng.choice(_GIVEN),
                "householder_id": _id_number(rng, region, rng.randint(1960, 1990)),
                "relation": rng.choice(_RELATIONS),
                "guardian_phone": f"13{rng.randint(0, 999_999_999):09d}" if index % 7 else "0771-5301234",
                "remark": "" if index % 10 else "随班就读",
            }
        )
    return rows


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _median_of(runs: int, action: Callable[[], object]) -> tuple[float, float]:
    times = [_timed(action) for _ in range(runs)]
    return statistics.median(times), min(times)


def run(folder: Path, runs: int) -> list[tuple[str, float, float, str]]:
    """The figures: (what, median seconds, best seconds, target)."""
    rows = realistic_rows(ROWS)
    results: list[tuple[str, float, float, str]] = []

    def fresh_insert() -> None:
        for leftover in folder.glob("insert*.sqlite3*"):
            leftover.unlink()
        with Store.open(folder / "insert.sqlite3") as store:
            started = time.perf_counter()
            store.insert_rows("students", PERIOD, rows)
            insert_times.append(time.perf_counter() - started)

    insert_times: list[float] = []
    for _ in range(runs):
        fresh_insert()
    results.append(
        ("insert 100,000 rows (one transaction)", statistics.median(insert_times), min(insert_times), "≤ 1 s")
    )

    with Store.open(folder / "main.sqlite3") as store:
        store.insert_rows("students", PERIOD, rows)
        median, best = _median_of(runs, lambda: store.load("students", PERIOD))
        results.append(("load 100,000 rows (Store.load)", median, best, "≤ 1 s"))
        median, best = _median_of(runs, lambda: store.load_frame("students", PERIOD))
        results.append(("load 100,000 rows (load_frame)", median, best, "≤ 1 s"))

        uids = store.load("students", PERIOD).uids
        rng = random.Random(11)
        edit_times = []
        for edit in range(EDITS):
            uid = rng.choice(uids)
            started = time.perf_counter()
            store.update_cell("students", uid, "remark", f"核对{edit}")
            edit_times.append(time.perf_counter() - started)
        results.append(
            ("one committed edit (update_cell)", statistics.median(edit_times), min(edit_times), "≤ 10 ms")
        )

        doomed = rng.sample(uids, CHUNK)
        seconds = _timed(lambda: store.delete_rows("students", doomed))
        results.append(("delete 10,000 scattered rows", seconds, seconds, ""))

        middle = store.count("students", PERIOD) // 2
        seconds = _timed(lambda: store.insert_rows("students", PERIOD, rows[:CHUNK], at=middle))
        results.append(("insert 10,000 rows in the middle", seconds, seconds, ""))

        seconds = _timed(
            lambda: store.reorder("students", PERIOD, sorted(store.load("students", PERIOD).uids))
        )
        results.append(("load + reorder 100,000 rows (a sort)", seconds, seconds, ""))

    seconds = _timed(lambda: Store.open(folder / "main.sqlite3").close())
    results.append(("reopen an up-to-date file", seconds, seconds, ""))
    return results


def _report(results: list[tuple[str, float, float, str]]) -> None:
    print(f"{'operation':<40} {'median':>10} {'best':>10}  target")
    for what, median, best, target in results:
        print(f"{what:<40} {_format(median):>10} {_format(best):>10}  {target}")


def _format(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds:.3f} s"


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine so far (Linux only), to tell a busy machine."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return None
    fields = [int(field) for field in stat.read_text(encoding="ascii").split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def main() -> None:
    """Run the benchmark in a temporary folder and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="runs per bulk figure (median reported)")
    args = parser.parse_args()
    before = _cpu_ticks()
    with tempfile.TemporaryDirectory(prefix="zizhu-bench-") as folder:
        _report(run(Path(folder), args.runs))
    after = _cpu_ticks()
    if before and after and after[1] > before[1]:
        busy = 100 * (after[0] - before[0]) / (after[1] - before[1])
        cores = os.cpu_count() or 1
        print(f"machine CPU use during the run: {busy:.0f}% of {cores} cores (this benchmark uses one)")


if __name__ == "__main__":
    main()
