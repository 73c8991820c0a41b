"""Merging another laptop's database into this one.

The change log is the source of truth. A merge takes the union of both sides' change
rows (by uid), consent records (by uid), per-device visit counters (max per device),
aliases and tombstones, and then recomputes every affected lead from that union: each
field takes its latest change by (UTC time, device, the device's own order, uid). Because
the result depends only on the union, merging is idempotent, order-independent and
symmetric. Notes are the exception: their lines are united rather than overwritten.
This module reads the source and unites the tables; `leadcap.laptops.replay` works out each
lead from the united log.

The source file is opened read-only and never changed."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import pathname2url

from leadcap.errors import LeadcapError
from leadcap.laptops import foreign
from leadcap.laptops.replay import change_key, lead_state

# Re-exported: callers and tests have always found these here.
from leadcap.laptops.replay import merge_notes as merge_notes
from leadcap.laptops.replay import note_entries as note_entries
from leadcap.store import tombstones
from leadcap.store.database import Store
from leadcap.store.leads import _set_tags, insert_lead_row, update_lead_row

CHANGE_COLUMNS = (
    "uid, batch, lead_uuid, field, old_value, new_value, staff, device, changed_at,"
    " command, undone_by"
)
CONSENT_COLUMNS = (
    "uid, lead_uuid, purpose, status, recorded_at, staff, device, method, text_version"
)
SQLITE_HEADER = b"SQLite format 3\x00"


class SourceError(LeadcapError):
    """A file that cannot be merged (not leadcap, damaged, too new); nothing was changed."""


@dataclass
class MergeReport:
    source: Path
    added: int = 0
    updated: int = 0
    linked: int = 0
    forgotten_skipped: int = 0
    erased: int = 0
    new_changes: int = 0
    dry_run: bool = False
    added_uuids: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # source rows with bad values, skipped

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.linked or self.erased or self.new_changes)

    def as_dict(self) -> dict:
        return {
            "source": str(self.source),
            "added": self.added,
            "updated": self.updated,
            "linked": self.linked,
            "forgotten_skipped": self.forgotten_skipped,
            "erased": self.erased,
            "new_changes": self.new_changes,
            "dry_run": self.dry_run,
            "rejected": self.rejected,
        }


@dataclass
class Source:
    """Everything merge needs from the other laptop's file, read once."""

    path: Path
    leads: dict[str, dict]
    changes: list[tuple]  # CHANGE_COLUMNS + seq
    consent: list[tuple]
    visits: list[tuple]
    aliases: list[tuple]
    tombstones: list[tuple]
    rejected: list[str] = field(default_factory=list)


# -- reading the source -------------------------------------------------------------


