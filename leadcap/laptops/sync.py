"""A shared folder (USB stick, network share) through which laptops exchange leads.

Each laptop writes a consistent snapshot of its database as `leadcap-<device>.db` and
merges every other laptop's snapshot it finds there. Running `sync` on each laptop in
turn leaves them all holding the same leads; half-copied and foreign files are reported
and skipped, never fatal. A snapshot with nothing new since the last merge is skipped
after its header rows, and this laptop's snapshot is only written again when something
changed, so a sync with nothing new takes a moment.

A snapshot under this laptop's device id that holds another database means two laptops
share one device id (cloned from one prepared image): `device_clash` says so, and the
caller gives this laptop a new id (`rename_device`) before syncing again."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from leadcap.errors import LeadcapError
from leadcap.laptops.merge import MergeReport, SourceError, merge_file
from leadcap.laptops.source import Header, open_source, read_header
from leadcap.store.backups import auto_backup, snapshot
from leadcap.store.database import Store
from leadcap.store.private import make_private_dirs

PREFIX = "leadcap-"


@dataclass
class SyncReport:
    snapshot: Path | None
    merged: list[MergeReport] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    published: bool = False  # this laptop's snapshot was written
    device_clash: Path | None = None  # our snapshot name, holding another database

    @property
    def nothing_new(self) -> bool:
        return not self.published and not any(r.changed for r in self.merged)


def snapshot_name(device: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", device).strip(".-") or "device"
    return f"{PREFIX}{safe}.db"


def sync_folder(
    store: Store, folder: Path, *, dry_run: bool = False, any_event: bool = False
) -> SyncReport:
    """Merge the other laptops' snapshots in `folder`, then publish this laptop's own
    snapshot there if it changed since it was last published. Stops before merging, with
    `device_clash` set, when this laptop's snapshot name holds another database."""
    folder = Path(folder)
    ours = folder / snapshot_name(store.device)
    report = SyncReport(snapshot=None if dry_run else ours)
    published = _published_header(ours)
    identity = read_header(store.conn).identity
    if published is not None and published.identity not in (None, identity):
        report.device_clash = ours
        report.snapshot = None
        return report
    backed_up: list[Path | None] = []

    def backup_once() -> None:
        if not backed_up:
            backed_up.append(auto_backup(store, "sync"))

    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        reason = _not_a_snapshot(path, ours)
        if reason is None:
            try:
                merged = merge_file(
                    store, path, dry_run=dry_run, any_event=any_event, before_write=backup_once
                )
                report.merged.append(merged)
            except SourceError as error:
                report.skipped.append((path, str(error)))
            except (LeadcapError, sqlite3.Error, ValueError, TypeError, KeyError) as error:
                # One bad file must not keep the good ones after it from being merged.
                report.skipped.append((path, f"{path.name} could not be merged ({error}); skipped"))
        elif reason:
            report.skipped.append((path, reason))
    if not dry_run:
        _claim(store)
        now = read_header(store.conn)
        if published is None or (published.position(), published.device) != (
            now.position(),
            now.device,
        ):
            make_private_dirs(folder)
            snapshot(store, ours)
            report.published = True
    return report


def _published_header(path: Path) -> Header | None:
    """The header of this laptop's snapshot in the folder (None: none, or unreadable)."""
    if not path.is_file():
        return None
    try:
        with open_source(path) as conn:
            return read_header(conn)
    except SourceError:
        return None


def _claim(store: Store) -> None:
    """Write this laptop's device id into the database, so its snapshot says whose it is."""
    row = store.conn.execute("SELECT device FROM database_identity WHERE id = 1").fetchone()
    if row is not None and row[0] != store.device:
        with store.transaction():
            store.conn.execute(
                "UPDATE database_identity SET device = ? WHERE id = 1", [store.device]
            )


def rename_device(store: Store, new: str, *, reason: str) -> str:
    """Give this database's laptop a new device id from now on (the caller saves it in the
    device config). The old id is kept in `device_ids` with the reason; changes already
    made keep the id they were made under, so every laptop still replays them alike.
    Returns the old id."""
    old = store.device
    at = store.now().isoformat()
    with store.transaction():
        store.conn.execute(
            "INSERT INTO device_ids (device, replaced_by, reason, changed_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(device) DO UPDATE SET replaced_by = excluded.replaced_by,"
            " reason = excluded.reason, changed_at = excluded.changed_at",
            [old, new, reason, at],
        )
        store.conn.execute("UPDATE database_identity SET device = ? WHERE id = 1", [new])
    store.device = new
    return old


def _not_a_snapshot(path: Path, ours: Path) -> str | None:
    """Why `path` is not another laptop's snapshot ('' for files not worth a mention)."""
    name = path.name
    if path == ours or name.endswith(("-wal", "-shm", "-journal")):
        return ""
    if name.startswith(".") or name.endswith((".partial", ".tmp")):
        return f"{name} is still being written (temporary file); skipped"
    if not path.is_file():
        return ""
    if not (name.startswith(PREFIX) and name.endswith(".db")):
        return f"{name} is not a leadcap snapshot (leadcap-DEVICE.db); ignored"
    return None
