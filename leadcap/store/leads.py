"""Reading and writing leads, with every change recorded in the change log.

Every public function that writes does so in one transaction that has committed when it
returns. Leads are handed around as `model.Lead`: dicts in the JSON contract's shape."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from leadcap.errors import NotFound, UsageError
from leadcap.store import model
from leadcap.store.database import Store

if TYPE_CHECKING:
    from leadcap.store.score import Scorer

# The `--json` contract's keys, in order: model.Lead is the one place they are written.
JSON_KEYS = tuple(model.Lead.__annotations__)
MAX_LEAD_ID = 2**63 - 1  # SQLite's largest integer: a longer number is no lead
_TAGS_SQL = (
    "(SELECT json_group_array(name) FROM (SELECT t.name FROM lead_tags lt"
    " JOIN tags t ON t.id = lt.tag_id WHERE lt.lead_id = leads.id"
    " ORDER BY t.position IS NULL, t.position, t.name)) AS tags"
)
# Answers to the questions that are not removed, in the questions' order.
_ANSWERS_SQL = (
    "(SELECT json_group_object(name, json(value)) FROM (SELECT q.name AS name,"
    " a.value AS value FROM lead_answers a JOIN questions q ON q.name = a.question"
    " WHERE a.lead_id = leads.id AND q.removed = 0 ORDER BY q.position, q.name)) AS answers"
)
# Validation reasons are recomputed whenever the field changes; other reasons (an
# unparsed scan, a repaired keyboard layout) stay until someone marks the lead reviewed.
# The change-log field of a rating that came from a session default, not from a person:
# it fills an empty rating and never wins over a `rating` change (see laptops.replay).
DEFAULT_RATING = "rating_default"


@dataclass
class LeadFilter:
    """Which leads a command takes: the one filter set of list, export, stats and debrief."""

    tags: list[str] = field(default_factory=list)
    rating: str | None = None
    staff: str | None = None
    exhibitor: str | None = None
    since: str | None = None  # UTC ISO bounds, inclusive / exclusive
    until: str | None = None
    review: bool = False
    deleted: bool = False
    status: str | None = None
    owner: str | None = None
    consent: str | None = None  # a purpose the visitor granted
    limit: int | None = None
    # (question, value, contains): value None = any answer; contains for free text
    answers: list[tuple[str, object, bool]] = field(default_factory=list)
    min_score: int | None = None

    def __post_init__(self) -> None:
        self.rating = model.check_choice(self.rating, model.RATINGS, "rating")
        self.status = model.check_choice(self.status, model.STATUSES, "status")
        self.consent = model.check_choice(self.consent, model.CONSENT_PURPOSES, "consent purpose")


def filter_sql(flt: LeadFilter, table: str = "leads") -> tuple[str, list]:
    """The filter as an SQL condition on `table` (a name or alias of leads) and its params."""
    where = [f"{table}.deleted_at IS NOT NULL" if flt.deleted else f"{table}.deleted_at IS NULL"]
    params: list = []
    for tag in flt.tags:
        where.append(
            "EXISTS (SELECT 1 FROM lead_tags lt JOIN tags t ON t.id = lt.tag_id"
            f" WHERE lt.lead_id = {table}.id AND t.name = ? COLLATE NOCASE)"
        )
        params.append(tag)
    for column, person in (("captured_by", flt.staff), ("owner", flt.owner)):
        if person:
            # "anna" finds Anna Schmidt: the first word(s) of a name, or the whole name.
            where.append(
                f"({table}.{column} = ? COLLATE NOCASE OR {table}.{column} LIKE ? ESCAPE '\\')"
            )
            params += [person, re.sub(r"([\\%_])", r"\\\1", person) + " %"]
    for column, value in (
        ("rating", flt.rating),
        ("exhibitor", flt.exhibitor),
        ("status", flt.status),
    ):
        if value:
            where.append(f"{table}.{column} = ? COLLATE NOCASE")
            params.append(value)
    if flt.consent:
        where.append(f"json_extract({table}.consent, '$.' || ?) = 'granted'")
        params.append(flt.consent)
    if flt.since:
        where.append(f"{table}.captured_utc >= ?")
        params.append(flt.since)
    if flt.until:
        where.append(f"{table}.captured_utc < ?")
        params.append(flt.until)
    if flt.review:
        where.append(f"{table}.needs_review = 1")
    for condition in flt.answers:
        sql, values = answer_condition(table, *condition)
        where.append(sql)
        params += values
    if flt.min_score is not None:
        from leadcap.store.score import score_sql

        where.append(f"{score_sql(table)} >= ?")
        params.append(flt.min_score)
    return " AND ".join(where), params


def row_to_lead(row: sqlite3.Row, scorer: Scorer | None = None) -> model.Lead:
    """A database row in the JSON contract's shape (with `scorer`, its score too; every
    reader in leadcap passes one, only a benchmark's baseline leaves `score` None)."""
    data = dict(row)
    lead: dict[str, Any] = {key: data.get(key) for key in JSON_KEYS if key in data}
    lead["tags"] = json.loads(data.get("tags") or "[]")
    lead["answers"] = json.loads(data.get("answers") or "{}")
    consent = {purpose: "not_asked" for purpose in model.CONSENT_PURPOSES}
    consent.update(json.loads(data.get("consent") or "{}"))
    lead["consent"] = consent
    lead["needs_review"] = bool(data["needs_review"])
    lead["review_reasons"] = json.loads(data.get("review_reasons") or "[]")
    lead["deleted"] = data.get("deleted_at") is not None
    if scorer is not None:
        lead["score"] = scorer.score(lead)
    return cast(model.Lead, {key: lead.get(key) for key in JSON_KEYS})


