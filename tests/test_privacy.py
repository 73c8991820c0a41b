from pathlib import Path

import pytest

from leadcap import backup, leads, privacy, tombstones

CARD = (Path(__file__).parent / "data/vcard/rfc/rfc6350-8-example-simon-perreault.vcf").read_text()
SIMON = {
    "given_name": "Simon",
    "family_name": "Perreault",
    "company": "Viagenie",
    "email": "simon.perreault@viagenie.ca",
    "badge_id": "B-2041",
}
AT = "2026-12-09T10:00:00+09:00"
PERSON_TABLES = (
    "leads",
    "changes",
    "consent_records",
    "visits",
    "lead_tags",
    "lead_aliases",
    "export_marks",
    "attendees",
)


def add_simon(store, **extra):
    lead = leads.add_lead(
        store,
        {**SIMON, **extra},
        tags=["IoT"],
        consent={"followup": "granted"},
        source="vcard",
        raw_payload=CARD,
    )
    store.conn.execute(
        "INSERT INTO export_marks (profile, lead_uuid, exported_at) VALUES ('crm', ?, ?)",
        [lead["uuid"], AT],
    )
    store.conn.execute(
        "INSERT INTO attendees (badge_norm, badge_id, data, imported_at) VALUES (?, ?, '{}', ?)",
        ["b-2041", "B-2041", AT],
    )
    return lead


def row_counts(store):
    return {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in PERSON_TABLES}


@pytest.mark.parametrize("target", ["id", "simon.perreault@VIAGENIE.ca", "b-2041"])
def test_forget_erases_every_row_of_the_person(store, target):
    lead = add_simon(store)
    leads.add_lead(store, {"company": "Other GmbH"})
    person = privacy.resolve_person(store, str(lead["id"]) if target == "id" else target)
    report = privacy.forget_lead(store, person, at=AT)
    assert report.lead_ids == [lead["id"]]
    counts = row_counts(store)
    assert counts == {**dict.fromkeys(PERSON_TABLES, 0), "leads": 1, "changes": 2, "visits": 1}
    assert store.conn.execute("SELECT company FROM leads").fetchall() == [("Other GmbH",)]


def test_forget_takes_other_leads_and_aliases_of_the_person(store):
    first = add_simon(store)
    second = leads.add_lead(store, {"email": "Simon.Perreault@viagenie.ca"})
    alias = leads.add_lead(store, {"company": "Viagenie (typo)"})
    store.conn.execute(
        "INSERT INTO lead_aliases (alias_uuid, lead_uuid, linked_at) VALUES (?, ?, ?)",
        [alias["uuid"], second["uuid"], AT],
    )
    report = privacy.forget_lead(store, first, at=AT)
    assert report.lead_ids == sorted([first["id"], second["id"], alias["id"]])
    assert row_counts(store)["leads"] == 0


def test_forgotten_text_is_gone_from_the_database_file(store, db_path):
    lead = add_simon(store)
    for _ in range(20):
        leads.add_lead(store, {"company": "Filler KK", "notes": "x" * 300})
    marker = b"simon.asc"
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert marker in db_path.read_bytes()
    report = privacy.forget_lead(store, lead, at=AT)
    assert report.checkpointed
    wal = Path(f"{db_path}-wal")
    assert marker not in db_path.read_bytes()
    assert not wal.exists() or marker not in wal.read_bytes()
    assert b"Perreault" not in db_path.read_bytes()


def test_forget_writes_tombstones_that_catch_a_re_added_lead(store):
    lead = add_simon(store)
    report = privacy.forget_lead(store, lead, at=AT)
    assert report.tombstones == 2
    assert store.conn.execute("SELECT kind FROM tombstones ORDER BY kind").fetchall() == [
        ("badge",),
        ("email",),
    ]
    again = leads.add_lead(store, {"email": " SIMON.perreault@viagenie.ca "})
    assert tombstones.is_forgotten(store, again)
    assert not tombstones.is_forgotten(store, {"email": "someone@viagenie.ca"})


def test_forget_an_unknown_email_still_writes_a_tombstone(store):
    person = privacy.resolve_person(store, "nobody@example.org")
    report = privacy.forget_lead(store, person, at=AT)
    assert (report.lead_ids, report.tombstones) == ([], 1)
    assert tombstones.is_forgotten(store, {"email": "NOBODY@example.org"})


def test_forget_report_names_exports_and_backups_holding_the_person(store):
    lead = add_simon(store)
    other = leads.add_lead(store, {"company": "Other GmbH"})
    old = backup.backup(store, reason="manual")
    store.conn.execute("DELETE FROM leads WHERE id = ?", [other["id"]])
    report = privacy.forget_lead(store, lead, at=AT)
    assert report.exports == [("crm", AT)]
    newer = backup.backup(store, reason="after")
    assert privacy.backups_holding(store, [old, newer], report) == [old]


def test_forget_inside_a_callers_transaction_commits_with_it(store):
    lead = add_simon(store)
    with store.transaction():
        report = privacy.forget_lead(store, lead, at=AT)
        assert store.conn.in_transaction
    assert not report.checkpointed
    assert row_counts(store)["leads"] == 0
