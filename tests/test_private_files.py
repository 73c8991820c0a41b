"""Files holding personal data are created 0600 and leadcap's own folders 0700."""

from __future__ import annotations

import os
import stat

import pytest

from leadcap.store.backups import backup, snapshot
from leadcap.store.database import open_store
from leadcap.store.leads import add_lead


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    old = os.umask(0o022)  # the common default, under which files come out 0644
    yield
    os.umask(old)


def test_a_new_database_and_its_folder_are_private(tmp_path):
    path = tmp_path / "fair" / "leads.db"
    store = open_store(path, staff="anna", device="a", make_folders=True)
    add_lead(store, {"family_name": "Sato"})
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert mode(path.with_name("leads.db-wal")) == 0o600
    store.close()


def test_backups_and_their_folder_are_private(store, tmp_path):
    add_lead(store, {"family_name": "Sato"})
    path = backup(store)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_a_snapshot_is_private(store, tmp_path):
    path = snapshot(store, tmp_path / "stick" / "copy.db")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_cli_creates_database_backup_and_sync_snapshot_private(cli, tmp_path, db_path):
    cli("add", "--family-name", "Sato")
    cli("backup")
    cli("sync", str(tmp_path / "share"))
    assert mode(db_path) == 0o600
    backups = list((tmp_path / "leads-backups").iterdir())
    assert backups and all(mode(p) == 0o600 for p in backups)
    assert mode(tmp_path / "leads-backups") == 0o700 and mode(tmp_path / "share") == 0o700
    assert [mode(p) for p in (tmp_path / "share").iterdir()] == [0o600]
