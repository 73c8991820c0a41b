"""The change log read back: `leadcap history` and the per-device, repeatable `undo`."""

from __future__ import annotations

import json
import sqlite3

from leadcap.errors import LeadcapError, NotFound
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.leads import DEFAULT_RATING, get_lead, update_lead
from leadcap.store.tags import restore_tag_spelling

COMBINED_INTO = "combined_into"  # a lead combined into another: old_value holds its row


def history(store: Store, lead_id) -> list[dict]:
    """Every change of a lead, including those logged under the uuids of leads a merge
    or `combine` joined into it (aliases): a merged lead's fields each have their entry."""
    lead = get_lead(store, lead_id)
    cursor = store.conn.cursor()
    cursor.row_factory = sqlite3.Row
    rows = cursor.execute(
        "SELECT * FROM changes WHERE lead_uuid = ?1 OR lead_uuid IN"
        " (SELECT alias_uuid FROM lead_aliases WHERE lead_uuid = ?1) ORDER BY id",
        [lead["uuid"]],
    )
    return [dict(row) for row in rows]


def visit_total(store: Store, lead_uuid: str) -> int | None:
    """A lead's visits: its own counters and those of leads combined or merged into it."""
    return store.conn.execute(
        "SELECT SUM(count) FROM visits WHERE lead_uuid = ? OR lead_uuid IN"
        " (SELECT alias_uuid FROM lead_aliases WHERE lead_uuid = ?)",
        [lead_uuid, lead_uuid],
    ).fetchone()[0]


def _restore_combined(store: Store, saved: dict) -> None:
    """Put back a lead that `combine` removed: its row (same number), tags and aliases."""
    from leadcap.store.leads import _set_tags
    from leadcap.store.questions import write_answer

    tags, aliases = saved.pop("tags", []), saved.pop("aliases", [])
    answers = saved.pop("answers", [])
    columns = ", ".join(saved)
    marks = ", ".join("?" for _ in saved)
    store.conn.execute(f"INSERT INTO leads ({columns}) VALUES ({marks})", list(saved.values()))
    _set_tags(store, saved["id"], tags)
    for question, value in answers:
        write_answer(store, saved["id"], question, value)
    store.conn.execute("DELETE FROM lead_aliases WHERE alias_uuid = ?", [saved["uuid"]])
    store.conn.executemany(
        "UPDATE lead_aliases SET lead_uuid = ? WHERE alias_uuid = ?",
        [(saved["uuid"], alias) for alias in aliases],
    )


def current_uuid(store: Store, lead_uuid: str) -> str:
    """The lead a change was made to, as it is known now: a merge may have joined that copy
    into another lead (recorded as an alias)."""
    if store.conn.execute("SELECT 1 FROM leads WHERE uuid = ?", [lead_uuid]).fetchone():
        return lead_uuid  # still a lead of its own (or one again, after a later merge)
    seen = {lead_uuid}
    while True:
        row = store.conn.execute(
            "SELECT lead_uuid FROM lead_aliases WHERE alias_uuid = ?", [lead_uuid]
        ).fetchone()
        if row is None or row[0] in seen:
            return lead_uuid
        lead_uuid = row[0]
        seen.add(lead_uuid)


def undo(
    store: Store, *, lead_uuid: str | None = None, after_change: int | None = None
) -> tuple[list[model.Lead], list[tuple[str, str | None, str | None]]]:
    """Revert the most recent not-yet-undone command made on this device, on every lead it
    touched (a tag merge changes many). Repeatable: each call goes one command further back.
    `lead_uuid` limits it to commands that changed that lead, `after_change` to changes
    logged after that change id (one scan session).
    Returns the leads as they are now and the (field, old, new) changes that were reverted.
    A combine that a merge has since spread to other laptops cannot be taken apart: it is
    set aside (the next undo goes further back) and LeadcapError says so."""
    blocked = None
    sql = "SELECT batch FROM changes WHERE device = ? AND command != 'undo' AND undone_by IS NULL"
    params: list = [store.device]
    if lead_uuid is not None:
        sql += " AND lead_uuid = ?"
        params.append(lead_uuid)
    if after_change is not None:
        sql += " AND id > ?"
        params.append(after_change)
    with store.transaction():
        row = store.conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
        if not row:
            raise NotFound("nothing to undo on this device")
        batch = row[0]
        rows = store.conn.execute(
            "SELECT lead_uuid, field, old_value, new_value FROM changes WHERE batch = ?"
            " ORDER BY id DESC",
            [batch],
        ).fetchall()
        blocked = _combine_merged_since(store, rows)
        if blocked:
            store.conn.execute(
                "UPDATE changes SET undone_by = 'merged since' WHERE batch = ?", [batch]
            )
            rows = []
        undo_batch = store.new_batch()
        reverted = _revert(store, rows, undo_batch)
        if not blocked:
            store.conn.execute(
                "UPDATE changes SET undone_by = ? WHERE batch = ?", [undo_batch, batch]
            )
    if blocked:
        raise LeadcapError(blocked)
    return reverted, [tuple(r[1:]) for r in rows]


