"""Merging another laptop's database into this one.

The change log is the source of truth. A merge takes the union of both sides' change
rows (by uid), consent records (by uid), per-device visit counters (max per device),
aliases and tombstones, and then recomputes every affected lead from that union: each
field takes its latest change by (UTC time, device, the device's own order, uid). Because
the result depends only on the union, merging is idempotent, order-independent and
symmetric. Notes are the exception: their lines are united rather than overwritten.

Merges are incremental: this database remembers how far each source's change log was
merged (`leadcap.laptops.source`), reads only what is new, and recomputes only the leads
whose log grew. The work is planned before the write lock is taken, and written in short
transactions of a few hundred leads each, so a scan beside a merge never waits long.

Who is the same person is worked out in `leadcap.laptops.people`: two leads captured on the
same laptop are never fused by a merge (staff added them separately; they may be two
people), they are reported as possible duplicates instead.
The source file is opened read-only and never changed."""

from __future__ import annotations

import contextlib
import json
import operator
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from leadcap.laptops.people import People, UnionFind, captured
from leadcap.laptops.replay import answer_state, lead_state, utc_key
from leadcap.laptops.source import (
    CARD_COLUMNS,
    CHANGE_COLUMNS,
    CONSENT_COLUMNS,
    IN_KEYS,
    FileStamp,
    Header,
    Source,
    SourceError,
    keys,
    last_change_id,
    leads_matching,
    local_identities,
    open_source,
    read_header,
    read_rows,
    resume_point,
    save_mark,
    stored_mark,
)
from leadcap.store import tombstones
from leadcap.store.database import Store
from leadcap.store.leads import (
    _set_tags,
    copy_lead_rows,
    insert_lead_row,
    insert_lead_rows,
    tag_id,
    update_lead_row,
    update_search_texts,
)
from leadcap.store.model import fold
from leadcap.store.questions import COLUMNS as QUESTION_COLUMNS
from leadcap.store.questions import write_answer

# Writing takes turns with scans beside the merge: a transaction writes CHUNK people at a
# time until STEP_SECONDS have passed, commits, and pauses PAUSE seconds for waiting
# writers (they try for the lock every 2 ms: Store.transaction). A scan then commits
# within a step and its commit (tests/test_merge_locks.py: at most 0.34 s measured beside
# an 8,000-lead merge); fewer, longer steps save the full-text index work each commit
# repeats (0.2 s steps: 2.6x a plain copy, 0.3 s: 2.45x).
CHUNK = 50
MERGE_CACHE_KIB = 64 * 1024
ATTACHED = "merge_source"  # the source file's schema name while its rows are copied
STEP_SECONDS = 0.3
PAUSE = 0.005


@dataclass
class MergeReport:
    source: Path
    added: int = 0
    updated: int = 0
    linked: int = 0
    forgotten_skipped: int = 0
    erased: int = 0
    new_changes: int = 0
    new_cards: int = 0
    questions: int = 0
    dry_run: bool = False
    unchanged: bool = False  # nothing new since the last merge: skipped after its header
    added_uuids: list[str] = field(default_factory=list)
    # Leads captured on one laptop that look like one person: (lead id, lead id).
    possible_duplicates: list[tuple[int, int]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # source rows with bad values, skipped

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.updated
            or self.linked
            or self.erased
            or self.new_changes
            or self.new_cards
            or self.questions
        )

    def as_dict(self) -> dict:
        return {
            "source": str(self.source),
            "added": self.added,
            "updated": self.updated,
            "linked": self.linked,
            "forgotten_skipped": self.forgotten_skipped,
            "erased": self.erased,
            "new_changes": self.new_changes,
            "new_cards": self.new_cards,
            "questions": self.questions,
            "dry_run": self.dry_run,
            "nothing_new": self.unchanged,
            "possible_duplicates": [list(pair) for pair in self.possible_duplicates],
            "rejected": self.rejected,
        }


