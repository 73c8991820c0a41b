"""Reading another laptop's database file for a merge, read-only and as little as needed.

Every source file is opened in one place, `open_source`: checks that would refuse a file
(not leadcap, too new, too old, schema objects leadcap did not create) run there before
anything is read, and every query on it runs under a time limit (`leadcap.laptops.foreign`);
rows with values no leadcap writes are set aside in `read_rows`.

A file's `Header` is a few rows (its identity, device, event and the last row of its change
log and consent records); compared with the mark kept from the last merge it says whether
the file has anything new, and `read_rows` then reads only the rows past the mark."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import pathname2url

from leadcap.errors import LeadcapError
from leadcap.laptops import foreign

CHANGE_COLUMNS = (
    "uid, batch, lead_uuid, field, old_value, new_value, staff, device, changed_at,"
    " command, undone_by"
)
CONSENT_COLUMNS = (
    "uid, lead_uuid, purpose, status, recorded_at, staff, device, method, text_version"
)
CARD_COLUMNS = (
    "uid, lead_uuid, image, media_type, sha256, file_name, width, height, source, fields,"
    " added_at, staff, device"
)
SQLITE_HEADER = b"SQLite format 3\x00"
# A list of keys as one JSON parameter: `WHERE uuid IN_KEYS` with `keys(uuids)`. Neither
# a temporary table (a write per key) nor a statement per key.
IN_KEYS = "IN (SELECT value FROM json_each(?))"


class SourceError(LeadcapError):
    """A file that cannot be merged (not leadcap, damaged, too new); nothing was changed."""


@dataclass(frozen=True)
class Header:
    """What a database says about itself in a few rows."""

    identity: str | None  # None: written by a leadcap without database identities
    device: str  # the device that last published it ('' if unknown)
    event: str | None
    change_id: int
    change_uid: str | None
    consent_id: int
    consent_uid: str | None
    tombstones: int
    aliases: int

    def position(self) -> tuple:
        return (
            self.change_id,
            self.change_uid,
            self.consent_id,
            self.consent_uid,
            self.tombstones,
            self.aliases,
        )


@dataclass
class Source:
    """Everything merge needs from the other laptop's file, read once. `full` is False when
    only the rows past the last merge's mark were read (`leads` then holds the touched
    leads only)."""

    path: Path
    leads: dict[str, dict]
    changes: list[tuple]  # CHANGE_COLUMNS + seq
    consent: list[tuple]
    visits: list[tuple]
    aliases: list[tuple]
    tombstones: list[tuple]
    header: Header | None = None
    full: bool = True
    undone: list[tuple] | None = None  # (undone_by, uid) marks on rows read earlier
    tags: dict[str, list[str]] = field(default_factory=dict)  # lead uuid -> tag names
    rejected: list[str] = field(default_factory=list)  # rows with bad values, set aside
    cards: list[tuple] = field(default_factory=list)  # CARD_COLUMNS, those we lack
    questions: list[tuple] = field(default_factory=list)  # questions.COLUMNS, all of them
    # lead uuid -> [(question, answer as JSON text)], for the leads in `leads`
    answers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    stamp: FileStamp | None = None  # the file before it was read, if nobody was writing it


def keys(values) -> str:
    """The parameter for IN_KEYS."""
    return json.dumps(list(values))


# -- opening ------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStamp:
    """A source file nobody is writing (no -wal beside it), as it was before it was read:
    while it is unchanged, its rows can be copied straight from the file (`url`)."""

    url: str
    size: int
    modified_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        if os.path.exists(f"{path}-wal"):
            return None
        try:
            found = os.stat(path)
        except OSError:
            return None
        return cls(_read_only_url(path, immutable=True), found.st_size, found.st_mtime_ns)


def _read_only_url(path: Path, *, immutable: bool) -> str:
    """The file as a read-only SQLite URI; `immutable`: nobody writes it, so SQLite reads it
    without -shm/-wal files."""
    url = f"file:{pathname2url(str(Path(path).resolve()))}?mode=ro"
    return url + "&immutable=1" if immutable else url


@contextlib.contextmanager
def open_source(path: Path) -> Iterator[sqlite3.Connection]:
    """The one place a source file is opened. Read-only, and `immutable` unless a -wal file
    shows the database is in use, so merging leaves no -wal/-shm files beside the source.
    Raises SourceError for anything that is not a leadcap database this version reads."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            header = handle.read(16)
    except OSError as error:
        raise SourceError(f"cannot read {path} ({error.strerror})") from None
    if header != SQLITE_HEADER:
        raise SourceError(f"{path} is not a leadcap database (not an SQLite file); skipped")
    url = _read_only_url(path, immutable=not os.path.exists(f"{path}-wal"))
    try:
        conn = sqlite3.connect(url, uri=True)
    except sqlite3.Error as error:
        raise SourceError(f"cannot open {path} ({error}); skipped") from None
    try:
        try:
            applied = _check_schema(conn, path)
            strange = foreign.check_schema(conn, path, applied)
            if strange:
                raise SourceError(strange)
            with foreign.reading(conn):
                yield conn
        except foreign.TooSlow as error:
            raise SourceError(f"{path}: {error}; skipped. Ask for a fresh copy") from None
        except sqlite3.DatabaseError as error:
            raise SourceError(
                f"{path} is damaged or only partly copied (SQLite says: {error}); skipped."
                " Copy it again from the other laptop"
            ) from None
    finally:
        conn.close()


