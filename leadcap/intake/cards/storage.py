"""Card images kept in the database (table `cards`, migration m006), one row per image
and lead. Rows are keyed by the lead's uuid, so forget/purge erase them with the lead and
merge/sync carry them like the change log."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadcap.errors import NotFound
from leadcap.store import model
from leadcap.store.database import Store

_COLUMNS = "uid, lead_uuid, media_type, sha256, file_name, width, height, source, fields, added_at"


def add_card(
    store: Store,
    lead_uuid: str,
    image: bytes,
    *,
    width: int,
    height: int,
    source: str,
    fields: dict | None = None,
    file_name: str | None = None,
    media_type: str = "image/jpeg",
) -> str:
    """Keep a card image for a lead (inside the caller's transaction, or its own).
    The same image for the same lead is kept once; returns the card's uid."""
    digest = hashlib.sha256(image).hexdigest()
    with store.transaction():
        row = store.conn.execute(
            "SELECT uid FROM cards WHERE lead_uuid = ? AND sha256 = ?", [lead_uuid, digest]
        ).fetchone()
        if row:
            return row[0]
        uid = uuid.uuid4().hex
        store.conn.execute(
            "INSERT INTO cards (uid, lead_uuid, image, media_type, sha256, file_name, width,"
            " height, source, fields, added_at, staff, device)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                uid,
                lead_uuid,
                image,
                media_type,
                digest,
                file_name,
                width,
                height,
                source,
                json.dumps(fields or {}, ensure_ascii=False),
                store.now().isoformat(),
                store.staff,
                store.device,
            ],
        )
    return uid


def _lead_uuids(store: Store, lead: model.Lead) -> list[str]:
    """The lead's uuid and those merged into it (aliases), whose cards are its cards."""
    rows = store.conn.execute(
        "SELECT alias_uuid FROM lead_aliases WHERE lead_uuid = ?", [lead["uuid"]]
    )
    return [lead["uuid"], *(row[0] for row in rows)]


def lead_cards(store: Store, lead: model.Lead) -> list[dict]:
    """The lead's cards (without the image bytes), oldest first."""
    uuids = _lead_uuids(store, lead)
    marks = ", ".join("?" for _ in uuids)
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM cards WHERE lead_uuid IN ({marks}) ORDER BY added_at, uid",
        uuids,
    ).fetchall()
    names = [c.strip() for c in _COLUMNS.split(",")]
    cards = [dict(zip(names, row, strict=True)) for row in rows]
    for card in cards:
        card["fields"] = json.loads(card["fields"] or "{}")
    return cards


def card_image(store: Store, uid: str) -> bytes:
    row = store.conn.execute("SELECT image FROM cards WHERE uid = ?", [uid]).fetchone()
    if row is None:
        raise NotFound(f"no card {uid}")
    return bytes(row[0])


def lead_uuids_with_cards(store: Store) -> dict[str, str]:
    """lead uuid (aliases resolved to their lead) -> uid of its first card."""
    found: dict[str, str] = {}
    rows = store.conn.execute(
        "SELECT coalesce(a.lead_uuid, c.lead_uuid), c.uid FROM cards c"
        " LEFT JOIN lead_aliases a ON a.alias_uuid = c.lead_uuid ORDER BY c.added_at, c.uid"
    )
    for lead_uuid, uid in rows:
        found.setdefault(lead_uuid, uid)
    return found


def card_file_name(lead: Mapping[str, Any], index: int = 0) -> str:
    """The file name a lead's card gets when written out: lead-12-card.jpg."""
    suffix = f"-{index + 1}" if index else ""
    return f"lead-{lead['id']}-card{suffix}.jpg"


def write_card(store: Store, lead: model.Lead, folder: Path) -> Path:
    """Write the lead's first card image into `folder`; returns the file's path."""
    cards = lead_cards(store, lead)
    if not cards:
        raise NotFound(f"lead {lead['id']} has no card. Import one with: leadcap cards import")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / card_file_name(lead)
    path.write_bytes(card_image(store, cards[0]["uid"]))
    return path
