"""Counts for the booth dashboard (`leadcap stats`), computed in SQL on live leads.

Days and hours are those of the event's time zone. SQL groups captures into UTC quarter
hours (every time zone offset in use is a whole number of quarter hours, so a quarter hour
never straddles a local hour or a DST change); Python then turns each quarter hour into its
local day and hour with the zone's rules for that moment. A fixed offset in SQL would put
the leads of a DST day into the wrong hour.

Every query reads its rows to the end, so no read transaction stays open between two
refreshes of `--watch` and scans from other processes appear on the next one."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.leads import LeadFilter, filter_sql

UNRATED = "unrated"
NO_STAFF = "(unknown)"
HOURS = tuple(f"{h:02d}" for h in range(24))


def day_bounds(zone: ZoneInfo, day: date) -> tuple[str, str]:
    """A local day as UTC ISO bounds [start, end): 23 or 25 hours long on DST days."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")


def _grouped(store: Store, sql: str, params: list) -> dict[str, int]:
    return {key: count for key, count in store.conn.execute(sql, params).fetchall()}


def totals(store: Store, flt: LeadFilter | None = None) -> dict:
    """Total, review, returning visitors, ratings and consent of the selected leads."""
    where, params = filter_sql(flt or LeadFilter(), "l")
    purposes = model.CONSENT_PURPOSES
    consent_sql = "".join(
        f", COUNT(*) FILTER (WHERE json_extract(l.consent, '$.{p}') = 'granted')" for p in purposes
    )
    row = store.conn.execute(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE l.needs_review),"
        " COUNT(*) FILTER (WHERE l.visits > 1),"
        " COUNT(*) FILTER (WHERE l.rating = 'hot'), COUNT(*) FILTER (WHERE l.rating = 'warm'),"
        " COUNT(*) FILTER (WHERE l.rating = 'cold'), COUNT(*) FILTER (WHERE l.rating IS NULL),"
        f" COUNT(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM lead_tags lt WHERE lt.lead_id = l.id))"
        f"{consent_sql} FROM leads l WHERE {where}",
        params,
    ).fetchall()[0]
    total, review, returning, hot, warm, cold, unrated, untagged, *granted = row
    granted = dict(zip(purposes, granted, strict=True))
    return {
        "total": total,
        "needs_review": review,
        "returning_visitors": returning,
        "per_rating": {"hot": hot, "warm": warm, "cold": cold, UNRATED: unrated},
        "untagged": untagged,
        "consent_granted": granted,
        "consent_rate": {p: round(n / total, 4) if total else None for p, n in granted.items()},
    }


def breakdowns(store: Store, flt: LeadFilter | None = None) -> dict:
    """Leads per staff member, interest tag and co-exhibitor, most first."""
    where, params = filter_sql(flt or LeadFilter(), "l")
    per_staff = _grouped(
        store,
        f"SELECT coalesce(l.captured_by, '{NO_STAFF}') AS staff, COUNT(*) FROM leads l"
        f" WHERE {where} GROUP BY staff ORDER BY COUNT(*) DESC, staff COLLATE NOCASE",
        params,
    )
    per_tag = _grouped(
        store,
        "SELECT t.name, COUNT(*) FROM lead_tags lt JOIN tags t ON t.id = lt.tag_id"
        f" JOIN leads l ON l.id = lt.lead_id WHERE {where}"
        " GROUP BY t.id ORDER BY COUNT(*) DESC, t.position IS NULL, t.position, t.name",
        params,
    )
    per_exhibitor = _grouped(
        store,
        f"SELECT l.exhibitor, COUNT(*) FROM leads l WHERE {where} AND l.exhibitor IS NOT NULL"
        " GROUP BY l.exhibitor ORDER BY COUNT(*) DESC, l.exhibitor COLLATE NOCASE",
        params,
    )
    return {
        "per_staff": per_staff,
        "per_tag": per_tag,
        "per_exhibitor": per_exhibitor,
        "per_answer": per_answer(store, where, params),
    }


