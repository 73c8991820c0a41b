from __future__ import annotations

import uuid as uuids
from datetime import date, datetime, timedelta

import openpyxl
import pytest

from leadcap.export.columns import LEAD_COLUMNS
from leadcap.output.followups_import import _due, added_note
from leadcap.store.history import history
from leadcap.store.leads import add_lead, get_lead, update_lead

KEYS = [c.key for c in LEAD_COLUMNS]


@pytest.fixture
def exported(cli, store, tmp_path):
    """Two leads exported to one workbook; returns (path, lead A, lead B)."""
    a = add_lead(store, {"family_name": "Yamada", "notes": "Wants a demo"}, rating="hot")
    b = add_lead(store, {"family_name": "Weber"}, rating="cold", tags=["AI"])
    path = tmp_path / "followup.xlsx"
    cli("export", "xlsx", "-o", str(path))
    return path, a, b


def edit(path, lead_uuid: str, sheet: str = "Leads", **values) -> None:
    """Type into the exported workbook as a colleague would (openpyxl, then save)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for row in ws.iter_rows(min_row=2):
        if row[KEYS.index("uuid")].value == lead_uuid:
            for key, value in values.items():
                row[KEYS.index(key)].value = value
    wb.save(path)


def imported(cli, path, *options, code=0):
    return cli("import", "followups", str(path), *options, code=code).output


def test_round_trip_applies_status_owner_due_and_added_note(cli, store, exported):
    path, a, _ = exported
    edit(path, a["uuid"], status="contacted", owner="ben", due=datetime(2027, 1, 15),
         notes="Wants a demo\nCalled, sends offer")  # fmt: skip
    output = imported(cli, path)
    assert "Applied 4 change(s) to 1 lead(s)" in output
    lead = get_lead(store, a["id"])
    assert (lead["status"], lead["owner"], lead["due"]) == ("contacted", "ben", "2027-01-15")
    first, added = lead["notes"].split("\n")
    assert first == "Wants a demo" and added.endswith(" anna] Called, sends offer")
    logged = {c["field"] for c in history(store, a["id"]) if c["command"] == "import followups"}
    assert logged == {"status", "owner", "due", "notes"}


def test_undo_reverts_the_imported_changes(cli, store, exported):
    path, a, _ = exported
    edit(path, a["uuid"], status="meeting", notes="Wants a demo\nBooked")
    imported(cli, path)
    cli("undo")
    lead = get_lead(store, a["id"])
    assert (lead["status"], lead["notes"]) == ("new", "Wants a demo")


def test_importing_twice_changes_nothing(cli, store, exported):
    path, a, _ = exported
    edit(path, a["uuid"], owner="ben", notes="Wants a demo\nCalled")
    imported(cli, path)
    before = len(history(store, a["id"]))
    assert "Nothing to change" in imported(cli, path)
    assert len(history(store, a["id"])) == before


def test_unknown_uuid_is_listed_and_skipped(cli, store, exported):
    path, a, b = exported
    stranger = str(uuids.uuid4())
    edit(path, b["uuid"], uuid=stranger, status="won")
    edit(path, a["uuid"], status="offer")
    output = imported(cli, path)
    assert stranger in output and "unknown uuid" in output
    assert get_lead(store, a["id"])["status"] == "offer"
    assert get_lead(store, b["id"])["status"] == "new"


def changed_after_export(store, lead_id, **fields) -> None:
    """A colleague edits the database later than the export (one hour on)."""
    update_lead(store, lead_id, fields, command="edit")
    for uid, at in store.conn.execute("SELECT uid, changed_at FROM changes WHERE command = 'edit'"):
        later = (datetime.fromisoformat(at) + timedelta(hours=1)).isoformat()
        store.conn.execute("UPDATE changes SET changed_at = ? WHERE uid = ?", [later, uid])


def test_conflict_is_skipped_and_applied_with_force(cli, store, exported):
    path, a, _ = exported
    changed_after_export(store, a["id"], owner="carl")
    edit(path, a["uuid"], owner="ben")
    output = imported(cli, path)
    assert "changed in the database since the export" in output
    assert get_lead(store, a["id"])["owner"] == "carl"
    imported(cli, path, "--force")
    assert get_lead(store, a["id"])["owner"] == "ben"


def test_database_change_alone_is_no_conflict(cli, store, exported):
    path, a, _ = exported
    changed_after_export(store, a["id"], owner="carl")
    assert "Nothing to change" in imported(cli, path)
    assert get_lead(store, a["id"])["owner"] == "carl"


def test_dry_run_shows_and_changes_nothing(cli, store, exported):
    path, a, _ = exported
    edit(path, a["uuid"], status="won")
    output = imported(cli, path, "--dry-run")
    assert "Would change" in output and "won" in output and "Dry run: 1 change(s)" in output
    assert get_lead(store, a["id"])["status"] == "new"


def test_split_sheets_and_split_files_import(cli, store, exported, tmp_path):
    _, a, b = exported
    sheets = tmp_path / "tags.xlsx"
    cli("export", "xlsx", "-o", str(sheets), "--split-by", "tag")
    edit(sheets, b["uuid"], sheet="AI", status="contacted")
    folder = tmp_path / "per-rating"
    cli("export", "xlsx", "--split-by", "rating", "--files", str(folder))
    edit(folder / "hot.xlsx", a["uuid"], owner="dora")
    imported(cli, sheets)
    imported(cli, folder / "hot.xlsx")
    assert get_lead(store, b["id"])["status"] == "contacted"
    assert get_lead(store, a["id"])["owner"] == "dora"


def test_bad_status_cell_is_listed_not_applied(cli, store, exported):
    path, a, _ = exported
    edit(path, a["uuid"], status="maybe", owner="ben")
    output = imported(cli, path)
    assert "'maybe' is not a status" in output
    lead = get_lead(store, a["id"])
    assert (lead["status"], lead["owner"]) == ("new", "ben")


def test_a_workbook_not_exported_by_leadcap_is_refused(cli, store, tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Name", "Company"])
    wb.save(path)
    result = cli("import", "followups", str(path), code=1)
    assert result.stderr.startswith("Error: other.xlsx is not a workbook exported by leadcap")


def test_a_file_that_is_no_workbook_is_refused(cli, store, tmp_path):
    path = tmp_path / "leads.xlsx"
    path.write_text("id,name\n1,x\n")
    result = cli("import", "followups", str(path), code=1)
    assert result.stderr.startswith("Error: Cannot read leads.xlsx as a workbook")


@pytest.mark.parametrize(
    ("cell", "db", "expected"),
    [
        ("Wants a demo\nCalled", "Wants a demo", "Called"),
        ("Wants a demo - called back", "Wants a demo", "- called back"),
        ("Wants a demo\nCalled", "Wants a demo\n[2026-12-09 10:00 anna] Called", None),
        ("Wants a demo", "Wants a demo\n[2026-12-09 10:00 anna] later", None),
        ("Changed entirely", "Wants a demo", "Changed entirely"),
        (None, "Wants a demo", None),
    ],
)
def test_added_note_takes_only_new_lines(cell, db, expected):
    assert added_note(cell, db) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (date(2027, 1, 15), "2027-01-15"),
        (datetime(2027, 1, 15, 0, 0), "2027-01-15"),
        ("2027/01/15", "2027-01-15"),
        ("15.01.2027", "2027-01-15"),
        ("", None),
    ],
)
def test_due_cells_as_dates_or_typed_text(cell, expected):
    assert _due(cell) == expected


def later_by_an_hour(store, command: str) -> None:
    """Move `command`'s logged changes one hour on, well after the export's second."""
    for uid, at in store.conn.execute(
        "SELECT uid, changed_at FROM changes WHERE command = ?", [command]
    ).fetchall():
        later = (datetime.fromisoformat(at) + timedelta(hours=1)).isoformat()
        store.conn.execute("UPDATE changes SET changed_at = ? WHERE uid = ?", [later, uid])


def test_a_colleagues_earlier_import_is_a_conflict(cli, store, exported, tmp_path):
    path, _, b = exported
    stale = tmp_path / "tag.xlsx"
    cli("export", "xlsx", "-o", str(stale), "--split-by", "tag")
    edit(path, b["uuid"], status="won")
    imported(cli, path)
    later_by_an_hour(store, "import followups")
    edit(stale, b["uuid"], sheet="AI", status="contacted")
    output = imported(cli, stale)
    assert "changed in the database since the export" in output
    assert get_lead(store, b["id"])["status"] == "won"
    assert "Nothing to change" in imported(cli, path)