def _select(where: str = "1", order: str = "captured_utc DESC, id DESC") -> str:
    return f"SELECT leads.*, {_TAGS_SQL}, {_ANSWERS_SQL} FROM leads WHERE {where} ORDER BY {order}"


def _rows(store: Store, sql: str, params: Iterable = ()) -> Iterator[model.Lead]:
    from leadcap.store.score import scorer

    scoring = scorer(store)
    cursor = store.conn.cursor()
    cursor.row_factory = sqlite3.Row  # on this cursor only: other queries keep plain tuples
    for row in cursor.execute(sql, list(params)):
        yield row_to_lead(row, scoring)


def get_lead(store: Store, lead_id: int | str, *, include_deleted: bool = True) -> model.Lead:
    """A lead by its number or uuid; NotFound says how to look one up."""
    key = "uuid" if isinstance(lead_id, str) and not lead_id.isdecimal() else "id"
    value = lead_id if key == "uuid" else int(lead_id)
    too_long = isinstance(value, int) and value > MAX_LEAD_ID
    for lead in () if too_long else _rows(store, _select(f"leads.{key} = ?"), [value]):
        if lead["deleted"] and not include_deleted:
            break
        return lead
    raise NotFound(f"no lead with id {lead_id}. Use `leadcap list` or `leadcap find` to look it up")


def iter_leads(
    store: Store, flt: LeadFilter | None = None, *, order: str | None = None
) -> Iterator[model.Lead]:
    """Leads matching the filter, newest first unless `order` says otherwise."""
    where, params = filter_sql(flt or LeadFilter())
    sql = _select(where, **({"order": order} if order else {}))
    if flt and flt.limit:
        sql += f" LIMIT {int(flt.limit)}"
    return _rows(store, sql, params)


def answer_condition(table: str, question: str, wanted, contains: bool) -> tuple[str, list]:
    """SQL (on `table`, the leads table or its alias) for "answered `question` with
    `wanted`": one of the chosen choices is `wanted`, free text contains it (`contains`),
    or with `wanted` None, any answer at all."""
    test, params = "", [question]
    if wanted is not None:
        test = " AND instr(lower(j.value), lower(?)) > 0" if contains else " AND j.value = ?"
        params.append(wanted)
    sql = (
        "EXISTS (SELECT 1 FROM lead_answers a, json_each(a.value) j"
        f" WHERE a.lead_id = {table}.id AND a.question = ?{test})"
    )
    return sql, params


# -- writing ----------------------------------------------------------------------


def _utc(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).astimezone(UTC).isoformat(timespec="seconds")


def _derived(store: Store, lead: Mapping[str, Any], reasons: list[str]) -> dict[str, Any]:
    """Normalised copies for matching and sorting, and the review flag from validation."""
    return model.derived_columns(store.country, lead, reasons)


