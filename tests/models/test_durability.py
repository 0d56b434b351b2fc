"""What a store call has saved survives the process being killed right after the call returned."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from app.models.period import Period
from app.models.schema import table_schema
from app.models.store import Store

AUTUMN = Period("2026-2027", "秋季学期")
REPO = Path(__file__).resolve().parents[2]
MARKER = "SAVED"

# The child prints the marker only after the store call returned, then waits to be killed.
CHILD = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path

    from app.models.period import Period
    from app.models.store import Store

    path, mode = Path(sys.argv[1]), sys.argv[2]
    period = Period("2026-2027", "秋季学期")
    store = Store.open(path)
    if mode == "edit":
        uids = store.insert_rows("students", period, [{"name": "韦小宝"}, {"name": "李四"}])
        store.update_cell("students", uids[1], "guardian_phone", "0771-5301234")
        print("SAVED", uids[1], flush=True)
    else:
        rows = [{"name": f"学生{i}", "id_number": f"45030220150101{i:04d}"} for i in range(10_000)]
        store.insert_rows("students", period, rows)
        print("SAVED", store.count("students", period), flush=True)
    time.sleep(120)
    """
)


def run_and_kill(path: Path, mode: str) -> str:
    """Run the child until it reports the save, kill it (SIGKILL), and return what it reported."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
    finally:
        child.kill()  # SIGKILL: no atexit, no close(), no flush of anything the store left open
        _out, err = child.communicate(timeout=30)
    assert line.startswith(MARKER), f"the child failed before saving: {line!r} {err}"
    assert child.returncode != 0
    return line.split()[1]


def test_an_edited_cell_survives_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "school.sqlite3"
    uid = run_and_kill(path, "edit")
    with Store.open(path) as store:
        rows = store.load("students", AUTUMN)
    phone = table_schema("students").index_of("guardian_phone")
    assert rows.uids[1] == uid
    assert rows.values[1][phone] == "0771-5301234"
    assert [values[0] for values in rows.values] == ["韦小宝", "李四"]


def test_a_bulk_insert_survives_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "school.sqlite3"
    reported = run_and_kill(path, "bulk")
    with Store.open(path) as store:
        rows = store.load("students", AUTUMN)
    assert reported == "10000"
    assert len(rows.uids) == 10_000
    assert rows.values[0][:3] == ["学生0", "", "450302201501010000"]
    assert rows.values[9999][0] == "学生9999"
