"""Replaying a lead from its united change log.

Given every copy of one person (both laptops, aliases included) and the union of their
change rows, consent records and visit counters, work out the lead's row and tags: each
logged field takes its latest change by (UTC time, device, the device's own order, uid),
tags follow their add/remove events, notes are united entry by entry. Nothing here reads
or writes the database; `leadcap.laptops.merge` gathers the inputs and writes the result."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime

from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.leads import DEFAULT_RATING, _derived

# Fields whose latest change wins (notes are united instead).
LWW_FIELDS = tuple(f for f in model.EDITABLE_FIELDS if f != "notes") + ("rating",)
ORIGIN_COLUMNS = ("captured_by", "device", "captured_at", "captured_utc", "source", "raw_payload")


_UTC_CACHE: dict[str, str] = {}


def utc_key(timestamp: str | None) -> str:
    """An ISO time with any offset as a comparable UTC string."""
    if not timestamp:
        return ""
    found = _UTC_CACHE.get(timestamp)
    if found is None:
        moment = datetime.fromisoformat(timestamp)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        found = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        if len(_UTC_CACHE) < 200_000:
            _UTC_CACHE[timestamp] = found
    return found


def change_key(change: tuple) -> tuple:
    """(UTC time, device, the device's own order, uid): the same on every laptop."""
    uid, device, changed_at, seq = change[0], change[1], change[2], change[3]
    return (utc_key(changed_at), device or "", seq or 0, uid)


def lead_state(  # noqa: C901 - one rule per field kind (tags, notes, consent, plain) of the change log
    store: Store,
    base: dict,
    rows: list[dict],
    changes: list[tuple],
    consent: list[tuple],
    visits: list[int],
    current_tags: list[str],
) -> tuple[dict, list[str]]:
    """A lead's row and tags from its united history. `base` is the canonical lead's row
    (for what was never logged: origin, event default); `rows` every copy of the person
    on both sides, canonical first; `changes` (uid, device, changed_at, seq, field, old,
    new); `consent` (uid, device, recorded_at, purpose, status)."""
    keyed = sorted((change_key(change), change) for change in changes)
    latest: dict[str, str | None] = {}
    default_rating: str | None = None
    tag_events: dict[str, tuple[bool, str]] = {}
    deleted_at = base.get("deleted_at")
    review_key = field_key = None
    for key, change in keyed:
        name, old, new = change[4], change[5], change[6]
        if name == "created":
            deleted_at = None
        elif name == "deleted":
            deleted_at = change[2] if new == "true" else None
        elif name == "tags":
            before = {t.casefold(): t for t in json.loads(old or "[]")}
            after = {t.casefold(): t for t in json.loads(new or "[]")}
            for folded in after.keys() - before.keys():
                tag_events[folded] = (True, after[folded])
            for folded in before.keys() - after.keys():
                tag_events[folded] = (False, before[folded])
        elif name == "review_reasons":
            review_key = key
        elif name in LWW_FIELDS:
            latest[name] = new
        elif name == DEFAULT_RATING:
            default_rating = new  # fills an empty rating only: a person's rating wins
        if name in model.LEAD_FIELDS:
            field_key = key
    if "rating" not in latest and default_rating:
        latest["rating"] = default_rating
    fields = {}
    for name in LWW_FIELDS:
        if name in latest:
            fields[name] = latest[name]
        else:
            fields[name] = next((r[name] for r in rows if r.get(name) is not None), None)
    fields["notes"] = merge_notes([r.get("notes") for r in rows])
    if tag_events:
        tags = sorted((name for present, name in tag_events.values() if present), key=str.casefold)
    else:
        tags = list(current_tags)
    state = json.loads(base.get("consent") or "{}")
    for _uid, _device, _at, purpose, status in sorted(
        consent, key=lambda c: (utc_key(c[2]), c[1] or "", c[0])
    ):
        state[purpose] = status
    order = [p for p in model.CONSENT_PURPOSES if p in state] + sorted(
        p for p in state if p not in model.CONSENT_PURPOSES
    )
    reviewed_last = review_key is not None and (field_key is None or review_key > field_key)
    kept: list[str] = []
    if review_key is None:
        for row in rows:
            for reason in json.loads(row.get("review_reasons") or "[]"):
                if reason not in kept:
                    kept.append(reason)
    derived = _derived(store, fields, kept)
    if reviewed_last:
        derived["review_reasons"], derived["needs_review"] = "[]", 0
    row = {
        "uuid": base["uuid"],
        **fields,
        "consent": json.dumps({p: state[p] for p in order}),
        **{column: base.get(column) for column in ORIGIN_COLUMNS},
        "updated_at": keyed[-1][1][2] if keyed else base["updated_at"],
        "visits": sum(visits) if visits else base.get("visits") or 1,
        "deleted_at": deleted_at,
        **derived,
    }
    if row["status"] is None:
        row["status"] = "new"
    return row, tags


_NOTE_START = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2})[^\]]*\] ")


