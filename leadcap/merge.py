"""Merging another laptop's database into this one.

The change log is the source of truth. A merge takes the union of both sides' change
rows (by uid), consent records (by uid), per-device visit counters (max per device),
aliases and tombstones, and then recomputes every affected lead from that union: each
field takes its latest change by (UTC time, device, the device's own order, uid). Because
the result depends only on the union, merging is idempotent, order-independent and
symmetric. Notes are the exception: their lines are united rather than overwritten.

The source file is opened read-only and never changed."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import pathname2url

from leadcap import model, tombstones
from leadcap.errors import LeadcapError
from leadcap.leads import _derived, _set_tags
from leadcap.store import Store

CHANGE_COLUMNS = (
    "uid, batch, lead_uuid, field, old_value, new_value, staff, device, changed_at,"
    " command, undone_by"
)
CONSENT_COLUMNS = (
    "uid, lead_uuid, purpose, status, recorded_at, staff, device, method, text_version"
)
# Fields whose latest change wins (notes are united instead).
LWW_FIELDS = tuple(f for f in model.EDITABLE_FIELDS if f != "notes") + ("rating",)
ORIGIN_COLUMNS = ("captured_by", "device", "captured_at", "captured_utc", "source", "raw_payload")
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
        return _read(conn, path)
    except sqlite3.DatabaseError as error:
        raise SourceError(
            f"{path} is damaged or only partly copied (SQLite says: {error}); skipped."
            " Copy it again from the other laptop"
        ) from None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, path: Path) -> Source:
    from leadcap.migrations import applied_names, unknown_names

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
    report = MergeReport(source.path, dry_run=dry_run)
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


_UTC_CACHE: dict[str, str] = {}


def utc_key(timestamp: str | None) -> str:
    """An ISO time with any offset as a comparable UTC string."""
    if not timestamp:
        return ""
    found = _UTC_CACHE.get(timestamp)
    if found is None:
        moment = datetime.fromisoformat(timestamp)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        found = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        if len(_UTC_CACHE) < 200_000:
            _UTC_CACHE[timestamp] = found
    return found


def change_key(change: tuple) -> tuple:
    """(UTC time, device, the device's own order, uid): the same on every laptop."""
    uid, device, changed_at, seq = change[0], change[1], change[2], change[3]
    return (utc_key(changed_at), device or "", seq or 0, uid)


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
        from leadcap.privacy import forget_lead

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
        badges = {}
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
            columns = ", ".join(new_row)
            marks = ", ".join("?" for _ in new_row)
            lead_id = conn.execute(
                f"INSERT INTO leads ({columns}) VALUES ({marks})", list(new_row.values())
            ).lastrowid
            _set_tags(self.store, lead_id, new_tags)
            if not any(u in self.ours for u in members):
                self.report.added += 1
                self.report.added_uuids.append(canonical)
        else:
            differs = {k: v for k, v in new_row.items() if not _same(k, old.get(k), v)}
            old_tags = sorted(t.casefold() for t in data["tags"].get(canonical, []))
            if differs:
                assignments = ", ".join(f"{k} = ?" for k in differs)
                conn.execute(
                    f"UPDATE leads SET {assignments} WHERE id = ?", [*differs.values(), old["id"]]
                )
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


def lead_state(
    store: Store,
    base: dict,
    rows: list[dict],
    changes: list[tuple],
    consent: list[tuple],
    visits: list[int],
    current_tags: list[str],
) -> tuple[dict, list[str]]:
    """A lead's row and tags from its united history. `base` is the canonical lead's row
    (for what was never logged: origin, event default); `rows` every copy of the person
    on both sides, canonical first; `changes` (uid, device, changed_at, seq, field, old,
    new); `consent` (uid, device, recorded_at, purpose, status)."""
    changes = sorted(changes, key=change_key)
    latest: dict[str, str | None] = {}
    tag_events: dict[str, tuple[bool, str]] = {}
    deleted_at = base.get("deleted_at")
    review_key = field_key = None
    for change in changes:
        name, old, new = change[4], change[5], change[6]
        if name == "created":
            deleted_at = None
        elif name == "deleted":
            deleted_at = change[2] if new == "true" else None
        elif name == "tags":
            before = {t.casefold(): t for t in json.loads(old or "[]")}
            after = {t.casefold(): t for t in json.loads(new or "[]")}
            for folded in after.keys() - before.keys():
                tag_events[folded] = (True, after[folded])
            for folded in before.keys() - after.keys():
                tag_events[folded] = (False, before[folded])
        elif name == "review_reasons":
            review_key = change_key(change)
        elif name in LWW_FIELDS:
            latest[name] = new
        if name in model.LEAD_FIELDS:
            field_key = change_key(change)
    fields = {}
    for name in LWW_FIELDS:
        if name in latest:
            fields[name] = latest[name]
        else:
            fields[name] = next((r[name] for r in rows if r.get(name) is not None), None)
    fields["notes"] = merge_notes([r.get("notes") for r in rows])
    if tag_events:
        tags = sorted((name for present, name in tag_events.values() if present), key=str.casefold)
    else:
        tags = list(current_tags)
    state = json.loads(base.get("consent") or "{}")
    for _uid, _device, _at, purpose, status in sorted(
        consent, key=lambda c: (utc_key(c[2]), c[1] or "", c[0])
    ):
        state[purpose] = status
    order = [p for p in model.CONSENT_PURPOSES if p in state] + sorted(
        p for p in state if p not in model.CONSENT_PURPOSES
    )
    reviewed_last = review_key is not None and (field_key is None or review_key > field_key)
    kept: list[str] = []
    if review_key is None:
        for row in rows:
            for reason in json.loads(row.get("review_reasons") or "[]"):
                if reason not in kept:
                    kept.append(reason)
    derived = _derived(store, fields, kept)
    if reviewed_last:
        derived["review_reasons"], derived["needs_review"] = "[]", 0
    row = {
        "uuid": base["uuid"],
        **fields,
        "consent": json.dumps({p: state[p] for p in order}),
        **{column: base.get(column) for column in ORIGIN_COLUMNS},
        "updated_at": max(changes, key=change_key)[2] if changes else base["updated_at"],
        "visits": sum(visits) if visits else base.get("visits") or 1,
        "deleted_at": deleted_at,
        **derived,
    }
    if row["status"] is None:
        row["status"] = "new"
    return row, tags


_NOTE_START = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2})[^\]]*\] ")


