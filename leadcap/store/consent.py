"""Consent decisions per purpose: recorded with staff, method and text version, and read
back as the proof of what was agreed."""

from __future__ import annotations

from leadcap.store import leads as lead_store
from leadcap.store import model
from leadcap.store.consent_texts import CONSENT_METHODS, archive_texts
from leadcap.store.database import Store


def record_consent(
    store: Store, lead_id: int | str, purpose: str, status: str, *, method: str
) -> dict | None:
    """Record a consent decision for one purpose, with staff, method and the version of
    the consent text on show. Returns the new record, or None if nothing changed."""
    purpose = model.check_choice(purpose, model.CONSENT_PURPOSES, "consent purpose")
    status = model.check_choice(status, model.CONSENT_STATES, "consent status")
    method = model.check_choice(method, CONSENT_METHODS, "consent method")
    with store.transaction():
        lead = lead_store.get_lead(store, lead_id)
        last = store.conn.execute("SELECT coalesce(MAX(id), 0) FROM consent_records").fetchone()[0]
        lead_store.update_lead(
            store,
            lead["id"],
            {"consent": {purpose: status}},
            command="consent",
            consent_method=method,
        )
        version = archive_texts(store)
        store.conn.execute(
            "UPDATE consent_records SET text_version = ? WHERE id > ? AND lead_uuid = ?"
            " AND text_version IS NULL",
            [version, last, lead["uuid"]],
        )
        records = consent_history(store, lead["id"])
    new = [r for r in records if r["id"] > last]
    return new[-1] if new else None


def consent_history(store: Store, lead_id: int | str) -> list[dict]:
    """Every consent record of a lead, oldest first: the proof of what was agreed."""
    lead = lead_store.get_lead(store, lead_id)
    rows = store.conn.execute(
        "SELECT id, uid, purpose, status, recorded_at, staff, device, method, text_version"
        " FROM consent_records WHERE lead_uuid = ? ORDER BY recorded_at, id",
        [lead["uuid"]],
    )
    keys = (
        "id",
        "uid",
        "purpose",
        "status",
        "recorded_at",
        "staff",
        "device",
        "method",
        "text_version",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]