def note_entries(notes: str | None) -> list[str]:
    """Notes split into appended entries: a stamped line starts one, other lines continue
    the one before (a note may span lines)."""
    entries: list[str] = []
    for line in (notes or "").split("\n"):
        if entries and not _NOTE_START.match(line):
            entries[-1] += "\n" + line
        else:
            entries.append(line)
    return entries


def merge_notes(texts: list[str | None]) -> str | None:
    """The union of the entries of several copies of a lead's notes, each copy's order
    kept, ordered by stamp where copies differ, without duplicates: an entry appears as
    often as in the copy that has it most often (the same note typed twice in one minute
    stays twice). The result does not depend on the order of `texts`, and one copy comes
    back unchanged."""
    lists = [note_entries(t) for t in dict.fromkeys(t for t in texts if t)]
    if not lists:
        return None
    if len(lists) == 1:
        return "\n".join(lists[0])
    wanted: dict[str, int] = {}
    for entries in lists:
        for entry, count in Counter(entries).items():
            wanted[entry] = max(wanted.get(entry, 0), count)
    positions, merged = [0] * len(lists), []
    seen: Counter[str] = Counter()
    while True:
        heads = [lst[i] for lst, i in zip(lists, positions, strict=True) if i < len(lst)]
        if not heads:
            break
        entry = min(heads, key=_note_order)
        for n, lst in enumerate(lists):
            if positions[n] < len(lst) and lst[positions[n]] == entry:
                positions[n] += 1
        if seen[entry] < wanted[entry]:
            seen[entry] += 1
            merged.append(entry)
    return "\n".join(merged)


def _note_order(entry: str) -> tuple[str, str]:
    found = _NOTE_START.match(entry)
    return (found.group(1) if found else "", entry)


def answer_state(
    changes: list[tuple], current: dict[str, tuple[str, object]], text_keys: set[str]
) -> dict:
    """A lead's answers from its united change log: question name -> value.

    Multi-choice answers (lists) follow each choice's add/remove events like tags, so a
    removal stays removed unless the choice is added again later. Free-text answers
    (`text_keys`, folded names) keep both versions when two laptops changed them without
    seeing each other's version: a change whose old value is not the answer as it then
    stood adds its version instead of replacing. Every other answer takes its latest
    change. Questions never logged keep `current` (folded name -> (name, value))."""
    from leadcap.store.questions import TEXT_CONFLICT_SEPARATOR

    names: dict[str, str] = {}
    values: dict[str, object] = {}
    events: dict[str, dict[str, bool]] = {}
    for change in sorted(changes, key=change_key):
        name = change[4]
        if not name.startswith("answer:"):
            continue
        question = name.split(":", 1)[1]
        key = model.fold(question)
        names[key] = question
        old = json.loads(change[5]) if change[5] else None
        new = json.loads(change[6]) if change[6] else None
        if isinstance(old, list) or isinstance(new, list):
            chosen = events.setdefault(key, {})
            before, after = set(_as_list(old)), set(_as_list(new))
            for choice in _as_list(new):
                if choice not in before:
                    chosen.pop(choice, None)
                    chosen[choice] = True  # re-inserted: order by latest addition
            for choice in before - after:
                chosen[choice] = False
            values[key] = [c for c, present in chosen.items() if present] or None
        elif key in text_keys and new is not None and values.get(key) not in (None, old):
            versions = str(values[key]).split(TEXT_CONFLICT_SEPARATOR)
            if new not in versions:
                values[key] = f"{values[key]}{TEXT_CONFLICT_SEPARATOR}{new}"
        elif key in text_keys and new is None and values.get(key) not in (None, old):
            continue  # clearing a version it never saw leaves the other one
        else:
            values[key] = new
    answers = {name: value for key, (name, value) in current.items() if key not in names}
    answers.update({names[key]: value for key, value in values.items() if value is not None})
    return answers


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
