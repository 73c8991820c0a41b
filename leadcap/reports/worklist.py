"""The post-fair worklist: who follows up which lead, by when, and with what outcome.

Every change goes through `leadcap.store.leads.update_lead`, so it is logged, shows in
`leadcap history` and `leadcap undo` reverts it. The fields (status, owner, due) are the
same ones the Excel export writes and `leadcap import followups` reads back.

Service levels: a lead should be followed up within N days of its capture, N depending on
its rating (event settings `followup-days.hot` etc., defaults in `DEFAULT_DAYS`). The
default applies in two places: `assign` stores it as the due date when the lead has none,
and the worklist shows it (marked as a default) for leads that have no due date yet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from leadcap.errors import LeadcapError, UsageError
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.dates import due_date
from leadcap.store.leads import append_note, get_lead, iter_leads, update_lead

UNRATED = "unrated"
RATING_ORDER = (*model.RATINGS, UNRATED)
DEFAULT_DAYS = {"hot": 2, "warm": 7, "cold": 30, UNRATED: 14}
CLOSED_STATUSES = ("won", "lost")
OUTCOMES = ("contacted", "meeting", "offer", "won", "lost")
SETTING_PREFIX = "followup-days."


class WorklistItem(model.Lead):
    """A lead on the worklist: its due date as shown (the stored one or the service-level
    default), whether that is the default, and whether it has passed."""

    effective_due: str
    due_is_default: bool
    overdue: bool


@dataclass
class Filter:
    owner: str | None = None  # case-insensitive; "" means leads nobody owns yet
    overdue: bool = False
    rating: str | None = None  # hot, warm, cold or unrated


def service_days(store: Store) -> dict[str, int]:
    """Days allowed per rating: the event's `followup-days.*` settings over the defaults."""
    days = dict(DEFAULT_DAYS)
    for rating in RATING_ORDER:
        value = store.setting(SETTING_PREFIX + rating)
        if value is None:
            continue
        try:
            number = int(str(value).strip())
        except ValueError:
            number = -1
        if number < 0:
            raise LeadcapError(
                f"setting {SETTING_PREFIX}{rating} is {value!r}, not a number of days."
                f" Fix it: leadcap config set {SETTING_PREFIX}{rating} {DEFAULT_DAYS[rating]}"
            )
        days[rating] = number
    return days


def capture_date(store: Store, lead: Mapping[str, Any]) -> date:
    """The day the lead was captured, in the event's time zone."""
    return datetime.fromisoformat(lead["captured_at"]).astimezone(store.zone()).date()


def default_due(store: Store, lead: Mapping[str, Any], days: dict[str, int] | None = None) -> str:
    """Capture date plus the service level of the lead's rating, as YYYY-MM-DD."""
    days = days or service_days(store)
    allowed = days[lead.get("rating") or UNRATED]
    return (capture_date(store, lead) + timedelta(days=allowed)).isoformat()


def parse_date(store: Store, text: str) -> str | None:
    """YYYY-MM-DD, `+3d` / `+2w` from today (event time zone), or `none` to clear."""
    return due_date(store, text)


def worklist(
    store: Store, flt: Filter | None = None, *, today: date | None = None
) -> list[WorklistItem]:
    """Open follow-ups (not won/lost, not deleted): hot, warm, cold, unrated; then by the
    due date shown (a lead without one sorts by its default); then by capture time.
    Each lead gets `effective_due`, `due_is_default` and `overdue` besides its fields."""
    flt = flt or Filter()
    rating = _check_rating(flt.rating)
    today = today or store.now().date()
    days = service_days(store)
    items = []
    for lead in iter_leads(store, order="captured_utc, id"):
        if (lead["status"] or "new") in CLOSED_STATUSES:
            continue
        if rating and (lead["rating"] or UNRATED) != rating:
            continue
        if flt.owner is not None and (lead["owner"] or "").casefold() != flt.owner.casefold():
            continue
        shown = lead["due"] or default_due(store, lead, days)
        item: WorklistItem = {
            **lead,
            "effective_due": shown,
            "due_is_default": lead["due"] is None,
            "overdue": date.fromisoformat(shown) < today,
        }
        if flt.overdue and not item["overdue"]:
            continue
        items.append(item)
    # Stable sort: capture order from the query survives within equal rating and due.
    items.sort(
        key=lambda item: (
            RATING_ORDER.index(item["rating"] or UNRATED),
            item["effective_due"],
            item["due_is_default"],
        )
    )
    return items


def _check_rating(rating: str | None) -> str | None:
    if rating is None:
        return None
    value = rating.strip().lower()
    value = UNRATED if value in ("none", "") else value
    if value not in RATING_ORDER:
        raise UsageError(f"unknown rating {rating!r}. Use one of: {', '.join(RATING_ORDER)}")
    return value


def assign(store: Store, lead_id: int | str, owner: str) -> model.Lead:
    """Give a lead an owner; a lead without a due date gets the service-level default.
    One logged change, so one `leadcap undo` takes back owner and due together."""
    cleaned = model.clean(owner)
    if not cleaned:
        raise UsageError("the owner is empty. Give a name: leadcap followup assign 12 ken")
    lead = get_lead(store, lead_id, include_deleted=False)
    changes = {"owner": cleaned}
    if not lead["due"]:
        changes["due"] = default_due(store, lead)
    return update_lead(store, lead["id"], changes, command="followup assign")


def assign_unassigned(store: Store, owner: str) -> list[model.Lead]:
    """Give every open lead without an owner to `owner`. Each lead is its own logged
    change, so `leadcap undo` takes them back one lead at a time."""
    open_ids = [item["id"] for item in worklist(store, Filter(owner=""))]
    return [assign(store, lead_id, owner) for lead_id in open_ids]


def set_due(store: Store, lead_id: int | str, text: str) -> model.Lead:
    """Set (or with `none` clear) a lead's due date."""
    due = parse_date(store, text)
    lead = get_lead(store, lead_id, include_deleted=False)
    return update_lead(store, lead["id"], {"due": due}, command="followup due")


def done(store: Store, lead_id: int | str, outcome: str, note: str | None = None) -> model.Lead:
    """Record what came of a follow-up: the status, and a stamped note if given. Both are
    one logged change. won and lost take the lead off the worklist."""
    value = (outcome or "").strip().lower()
    if value not in OUTCOMES:
        raise UsageError(f"unknown outcome {outcome!r}. Use one of: {', '.join(OUTCOMES)}")
    lead = get_lead(store, lead_id, include_deleted=False)
    batch = store.new_batch()
    with store.transaction():
        lead = update_lead(
            store, lead["id"], {"status": value}, command="followup done", batch=batch
        )
        if note and note.strip():
            lead = append_note(store, lead["id"], note, command="followup done", batch=batch)
    return lead
