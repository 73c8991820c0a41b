"""The attendee list: reading CSV/Excel, header recognition, lookup and filling in leads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadcap.errors import LeadcapError, UsageError
from leadcap.intake import attendees
from leadcap.intake.attendees import NOT_IN_LIST_REASON, import_attendees, lookup
from leadcap.store.history import history, undo
from leadcap.store.leads import add_lead, get_lead, update_lead
from leadcap.store.tombstones import bury

DATA = Path(__file__).parent / "data" / "attendees"


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def stored_rows(store) -> list[tuple]:
    return store.conn.execute("SELECT * FROM attendees ORDER BY badge_norm").fetchall()


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Badge ID", "badge_id"),
        ("Badge No.", "badge_id"),
        ("Registration ID", "badge_id"),
        ("BARCODE", "badge_id"),
        ("First name", "given_name"),
        ("Last Name", "family_name"),
        ("Company", "company"),
        ("Job title", "title"),
        ("Email address", "email"),
        ("Ausweisnummer", "badge_id"),
        ("Badgenummer", "badge_id"),
        ("Vorname", "given_name"),
        ("Nachname", "family_name"),
        ("Firma", "company"),
        ("Unternehmen", "company"),
        ("Abteilung", "department"),
        ("Funktion", "title"),
        ("E-Mail", "email"),
        ("Telefon", "phone"),
        ("Land", "country"),
        ("登録番号", "badge_id"),
        ("バッジ番号", "badge_id"),
        ("受付番号", "badge_id"),
        ("姓", "family_name"),
        ("名", "given_name"),
        ("氏名", "full_name"),
        ("お名前", "full_name"),
        ("フリガナ", "name_reading"),
        ("ふりがな", "name_reading"),
        ("セイ", "name_reading"),
        ("会社名", "company"),
        ("勤務先", "company"),
        ("部署", "department"),
        ("役職", "title"),
        ("メールアドレス", "email"),
        ("電話番号", "phone"),
        ("国", "country"),
        ("ｍｅｍｏ", None),
        ("Date of birth", None),
        ("Geburtsdatum", None),
        ("生年月日", None),
    ],
)
def test_recognise_header(header, field):
    assert attendees.recognise_header(header) == field


def test_utf8_bom_csv(store):
    result = import_attendees(store, DATA / "en_utf8_bom.csv")
    assert (result.added, result.skipped) == (2, 1)
    assert lookup(store, "A-1002") == {
        "badge_id": "A-1002",
        "given_name": "John",
        "family_name": "Smith",
        "company": "Smith, Jones & Co",
        "title": "Buyer",
        "email": "john@smith.example",
        "country": "GB",
    }


def test_cp932_csv_joins_the_two_readings(store):
    import_attendees(store, DATA / "ja_cp932.csv")
    attendee = lookup(store, "J-2002")
    assert attendee["family_name"] == "伊能"  # cp932 trail byte 0x5C survived
    assert attendee["name_reading"] == "イノウ ケイイチ"
    assert attendee["company"] == "東京精密工業株式会社"


def test_semicolon_csv(store):
    import_attendees(store, DATA / "de_semicolon.csv")
    assert lookup(store, "D-3001")["company"] == "Müller & Söhne GmbH"
    assert lookup(store, "D-3002")["department"] == "F&E"


@pytest.mark.parametrize(
    ("name", "birth_column", "a_birth_date"),
    [
        ("en_utf8_bom.csv", "Date of birth", "1980-04-01"),
        ("ja_cp932.csv", "生年月日", "1970-01-01"),
        ("de_semicolon.csv", "Geburtsdatum", "1968-03-03"),
    ],
)
def test_unmapped_columns_are_not_stored(store, name, birth_column, a_birth_date):
    result = import_attendees(store, DATA / name)
    assert result.ignored == [birth_column]
    dump = repr(stored_rows(store))
    assert a_birth_date not in dump
    for (data,) in store.conn.execute("SELECT data FROM attendees"):
        assert set(json.loads(data)) <= set(attendees.ATTENDEE_FIELDS)


def test_xlsx_numeric_badges_keep_their_digits(store, tmp_path):
    path = write_xlsx(
        tmp_path / "list.xlsx",
        {"Attendees": [["Badge ID", "Name", "Company"], [12345, "Jane Doe", "Example Corp"]]},
    )
    import_attendees(store, path)
    assert lookup(store, "12345") == {
        "badge_id": "12345",
        "full_name": "Jane Doe",
        "company": "Example Corp",
    }


def test_xlsx_sheet_by_name(store, tmp_path):
    path = write_xlsx(
        tmp_path / "list.xlsx",
        {"Notes": [["nothing here"]], "Besucher": [["Badgenummer", "Firma"], ["B-1", "ACME"]]},
    )
    import_attendees(store, path, sheet="Besucher")
    assert lookup(store, "B-1")["company"] == "ACME"


def test_xlsx_unknown_sheet_names_the_sheets(store, tmp_path):
    path = write_xlsx(tmp_path / "list.xlsx", {"Sheet1": [["Badge ID"], ["1"]]})
    with pytest.raises(LeadcapError, match="no sheet 'Visitors'. Sheets: Sheet1"):
        import_attendees(store, path, sheet="Visitors")


def test_map_names_an_unknown_column(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Reg-Code,Org,Remarks\nX9,ACME,vegetarian\n", encoding="utf-8")
    result = import_attendees(store, path, mapping={"Reg-Code": "badge_id", "Org": "company"})
    assert result.kept == {"Reg-Code": "badge_id", "Org": "company"}
    assert lookup(store, "x9") == {"badge_id": "X9", "company": "ACME"}


def test_map_wins_over_a_recognised_column(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Badge ID,Barcode code\n111,222\n", encoding="utf-8")
    import_attendees(store, path, mapping={"Barcode code": "badge_id"})
    assert lookup(store, "222") is not None
    assert lookup(store, "111") is None


def test_map_dash_leaves_a_recognised_column_out(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Badge ID,Company,Phone\n1,ACME,+49 511 123456\n", encoding="utf-8")
    result = import_attendees(store, path, mapping={"Phone": "-"})
    assert result.ignored == ["Phone"]
    assert lookup(store, "1") == {"badge_id": "1", "company": "ACME"}


@pytest.mark.parametrize("mapping", [None, {"Nr": "Badge-ID"}])
def test_title_lines_above_the_headers_are_skipped(store, tmp_path, mapping):
    path = tmp_path / "list.csv"
    text = "Besucherliste Messe 2026\n\nNr;Badgenummer;Firma\n1;B-7;ACME\n"
    path.write_text(text, encoding="utf-8")
    result = import_attendees(store, path, mapping=mapping)
    assert result.rows == 1
    assert lookup(store, "1" if mapping else "B-7")["company"] == "ACME"


def test_no_badge_column_asks_for_map(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Code,Company\n1,ACME\n", encoding="utf-8")
    with pytest.raises(LeadcapError, match="no badge id column.*--map COLUMN=badge_id"):
        import_attendees(store, path)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Code": "birthday"}, "unknown field 'birthday'"),
        ({"Missing": "badge_id"}, "no column 'Missing' in the file. Columns: Code, Company"),
    ],
)
def test_bad_map_entries(store, tmp_path, mapping, message):
    path = tmp_path / "list.csv"
    path.write_text("Code,Company\n1,ACME\n", encoding="utf-8")
    with pytest.raises(LeadcapError, match=message):
        import_attendees(store, path, mapping=mapping)


@pytest.mark.parametrize("item", ["badge_id", "=badge_id", "Code="])
def test_parse_mapping_rejects_bad_syntax(item):
    with pytest.raises(UsageError):
        attendees.parse_mapping([item])


def test_parse_mapping_keeps_equals_in_the_column():
    assert attendees.parse_mapping(["a=b=email"]) == {"a=b": "email"}


GERMAN_CP1252 = "Badgenummer;Vorname;Name;Firma\nD-1;Jürgen;Jäger;Müller & Söhne\n"


def test_a_german_excel_csv_in_cp1252_is_not_read_as_cp932(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(GERMAN_CP1252.encode("cp1252"))
    result = import_attendees(store, path)
    attendee = lookup(store, "D-1")
    assert (attendee["family_name"], attendee["company"]) == ("Jäger", "Müller & Söhne")
    assert result.encoding == "cp1252" and result.warnings == []


def test_a_japanese_csv_in_cp932_is_still_read(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("バッジ番号,氏名,会社名\nJ-1,山田 太郎,山田製作所\n".encode("cp932"))
    assert import_attendees(store, path).encoding == "cp932"
    assert lookup(store, "J-1")["company"] == "山田製作所"


def test_an_uncertain_guess_warns_and_encoding_overrides(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("Badge ID,Name\nJ-1,山田\n".encode("cp932"))  # also valid cp1252
    result = import_attendees(store, path)
    assert result.warnings and "--encoding cp1252" in result.warnings[0]
    forced = import_attendees(store, path, encoding="cp1252")
    assert forced.encoding == "cp1252" and forced.warnings == []


def test_a_wrong_encoding_is_an_error(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("Badge ID,Name\nJ-1,山田\n".encode())
    with pytest.raises(LeadcapError, match="not valid ascii"):
        import_attendees(store, path, encoding="ascii")


def test_german_name_beside_vorname_is_the_family_name(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Badgenummer;Vorname;Name\nD-1;Jörg;Becker\n", encoding="utf-8")
    import_attendees(store, path)
    attendee = lookup(store, "D-1")
    assert (attendee["given_name"], attendee["family_name"]) == ("Jörg", "Becker")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\x00\x01\x02", "neither CSV nor Excel"),
        (b"Badge ID\n\x81\xff", "not UTF-8, Shift_JIS"),
        (b"PK\x03\x04 not really a zip", "cannot read list.dat as an Excel file"),
        (b"\n\n", "is empty"),
    ],
)
def test_unreadable_files(store, tmp_path, content, message):
    path = tmp_path / "list.dat"
    path.write_bytes(content)
    with pytest.raises(LeadcapError, match=message):
        import_attendees(store, path)


def test_missing_file(store, tmp_path):
    with pytest.raises(LeadcapError, match="no file .*nope.csv"):
        import_attendees(store, tmp_path / "nope.csv")


def test_lookup_folds_the_badge_id(store):
    import_attendees(store, DATA / "en_utf8_bom.csv")
    assert lookup(store, "ａ-１００１")["email"] == "jane.doe@example.com"
    assert lookup(store, "A-9999") is None
    assert lookup(store, "") is None


# -- filling in leads ---------------------------------------------------------------


def test_import_fills_empty_fields_and_logs_them(store):
    lead = add_lead(store, {"badge_id": "A-1001", "company": "Typed By Staff"}, source="badge")
    result = import_attendees(store, DATA / "en_utf8_bom.csv")
    filled = get_lead(store, lead["id"])
    assert result.leads_filled == 1
    assert filled["company"] == "Typed By Staff"
    assert (filled["given_name"], filled["email"]) == ("Jane", "jane.doe@example.com")
    logged = {c["field"] for c in history(store, lead["id"]) if c["command"] == "attendees import"}
    assert logged == {"given_name", "family_name", "title", "email", "phone", "country"}


def test_deleted_leads_are_not_filled(store):
    lead = add_lead(store, {"badge_id": "A-1001"})
    update_lead(store, lead["id"], {"deleted": True}, command="delete")
    assert import_attendees(store, DATA / "en_utf8_bom.csv").leads_filled == 0
    assert get_lead(store, lead["id"])["email"] is None


def test_undo_takes_back_a_fill_in(store):
    lead = add_lead(store, {"badge_id": "J-2001"})
    import_attendees(store, DATA / "ja_cp932.csv")
    undo(store)
    assert get_lead(store, lead["id"])["family_name"] is None


def test_fill_in_removes_the_not_in_list_flag(store):
    lead = add_lead(
        store, {"badge_id": "A-1001"}, source="badge", review_reasons=[NOT_IN_LIST_REASON]
    )
    result = import_attendees(store, DATA / "en_utf8_bom.csv")
    filled = get_lead(store, lead["id"])
    assert result.flags_cleared == 1
    assert (filled["needs_review"], filled["review_reasons"]) == (False, [])


def test_fill_in_keeps_other_review_reasons(store):
    reasons = ["keyboard layout repaired", NOT_IN_LIST_REASON]
    lead = add_lead(store, {"badge_id": "A-1001"}, source="badge", review_reasons=reasons)
    import_attendees(store, DATA / "en_utf8_bom.csv")
    assert get_lead(store, lead["id"])["review_reasons"] == reasons


def test_flag_removal_keeps_a_recomputed_email_problem(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Badge ID,Email\nB-1,not-an-email\n", encoding="utf-8")
    lead = add_lead(store, {"badge_id": "B-1"}, review_reasons=[NOT_IN_LIST_REASON])
    import_attendees(store, path)
    reasons = get_lead(store, lead["id"])["review_reasons"]
    assert reasons == ["e-mail 'not-an-email' does not look valid"]


def test_reimport_changes_nothing(store):
    add_lead(store, {"badge_id": "D-3001"})
    import_attendees(store, DATA / "de_semicolon.csv")
    before = (stored_rows(store), store.conn.execute("SELECT COUNT(*) FROM changes").fetchone())
    again = import_attendees(store, DATA / "de_semicolon.csv")
    assert (again.added, again.updated, again.unchanged, again.leads_filled) == (0, 0, 2, 0)
    after = (stored_rows(store), store.conn.execute("SELECT COUNT(*) FROM changes").fetchone())
    assert after == before


def test_reimport_replaces_a_changed_attendee(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Badge ID,Company\nB-1,Old Name\n", encoding="utf-8")
    import_attendees(store, path)
    path.write_text("Badge ID,Company,Email\nB-1,New Name,\nB-2,Other,\n", encoding="utf-8")
    result = import_attendees(store, path)
    assert (result.added, result.updated) == (1, 1)
    assert lookup(store, "B-1") == {"badge_id": "B-1", "company": "New Name"}


def test_a_failed_import_changes_nothing(store, monkeypatch):
    def broken(_store):
        raise LeadcapError("disk gone")

    monkeypatch.setattr(attendees, "fill_leads", broken)
    with pytest.raises(LeadcapError):
        import_attendees(store, DATA / "en_utf8_bom.csv")
    assert stored_rows(store) == []


@pytest.mark.parametrize("person", [{"badge_id": "a-1001"}, {"email": "JANE.DOE@example.com"}])
def test_forgotten_people_are_not_imported(store, person):
    with store.transaction():
        bury(store, person, store.now().isoformat())
    result = import_attendees(store, DATA / "en_utf8_bom.csv")
    assert (result.added, result.forgotten) == (1, 1)
    assert lookup(store, "A-1001") is None
    assert lookup(store, "A-1002") is not None


def test_status_and_clear(store):
    import_attendees(store, DATA / "ja_cp932.csv")
    assert attendees.status(store)["attendees"] == 2
    assert attendees.status(store)["file"] == "ja_cp932.csv"
    assert attendees.clear(store) == 2
    assert attendees.status(store) == {"attendees": 0, "imported_at": None, "file": None}


def test_a_region_column_is_recognised(store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("登録番号,都道府県,市区町村\nJ-1,東京都,千代田区\n", encoding="utf-8")
    import_attendees(store, path)
    assert (lookup(store, "J-1")["region"], lookup(store, "J-1")["city"]) == ("東京都", "千代田区")