def log_changes(
    store: Store, batch: str, lead_uuid: str, changes: list[tuple], command: str, at: str
):
    """Record changes (inside the caller's transaction). `seq` numbers this device's
    changes in order; setting it here spares the m003 trigger an UPDATE per row."""
    last = store.conn.execute(
        "SELECT coalesce(max(seq), 0) FROM changes WHERE device IS ?", [store.device]
    ).fetchone()[0]
    store.conn.executemany(
        "INSERT INTO changes (uid, batch, lead_uuid, field, old_value, new_value, staff, device,"
        " changed_at, command, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                uuid.uuid4().hex,
                batch,
                lead_uuid,
                name,
                _text(old),
                _text(new),
                store.staff,
                store.device,
                at,
                command,
                last + number,
            )
            for number, (name, old, new) in enumerate(changes, start=1)
        ],
    )


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def insert_lead_row(conn: sqlite3.Connection, row: Mapping[str, object]) -> int:
    """INSERT one row into leads and return its id: the one place that turns a dict of
    column values into an INSERT (add, merge)."""
    columns = ", ".join(_column(name) for name in row)
    marks = ", ".join("?" for _ in row)
    sql = f"INSERT INTO leads ({columns}) VALUES ({marks})"
    return inserted_id(conn.execute(sql, list(row.values())))


# Lead rows per INSERT statement when many are copied at once (a merge): the full-text
# index's trigger costs far more per statement than per row. Measured on 13,500 leads:
# 0.8 s one row per statement (executemany), 0.3 s with 200 rows per statement.
ROWS_PER_INSERT = 200


def insert_lead_rows(
    conn: sqlite3.Connection, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    """INSERT many rows (values in `columns` order) into leads, in that order, several
    rows per statement."""
    if not rows:
        return
    room = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)
    per = max(1, min(ROWS_PER_INSERT, room))
    names = ", ".join(_column(name) for name in columns)
    one = "(" + ", ".join("?" for _ in columns) + ")"
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        conn.execute(
            f"INSERT INTO leads ({names}) VALUES {', '.join(one for _ in part)}",
            [value for row in part for value in row],
        )


def copy_lead_rows(
    conn: sqlite3.Connection, columns: Sequence[str], table: str, uuids: Sequence[str]
) -> None:
    """INSERT the rows of these uuids from another database's leads `table` (attached:
    `schema.leads`), in the order given: what insert_lead_rows does with rows read first."""
    names = ", ".join(_column(name) for name in columns)
    picked = ", ".join(f"l.{_column(name)}" for name in columns)
    conn.execute(
        f"INSERT INTO leads ({names}) SELECT {picked} FROM json_each(?) j"
        f" JOIN {table} l ON l.uuid = j.value ORDER BY j.key",
        [json.dumps(list(uuids))],
    )


def update_lead_row(conn: sqlite3.Connection, lead_id: int, changes: Mapping[str, object]) -> None:
    """UPDATE the given columns of one lead: the one place that turns a dict of changes
    into an UPDATE (edit, merge)."""
    if changes:
        assignments = ", ".join(f"{_column(name)} = ?" for name in changes)
        sql = f"UPDATE leads SET {assignments} WHERE id = ?"
        conn.execute(sql, [*changes.values(), lead_id])


def update_search_texts(conn: sqlite3.Connection, texts: Sequence[tuple[int, str]]) -> None:
    """Set the search text of many leads ((lead id, text) pairs) in a few statements: the
    full-text index's trigger costs far more per statement than per row. (A CASE, not
    UPDATE ... FROM, which needs SQLite 3.33.)"""
    per = max(1, min(ROWS_PER_INSERT, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 3))
    for start in range(0, len(texts), per):
        part = texts[start : start + per]
        cases = " ".join("WHEN ? THEN ?" for _ in part)
        marks = ", ".join("?" for _ in part)
        conn.execute(
            f"UPDATE leads SET search_text = CASE id {cases} END WHERE id IN ({marks})",
            [value for pair in part for value in pair] + [lead_id for lead_id, _text in part],
        )


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id SQLite gave the row an INSERT just added (never None after an INSERT)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def tag_id(store: Store, name: str) -> int:
    name = name.strip()
    if not name:
        raise UsageError("a tag name cannot be empty")
    row = store.conn.execute("SELECT id FROM tags WHERE name = ? COLLATE NOCASE", [name]).fetchone()
    if row:
        return row[0]
    return inserted_id(store.conn.execute("INSERT INTO tags (name) VALUES (?)", [name]))


