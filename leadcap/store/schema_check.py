"""Is a database file's schema exactly leadcap's own, and can its rows be trusted?

A backup or another laptop's file is data from outside: a crafted one can carry an extra
trigger (that copies a forgotten person into a shadow table during `forget`), a view
named like a table with an endless recursive query, or values no leadcap ever wrote.
Restore, merge and sync call `check_schema` on every such file before using it, read it
under `time_limit`, and `doctor` reports the same findings for the open database."""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime

# Readers of foreign files give up after this many seconds (a crafted view can loop).
FOREIGN_READ_SECONDS = 20.0


class TooSlow(sqlite3.OperationalError):
    """Reading a file took longer than its time limit (SQLite interrupted the query)."""


def _normal(sql: str | None) -> str:
    return " ".join((sql or "").split())


@functools.cache
def expected_schema(applied: frozenset[str]) -> dict[tuple[str, str], str]:
    """(type, name) -> SQL of every object the given leadcap migrations create, built by
    applying them to an empty in-memory database."""
    from leadcap.store.loading import load_sqlite_utils

    sqlite_utils = load_sqlite_utils()

    from leadcap.store.migrations import migrations

    db = sqlite_utils.Database(memory=True, execute_plugins=False)
    skipped = [m.name for m in migrations._migrations if m.name not in applied]
    # Files are always a prefix of the list; stop before the first one it lacks.
    migrations.apply(db, stop_before=skipped[:1] or None)
    objects = schema_objects(db.conn)
    db.close()
    return objects


def schema_objects(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    return {
        (kind, name): _normal(sql)
        for kind, name, sql in rows
        # sqlite_sequence, sqlite_stat1, sqlite_autoindex_*: SQLite's own bookkeeping.
        if not name.startswith("sqlite_")
    }


def foreign_objects(conn: sqlite3.Connection, applied: set[str]) -> list[str]:
    """What the file has beyond (or instead of) leadcap's own schema, as short phrases:
    `trigger spy`, `view leads (changed)`. Empty when the schema is exactly leadcap's."""
    expected = expected_schema(frozenset(applied))
    found = schema_objects(conn)
    added, changed = [], []
    for (kind, name), sql in sorted(found.items()):
        want = expected.get((kind, name))
        if want is None:
            added.append(f"{kind} {name}")
        elif want != sql:
            changed.append(f"{kind} {name} (changed)")
    names = {name for _kind, name in found}
    missing = [f"{kind} {name} (missing)" for kind, name in sorted(expected) if name not in names]
    return added + changed + missing


def describe(problems: list[str], limit: int = 4) -> str:
    shown = ", ".join(problems[:limit])
    more = len(problems) - limit
    return shown + (f" and {more} more" if more > 0 else "")


@contextlib.contextmanager
def time_limit(conn: sqlite3.Connection, seconds: float | None = None) -> Iterator[None]:
    """Interrupt any query on `conn` that runs longer than `seconds` in all (default
    FOREIGN_READ_SECONDS; raises TooSlow)."""
    if seconds is None:
        seconds = FOREIGN_READ_SECONDS
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
    try:
        yield
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error) and time.monotonic() > deadline:
            raise TooSlow(f"reading took longer than {seconds:g} s") from None
        raise
    finally:
        conn.set_progress_handler(None, 0)


# -- values ------------------------------------------------------------------------


def lead_row_problem(row: dict) -> str | None:
    """Why a foreign `leads` row cannot be taken in as it is (None: it can)."""
    from leadcap.store import model

    if not isinstance(row.get("uuid"), str) or not row["uuid"]:
        return "no uuid"
    for column in ("captured_at", "captured_utc", "updated_at"):
        problem = _time_problem(row.get(column), column, required=True)
        if problem:
            return problem
    for column in ("deleted_at", "due"):
        problem = _time_problem(row.get(column), column, required=False)
        if problem:
            return problem
    rating = row.get("rating")
    if rating is not None and rating not in model.RATINGS:
        return f"rating {str(rating)[:20]!r} is not one of {', '.join(model.RATINGS)}"
    for column, kind in (("consent", dict), ("review_reasons", list)):
        value = row.get(column)
        if isinstance(value, str) and (column, value) in _GOOD:
            continue
        if not isinstance(value, str) or _json_of(value, kind) is _BAD:
            return f"{column} is not valid JSON"
        _remember(column, value)
    if bytes in set(map(type, row.values())):
        column = next(c for c, v in row.items() if isinstance(v, bytes))
        return f"{column} holds binary data"
    return None


_FIELDS_WITH_RULES = frozenset({"tags", "consent", "rating"})


def change_row_problem(change: tuple) -> str | None:
    """Why a foreign `changes` row (merge's CHANGE_COLUMNS + seq) cannot be replayed."""
    uid, _batch, lead_uuid, fld, _old, new = change[:6]
    changed_at = change[8]
    if not isinstance(uid, str) or not isinstance(lead_uuid, str) or not isinstance(fld, str):
        return "no uid, lead or field"
    if changed_at not in _GOOD_TIMES:
        problem = _time_problem(changed_at, "changed_at", required=True)
        if problem:
            return problem
    if new is not None and not isinstance(new, str):
        return f"the new value of {fld} is not text"
    if fld not in _FIELDS_WITH_RULES and not fld.startswith("answer:"):
        return None  # most rows: a plain field's text
    return _field_rule_problem(fld, change[4], new)


