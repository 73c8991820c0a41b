"""A shared folder (USB stick, network share) through which laptops exchange leads.

Each laptop writes a consistent snapshot of its database as `leadcap-<device>.db` and
merges every other laptop's snapshot it finds there. Running `sync` on each laptop in
turn leaves them all holding the same leads; half-copied and foreign files are reported
and skipped, never fatal."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from leadcap.errors import LeadcapError
from leadcap.laptops.merge import MergeReport, SourceError, merge_file
from leadcap.store.backups import auto_backup, snapshot
from leadcap.store.database import Store
from leadcap.store.private import make_private_dirs

PREFIX = "leadcap-"


@dataclass
class SyncReport:
    snapshot: Path | None
    merged: list[MergeReport] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def snapshot_name(device: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", device).strip(".-") or "device"
    return f"{PREFIX}{safe}.db"


def sync_folder(store: Store, folder: Path, *, dry_run: bool = False) -> SyncReport:
    """Publish this laptop's snapshot in `folder`, then merge the other laptops' ones.
    The snapshot is written again after merging so the next laptop gets everything."""
    folder = Path(folder)
    ours = folder / snapshot_name(store.device)
    report = SyncReport(snapshot=None if dry_run else ours)
    if not dry_run:
        make_private_dirs(folder)
        auto_backup(store, "sync")
        snapshot(store, ours)
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        reason = _not_a_snapshot(path, ours)
        if reason is None:
            try:
                report.merged.append(merge_file(store, path, dry_run=dry_run))
            except SourceError as error:
                report.skipped.append((path, str(error)))
            except (LeadcapError, sqlite3.Error, ValueError, TypeError, KeyError) as error:
                # One bad file must not keep the good ones after it from being merged.
                report.skipped.append((path, f"{path.name} could not be merged ({error}); skipped"))
        elif reason:
            report.skipped.append((path, reason))
    if not dry_run and any(r.changed for r in report.merged):
        snapshot(store, ours)
    return report


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
