"""Workbooks and CSV files crafted to exhaust memory: refused with a clear message
before any reader builds the grid (a cell at XFD1048576, a zip bomb, a 10 MB cell)."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from leadcap.errors import LeadcapError
from leadcap.intake import sheetguard


def far_cell(path):
    """2 KB on disk; a grid reader would allocate 17 billion cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Badge ID", "Name"])
    sheet.append(["B-1", "Anna"])
    sheet["XFD1048576"] = "x"
    workbook.save(path)
    return path


def padded(path, megabytes: int):
    """A workbook whose sheet XML unpacks to `megabytes` of spaces (compresses to KBs)."""
    far_cell(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    padding = b" " * (megabytes << 20)
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"<sheetData>", padding + b"<sheetData>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def test_attendees_import_refuses_a_cell_at_xfd1048576(cli, tmp_path):
    path = far_cell(tmp_path / "list.xlsx")
    assert path.stat().st_size < 10_000
    result = cli("attendees", "import", str(path), code=1)
    assert "Error: list.xlsx is too large to read safely: a sheet" in result.stderr
    assert "row 1,048,576 and column 16,384" in result.stderr


def test_import_followups_refuses_a_cell_at_xfd1048576(cli, tmp_path):
    cli("add", "--company", "ACME")
    path = far_cell(tmp_path / "followup.xlsx")
    result = cli("import", "followups", str(path), code=1)
    assert "is too large to read safely" in result.stderr
    assert "the follow-up workbook" in result.stderr


def test_a_zip_bomb_is_refused_while_unpacking(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(sheetguard, "MAX_UNCOMPRESSED", 1 << 20)
    path = padded(tmp_path / "bomb.xlsx", 3)
    assert path.stat().st_size < 100_000
    result = cli("attendees", "import", str(path), code=1)
    assert "is too large to read safely" in result.stderr and "MB" in result.stderr


def test_a_normal_workbook_passes_the_guard(tmp_path):
    workbook = openpyxl.Workbook()
    for n in range(2000):
        workbook.active.append([f"B-{n}", "Name", "Company", "mail@example.com"])
    workbook.save(tmp_path / "ok.xlsx")
    sheetguard.check_workbook(tmp_path / "ok.xlsx", "the attendee list")


def test_the_guard_finds_the_furthest_reference_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(sheetguard, "_CHUNK", 64)
    monkeypatch.setattr(sheetguard, "MAX_CELLS", 100)
    with pytest.raises(LeadcapError, match="row 1,048,576"):
        sheetguard.check_workbook(far_cell(tmp_path / "x.xlsx"), "it")


def test_a_10_mb_csv_cell_gives_a_clear_message(cli, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Badge ID,Name\nB-1," + "x" * (10 << 20) + "\n", encoding="utf-8")
    result = cli("attendees", "import", str(path), code=1)
    assert "Error: list.csv line 2: field larger than field limit" in result.stderr
    assert "Unexpected" not in result.stderr


@pytest.mark.parametrize(
    "cell",
    [
        b'<row r="3"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
        b'<row r="3"><c t="inlineStr" r="XFD1048576"><is><t>x</t></is></c></row>',
        b'<row r="3"><x:c r="XFD1048576" t="inlineStr"><is><t>x</t></is></x:c></row>',
    ],
)
def test_the_guard_reads_cell_references_however_they_are_written(tmp_path, cell):
    path = tmp_path / "list.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Badge ID", "Name"])
    workbook.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", cell + b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    with pytest.raises(LeadcapError, match="column 16,384"):
        sheetguard.check_workbook(path, "the attendee list")
