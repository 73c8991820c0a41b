"""Which leads from cards still need someone to check them against the card."""

from __future__ import annotations

from leadcap.intake.cards.storage import lead_uuids_with_cards
from leadcap.store import leads as lead_store
from leadcap.store import model
from leadcap.store.database import Store


def review_queue(store: Store, *, include_reviewed: bool = False) -> list[model.Lead]:
    """Live leads that have a card and need review (all with a card: `include_reviewed`),
    oldest capture first, so the review follows the order the cards came in."""
    with_cards = lead_uuids_with_cards(store)
    found = []
    for lead_uuid in with_cards:
        row = store.conn.execute(
            "SELECT id FROM leads WHERE uuid = ? AND deleted_at IS NULL", [lead_uuid]
        ).fetchone()
        if row is None:
            continue
        lead = lead_store.get_lead(store, row[0])
        if include_reviewed or lead["needs_review"]:
            found.append(lead)
    return sorted(found, key=lambda lead: (lead["captured_at"], lead["id"]))
