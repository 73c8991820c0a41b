"""Qualifying questions (event settings in the database) and the answers leads give.

A question has a name (its identity, compared without case), a type, for single and
multi questions an ordered list of choices with optional German/Japanese labels and
points, and a position. Questions are changed in place, each row stamped with when and on
which laptop, so that merging two laptops keeps the latest version of each question.
Removing a question only hides it: its answers stay in the database.

Answers are written through `leads.update_lead` as the change `answer:<question>`, so the
change log, history, undo and merging cover them like any other field."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from leadcap.errors import NotFound, UsageError
from leadcap.store import model
from leadcap.store.database import Store

TYPES = ("single", "multi", "text", "number", "date", "yesno")
CHOICE_TYPES = ("single", "multi", "yesno")
LANGUAGES = ("de", "ja")
ANSWER_PREFIX = "answer:"
# Separates the versions of a free-text answer that two laptops changed at the same time.
TEXT_CONFLICT_SEPARATOR = " | "
YES_NO = (
    {"value": "yes", "de": "Ja", "ja": "はい", "points": 0},
    {"value": "no", "de": "Nein", "ja": "いいえ", "points": 0},
)
_YES = {"yes", "y", "ja", "j", "true", "1", "はい", "hai", "oui", "si"}
_NO = {"no", "n", "nein", "false", "0", "いいえ", "iie", "non"}


@dataclass
class Question:
    name: str
    type: str
    choices: list[dict] = field(default_factory=list)  # value, de, ja, points
    labels: dict[str, str] = field(default_factory=dict)  # language -> label
    position: int = 0
    removed: bool = False
    changed_at: str = ""
    device: str = ""

    def label(self, language: str | None = None) -> str:
        return (self.labels.get(language) if language else None) or self.name

    def choice(self, value: str) -> dict | None:
        folded = model.fold(value)
        for choice in self.choices:
            if model.fold(choice["value"]) == folded:
                return choice
        return None

    def points(self, value) -> int:
        """Points an answer earns: the sum of its chosen choices' points."""
        values = value if isinstance(value, list) else [value]
        return sum((c or {}).get("points", 0) for c in (self.choice(str(v)) for v in values if v))

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "choices": self.choices,
            "labels": self.labels,
            "position": self.position,
            "removed": self.removed,
        }

    def row(self) -> tuple:
        """The stored form, in the column order of `COLUMNS`."""
        return (
            self.name,
            self.type,
            json.dumps(self.choices, ensure_ascii=False),
            json.dumps(self.labels, ensure_ascii=False, sort_keys=True),
            self.position,
            int(self.removed),
            self.changed_at,
            self.device,
        )


COLUMNS = "name, type, choices, labels, position, removed, changed_at, device"


def from_row(row) -> Question:
    name, kind, choices, labels, position, removed, changed_at, device = row
    return Question(
        name, kind, json.loads(choices), json.loads(labels), position, bool(removed),
        changed_at, device,
    )  # fmt: skip


def list_questions(store: Store, *, include_removed: bool = False) -> list[Question]:
    """The event's questions in their order (removed ones only when asked)."""
    where = "" if include_removed else " WHERE removed = 0"
    rows = store.conn.execute(
        f"SELECT {COLUMNS} FROM questions{where} ORDER BY position, name COLLATE NOCASE"
    )
    return [from_row(row) for row in rows]


def get_question(store: Store, name: str, *, include_removed: bool = False) -> Question:
    """A question by name (any case), by a label, or by its number in the list (1, 2...)."""
    name = name.strip()
    for question in list_questions(store, include_removed=True):
        if model.fold(question.name) == model.fold(name):
            if question.removed and not include_removed:
                break
            return question
    for question in list_questions(store, include_removed=include_removed):
        if model.fold(name) in {model.fold(label) for label in question.labels.values()}:
            return question
    active = list_questions(store)
    if name.isdigit() and 1 <= int(name) <= len(active):
        return active[int(name) - 1]
    known = ", ".join(q.name for q in active) or "none yet"
    raise NotFound(
        f"no question {name!r} (questions: {known}). Add one with leadcap questions add NAME"
    )


def _save(store: Store, question: Question) -> Question:
    question.changed_at = store.now().isoformat()
    question.device = store.device
    store.conn.execute(
        f"INSERT INTO questions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET name = excluded.name, type = excluded.type,"
        " choices = excluded.choices, labels = excluded.labels, position = excluded.position,"
        " removed = excluded.removed, changed_at = excluded.changed_at, device = excluded.device",
        question.row(),
    )
    return question


def parse_mapping(text: str | None, what: str) -> dict[str, str]:
    """`"R&D=30,Investment=20"` -> {"R&D": "30", "Investment": "20"}."""
    found: dict[str, str] = {}
    for item in split_list(text):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f'{what} {item!r} is not CHOICE=VALUE. Write e.g. "R&D=30,Job=5"')
        found[key.strip()] = value.strip()
    return found


