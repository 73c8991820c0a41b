"""Erasing people (GDPR Art. 17, APPI), retention purges and the proof of consent.

Erasure deletes every row that names the person, with SQLite's secure_delete on so the
freed space is overwritten, then checkpoints the WAL so no copy stays in `-wal` either.
Tombstones (salted hashes of e-mail and badge id) stop a later merge, sync, import or
re-scan from bringing the person back silently."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from leadcap.errors import NotFound, UsageError
from leadcap.store import leads as lead_store
from leadcap.store import model, schema_check, tombstones
from leadcap.store.database import Store

# Tables keyed by the lead's uuid; lead_tags (by id) and attendees (by badge) are separate.
_UUID_TABLES = ("changes", "consent_records", "visits", "export_marks", "cards")


@dataclass
class ForgetReport:
    """What an erasure removed, and where copies may still live outside the database."""

    lead_ids: list[int] = field(default_factory=list)
    lead_uuids: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    tombstones: int = 0
    # (profile, exported_at) of every export that included the person: those files
    # still hold them and must be deleted or corrected by hand.
    exports: list[tuple[str, str]] = field(default_factory=list)
    identities: list[tuple[str, str]] = field(default_factory=list)
    checkpointed: bool = False


# -- who is the person --------------------------------------------------------------


def _uuids_of_person(
    store: Store, lead: Mapping[str, Any], *, by_identity: bool = True
) -> list[str]:
    """The lead's uuid, every lead sharing its e-mail or badge id (when `by_identity`),
    and every alias linked to any of them, followed to the end of the chain."""
    found: set[str] = set()
    if lead.get("uuid"):
        found.add(lead["uuid"])
    if by_identity:
        for kind, value in tombstones.identities(lead):
            column = "email_norm" if kind == "email" else "badge_norm"
            rows = store.conn.execute(f"SELECT uuid FROM leads WHERE {column} = ?", [value])
            found |= {row[0] for row in rows}
    while found:
        marks = ", ".join("?" for _ in found)
        linked = {
            value
            for row in store.conn.execute(
                f"SELECT alias_uuid, lead_uuid FROM lead_aliases"
                f" WHERE alias_uuid IN ({marks}) OR lead_uuid IN ({marks})",
                [*found, *found],
            )
            for value in row
        }
        if linked <= found:
            break
        found |= linked
    return sorted(found)


def person_leads(store: Store, lead: Mapping[str, Any]) -> list[model.Lead]:
    """The stored leads `forget_lead` would erase for this person (for a confirmation)."""
    uuids = _uuids_of_person(store, lead)
    return [lead_store.get_lead(store, u) for u in uuids if lead_exists(store, u)]


def lead_exists(store: Store, lead_uuid: str) -> bool:
    row = store.conn.execute("SELECT 1 FROM leads WHERE uuid = ?", [lead_uuid]).fetchone()
    return row is not None


def resolve_person(
    store: Store, target: str, *, badge: bool = False
) -> model.Lead | dict[str, str]:
    """A lead, or an identity-only stand-in, for `forget ID|EMAIL|BADGE`. An e-mail or
    badge that matches no lead still names a person worth a tombstone."""
    target = target.strip()
    if not target:
        raise UsageError("say who to forget: a lead number, an e-mail address or a badge id")
    if "@" in target and not badge:
        email = model.normalise_email(target)
        rows = store.conn.execute("SELECT uuid FROM leads WHERE email_norm = ?", [email]).fetchall()
        return lead_store.get_lead(store, rows[0][0]) if rows else {"email": target}
    if target.isdigit() and not badge:
        with contextlib.suppress(NotFound):
            return lead_store.get_lead(store, int(target))
    row = store.conn.execute(
        "SELECT uuid FROM leads WHERE badge_norm = ?", [model.fold(target)]
    ).fetchone()
    if row:
        return lead_store.get_lead(store, row[0])
    if target.isdigit() and not badge:
        # A number is a lead number first: offering a tombstone for the text "42" would
        # record nobody. A badge id made of digits needs --badge.
        raise NotFound(
            f"no lead {target}. Check the number with leadcap list, or add --badge if"
            f" {target} is a badge id"
        )
    return {"badge_id": target}


# -- erasing ------------------------------------------------------------------------


@contextlib.contextmanager
def _secure_delete(store: Store) -> Iterator[None]:
    """Overwrite deleted content with zeros instead of leaving it in free pages."""
    before = store.conn.execute("PRAGMA secure_delete").fetchone()[0]
    store.conn.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        store.conn.execute(f"PRAGMA secure_delete = {int(before)}")


def _delete_rows(store: Store, uuids: list[str], report: ForgetReport) -> None:
    """Delete every row of these lead uuids (inside the caller's transaction)."""
    report.lead_uuids += uuids
    if not uuids:
        return
    marks = ", ".join("?" for _ in uuids)
    lead_ids = [
        row[0] for row in store.conn.execute(f"SELECT id FROM leads WHERE uuid IN ({marks})", uuids)
    ]
    report.lead_ids = sorted(report.lead_ids + lead_ids)
    report.exports += [
        tuple(row)
        for row in store.conn.execute(
            f"SELECT profile, MAX(exported_at) FROM export_marks WHERE lead_uuid IN ({marks})"
            " GROUP BY profile ORDER BY profile",
            uuids,
        )
    ]
    id_marks = ", ".join("?" for _ in lead_ids)
    _delete(store, report, "lead_tags", f"lead_id IN ({id_marks})", lead_ids)
    _delete(store, report, "lead_answers", f"lead_id IN ({id_marks})", lead_ids)
    for table in _UUID_TABLES:
        _delete(store, report, table, f"lead_uuid IN ({marks})", uuids)
    where = f"alias_uuid IN ({marks}) OR lead_uuid IN ({marks})"
    _delete(store, report, "lead_aliases", where, uuids * 2)
    _delete(store, report, "leads", f"uuid IN ({marks})", uuids)


def _delete(store: Store, report: ForgetReport, table: str, where: str, params: list) -> None:
    count = store.conn.execute(f"DELETE FROM {table} WHERE {where}", params).rowcount
    report.rows[table] = report.rows.get(table, 0) + count


def _bury(store: Store, people: Iterable[Mapping[str, Any]], at: str, report: ForgetReport) -> None:
    """Tombstones for each distinct e-mail and badge id, and the attendee-list rows of
    those badges (the organiser's list names the person too)."""
    found = sorted({pair for person in people for pair in tombstones.identities(person)})
    for kind, value in found:
        report.tombstones += tombstones.bury(store, _stand_in(kind, value), at)
        if kind == "badge":
            _delete(store, report, "attendees", "badge_norm = ?", [value])
    report.identities = sorted({*report.identities, *found})


def _scrub(store: Store, report: ForgetReport) -> None:
    """Merge the search index's segments: a deleted lead's words otherwise stay in old
    segments (SQLite 3.40 has no FTS5 secure-delete) until some later merge."""
    if report.lead_ids:
        store.conn.execute("INSERT INTO leads_fts(leads_fts) VALUES('optimize')")


def _checkpoint(store: Store, report: ForgetReport) -> None:
    """Copy the WAL into the database file and truncate it, so the erased rows survive
    in neither. Skipped inside a caller's transaction: the caller checkpoints after."""
    if any(report.rows.values()) and not store.conn.in_transaction:
        row = store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        report.checkpointed = row is not None and row[0] == 0


def forget_lead(store: Store, lead: Mapping[str, Any], *, at: str) -> ForgetReport:
    """Erase a person: this lead, every lead with the same e-mail or badge id, their
    aliases, change log, raw payloads, consent records, visits, tag links, export marks
    and attendee-list row; then write tombstones. `lead` may be a stored lead or just
    {"email": ...} / {"badge_id": ...}. Commits unless the caller holds a transaction
    (then the caller's commit makes it final and should checkpoint afterwards)."""
    with _secure_delete(store), store.transaction():
        uuids = _uuids_of_person(store, lead)
        people = [lead, *(p for p in (_lead_identity(store, u) for u in uuids) if p)]
        report = ForgetReport()
        _delete_rows(store, uuids, report)
        _bury(store, people, at, report)
        _scrub(store, report)
    _checkpoint(store, report)
    return report


def _lead_identity(store: Store, lead_uuid: str) -> dict[str, str | None] | None:
    row = store.conn.execute(
        "SELECT email, badge_id FROM leads WHERE uuid = ?", [lead_uuid]
    ).fetchone()
    return {"email": row[0], "badge_id": row[1]} if row else None


def backups_holding(store: Store, backups: Iterable[Path], report: ForgetReport) -> list[Path]:
    """Which backup files still contain the erased person (or cannot be checked)."""
    holding = []
    uuids = report.lead_uuids
    emails = [v for k, v in report.identities if k == "email"]
    badges = [v for k, v in report.identities if k == "badge"]
    for path in backups:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                # A crafted file's `leads` can be a view that never ends.
                with schema_check.time_limit(conn):
                    found = _holds(conn, uuids, emails, badges)
            finally:
                conn.close()
        except sqlite3.Error:
            found = True  # unreadable: assume the worst
        if found:
            holding.append(Path(path))
    return holding


def _holds(conn: sqlite3.Connection, uuids: list, emails: list, badges: list) -> bool:
    return any(
        conn.execute(
            f"SELECT 1 FROM leads WHERE {column} IN ({', '.join('?' for _ in values)}) LIMIT 1",
            values,
        ).fetchone()
        for column, values in (("uuid", uuids), ("email_norm", emails), ("badge_norm", badges))
        if values
    )


# -- retention ----------------------------------------------------------------------

_PERIOD = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.I)


