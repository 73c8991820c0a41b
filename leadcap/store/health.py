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
from leadcap.store import erasure, schema_check, tombstones
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
    """Every check, in the order a person would want to read them. Each has a time limit:
    in a crafted file `leads` can be a view that never ends."""
    checks = [
        ("integrity", check_integrity),
        ("foreign keys", check_foreign_keys),
        ("schema", check_schema),
        ("schema objects", check_schema_objects),
        ("orphans", check_orphans),
        ("undo log", check_undo_log),
        ("search index", check_search_index),
        ("wal", check_wal),
        ("backup", check_backups),
        ("disk", check_disk),
    ]
    findings = []
    for name, check in checks:
        try:
            with schema_check.time_limit(store.conn, CHECK_SECONDS):
                findings.append(check(store))
        except schema_check.TooSlow as error:
            findings.append(
                Finding(
                    name,
                    False,
                    f"the check was stopped: {error} (a view or trigger that never ends?)",
                    "see the schema objects finding; restore a backup made by `leadcap backup`",
                )
            )
    return findings


CHECK_SECONDS = 60.0


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


def check_schema_objects(store: Store) -> Finding:
    """Triggers, views, tables or indexes leadcap did not create (a restored or crafted
    file): a trigger can copy a person away during `forget`, a view can loop forever."""
    from leadcap.store.migrations import applied_names

    strange = schema_check.foreign_objects(store.conn, applied_names(store.conn))
    if not strange:
        return Finding("schema objects", True, "only leadcap's own tables, indexes and triggers")
    return Finding(
        "schema objects",
        False,
        f"schema objects leadcap did not create: {schema_check.describe(strange, 8)}",
        "restore a backup made by `leadcap backup`, or copy the file aside and ask whoever"
        " changed it; do not `forget` anyone in this file until then",
    )


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
    " AND lead_uuid NOT IN (SELECT alias_uuid FROM lead_aliases)"
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
        " lead(s) (gone without an alias to the lead they became), so undo would fail on them",
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
    if "undo log" in todo:
        with store.transaction():
            batches = store.conn.execute(
                f"UPDATE changes SET undone_by = 'doctor' WHERE batch IN"
                f" (SELECT batch FROM changes WHERE {_UNDO_MISSING})",
                [store.device],
            ).rowcount
        report.actions.append(f"took {batches} change(s) of missing leads out of undo")
    if todo & {"orphans", "foreign keys"}:
        counts = orphan_counts(store)
        with store.transaction():
            for table, where in ORPHANS.items():
                if counts.get(table):
                    store.conn.execute(f"DELETE FROM {table} WHERE {where}")
        report.actions += [f"deleted {n} orphaned row(s) from {t}" for t, n in counts.items()]
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
    """Refuse a file that is missing, damaged, not leadcap's, from a newer leadcap, or
    carrying schema objects leadcap did not create. Returns how many leads it holds."""
    from leadcap.store.migrations import applied_names, unknown_names

    source = Path(source)
    if not source.is_file():
        raise NotFound(f"no file {source}. `leadcap doctor --json` lists the backups")
    try:
        conn = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            with schema_check.time_limit(conn):
                problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
                applied = applied_names(conn)
                strange = schema_check.foreign_objects(conn, applied) if applied else []
                newer = unknown_names(applied)
                count = 0
                if applied and not strange and not newer and problems == ["ok"]:
                    count = conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0]
        finally:
            conn.close()
    except schema_check.TooSlow as error:
        raise DatabaseError(
            f"{source} cannot be restored: {error}. Nothing was changed; pick another backup"
        ) from None
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
    if newer:
        raise DatabaseError(
            f"{source} cannot be restored: a newer leadcap wrote it (schema {sorted(newer)[-1]})."
            " Nothing was changed; upgrade leadcap first"
        )
    if strange:
        raise DatabaseError(
            f"{source} cannot be restored: it holds schema objects leadcap did not create"
            f" ({schema_check.describe(strange)}). Nothing was changed; pick a backup made"
            " by `leadcap backup`"
        )
    return count