def _check_schema(conn: sqlite3.Connection, path: Path) -> set[str]:
    from leadcap.store.migrations import applied_names, unknown_names

    applied = applied_names(conn)
    if not applied:
        raise SourceError(f"{path} is an SQLite file but not a leadcap database; skipped")
    unknown = unknown_names(applied)
    if unknown:
        raise SourceError(
            f"{path} was written by a newer leadcap (schema {sorted(unknown)[-1]}); skipped."
            " Upgrade leadcap on this laptop (python -m pip install -U leadcap) and merge again"
        )
    if "m002_sync_and_privacy" not in applied:
        raise SourceError(
            f"{path} was written by an older leadcap; skipped. Open it once with this"
            " version (leadcap --db FILE list) to upgrade it, then merge again"
        )
    return applied


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def read_header(conn: sqlite3.Connection) -> Header:
    """A database's header rows: identity, device, event, last change and consent rows,
    tombstone and alias counts. Works on this laptop's store as on a source file."""
    identity, device = None, ""
    if "database_identity" in _tables(conn):
        row = conn.execute("SELECT uid, device FROM database_identity WHERE id = 1").fetchone()
        if row:
            identity, device = row[0], row[1] or ""
    event = conn.execute("SELECT value FROM settings WHERE key = 'event'").fetchone()
    change = conn.execute("SELECT id, uid FROM changes ORDER BY id DESC LIMIT 1").fetchone()
    consent = conn.execute(
        "SELECT id, uid FROM consent_records ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return Header(
        identity=identity,
        device=device,
        event=_json_text(event[0]) if event else None,
        change_id=change[0] if change else 0,
        change_uid=change[1] if change else None,
        consent_id=consent[0] if consent else 0,
        consent_uid=consent[1] if consent else None,
        tombstones=conn.execute("SELECT COUNT(*) FROM tombstones").fetchone()[0],
        aliases=conn.execute("SELECT COUNT(*) FROM lead_aliases").fetchone()[0],
    )


def _json_text(value: str) -> str | None:
    try:
        found = json.loads(value)
    except ValueError:
        return value
    return str(found) if found else None


# -- how far a source was merged ------------------------------------------------------


def stored_mark(conn: sqlite3.Connection, header: Header) -> tuple | None:
    """The position (Header.position()) this database merged `header`'s source up to."""
    if header.identity is None:
        return None
    row = conn.execute(
        "SELECT change_id, change_uid, consent_id, consent_uid, tombstones, aliases"
        " FROM merge_marks WHERE source_uid = ? AND source_device = ?",
        [header.identity, header.device],
    ).fetchone()
    return tuple(row) if row else None


def save_mark(conn: sqlite3.Connection, header: Header, at: str, own_change_id: int) -> None:
    """Remember how far `header`'s source was merged, and how far this database's own change
    log reached when the merge began (`local_identities` reads on from there)."""
    if header.identity is None:
        return
    conn.execute(
        "INSERT INTO merge_marks (source_uid, source_device, change_id, change_uid, consent_id,"
        " consent_uid, tombstones, aliases, merged_at, own_change_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(source_uid, source_device) DO UPDATE SET change_id = excluded.change_id,"
        " change_uid = excluded.change_uid, consent_id = excluded.consent_id,"
        " consent_uid = excluded.consent_uid, tombstones = excluded.tombstones,"
        " aliases = excluded.aliases, merged_at = excluded.merged_at,"
        " own_change_id = excluded.own_change_id",
        [header.identity, header.device, *header.position(), at, own_change_id],
    )