def lead_tags(store: Store, lead_id: int) -> list[str]:
    rows = store.conn.execute(
        "SELECT t.name FROM lead_tags lt JOIN tags t ON t.id = lt.tag_id WHERE lt.lead_id = ?"
        " ORDER BY t.position IS NULL, t.position, t.name",
        [lead_id],
    )
    return [row[0] for row in rows]


def _set_tags(
    store: Store, lead_id: int, names: list[str], *, ids: dict[str, int] | None = None
) -> None:
    """A lead's tags become `names`. `ids` (name -> tag id) spares a merge writing thousands
    of leads a lookup per tag; valid for one transaction only."""
    if ids is None:
        ids = {}
    for name in names:
        if name not in ids:
            ids[name] = tag_id(store, name)
    store.conn.execute("DELETE FROM lead_tags WHERE lead_id = ?", [lead_id])
    store.conn.executemany(
        "INSERT OR IGNORE INTO lead_tags (lead_id, tag_id) VALUES (?, ?)",
        [(lead_id, ids[name]) for name in names],
    )


def add_lead(
    store: Store,
    fields: dict,
    *,
    tags: Iterable[str] = (),
    rating: str | None = None,
    consent: dict[str, str] | None = None,
    source: str = "manual",
    raw_payload: str | None = None,
    review_reasons: Iterable[str] = (),
    exhibitor: str | None = None,
    command: str = "add",
    captured_at: str | None = None,
    note: str | None = None,
    default_rating: str | None = None,
) -> model.Lead:
    """Create a lead and commit it. Invalid e-mails or phones are kept and flagged.
    `default_rating` is a session default (`scan --rating warm`): used when no `rating` is
    given, and logged as `rating_default` so that a rating someone gave the same person
    on another laptop wins when the laptops are merged."""
    rating = model.check_choice(rating, model.RATINGS, "rating")
    default_rating = None if rating else model.check_choice(default_rating, model.RATINGS, "rating")
    unknown = set(fields) - set(model.EDITABLE_FIELDS)
    if unknown:
        raise UsageError(f"unknown field(s) {', '.join(sorted(unknown))}")
    lead = {k: model.clean(v) for k, v in fields.items()}
    if note and note.strip():
        line = note_line(store, note)
        lead["notes"] = f"{lead['notes']}\n{line}" if lead.get("notes") else line
    if lead.get("name_reading"):
        lead["name_reading"] = model.widen_kana(lead["name_reading"])
    now = captured_at or store.now().isoformat()
    consent_state = {purpose: "not_asked" for purpose in model.CONSENT_PURPOSES}
    consent_state.update(consent or {})
    row = {
        **lead,
        "uuid": str(uuid.uuid4()),
        "event": lead.get("event") or store.event,
        "rating": rating or default_rating,
        "consent": json.dumps(consent_state),
        "captured_by": store.staff,
        "device": store.device,
        "captured_at": now,
        "captured_utc": _utc(now),
        "updated_at": now,
        "source": source,
        "raw_payload": raw_payload,
        "exhibitor": model.clean(exhibitor) or lead.get("exhibitor"),
        **_derived(store, lead, list(review_reasons)),
    }
    batch = store.new_batch()
    with store.transaction():
        lead_id = insert_lead_row(store.conn, row)
        tag_names = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
        _set_tags(store, lead_id, tag_names)
        changes: list[tuple[str, Any, Any]] = [("created", None, source)]
        changes += [(k, None, v) for k, v in lead.items() if v is not None]
        if rating:
            changes.append(("rating", None, rating))
        elif default_rating:
            changes.append((DEFAULT_RATING, None, default_rating))
        if tag_names:
            changes.append(("tags", None, tag_names))
        log_changes(store, batch, row["uuid"], changes, command, now)
        store.conn.execute(
            "INSERT INTO visits (lead_uuid, device, count, last_at) VALUES (?, ?, 1, ?)",
            [row["uuid"], store.device, now],
        )
        for purpose, status in (consent or {}).items():
            record_consent(store, row["uuid"], purpose, status, method="verbal", at=now)
    return get_lead(store, lead_id)


