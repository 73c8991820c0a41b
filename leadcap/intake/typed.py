"""A badge number or e-mail typed by hand at the scan prompt becomes a lead (source
`manual`), recognised as a returning visitor like a scan would be."""

from __future__ import annotations

import re

from leadcap.intake.attendees import NOT_IN_LIST_REASON
from leadcap.intake.attendees import lookup as attendee_lookup
from leadcap.intake.capture import Capture, SessionDefaults, count_visit
from leadcap.store import leads, model
from leadcap.store.database import Store
from leadcap.store.leads import find_same_person

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Badge numbers: letters, digits and a few separators, with at least one digit.
_BADGE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9._/-]{2,39}$")


def typed_kind(store: Store, text: str) -> str | None:
    """`email`, `badge`, or None when the text is neither (a person typing something else)."""
    text = text.strip()
    if _EMAIL.match(text):
        return "email"
    pattern = store.setting("badge_pattern")
    if pattern:
        try:
            if re.fullmatch(pattern, text):
                return "badge"
        except re.error:
            pass
    return "badge" if _BADGE.match(text) else None


def capture_typed(store: Store, text: str, *, defaults: SessionDefaults | None = None) -> Capture:
    """Save what was typed as a lead and commit it; flagged for review only if it looks
    wrong (an implausible e-mail, a badge number missing from the attendee list)."""
    from leadcap.store.tombstones import is_forgotten

    defaults = defaults or SessionDefaults()
    text = text.strip()
    kind = typed_kind(store, text)
    if kind is None:
        return Capture("error", message=f"{text!r} is neither a badge number nor an e-mail")
    fields = {"email": text} if kind == "email" else {"badge_id": text}
    reasons = []
    if kind == "email" and model.email_problem(text):
        reasons.append(model.email_problem(text))
    if kind == "badge":
        found = attendee_lookup(store, text)
        has_list = store.conn.execute("SELECT 1 FROM attendees LIMIT 1").fetchone()
        if found is None and has_list:
            reasons.append(NOT_IN_LIST_REASON)
        for key, value in (found or {}).items():
            fields.setdefault(key, value)
    if is_forgotten(store, fields):
        return Capture("forgotten", message="this person asked to be forgotten", source="manual")
    existing = find_same_person(store, fields)
    if existing:
        lead = count_visit(store, existing, defaults)
        return Capture("duplicate", [lead], source="manual", first_seen=existing)
    lead = leads.add_lead(
        store,
        fields,
        tags=defaults.tags,
        rating=defaults.rating,
        exhibitor=defaults.exhibitor,
        source="manual",
        review_reasons=[r for r in reasons if r],
        command="scan",
    )
    return Capture("new", [lead], source="manual")
