"""Tombstones: what stays of a forgotten person so that a merge, sync, import or re-scan
does not bring them back silently. Only salted hashes of the e-mail and badge id are
kept, nothing readable.

Each tombstone carries its own salt: two laptops that never met made different salts,
and a lead is checked against every salt present, so tombstones still match after merging."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from leadcap.store import model
from leadcap.store.database import Store

SALT_SETTING = "tombstone_salt"


def identities(lead: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, normalised value) pairs that identify a person: e-mail and badge id."""
    found = []
    email = model.normalise_email(lead.get("email"))
    if email:
        found.append(("email", email))
    badge = model.fold(lead.get("badge_id"))
    if badge:
        found.append(("badge", badge))
    return found


def digest(salt: str, kind: str, value: str) -> str:
    return hashlib.sha256(f"{salt}\x00{kind}\x00{value}".encode()).hexdigest()


def salt(store: Store) -> str:
    value = store.setting(SALT_SETTING)
    if not value:
        value = secrets.token_hex(16)
        store.set_setting(SALT_SETTING, value)
    return value


def bury(store: Store, lead: Mapping[str, Any], at: str) -> int:
    """Write the tombstones for a lead (inside the caller's transaction). Returns how many."""
    this_salt = salt(store)
    rows = [
        (digest(this_salt, kind, value), this_salt, kind, at) for kind, value in identities(lead)
    ]
    store.conn.executemany(
        "INSERT OR IGNORE INTO tombstones (hash, salt, kind, forgotten_at) VALUES (?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def is_forgotten(store: Store, lead: Mapping[str, Any]) -> bool:
    """Does this lead's e-mail or badge id match a forgotten person's?"""
    pairs = identities(lead)
    if not pairs:
        return False
    salts = [row[0] for row in store.conn.execute("SELECT DISTINCT salt FROM tombstones")]
    hashes = [digest(s, kind, value) for s in salts for kind, value in pairs]
    if not hashes:
        return False
    marks = ", ".join("?" for _ in hashes)
    row = store.conn.execute(f"SELECT 1 FROM tombstones WHERE hash IN ({marks}) LIMIT 1", hashes)
    return row.fetchone() is not None