def last_change_id(store: Store) -> int:
    """The newest change's id: what a session started after (see `undo(after_change=)`)."""
    return store.conn.execute("SELECT coalesce(MAX(id), 0) FROM changes").fetchone()[0]


def _revert(store: Store, rows: list, undo_batch: str) -> list[model.Lead]:
    """Put back the old values of one command's change rows; the leads as they are now."""
    for _lead_uuid, name, old, new in rows:
        if name == "tags" and old and new:
            restore_tag_spelling(store, json.loads(old), json.loads(new))
        if name == COMBINED_INTO and old:
            _restore_combined(store, json.loads(old))
    by_lead: dict[str, list] = {}
    for lead_uuid, *change in rows:
        # A merge may have joined the changed copy into another lead since: undo that one.
        by_lead.setdefault(current_uuid(store, lead_uuid), []).append(tuple(change))
    reverted = []
    for lead_uuid, changes in by_lead.items():
        names = {name for name, _old, _new in changes}
        if COMBINED_INTO in names:
            continue  # put back above, as it was
        revert = _reverting(changes)
        if "combined" in names:
            revert["visits"] = visit_total(store, lead_uuid) or 1
        elif "visits" in revert:
            revert["visits"] = _uncount_visits(store, lead_uuid, changes, revert["visits"])
        reverted.append(update_lead(store, lead_uuid, revert, command="undo", batch=undo_batch))
    return reverted


def _combine_merged_since(store: Store, rows: list) -> str | None:
    """Why a combine in `rows` can no longer be undone, or None: a merge since made the
    removed lead's uuid the person's lead again, or the kept lead an alias."""
    exists = "SELECT 1 FROM leads WHERE uuid = ?"
    for lead_uuid, name, _old, _new in rows:
        removed = name == COMBINED_INTO and store.conn.execute(exists, [lead_uuid]).fetchone()
        kept_gone = name == "combined" and not store.conn.execute(exists, [lead_uuid]).fetchone()
        if removed or kept_gone:
            return (
                "this combine was merged with another laptop since, so undo cannot separate"
                " the two leads again; it was skipped. Edit the lead instead, or run"
                " leadcap undo again for the change before it"
            )
    return None


def _uncount_visits(store: Store, lead_uuid: str, changes: list, fallback: int) -> int:
    """Take the undone visits off this device's count in the visits table (the source of
    truth that merging adds up), so the next visit counts from the right number. Returns
    the lead's new total."""
    counted = sum(int(new or 0) - int(old or 1) for name, old, new in changes if name == "visits")
    if counted > 0:
        store.conn.execute(
            "UPDATE visits SET count = max(count - ?, 0) WHERE lead_uuid = ? AND device = ?",
            [counted, lead_uuid, store.device],
        )
        store.conn.execute(
            "DELETE FROM visits WHERE lead_uuid = ? AND device = ? AND count = 0",
            [lead_uuid, store.device],
        )
    total = visit_total(store, lead_uuid)
    return fallback if total is None else total


def _reverting(changes: list) -> dict:
    """The update that puts back the old values of a batch of changes."""
    if any(name == "created" for name, _old, _new in changes):
        return {"deleted": True}  # undoing a capture hides the lead, keeping what was typed
    revert: dict = {}
    for name, old, _new in changes:
        if name == "tags":
            revert["tags"] = json.loads(old) if old else []
        elif name == "consent":
            revert["consent"] = json.loads(old) if old else {}
        elif name == "deleted":
            revert["deleted"] = old == "true"
        elif name == "review_reasons":
            continue  # marking reviewed is not worth an undo of its own
        elif name.startswith("answer:"):
            revert[name] = json.loads(old) if old else None
        elif name == "visits":
            revert["visits"] = int(old) if old else 1
        elif name in model.EDITABLE_FIELDS or name == "rating":
            revert[name] = old
        elif name == DEFAULT_RATING:
            revert["rating"] = old
    return revert
