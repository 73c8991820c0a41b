"""`doctor` and `restore`: is the database sound, and putting a backup back safely.

Each check says what it found and what to do about it; `fix` does only the repairs that
cannot lose data (after a backup): checkpoint the WAL, rebuild the search index from the
leads, delete rows that point at leads which no longer exist."""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from leadcap.errors import DatabaseError, NotFound, UsageError
from leadcap.store import backups as backup
from leadcap.store import erasure, tombstones
from leadcap.store.database import Store, translate_sqlite_error

WAL_LARGE = 32 * 1024 * 1024
DISK_LOW = 200 * 1024 * 1024
BACKUP_MAX_AGE = 24 * 3600

# Rows that only make sense next to their lead. An alias uuid counts as a lead while the
# lead it points to exists (merged-away leads keep their history under their old uuid).
_KNOWN_UUIDS = (
    "(SELECT uuid FROM leads UNION SELECT alias_uuid FROM lead_aliases"
    " WHERE lead_uuid IN (SELECT uuid FROM leads))"
)
ORPHANS = {
    "lead_aliases": "lead_uuid NOT IN (SELECT uuid FROM leads)",
    "lead_tags": "lead_id NOT IN (SELECT id FROM leads) OR tag_id NOT IN (SELECT id FROM tags)",
    "changes": f"lead_uuid NOT IN {_KNOWN_UUIDS}",
    "visits": f"lead_uuid NOT IN {_KNOWN_UUIDS}",
    "consent_records": f"lead_uuid NOT IN {_KNOWN_UUIDS}",
    "export_marks": f"lead_uuid NOT IN {_KNOWN_UUIDS}",
}


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    advice: str = ""
    fixable: bool = False


# -- doctor -------------------------------------------------------------------------


def run_checks(store: Store) -> list[Finding]:
    """Every check, in the order a person would want to read them."""
    return [
        check_integrity(store),
        check_foreign_keys(store),
        check_schema(store),
        check_orphans(store),
        check_undo_log(store),
        check_search_index(store),
        check_wal(store),
        check_backups(store),
        check_disk(store),
    ]


def check_integrity(store: Store) -> Finding:
    rows = [row[0] for row in store.conn.execute("PRAGMA integrity_check(20)")]
    if rows == ["ok"]:
        return Finding("integrity", True, "the file is sound")
    return Finding(
        "integrity",
        False,
        f"the file is damaged: {'; '.join(rows[:3])}",
        "stop capturing on this laptop and restore the newest backup:"
        " `leadcap restore FILE` (backups are listed by `leadcap doctor --json`)",
    )


def check_foreign_keys(store: Store) -> Finding:
    rows = store.conn.execute("PRAGMA foreign_key_check").fetchall()
    if not rows:
        return Finding("foreign keys", True, "every reference points at an existing row")
    tables = sorted({row[0] for row in rows})
    return Finding(
        "foreign keys",
        False,
        f"{len(rows)} row(s) in {', '.join(tables)} point at missing rows",
        "run `leadcap doctor --fix` to delete them (a backup is made first)",
        fixable=True,
    )


def check_schema(store: Store) -> Finding:
    from leadcap.store.migrations import migrations

    pending = [m.name for m in migrations.pending(store.db)]
    version = store.schema_version()
    if pending:
        return Finding(
            "schema",
            False,
            f"schema version {version}, {len(pending)} migration(s) pending: {', '.join(pending)}",
            "open the database once with this leadcap (any command) to apply them",
        )
    return Finding("schema", True, f"schema version {version}, nothing pending")


def orphan_counts(store: Store) -> dict[str, int]:
    counts = {}
    for table, where in ORPHANS.items():
        counts[table] = store.conn.execute(
            f"SELECT COUNT(*) FROM {table} WHERE {where}"
        ).fetchone()[0]
    return {table: count for table, count in counts.items() if count}


def check_orphans(store: Store) -> Finding:
    counts = orphan_counts(store)
    if not counts:
        return Finding("orphans", True, "no rows left behind by missing leads")
    listed = ", ".join(f"{count} in {table}" for table, count in counts.items())
    return Finding(
        "orphans",
        False,
        f"rows that belong to no lead: {listed}",
        "run `leadcap doctor --fix` to delete them (a backup is made first)",
        fixable=True,
    )


