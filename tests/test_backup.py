import sqlite3

from leadcap import backup, leads


def test_snapshot_is_a_consistent_copy(store, tmp_path):
    leads.add_lead(store, {"company": "ACME"})
    target = backup.backup(store, tmp_path / "usb")
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT company FROM leads").fetchall() == [("ACME",)]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not list((tmp_path / "usb").glob(".*partial"))


def test_auto_backup_rotates(store):
    leads.add_lead(store, {"company": "ACME"})
    made = [backup.auto_backup(store, "merge", keep=3) for _ in range(5)]
    kept = backup.list_backups(store)
    assert len(kept) == 3 and kept == sorted(made[-3:])


def test_auto_backup_skips_an_empty_database(store):
    assert backup.auto_backup(store, "scan") is None