def retention_cutoff(now: datetime, period: str) -> datetime:
    """`now` minus a period such as 30d, 6w, 18m or 2y (months and years by calendar)."""
    match = _PERIOD.match(period or "")
    if not match or int(match[1]) == 0:
        raise UsageError(f"{period!r} is not a period. Use a number and a unit: 30d, 6w, 18m or 2y")
    amount, unit = int(match[1]), match[2].lower()
    too_long = UsageError(
        f"{period!r} reaches back before the year 1. Use a shorter period such as 2y"
    )
    if unit in "dw":
        try:
            return now - timedelta(days=amount * (7 if unit == "w" else 1))
        except OverflowError:
            raise too_long from None
    months = now.year * 12 + now.month - 1 - amount * (12 if unit == "y" else 1)
    year, month = divmod(months, 12)
    if year < 1:
        raise too_long
    day = now.day
    while True:
        try:
            return now.replace(year=year, month=month + 1, day=day)
        except ValueError:  # 31 March minus one month: the last day of February
            day -= 1


def purge_candidates(store: Store, older_than: str) -> list[model.Lead]:
    """Leads untouched for the period whose follow-up is finished (won, lost), never
    started (new, no owner), or that staff deleted. The clock is the last change, so a
    lead still being worked on is never purged."""
    cutoff = retention_cutoff(store.now(), older_than)
    rows = store.conn.execute(
        "SELECT uuid, updated_at FROM leads WHERE deleted_at IS NOT NULL"
        " OR status IN ('won', 'lost') OR (status = 'new' AND coalesce(owner, '') = '')"
    ).fetchall()
    due = [u for u, updated in rows if datetime.fromisoformat(updated) < cutoff]
    found = [lead_store.get_lead(store, u) for u in due]
    return sorted(found, key=lambda lead: lead["id"])


