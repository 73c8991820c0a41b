"""One parser for every date a user types: `--since/--until/--date`, `edit --due`,
`followup due`. Days are counted in the event's time zone.

Accepted: YYYY-MM-DD, today, yesterday, tomorrow, `+3d`/`+2w` (from today) and `-3d`/`-2w`
(before today); for bounds also an ISO 8601 date-time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from leadcap.errors import UsageError

_RELATIVE = re.compile(r"^([+-])(\d{1,4})([dw])$")
DAY_FORMS = "YYYY-MM-DD, today, yesterday, +3d, +2w or -1w"


def parse_day(store, text: str, what: str) -> date:
    """A day as typed; UsageError naming `what` (an option or "due date") otherwise."""
    value = text.strip().lower()
    today = store.now().date()
    named = {"today": today, "yesterday": today - timedelta(days=1),
             "tomorrow": today + timedelta(days=1)}  # fmt: skip
    if value in named:
        return named[value]
    relative = _RELATIVE.match(value)
    if relative:
        sign, number, unit = relative.groups()
        days = int(number) * (7 if unit == "w" else 1)
        return today + timedelta(days=days if sign == "+" else -days)
    if len(value) == 10:  # fromisoformat would also take 20261209 and week dates
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise UsageError(f"{what} {text!r} is not a date. Use {DAY_FORMS}")


def due_date(store, text: str) -> str | None:
    """A follow-up due date as YYYY-MM-DD, or None for `none`, `-` or nothing (clear it)."""
    if text.strip().lower() in ("", "none", "-"):
        return None
    return parse_day(store, text, "due date").isoformat()


def time_bound(store, value: str | None, option: str, *, end: bool = False) -> str | None:
    """`--since/--until/--date` as a UTC ISO bound. A day means the whole day in the event's
    time zone, so `--until 2026-12-09` still includes that evening; an ISO date-time is
    taken as it is (in the event's zone when it has no offset)."""
    if not value:
        return None
    try:
        day = parse_day(store, value, option)
    except UsageError:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise UsageError(
                f"{option} {value!r} is not a date. Use {DAY_FORMS} or an ISO date-time"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=store.zone())
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    if end:
        day = day + timedelta(days=1)
    moment = datetime.combine(day, time(0), tzinfo=store.zone())
    return moment.astimezone(UTC).isoformat(timespec="seconds")