NO_ANSWER = "(no answer)"


def per_answer(store: Store, where: str, params: list) -> dict[str, dict[str, int]]:
    """For each choice question (single, multi, yes/no) not removed: leads per choice in
    the question's order, then how many gave no answer. A multi answer counts once per
    chosen choice. `where` is a condition on leads aliased `l`."""
    from leadcap.store.questions import CHOICE_TYPES, list_questions

    found: dict[str, dict[str, int]] = {}
    total = store.conn.execute(f"SELECT COUNT(*) FROM leads l WHERE {where}", params).fetchall()
    for question in list_questions(store):
        if question.type not in CHOICE_TYPES:
            continue
        rows = store.conn.execute(
            "SELECT j.value, COUNT(DISTINCT l.id) FROM leads l JOIN lead_answers a"
            " ON a.lead_id = l.id AND a.question = ?, json_each(a.value) j"
            f" WHERE {where} GROUP BY j.value",
            [question.name, *params],
        ).fetchall()
        counts = {str(value): count for value, count in rows}
        answered = store.conn.execute(
            "SELECT COUNT(*) FROM leads l JOIN lead_answers a ON a.lead_id = l.id"
            f" AND a.question = ? WHERE {where}",
            [question.name, *params],
        ).fetchall()[0][0]
        ordered = {c["value"]: counts.pop(c["value"], 0) for c in question.choices}
        ordered.update(counts)  # choices since dropped from the question, as given
        ordered[NO_ANSWER] = total[0][0] - answered
        found[question.name] = ordered
    return found


def timeline(store: Store, flt: LeadFilter | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """(leads per local day with empty days in between filled in, leads per local hour of
    day "00".."23") for the selected leads."""
    where, params = filter_sql(flt or LeadFilter(), "l")
    rows = store.conn.execute(
        "SELECT substr(l.captured_utc, 1, 14)"
        " || printf('%02d', CAST(substr(l.captured_utc, 15, 2) AS INTEGER) / 15 * 15),"
        f" COUNT(*) FROM leads l WHERE {where} GROUP BY 1",
        params,
    ).fetchall()
    zone = store.zone()
    days: Counter = Counter()
    hours: Counter = Counter()
    for quarter, count in rows:
        local = datetime.fromisoformat(quarter + ":00+00:00").astimezone(zone)
        days[local.date()] += count
        hours[f"{local.hour:02d}"] += count
    per_day = {}
    if days:
        day, last = min(days), max(days)
        while day <= last:
            per_day[day.isoformat()] = days[day]
            day += timedelta(days=1)
    return per_day, {hour: hours[hour] for hour in HOURS}


def compute(store: Store, flt: LeadFilter | None = None) -> dict:
    """Everything `leadcap stats` shows, for the leads the filter selects. `today` counts
    today's leads among them whatever the filter's date bounds."""
    flt = flt or LeadFilter()
    now = store.now()
    today_start, today_end = day_bounds(store.zone(), now.date())
    where, params = filter_sql(replace(flt, since=today_start, until=today_end), "l")
    today = store.conn.execute(f"SELECT COUNT(*) FROM leads l WHERE {where}", params).fetchall()
    counts = totals(store, flt)
    per_day, per_hour = timeline(store, flt)
    return {
        "as_of": now.isoformat(),
        "timezone": store.timezone,
        "since": flt.since,
        "until": flt.until,
        "total": counts.pop("total"),
        "today": today[0][0],
        **counts,
        "per_day": per_day,
        "per_hour": per_hour,
        **breakdowns(store, flt),
    }


def ranked(counts: dict, other: str, limit: int = 15) -> list[tuple[object, int]]:
    """(label, count) largest first (ties keep their order); past `limit` entries the rest
    are summed up in one `other` row (the report's charts and the terminal's bars)."""
    items = sorted(counts.items(), key=lambda item: -item[1])
    if len(items) <= limit:
        return items
    return [*items[:limit], (other, sum(n for _, n in items[limit:]))]
