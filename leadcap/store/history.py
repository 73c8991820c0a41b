"""The change log read back: `leadcap history` and the per-device, repeatable `undo`."""

from __future__ import annotations

import json
import sqlite3

from leadcap.errors import NotFound
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.leads import DEFAULT_RATING, get_lead, update_lead
from leadcap.store.tags import restore_tag_spelling


def history(store: Store, lead_id) -> list[dict]:
    lead = get_lead(store, lead_id)
    cursor = store.conn.cursor()
    cursor.row_factory = sqlite3.Row
    rows = cursor.execute("SELECT * FROM changes WHERE lead_uuid = ? ORDER BY id", [lead["uuid"]])
    return [dict(row) for row in rows]


def undo(
    store: Store, *, lead_uuid: str | None = None, after_change: int | None = None
) -> tuple[list[dict], list[tuple[str, str | None, str | None]]]:
    """Revert the most recent not-yet-undone command made on this device, on every lead it
    touched (a tag merge changes many). Repeatable: each call goes one command further back.
    `lead_uuid` limits it to commands that changed that lead, `after_change` to changes
    logged after that change id (one scan session). Returns the leads as they are now and
    the (field, old, new) changes that were reverted."""
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
        by_lead: dict[str, list] = {}
        for lead_uuid, *change in rows:
            by_lead.setdefault(lead_uuid, []).append(tuple(change))
        undo_batch = store.new_batch()
        for _lead_uuid, name, old, new in rows:
            if name == "tags" and old and new:
                restore_tag_spelling(store, json.loads(old), json.loads(new))
        reverted = []
        for lead_uuid, changes in by_lead.items():
            revert = _reverting(changes)
            if "visits" in revert:
                revert["visits"] = _uncount_visits(store, lead_uuid, changes, revert["visits"])
            reverted.append(update_lead(store, lead_uuid, revert, command="undo", batch=undo_batch))
        store.conn.execute("UPDATE changes SET undone_by = ? WHERE batch = ?", [undo_batch, batch])
    return reverted, [tuple(r[1:]) for r in rows]


def last_change_id(store: Store) -> int:
    """The newest change's id: what a session started after (see `undo(after_change=)`)."""
    return store.conn.execute("SELECT coalesce(MAX(id), 0) FROM changes").fetchone()[0]


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
    total = store.conn.execute(
        "SELECT SUM(count) FROM visits WHERE lead_uuid = ?", [lead_uuid]
    ).fetchone()[0]
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
        elif name == "visits":
            revert["visits"] = int(old) if old else 1
        elif name in model.EDITABLE_FIELDS or name == "rating":
            revert[name] = old
        elif name == DEFAULT_RATING:
            revert["rating"] = old
    return revert
