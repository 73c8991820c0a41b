from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadcap.errors import UsageError
from leadcap.store import backups as backup
from leadcap.store import consent, consent_texts, erasure, leads, tombstones

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
    person = erasure.resolve_person(store, str(lead["id"]) if target == "id" else target)
    report = erasure.forget_lead(store, person, at=AT)
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
    report = erasure.forget_lead(store, first, at=AT)
    assert report.lead_ids == sorted([first["id"], second["id"], alias["id"]])
    assert row_counts(store)["leads"] == 0


def test_forgotten_text_is_gone_from_the_database_file(store, db_path):
    lead = add_simon(store)
    for _ in range(20):
        leads.add_lead(store, {"company": "Filler KK", "notes": "x" * 300})
    marker = b"simon.asc"
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert marker in db_path.read_bytes()
    report = erasure.forget_lead(store, lead, at=AT)
    assert report.checkpointed
    wal = Path(f"{db_path}-wal")
    assert marker not in db_path.read_bytes()
    assert not wal.exists() or marker not in wal.read_bytes()
    assert b"Perreault" not in db_path.read_bytes()


def test_forget_writes_tombstones_that_catch_a_re_added_lead(store):
    lead = add_simon(store)
    report = erasure.forget_lead(store, lead, at=AT)
    assert report.tombstones == 2
    assert store.conn.execute("SELECT kind FROM tombstones ORDER BY kind").fetchall() == [
        ("badge",),
        ("email",),
    ]
    again = leads.add_lead(store, {"email": " SIMON.perreault@viagenie.ca "})
    assert tombstones.is_forgotten(store, again)
    assert not tombstones.is_forgotten(store, {"email": "someone@viagenie.ca"})


def test_forget_an_unknown_email_still_writes_a_tombstone(store):
    person = erasure.resolve_person(store, "nobody@example.org")
    report = erasure.forget_lead(store, person, at=AT)
    assert (report.lead_ids, report.tombstones) == ([], 1)
    assert tombstones.is_forgotten(store, {"email": "NOBODY@example.org"})


def test_forget_report_names_exports_and_backups_holding_the_person(store):
    lead = add_simon(store)
    other = leads.add_lead(store, {"company": "Other GmbH"})
    old = backup.backup(store, reason="manual")
    store.conn.execute("DELETE FROM leads WHERE id = ?", [other["id"]])
    report = erasure.forget_lead(store, lead, at=AT)
    assert report.exports == [("crm", AT)]
    newer = backup.backup(store, reason="after")
    assert erasure.backups_holding(store, [old, newer], report) == [old]


def test_forget_inside_a_callers_transaction_commits_with_it(store):
    lead = add_simon(store)
    with store.transaction():
        report = erasure.forget_lead(store, lead, at=AT)
        assert store.conn.in_transaction
    assert not report.checkpointed
    assert row_counts(store)["leads"] == 0


# -- retention --------------------------------------------------------------------

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("30d", datetime(2026, 11, 9, 10, 0)),
        ("6w", datetime(2026, 10, 28, 10, 0)),
        ("18m", datetime(2025, 6, 9, 10, 0)),
        ("2Y", datetime(2024, 12, 9, 10, 0)),
    ],
)
def test_retention_cutoff(period, expected):
    assert erasure.retention_cutoff(NOW, period) == expected.replace(tzinfo=NOW.tzinfo)


def test_retention_cutoff_clamps_to_the_end_of_a_short_month():
    end_of_march = datetime(2026, 3, 31, tzinfo=NOW.tzinfo)
    assert erasure.retention_cutoff(end_of_march, "1m").date().isoformat() == "2026-02-28"


@pytest.mark.parametrize("period", ["18", "0d", "3h", "", "m18"])
def test_retention_cutoff_rejects_unclear_periods(period):
    with pytest.raises(UsageError, match="30d, 6w, 18m or 2y"):
        erasure.retention_cutoff(NOW, period)


def aged(store, company, *, when="2024-01-10T10:00:00+09:00", **columns):
    lead = leads.add_lead(store, {"company": company}, captured_at=when)
    if columns:
        sets = ", ".join(f"{k} = ?" for k in columns)
        store.conn.execute(f"UPDATE leads SET {sets} WHERE id = ?", [*columns.values(), lead["id"]])
    return lead