def last_change_id(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]


def local_identities(
    conn: sqlite3.Connection, header: Header, device: str, up_to: int
) -> tuple[set[str], set[str]]:
    """The badge ids and e-mails of leads this laptop's own commands changed (captured,
    edited, deleted, restored) since the last merge of `header`'s source: such a lead may
    now be the same person as one of the source's leads, although the source has nothing
    new, or as a lead this laptop has from another. Rows a merge brought in carry their
    own laptop's device and are left out. Without a mark (a first merge, or a source
    without identity): since the start."""
    mark = conn.execute(
        "SELECT own_change_id FROM merge_marks WHERE source_uid = ? AND source_device = ?",
        [header.identity, header.device],
    ).fetchone()
    changed = conn.execute(
        "SELECT DISTINCT coalesce(a.lead_uuid, c.lead_uuid) FROM changes c"
        " LEFT JOIN lead_aliases a ON a.alias_uuid = c.lead_uuid"
        " WHERE c.device = ? AND c.id > ? AND c.id <= ?",
        [device, mark[0] if mark else 0, up_to],
    ).fetchall()
    if not changed:
        return set(), set()
    found = conn.execute(
        f"SELECT badge_norm, email_norm FROM leads WHERE uuid {IN_KEYS}",
        [keys(r[0] for r in changed)],
    ).fetchall()
    return {b for b, _e in found if b}, {e for _b, e in found if e}


def leads_matching(conn: sqlite3.Connection, badges: set[str], emails: set[str]) -> set[str]:
    """The uuids of a source's leads with one of these badge ids or e-mails."""
    found: set[str] = set()
    for column, values in (("badge_norm", badges), ("email_norm", emails)):
        if values:
            rows = conn.execute(f"SELECT uuid FROM leads WHERE {column} {IN_KEYS}", [keys(values)])
            found |= {r[0] for r in rows}
    return found


def resume_point(conn: sqlite3.Connection, mark: tuple | None) -> tuple[int, int] | None:
    """Where to read on from: the marked change and consent rows, if the source still holds
    them unchanged. None (read everything) when the source was restored or rewound: a
    marked row gone, or another row under its id."""
    if mark is None:
        return None
    change_id, change_uid, consent_id, consent_uid = mark[:4]
    for table, row_id, uid in (
        ("changes", change_id, change_uid),
        ("consent_records", consent_id, consent_uid),
    ):
        if row_id:
            found = conn.execute(f"SELECT uid FROM {table} WHERE id = ?", [row_id]).fetchone()
            if found is None or found[0] != uid:
                return None
    return change_id, consent_id


# -- reading ------------------------------------------------------------------------


def read_source(path: Path) -> Source:
    """Read a whole leadcap file read-only. Raises SourceError for anything that is not one."""
    path = Path(path)
    with open_source(path) as conn:
        return read_rows(conn, path, read_header(conn), since=None, known_aliases={})


def read_rows(
    conn: sqlite3.Connection,
    path: Path,
    header: Header,
    *,
    since: tuple[int, int] | None,
    known_aliases: dict[str, str],
    known_cards: set[str] | frozenset[str] = frozenset(),
    also: set[str] | frozenset[str] = frozenset(),
) -> Source:
    """The source's rows (`_rows`) and the card images not in `known_cards`, with rows
    holding values no leadcap writes set aside and listed in `rejected`. `also`: lead
    uuids to read with their rows although their log did not grow."""
    source = _rows(conn, path, header, since=since, known_aliases=known_aliases, also=also)
    source.cards = read_cards(conn, known_cards)
    source.questions = read_questions(conn)
    if "lead_answers" in _tables(conn):
        source.answers = _answers(conn, list(source.leads))
    source.rejected = foreign.set_aside_bad_rows(source)
    return source


def read_cards(conn: sqlite3.Connection, known: set[str] | frozenset[str]) -> list[tuple]:
    """The source's card rows whose uid is not `known` (images are large: the uids are
    read first, then only the missing rows). Cards are read whatever the merge mark says:
    a card attached without a field change moves no mark."""
    if "cards" not in _tables(conn):
        return []
    missing = [r[0] for r in conn.execute("SELECT uid FROM cards") if r[0] not in known]
    if not missing:
        return []
    return conn.execute(
        f"SELECT {CARD_COLUMNS} FROM cards WHERE uid {IN_KEYS}", [keys(missing)]
    ).fetchall()


