"""`leadcap attendees`: import, status, clear, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "attendees"


def test_import_reports_kept_and_ignored_columns(cli):
    out = cli("attendees", "import", str(DATA / "de_semicolon.csv")).stdout
    assert "Kept columns: Ausweisnummer -> badge_id, Vorname -> given_name" in out
    assert "Ignored columns (not stored): Geburtsdatum" in out
    assert "Attendees: 2 added, 0 updated, 0 unchanged." in out
    assert "Filled in 0 lead(s)" in out


def test_import_fills_a_captured_lead(cli):
    cli("add", "--badge-id", "J-2001", "--company", "手入力の会社")
    out = cli("attendees", "import", str(DATA / "ja_cp932.csv")).stdout
    assert "Filled in 1 lead(s) already captured by badge id." in out
    (lead,) = cli.json("list")
    assert (lead["family_name"], lead["company"]) == ("山田", "手入力の会社")
    assert lead["name_reading"] == "ヤマダ タロウ"


def test_import_json_counts(cli):
    result = cli.json("attendees", "import", str(DATA / "en_utf8_bom.csv"))
    assert (result["added"], result["skipped"], result["ignored"]) == (2, 1, ["Date of birth"])


def test_import_xlsx_sheet(cli, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["ignore me"])
    visitors = workbook.create_sheet("Visitors")
    visitors.append(["Registration ID", "Full name", "Unternehmen"])
    visitors.append(["R-7", "Lea Fischer", "Fischer AG"])
    workbook.save(tmp_path / "list.xlsx")
    cli("attendees", "import", str(tmp_path / "list.xlsx"), "--sheet", "Visitors")
    assert cli.json("attendees")["attendees"] == 1


def test_import_with_map(cli, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Reg-Code\tOrg\nX9\tACME\n", encoding="utf-8")
    maps = ["--map", "Reg-Code=badge_id", "--map", "Org=company"]
    out = cli("attendees", "import", str(path), *maps).stdout
    assert "Kept columns: Reg-Code -> badge_id, Org -> company" in out


def test_status_without_a_list(cli, store):
    assert "No attendee list imported" in cli("attendees").stdout
    assert cli.json("attendees") == {"attendees": 0, "imported_at": None, "file": None}


def test_status_after_import(cli):
    cli("attendees", "import", str(DATA / "ja_cp932.csv"))
    assert "2 attendee(s), imported " in cli("attendees").stdout
    assert cli.json("attendees")["file"] == "ja_cp932.csv"


@pytest.mark.parametrize(("answer", "code", "left"), [("n\n", 1, 2), ("y\n", 0, 0), ("", 1, 2)])
def test_clear_asks_first(cli, answer, code, left):
    cli("attendees", "import", str(DATA / "de_semicolon.csv"))
    cli("attendees", "clear", input=answer, code=code)
    assert cli.json("attendees")["attendees"] == left


def test_clear_yes(cli):
    cli("attendees", "import", str(DATA / "de_semicolon.csv"))
    assert "Deleted 2 attendee(s)." in cli("attendees", "clear", "--yes").stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nope.csv"], 1, "Error: No file nope.csv."),
        ([str(DATA)], 1, "is a folder"),
        ([str(DATA / "SOURCES.md")], 1, "Error: No badge id column found"),
        ([str(DATA / "de_semicolon.csv"), "--map", "Firma"], 2, "is not COLUMN=field"),
        ([str(DATA / "de_semicolon.csv"), "--map", "Firma=firm"], 1, "Unknown field 'firm'"),
        ([str(DATA / "de_semicolon.csv"), "--sheet", "x"], 1, "--sheet only applies to Excel"),
    ],
)
def test_import_errors_are_one_line(cli, store, args, code, message):
    result = cli("attendees", "import", *args, code=code)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_import_detects_cp1252_and_warns_when_unsure(cli, tmp_path):
    german = tmp_path / "de.csv"
    german.write_bytes("Badgenummer;Vorname;Name\nD-1;Jürgen;Jäger\n".encode("cp1252"))
    result = cli("attendees", "import", str(german))
    assert "Warning" not in result.stderr
    short = tmp_path / "ja.csv"
    short.write_bytes("Badge ID,Name\nJ-1,山田\n".encode("cp932"))
    result = cli("attendees", "import", str(short))
    assert result.stderr.startswith("Warning: ja.csv has no encoding mark; read as cp932")
    cli("attendees", "import", str(short), "--encoding", "cp932")


def test_import_with_an_unknown_encoding_is_one_error_line(cli, tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"Badge ID,Name\nJ-1,x\n")
    result = cli("attendees", "import", str(path), "--encoding", "klingon", code=1)
    assert "Error: Cannot read l.csv: unknown encoding 'klingon'." in result.stderr