def staging_path(store: Store) -> Path:
    """Where a restore prepares the new contents (beside the database, same disk)."""
    return store.path.with_name(f".{store.path.name}.restoring")


def restore(store: Store, source: Path, *, keep: int | None = None) -> RestoreReport:
    """Replace the open database's contents with a backup; people forgotten since the
    backup stay forgotten and journal entries already recovered stay recovered.

    All-or-nothing: the backup is first copied to a staging file beside the database,
    upgraded, and the current tombstones and recovered-journal marks are applied there.
    Only the finished result is copied into the open connection, in one step of
    SQLite's backup API (one write transaction: after a crash or a lock held too long
    the database is either untouched or fully restored). The current contents are
    backed up first."""
    source = Path(source)
    if source.exists() and source.resolve() == store.path.resolve():
        raise UsageError(f"{source} is the database in use. Give a backup file to restore")
    check_restorable(source)
    made = backup.auto_backup(store, "restore", keep=keep, protect=source)
    carried = {
        table: store.conn.execute(f"SELECT {columns} FROM {table}").fetchall()
        for table, columns in _SURVIVE_RESTORE.items()
    }
    staged = staging_path(store)
    try:
        reforgotten = _stage(store, source, staged, carried)
        _copy_into(store, staged)
    except sqlite3.Error as error:
        raise translate_sqlite_error(error, store.path) from None
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)
    store._settings = None
    count = store.conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0]
    return RestoreReport(source, made, count, reforgotten)


# What a restore must not take back: erasures, and which journal entries were imported.
_SURVIVE_RESTORE = {
    "tombstones": "hash, salt, kind, forgotten_at",
    "journal_done": "id, done_at, lead_uuid",
}


def _stage(store: Store, source: Path, staged: Path, carried: dict[str, list]) -> int:
    """Build the restored database in `staged`; returns the leads erased again."""
    from leadcap.store.migrations import migrations

    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{staged}{suffix}").unlink(missing_ok=True)
    page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
    conn = sqlite3.connect(staged, isolation_level=None)
    try:
        origin = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            origin.backup(conn)
        finally:
            origin.close()
        conn.execute("PRAGMA journal_mode = DELETE")
        if conn.execute("PRAGMA page_size").fetchone()[0] != page_size:
            # SQLite cannot copy pages of another size into a WAL database (it says
            # "read-only"): rewrite the backup with the database's page size.
            conn.execute(f"PRAGMA page_size = {int(page_size)}")
            conn.execute("VACUUM")
        conn.execute("PRAGMA foreign_keys = ON")
        staging = Store(staged, conn, staff=store.staff, device=store.device)
        if migrations.pending(staging.db):
            with staging.transaction():
                migrations.apply(staging.db)
        with staging.transaction():
            for table, columns in _SURVIVE_RESTORE.items():
                marks = ", ".join("?" for _ in columns.split(","))
                conn.executemany(
                    f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({marks})", carried[table]
                )
        reforgotten = _reapply_tombstones(staging)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        os_sync(staged)
    finally:
        conn.close()
    return reforgotten


def os_sync(path: Path) -> None:
    import os

    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _copy_into(store: Store, staged: Path) -> None:
    """Copy the staged file over the open database in one backup step, giving up (and
    changing nothing) when another process holds the lock past the busy timeout."""

    def give_up_when_busy(status: int, _remaining: int, _total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise sqlite3.OperationalError("database is locked")

    origin = sqlite3.connect(staged.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        origin.backup(store.conn, pages=-1, progress=give_up_when_busy)
    finally:
        origin.close()


def _reapply_tombstones(store: Store) -> int:
    """A backup from before a `forget` still holds the person: erase them again."""
    if not store.conn.execute("SELECT 1 FROM tombstones LIMIT 1").fetchone():
        return 0
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
