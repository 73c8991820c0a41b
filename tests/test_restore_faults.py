"""`restore` under attack: a lock held past the busy timeout, a kill half-way, page sizes
and schema objects leadcap did not create. The database is untouched or fully restored."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from leadcap.errors import DatabaseBusy, DatabaseError
from leadcap.store import backups as backup
from leadcap.store import erasure, health, leads, tombstones

GONE = "gone@acme.example"


@pytest.fixture
def forgotten_since_backup(store, tmp_path):
    """A backup that still holds a person forgotten after it was made."""
    lead = leads.add_lead(store, {"company": "ACME", "email": GONE})
    leads.add_lead(store, {"company": "Stays"})
    folder = tmp_path / "usb"
    folder.mkdir()
    saved = backup.backup(store, folder)
    erasure.forget_lead(store, lead, at=store.now().isoformat())
    return saved


def companies(path):
    conn = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in conn.execute("SELECT company FROM leads"))
    finally:
        conn.close()


def test_a_lock_held_past_the_busy_timeout_leaves_the_database_untouched(
    store, db_path, forgotten_since_backup
):
    store.conn.execute("PRAGMA busy_timeout = 100")
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy, match="locked"):
            health.restore(store, forgotten_since_backup)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert companies(db_path) == ["Stays"]
    assert tombstones.is_forgotten(store, {"email": GONE})
    assert not health.staging_path(store).exists()
    # Trying again once the lock is free restores and erases the person again.
    assert health.restore(store, forgotten_since_backup).reforgotten == 1
    assert companies(db_path) == ["Stays"]


def test_sigkill_while_erasing_again_leaves_the_database_untouched(
    store, db_path, forgotten_since_backup
):
    script = textwrap.dedent(
        f"""
        import os, signal
        from leadcap.store import erasure, health
        from leadcap.store.database import open_store

        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        erasure.forget_lead = killed
        store = open_store({str(db_path)!r}, staff="anna", device="laptop-a")
        health.restore(store, {str(forgotten_since_backup)!r})
        """
    )
    store.close()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert companies(db_path) == ["Stays"]
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM tombstones").fetchone()[0] > 0
    conn.close()


def test_a_failure_after_copying_changes_nothing(
    store, db_path, forgotten_since_backup, monkeypatch
):
    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(health, "_copy_into", broken)
    with pytest.raises(DatabaseError, match="disk I/O"):
        health.restore(store, forgotten_since_backup)
    assert companies(db_path) == ["Stays"]


def test_recovered_journal_marks_survive_a_restore(store, tmp_path):
    leads.add_lead(store, {"company": "Before"})
    folder = tmp_path / "usb"
    folder.mkdir()
    saved = backup.backup(store, folder)
    with store.transaction():
        store.conn.execute("INSERT INTO journal_done (id) VALUES ('entry-1')")
    health.restore(store, saved)
    assert store.conn.execute("SELECT id FROM journal_done").fetchall() == [("entry-1",)]


def test_a_backup_with_512_byte_pages_is_restored(store, db_path, tmp_path):
    leads.add_lead(store, {"company": "Small pages"})
    folder = tmp_path / "usb"
    folder.mkdir()
    saved = backup.backup(store, folder)
    conn = sqlite3.connect(saved, isolation_level=None)
    conn.execute("PRAGMA page_size = 512")
    conn.execute("VACUUM")
    assert conn.execute("PRAGMA page_size").fetchone() == (512,)
    conn.close()
    leads.add_lead(store, {"company": "Later"})
    health.restore(store, saved)
    assert companies(db_path) == ["Small pages"]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (
            "CREATE TABLE shadow (email TEXT);"
            " CREATE TRIGGER spy BEFORE DELETE ON leads BEGIN"
            " INSERT INTO shadow VALUES (old.email); END",
            "table shadow, trigger spy",
        ),
        (
            "ALTER TABLE leads RENAME TO real_leads;"
            " CREATE VIEW leads AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
            " SELECT i + 1 FROM n) SELECT * FROM real_leads, n",
            "view leads",
        ),
    ],
)
def test_a_backup_with_foreign_schema_objects_is_refused(store, db_path, tmp_path, sql, named):
    leads.add_lead(store, {"company": "Current"})
    folder = tmp_path / "usb"
    folder.mkdir()
    saved = backup.backup(store, folder)
    conn = sqlite3.connect(saved)
    conn.executescript(sql)
    conn.close()
    with pytest.raises(DatabaseError, match=f"schema objects leadcap did not create .*{named}"):
        health.restore(store, saved)
    assert companies(db_path) == ["Current"]


def test_a_stale_staging_file_from_a_killed_restore_is_replaced(store, forgotten_since_backup):
    health.staging_path(store).write_bytes(b"half a database")
    health.restore(store, forgotten_since_backup)
    assert not health.staging_path(store).exists()
    assert [x["company"] for x in leads.iter_leads(store)] == ["Stays"]


def test_cli_restore_of_a_locked_database_is_one_line(cli, tmp_path, db_path, monkeypatch):
    cli("add", "--company", "ACME")
    folder = tmp_path / "usb"
    folder.mkdir()
    cli("backup", "--to", str(folder))
    saved = next(folder.iterdir())
    monkeypatch.setenv("LEADCAP_BUSY_TIMEOUT", "0.1")
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        result = cli("restore", str(saved), "--yes", code=1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.stderr.startswith("Error: ") and "locked" in result.stderr
    assert result.stderr.count("\n") == 1
    assert os.path.exists(db_path)


def test_doctor_reports_a_trigger_leadcap_did_not_create(cli, db_path):
    cli("add", "--company", "ACME")
    conn = sqlite3.connect(db_path)
    conn.executescript(
        "CREATE TABLE shadow (email TEXT); CREATE TRIGGER spy BEFORE DELETE ON leads BEGIN"
        " INSERT INTO shadow VALUES (old.email); END"
    )
    conn.close()
    checks = {c["check"]: c for c in json.loads(cli("doctor", "--json", code=1).stdout)["checks"]}
    assert not checks["schema objects"]["ok"]
    assert "table shadow, trigger spy" in checks["schema objects"]["detail"]


def test_doctor_finds_nothing_strange_in_a_leadcap_database(cli):
    cli("add", "--company", "ACME")
    checks = {c["check"]: c for c in json.loads(cli("doctor", "--json", code=1).stdout)["checks"]}
    assert checks["schema objects"]["ok"]


def test_doctor_stops_a_check_that_never_ends(store, monkeypatch):
    store.conn.executescript(
        "ALTER TABLE lead_aliases RENAME TO real_aliases; CREATE VIEW lead_aliases AS"
        " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
        " SELECT real_aliases.* FROM real_aliases, n"
    )
    monkeypatch.setattr(health, "CHECK_SECONDS", 0.5)
    found = {f.check: f for f in health.run_checks(store)}
    assert "the check was stopped" in found["orphans"].detail
    assert "view lead_aliases" in found["schema objects"].detail


def test_forget_checking_a_crafted_backup_does_not_hang(store, tmp_path, monkeypatch):
    from leadcap.store import schema_check

    lead = leads.add_lead(store, {"company": "ACME", "email": GONE})
    folder = tmp_path / "usb"
    folder.mkdir()
    crafted = backup.backup(store, folder)
    conn = sqlite3.connect(crafted)
    conn.executescript(
        "ALTER TABLE leads RENAME TO real_leads; CREATE VIEW leads AS WITH RECURSIVE"
        " n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT * FROM real_leads"
        " WHERE (SELECT max(i) FROM n) > 0"
    )
    conn.close()
    monkeypatch.setattr(schema_check, "FOREIGN_READ_SECONDS", 0.3)
    report = erasure.forget_lead(store, lead, at=store.now().isoformat())
    assert erasure.backups_holding(store, [crafted], report) == [crafted]  # assume the worst
