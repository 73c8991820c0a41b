"""Cards become leads: read each card, keep its image, create a lead or fill one in.

Every lead from a card is flagged for review: OCR is never sure, and the review loop shows
the card beside the fields (`leadcap cards review`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadcap.errors import CardError
from leadcap.intake.cards.fields import REVIEW_BELOW, CardFields
from leadcap.intake.cards.lines import LEAD_COLUMNS
from leadcap.intake.cards.reader import CardReading, card_files, load_pages, read_card
from leadcap.intake.cards.storage import add_card
from leadcap.store import leads as lead_store
from leadcap.store import model
from leadcap.store.database import Store

TYPE_FROM_CARD = "type from card"
COMMAND = "cards import"


@dataclass
class CardImport:
    """One card image: the lead it went to, or why it could not be read."""

    path: Path
    page: int = 1
    lead: model.Lead | None = None
    created: bool = False
    reading: CardReading | None = None
    filled: list[str] = field(default_factory=list)
    error: str | None = None
    duplicate: bool = False  # this very card was imported before: nothing changed


def lead_fields(fields: CardFields) -> dict[str, str]:
    """The card's fields as lead columns: address -> street, fax -> notes."""
    values = fields.values
    lead = {name: values[name] for name in LEAD_COLUMNS if values.get(name)}
    if values.get("address"):
        lead["street"] = values["address"]
    family, given = values.get("family_name"), values.get("given_name")
    if family or given:
        japanese = any("\u3040" <= c <= "\u9fff" for c in (family or "") + (given or ""))
        parts = [family, given] if japanese or fields.layout == "vertical" else [given, family]
        lead["full_name"] = " ".join(p for p in parts if p)
    if values.get("fax"):
        lead["notes"] = f"Fax: {values['fax']}"
    return lead


def review_reasons(reading: CardReading) -> list[str]:
    """Why a lead from this card needs a look, with the confidence of doubtful fields."""
    fields = reading.fields
    if reading.source == "none":
        return [TYPE_FROM_CARD]
    if reading.source == "qr":
        return ["read from the card's QR code: check against the card"]
    reasons = [f"read from card by OCR ({reading.engine}): check against the card"]
    doubtful = sorted(fields.low_confidence(REVIEW_BELOW), key=lambda n: fields.confidence[n])
    if doubtful:
        listed = ", ".join(f"{name} {fields.confidence[name]:.0%}" for name in doubtful)
        reasons.append(f"card fields read with low confidence: {listed}")
    return reasons


def import_card_image(
    store: Store,
    image: Any,
    *,
    file_name: str | None = None,
    lead_id: int | str | None = None,
    ocr: bool = True,
    engine: Any = None,
) -> CardImport:
    """Read one card image (PIL) and store it: a new lead, or the lead `lead_id` whose
    empty fields the card fills. A card whose e-mail is a lead's already goes to that lead
    (a returning visitor); the same card again changes nothing; a card of someone who asked
    to be forgotten is not imported. Commits before returning."""
    import hashlib

    from leadcap.store import tombstones
    from leadcap.store.leads import find_same_person

    reading = read_card(image, ocr=ocr, engine=engine)
    result = CardImport(Path(file_name or "card"), reading=reading)
    values = lead_fields(reading.fields)
    if lead_id is None:
        digest = hashlib.sha256(reading.image).hexdigest()
        row = store.conn.execute(
            "SELECT l.id FROM cards c JOIN leads l ON l.uuid = c.lead_uuid"
            " WHERE c.sha256 = ? AND l.deleted_at IS NULL LIMIT 1",
            [digest],
        ).fetchone()
        if row:
            result.lead, result.duplicate = lead_store.get_lead(store, row[0]), True
            return result
        if tombstones.is_forgotten(store, values):
            result.error = (
                "this person asked to be forgotten (GDPR/APPI erasure); the card was not kept"
            )
            return result
        same = find_same_person(store, values)
        lead_id = same["id"] if same else None
    meta = {
        "values": reading.fields.values,
        "confidence": reading.fields.confidence,
        "layout": reading.fields.layout,
        "engine": reading.engine,
        "qr": reading.qr_text,
    }
    with store.transaction():
        if lead_id is None:
            lead = lead_store.add_lead(
                store,
                values,
                source="card",
                raw_payload=reading.qr_text,
                review_reasons=review_reasons(reading),
                command=COMMAND,
            )
            result.created = True
            result.filled = sorted(values)
        else:
            lead = lead_store.get_lead(store, lead_id)
            empty = {k: v for k, v in values.items() if not lead.get(k) and k != "notes"}
            if values.get("notes"):
                notes = lead.get("notes")
                empty["notes"] = f"{notes}\n{values['notes']}" if notes else values["notes"]
            if empty:
                lead = lead_store.update_lead(store, lead["id"], empty, command=COMMAND)
            lead = lead_store.add_review_reasons(store, lead["id"], review_reasons(reading))
            result.filled = sorted(empty)
        add_card(
            store,
            lead["uuid"],
            reading.image,
            width=reading.width,
            height=reading.height,
            source=reading.source,
            fields=meta,
            file_name=file_name,
        )
    result.lead = lead
    return result


def import_cards(
    store: Store,
    paths: list[Path],
    *,
    lead_id: int | str | None = None,
    ocr: bool = True,
    engine: Any = None,
) -> list[CardImport]:
    """Import card photos, scans and PDF pages (folders: their card files). One bad file
    is reported in its result and does not stop the others."""
    files = card_files(paths)
    if not files:
        raise CardError("no card images found (JPEG, PNG, HEIC or PDF). Check the path")
    if lead_id is not None:
        lead_store.get_lead(store, lead_id)  # NotFound before any work
    results: list[CardImport] = []
    for path in files:
        try:
            for page, image in enumerate(load_pages(path), start=1):
                result = import_card_image(
                    store, image, file_name=path.name, lead_id=lead_id, ocr=ocr, engine=engine
                )
                result.path, result.page = path, page
                results.append(result)
        except CardError as error:
            results.append(CardImport(path, error=str(error)))
    return results