def change_row_problems(changes: list[tuple]) -> dict[int, str]:
    """`change_row_problem` for many rows at once: {position: problem} of the bad ones.
    Most rows are a plain field's text changed at a time already read; they are told apart
    here without a call per row (a first merge checks hundreds of thousands)."""
    times, ruled = _GOOD_TIMES, _FIELDS_WITH_RULES
    found: dict[int, str] = {}
    for position, change in enumerate(changes):
        fld, new = change[3], change[5]
        if (
            type(change[0]) is str
            and type(change[2]) is str
            and type(fld) is str
            and change[8] in times
            and (new is None or type(new) is str)
            and fld not in ruled
            and not fld.startswith("answer:")
        ):
            continue
        problem = change_row_problem(change)
        if problem:
            found[position] = problem
    return found


def _field_rule_problem(fld: str, old: str | None, new: str | None) -> str | None:
    """The rules of fields whose values are JSON or one of a few words."""
    if fld == "tags" and new is not None and ("tags", new) not in _GOOD:
        tags = _json_of(new, list)
        if tags is _BAD or not all(isinstance(t, str) for t in tags):
            return "tags are not a list of names"
        _remember("tags", new)
    if fld == "consent" and new is not None and ("consent", new) not in _GOOD:
        if _json_of(new, dict) is _BAD:
            return "consent is not valid JSON"
        _remember("consent", new)
    if fld.startswith("answer:"):
        return _answer_problem(fld, old, new)
    if fld == "rating" and new not in (None, ""):
        from leadcap.store import model

        if new not in model.RATINGS:
            return f"rating {new[:20]!r} is not one of {', '.join(model.RATINGS)}"
    return None


def _answer_problem(fld: str, *values) -> str | None:
    """An answer change's old and new values: JSON text, number or a list of choices."""
    for value in values:
        if value is None:
            continue
        parsed = _json_of(value, object)
        if parsed is _BAD or isinstance(parsed, dict | bool):
            return f"the answer to {fld[7:][:30]!r} is not valid JSON"
        if isinstance(parsed, list) and not all(isinstance(v, str) for v in parsed):
            return f"the answer to {fld[7:][:30]!r} is not a list of choices"
    return None


# Values already found good: a first merge checks some hundred thousand rows, and times,
# tag lists and consent texts repeat (a lead's changes share one time). Bounded, and only
# plain strings, so the verdict for a value never depends on where it was seen.
_GOOD: set[tuple[str, str]] = set()
_GOOD_TIMES: set[str] = set()  # times already read (one per change row: a hot path)
_GOOD_LIMIT = 200_000


def _remember(kind: str, value: str) -> None:
    if len(_GOOD) < _GOOD_LIMIT:
        _GOOD.add((kind, value))


def _time_problem(value, column: str, *, required: bool) -> str | None:
    if value in _GOOD_TIMES:
        return None
    if value is None:
        return f"{column} is missing" if required else None
    if not isinstance(value, str):
        return f"{column} is not a time"
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return f"{column} {value[:30]!r} is not a time"
    if len(_GOOD_TIMES) < _GOOD_LIMIT:
        _GOOD_TIMES.add(value)
    return None


_BAD = object()


def _json_of(value, kind: type):
    """The parsed value if `value` is JSON text of `kind`, else `_BAD`."""
    if not isinstance(value, str):
        return _BAD
    try:
        parsed = json.loads(value)
    except ValueError:
        return _BAD
    return parsed if isinstance(parsed, kind) else _BAD


def consent_row_problem(record: tuple) -> str | None:
    """Why a foreign `consent_records` row (merge's CONSENT_COLUMNS) cannot be taken in."""
    uid, lead_uuid, purpose, status, recorded_at = record[:5]
    if not all(isinstance(v, str) and v for v in (uid, lead_uuid, purpose, status)):
        return "consent record without uid, lead, purpose or status"
    return _time_problem(recorded_at, "recorded_at", required=True)


def answer_row_problem(question, value) -> str | None:
    """Why a foreign `lead_answers` row cannot be copied."""
    if not isinstance(question, str) or not question:
        return "an answer without a question"
    if value is None:
        return f"no answer to {question[:30]!r}"
    return _answer_problem("answer:" + question, value)


def question_row_problem(row: tuple) -> str | None:
    """Why a foreign `questions` row (questions.COLUMNS) cannot be taken in."""
    from leadcap.store.questions import TYPES

    name, kind, choices, labels, position, removed, changed_at, device = row
    if not isinstance(name, str) or not name.strip() or ":" in name or "=" in name:
        return "a question without a usable name"
    if kind not in TYPES:
        return f"question type {str(kind)[:20]!r} is not one of {', '.join(TYPES)}"
    parsed = _json_of(choices, list)
    if parsed is _BAD or not all(
        isinstance(c, dict)
        and isinstance(c.get("value"), str)
        and isinstance(c.get("points", 0), int)
        for c in parsed
    ):
        return "choices are not a list of choices"
    if _json_of(labels, dict) is _BAD or not isinstance(position, int):
        return "labels or position are not valid"
    if removed not in (0, 1) or not isinstance(device, str):
        return "removed or device are not valid"
    return _time_problem(changed_at, "changed_at", required=True)


def visit_row_problem(visit: tuple) -> str | None:
    lead_uuid, _device, count, last_at = visit
    if not isinstance(lead_uuid, str) or not isinstance(count, int) or count < 0:
        return "visit counter that is not a number"
    return _time_problem(last_at, "last_at", required=False)