def purge_leads(store: Store, leads: list[model.Lead], *, at: str) -> ForgetReport:
    """Erase these leads (and their aliases) like `forget_lead`, in one transaction.
    Other leads of the same person are kept, and so a tombstone is written only for an
    e-mail or badge id that no kept lead carries: it would otherwise hide a live lead."""
    total = ForgetReport()
    with _secure_delete(store), store.transaction():
        for lead in leads:
            uuids = _uuids_of_person(store, lead, by_identity=False)
            people = [
                single
                for person in (_lead_identity(store, u) for u in uuids)
                if person
                for single in _split_identities(person)
            ]
            _delete_rows(store, uuids, total)
            _bury(store, [p for p in people if not _still_held(store, p)], at, total)
        _scrub(store, total)
    _checkpoint(store, total)
    return total


def _still_held(store: Store, person: Mapping[str, Any]) -> bool:
    for kind, value in tombstones.identities(person):
        column = "email_norm" if kind == "email" else "badge_norm"
        if store.conn.execute(f"SELECT 1 FROM leads WHERE {column} = ?", [value]).fetchone():
            return True
    return False


def _stand_in(kind: str, value: str) -> dict[str, str]:
    return {"email": value} if kind == "email" else {"badge_id": value}


def _split_identities(person: Mapping[str, Any]) -> list[dict[str, str]]:
    """One stand-in per identity, so a kept e-mail does not also shield a badge id."""
    return [_stand_in(kind, value) for kind, value in tombstones.identities(person)]
