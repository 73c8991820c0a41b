"""Two leads of one person on this laptop: finding likely duplicates and combining them.

Combining does locally what merging does for one person captured on two laptops: the second
lead becomes an alias of the first, and the first is recomputed from the united change log
(the latest change of each field wins, tags and notes are united, visits added up). Every
change to the kept lead is logged under one command, and the removed lead's row goes into
the change log too, so that `leadcap undo` brings both back exactly."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from leadcap.errors import UsageError
from leadcap.laptops.replay import lead_state
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.history import COMBINED_INTO
from leadcap.store.leads import (
    _set_tags,
    get_lead,
    lead_tags,
    log_changes,
)
from leadcap.store.questions import write_answer


@dataclass
class Duplicate:
    """Leads that are probably one person, and why."""

    ids: list[int]
    reasons: list[str] = field(default_factory=list)

    @property
    def command(self) -> str:
        return " && ".join(f"leadcap combine {self.ids[0]} {other}" for other in self.ids[1:])


_KEYS = (
    ("same e-mail", "email_norm"),
    ("same badge", "badge_norm"),
    ("same phone", "phone_e164"),
    ("same mobile", "mobile_e164"),
)


def _identity_keys(row: tuple) -> list[tuple[str, str]]:
    """(reason, value) pairs that make two leads of one event likely the same person."""
    keys = [(reason, row[2 + n]) for n, (reason, _column) in enumerate(_KEYS)]
    lead = dict(zip(("full_name", "given_name", "family_name"), row[6:9], strict=True))
    name = model.fold(model.display_name(lead))
    if name and row[9]:
        keys.append(("same name and company", f"{name}\n{model.fold(row[9])}"))
    return [(reason, value) for reason, value in keys if value]


def find_duplicates(store: Store) -> list[Duplicate]:
    """Live leads of one event that share an e-mail, badge id or phone number, or whose
    normalised name and company are the same, grouped; oldest lead first in each group."""
    rows = store.conn.execute(
        "SELECT id, event, email_norm, badge_norm, phone_e164, mobile_e164, full_name,"
        " given_name, family_name, company FROM leads WHERE deleted_at IS NULL ORDER BY id"
    ).fetchall()
    parent: dict[int, int] = {}

    def root(item: int) -> int:
        while parent.get(item, item) != item:
            item = parent[item]
        return item

    reasons: dict[tuple[int, int], set[str]] = defaultdict(set)
    seen: dict[tuple, int] = {}
    for row in rows:
        for reason, value in _identity_keys(row):
            # A phone number matches a mobile number too.
            first = seen.setdefault((row[1], reason.replace("mobile", "phone"), value), row[0])
            if first != row[0]:
                reasons[(first, row[0])].add(reason)
                a, b = root(first), root(row[0])
                parent[max(a, b)] = min(a, b)
    groups: dict[int, Duplicate] = {}
    for (first, other), found in sorted(reasons.items()):
        group = groups.setdefault(root(first), Duplicate([]))
        group.ids += [i for i in (first, other) if i not in group.ids]
        group.reasons += [r for r in sorted(found) if r not in group.reasons]
    for group in groups.values():
        group.ids.sort()
    return sorted(groups.values(), key=lambda g: g.ids)


def _row(store: Store, lead_id: int) -> dict:
    cursor = store.conn.cursor()
    cursor.row_factory = sqlite3.Row
    return dict(cursor.execute("SELECT * FROM leads WHERE id = ?", [lead_id]).fetchone())


def _members(store: Store, lead_uuid: str) -> list[str]:
    sql = "SELECT alias_uuid FROM lead_aliases WHERE lead_uuid = ?"
    rows = store.conn.execute(sql, [lead_uuid])
    return [lead_uuid, *(r[0] for r in rows)]


def combine(store: Store, keep_id: int | str, other_id: int | str) -> model.Lead:
    """Combine lead `other_id` into lead `keep_id` (which keeps its number) and commit.
    Returns the combined lead."""
    keep, other = get_lead(store, keep_id), get_lead(store, other_id)
    if keep["id"] == other["id"]:
        raise UsageError(f"lead {keep['id']} cannot be combined with itself. Give two numbers")
    for lead in (keep, other):
        if lead["deleted"]:
            raise UsageError(
                f"lead {lead['id']} is deleted. Restore it first: leadcap restore {lead['id']}"
            )
    at = store.now().isoformat()
    batch = store.new_batch()
    with store.transaction():
        keep_row, other_row = _row(store, keep["id"]), _row(store, other["id"])
        members = _members(store, keep["uuid"]) + _members(store, other["uuid"])
        marks = ", ".join("?" for _ in members)
        changes = store.conn.execute(
            "SELECT uid, device, changed_at, seq, field, old_value, new_value FROM changes"
            f" WHERE lead_uuid IN ({marks})",
            members,
        ).fetchall()
        consent = store.conn.execute(
            "SELECT uid, device, recorded_at, purpose, status FROM consent_records"
            f" WHERE lead_uuid IN ({marks})",
            members,
        ).fetchall()
        visits = [
            r[0]
            for r in store.conn.execute(
                f"SELECT count FROM visits WHERE lead_uuid IN ({marks})", members
            )
        ]
        # Tags: the union, kept spelling of the lead kept.
        tags = list(dict.fromkeys(keep["tags"] + other["tags"]))
        tags = [t for n, t in enumerate(tags) if t.casefold() not in map(str.casefold, tags[:n])]
        new_row, _ = lead_state(
            store, keep_row, [keep_row, other_row], list(changes), list(consent), visits, tags
        )
        fields = model.LEAD_FIELDS + ("rating", "exhibitor", "status", "owner", "due", "event")
        logged = [(k, keep_row[k], new_row[k]) for k in fields if new_row[k] != keep_row[k]]
        if new_row["consent"] and json.loads(new_row["consent"]) != keep["consent"]:
            logged.append(("consent", keep["consent"], json.loads(new_row["consent"])))
        if tags != keep["tags"]:
            logged.append(("tags", keep["tags"], tags))
        answers = _united_answers(store, keep["id"], other["id"], list(changes))
        logged += answers
        logged.append(("combined", None, other["uuid"]))
        aliases = _members(store, other["uuid"])[1:]
        saved = {**other_row, "tags": lead_tags(store, other["id"]), "aliases": aliases}
        saved["answers"] = list(lead_answers_by_name(store, other["id"]).items())
        log_changes(
            store,
            batch,
            other["uuid"],
            [(COMBINED_INTO, json.dumps(saved, ensure_ascii=False), keep["uuid"])],
            "combine",
            at,
        )
        store.conn.execute("DELETE FROM leads WHERE id = ?", [other["id"]])
        store.conn.execute(
            "INSERT INTO lead_aliases (alias_uuid, lead_uuid, linked_at) VALUES (?, ?, ?)"
            " ON CONFLICT(alias_uuid) DO UPDATE SET lead_uuid = excluded.lead_uuid",
            [other["uuid"], keep["uuid"], at],
        )
        store.conn.execute(
            "UPDATE lead_aliases SET lead_uuid = ? WHERE lead_uuid = ?",
            [keep["uuid"], other["uuid"]],
        )
        columns = {k: new_row[k] for k in new_row if k not in ("uuid",) and k in keep_row}
        for origin in ("captured_by", "device", "captured_at", "captured_utc", "source"):
            columns.pop(origin, None)
        columns["raw_payload"] = keep_row["raw_payload"]
        columns["updated_at"] = at
        assignments = ", ".join(f"{name} = ?" for name in columns)
        store.conn.execute(
            f"UPDATE leads SET {assignments} WHERE id = ?", [*columns.values(), keep["id"]]
        )
        _set_tags(store, keep["id"], tags)
        for name, _old, new in answers:
            write_answer(store, keep["id"], name.split(":", 1)[1], json.loads(new) if new else None)
        log_changes(store, batch, keep["uuid"], logged, "combine", at)
    return get_lead(store, keep["id"])


def _united_answers(store: Store, keep_id: int, other_id: int, changes: list) -> list[tuple]:
    """The answer changes that give the kept lead the answers of both copies: replayed from
    both logs like a merge does, a question only the other copy answered taken over.
    (answer:<question>, old JSON, new JSON) for each answer that changes."""
    from leadcap.laptops.replay import answer_state
    from leadcap.store.questions import list_questions

    kept = lead_answers_by_name(store, keep_id)
    current = {model.fold(q): (q, v) for q, v in lead_answers_by_name(store, other_id).items()}
    current.update({model.fold(q): (q, v) for q, v in kept.items()})
    asked = list_questions(store, include_removed=True)
    text = {model.fold(q.name) for q in asked if q.type == "text"}
    united = answer_state(changes, current, text)
    found = []
    for name, value in united.items():
        old = next((v for q, v in kept.items() if model.fold(q) == model.fold(name)), None)
        if value != old:
            found.append((f"answer:{name}", _json(old), _json(value)))
    return found


def lead_answers_by_name(store: Store, lead_id: int) -> dict:
    rows = store.conn.execute(
        "SELECT question, value FROM lead_answers WHERE lead_id = ?", [lead_id]
    )
    return {question: json.loads(value) for question, value in rows}


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
