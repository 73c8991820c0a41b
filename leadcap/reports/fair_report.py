"""The fair report (`leadcap report`): the counts an organiser pastes into the report to the
funding ministry, as a workbook with one sheet per topic, each a table with a native Excel
chart next to it (Excel, LibreOffice and PowerPoint paste render them).

Why openpyxl here, when exports use leadcap's own streaming writer (`export/sheetxml.py`):
this workbook holds aggregates only, a few hundred cells whatever the number of leads, so
memory and speed are no concern; what it needs is native charts (chart parts, drawings and
their relationships), which the streaming writer does not make and which would be a second
chart writer to maintain. openpyxl's normal (not write-only) mode writes them.

Aggregates only, so the file can be shared: no visitor's name, e-mail, phone or badge id is
read into the report. Staff, owner, co-exhibitor, tag and country names are the only texts.

The counts come from `leadcap.reports.stats` (the same numbers `leadcap stats --json` shows);
this module adds what only the report needs: countries, visits per lead, follow-up status,
the funnel and the service level, and which laptops' data went in.

The qualifying questions' answers come from `stats` too (`per_answer`, the choice
questions); `gather()` adds the questions' labels so the "Answers" sheet speaks the
report's language."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from leadcap.errors import LeadcapError, UsageError
from leadcap.export.grouping import exhibitor_spellings
from leadcap.reports import stats
from leadcap.reports.fair_words import LANGUAGES, SERVICE_KEYS, WORDS
from leadcap.reports.worklist import UNRATED, default_due, service_days
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.leads import LeadFilter, filter_sql
from leadcap.store.questions import list_questions

FUNNEL = ("new", "contacted", "meeting", "offer", "won")
VISIT_BUCKETS = ("1", "2", "3", "4", "5+")
RATING_KEYS = (*model.RATINGS, UNRATED)


# -- the numbers ------------------------------------------------------------------------


def gather(store: Store, flt: LeadFilter | None = None) -> dict:
    """Every number the report shows, for the leads the filter selects (live leads; the
    same filter as `leadcap stats`, so the counts are the ones `stats --json` shows)."""
    flt = flt or LeadFilter()
    counts = stats.compute(store, flt)
    where, params = filter_sql(flt, "l")
    funnel, lost, service = _followup(store, where, params)
    configured = [name for name in store.setting("exhibitors") or [] if model.clean(name)]
    days = list(counts["per_day"])
    return {
        "stats": counts,
        "event": store.event,
        "pavilion": store.setting("pavilion"),
        "exhibitors": [flt.exhibitor]
        if flt.exhibitor
        else _unique([*configured, *counts["per_exhibitor"]]),
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
        "per_country": _per_country(store, where, params),
        "visits": _visits(store, where, params),
        "status_per_owner": _status_per_owner(store, where, params),
        "funnel": funnel,
        "lost": lost,
        "service_level": service,
        "devices": _devices(store, where, params),
        "questions": {q.name: q.as_dict() for q in list_questions(store)},
        "made_at": store.now().isoformat(),
    }


def _unique(names: Sequence[str]) -> list[str]:
    """One name per exhibitor, as first spelt (the export's split files agree)."""
    return list(exhibitor_spellings(names).values())


def _per_country(store: Store, where: str, params: list) -> dict[str | None, int]:
    """Leads per country, most first; ISO codes upper-cased, names as typed, None unknown."""
    rows = store.conn.execute(
        "SELECT CASE WHEN length(trim(l.country)) = 2 THEN upper(trim(l.country))"
        " ELSE nullif(trim(l.country), '') END AS c, COUNT(*) FROM leads l"
        f" WHERE {where} GROUP BY c ORDER BY COUNT(*) DESC, c IS NULL, c",
        params,
    ).fetchall()
    return dict(rows)


def _visits(store: Store, where: str, params: list) -> dict[str, int]:
    """Leads by how often the person came by: 1, 2, 3, 4, 5 or more."""
    rows = store.conn.execute(
        f"SELECT min(l.visits, 5), COUNT(*) FROM leads l WHERE {where} GROUP BY 1", params
    ).fetchall()
    found = {VISIT_BUCKETS[max(visits, 1) - 1]: n for visits, n in rows}
    return {bucket: found.get(bucket, 0) for bucket in VISIT_BUCKETS}


def _status_per_owner(store: Store, where: str, params: list) -> dict[str | None, dict]:
    """{owner or None: {status: leads}}, owners with most leads first."""
    rows = store.conn.execute(
        "SELECT nullif(trim(l.owner), '') AS o, l.status, COUNT(*) FROM leads l"
        f" WHERE {where} GROUP BY o, l.status",
        params,
    ).fetchall()
    table: dict = defaultdict(lambda: dict.fromkeys(model.STATUSES, 0))
    for owner, status, n in rows:
        table[owner][status if status in model.STATUSES else "new"] += n
    order = sorted(table, key=lambda o: (-sum(table[o].values()), o is None, (o or "").casefold()))
    return {owner: table[owner] for owner in order}


def _followup(store: Store, where: str, params: list) -> tuple[dict, int, dict]:
    """(funnel, lost, service level). The funnel counts the leads that reached each stage at
    some time, from the change log, so an offer later lost still counts as an offer (and
    a lost lead as contacted at least). The
    service level: for each rating, leads first contacted (status left `new`) by capture
    date + `followup-days.<rating>`, later, or not yet (overdue or still in time)."""
    leads = store.conn.execute(
        f"SELECT l.uuid, l.status, l.rating, l.captured_at, l.updated_at FROM leads l"
        f" WHERE {where}",
        params,
    ).fetchall()
    aliases = dict(store.conn.execute("SELECT alias_uuid, lead_uuid FROM lead_aliases"))
    reached: dict[str, int] = {}
    first_contact: dict[str, datetime] = {}
    for lead_uuid, status, *_ in leads:
        reached[lead_uuid] = FUNNEL.index(status) if status in FUNNEL else int(status == "lost")
    changes = store.conn.execute(
        "SELECT lead_uuid, new_value, changed_at FROM changes"
        " WHERE field = 'status' AND undone_by IS NULL AND new_value IS NOT NULL"
    )
    for lead_uuid, value, at in changes:
        lead_uuid = aliases.get(lead_uuid, lead_uuid)
        if lead_uuid not in reached or value == "new":
            continue
        # A lead marked lost was followed up: it counts as contacted at least.
        stage = FUNNEL.index(value) if value in FUNNEL else FUNNEL.index("contacted")
        reached[lead_uuid] = max(reached[lead_uuid], stage)
        moment = datetime.fromisoformat(at)
        if lead_uuid not in first_contact or moment < first_contact[lead_uuid]:
            first_contact[lead_uuid] = moment
    stages = Counter(reached.values())
    funnel = {
        stage: sum(stages[i] for i in range(n, len(FUNNEL))) for n, stage in enumerate(FUNNEL)
    }

    days = service_days(store)
    zone, today = store.zone(), store.now().date()
    service = {r: {"days": days[r], "leads": 0, **dict.fromkeys(SERVICE_KEYS, 0)} for r in days}
    lost = 0
    for lead_uuid, status, rating, captured_at, updated_at in leads:
        lost += status == "lost"
        row = service[rating or UNRATED]
        row["leads"] += 1
        due = date.fromisoformat(
            default_due(store, {"captured_at": captured_at, "rating": rating}, days)
        )
        contact = first_contact.get(lead_uuid)
        if contact is None and status not in (None, "new"):
            # Status set without a logged change (an old file): the last change is the
            # latest the contact can have been.
            contact = datetime.fromisoformat(updated_at)
        if contact is not None:
            row["in_time" if contact.astimezone(zone).date() <= due else "late"] += 1
        else:
            row["open_overdue" if today > due else "open_in_time"] += 1
    return funnel, lost, {r: service[r] for r in RATING_KEYS}


def _devices(store: Store, where: str, params: list) -> list[dict]:
    """The laptops whose data is in the report: leads each captured and the changes each
    made to the selected leads (merged and synced laptops' changes are in the log)."""
    captured = dict(
        store.conn.execute(
            f"SELECT coalesce(l.device, ''), COUNT(*) FROM leads l WHERE {where} GROUP BY 1",
            params,
        ).fetchall()
    )
    rows = store.conn.execute(
        "SELECT coalesce(c.device, ''), COUNT(*), max(c.changed_at) FROM changes c"
        " LEFT JOIN lead_aliases a ON a.alias_uuid = c.lead_uuid"
        f" JOIN leads l ON l.uuid = coalesce(a.lead_uuid, c.lead_uuid) WHERE {where}"
        " GROUP BY 1",
        params,
    ).fetchall()
    changes = {device: (n, last) for device, n, last in rows}
    devices = sorted(set(captured) | set(changes), key=lambda d: (-captured.get(d, 0), d))
    return [
        {
            "device": device or None,
            "leads": captured.get(device, 0),
            "changes": changes.get(device, (0, None))[0],
            "last_change": changes.get(device, (0, None))[1],
        }
        for device in devices
    ]


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}. Use one of: {', '.join(LANGUAGES)}")
    return lang


