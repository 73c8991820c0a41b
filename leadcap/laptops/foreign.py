"""Trusting another laptop's file only as far as it deserves: merge and sync read foreign
files through here. The schema must be exactly leadcap's, reading has a time limit, and
rows with values no leadcap writes are set aside (and reported) instead of stopping the
merge halfway or being written into this laptop's database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from leadcap.store import schema_check


def check_schema(conn: sqlite3.Connection, path: Path, applied: set[str]) -> str | None:
    """Why the file's schema is not leadcap's own (None: it is)."""
    strange = schema_check.foreign_objects(conn, applied)
    if not strange:
        return None
    return (
        f"{path} holds schema objects leadcap did not create"
        f" ({schema_check.describe(strange)}); skipped. Ask for a fresh copy made by leadcap"
    )


def reading(conn: sqlite3.Connection) -> AbstractContextManager[None]:
    """A time limit on every query against the foreign file (a crafted view can loop)."""
    return schema_check.time_limit(conn)


TooSlow = schema_check.TooSlow


def set_aside_bad_rows(source) -> list[str]:
    """Drop rows whose values no leadcap writes from a merge `Source`, with every row of
    a lead whose own row is bad. Returns one line per rejected row."""
    rejected: list[str] = []
    bad_leads: set[str] = set()
    for lead_uuid, row in list(source.leads.items()):
        problem = schema_check.lead_row_problem(row)
        if problem:
            bad_leads.add(lead_uuid)
            del source.leads[lead_uuid]
            rejected.append(f"lead {_short(lead_uuid)}: {problem}")

    def keep(rows: list, lead_at: int, check: Callable, label: str) -> list:
        kept = []
        for row in rows:
            if row[lead_at] in bad_leads:
                continue
            problem = check(row)
            if problem:
                rejected.append(f"{label} of lead {_short(row[lead_at])}: {problem}")
            else:
                kept.append(row)
        return kept

    changes = [c for c in source.changes if c[2] not in bad_leads] if bad_leads else source.changes
    bad = schema_check.change_row_problems(changes)
    rejected += [f"change of lead {_short(changes[i][2])}: {bad[i]}" for i in sorted(bad)]
    source.changes = [c for i, c in enumerate(changes) if i not in bad] if bad else changes
    source.consent = keep(source.consent, 1, schema_check.consent_row_problem, "consent")
    source.visits = keep(source.visits, 0, schema_check.visit_row_problem, "visits")
    source.aliases = [a for a in source.aliases if a[0] not in bad_leads and a[1] not in bad_leads]
    source.cards = keep(source.cards, 1, card_row_problem, "card")
    questions = []
    for row in source.questions:
        problem = schema_check.question_row_problem(tuple(row))
        if problem:
            rejected.append(f"question {str(row[0])[:30]!r}: {problem}")
        else:
            questions.append(row)
    source.questions = questions
    rejected += _set_aside_bad_answers(source, bad_leads)
    return rejected


def _set_aside_bad_answers(source, bad_leads: set[str]) -> list[str]:
    """Stored answers of the source's leads (copied for leads only it has)."""
    rejected = []
    for lead_uuid in list(source.answers):
        good = []
        for question, value in source.answers.pop(lead_uuid):
            problem = schema_check.answer_row_problem(question, value)
            if problem:
                rejected.append(f"answer of lead {_short(lead_uuid)}: {problem}")
            else:
                good.append((question, value))
        if lead_uuid not in bad_leads:
            source.answers[lead_uuid] = good
    return rejected


# A card image as leadcap keeps it is a few hundred KB; anything far larger is not one.
CARD_MAX_BYTES = 2_000_000


def card_row_problem(row: tuple) -> str | None:
    """Why a `cards` row (source.CARD_COLUMNS) is not one leadcap wrote, or None."""
    uid, lead_uuid, image, media_type = row[:4]
    if not isinstance(uid, str) or not isinstance(lead_uuid, str):
        return "ids are not text"
    if not isinstance(image, bytes) or not image.startswith(b"\xff\xd8"):
        return "the image is not a JPEG"
    if len(image) > CARD_MAX_BYTES:
        return f"the image is {len(image):,} bytes"
    if media_type != "image/jpeg":
        return f"media type {_short(media_type)}"
    return None


def _short(value) -> str:
    return str(value)[:8] if isinstance(value, str) else repr(value)[:8]