def read_source(path: Path) -> Source:
    """Read a leadcap file read-only. Raises SourceError for anything that is not one."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            header = handle.read(16)
    except OSError as error:
        raise SourceError(f"cannot read {path} ({error.strerror})") from None
    if header != SQLITE_HEADER:
        raise SourceError(f"{path} is not a leadcap database (not an SQLite file); skipped")
    try:
        conn = sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise SourceError(f"cannot open {path} ({error}); skipped") from None
    try:
        with foreign.reading(conn):
            source = _read(conn, path)
        source.rejected = foreign.set_aside_bad_rows(source)
        return source
    except foreign.TooSlow as error:
        raise SourceError(f"{path}: {error}; skipped. Ask for a fresh copy") from None
    except sqlite3.DatabaseError as error:
        raise SourceError(
            f"{path} is damaged or only partly copied (SQLite says: {error}); skipped."
            " Copy it again from the other laptop"
        ) from None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, path: Path) -> Source:
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
    strange = foreign.check_schema(conn, path, applied)
    if strange:
        raise SourceError(strange)
    seq = "seq" if "m003_merge" in applied else "NULL"
    conn.row_factory = sqlite3.Row
    leads = {row["uuid"]: dict(row) for row in conn.execute("SELECT * FROM leads")}
    conn.row_factory = None
    return Source(
        path=path,
        leads=leads,
        changes=conn.execute(f"SELECT {CHANGE_COLUMNS}, {seq} FROM changes").fetchall(),
        consent=conn.execute(f"SELECT {CONSENT_COLUMNS} FROM consent_records").fetchall(),
        visits=_all(conn, "SELECT lead_uuid, device, count, last_at FROM visits"),
        aliases=_all(conn, "SELECT alias_uuid, lead_uuid, linked_at FROM lead_aliases"),
        tombstones=_all(conn, "SELECT hash, salt, kind, forgotten_at FROM tombstones"),
    )


def _all(conn: sqlite3.Connection, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


# -- merging ------------------------------------------------------------------------


class _DryRun(Exception):
    pass


def merge_file(store: Store, path: Path, *, dry_run: bool = False) -> MergeReport:
    """Merge one other laptop's file into the store, in one transaction. With `dry_run`
    the same work is done and rolled back, so the report says exactly what would happen."""
    path = Path(path)
    if path.exists() and store.path.exists() and path.resolve() == store.path.resolve():
        raise SourceError(f"{path} is this laptop's own database; skipped")
    source = read_source(path)
    return merge_source(store, source, dry_run=dry_run)


def merge_source(store: Store, source: Source, *, dry_run: bool = False) -> MergeReport:
    report = MergeReport(source.path, dry_run=dry_run, rejected=list(source.rejected))
    try:
        with store.transaction():
            _Merge(store, source, report).run()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    if report.erased and not dry_run:
        # Erased rows must not survive in the write-ahead log either.
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return report


class _UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        while parent != item:
            grand = self.parent[parent]
            self.parent[item] = grand
            item, parent = parent, grand
        return item

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


class _Merge:
    def __init__(self, store: Store, source: Source, report: MergeReport):
        self.store, self.conn, self.source, self.report = store, store.conn, source, report

    def run(self) -> None:
        self.load_ours()
        skipped = self.apply_tombstones()
        incoming = {u: row for u, row in self.source.leads.items() if u not in skipped}
        affected = self.union_rows(skipped)
        affected |= {u for u in incoming if u not in self.ours}
        groups = self.group(incoming)
        self.recompute(groups, incoming, affected)

    def load_ours(self) -> None:
        self.conn.row_factory = sqlite3.Row
        try:
            self.ours = {
                row["uuid"]: dict(row)
                for row in self.conn.execute(
                    "SELECT uuid, event, email_norm, badge_norm, captured_utc FROM leads"
                )
            }
        finally:
            self.conn.row_factory = None
        self.our_aliases = dict(
            self.conn.execute("SELECT alias_uuid, lead_uuid FROM lead_aliases").fetchall()
        )

    # -- tombstones ---------------------------------------------------------------
    def apply_tombstones(self) -> set[str]:
        """Merge the tombstones; erase our leads that a new one matches. Returns the
        source's uuids not to bring in (forgotten people and their aliases)."""
        known = {r[0] for r in self.conn.execute("SELECT hash FROM tombstones")}
        new = [t for t in self.source.tombstones if t[0] not in known]
        self.conn.executemany(
            "INSERT OR IGNORE INTO tombstones (hash, salt, kind, forgotten_at) VALUES (?, ?, ?, ?)",
            new,
        )
        hashes = known | {t[0] for t in new}
        if not hashes:
            return set()
        salts = sorted({r[0] for r in self.conn.execute("SELECT DISTINCT salt FROM tombstones")})

        def forgotten(row: dict) -> bool:
            pairs = [("email", row.get("email_norm")), ("badge", row.get("badge_norm"))]
            return any(
                tombstones.digest(s, kind, value) in hashes
                for s in salts
                for kind, value in pairs
                if value
            )

        skipped = {u for u, row in self.source.leads.items() if forgotten(row)}
        self.report.forgotten_skipped = len(skipped)
        skipped |= {alias for alias, target, _at in self.source.aliases if target in skipped}
        if new:
            doomed = {u for u, row in self.ours.items() if forgotten(row)}
            doomed |= {a for a, target in self.our_aliases.items() if target in doomed}
            erased = self.erase(doomed)
            skipped |= doomed | erased
        return skipped

    def erase(self, doomed: set[str]) -> set[str]:
        """Forget our copies of people forgotten on the other laptop, the way `leadcap
        forget` does (every row, aliases, same e-mail or badge). Returns the uuids erased."""
        from leadcap.store.erasure import forget_lead

        erased: set[str] = set()
        at = self.store.now().isoformat()
        rows = 0
        for lead_uuid in sorted(doomed):
            row = self.ours.get(lead_uuid)
            if lead_uuid in erased or row is None:
                continue
            person = {"uuid": lead_uuid, "email": row["email_norm"], "badge_id": row["badge_norm"]}
            forgotten = forget_lead(self.store, person, at=at)
            erased |= set(forgotten.lead_uuids)
            rows += len(forgotten.lead_ids)
        self.report.erased = rows
        for lead_uuid in erased | doomed:
            self.ours.pop(lead_uuid, None)
            self.our_aliases.pop(lead_uuid, None)
        return erased

    # -- union of the append-only tables ---------------------------------------------
    def union_rows(self, skipped: set[str]) -> set[str]:
        """Insert what the source has and we lack. Returns the lead uuids touched."""
        conn, src = self.conn, self.source
        affected: set[str] = set()
        have = {r[0] for r in conn.execute("SELECT uid FROM changes")}
        new = [c for c in src.changes if c[0] not in have and c[2] not in skipped]
        conn.executemany(
            f"INSERT INTO changes ({CHANGE_COLUMNS}, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", new
        )
        # A command undone on its own laptop: carry the mark so the copies agree.
        undone = [(c[10], c[0]) for c in src.changes if c[10] and c[0] in have]
        conn.executemany(
            "UPDATE changes SET undone_by = ? WHERE uid = ? AND undone_by IS NULL", undone
        )
        self.report.new_changes = len(new)
        affected |= {c[2] for c in new}

        have = {r[0] for r in conn.execute("SELECT uid FROM consent_records")}
        new = [c for c in src.consent if c[0] not in have and c[1] not in skipped]
        conn.executemany(
            f"INSERT INTO consent_records ({CONSENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", new
        )
        affected |= {c[1] for c in new}

        # Each device only counts its own visits, so the larger count is the newer one.
        ours = {(u, d): (n, at) for u, d, n, at in conn.execute("SELECT * FROM visits")}
        raised = []
        for lead_uuid, device, count, last_at in src.visits:
            if lead_uuid in skipped:
                continue
            mine = ours.get((lead_uuid, device))
            if mine is None or count > mine[0] or (last_at or "") > (mine[1] or ""):
                raised.append((lead_uuid, device, count, last_at))
        conn.executemany(
            "INSERT INTO visits (lead_uuid, device, count, last_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(lead_uuid, device) DO UPDATE SET count = max(count, excluded.count),"
            " last_at = max(coalesce(last_at, ''), coalesce(excluded.last_at, ''))",
            raised,
        )
        affected |= {v[0] for v in raised}
        self.source_aliases = [
            (a, t) for a, t, _at in src.aliases if a not in skipped and t not in skipped
        ]
        for alias, target in self.source_aliases:
            if self.our_aliases.get(alias) != target:
                affected |= {alias, target}
        return affected

    # -- who is the same person ----------------------------------------------------
    def group(self, incoming: dict[str, dict]) -> dict[str, list[str]]:
        """Leads of both sides that are one person: recorded aliases, and among live leads
        of the same event the same badge id, else the same e-mail (if one has no badge)."""
        found = _UnionFind()
        for alias, target in [*self.our_aliases.items(), *self.source_aliases]:
            found.union(alias, target)
        rows = [*self.ours.values(), *incoming.values()]
        by_badge: dict[tuple, set[str]] = defaultdict(set)
        by_email: dict[tuple, set[str]] = defaultdict(set)
        for row in rows:
            found.find(row["uuid"])
            if row["badge_norm"]:
                by_badge[(row["event"], row["badge_norm"])].add(row["uuid"])
            if row["email_norm"]:
                by_email[(row["event"], row["email_norm"])].add(row["uuid"])
        badges: dict[str, set[str]] = {}
        for row in rows:
            badges.setdefault(row["uuid"], set())
            if row["badge_norm"]:
                badges[row["uuid"]].add(row["badge_norm"])
        buckets = [b for b in by_badge.values() if len(b) > 1]
        buckets += [b for b in by_email.values() if len(b) > 1]
        deleted = self.deleted_uuids({u for b in buckets for u in b})
        for bucket in by_badge.values():
            live = sorted(bucket - deleted)
            for other in live[1:]:
                found.union(live[0], other)
        for bucket in by_email.values():
            live = sorted(bucket - deleted)
            badgeless = [u for u in live if not badges.get(u)]
            for other in live if badgeless else ():
                found.union(badgeless[0], other)
        groups: dict[str, list[str]] = defaultdict(list)
        for item in list(found.parent):
            groups[found.find(item)].append(item)
        return groups

    def deleted_uuids(self, candidates: set[str]) -> set[str]:
        """Which of these leads are deleted, judged from the united change log alone (so
        both laptops judge alike). A deleted duplicate is not folded into the live lead."""
        if not candidates:
            return set()
        self._fill_temp(candidates)
        latest: dict[str, tuple] = {}
        for lead_uuid, uid, device, at, seq, fld, new in self.conn.execute(
            "SELECT lead_uuid, uid, device, changed_at, seq, field, new_value FROM changes"
            " WHERE lead_uuid IN (SELECT uuid FROM temp.merge_uuids)"
            " AND field IN ('created', 'deleted')"
        ):
            key = change_key((uid, device, at, seq))
            if lead_uuid not in latest or key > latest[lead_uuid][0]:
                latest[lead_uuid] = (key, fld == "deleted" and new == "true")
        return {u for u, (_key, gone) in latest.items() if gone}

    def _fill_temp(self, uuids) -> None:
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS merge_uuids (uuid TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM temp.merge_uuids")
        self.conn.executemany(
            "INSERT OR IGNORE INTO temp.merge_uuids VALUES (?)", [(u,) for u in uuids]
        )

    # -- recomputing leads -----------------------------------------------------------
    def recompute(self, groups: dict[str, list[str]], incoming: dict, affected: set) -> None:
        todo = []
        for members in groups.values():
            known = [u for u in members if u in self.ours or u in incoming]
            if not known:
                continue  # aliases of leads neither side holds any more
            canonical = min(known, key=lambda u: (_captured(u, self.ours, incoming), u))
            settled = (
                canonical in self.ours
                and all(u not in self.ours for u in members if u != canonical)
                and all(self.our_aliases.get(u) == canonical for u in members if u != canonical)
            )
            if settled and not affected.intersection(members):
                continue
            todo.append((canonical, sorted(members)))
        if not todo:
            return
        self._fill_temp({u for _c, members in todo for u in members})
        data = self._load_group_data()
        now = self.store.now().isoformat()
        for canonical, members in todo:
            self._write_group(canonical, members, incoming, data, now)

    def _load_group_data(self) -> dict:
        conn = self.conn
        inside = "IN (SELECT uuid FROM temp.merge_uuids)"
        changes, consent, visits = defaultdict(list), defaultdict(list), defaultdict(list)
        for row in conn.execute(
            "SELECT lead_uuid, uid, device, changed_at, seq, field, old_value, new_value"
            f" FROM changes WHERE lead_uuid {inside}"
        ):
            changes[row[0]].append(row[1:])
        for row in conn.execute(
            "SELECT lead_uuid, uid, device, recorded_at, purpose, status"
            f" FROM consent_records WHERE lead_uuid {inside}"
        ):
            consent[row[0]].append(row[1:])
        for lead_uuid, count in conn.execute(
            f"SELECT lead_uuid, count FROM visits WHERE lead_uuid {inside}"
        ):
            visits[lead_uuid].append(count)
        conn.row_factory = sqlite3.Row
        try:
            found = conn.execute(f"SELECT * FROM leads WHERE uuid {inside}")
            rows = {r["uuid"]: dict(r) for r in found}
        finally:
            conn.row_factory = None
        tags = defaultdict(list)
        for lead_uuid, name in conn.execute(
            "SELECT l.uuid, t.name FROM lead_tags lt JOIN tags t ON t.id = lt.tag_id"
            f" JOIN leads l ON l.id = lt.lead_id WHERE l.uuid {inside}"
        ):
            tags[lead_uuid].append(name)
        return dict(changes=changes, consent=consent, visits=visits, rows=rows, tags=tags)

    def _write_group(self, canonical, members, incoming, data, now) -> None:
        ours_rows = data["rows"]
        ordered = sorted(members, key=lambda u: (_captured(u, self.ours, incoming), u))
        rows = [r for u in ordered for r in (ours_rows.get(u), incoming.get(u)) if r]
        base = ours_rows.get(canonical) or incoming[canonical]
        changes = [c for u in members for c in data["changes"][u]]
        consent = [c for u in members for c in data["consent"][u]]
        visits = [n for u in members for n in data["visits"][u]]
        new_row, new_tags = lead_state(
            self.store, base, rows, changes, consent, visits, data["tags"].get(canonical, [])
        )
        conn = self.conn
        gone = [u for u in members if u != canonical and u in ours_rows]
        if gone:
            marks = ", ".join("?" for _ in gone)
            conn.execute(f"DELETE FROM leads WHERE uuid IN ({marks})", gone)
        old = ours_rows.get(canonical)
        if old is None:
            lead_id = insert_lead_row(conn, new_row)
            _set_tags(self.store, lead_id, new_tags)
            if not any(u in self.ours for u in members):
                self.report.added += 1
                self.report.added_uuids.append(canonical)
        else:
            differs = {k: v for k, v in new_row.items() if not _same(k, old.get(k), v)}
            old_tags = sorted(t.casefold() for t in data["tags"].get(canonical, []))
            update_lead_row(conn, old["id"], differs)
            if old_tags != sorted(t.casefold() for t in new_tags):
                _set_tags(self.store, old["id"], new_tags)
            if differs or old_tags != sorted(t.casefold() for t in new_tags):
                self.report.updated += 1
        for alias in members:
            if alias != canonical and self.our_aliases.get(alias) != canonical:
                conn.execute(
                    "INSERT INTO lead_aliases (alias_uuid, lead_uuid, linked_at) VALUES (?, ?, ?)"
                    " ON CONFLICT(alias_uuid) DO UPDATE SET lead_uuid = excluded.lead_uuid",
                    [alias, canonical, now],
                )
                self.our_aliases[alias] = canonical
                self.report.linked += 1


def _captured(lead_uuid: str, ours: dict, incoming: dict) -> str:
    row = ours.get(lead_uuid) or incoming.get(lead_uuid)
    return row["captured_utc"] if row else "~"


def _same(column: str, old, new) -> bool:
    if column in ("consent", "review_reasons") and old is not None and new is not None:
        return json.loads(old) == json.loads(new)
    return old == new
