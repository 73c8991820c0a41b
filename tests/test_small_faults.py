"""Smaller faults from the attack run: a full disk under `backup --to`, read-only -wal and
-shm files, a forgotten address typed into `edit`, full-width badge payloads."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from leadcap.errors import LeadcapError
from leadcap.intake import capture
from leadcap.intake.parse import parse_payload
from leadcap.store import backups, erasure, leads


@pytest.fixture
def full_disk(tmp_path):
    """A 256 KB tmpfs: a real full disk. Needs root (CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; CI runs this as root")
    mount = tmp_path / "usb"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_backup_to_a_full_disk_leaves_no_journal_file(store, full_disk):
    for n in range(200):
        leads.add_lead(store, {"company": f"C{n}", "notes": "x" * 2000})
    with pytest.raises(LeadcapError, match="disk is full"):
        backups.backup(store, full_disk)
    assert list(full_disk.iterdir()) == []


def test_advice_names_read_only_wal_and_shm_files(tmp_path, unprivileged):
    from leadcap.store.database import open_store

    source = open_store(tmp_path / "live.db", staff="a", device="d")
    source.conn.execute("PRAGMA wal_autocheckpoint = 0")
    leads.add_lead(source, {"company": "A"})
    copy = tmp_path / "copy.db"
    for suffix in ("", "-wal", "-shm"):
        shutil.copy(f"{tmp_path / 'live.db'}{suffix}", f"{copy}{suffix}")
    source.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").chmod(0o444)
    copy.chmod(0o644)  # made writable again, its companions forgotten
    done = unprivileged("--db", str(copy), "add", "--company", "B")
    assert done.returncode == 1, done.stderr
    assert "copy.db-wal and copy.db-shm beside it are still read-only" in done.stderr
    assert f"chmod u+w {copy}-wal {copy}-shm" in done.stderr


def test_edit_refuses_a_forgotten_email(cli):
    gone = cli.json("add", "--company", "Gone", "--email", "gone@example.com")
    cli("forget", str(gone["id"]), "--yes")
    cli("add", "--company", "Other")
    other = cli.json("list")[0]["id"]
    result = cli("edit", str(other), "--email", "GONE@example.com", code=1)
    assert "asked to be forgotten" in result.stderr and "the lead was not changed" in result.stderr
    assert cli.json("show", str(other))["email"] is None
    cli("edit", str(other), "--email", "gone@example.com", "--force")


def test_a_full_width_badge_payload_is_a_badge():
    result = parse_payload("ＮＴ２６－００００４２")
    assert result.source == "badge"
    assert result.contacts[0].badge_id == "ＮＴ２６－００００４２"


def test_a_full_width_badge_of_a_forgotten_person_is_recognised(store):
    lead = leads.add_lead(store, {"badge_id": "NT26-000042", "company": "ACME"})
    erasure.forget_lead(store, lead, at=store.now().isoformat())
    assert capture.capture(store, "ＮＴ２６－００００４２").kind == "forgotten"


def test_an_unreadable_payload_naming_a_forgotten_email_is_recognised(store):
    lead = leads.add_lead(store, {"email": "gone@example.com"})
    erasure.forget_lead(store, lead, at=store.now().isoformat())
    assert capture.capture(store, "?? gone@example.com ~~ ??").kind == "forgotten"
