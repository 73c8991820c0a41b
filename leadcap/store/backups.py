"""Consistent copies of the database while it is in use (SQLite's online backup API).

A copy is written under a temporary name, fsync'd and renamed into place, so a folder
never holds half a backup, even if the laptop dies while writing it."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime
from pathlib import Path

from leadcap.errors import LeadcapError
from leadcap.store.private import create_private_file, make_private_dirs

DEFAULT_KEEP = 10
MANUAL = "manual"  # the reason of `leadcap backup`: such copies are never rotated away


def backup_dir(store) -> Path:
    """Automatic backups live beside the database, in `<name>-backups/`."""
    return store.path.with_name(store.path.stem + "-backups")


def snapshot(store, target: Path) -> Path:
    """Write a consistent copy of the open database to `target` (atomically)."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        make_private_dirs(target.parent)
        tmp.unlink(missing_ok=True)
        create_private_file(tmp)  # personal data: 0600, like the database
        destination = sqlite3.connect(tmp)
        try:
            store.conn.backup(destination)
            destination.execute("PRAGMA journal_mode = DELETE")
        finally:
            destination.close()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except (OSError, sqlite3.Error) as error:
        # A full disk leaves SQLite's rollback journal of the copy behind as well.
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        raise LeadcapError(
            f"cannot write the backup {target} ({error})."
            " Check the folder is writable and has space"
        ) from None
    return target


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backup(store, to: Path | None = None, *, reason: str = MANUAL) -> Path:
    """A timestamped backup in `to` (default: the automatic backup folder). `to` must
    exist: a USB stick that is not mounted must not turn into a folder on the laptop."""
    if to is not None and not Path(to).is_dir():
        raise LeadcapError(
            f"the folder {to} does not exist. Plug in and mount the drive, or create the folder"
        )
    folder = Path(to) if to else backup_dir(store)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    safe_reason = re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-") or "backup"
    return snapshot(store, folder / f"{store.path.stem}-{stamp}-{safe_reason}.db")


def auto_backup(
    store, reason: str, keep: int | None = None, *, protect: Path | None = None
) -> Path | None:
    """Back up before a risky operation and keep only the newest `keep` automatic ones
    (default: the device's `backups-keep`). Backups made by `leadcap backup` and the file
    in `protect` (a backup being restored) are never rotated away. Returns None when
    there is nothing worth backing up (an empty, new database)."""
    if store.conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] == 0:
        return None
    if keep is None:
        keep = getattr(store, "backups_keep", DEFAULT_KEEP)
    path = backup(store, reason=reason)
    if keep > 0:
        kept = Path(protect).resolve() if protect else None
        automatic = [
            p
            for p in list_backups(store)
            if not p.stem.endswith(f"-{MANUAL}") and p.resolve() != kept
        ]
        for old in automatic[:-keep]:
            old.unlink(missing_ok=True)
    return path


def list_backups(store) -> list[Path]:
    folder = backup_dir(store)
    return sorted(folder.glob(f"{store.path.stem}-*.db")) if folder.exists() else []


def configured_keep(config: dict) -> int:
    """How many automatic backups to keep: device config key `backups-keep` (default 10)."""
    value = config.get("backups-keep", DEFAULT_KEEP)
    try:
        keep = int(value)
    except (TypeError, ValueError):
        raise LeadcapError(
            f"the device setting backups-keep is {value!r}, not a number."
            " Fix it: leadcap config set backups-keep 10"
        ) from None
    return max(keep, 1)