def note_entries(notes: str | None) -> list[str]:
    """Notes split into appended entries: a stamped line starts one, other lines continue
    the one before (a note may span lines)."""
    entries: list[str] = []
    for line in (notes or "").split("\n"):
        if entries and not _NOTE_START.match(line):
            entries[-1] += "\n" + line
        else:
            entries.append(line)
    return entries


def merge_notes(texts: list[str | None]) -> str | None:
    """The union of the entries of several copies of a lead's notes, each copy's order
    kept, ordered by stamp where copies differ, without duplicates. The result does not
    depend on the order of `texts`, and one copy comes back unchanged."""
    lists = [note_entries(t) for t in dict.fromkeys(t for t in texts if t)]
    if not lists:
        return None
    if len(lists) == 1:
        return "\n".join(lists[0])
    positions, merged, seen = [0] * len(lists), [], set()
    while True:
        heads = [lst[i] for lst, i in zip(lists, positions, strict=True) if i < len(lst)]
        if not heads:
            break
        entry = min(heads, key=_note_order)
        for n, lst in enumerate(lists):
            if positions[n] < len(lst) and lst[positions[n]] == entry:
                positions[n] += 1
        if entry not in seen:
            seen.add(entry)
            merged.append(entry)
    return "\n".join(merged)


def _note_order(entry: str) -> tuple[str, str]:
    found = _NOTE_START.match(entry)
    return (found.group(1) if found else "", entry)