def split_list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UsageError("a question needs a name, e.g. leadcap questions add Cooperation")
    if ":" in name or "=" in name:
        raise UsageError(
            f"question name {name!r} contains ':' or '='. Those separate names from values"
            " in command codes and filters; choose another name"
        )
    return name


def _check_choices(kind: str, values: list[str]) -> list[dict]:
    if kind == "yesno":
        return [dict(c) for c in YES_NO]
    if kind not in ("single", "multi"):
        if values:
            raise UsageError(f"a {kind} question has no choices. Leave out --choices")
        return []
    if not values:
        raise UsageError(f'a {kind} question needs --choices, e.g. --choices "R&D,Distribution"')
    seen: set[str] = set()
    for value in values:
        if ":" in value or "=" in value:
            raise UsageError(f"choice {value!r} contains ':' or '='. Choose another spelling")
        if model.fold(value) in seen:
            raise UsageError(f"choice {value!r} is given twice. Give each choice once")
        seen.add(model.fold(value))
    return [{"value": v, "de": None, "ja": None, "points": 0} for v in values]


def _apply_details(
    question: Question,
    labels: dict[str, str | None],
    choice_labels: dict[str, str | None],
    points: str | None,
) -> None:
    for language, label in labels.items():
        if label is not None:
            if label.strip():
                question.labels[language] = label.strip()
            else:
                question.labels.pop(language, None)
    for language, text in choice_labels.items():
        for value, label in parse_mapping(text, f"--choices-{language} item").items():
            _choice_of(question, value, f"--choices-{language}")[language] = label or None
    for value, amount in parse_mapping(points, "--points item").items():
        choice = _choice_of(question, value, "--points")
        try:
            choice["points"] = int(amount)
        except ValueError:
            raise UsageError(
                f'points {amount!r} for {value!r} is not a whole number. Write e.g. "R&D=30"'
            ) from None


def _choice_of(question: Question, value: str, option: str) -> dict:
    choice = question.choice(value)
    if choice is None:
        if not question.choices:
            raise UsageError(f"{option}: a {question.type} question has no choices")
        known = ", ".join(c["value"] for c in question.choices)
        raise UsageError(f"{option}: {value!r} is not a choice of {question.name} ({known})")
    return choice


def add_question(
    store: Store,
    name: str,
    kind: str,
    *,
    choices: Sequence[str] = (),
    labels: dict[str, str | None] | None = None,
    choice_labels: dict[str, str | None] | None = None,
    points: str | None = None,
) -> Question:
    """Add a question at the end of the list (or bring back a removed one of that name,
    with the new definition)."""
    name = _check_name(name)
    kind = model.check_choice(kind, TYPES, "question type")
    with store.transaction():
        existing = [q for q in list_questions(store, include_removed=True)]
        for other in existing:
            if model.fold(other.name) == model.fold(name) and not other.removed:
                raise UsageError(
                    f"there is already a question {other.name!r}. Change it with"
                    f" leadcap questions edit {other.name!r}"
                )
        active = [q for q in existing if not q.removed]
        position = max((q.position for q in active), default=0) + 1
        question = Question(name, kind, _check_choices(kind, list(choices)), position=position)
        _apply_details(question, labels or {}, choice_labels or {}, points)
        return _save(store, question)


def edit_question(
    store: Store,
    name: str,
    *,
    kind: str | None = None,
    choices: list[str] | None = None,
    add_choices: Sequence[str] = (),
    labels: dict[str, str | None] | None = None,
    choice_labels: dict[str, str | None] | None = None,
    points: str | None = None,
) -> Question:
    """Change a question's type, choices, labels or points. Answers already given stay
    as they were; a choice dropped from the list keeps its answers (shown as given)."""
    with store.transaction():
        question = get_question(store, name)
        if kind is not None:
            question.type = model.check_choice(kind, TYPES, "question type")
        if choices is not None or kind is not None:
            wanted = choices if choices is not None else [c["value"] for c in question.choices]
            if question.type not in CHOICE_TYPES:
                wanted = []
            old = {model.fold(c["value"]): c for c in question.choices}
            fresh = _check_choices(question.type, wanted)
            question.choices = [old.get(model.fold(c["value"]), c) for c in fresh]
        if add_choices:
            if question.type not in ("single", "multi"):
                raise UsageError(f"a {question.type} question has no choices to add to")
            values = [c["value"] for c in question.choices] + list(add_choices)
            old = {model.fold(c["value"]): c for c in question.choices}
            fresh = _check_choices(question.type, values)
            question.choices = [old.get(model.fold(c["value"]), c) for c in fresh]
        _apply_details(question, labels or {}, choice_labels or {}, points)
        return _save(store, question)


def remove_question(store: Store, name: str) -> Question:
    """Hide a question; its answers stay (exported with --all-questions)."""
    with store.transaction():
        question = get_question(store, name)
        question.removed = True
        return _save(store, question)