def _new_cards(conn, store: Store) -> bool:
    """Whether the source holds card images we lack (its merge mark does not count them)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "cards" not in tables:
        return False
    theirs = {r[0] for r in conn.execute("SELECT uid FROM cards")}
    return bool(theirs - {r[0] for r in store.conn.execute("SELECT uid FROM cards")})


def _new_questions(conn, store: Store) -> bool:
    """Whether the source holds a question version newer than ours (a question's edit
    moves no merge mark)."""
    from leadcap.laptops.source import read_questions

    ours = {fold(r[0]): r for r in store.conn.execute(f"SELECT {QUESTION_COLUMNS} FROM questions")}
    return any(
        fold(row[0]) not in ours or _question_key(row) > _question_key(ours[fold(row[0])])
        for row in read_questions(conn)
    )


def _question_key(row: tuple) -> tuple:
    """Which of two versions of a question is later: UTC time, device, then the content,
    so that both laptops pick the same one."""
    return (utc_key(row[6]), row[7] or "", json.dumps(list(row), ensure_ascii=False))


class OtherEvent(SourceError):
    """The source file belongs to another event."""


def merge_file(
    store: Store,
    path: Path,
    *,
    dry_run: bool = False,
    any_event: bool = False,
    before_write: Callable[[], object] | None = None,
) -> MergeReport:
    """Merge one other laptop's file into the store. Only what is new since the last merge
    of that file is read; a file with nothing new is skipped after its header. With
    `dry_run` the same work is done and rolled back, so the report says exactly what would
    happen. `before_write` runs once before the first write (the automatic backup).
    A file of another event is refused unless `any_event`."""
    path = Path(path)
    if path.exists() and store.path.exists() and path.resolve() == store.path.resolve():
        raise SourceError(f"{path} is this laptop's own database; skipped")
    own_position = last_change_id(store.conn)
    stamp = FileStamp.of(path)
    with open_source(path) as conn:
        header = read_header(conn)
        check_event(store, header, path, any_event=any_event)
        mark = stored_mark(store.conn, header)
        # Leads captured or edited here since the last merge of this file: one may be a
        # person the file has, or one this laptop has from elsewhere.
        local = local_identities(store.conn, header, store.device, own_position)
        also = leads_matching(conn, *local) if mark is not None else set()
        apart = _apart_here(store, *local)
        if (
            mark is not None
            and mark == header.position()
            and not also
            and not any(apart)
            and not _new_cards(conn, store)
            and not _new_questions(conn, store)
        ):
            return MergeReport(path, dry_run=dry_run, unchanged=True)
        since = resume_point(conn, mark)
        known = dict(store.conn.execute("SELECT alias_uuid, lead_uuid FROM lead_aliases"))
        cards = {r[0] for r in store.conn.execute("SELECT uid FROM cards")}
        source = read_rows(
            conn, path, header, since=since, known_aliases=known, known_cards=cards, also=also
        )
    source.stamp = stamp
    return merge_source(
        store,
        source,
        dry_run=dry_run,
        before_write=before_write,
        own_position=own_position,
        local=apart,
    )


def _apart_here(store: Store, badges: set[str], emails: set[str]) -> tuple[set[str], set[str]]:
    """Those of these badge ids and e-mails that two live leads of this database, from
    different laptops, share: people a merge joins whatever the other file holds."""
    found: list[set[str]] = [set(), set()]
    for shared, column, values in ((0, "badge_norm", badges), (1, "email_norm", emails)):
        if values:
            rows = store.conn.execute(
                f"SELECT {column} FROM leads WHERE {column} {IN_KEYS} AND deleted_at IS NULL"
                f" GROUP BY event, {column} HAVING COUNT(DISTINCT coalesce(device, '')) > 1",
                [keys(values)],
            )
            found[shared] = {r[0] for r in rows}
    return found[0], found[1]


def check_event(store: Store, header: Header, path: Path, *, any_event: bool) -> None:
    """Refuse a file of another event (both named) unless `any_event`."""
    ours, theirs = store.event, header.event
    if any_event or not ours or not theirs:
        return
    if str(ours).strip().casefold() != str(theirs).strip().casefold():
        raise OtherEvent(
            f"{path.name} is from the event {theirs!r}, this database is for {ours!r}; skipped."
            " Add --any-event to merge it anyway"
        )


def merge_source(
    store: Store,
    source: Source,
    *,
    dry_run: bool = False,
    before_write: Callable[[], object] | None = None,
    own_position: int | None = None,
    local: tuple[set[str], set[str]] = (set(), set()),
) -> MergeReport:
    """Merge rows already read from a source (`read_source`, `read_rows`). `own_position`:
    this database's last change row when the source was read (kept with the merge mark);
    `local`: badge ids and e-mails shared by leads of this database from different laptops
    (one of them changed here since the last merge), whose people are settled too."""
    report = MergeReport(source.path, dry_run=dry_run, rejected=list(source.rejected))
    if own_position is None:
        own_position = last_change_id(store.conn)
    work = _Merge(store, source, report, own_position)
    work.local_badges, work.local_emails = local
    with _page_cache(store.conn, MERGE_CACHE_KIB):
        work.plan()
        work.write(dry_run=dry_run, before_write=before_write)
    return report


@contextlib.contextmanager
def _page_cache(conn: sqlite3.Connection, kib: int) -> Iterator[None]:
    """A larger page cache while merging: a first merge writes change rows under random
    uids into indexes far larger than SQLite's default 2 MB cache."""
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-kib}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {before}")


