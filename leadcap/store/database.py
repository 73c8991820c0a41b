"""Opening the database: location, pragmas, migrations, settings and transactions.

Lead reads and writes live in `leadcap.store.leads`; this module knows nothing about
their fields."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadcap.errors import DatabaseBusy, DatabaseError, LeadcapError, NotFound
from leadcap.store.loading import load_sqlite_utils

DB_ENV = "LEADCAP_DB"
BUSY_TIMEOUT_ENV = "LEADCAP_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 10.0
LOCK_RETRY_SECONDS = 0.002  # how often a writer waiting for the lock tries again
# Event settings travel with the database; device settings (staff, device id) do not.
EVENT_SETTINGS = ("event", "timezone", "country", "tags", "exhibitors", "badge_pattern", "pavilion")
# Families of event settings, one key per language or item: `consent-text.de`, `card.email`
# (the booth's contact card), `followup-days.hot` (service level per rating).
# `score.hot` etc.: points towards the lead score (leadcap.store.score).
EVENT_SETTING_PREFIXES = ("consent-text.", "card.", "followup-days.", "score.")


def default_db_path(app_dir: Path) -> Path:
    env = os.environ.get(DB_ENV)
    return Path(env) if env else app_dir / "leads.db"


@functools.cache
def system_timezone() -> str:
    """The machine's IANA zone name (Area/City), falling back to UTC. On Linux and macOS it
    is read from TZ or /etc/localtime (a fraction of a millisecond); elsewhere, and when
    that finds nothing, tzlocal reads the Windows registry (mapped to IANA names), so
    capture times on a Windows laptop in Tokyo are not shown nine hours off. tzlocal takes
    ~25 ms to load, which every command would otherwise pay."""
    name = _unix_zone_name()
    if not _is_zone(name):
        from tzlocal import get_localzone_name

        try:
            name = get_localzone_name() or ""
        except Exception:  # tzlocal raises its own errors for broken set-ups; UTC then
            name = ""
    return name if _is_zone(name) else "UTC"


def _unix_zone_name() -> str:
    """TZ, else the zone /etc/timezone or the /etc/localtime link names ("" if none)."""
    if sys.platform == "win32":
        return ""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        with contextlib.suppress(OSError):
            name = Path("/etc/timezone").read_text().strip()
    if not name:
        with contextlib.suppress(OSError, ValueError):
            target = os.path.realpath("/etc/localtime")
            name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
    return name


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


def translate_sqlite_error(error: sqlite3.Error, path: Path) -> LeadcapError:
    """Turn SQLite's terse errors into a sentence that says what to do."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return DatabaseBusy(
            f"{path} is locked by another leadcap process for too long. "
            "Wait for it to finish (or close it) and try again"
        )
    if "not a database" in text:
        return DatabaseError(
            f"{path} is not a leadcap database (not an SQLite file). "
            "Point --db at a leadcap database, or at a new file name to start one"
        )
    if "malformed" in text or "corrupt" in text:
        return DatabaseError(
            f"{path} is damaged (SQLite says: {text}). "
            "Restore it from a backup (leadcap restore) or copy it aside and start a new one"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseError(_read_only_advice(path))
    if "unable to open" in text or "disk I/O" in text:
        return DatabaseError(
            f"cannot open {path} ({text}). Check the folder exists and is writable"
        )
    if "full" in text:
        return DatabaseError(f"the disk holding {path} is full. Free some space and try again")
    return DatabaseError(f"database problem in {path}: {text}")


def _read_only_advice(path: Path) -> str:
    """Which of the database's files cannot be written. After `chmod u+w leads.db` the
    write-ahead log and shared-memory files beside it are often still read-only."""
    companions = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    locked = [p for p in companions if p.exists() and not os.access(p, os.W_OK)]
    if locked and os.access(path, os.W_OK):
        names = " and ".join(p.name for p in locked)
        return (
            f"{path} is writable, but {names} beside it {'is' if len(locked) == 1 else 'are'}"
            f" still read-only. Make them writable too: chmod u+w {' '.join(map(str, locked))}"
        )
    also = f" (and {', '.join(p.name for p in locked)})" if locked else ""
    return (
        f"{path}{also} is read-only. Check its permissions (chmod u+w, also for the -wal and"
        " -shm files beside it) or choose another --db"
    )


class Store:
    """One open leadcap database. Writes go through `transaction()`, which commits
    before it returns: a caller that reports success has made the change durable."""

    def __init__(self, path: Path, conn: sqlite3.Connection, staff: str, device: str):
        self.path = path
        self.conn = conn
        # No sqlite-utils plugins: none is needed, and none should run on personal data
        # (loading them also scans every installed package, ~25 ms per command).
        self.db = load_sqlite_utils().Database(conn, execute_plugins=False)
        self.staff = staff
        self.device = device
        self.backups_keep = 10  # automatic backups kept (device setting backups-keep)
        self._deferred = False  # checkpoints left to checkpoint() (the scan loop)
        self._settings: dict | None = None
        self.created = False  # open_store made a new file for this store

    # -- transactions -------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy timeout),
        so two writers queue instead of failing halfway through."""
        if self.conn.in_transaction:
            yield self.conn
            return
        try:
            self._begin_immediate()
        except sqlite3.Error as error:
            raise translate_sqlite_error(error, self.path) from None
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as error:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise translate_sqlite_error(error, self.path) from None

    def _begin_immediate(self) -> None:
        """Try for the write lock every few milliseconds, up to the busy timeout. SQLite's
        own wait backs off to a try every 100 ms, and so keeps missing the short pauses a
        merge leaves between its steps: a scan beside it would wait for several steps."""
        conn = self.conn
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            deadline = time.monotonic() + _busy_timeout()
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
                    if not busy or time.monotonic() >= deadline:
                        raise
                time.sleep(LOCK_RETRY_SECONDS)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(_busy_timeout() * 1000)}")

    def defer_checkpoints(self) -> None:
        """For the scan loop: SQLite would otherwise copy the WAL back into the database
        inside some commits, making that visitor wait. `checkpoint()` does it between
        visitors instead."""
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        self._deferred = True

    def checkpoint(self) -> None:
        """Move committed pages from the WAL into the database file, without waiting for
        readers (PASSIVE). Nothing uncommitted is involved; a failure only means later."""
        if self._deferred:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def new_batch(self) -> str:
        return uuid.uuid4().hex

    # -- settings -----------------------------------------------------------------
    @property
    def settings(self) -> dict:
        if self._settings is None:
            rows = self.conn.execute("SELECT key, value FROM settings").fetchall()
            self._settings = {key: json.loads(value) for key, value in rows}
        return self._settings

    def reload_settings(self) -> None:
        """Read the settings again (another process may have changed them): the scan loop
        does this between visitors, so consent texts set meanwhile apply to the next one."""
        self._settings = None

    def setting(self, key: str, default=None):
        return self.settings.get(key, default)

    def set_setting(self, key: str, value) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value, ensure_ascii=False)),
            )
        self._settings = None

    @property
    def event(self) -> str | None:
        return self.setting("event")

    @property
    def timezone(self) -> str:
        return self.setting("timezone") or system_timezone()

    @property
    def country(self) -> str | None:
        return self.setting("country")

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def now(self) -> datetime:
        """Now in the event's time zone, to the second, with its offset."""
        return datetime.now(self.zone()).replace(microsecond=0)

    def schema_version(self) -> int:
        row = self.conn.execute(
            "SELECT COUNT(*) FROM _sqlite_migrations WHERE migration_set = 'leadcap'"
        ).fetchone()
        return row[0]

    def close(self) -> None:
        self.conn.close()


def _busy_timeout() -> float:
    try:
        return float(os.environ.get(BUSY_TIMEOUT_ENV, DEFAULT_BUSY_TIMEOUT))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT


def _check_is_leadcap(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse files that are not ours, or that a newer leadcap wrote, before changing them."""
    from leadcap.store.migrations import applied_names, unknown_names

    if conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0:
        return  # a new, empty file
    applied = applied_names(conn)
    if not applied:
        raise DatabaseError(
            f"{path} is an SQLite database, but not a leadcap one. "
            "Point --db at a leadcap database, or at a new file name to start one"
        )
    unknown = unknown_names(applied)
    if unknown:
        raise DatabaseError(
            f"{path} was written by a newer leadcap (schema {sorted(unknown)[-1]}). "
            "Upgrade leadcap (python -m pip install -U leadcap); the file was not changed"
        )


def _check_location(path: Path, *, create: bool, make_folders: bool) -> bool:
    """Whether the file exists; errors for a missing folder (unless `make_folders`), a
    missing file (unless `create`) and a folder leadcap cannot write into."""
    from leadcap.store.private import make_private_dirs

    if not path.parent.is_dir():
        if not make_folders:
            raise DatabaseError(
                f"the folder {path.parent} does not exist (is the drive mounted?)."
                " Mount it or check the path given with --db or LEADCAP_DB; nothing was created"
            )
        try:
            make_private_dirs(path.parent)
        except OSError as error:
            raise DatabaseError(
                f"cannot create the folder {path.parent} ({error.strerror}). "
                "Choose a writable location with --db or LEADCAP_DB"
            ) from None
    existed = path.exists()
    if not existed and not create:
        raise NotFound(
            f"there is no database at {path} yet. Capture a lead (leadcap scan, leadcap add)"
            " or run leadcap init to start one, or give --db the file you meant"
        )
    if not existed and not os.access(path.parent, os.W_OK):
        raise DatabaseError(
            f"cannot create {path}: the folder is not writable. "
            "Choose a writable location with --db or LEADCAP_DB"
        )
    return existed


def open_store(
    path: Path,
    *,
    staff: str,
    device: str,
    create: bool = True,
    make_folders: bool = False,
) -> Store:
    """Open the database at `path`, apply pending migrations and set the pragmas that make
    every commit durable and let two processes share the file.

    A missing file is created only with `create` (commands that capture, and `init`);
    `Store.created` then says so. A missing folder is an error unless `make_folders` (the
    default app folder): a --db on a USB stick that is not mounted must not quietly become
    a new database on the laptop's disk."""
    from leadcap.store.migrations import migrations

    path = Path(path).expanduser()
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder. Give --db a file name such as {path}/leads.db")
    from leadcap.store.private import create_private_file

    existed = _check_location(path, create=create, make_folders=make_folders)
    try:
        create_private_file(path)  # personal data: 0600 before SQLite writes a byte
        conn = sqlite3.connect(path, timeout=_busy_timeout(), isolation_level=None)
    except OSError as error:
        raise DatabaseError(
            f"cannot create {path} ({error.strerror}). "
            "Choose a writable location with --db or LEADCAP_DB"
        ) from None
    except sqlite3.Error as error:
        raise translate_sqlite_error(error, path) from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        _check_is_leadcap(conn, path)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        store = Store(path, conn, staff=staff, device=device)
        store.created = not existed
        if migrations.pending(store.db):
            # Two processes opening a new file at once: the second waits here, then
            # finds nothing left to apply.
            with store.transaction():
                migrations.apply(store.db)
    except sqlite3.Error as error:
        conn.close()
        raise translate_sqlite_error(error, path) from None
    except LeadcapError:
        conn.close()
        raise
    return store
