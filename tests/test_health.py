import os
import sqlite3
import time
from collections import namedtuple

import pytest

from leadcap.errors import DatabaseError
from leadcap.store import backups as backup
from leadcap.store import erasure, health, leads, tombstones


def problems(store):
    return {f.check: f for f in health.run_checks(store) if not f.ok}


def test_a_fresh_database_with_a_backup_is_healthy(store):
    leads.add_lead(store, {"company": "ACME"})
    backup.backup(store)
    assert problems(store) == {}


def test_an_empty_database_needs_no_backup(store):
    assert problems(store) == {}


def test_missing_backup_says_run_backup(store):
    leads.add_lead(store, {"company": "ACME"})
    found = problems(store)
    assert list(found) == ["backup"]
    assert found["backup"].advice == "run `leadcap backup`"


def test_a_day_old_backup_is_a_problem(store):
    leads.add_lead(store, {"company": "ACME"})
    made = backup.backup(store)
    two_days_ago = time.time() - 2 * 86400
    os.utime(made, (two_days_ago, two_days_ago))
    assert "over a day" in problems(store)["backup"].detail


def test_orphans_are_found_and_fixed(store):
    lead = leads.add_lead(store, {"company": "ACME"}, tags=["IoT"])
    backup.backup(store)
    store.conn.execute("INSERT INTO visits (lead_uuid, device, count) VALUES ('gone', 'x', 1)")
    store.conn.execute("PRAGMA foreign_keys = OFF")
    store.conn.execute("INSERT INTO lead_tags (lead_id, tag_id) VALUES (999, 1)")
    found = problems(store)
    assert found["orphans"].detail == "rows that belong to no lead: 1 in lead_tags, 1 in visits"
    assert "doctor --fix" in found["orphans"].advice and "foreign keys" in found
    report = health.fix(store, list(found.values()))
    assert report.backup is not None
    assert problems(store) == {}
    assert leads.get_lead(store, lead["id"])["tags"] == ["IoT"]


def test_history_of_a_merged_away_alias_is_not_an_orphan(store):
    lead = leads.add_lead(store, {"company": "ACME"})
    backup.backup(store)
    store.conn.execute(
        "INSERT INTO lead_aliases (alias_uuid, lead_uuid) VALUES ('old-uuid', ?)", [lead["uuid"]]
    )
    store.conn.execute("INSERT INTO visits (lead_uuid, device, count) VALUES ('old-uuid', 'b', 1)")
    assert problems(store) == {}


def test_a_stale_search_index_is_found_and_rebuilt(store):
    leads.add_lead(store, {"company": "ACME"})
    backup.backup(store)
    store.conn.execute("INSERT INTO leads_fts(rowid, search_text) VALUES (99, 'ghost')")
    found = problems(store)
    assert list(found) == ["search index"]
    assert "rebuild" in found["search index"].advice
    health.fix(store, list(found.values()))
    assert problems(store) == {}
    assert leads.find(store, "ghost") == []


def test_a_large_wal_is_checkpointed(store, monkeypatch):
    monkeypatch.setattr(health, "WAL_LARGE", 1000)
    leads.add_lead(store, {"company": "ACME"})
    backup.backup(store)
    assert list(problems(store)) == ["wal"]
    assert health.fix(store, list(problems(store).values())).actions == [
        "checkpointed the write-ahead log"
    ]
    assert health.wal_path(store).stat().st_size == 0


