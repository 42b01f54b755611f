"""CSV files people open in a spreadsheet: one writer for every export, every cell neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``): such a
cell gets a leading apostrophe, as the OWASP "CSV Injection" page recommends, so it is shown
as the text it is. A plain number (``-78.5``) is left alone: it is no formula, and a
temperature must stay a number. Quotes and separators inside cells are the csv module's job.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"-?\d+(\.\d+)?")


def cell(value: object) -> str:
    """``value`` as CSV cell text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def rows_text(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CRLF-terminated CSV line, every cell through :func:`cell` (stream it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([cell(v) for v in row])
        yield buf.getvalue()


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    return "".join(rows_text(rows))