def read_questions(conn: sqlite3.Connection) -> list[tuple]:
    """Every question row: they are event settings, few, and change without moving the
    merge mark (a question's edit is no change-log row), so always read whole."""
    from leadcap.store.questions import COLUMNS

    if "questions" not in _tables(conn):
        return []
    return conn.execute(f"SELECT {COLUMNS} FROM questions").fetchall()


def _answers(conn: sqlite3.Connection, uuids: list[str]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for lead_uuid, question, value in conn.execute(
        "SELECT l.uuid, a.question, a.value FROM lead_answers a JOIN leads l ON l.id = a.lead_id"
        f" WHERE l.uuid {IN_KEYS}",
        [keys(uuids)],
    ):
        found.setdefault(lead_uuid, []).append((question, value))
    return found


def _rows(
    conn: sqlite3.Connection,
    path: Path,
    header: Header,
    *,
    since: tuple[int, int] | None,
    known_aliases: dict[str, str],
    also: set[str] | frozenset[str] = frozenset(),
) -> Source:
    """The source's rows: all of them, or (with `since`) the change and consent rows past
    it and what the leads they touch need. Tombstones and aliases are few: always read."""
    applied = {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")}
    seq = "seq" if "m003_merge" in applied else "NULL"
    aliases = conn.execute("SELECT alias_uuid, lead_uuid, linked_at FROM lead_aliases").fetchall()
    tombstones = conn.execute("SELECT hash, salt, kind, forgotten_at FROM tombstones").fetchall()
    if since is None:
        leads = _lead_rows(conn, "SELECT * FROM leads", [])
        return Source(
            tags=_tags(conn, "1", []),
            path=path,
            leads=leads,
            changes=conn.execute(f"SELECT {CHANGE_COLUMNS}, {seq} FROM changes").fetchall(),
            consent=conn.execute(f"SELECT {CONSENT_COLUMNS} FROM consent_records").fetchall(),
            visits=conn.execute("SELECT lead_uuid, device, count, last_at FROM visits").fetchall(),
            aliases=aliases,
            tombstones=tombstones,
            header=header,
        )
    changes = conn.execute(
        f"SELECT {CHANGE_COLUMNS}, {seq} FROM changes WHERE id > ? ORDER BY id", [since[0]]
    ).fetchall()
    consent = conn.execute(
        f"SELECT {CONSENT_COLUMNS} FROM consent_records WHERE id > ? ORDER BY id", [since[1]]
    ).fetchall()
    undo_batches = sorted({c[1] for c in changes if c[9] == "undo"})
    undone = []
    if undo_batches:
        undone = conn.execute(
            f"SELECT undone_by, uid FROM changes WHERE id <= ? AND undone_by {IN_KEYS}",
            [since[0], keys(undo_batches)],
        ).fetchall()
    touched = {c[2] for c in changes} | {c[1] for c in consent} | set(also)
    # A link the source made that this laptop lacks brings both ends along.
    for alias, target, _at in aliases:
        if alias in touched or target in touched or known_aliases.get(alias) != target:
            touched |= {alias, target}
    wanted = keys(touched)
    leads = _lead_rows(conn, f"SELECT * FROM leads WHERE uuid {IN_KEYS}", [wanted])
    visits = conn.execute(
        f"SELECT lead_uuid, device, count, last_at FROM visits WHERE lead_uuid {IN_KEYS}",
        [wanted],
    ).fetchall()
    return Source(
        path=path,
        leads=leads,
        changes=changes,
        consent=consent,
        visits=visits,
        aliases=aliases,
        tombstones=tombstones,
        header=header,
        full=False,
        undone=undone,
        tags=_tags(conn, f"l.uuid {IN_KEYS}", [wanted]),
    )


def _lead_rows(conn: sqlite3.Connection, sql: str, params: list) -> dict[str, dict]:
    """Lead rows as dicts by uuid. Zipping with the column names is about twice as quick as
    dicts of sqlite3.Row, which shows on a first merge of thousands of leads."""
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    rows = (dict(zip(names, row, strict=True)) for row in cursor)
    return {row["uuid"]: row for row in rows}


def _tags(conn: sqlite3.Connection, where: str, params: list) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for lead_uuid, name in conn.execute(
        "SELECT l.uuid, t.name FROM lead_tags lt JOIN tags t ON t.id = lt.tag_id"
        f" JOIN leads l ON l.id = lt.lead_id WHERE {where}",
        params,
    ):
        found.setdefault(lead_uuid, []).append(name)
    return found