def exhibitor_scopes(store: Store, flt: LeadFilter) -> list[str]:
    """The co-exhibitors that get a report of their own with `--per-exhibitor`: the one
    asked for, else the event's configured ones and any on the selected leads, one per
    spelling (configured spelling first)."""
    if flt.exhibitor:
        return [flt.exhibitor]
    where, params = filter_sql(flt, "l")
    found = store.conn.execute(
        f"SELECT trim(l.exhibitor) FROM leads l WHERE {where} AND trim(l.exhibitor) != ''"
        " GROUP BY 1 ORDER BY COUNT(*) DESC, 1",
        params,
    ).fetchall()
    configured = [name for name in store.setting("exhibitors") or [] if model.clean(name)]
    return _unique([*configured, *(name for (name,) in found)])


def write_per_exhibitor(
    store: Store,
    directory: Path,
    flt: LeadFilter | None = None,
    *,
    lang: str = "en",
    filters: dict[str, str] | None = None,
) -> list[Path]:
    """One report per co-exhibitor, each with only the figures of that co-exhibitor's leads,
    named after it. Returns the files written."""
    from leadcap.export.safety import safe_filename

    flt = flt or LeadFilter()
    directory = Path(directory)
    names = exhibitor_scopes(store, flt)
    if not names:
        return []
    if directory.exists() and not directory.is_dir():
        raise LeadcapError(f"{directory} is a file. Give a folder for --per-exhibitor")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LeadcapError(
            f"cannot create {directory} ({error.strerror}). Choose another folder"
        ) from None
    paths, used = [], set()
    for name in names:
        stem = file_name = safe_filename(name)
        n = 1
        while file_name.casefold() in used:
            n += 1
            file_name = f"{stem} ({n})"
        used.add(file_name.casefold())
        data = gather(store, replace(flt, exhibitor=name))
        path = directory / f"{file_name}.xlsx"
        write_report(data, path, lang=lang, filters={**(filters or {}), "exhibitor": name})
        paths.append(path)
    return paths


# -- the workbook -----------------------------------------------------------------------


def write_report(
    data: dict, path: str | Path, *, lang: str = "en", filters: dict[str, str] | None = None
) -> Path:
    """Write `gather()`'s numbers as the report workbook; written beside the target under a
    temporary name and then renamed, so a crash never leaves half a file."""
    from openpyxl import Workbook

    from leadcap.reports.fair_sheets import Sheets

    words = WORDS[check_lang(lang)]
    book = Workbook()
    book.remove(book.active)
    Sheets(book, data, words, filters or {}).write_all()
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        book.save(partial)
        os.replace(partial, path)
    except OSError as error:
        raise LeadcapError(
            f"cannot write {path} ({error.strerror or error}). Check the folder is writable"
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    return path