class _DryRun(Exception):
    pass


_OUR_COLUMNS = "uuid, id, event, email_norm, badge_norm, captured_utc, device"


class _Merge:
    """Plan (reads only, no write lock), then write in short transactions."""

    def __init__(self, store: Store, source: Source, report: MergeReport, own_position: int):
        self.store, self.conn, self.source, self.report = store, store.conn, source, report
        self.own_position = own_position
        self.ours: dict[str, dict] = {}
        self.columns: list[str] | None = None
        self.attached = False  # the source file is attached while writing (`_attach`)
        self.local_badges: set[str] = set()  # of leads changed here since the last merge
        self.local_emails: set[str] = set()
        self.tag_ids: dict[str, int] = {}  # filled per transaction (a dry run rolls back)
        # Full-text index writes wait for the end of each step (`finish_step`); each step
        # starts these afresh (`_step`).
        self.step_new: list[str] = []  # people only the source has, to copy
        self.step_search_texts: list[tuple[int, str]] = []  # (lead id, new search text)

    # -- planning ---------------------------------------------------------------------
    def plan(self) -> None:
        self.our_aliases = dict(self.conn.execute("SELECT alias_uuid, lead_uuid FROM lead_aliases"))
        self.plan_questions()
        skipped = self.plan_tombstones()
        self.incoming = {u: r for u, r in self.source.leads.items() if u not in skipped}
        affected = self.plan_rows(skipped)
        self.load_ours(set(self.incoming) | affected)
        affected |= {u for u in self.incoming if u not in self.ours}
        people = People(self.conn, self.ours, self.incoming, self.found, self.new_changes)
        groups = people.group()
        self.duplicates = people.duplicates
        self.todo = self.to_recompute(groups, affected)

    def plan_questions(self) -> None:
        """The source's question versions newer than ours, and (with them) which questions
        are free text and each question's choice order, for replaying answers."""
        ours = {
            fold(row[0]): row
            for row in self.conn.execute(f"SELECT {QUESTION_COLUMNS} FROM questions")
        }
        self.newer_questions = []
        for row in self.source.questions:
            mine = ours.get(fold(row[0]))
            if mine is None or _question_key(row) > _question_key(mine):
                self.newer_questions.append(tuple(row))
                ours[fold(row[0])] = tuple(row)
        self.report.questions = len(self.newer_questions)
        self.text_questions = {key for key, row in ours.items() if row[1] == "text"}
        self.choice_order = {
            key: [c["value"] for c in json.loads(row[2])] for key, row in ours.items()
        }

    def write_questions(self) -> None:
        marks = ", ".join("?" for _ in QUESTION_COLUMNS.split(","))
        for row in self.newer_questions:
            self.conn.execute("DELETE FROM questions WHERE name = ?", [row[0]])
            self.conn.execute(f"INSERT INTO questions ({QUESTION_COLUMNS}) VALUES ({marks})", row)

    def plan_tombstones(self) -> set[str]:
        """The new tombstones and our leads they erase (`self.doomed`). Returns the
        source's uuids not to bring in (forgotten people and their aliases)."""
        known = {r[0] for r in self.conn.execute("SELECT hash FROM tombstones")}
        self.new_tombstones = [t for t in self.source.tombstones if t[0] not in known]
        self.doomed: set[str] = set()
        hashes = known | {t[0] for t in self.new_tombstones}
        if not hashes:
            return set()
        salts = sorted({t[1] for t in self.source.tombstones})
        salts = sorted(
            set(salts) | {r[0] for r in self.conn.execute("SELECT salt FROM tombstones")}
        )

        def forgotten(email: str | None, badge: str | None) -> bool:
            pairs = [("email", email), ("badge", badge)]
            return any(
                tombstones.digest(s, kind, value) in hashes
                for s in salts
                for kind, value in pairs
                if value
            )

        skipped = {
            u
            for u, row in self.source.leads.items()
            if forgotten(row["email_norm"], row["badge_norm"])
        }
        self.report.forgotten_skipped = len(skipped)
        skipped |= {alias for alias, target, _at in self.source.aliases if target in skipped}
        if self.new_tombstones:
            rows = self.conn.execute("SELECT uuid, email_norm, badge_norm FROM leads")
            self.doomed = {u for u, email, badge in rows if forgotten(email, badge)}
            self.doomed |= {a for a, target in self.our_aliases.items() if target in self.doomed}
            skipped |= self.doomed
        return skipped

    def plan_rows(self, skipped: set[str]) -> set[str]:
        """What the source has and we lack. Returns the lead uuids whose log grows."""
        conn, src = self.conn, self.source
        changes = [c for c in src.changes if c[2] not in skipped] if skipped else src.changes
        have = self._existing_changes(changes)
        if have:
            self.new_changes = [c for c in changes if c[0] not in have]
            # A command undone on its own laptop: carry the mark so the copies agree.
            self.undone = [(c[10], c[0]) for c in changes if c[10] and c[0] in have]
        else:
            self.new_changes, self.undone = list(changes), []
        self.undone += list(src.undone or ())
        self.report.new_changes = len(self.new_changes)
        consent = [c for c in src.consent if c[1] not in skipped]
        have = self._existing("consent_records", [c[0] for c in consent])
        self.new_consent = [c for c in consent if c[0] not in have]
        # Each device only counts its own visits, so the larger count is the newer one.
        visits = [v for v in src.visits if v[0] not in skipped]
        ours = {
            (u, d): (n, at)
            for u, d, n, at in conn.execute(
                f"SELECT lead_uuid, device, count, last_at FROM visits WHERE lead_uuid {IN_KEYS}",
                [keys({v[0] for v in visits})],
            )
        }
        self.raised = []
        for lead_uuid, device, count, last_at in visits:
            mine = ours.get((lead_uuid, device))
            if mine is None or count > mine[0] or (last_at or "") > (mine[1] or ""):
                self.raised.append((lead_uuid, device, count, last_at))
        affected = {c[2] for c in self.new_changes} | {c[1] for c in self.new_consent}
        affected |= {v[0] for v in self.raised}
        # Card images: append-only like the change log, one row per image and lead.
        have = self._existing("cards", [c[0] for c in src.cards])
        self.new_cards = [c for c in src.cards if c[1] not in skipped and c[0] not in have]
        self.report.new_cards = len(self.new_cards)
        self.source_aliases = [
            (a, t) for a, t, _at in src.aliases if a not in skipped and t not in skipped
        ]
        for alias, target in self.source_aliases:
            if self.our_aliases.get(alias) != target:
                affected |= {alias, target}
        return affected

    def _existing_changes(self, changes: list[tuple]) -> set[str]:
        """The uids of these change rows that this database holds. A change row keeps its
        lead's uuid wherever it goes, so only the rows of leads with changes here are
        looked up: on a first merge, a few of hundreds of thousands."""
        leads_here = self.conn.execute(
            f"SELECT DISTINCT lead_uuid FROM changes WHERE lead_uuid {IN_KEYS}",
            [keys({c[2] for c in changes})],
        )
        known = {r[0] for r in leads_here}
        return self._existing("changes", [c[0] for c in changes if c[2] in known])

    def _existing(self, table: str, uids: list[str]) -> set[str]:
        found = self.conn.execute(f"SELECT uid FROM {table} WHERE uid {IN_KEYS}", [keys(uids)])
        return {r[0] for r in found}

    def load_ours(self, wanted: set[str]) -> None:
        """Our leads that can take part: the wanted uuids, those sharing a badge or e-mail
        with an incoming lead, and everything linked to them by aliases."""
        by_badge = {r["badge_norm"] for r in self.incoming.values() if r["badge_norm"]}
        by_email = {r["email_norm"] for r in self.incoming.values() if r["email_norm"]}
        self._load("uuid", wanted)
        self._load("badge_norm", by_badge | self.local_badges)
        self._load("email_norm", by_email | self.local_emails)
        self.found = UnionFind()
        for alias, target in [*self.our_aliases.items(), *self.source_aliases]:
            self.found.union(alias, target)
        roots = {self.found.find(u) for u in [*self.ours, *self.incoming]}
        linked = {u for pair in self.our_aliases.items() for u in pair}
        self._load("uuid", {u for u in linked if self.found.find(u) in roots} - set(self.ours))
        for lead_uuid in self.doomed:
            self.ours.pop(lead_uuid, None)

    def _load(self, column: str, values: set[str]) -> None:
        if not values:
            return
        found = self.conn.execute(
            f"SELECT {_OUR_COLUMNS} FROM leads WHERE {column} {IN_KEYS}", [keys(values)]
        )
        names = [d[0] for d in found.description]
        for row in found:
            self.ours[row[0]] = dict(zip(names, row, strict=True))

    def to_recompute(self, groups: dict[str, list[str]], affected: set) -> list:
        todo = []
        ours, incoming = self.ours, self.incoming
        for members in groups.values():
            if len(members) == 1:  # most people: one lead, never joined
                lead_uuid = members[0]
                if lead_uuid in ours:
                    if lead_uuid in affected:
                        todo.append((lead_uuid, members))
                elif lead_uuid in incoming:
                    todo.append((lead_uuid, members))
                continue
            known = [u for u in members if u in self.ours or u in self.incoming]
            if not known:
                continue  # aliases of leads neither side holds any more
            canonical = min(known, key=lambda u: (captured(u, self.ours, self.incoming), u))
            settled = (
                canonical in self.ours
                and all(u not in self.ours for u in members if u != canonical)
                and all(self.our_aliases.get(u) == canonical for u in members if u != canonical)
            )
            if settled and not affected.intersection(members):
                continue
            todo.append((canonical, sorted(members)))
        return sorted(todo)

    # -- writing ------------------------------------------------------------------------
    def write(self, *, dry_run: bool, before_write: Callable[[], object] | None) -> None:
        """Short transactions: the erasures, then CHUNK people at a time with their new
        rows, then the rest and the mark. Each leaves every lead agreeing with its log,
        so stopping between two of them loses nothing: the next merge goes on from there."""
        busy = self.todo or self.new_changes or self.new_consent or self.raised or self.undone
        busy = busy or self.new_cards or self.newer_questions
        if (busy or self.new_tombstones) and before_write is not None and not dry_run:
            before_write()
        self.attached = self._attach()
        try:
            self._write_steps(dry_run)
        finally:
            if self.attached:
                self.conn.execute(f"DETACH DATABASE {ATTACHED}")

    def _write_steps(self, dry_run: bool) -> None:
        if self.new_tombstones:
            self._step(dry_run, self.write_tombstones)
            if self.report.erased and not dry_run:
                # Erased rows must not survive in the write-ahead log either.
                self.conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
        by_lead: defaultdict[str, tuple[list, list, list]] = defaultdict(lambda: ([], [], []))
        for change in self.new_changes:
            by_lead[change[2]][0].append(change)
        for record in self.new_consent:
            by_lead[record[1]][1].append(record)
        for visit in self.raised:
            by_lead[visit[0]][2].append(visit)
        now = self.store.now().isoformat()
        position = 0

        def work() -> None:
            nonlocal position
            started = time.monotonic()
            while position < len(self.todo) and time.monotonic() - started < STEP_SECONDS:
                chunk = self.todo[position : position + CHUNK]
                position += len(chunk)
                members = [u for _c, group in chunk for u in group]
                rows = [by_lead.pop(u) for u in members if u in by_lead]
                self.write_chunk(chunk, rows, now)
            self.finish_step()

        while position < len(self.todo):
            self._step(dry_run, work)
            if position < len(self.todo):
                # Let a scan that waits for the lock in (it tries every 2 ms).
                time.sleep(PAUSE)
        rest = list(by_lead.values())
        self._step(dry_run, lambda: self.write_rest(rest, now))
        if not dry_run:
            self.report.possible_duplicates = self.duplicate_ids()

    def _step(self, dry_run: bool, work: Callable[[], None]) -> None:
        self.tag_ids, self.step_new, self.step_search_texts = {}, [], []
        try:
            with self.store.transaction():
                work()
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass

    def write_cards(self) -> None:
        marks = ", ".join("?" for _ in CARD_COLUMNS.split(","))
        self.conn.executemany(
            f"INSERT OR IGNORE INTO cards ({CARD_COLUMNS}) VALUES ({marks})", self.new_cards
        )

    def write_tombstones(self) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO tombstones (hash, salt, kind, forgotten_at) VALUES (?, ?, ?, ?)",
            self.new_tombstones,
        )
        if self.doomed:
            self.erase(self.doomed)

    def erase(self, doomed: set[str]) -> None:
        """Forget our copies of people forgotten on the other laptop, the way `leadcap
        forget` does (every row, aliases, same e-mail or badge)."""
        from leadcap.store.erasure import forget_lead

        erased: set[str] = set()
        at = self.store.now().isoformat()
        rows = 0
        people = self.conn.execute("SELECT uuid, email_norm, badge_norm FROM leads").fetchall()
        identity = {u: (email, badge) for u, email, badge in people if u in doomed}
        for lead_uuid in sorted(identity):
            if lead_uuid in erased:
                continue
            email, badge = identity[lead_uuid]
            person = {"uuid": lead_uuid, "email": email, "badge_id": badge}
            forgotten = forget_lead(self.store, person, at=at)
            erased |= set(forgotten.lead_uuids)
            rows += len(forgotten.lead_ids)
        self.report.erased = rows

    def _attach(self) -> bool:
        """Attach the source file, read-only, to copy its rows with INSERT ... SELECT (as
        SQLite copies them, without a round trip through Python), when that gives exactly
        the rows that were read: nobody was writing the file and it has not changed since,
        this SQLite reads URI file names, and the file numbers its devices' changes."""
        stamp = self.source.stamp
        if stamp is None or stamp != FileStamp.of(self.source.path):
            return False
        if not self.conn.execute("SELECT sqlite_compileoption_used('USE_URI')").fetchone()[0]:
            return False
        try:
            self.conn.execute(f"ATTACH DATABASE ? AS {ATTACHED}", [stamp.url])
        except sqlite3.Error:
            return False  # gone or unreadable since it was read: write what was read
        columns = self.conn.execute(f"PRAGMA {ATTACHED}.table_info(changes)").fetchall()
        if "seq" not in {c[1] for c in columns}:
            self.conn.execute(f"DETACH DATABASE {ATTACHED}")
            return False
        return True

    def insert_rows(self, rows: list[tuple[list, list, list]]) -> None:
        conn = self.conn
        changes = [c for r in rows for c in r[0]]
        # Many rows per statement: a first merge copies ten change rows per lead.
        per = max(1, min(200, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 12))
        if self.attached:  # the rows read and checked, by uid, in the same order
            conn.execute(
                f"INSERT OR IGNORE INTO changes ({CHANGE_COLUMNS}, seq)"
                f" SELECT {_prefixed('c', CHANGE_COLUMNS)}, c.seq FROM json_each(?) j"
                f" JOIN {ATTACHED}.changes c ON c.uid = j.value ORDER BY j.key",
                [keys([c[0] for c in changes])],
            )
            changes = []
        for start in range(0, len(changes), per):
            part = changes[start : start + per]
            conn.execute(
                f"INSERT OR IGNORE INTO changes ({CHANGE_COLUMNS}, seq) VALUES "
                + ", ".join("(?,?,?,?,?,?,?,?,?,?,?,?)" for _ in part),
                [value for change in part for value in change],
            )
        consent = [c for r in rows for c in r[1]]
        conn.executemany(
            f"INSERT OR IGNORE INTO consent_records ({CONSENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
            consent,
        )
        visits = [v for r in rows for v in r[2]]
        conn.executemany(
            "INSERT INTO visits (lead_uuid, device, count, last_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(lead_uuid, device) DO UPDATE SET count = max(count, excluded.count),"
            " last_at = max(coalesce(last_at, ''), coalesce(excluded.last_at, ''))",
            visits,
        )

    def write_chunk(self, chunk: list, rows: list, now: str) -> None:
        self.insert_rows(rows)
        rest = []
        for canonical, members in chunk:
            if self._new_alone(canonical, members):
                self.step_new.append(canonical)
            else:
                rest.append((canonical, members))
        if rest:
            data = self._load_group_data(keys({u for _c, members in rest for u in members}))
            for canonical, members in rest:
                self._write_group(canonical, members, data, now)

    def finish_step(self) -> None:
        """The step's writes to the full-text index, in a few statements: the index costs
        far more per statement than per row, and a statement per lead made a first merge
        2.9x a plain copy instead of 2.5x (bench/merge.py)."""
        if self.step_new:
            self.copy_new(self.step_new)
        update_search_texts(self.conn, self.step_search_texts)

    def _new_alone(self, canonical: str, members: list[str]) -> bool:
        """A person only the source has, never linked to anyone: the source's row is what
        replaying the log gives (the other laptop replayed the same log), so copy it."""
        return (
            len(members) == 1
            and canonical in self.incoming
            and canonical not in self.ours
            and canonical not in self.our_aliases
        )

    def copy_new(self, uuids: list[str]) -> None:
        if self.columns is None:
            found = self.conn.execute("PRAGMA table_info(leads)").fetchall()
            self.columns = [r[1] for r in found if r[1] != "id"]
        if self.attached:  # the same rows, copied by SQLite
            wanted = [c for c in self.columns if c in self.incoming[uuids[0]]]
            copy_lead_rows(self.conn, wanted, f"{ATTACHED}.leads", uuids)
        else:
            self._insert_new(uuids)
        ids = dict(
            self.conn.execute(f"SELECT uuid, id FROM leads WHERE uuid {IN_KEYS}", [keys(uuids)])
        )
        links = []
        for lead_uuid in uuids:
            for name in dict.fromkeys(self.source.tags.get(lead_uuid, ())):
                links.append((ids[lead_uuid], self._tag_id(name)))
        self.conn.executemany(
            "INSERT OR IGNORE INTO lead_tags (lead_id, tag_id) VALUES (?, ?)", links
        )
        for lead_uuid in uuids:
            for question, value in self.source.answers.get(lead_uuid, ()):
                write_answer(self.store, ids[lead_uuid], question, json.loads(value))
        self.report.added += len(uuids)
        self.report.added_uuids.extend(uuids)

    def _insert_new(self, uuids: list[str]) -> None:
        assert self.columns is not None
        by_columns: dict[tuple, list] = defaultdict(list)
        # Rows read from one file share their keys: work out the columns once per shape.
        shapes: dict[tuple, tuple] = {}
        for lead_uuid in uuids:
            row = self.incoming[lead_uuid]
            shape = tuple(row)
            if shape not in shapes:
                wanted = tuple(c for c in self.columns if c in row)
                shapes[shape] = (wanted, _values(wanted))
            columns, values = shapes[shape]
            by_columns[columns].append(values(row))
        for columns, values in by_columns.items():
            insert_lead_rows(self.conn, columns, values)

    def write_rest(self, rows: list, now: str) -> None:
        self.insert_rows(rows)
        self.write_cards()  # with the mark, so a merge stopped before reads them again
        self.write_questions()
        self.conn.executemany(
            "UPDATE changes SET undone_by = ? WHERE uid = ? AND undone_by IS NULL", self.undone
        )
        if self.source.header is not None:
            save_mark(self.conn, self.source.header, now, self.own_position)

    def _load_group_data(self, wanted: str) -> dict:
        conn = self.conn
        inside = IN_KEYS
        changes, consent, visits = defaultdict(list), defaultdict(list), defaultdict(list)
        for row in conn.execute(
            "SELECT lead_uuid, uid, device, changed_at, seq, field, old_value, new_value"
            f" FROM changes WHERE lead_uuid {inside}",
            [wanted],
        ):
            changes[row[0]].append(row[1:])
        for row in conn.execute(
            "SELECT lead_uuid, uid, device, recorded_at, purpose, status"
            f" FROM consent_records WHERE lead_uuid {inside}",
            [wanted],
        ):
            consent[row[0]].append(row[1:])
        for lead_uuid, count in conn.execute(
            f"SELECT lead_uuid, count FROM visits WHERE lead_uuid {inside}", [wanted]
        ):
            visits[lead_uuid].append(count)
        found = conn.execute(f"SELECT * FROM leads WHERE uuid {inside}", [wanted])
        names = [d[0] for d in found.description]
        rows = {row["uuid"]: row for row in (dict(zip(names, r, strict=True)) for r in found)}
        tags = defaultdict(list)
        for lead_uuid, name in conn.execute(
            "SELECT l.uuid, t.name FROM lead_tags lt JOIN tags t ON t.id = lt.tag_id"
            f" JOIN leads l ON l.id = lt.lead_id WHERE l.uuid {inside}",
            [wanted],
        ):
            tags[lead_uuid].append(name)
        answers: dict[str, dict] = defaultdict(dict)
        for lead_uuid, question, value in conn.execute(
            "SELECT l.uuid, a.question, a.value FROM lead_answers a"
            f" JOIN leads l ON l.id = a.lead_id WHERE l.uuid {inside}",
            [wanted],
        ):
            answers[lead_uuid][fold(question)] = (question, json.loads(value))
        return dict(
            changes=changes, consent=consent, visits=visits, rows=rows, tags=tags, answers=answers
        )

    def _write_group(self, canonical: str, members: list[str], data: dict, now: str) -> None:
        incoming = self.incoming
        ours_rows = data["rows"]
        ordered = sorted(members, key=lambda u: (captured(u, self.ours, incoming), u))
        rows = [r for u in ordered for r in (ours_rows.get(u), incoming.get(u)) if r]
        base = ours_rows.get(canonical) or incoming.get(canonical)
        if base is None:
            return  # erased or gone since planning
        changes = [c for u in members for c in data["changes"][u]]
        consent = [c for u in members for c in data["consent"][u]]
        visits = [n for u in members for n in data["visits"][u]]
        new_row, new_tags = lead_state(
            self.store, base, rows, changes, consent, visits, data["tags"].get(canonical, [])
        )
        conn = self.conn
        old = ours_rows.get(canonical)
        # The person keeps the lead number this laptop gave them, even when the copy from
        # the other laptop (captured earlier) lends the lead its uuid.
        reused = None
        if old is None:
            ours = sorted((ours_rows[u] for u in members if u in ours_rows), key=lambda r: r["id"])
            reused = ours[0] if ours else None
        keeper = old or reused
        new_answers = self._answers(changes, data, keeper["uuid"] if keeper else None)
        gone = [u for u in members if u != canonical and u in ours_rows]
        if reused is not None:
            gone.remove(reused["uuid"])
        if gone:
            marks = ", ".join("?" for _ in gone)
            conn.execute(f"DELETE FROM leads WHERE uuid IN ({marks})", gone)
        if old is None and reused is None:
            lead_id = insert_lead_row(conn, new_row)
            self._set_tags(lead_id, new_tags)
            _set_answers(self.store, lead_id, new_answers)
            if not any(u in self.ours for u in members):
                self.report.added += 1
                self.report.added_uuids.append(canonical)
        else:
            old = keeper
            assert old is not None  # the branch above took "neither"
            differs = {k: v for k, v in new_row.items() if not _same(k, old.get(k), v)}
            old_tags = sorted(t.casefold() for t in data["tags"].get(old["uuid"], []))
            update_lead_row(
                conn, old["id"], {k: v for k, v in differs.items() if k != "search_text"}
            )
            if "search_text" in differs:
                self.step_search_texts.append((old["id"], differs["search_text"]))
            if old_tags != sorted(t.casefold() for t in new_tags):
                self._set_tags(old["id"], new_tags)
            answers_differ = _update_answers(self.store, old, data, new_answers)
            # Our copy taking the other laptop's earlier one in counts as linked.
            tags_differ = old_tags != sorted(t.casefold() for t in new_tags)
            if reused is None and (differs or tags_differ or answers_differ):
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

    def _tag_id(self, name: str) -> int:
        if name not in self.tag_ids:
            self.tag_ids[name] = tag_id(self.store, name)
        return self.tag_ids[name]

    def _set_tags(self, lead_id: int, names: list[str]) -> None:
        _set_tags(self.store, lead_id, names, ids=self.tag_ids)

    def _answers(self, changes: list, data: dict, kept: str | None) -> dict:
        """The answers replayed from the united log (`kept`: the lead row whose stored
        answers stand for questions never logged), lists in the question's choice order."""
        found = answer_state(changes, data["answers"].get(kept, {}) if kept else {},
                             self.text_questions)  # fmt: skip
        for question, value in found.items():
            if isinstance(value, list):
                order = self.choice_order.get(fold(question), [])
                value.sort(key=lambda v: (order.index(v) if v in order else len(order), v))
        return found

    def duplicate_ids(self) -> list[tuple[int, int]]:
        """The possible duplicates as lead numbers on this laptop, each pair once."""
        found: set[tuple[int, int]] = set()
        for a, b in self.duplicates:
            first, second = self._lead_id(a), self._lead_id(b)
            if first is not None and second is not None and first != second:
                found.add((min(first, second), max(first, second)))
        return sorted(found)

    def _lead_id(self, lead_uuid: str) -> int | None:
        target = self.our_aliases.get(lead_uuid, lead_uuid)
        row = self.conn.execute(
            "SELECT id FROM leads WHERE uuid = ? AND deleted_at IS NULL", [target]
        ).fetchone()
        return row[0] if row else None


def _prefixed(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{name.strip()}" for name in columns.split(","))


def _values(columns: tuple[str, ...]) -> Callable[[dict], tuple]:
    """The values of `columns` in a row, as a tuple (itemgetter gives a bare value for one)."""
    if len(columns) == 1:
        return lambda row: (row[columns[0]],)
    return operator.itemgetter(*columns)


def _update_answers(store: Store, row: dict, data: dict, answers: dict) -> bool:
    """Store a lead's replayed answers if they differ from its stored ones."""
    if dict(data["answers"].get(row["uuid"], {}).values()) == answers:
        return False
    _set_answers(store, row["id"], answers)
    return True


def _set_answers(store: Store, lead_id: int, answers: dict) -> None:
    store.conn.execute("DELETE FROM lead_answers WHERE lead_id = ?", [lead_id])
    for question, value in answers.items():
        write_answer(store, lead_id, question, value)


def _same(column: str, old, new) -> bool:
    if old == new:
        return True
    if column in ("consent", "review_reasons") and old is not None and new is not None:
        return json.loads(old) == json.loads(new)
    return False