def test_purge_picks_finished_or_never_started_old_leads(store):
    aged(store, "Won old", status="won")
    aged(store, "Lost old", status="lost")
    aged(store, "Untouched old")
    aged(store, "Deleted old", status="contacted", deleted_at="2024-02-01T10:00:00+09:00")
    aged(store, "Owned old", owner="ben")
    aged(store, "Contacted old", status="contacted")
    aged(store, "Won recently", when=store.now().isoformat(), status="won")
    found = erasure.purge_candidates(store, "18m")
    assert [lead["company"] for lead in found] == [
        "Won old",
        "Lost old",
        "Untouched old",
        "Deleted old",
    ]


def test_purge_erases_only_the_candidates(store):
    old = aged(store, "Old AG", status="lost")
    keep = aged(store, "Busy AG", status="offer")
    report = erasure.purge_leads(store, erasure.purge_candidates(store, "1y"), at=AT)
    assert report.lead_ids == [old["id"]]
    assert [r[0] for r in store.conn.execute("SELECT id FROM leads")] == [keep["id"]]
    assert store.conn.execute(
        "SELECT COUNT(*) FROM changes WHERE lead_uuid = ?", [old["uuid"]]
    ).fetchone() == (0,)


def test_purge_buries_only_identities_no_kept_lead_carries(store):
    aged(store, "Old AG", email="a@old.example", badge_id="X1", status="won")
    kept = leads.add_lead(store, {"email": "A@old.example"})
    report = erasure.purge_leads(store, erasure.purge_candidates(store, "1y"), at=AT)
    assert report.identities == [("badge", "x1")]
    assert not tombstones.is_forgotten(store, kept)
    assert tombstones.is_forgotten(store, {"badge_id": "x1"})


# -- consent ----------------------------------------------------------------------


def set_texts(store, **texts):
    for lang, text in texts.items():
        store.set_setting(f"consent_text.{lang}", text)


def test_consent_text_per_language_with_english_fallback(store):
    set_texts(store, de="Ich willige ein.", en="I agree.", ja="同意します。")
    text, version = consent_texts.consent_text(store, "ja")
    assert text == "同意します。" and len(version) == 8
    store.set_setting("consent_text.ja", "")
    assert consent_texts.consent_text(store, "ja")[0] == "I agree."
    assert consent_texts.consent_text(store, "ja")[1] != version


def test_consent_text_when_none_is_configured(store):
    assert consent_texts.consent_text(store, "de") == (None, None)
    assert consent_texts.current_text_version(store) is None


def test_consent_text_rejects_an_unknown_language(store):
    with pytest.raises(UsageError, match="de, en, ja"):
        consent_texts.consent_text(store, "fr")


def test_record_consent_keeps_method_staff_and_text_version(store):
    set_texts(store, en="We may follow up by e-mail.")
    version = consent_texts.current_text_version(store)
    lead = leads.add_lead(store, {"company": "ACME"})
    record = consent.record_consent(store, lead["id"], "marketing", "granted", method="ticked")
    assert (record["purpose"], record["status"], record["method"]) == (
        "marketing",
        "granted",
        "ticked",
    )
    assert (record["staff"], record["text_version"]) == ("anna", version)
    assert leads.get_lead(store, lead["id"])["consent"]["marketing"] == "granted"
    assert consent_texts.archived_text(store, version) == {"en": "We may follow up by e-mail."}


def test_record_consent_history_keeps_every_change(store):
    lead = leads.add_lead(store, {"company": "ACME"}, consent={"followup": "granted"})
    consent.record_consent(store, lead["id"], "followup", "withdrawn", method="verbal")
    again = consent.record_consent(store, lead["id"], "followup", "withdrawn", method="verbal")
    assert again is None
    history = consent.consent_history(store, lead["id"])
    assert [(r["purpose"], r["status"]) for r in history] == [
        ("followup", "granted"),
        ("followup", "withdrawn"),
    ]


@pytest.mark.parametrize(
    ("purpose", "status", "method", "message"),
    [
        ("newsletter", "granted", "verbal", "consent purpose"),
        ("followup", "yes", "verbal", "consent status"),
        ("followup", "granted", "email", "consent method"),
    ],
)
def test_record_consent_rejects_unknown_values(store, purpose, status, method, message):
    lead = leads.add_lead(store, {"company": "ACME"})
    with pytest.raises(UsageError, match=message):
        consent.record_consent(store, lead["id"], purpose, status, method=method)
