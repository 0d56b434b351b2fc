"""Open exported files in LibreOffice Calc (headless) and read what it shows, as CSV."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

# Comma-separated, text cells in quotes (so a text cell and a number cell are told apart), UTF-8.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1"
TIMEOUT_S = 120


def libreoffice() -> str:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    assert found, "LibreOffice Calc (libreoffice-calc) is needed for this test"
    return found


def convert_to_csv(files: list[Path], work_dir: Path) -> dict[str, list[list[str]]]:
    """Each file's first sheet as LibreOffice shows it: file stem → rows of cell texts.

    One LibreOffice start converts every file; its profile lives in ``work_dir`` so that tests never
    share (or lock) one.
    """
    out_dir = work_dir / "csv"
    profile = (work_dir / "lo-profile").resolve().as_uri()
    subprocess.run(
        [
            libreoffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out_dir),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_S,
    )
    converted: dict[str, list[list[str]]] = {}
    for file in files:
        with (out_dir / f"{file.stem}.csv").open(encoding="utf-8", newline="") as stream:
            converted[file.stem] = list(csv.reader(stream))
    return converted


def quoted_cells(work_dir: Path, stem: str) -> list[list[bool]]:
    """Per cell of a converted file, whether LibreOffice wrote it in quotes (a text cell)."""
    rows: list[list[bool]] = []
    with (work_dir / "csv" / f"{stem}.csv").open(encoding="utf-8", newline="") as stream:
        for line in stream.read().splitlines():
            rows.append([cell.startswith('"') for cell in _split_line(line)])
    return rows


def _split_line(line: str) -> list[str]:
    """A CSV line split at the commas outside quotes, each cell as written (quotes kept)."""
    cells: list[str] = []
    current: list[str] = []
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            cells.append("".join(current))
            current = []
        else:
            current.append(char)
    cells.append("".join(current))
    return cells
