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

DEFAULT_KEEP = 10


def backup_dir(store) -> Path:
    """Automatic backups live beside the database, in `<name>-backups/`."""
    return store.path.with_name(store.path.stem + "-backups")


def snapshot(store, target: Path) -> Path:
    """Write a consistent copy of the open database to `target` (atomically)."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
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
        tmp.unlink(missing_ok=True)
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


def backup(store, to: Path | None = None, *, reason: str = "manual") -> Path:
    """A timestamped backup in `to` (default: the automatic backup folder)."""
    folder = Path(to) if to else backup_dir(store)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    safe_reason = re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-") or "backup"
    return snapshot(store, folder / f"{store.path.stem}-{stamp}-{safe_reason}.db")


def auto_backup(store, reason: str, keep: int = DEFAULT_KEEP) -> Path | None:
    """Back up before a risky operation and keep only the newest `keep` automatic ones.
    Returns None when there is nothing worth backing up (an empty, new database)."""
    if store.conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] == 0:
        return None
    path = backup(store, reason=reason)
    if keep > 0:
        backups = sorted(backup_dir(store).glob(f"{store.path.stem}-*.db"))
        for old in backups[:-keep]:
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
