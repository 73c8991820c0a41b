"""Merging other laptops' files: the rules of issue 5, two or three stores at a time."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime

import pytest

from leadcap.laptops import merge
from leadcap.laptops.replay import merge_notes, note_entries
from leadcap.store import erasure, leads, tombstones
from leadcap.store import history as change_log


def dump(store) -> dict:
    """What a person sees, keyed by uuid, without this laptop's local ids."""
    found = {}
    for lead in leads.iter_leads(store, leads.LeadFilter(deleted=False)):
        found[lead["uuid"]] = lead
    for lead in leads.iter_leads(store, leads.LeadFilter(deleted=True)):
        found[lead["uuid"]] = lead
    for lead in found.values():
        lead.pop("id")
        lead["tags"] = sorted(lead["tags"])
    return found


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_leads_are_added_with_their_uuid(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(b, {"company": "ACME", "email": "ken@acme.jp"}, tags=["AI"])
    report = merge.merge_file(a, b.path)
    assert (report.added, report.updated, report.linked) == (1, 0, 0)
    copy = leads.get_lead(a, lead["uuid"])
    assert copy["company"] == "ACME" and copy["tags"] == ["AI"] and copy["device"] == "laptop-b"


def test_the_source_file_is_not_modified(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"company": "ACME"})
    leads.add_lead(a, {"company": "Other"})
    b.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = sha(b.path)
    merge.merge_file(a, b.path)
    assert sha(b.path) == before


def test_merging_again_changes_nothing(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"company": "ACME"}, tags=["AI"], note="wants a demo")
    merge.merge_file(a, b.path)
    state = dump(a)
    again = merge.merge_file(a, b.path)
    assert not again.changed and dump(a) == state


def test_the_latest_field_change_wins_on_both_sides(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(a, {"company": "ACME", "city": "Tokyo"})
    merge.merge_file(b, a.path)
    leads.update_lead(b, lead["uuid"], {"company": "ACME Corp"}, command="edit")
    leads.update_lead(a, lead["uuid"], {"city": "Osaka"}, command="edit")
    leads.update_lead(a, lead["uuid"], {"company": "ACME KK"}, command="edit")  # latest
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    for store in (a, b):
        got = leads.get_lead(store, lead["uuid"])
        assert (got["company"], got["city"]) == ("ACME KK", "Osaka")
    assert dump(a) == dump(b)


def test_a_tie_in_time_is_broken_by_device_id(laptop):
    a, b = laptop("laptop-a", tick=False), laptop("laptop-b", tick=False)
    fixed = datetime.fromisoformat("2026-12-09T10:00:00+09:00")
    a.now = b.now = lambda: fixed
    lead = leads.add_lead(a, {"company": "ACME"})
    merge.merge_file(b, a.path)
    leads.update_lead(a, lead["uuid"], {"title": "CTO"}, command="edit")
    leads.update_lead(b, lead["uuid"], {"title": "CEO"}, command="edit")
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    assert leads.get_lead(a, lead["uuid"])["title"] == "CEO"  # laptop-b > laptop-a
    assert dump(a) == dump(b)


def test_changes_in_one_second_on_one_laptop_keep_their_order(laptop):
    a, b = laptop("laptop-a", tick=False), laptop("laptop-b")
    fixed = datetime.fromisoformat("2026-12-09T10:00:00+09:00")
    a.now = lambda: fixed
    lead = leads.add_lead(a, {"company": "ACME"}, tags=["AI"])
    for title in ("one", "two", "three", "four"):
        leads.update_lead(a, lead["uuid"], {"title": title}, command="edit")
    leads.add_tags(a, lead["uuid"], ["AI"], remove=True)
    merge.merge_file(b, a.path)
    copy = leads.get_lead(b, lead["uuid"])
    assert (copy["title"], copy["tags"]) == ("four", [])


def test_offsets_are_compared_as_utc_instants(laptop):
    a, b = laptop("laptop-a", tick=False), laptop("laptop-b", tick=False)
    a.now = lambda: datetime.fromisoformat("2026-12-09T10:00:00+09:00")  # 01:00 UTC
    lead = leads.add_lead(a, {"company": "ACME"})
    merge.merge_file(b, a.path)
    b.now = lambda: datetime.fromisoformat("2026-12-09T02:30:00+01:00")  # 01:30 UTC, later
    leads.update_lead(b, lead["uuid"], {"city": "Berlin"}, command="edit")
    a.now = lambda: datetime.fromisoformat("2026-12-09T10:20:00+09:00")  # 01:20 UTC
    leads.update_lead(a, lead["uuid"], {"city": "Tokyo"}, command="edit")
    merge.merge_file(a, b.path)
    assert leads.get_lead(a, lead["uuid"])["city"] == "Berlin"


def test_a_tag_removed_on_one_laptop_stays_removed(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(a, {"company": "ACME"}, tags=["AI", "Robotics"])
    merge.merge_file(b, a.path)
    leads.add_tags(b, lead["uuid"], ["AI"], remove=True)
    leads.add_tags(a, lead["uuid"], ["Vision"])
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    for store in (a, b):
        assert sorted(leads.get_lead(store, lead["uuid"])["tags"]) == ["Robotics", "Vision"]


def test_notes_from_both_sides_are_kept_once(laptop):
    a, b = laptop("laptop-a", "anna"), laptop("laptop-b", "kenji")
    lead = leads.add_lead(a, {"company": "ACME"}, note="first contact")
    merge.merge_file(b, a.path)
    leads.append_note(b, lead["uuid"], "wants a demo")
    leads.append_note(a, lead["uuid"], "send the price list")
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    merge.merge_file(a, b.path)
    notes = leads.get_lead(a, lead["uuid"])["notes"].split("\n")
    assert [line.split("] ", 1)[1] for line in notes] == [
        "first contact",
        "wants a demo",
        "send the price list",
    ]
    assert leads.get_lead(b, lead["uuid"])["notes"] == "\n".join(notes)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["[2026-12-09 10:00 a] x"], "[2026-12-09 10:00 a] x"),
        (["[2026-12-09 10:05 a] y", "[2026-12-09 10:01 b] z"], None),
        (["free text\n[2026-12-09 10:05 a] y\nmore", "free text"], None),
    ],
)
def test_note_merge_is_order_independent(texts, expected):
    forward, backward = merge_notes(texts), merge_notes(texts[::-1])
    assert forward == backward
    assert expected is None or forward == expected
    for text in texts:
        for entry in note_entries(text):
            assert entry in note_entries(forward)


