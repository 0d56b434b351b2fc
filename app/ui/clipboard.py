"""What Ctrl+C puts on the clipboard: TSV text as Excel writes it, and an HTML table that keeps IDs text.

Excel and WPS read ``text/plain`` as tab-separated values and convert every cell that looks like a
number: an 18-digit 身份证号 becomes 4.50102E+17 and a leading 0 disappears. When the clipboard also
holds ``text/html``, both prefer it, and a cell styled ``mso-number-format:"\\@"`` stays text. So
every cell is text-formatted except the amount columns, which the user wants to add up.

Rows are built with one join or one ``str.format`` each; only a row holding a character that needs
quoting or escaping goes cell by cell (a 100,000-row copy would otherwise take seconds).
"""

from __future__ import annotations

import atexit
import html
import re
from collections.abc import Sequence

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

# Above this many cells only text/plain is put on the clipboard: the HTML of a whole large table is
# hundreds of megabytes in memory (the caller tells the user to use 导出到Excel instead).
HTML_CELL_LIMIT = 300_000

_HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal"})
_exit_guard_installed = False

_TSV_SPECIAL = re.compile('[\t\n\r"]')
_HTML_SPECIAL = re.compile("[&<>\r\n]")
_TEXT_CELL = "<td style='mso-number-format:\"\\@\"'>"
_NUMBER_CELL = "<td>"
# Excel writes a line break inside a cell like this, so the pasted cell keeps one cell.
_CELL_LINE_BREAK = "<br style='mso-data-placement:same-cell'>"


def tsv_cell(text: str) -> str:
    """One cell as Excel writes it in TSV: quoted (quotes doubled) when it holds a tab, newline or quote."""
    if _TSV_SPECIAL.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_row(row: Sequence[str]) -> str:
    if _TSV_SPECIAL.search("".join(row)):
        return "\t".join(map(tsv_cell, row))
    return "\t".join(row)


def to_tsv(rows: Sequence[Sequence[str]]) -> str:
    """Cells joined by tabs, rows by CR LF (the Windows clipboard convention Excel uses)."""
    return "\r\n".join(map(_tsv_row, rows))


def html_cell_text(text: str) -> str:
    """A cell's text escaped for HTML, line breaks kept inside the cell."""
    escaped = html.escape(text, quote=False)
    if "\n" in escaped or "\r" in escaped:
        escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", _CELL_LINE_BREAK)
    return escaped


def to_html(rows: Sequence[Sequence[str]], text_columns: Sequence[bool]) -> str:
    """An HTML table of ``rows``; ``text_columns[i]`` says whether column i is formatted as text."""
    row_template = (
        "<tr>"
        + "".join(f"{_TEXT_CELL if as_text else _NUMBER_CELL}{{}}</td>" for as_text in text_columns)
        + "</tr>"
    )
    lines = ["<html><head><meta charset='utf-8'></head><body><table>"]
    for row in rows:
        if len(row) != len(text_columns):
            raise ValueError("every row needs one value per column")
        cells = map(html_cell_text, row) if _HTML_SPECIAL.search("".join(row)) else row
        lines.append(row_template.format(*cells))
    lines.append("</table></body></html>")
    return "\n".join(lines)


def put_on_clipboard(mime: QMimeData) -> None:
    """Hand ``mime`` to the system clipboard (which owns it from then on)."""
    global _exit_guard_installed  # noqa: PLW0603 (one guard per process)
    QGuiApplication.clipboard().setMimeData(mime)
    if QGuiApplication.platformName() in _HEADLESS_PLATFORMS and not _exit_guard_installed:
        # Qt's stand-in clipboard of the headless platforms (tests, benchmarks) deletes a QMimeData
        # made in Python after the interpreter is gone, and the process dies with a segfault at exit.
        # The real platforms (windows, xcb) keep or flush the data instead; they need no guard, and
        # clearing there would lose what the user copied before closing the program.
        atexit.register(_clear_headless_clipboard)
        _exit_guard_installed = True


def _clear_headless_clipboard() -> None:
    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()


def mime_for(rows: Sequence[Sequence[str]], text_columns: Sequence[bool]) -> QMimeData:
    """Clipboard contents for a copied block: TSV as text/plain and, up to the limit, the HTML table."""
    mime = QMimeData()
    mime.setText(to_tsv(rows))
    if len(rows) * len(text_columns) <= HTML_CELL_LIMIT:
        mime.setHtml(to_html(rows, text_columns))
    return mime