# What `leadcap undo` would still revert on this laptop, for a lead that is not there under
# that uuid: undo would fail on it every time ("no lead with id <uuid>").
_UNDO_MISSING = (
    "device = ? AND command != 'undo' AND undone_by IS NULL"
    " AND lead_uuid NOT IN (SELECT uuid FROM leads)"
)


def check_undo_log(store: Store) -> Finding:
    rows = store.conn.execute(
        "SELECT COUNT(DISTINCT batch), COUNT(DISTINCT lead_uuid) FROM changes"
        f" WHERE {_UNDO_MISSING}",
        [store.device],
    ).fetchone()
    if not rows[0]:
        return Finding("undo log", True, "every change `leadcap undo` may revert has its lead")
    return Finding(
        "undo log",
        False,
        f"{rows[0]} command(s) that `leadcap undo` would revert point at {rows[1]} missing"
        " lead(s) (erased, or merged into another lead), so undo would fail on them",
        "run `leadcap doctor --fix` to take them out of undo (their history is kept)",
        fixable=True,
    )


def check_search_index(store: Store) -> Finding:
    # rank 1 also compares the index with the leads table (external content).
    try:
        store.conn.execute("INSERT INTO leads_fts(leads_fts, rank) VALUES('integrity-check', 1)")
    except sqlite3.DatabaseError as error:
        return Finding(
            "search index",
            False,
            f"the search index does not match the leads ({error})",
            "run `leadcap doctor --fix` to rebuild it from the leads",
            fixable=True,
        )
    return Finding("search index", True, "the search index matches the leads")


def wal_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + "-wal")


def check_wal(store: Store) -> Finding:
    size = wal_path(store).stat().st_size if wal_path(store).exists() else 0
    detail = f"write-ahead log {_megabytes(size)}"
    if size <= WAL_LARGE:
        return Finding("wal", True, detail)
    return Finding(
        "wal",
        False,
        f"{detail}, larger than {_megabytes(WAL_LARGE)}",
        "run `leadcap doctor --fix` to checkpoint it into the database file",
        fixable=True,
    )


def check_backups(store: Store) -> Finding:
    if store.conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] == 0:
        return Finding("backup", True, "no leads yet, nothing to back up")
    found = backup.list_backups(store)
    if not found:
        return Finding(
            "backup", False, "no backup of this database", "run `leadcap backup`", fixable=True
        )
    newest = max(found, key=lambda p: p.stat().st_mtime)
    age = time.time() - newest.stat().st_mtime
    detail = f"newest backup {newest.name}, {_age(age)} old"
    if age <= BACKUP_MAX_AGE:
        return Finding("backup", True, detail)
    return Finding("backup", False, f"{detail} (over a day)", "run `leadcap backup`", fixable=True)