def test_visits_are_counted_once_per_device(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(a, {"company": "ACME"})
    merge.merge_file(b, a.path)
    with b.transaction():  # what a re-scan on laptop b does: its own counter goes up
        b.conn.execute(
            "INSERT INTO visits (lead_uuid, device, count) VALUES (?, 'laptop-b', 2)",
            [lead["uuid"]],
        )
        leads.update_lead(b, lead["uuid"], {"visits": 3}, command="scan")
    for _ in range(3):
        merge.merge_file(a, b.path)
        merge.merge_file(b, a.path)
    assert leads.get_lead(a, lead["uuid"])["visits"] == 3
    assert leads.get_lead(b, lead["uuid"])["visits"] == 3


def test_the_change_log_of_both_sides_is_kept(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(a, {"company": "ACME"})
    merge.merge_file(b, a.path)
    leads.update_lead(b, lead["uuid"], {"title": "CTO"}, command="edit")
    leads.update_lead(a, lead["uuid"], {"city": "Osaka"}, command="edit")
    merge.merge_file(a, b.path)
    merge.merge_file(a, b.path)
    history = change_log.history(a, lead["uuid"])
    assert {(h["field"], h["device"]) for h in history} >= {
        ("title", "laptop-b"),
        ("city", "laptop-a"),
        ("created", "laptop-a"),
    }
    assert len({h["uid"] for h in history}) == len(history)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"badge_id": "B-17", "email": "ken@acme.jp"}, {"badge_id": "b-17"}),
        ({"email": "Ken@ACME.jp"}, {"email": "ken@acme.jp", "title": "CTO"}),
    ],
)
def test_one_person_captured_on_two_laptops_becomes_one_lead(laptop, first, second):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    older = leads.add_lead(a, {"company": "ACME", **first})
    newer = leads.add_lead(b, {"company": "ACME", **second})
    report = merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    assert (report.added, report.linked) == (0, 1)
    assert [lead["uuid"] for lead in leads.iter_leads(a)] == [older["uuid"]]
    assert dump(a) == dump(b)
    alias = a.conn.execute("SELECT alias_uuid, lead_uuid FROM lead_aliases").fetchall()
    assert alias == [(newer["uuid"], older["uuid"])]


