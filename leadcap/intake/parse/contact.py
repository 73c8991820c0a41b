"""The shape every payload parser returns: plain data, no database, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadcap.store.model import LEAD_FIELDS, SOURCES

__all__ = ["CONTACT_FIELDS", "SOURCES", "ParseResult", "ParsedContact"]

# Contact fields a parser may fill: the lead's own contact fields, same names as its JSON.
CONTACT_FIELDS = LEAD_FIELDS


@dataclass
class ParsedContact:
    """One person found in a payload. Values are as written in the payload (unescaped, decoded),
    not normalised: normalisation happens when the contact becomes a lead."""

    source: str = "unknown"
    badge_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    full_name: str | None = None
    name_reading: str | None = None
    company: str | None = None
    department: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    website: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None  # state, prefecture, Bundesland
    postal_code: str | None = None
    country: str | None = None
    notes: str | None = None
    # Further values that have no column of their own (second e-mail, fax...), kept for notes.
    extra_emails: list[str] = field(default_factory=list)
    extra_phones: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fields(self) -> dict[str, str]:
        """The non-empty contract fields, for building a lead."""
        values = ((name, getattr(self, name)) for name in CONTACT_FIELDS)
        return {name: value for name, value in values if value}

    def is_empty(self) -> bool:
        return not self.fields()


@dataclass
class ParseResult:
    """What a payload turned into. `raw` is always the payload as text (bytes decoded
    best-effort), so a scan can be stored even when nothing in it was understood."""

    raw: str
    source: str
    contacts: list[ParsedContact]
    warnings: list[str] = field(default_factory=list)
    # Set when the payload arrived through a mismatched keyboard layout ("de" or "jp").
    keyboard_layout: str | None = None