def reorder(store: Store, names: list[str]) -> list[Question]:
    """Put these questions first, in this order; the others follow as they were."""
    with store.transaction():
        picked: list[Question] = []
        for name in names:
            question = get_question(store, name)
            if question.name not in [q.name for q in picked]:
                picked.append(question)
        rest = [q for q in list_questions(store) if q.name not in [p.name for p in picked]]
        for position, question in enumerate(picked + rest, start=1):
            if question.position != position:
                question.position = position
                _save(store, question)
    return list_questions(store)


# -- answers ------------------------------------------------------------------------


def parse_answer(question: Question, values: list[str]) -> Any:
    """What was typed or scanned as the stored answer: a choice's own spelling (matched
    by value, German or Japanese label, or number), a list for multi, a number, an ISO
    date, yes/no. Raises UsageError saying what would be accepted."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        raise UsageError(f"give an answer for {question.name} (or --clear to clear it)")
    kind = question.type
    if kind == "text":
        return " ".join(values)
    if kind == "multi":
        picked = [match_choice(question, part) for value in values for part in split_list(value)]
        return list(dict.fromkeys(picked))
    if len(values) > 1:
        raise UsageError(f"{question.name} takes one answer; got {len(values)}. Quote a phrase")
    value = values[0]
    if kind == "single":
        return match_choice(question, value)
    if kind == "yesno":
        return parse_yes_no(question, value)
    if kind == "number":
        return parse_number(question, value)
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{question.name} takes a date; {value!r} is not YYYY-MM-DD") from None


def parse_yes_no(question: Question, value: str) -> str:
    folded = model.fold(value)
    if folded in _YES:
        return "yes"
    if folded in _NO:
        return "no"
    raise UsageError(f"{question.name} is a yes/no question; {value!r} is neither. Use yes/no")


def parse_number(question: Question, value: str) -> int | float:
    text = model.fold(value).replace(",", "").replace("_", "")
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise UsageError(f"{question.name} takes a number; {value!r} is not one")
    return int(number) if number.is_integer() and re.fullmatch(r"[-+]?\d+(\.0*)?", text) else number


def match_choice(question: Question, value: str) -> str:
    """A choice by its value, a label in any language, or its number (1 = first)."""
    folded = model.fold(value)
    for choice in question.choices:
        names = [choice["value"], choice.get("de"), choice.get("ja")]
        if folded in {model.fold(n) for n in names if n}:
            return choice["value"]
    if value.isdigit() and 1 <= int(value) <= len(question.choices):
        return question.choices[int(value) - 1]["value"]
    known = ", ".join(f"{n}={c['value']}" for n, c in enumerate(question.choices, start=1))
    raise UsageError(f"{value!r} is not a choice of {question.name}. Choices: {known}")


def lead_answers(store: Store, lead_id: int) -> dict:
    """Every stored answer of a lead, removed questions included, by folded name."""
    rows = store.conn.execute(
        "SELECT question, value FROM lead_answers WHERE lead_id = ?", [lead_id]
    )
    return {model.fold(q): json.loads(v) for q, v in rows}


def all_answers(store: Store) -> dict[int, dict[str, object]]:
    """Every lead's answers, removed questions included: lead id -> {question: value}."""
    found: dict[int, dict] = {}
    for lead_id, question, value in store.conn.execute(
        "SELECT lead_id, question, value FROM lead_answers"
    ):
        found.setdefault(lead_id, {})[question] = json.loads(value)
    return found


def write_answer(store: Store, lead_id: int, question: str, value) -> None:
    """Set (or with None delete) one stored answer; the caller logs the change."""
    store.conn.execute(
        "DELETE FROM lead_answers WHERE lead_id = ? AND question = ?", [lead_id, question]
    )
    if value is not None and value != []:
        store.conn.execute(
            "INSERT INTO lead_answers (lead_id, question, value) VALUES (?, ?, ?)",
            [lead_id, question, json.dumps(value, ensure_ascii=False)],
        )


def show_answer(value) -> str:
    """An answer as one line of text."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def answer_filter(store: Store, text: str) -> tuple[str, object, bool]:
    """`"Cooperation=R&D"` as a LeadFilter answer condition (question, value, contains).
    A choice may be named by label or number; free text matches any part; a question
    alone (`"Cooperation"`) matches any answer to it."""
    name, sep, value = text.partition("=")
    question = get_question(store, name, include_removed=True)
    if not sep or not value.strip():
        return question.name, None, False
    if question.type == "text":
        return question.name, value.strip(), True
    parsed = parse_answer(question, [value])
    if isinstance(parsed, list):
        if len(parsed) != 1:
            raise UsageError(f"--answer takes one choice per filter; repeat --answer for {value!r}")
        parsed = parsed[0]
    return question.name, parsed, False