def record_consent(
    store: Store, lead_uuid: str, purpose: str, status: str, *, method: str, at: str
) -> None:
    """One consent decision with who, how and the version of the consent text on show."""
    from leadcap.store.consent_texts import archive_texts

    store.conn.execute(
        "INSERT INTO consent_records (uid, lead_uuid, purpose, status, recorded_at, staff,"
        " device, method, text_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            uuid.uuid4().hex,
            lead_uuid,
            purpose,
            status,
            at,
            store.staff,
            store.device,
            method,
            archive_texts(store),
        ],
    )


def update_lead(  # noqa: C901 - one branch per field with its own rule (tags, consent, deleted, reviewed)
    store: Store,
    lead_id: int | str,
    changes: dict,
    *,
    command: str,
    batch: str | None = None,
    consent_method: str = "verbal",
) -> model.Lead:
    """Apply field changes (including rating, tags, consent, deleted) and log each one.
    `consent_method` (verbal, ticked, scanned code) goes into the consent record."""
    at = store.now().isoformat()
    batch = batch or store.new_batch()
    with store.transaction():
        lead = get_lead(store, lead_id)
        row = store.conn.execute(
            "SELECT review_reasons FROM leads WHERE id = ?", [lead["id"]]
        ).fetchone()
        logged: list[tuple[str, Any, Any]] = []
        columns: dict[str, Any] = {}
        for name, new in changes.items():
            old: Any = lead.get(name)
            if name.startswith("answer:"):
                _change_answer(store, lead["id"], name, new, logged)
                continue
            if name == "tags":
                if list(old) != list(new):
                    _set_tags(store, lead["id"], list(new))
                    logged.append(("tags", old, list(new)))
                continue
            if name == "consent":
                merged = {**lead["consent"], **new}
                if merged != lead["consent"]:
                    columns["consent"] = json.dumps(merged)
                    logged.append(("consent", lead["consent"], merged))
                    for purpose, status in new.items():
                        if lead["consent"].get(purpose) != status:
                            record_consent(
                                store, lead["uuid"], purpose, status, method=consent_method, at=at
                            )
                continue
            if name == "deleted":
                if bool(new) != lead["deleted"]:
                    columns["deleted_at"] = at if new else None
                    logged.append(("deleted", lead["deleted"], bool(new)))
                continue
            if name == DEFAULT_RATING:
                if new and not lead["rating"] and "rating" not in columns:
                    columns["rating"] = new
                    logged.append((DEFAULT_RATING, None, new))
                continue
            if name == "reviewed":
                if new and lead["needs_review"]:
                    columns["review_reasons"] = "[]"
                    columns["needs_review"] = 0
                    logged.append(("review_reasons", lead["review_reasons"], []))
                continue
            if name == "name_reading":
                new = model.widen_kana(model.clean(new))
            elif name not in ("visits",):
                new = model.clean(new)
            if new != old:
                columns[name] = new
                logged.append((name, old, new))
        if not logged:
            return lead
        merged = {**lead, **columns}
        if set(columns) & set(model.LEAD_FIELDS):
            reasons = json.loads(columns.get("review_reasons", row[0]))
            columns.update(_derived(store, merged, reasons))
        columns["updated_at"] = at
        update_lead_row(store.conn, lead["id"], columns)
        log_changes(store, batch, lead["uuid"], logged, command, at)
    return get_lead(store, lead["id"])


def _change_answer(store: Store, lead_id: int, name: str, new, logged: list) -> None:
    """One answer (`answer:<question>`) set or cleared, logged as JSON old and new."""
    from leadcap.store.questions import lead_answers, write_answer

    question = name.split(":", 1)[1]
    old = lead_answers(store, lead_id).get(model.fold(question))
    new = None if new == [] else new
    if new != old:
        write_answer(store, lead_id, question, new)
        logged.append((name, _json(old), _json(new)))


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def add_tags(
    store: Store,
    lead_id: int | str,
    names: Iterable[str],
    *,
    remove: bool = False,
    command: str = "tag",
) -> model.Lead:
    lead = get_lead(store, lead_id)
    names = [n.strip() for n in names if n.strip()]
    if remove:
        folded = {n.casefold() for n in names}
        new = [t for t in lead["tags"] if t.casefold() not in folded]
    else:
        present = {t.casefold() for t in lead["tags"]}
        new = lead["tags"] + [n for n in dict.fromkeys(names) if n.casefold() not in present]
    return update_lead(store, lead["id"], {"tags": new}, command=command)


