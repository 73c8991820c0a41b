"""Bounds on workbooks from outside, checked before a reader builds the sheet in memory.

A 2 KB .xlsx with one cell at XFD1048576 makes calamine (and any reader that fills a
grid) allocate 17 billion cells; a zip bomb expands megabytes into gigabytes. Before
reading, `check_workbook` streams each worksheet's XML once through zlib (never more
than MAX_UNCOMPRESSED in all) and finds the furthest cell reference; a sheet whose area
or size is out of bounds is refused with a sentence saying what to do."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from leadcap.errors import LeadcapError

MAX_UNCOMPRESSED = 512 * 1024 * 1024  # all worksheet XML together
MAX_CELLS = 20_000_000  # rows x columns of one sheet's grid (a 42,000-row list: ~1.3 M)
_CHUNK = 1 << 20
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
# How Excel and openpyxl write cells: the fast path.
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})')
_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]{1,7})"')


def column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_workbook(path: Path, what: str) -> None:
    """Refuse a zip-based workbook (xlsx, xlsm, ods) that is too big to read safely.
    `what` names the file in messages ("the attendee list"). Other files pass."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: xls or damaged; the reader says what is wrong
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED:
            raise _too_big(path, what, f"it unpacks to {total / 2**20:,.0f} MB")
        sheets = [m for m in members if m.filename.startswith("xl/worksheets/")]
        for member in sheets:
            rows, columns = _extent(archive, member, path, what)
            if rows * columns > MAX_CELLS:
                raise _too_big(
                    path,
                    what,
                    f"a sheet reaches row {rows:,} and column {columns:,} ({rows * columns:,}"
                    f" cells; leadcap reads at most {MAX_CELLS:,})",
                )


def _extent(archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path, what: str):
    """(last row, last column) referenced in one worksheet, reading it in chunks."""
    rows = columns = 0
    read = 0
    tail = b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                read += len(chunk)
                if read > MAX_UNCOMPRESSED:
                    raise _too_big(path, what, f"{member.filename} unpacks to over 512 MB")
                data = tail + chunk
                # Fast path: distinct column letters of the common spelling; the full
                # pattern (any prefix or attribute order) only where that one misses.
                common = _CELL_COLUMN.findall(data)
                letters = set(common)
                numbers = set(_CELL_ROW.findall(data))
                if numbers:
                    rows = max(rows, max(map(int, numbers)))
                if data.count(b"<c ") + data.count(b":c ") > len(common):
                    for found, row in _CELL_REF.findall(data):
                        letters.add(found)
                        rows = max(rows, int(row))
                if letters:
                    columns = max(columns, max(column_number(x) for x in letters))
                for row in _ROW_REF.findall(data):
                    rows = max(rows, int(row))
                tail = data[-200:]  # a reference cut by the chunk boundary
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise LeadcapError(
            f"cannot read {path.name} as an Excel file ({error}). Export {what} again"
        ) from None
    return rows, columns


def _too_big(path: Path, what: str, why: str) -> LeadcapError:
    return LeadcapError(
        f"{path.name} is too large to read safely: {why}. Delete stray cells far below or"
        f" right of the data (Ctrl+End shows the last one) or export {what} again"
    )