def test_low_disk_space_is_a_problem(store, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(health.shutil, "disk_usage", lambda _: usage(10**9, 10**9, 50 * 2**20))
    found = problems(store)
    assert found["disk"].detail == "only 50.0 MB free on the disk holding the database"
    assert not found["disk"].fixable


# -- restore ----------------------------------------------------------------------


def test_restore_round_trip(store, tmp_path):
    leads.add_lead(store, {"company": "Before"})
    saved = backup.backup(store, usb_stick(tmp_path))
    leads.add_lead(store, {"company": "After"})
    report = health.restore(store, saved)
    assert [r[0] for r in store.conn.execute("SELECT company FROM leads")] == ["Before"]
    assert report.leads == 1 and report.backup in backup.list_backups(store)
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_restore_keeps_people_forgotten_since_the_backup_forgotten(store, tmp_path):
    lead = leads.add_lead(store, {"company": "ACME", "email": "gone@acme.example"})
    leads.add_lead(store, {"company": "Stays"})
    saved = backup.backup(store, usb_stick(tmp_path))
    erasure.forget_lead(store, lead, at=store.now().isoformat())
    report = health.restore(store, saved)
    assert report.reforgotten == 1
    assert [r[0] for r in store.conn.execute("SELECT company FROM leads")] == ["Stays"]
    assert tombstones.is_forgotten(store, {"email": "gone@acme.example"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a database at all" * 100, "not a readable SQLite database"),
        ("sqlite", "not a leadcap database"),
        ("truncated", "cannot be restored"),
    ],
)
def test_restore_refuses_bad_files_and_changes_nothing(store, tmp_path, content, message):
    leads.add_lead(store, {"company": "Current"})
    bad = tmp_path / "bad.db"
    if content == "sqlite":
        sqlite3.connect(bad).execute("CREATE TABLE t (x)").connection.commit()
    elif content == "truncated":
        good = backup.backup(store, usb_stick(tmp_path)).read_bytes()
        bad.write_bytes(good[: len(good) // 2])
    else:
        bad.write_bytes(content)
    with pytest.raises(DatabaseError, match=message):
        health.restore(store, bad)
    assert [r[0] for r in store.conn.execute("SELECT company FROM leads")] == ["Current"]


def test_restore_refuses_a_file_from_a_newer_leadcap(store, tmp_path):
    leads.add_lead(store, {"company": "Current"})
    newer = backup.backup(store, usb_stick(tmp_path))
    conn = sqlite3.connect(newer)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('leadcap', 'm999_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="newer leadcap wrote it .schema m999_future"):
        health.restore(store, newer)


def usb_stick(tmp_path):
    """A mounted drive: `backup --to` refuses folders that do not exist."""
    folder = tmp_path / "usb"
    folder.mkdir(exist_ok=True)
    return folder


def fuse_into_first(store, first, second):
    """What a faulty merge left behind: the second lead's row gone, no alias to the first."""
    store.conn.execute("DELETE FROM leads WHERE id = ?", [second["id"]])


def test_an_undo_log_pointing_at_missing_leads_is_found_and_taken_out_of_undo(store):
    from leadcap.store import history

    first = leads.add_lead(store, {"email": "a@example.jp"})
    second = leads.add_lead(store, {"email": "A@example.jp"})
    backup.backup(store)
    fuse_into_first(store, first, second)
    found = problems(store)
    assert set(found) == {"undo log", "orphans"}  # its change rows are orphans too
    assert (
        "1 command(s) that `leadcap undo` would revert point at 1 missing"
        in found["undo log"].detail
    )
    report = health.fix(store, list(found.values()))
    assert report.actions[0] == "took 2 change(s) of missing leads out of undo"
    assert problems(store) == {}
    reverted, _changes = history.undo(store)  # works again: reverts the first lead's capture
    assert [lead["id"] for lead in reverted] == [first["id"]]


def test_history_of_a_lead_combined_away_is_no_undo_problem(store):
    from leadcap.laptops import combine
    from leadcap.store import history

    first = leads.add_lead(store, {"email": "a@example.jp"})
    second = leads.add_lead(store, {"email": "A@example.jp", "company": "ACME"})
    backup.backup(store)
    combine.combine(store, first["id"], second["id"])
    assert problems(store) == {}
    history.undo(store)  # the combine
    history.undo(store)  # the second lead's capture, which exists again
    assert leads.get_lead(store, second["id"])["deleted"]