def append_note(
    store: Store, lead_id: int | str, text: str, *, command: str = "note", batch: str | None = None
) -> model.Lead:
    """Notes are appended, stamped with time and staff, never overwritten."""
    text = text.strip()
    if not text:
        raise UsageError("the note is empty. Give the text to add: leadcap note ID 'text'")
    lead = get_lead(store, lead_id)
    line = note_line(store, text)
    notes = f"{lead['notes']}\n{line}" if lead["notes"] else line
    return update_lead(store, lead["id"], {"notes": notes}, command=command, batch=batch)


def materials_text(items: str | None) -> str | None:
    """Materials promised as stored: one item per line (`;` separates items too)."""
    lines = [item.strip() for item in re.split(r"[;\n]", items or "") if item.strip()]
    return "\n".join(lines) or None


def add_material(
    store: Store,
    lead_id: int | str,
    item: str,
    *,
    command: str = "promise",
    batch: str | None = None,
) -> model.Lead:
    """Add an item staff promised to send the visitor (a brochure, samples, a quote):
    the only words from the booth that a draft e-mail quotes. An item already there is not
    added twice."""
    added = materials_text(item)
    if not added:
        raise UsageError("say what was promised, e.g. LEADCAP:PROMISE:brochure")
    lead = get_lead(store, lead_id)
    current = (lead.get("materials") or "").splitlines()
    items = current + [a for a in added.splitlines() if a not in current]
    return update_lead(
        store, lead["id"], {"materials": "\n".join(items)}, command=command, batch=batch
    )


def note_line(store: Store, text: str) -> str:
    return f"[{store.now().strftime('%Y-%m-%d %H:%M')} {store.staff}] {text.strip()}"


# -- phones validated again ----------------------------------------------------------

_PHONE_FLAGGED = (
    "deleted_at IS NULL AND needs_review = 1"
    " AND (review_reasons LIKE '%\"phone %' OR review_reasons LIKE '%\"mobile %')"
)


def phone_flagged_count(store: Store) -> int:
    """Live leads flagged for a phone or mobile number that did not validate."""
    return store.conn.execute(f"SELECT COUNT(*) FROM leads WHERE {_PHONE_FLAGGED}").fetchone()[0]


def revalidate_phones(store: Store) -> list[int]:
    """Validate flagged phone numbers again (after `config set country`): those that now
    read as numbers get their E.164 form and lose the flag. Logged as one command; as with
    `edit --reviewed`, undo does not bring a flag back. Returns the leads whose numbers
    all read now (others get the reason updated)."""
    at = store.now().isoformat()
    batch = store.new_batch()
    fixed = []
    with store.transaction():
        ids = [r[0] for r in store.conn.execute(f"SELECT id FROM leads WHERE {_PHONE_FLAGGED}")]
        for lead_id in ids:
            lead = get_lead(store, lead_id)
            derived = _derived(store, lead, lead["review_reasons"])
            reasons = json.loads(derived["review_reasons"])
            if reasons == lead["review_reasons"]:
                continue
            columns = {k: derived[k] for k in ("phone_e164", "mobile_e164", "search_text")}
            columns.update(review_reasons=derived["review_reasons"])
            columns.update(needs_review=derived["needs_review"], updated_at=at)
            assignments = ", ".join(f"{name} = ?" for name in columns)
            store.conn.execute(
                f"UPDATE leads SET {assignments} WHERE id = ?", [*columns.values(), lead_id]
            )
            changes = [("review_reasons", lead["review_reasons"], reasons)]
            log_changes(store, batch, lead["uuid"], changes, "revalidate", at)
            if not any(r.startswith(("phone ", "mobile ")) for r in reasons):
                fixed.append(lead_id)
    return fixed


# -- search -----------------------------------------------------------------------

_TRIGRAM_SAFE = re.compile(r'"')