def check_disk(store: Store) -> Finding:
    free = shutil.disk_usage(store.path.parent).free
    detail = f"{_megabytes(free)} free on the disk holding the database"
    if free >= DISK_LOW:
        return Finding("disk", True, detail)
    return Finding(
        "disk",
        False,
        f"only {detail}",
        "free some space (copy old exports and backups to a USB stick) before capturing more",
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{int(seconds // 86400)} days"


@dataclass
class FixReport:
    backup: Path | None = None
    actions: list[str] = field(default_factory=list)


def fix(store: Store, findings: list[Finding], *, keep: int | None = None) -> FixReport:
    """The safe repairs for the problems found, after an automatic backup. Damage to
    the file itself is not repaired here: restoring a backup is the safe way."""
    todo = {f.check for f in findings if not f.ok and f.fixable}
    report = FixReport()
    if not todo:
        return report
    report.backup = backup.auto_backup(store, "doctor-fix", keep=keep)
    if todo & {"orphans", "foreign keys"}:
        counts = orphan_counts(store)
        with store.transaction():
            for table, where in ORPHANS.items():
                if counts.get(table):
                    store.conn.execute(f"DELETE FROM {table} WHERE {where}")
        report.actions += [f"deleted {n} orphaned row(s) from {t}" for t, n in counts.items()]
    if "undo log" in todo:
        with store.transaction():
            batches = store.conn.execute(
                f"UPDATE changes SET undone_by = 'doctor' WHERE batch IN"
                f" (SELECT batch FROM changes WHERE {_UNDO_MISSING})",
                [store.device],
            ).rowcount
        report.actions.append(f"took {batches} change(s) of missing leads out of undo")
    if "search index" in todo:
        with store.transaction():
            store.conn.execute("INSERT INTO leads_fts(leads_fts) VALUES('rebuild')")
        report.actions.append("rebuilt the search index")
    if "wal" in todo:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        report.actions.append("checkpointed the write-ahead log")
    return report


def finding_dict(finding: Finding) -> dict:
    return asdict(finding)


# -- restore ------------------------------------------------------------------------


@dataclass
class RestoreReport:
    source: Path
    backup: Path | None
    leads: int
    reforgotten: int  # leads in the backup of people forgotten since it was made


def check_restorable(source: Path) -> int:
    """Refuse a file that is missing, damaged, not leadcap's, or from a newer leadcap.
    Returns how many leads it holds."""
    from leadcap.store.migrations import applied_names, unknown_names

    source = Path(source)
    if not source.is_file():
        raise NotFound(f"no file {source}. `leadcap doctor --json` lists the backups")
    try:
        conn = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            applied = applied_names(conn)
            count = conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] if applied else 0
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseError(
            f"{source} cannot be restored: it is not a readable SQLite database ({error})."
            " Nothing was changed; pick another backup"
        ) from None
    if problems != ["ok"]:
        raise DatabaseError(
            f"{source} cannot be restored: it is damaged ({problems[0]})."
            " Nothing was changed; pick another backup"
        )
    if not applied:
        raise DatabaseError(
            f"{source} cannot be restored: it is not a leadcap database."
            " Nothing was changed; pick a file made by `leadcap backup`"
        )
    newer = unknown_names(applied)
    if newer:
        raise DatabaseError(
            f"{source} cannot be restored: a newer leadcap wrote it (schema {sorted(newer)[-1]})."
            " Nothing was changed; upgrade leadcap first"
        )
    return count


def restore(store: Store, source: Path, *, keep: int | None = None) -> RestoreReport:
    """Replace the open database's contents with a backup, through SQLite's backup API
    into the open connection (the WAL and other processes stay consistent). The current
    contents are backed up first; people forgotten since the backup stay forgotten."""
    from leadcap.store.migrations import migrations

    source = Path(source)
    if source.exists() and source.resolve() == store.path.resolve():
        raise UsageError(f"{source} is the database in use. Give a backup file to restore")
    check_restorable(source)
    made = backup.auto_backup(store, "restore", keep=keep, protect=source)
    buried = store.conn.execute("SELECT hash, salt, kind, forgotten_at FROM tombstones").fetchall()
    try:
        origin = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            origin.backup(store.conn)
        finally:
            origin.close()
    except sqlite3.Error as error:
        raise translate_sqlite_error(error, store.path) from None
    store._settings = None
    if migrations.pending(store.db):
        with store.transaction():
            migrations.apply(store.db)
    reforgotten = _reapply_tombstones(store, buried)
    count = store.conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0]
    return RestoreReport(source, made, count, reforgotten)


def _reapply_tombstones(store: Store, buried: list[tuple]) -> int:
    """A backup from before a `forget` still holds the person: erase them again."""
    if not buried:
        return 0
    with store.transaction():
        store.conn.executemany(
            "INSERT OR IGNORE INTO tombstones (hash, salt, kind, forgotten_at) VALUES (?, ?, ?, ?)",
            buried,
        )
    rows = store.conn.execute(
        "SELECT uuid, email, badge_id FROM leads WHERE email_norm IS NOT NULL"
        " OR badge_norm IS NOT NULL"
    ).fetchall()
    erased = 0
    at = store.now().isoformat()
    for lead_uuid, email, badge_id in rows:
        lead = {"uuid": lead_uuid, "email": email, "badge_id": badge_id}
        if tombstones.is_forgotten(store, lead) and erasure.lead_exists(store, lead_uuid):
            erased += len(erasure.forget_lead(store, lead, at=at).lead_ids)
    return erased
