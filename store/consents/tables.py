"""Reading a MIS export into rows of cells: CSV (any delimiter, UTF-8, UTF-16 or Windows-1252) or .xlsx.

What the importer gets is the same whatever the file was: the header row, then
(line, cells, problem) for every row, numbered as a spreadsheet shows them (the
header is line 1; a quoted cell over several lines is one row). A line that is
damaged (binary bytes, a missing closing quote) comes with a problem for that
line only; the rest of the file is read. A file that is no table at all raises
NotCsv with a sentence saying what it is.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from safedesk.store.errors import InvalidInput

MAX_BYTES = 20 * 1024 * 1024
# A quoted cell may hold a few lines (Excel's Alt+Enter); more than this is a missing closing quote.
MAX_CELL_LINES = 4
# Lone surrogates (bytes that are not UTF-8, kept by surrogateescape), NUL, and what Windows-1252
# cannot decode. Other control characters (a stray escape sequence) are text to clean, not damage.
_BINARY = re.compile(r"[\udc80-\udcff\x00\ufffd]")
_NOT_UTF8 = re.compile(r"[\udc80-\udcff]")
_UTF8_LETTER = re.compile(r"[^\x00-\x7f\udc80-\udcff]")
_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")


class NotCsv(InvalidInput):
    """The file cannot be read as a table at all."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


@dataclass
class RawTable:
    headers: list[str]
    rows: Iterator[tuple[int, list[str], str]]  # (line, cells, problem or "")
    notices: list[str] = field(default_factory=list)


def read_raw(data: bytes) -> RawTable:
    """The file's header row and an iterator over its rows; NotCsv when it is not a table."""
    if not data.strip():
        raise NotCsv("The file is empty.")
    if len(data) > MAX_BYTES:
        raise NotCsv(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: that is not a pupil list.")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotCsv(
            "This is an old-style Excel .xls file: in Excel use File > Save As > 'Excel Workbook (.xlsx)' or 'CSV UTF-8'."
        )
    if data.startswith(b"%PDF"):
        raise NotCsv("This is a PDF, not a table: export the list from the MIS as CSV or Excel.")
    text, notices = _decode(data)
    return _read_csv(text, notices)


def _decode(data: bytes) -> tuple[str, list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise NotCsv("This file says it is UTF-16 text but is damaged: export it again.") from None
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        raise NotCsv("This is not a text file (it holds binary data): export the list from the MIS as CSV or Excel.")
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    if not _NOT_UTF8.search(text) or _UTF8_LETTER.search(text):
        # Valid UTF-8 (or UTF-8 with a few damaged lines, which become row errors).
        return text, []
    # No valid UTF-8 beyond ASCII but bytes that are not UTF-8: Excel's plain "CSV" (Windows-1252).
    decoded = data.decode("cp1252", "replace")
    return decoded, [
        "The file was not UTF-8, so it was read as Windows-1252 (Excel's plain 'CSV'): "
        "check accented names look right, or save it as 'CSV UTF-8'."
    ]


def _delimiter(first_lines: list[str]) -> str:
    """The delimiter that splits a line into the most columns (comma on a tie)."""
    best, most = ",", 1
    for sep in (",", ";", "\t", "|"):
        count = max(len(next(csv.reader([line], delimiter=sep), [])) for line in first_lines)
        if count > most:
            best, most = sep, count
    return best


def _read_csv(text: str, notices: list[str]) -> RawTable:
    lines = [line for line in text.splitlines()[:50] if line.strip(' ,;\t|"')]
    if not lines:
        raise NotCsv("The file is empty.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines[:5]))
    line, header, records = _split_header(_records(reader))
    if _BINARY.search("".join(header)):
        raise NotCsv(
            f"This is not a text file (line {line}, which should name the columns, holds binary data): "
            "export the list from the MIS as CSV or Excel."
        )
    return RawTable(header, records, notices)


def _split_header(records: Iterator[tuple[int, list[str], str]]) -> tuple[int, list[str], Iterator[tuple[int, list[str], str]]]:
    """The header row: the first with two or more values (a report title above it is passed over)."""
    seen: list[tuple[int, list[str], str]] = []
    for record in records:
        line, cells, problem = record
        if sum(1 for c in cells if c.strip()) >= 2 and not problem:
            return line, cells, records
        seen.append(record)
        if len(seen) >= 10:
            break
    for i, (line, cells, _) in enumerate(seen):
        if any(c.strip() for c in cells):
            return line, cells, itertools.chain(seen[i + 1 :], records)
    raise NotCsv("The first line should name the columns, but it is empty.")


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str], str]]:
    line = 0
    while True:
        line += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, [], f"is not valid CSV ({error})"
            continue
        problem = ""
        if any(_BINARY.search(c) or len(_CONTROLS.findall(c)) > 2 for c in cells):
            problem = "holds binary data or control characters, not text (the file is damaged here: export it again)"
        elif any(c.count("\n") >= MAX_CELL_LINES for c in cells):
            problem = "a value runs over several lines (a missing closing quote?)"
        yield line, cells, problem


def _cell_text(value: object) -> str:
    """An .xlsx cell as the text a CSV export would hold; dates as ISO dates (unambiguous)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> RawTable:
    from openpyxl import load_workbook  # only for workbooks: keeps CSV imports and start-up light

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise NotCsv(
            "This is a zip file but not an Excel workbook SafeDesk can read (.xlsx): open it in Excel and save it as "
            "'Excel Workbook' or 'CSV UTF-8'."
        ) from None
    sheets = book.worksheets
    if not sheets:
        raise NotCsv("The workbook has no sheets.")
    sheet = sheets[0]
    notices = []
    if len(sheets) > 1:
        notices.append(f"The workbook has {len(sheets)} sheets: only the first, '{sheet.title}', was read.")
    rows = ([_cell_text(v) for v in values] for values in sheet.iter_rows(values_only=True))
    try:
        _, header, records = _split_header((line, cells, "") for line, cells in enumerate(rows, start=1))
    except NotCsv:
        raise NotCsv("The first sheet of the workbook is empty.") from None
    return RawTable(header, records, notices)