def find(
    store: Store, text: str, *, limit: int | None = 50, deleted: bool = False
) -> list[model.Lead]:
    """Substring search over names, readings, company, e-mail, notes, badge ids and phone
    numbers (kanji variants folded, numbers by their digits), most recently stored first.
    Three or more characters use the trigram index; shorter ones (two kanji are a whole
    surname) scan the folded text, newest first, and stop at the limit."""
    needle = model.phone_digits(text) or model.search_fold(text).strip()
    if not needle:
        raise UsageError("give some text to search for")
    deleted_sql = "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"
    order = "id DESC"
    if len(needle) < 3:
        where = f"instr(search_text, ?) > 0 AND {deleted_sql}"
        limit_sql = f" LIMIT {int(limit)}" if limit else ""
        return list(_rows(store, _select(where, order) + limit_sql, [needle]))
    phrase = '"' + _TRIGRAM_SAFE.sub('""', needle) + '"'
    # Ask the index for the newest matches only: a common word matches thousands of
    # leads, and sorting them all is what made a search slow. Widen if deleted leads
    # used up the window.
    window = (limit or 0) * 2 + 50 if limit else None
    while True:
        inner = "SELECT rowid FROM leads_fts WHERE leads_fts MATCH ? ORDER BY rowid DESC"
        if window:
            inner += f" LIMIT {window}"
        found = list(_rows(store, _select(f"id IN ({inner}) AND {deleted_sql}", order), [phrase]))
        if not limit or len(found) >= limit or window is None:
            return found[:limit] if limit else found
        matches = store.conn.execute(f"SELECT COUNT(*) FROM ({inner})", [phrase]).fetchone()[0]
        if matches < window:
            return found
        window *= 4


def today_bounds(store: Store) -> tuple[str, str]:
    """Today in the event's time zone, as UTC bounds for captured_utc."""
    from datetime import time, timedelta

    start = datetime.combine(store.now().date(), time(0), tzinfo=store.zone())
    end = start + timedelta(days=1)
    return _utc(start.isoformat()), _utc(end.isoformat())


def counts(store: Store) -> dict:
    row = store.conn.execute(
        "SELECT COUNT(*) FILTER (WHERE deleted_at IS NULL),"
        " COUNT(*) FILTER (WHERE deleted_at IS NOT NULL),"
        " COUNT(*) FILTER (WHERE deleted_at IS NULL AND needs_review),"
        " COUNT(*) FILTER (WHERE deleted_at IS NULL AND rating = 'hot'),"
        " COUNT(*) FILTER (WHERE deleted_at IS NULL AND captured_utc >= ? AND captured_utc < ?)"
        " FROM leads",
        today_bounds(store),
    ).fetchone()
    return dict(zip(("leads", "deleted", "needs_review", "hot", "today"), row, strict=True))


def today_and_hot(store: Store) -> tuple[int, int]:
    """Today's live leads and the hot ones, through the captured_utc and rating indexes:
    cheap enough for the scan screen to redraw after every key at 100,000 leads."""
    low, high = today_bounds(store)
    today = store.conn.execute(
        "SELECT COUNT(*) FROM leads WHERE captured_utc >= ? AND captured_utc < ?"
        " AND deleted_at IS NULL",
        [low, high],
    ).fetchone()[0]
    hot = store.conn.execute(
        "SELECT COUNT(*) FROM leads WHERE rating = 'hot' AND deleted_at IS NULL"
    ).fetchone()[0]
    return today, hot


def add_review_reasons(store: Store, lead_id: int | str, reasons: Iterable[str]) -> model.Lead:
    """Flag a lead for review with more reasons (as capture does: not a logged change,
    since a logged `review_reasons` change means "reviewed" to the change log)."""
    lead = get_lead(store, lead_id)
    merged = list(lead["review_reasons"])
    merged += [r for r in reasons if r not in merged]
    if merged != lead["review_reasons"]:
        with store.transaction():
            store.conn.execute(
                "UPDATE leads SET review_reasons = ?, needs_review = 1 WHERE id = ?",
                [json.dumps(merged, ensure_ascii=False), lead["id"]],
            )
    return get_lead(store, lead["id"])


def find_same_person(store: Store, fields: dict) -> model.Lead | None:
    """The live lead of the same person in this event: same badge id, else same e-mail."""
    event_sql = "event IS ?"
    for column, value in (
        ("badge_norm", model.fold(fields.get("badge_id"))),
        ("email_norm", model.normalise_email(fields.get("email"))),
    ):
        if not value:
            continue
        row = store.conn.execute(
            f"SELECT id FROM leads WHERE {column} = ? AND {event_sql} AND deleted_at IS NULL"
            " ORDER BY id LIMIT 1",
            [value, store.event],
        ).fetchone()
        if row:
            return get_lead(store, row[0])
    return None