def test_different_badges_with_one_email_stay_two_people(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(a, {"badge_id": "1", "email": "info@acme.jp"})
    leads.add_lead(b, {"badge_id": "2", "email": "info@acme.jp"})
    merge.merge_file(a, b.path)
    assert len(list(leads.iter_leads(a))) == 2


def test_a_linked_person_stays_linked_in_later_merges(laptop):
    a, b, c = laptop("laptop-a"), laptop("laptop-b"), laptop("laptop-c")
    leads.add_lead(a, {"badge_id": "B-17"}, tags=["AI"])
    second = leads.add_lead(b, {"badge_id": "B-17"}, tags=["Vision"])
    merge.merge_file(a, b.path)
    leads.update_lead(b, second["uuid"], {"title": "CTO"}, command="edit")
    merge.merge_file(c, b.path)
    merge.merge_file(a, c.path)
    (only,) = leads.iter_leads(a)
    assert only["title"] == "CTO" and sorted(only["tags"]) == ["AI", "Vision"]


def test_merge_is_independent_of_order(laptop):
    stores = [laptop(f"laptop-{x}") for x in "abcde"]
    a, b, c, a2, _ = stores
    first = leads.add_lead(a, {"company": "ACME", "badge_id": "7"})
    leads.add_lead(b, {"badge_id": "7", "title": "CTO"}, tags=["AI"])
    leads.add_lead(c, {"company": "Other"}, note="call back")
    leads.update_lead(a, first["uuid"], {"city": "Osaka"}, command="edit")
    merge.merge_file(a2, a.path)
    merge.merge_file(a, b.path)
    merge.merge_file(a, c.path)
    merge.merge_file(a2, c.path)
    merge.merge_file(a2, b.path)
    assert dump(a) == dump(a2)


def test_dry_run_reports_but_writes_nothing(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"company": "ACME"})
    report = merge.merge_file(a, b.path, dry_run=True)
    assert report.added == 1 and report.dry_run
    assert list(leads.iter_leads(a)) == []
    assert a.conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == 0


def test_a_forgotten_person_is_not_brought_back(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"email": "gone@acme.jp", "company": "ACME"})
    with a.transaction():
        tombstones.bury(a, {"email": "GONE@acme.jp"}, "2026-12-09T10:00:00+09:00")
    report = merge.merge_file(a, b.path)
    assert (report.added, report.forgotten_skipped) == (0, 1)
    assert a.conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == 0


