import sqlite3

from leadcap.store import backups as backup
from leadcap.store import leads


def test_snapshot_is_a_consistent_copy(store, tmp_path):
    leads.add_lead(store, {"company": "ACME"})
    target = backup.backup(store, usb_stick(tmp_path))
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


def test_rotation_never_removes_manual_backups(store):
    leads.add_lead(store, {"company": "ACME"})
    manual = backup.backup(store)
    for _ in range(4):
        backup.auto_backup(store, "scan", keep=2)
    kept = backup.list_backups(store)
    assert manual in kept and len(kept) == 3


def test_restoring_the_oldest_backup_keeps_it(store):
    from leadcap.store import health

    leads.add_lead(store, {"company": "ACME"})
    oldest = backup.auto_backup(store, "scan", keep=2)
    backup.auto_backup(store, "scan", keep=2)
    health.restore(store, oldest, keep=2)
    assert oldest.exists()
    assert [x["company"] for x in leads.iter_leads(store)] == ["ACME"]


def test_backup_to_a_missing_folder_is_refused(store, tmp_path):
    import pytest

    from leadcap.errors import LeadcapError

    leads.add_lead(store, {"company": "ACME"})
    with pytest.raises(LeadcapError, match="does not exist"):
        backup.backup(store, tmp_path / "usb-not-mounted")
    assert not (tmp_path / "usb-not-mounted").exists()


def test_automatic_backups_follow_the_device_setting(store):
    leads.add_lead(store, {"company": "ACME"})
    store.backups_keep = 2
    for _ in range(4):
        backup.auto_backup(store, "merge")
    assert len(backup.list_backups(store)) == 2


def usb_stick(tmp_path):
    """A mounted drive: `backup --to` refuses folders that do not exist."""
    folder = tmp_path / "usb"
    folder.mkdir(exist_ok=True)
    return folder
