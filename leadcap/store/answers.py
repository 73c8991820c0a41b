"""Answering a lead's qualifying questions: the answer is checked against its question and
written through the lead's change log (history, undo, merges), like any field."""

from __future__ import annotations

from leadcap.store import model, questions
from leadcap.store.database import Store
from leadcap.store.leads import get_lead, update_lead


def answer(
    store: Store,
    lead_id,
    question_name: str,
    values: list[str],
    *,
    remove: bool = False,
    clear: bool = False,
    command: str = "answer",
) -> model.Lead:
    """Answer a question for a lead (logged, undoable). A multi answer adds the given
    choices to those already chosen; `remove` takes them away; `clear` empties any answer."""
    question = questions.get_question(store, question_name)
    lead = get_lead(store, lead_id)
    current = questions.lead_answers(store, lead["id"]).get(model.fold(question.name))
    if clear:
        new = None
    elif remove:
        if question.type != "multi":
            given = questions.parse_answer(question, values) if values else current
            new = None if given == current else current
        else:
            taken = set(questions.parse_answer(question, values))
            new = [c for c in (current or []) if c not in taken] or None
    else:
        new = questions.parse_answer(question, values)
        if question.type == "multi":
            new = list(dict.fromkeys([*(current or []), *new]))
            new = [c["value"] for c in question.choices if c["value"] in new] + [
                v for v in new if question.choice(v) is None
            ]
    change = {questions.ANSWER_PREFIX + question.name: new}
    return update_lead(store, lead["id"], change, command=command)