def test_a_tombstone_from_the_source_erases_our_copy(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    fields = {"badge_id": "B-9", "company": "ACME"}
    lead = leads.add_lead(a, fields, consent={"followup": "granted"})
    merge.merge_file(b, a.path)
    erasure.forget_lead(b, lead, at="2026-12-09T11:00:00+09:00")
    report = merge.merge_file(a, b.path)
    assert report.erased == 1
    for table in ("leads", "changes", "consent_records", "visits"):
        column = "uuid" if table == "leads" else "lead_uuid"
        count = a.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", [lead["uuid"]])
        assert count.fetchone()[0] == 0, table
    assert tombstones.is_forgotten(a, lead)


def test_the_search_index_follows_merged_fields(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(a, {"company": "ACME", "family_name": "Yamada"})
    merge.merge_file(b, a.path)
    leads.update_lead(b, lead["uuid"], {"family_name": "Tanaka"}, command="edit")
    merge.merge_file(a, b.path)
    assert [x["uuid"] for x in leads.find(a, "tanaka")] == [lead["uuid"]]
    assert leads.find(a, "yamada") == []


def test_consent_takes_the_latest_record_per_purpose(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(a, {"company": "ACME"}, consent={"followup": "granted"})
    merge.merge_file(b, a.path)
    leads.update_lead(b, lead["uuid"], {"consent": {"followup": "withdrawn"}}, command="edit")
    leads.update_lead(a, lead["uuid"], {"consent": {"marketing": "granted"}}, command="edit")
    merge.merge_file(a, b.path)
    consent = leads.get_lead(a, lead["uuid"])["consent"]
    assert (consent["followup"], consent["marketing"]) == ("withdrawn", "granted")


def test_a_deleted_duplicate_is_not_folded_into_the_live_lead(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    keep = leads.add_lead(a, {"badge_id": "5"})
    mistake = leads.add_lead(b, {"badge_id": "5"})
    leads.update_lead(b, mistake["uuid"], {"deleted": True}, command="delete")
    merge.merge_file(a, b.path)
    assert [x["uuid"] for x in leads.iter_leads(a)] == [keep["uuid"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not an SQLite file"),
        (b"name,company\nKen,ACME\n", "not an SQLite file"),
    ],
)
def test_a_file_that_is_not_sqlite_is_refused(laptop, tmp_path, content, message):
    a = laptop("laptop-a")
    path = tmp_path / "foreign.db"
    path.write_bytes(content)
    with pytest.raises(merge.SourceError, match=message):
        merge.merge_file(a, path)


def test_an_sqlite_file_that_is_not_leadcap_is_refused(laptop, tmp_path):
    a = laptop("laptop-a")
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(merge.SourceError, match="not a leadcap database"):
        merge.merge_file(a, tmp_path / "other.db")


def test_a_file_from_a_newer_leadcap_is_refused_unchanged(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    with b.transaction():
        b.conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('leadcap', 'm099_future', '2027-01-01')"
        )
    with pytest.raises(merge.SourceError, match="newer leadcap .*m099_future"):
        merge.merge_file(a, b.path)


def test_a_truncated_file_is_refused(laptop, tmp_path):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    for n in range(200):
        leads.add_lead(b, {"company": f"Firm {n}", "notes": "x" * 200})
    b.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    half = tmp_path / "half.db"
    half.write_bytes(b.path.read_bytes()[: b.path.stat().st_size // 2])
    with pytest.raises(merge.SourceError, match="damaged or only partly copied"):
        merge.merge_file(a, half)


def test_a_tombstone_and_aliases_in_one_merge_erase_the_person(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    kept = leads.add_lead(a, {"badge_id": "B-17", "company": "ACME"})
    leads.add_lead(b, {"badge_id": "b-17", "title": "CTO"})
    gone = leads.add_lead(b, {"email": "x@y.de", "company": "Gone"})
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    assert b.conn.execute("SELECT COUNT(*) FROM lead_aliases").fetchone()[0] == 1
    erasure.forget_lead(b, gone, at="2026-12-09T11:00:00+09:00")
    report = merge.merge_file(a, b.path)
    assert report.erased == 1
    assert [lead["uuid"] for lead in leads.iter_leads(a)] == [kept["uuid"]]
    assert tombstones.is_forgotten(a, {"email": "x@y.de"})


# -- session defaults fill empty fields only, also across laptops ----------------------


def test_a_session_default_never_overwrites_a_rating_given_on_another_laptop(laptop):
    from leadcap.intake import capture

    a, b = laptop("laptop-a"), laptop("laptop-b")
    capture.capture(a, "MECARD:N:Sato,Ken;EMAIL:ken@example.jp;;")
    merge.merge_file(b, a.path)  # b now knows Ken, unrated
    leads.update_lead(a, 1, {"rating": "hot"}, command="rate")  # explicit, on laptop A
    warm = capture.SessionDefaults(rating="warm")
    outcome = capture.capture(b, "MECARD:N:Sato,Ken;EMAIL:ken@example.jp;;", defaults=warm)
    assert outcome.kind == "duplicate" and outcome.lead["rating"] == "warm"  # filled on B
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    assert [x["rating"] for x in leads.iter_leads(a)] == ["hot"]
    assert [x["rating"] for x in leads.iter_leads(b)] == ["hot"]


def test_a_default_on_a_new_capture_yields_to_an_explicit_rating_of_the_person(laptop):
    from leadcap.intake import capture

    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(a, {"email": "ken@example.jp"}, rating="hot")
    warm = capture.SessionDefaults(rating="warm")
    capture.capture(b, "MECARD:N:Sato,Ken;EMAIL:ken@example.jp;;", defaults=warm)
    merge.merge_file(a, b.path)
    assert [x["rating"] for x in leads.iter_leads(a)] == ["hot"]


def test_a_default_still_fills_an_unrated_person_after_a_merge(laptop):
    from leadcap.intake import capture

    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(a, {"email": "ken@example.jp"})
    warm = capture.SessionDefaults(rating="warm")
    capture.capture(b, "MECARD:N:Sato,Ken;EMAIL:ken@example.jp;;", defaults=warm)
    merge.merge_file(a, b.path)
    assert [x["rating"] for x in leads.iter_leads(a)] == ["warm"]
