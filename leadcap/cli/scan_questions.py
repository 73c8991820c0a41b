"""The qualifying questions in the scan loop (key `q`): each question in turn for the lead
on screen, answered with a digit (choices numbered) or typed text; Enter skips. A badge
arriving meanwhile ends the questions and is captured, as everywhere in the loop."""

from __future__ import annotations

from leadcap.errors import LeadcapError
from leadcap.store import answers, model
from leadcap.store import questions as core

SCAN = "\x00scan:"  # what apply_key returns to hand a scan back to the loop
_ENTER = ("\r", "\n")
_DELETE = ("\x7f", "\b")


def answered_line(lead: model.Lead, asked: list[core.Question]) -> str:
    """`Cooperation ✓ · Timeframe – · ...`: which questions this lead has answered."""
    answers = lead.get("answers") or {}
    return " · ".join(f"{q.name} {'✓' if q.name in answers else '–'}" for q in asked)


def ask_questions(session, reader) -> str:
    """Ask every question for the lead on screen. Returns 'more' (back to the qualify
    keys) or SCAN + a badge's text that arrived meanwhile."""
    asked = core.list_questions(session.store)
    lead = session.last_lead
    if not asked:
        session.say("  ! no questions yet: leadcap questions add NAME --choices ...")
        return "more"
    if lead is None or session.last_journal_id:
        session.say("  ! questions need a saved lead: answer later with leadcap answer ID")
        return "more"
    session.say(f"  questions: {answered_line(lead, asked)}")
    for question in asked:
        scanned = _ask_one(session, reader, question)
        if scanned is not None:
            return SCAN + scanned
    session.say(f"  answered: {answered_line(session.last_lead or lead, asked)}")
    return "more"


def _prompt(question: core.Question, current) -> str:
    choices = " ".join(f"{n} {c['value']}" for n, c in enumerate(question.choices, start=1))
    given = f" [{core.show_answer(current)}]" if current is not None else ""
    kind = {"multi": "digits, Enter done", "text": "type, Enter", "number": "a number, Enter",
            "date": "YYYY-MM-DD, Enter"}.get(question.type, "a digit")  # fmt: skip
    return f"  {question.name}{given}: {choices} ({kind}; Enter skips) ".replace("  (", " (")


def _ask_one(session, reader, question: core.Question) -> str | None:
    """One question. Returns a scan's text if a badge arrived, else None."""
    current = (session.last_lead.get("answers") or {}).get(question.name)
    session.say(_prompt(question, current), end="")
    typed: list[str] = []
    while True:
        event = reader.next_event()
        if event is None:
            continue
        if event.kind == "eof":
            return None
        if event.kind == "scan" and len(event.text.strip()) >= 4:
            session.say("")
            return event.text
        for ch in event.text:
            if _key(session, question, ch, typed):
                return None


def _key(session, question: core.Question, ch: str, typed: list[str]) -> bool:
    """One key press on a question; True when the question is done."""
    if ch in _ENTER:
        if "".join(typed).strip():
            _save(session, question, "".join(typed))
        session.say("")
        return True
    if question.type in core.CHOICE_TYPES:
        if question.type == "yesno" and ch.lower() in "yjn":
            ch = "1" if ch.lower() in "yj" else "2"
        if ch.isdigit():
            _save(session, question, ch)
            return question.type != "multi"
    elif ch in _DELETE and typed:
        typed.pop()
        _echo(session, "\b \b")
    elif ch.isprintable():
        typed.append(ch)
        _echo(session, ch)
    return False


def _save(session, question: core.Question, value: str) -> None:
    try:
        lead = answers.answer(session.store, session.last_lead["id"], question.name, [value],
                           command="scan")  # fmt: skip
    except LeadcapError as error:
        session.say(f"\n  ! {error}")
        return
    session.last_lead = lead
    session.say(f"\n  → {question.name}: {core.show_answer(lead['answers'].get(question.name))}"
                "  (saved)")  # fmt: skip


def _echo(session, text: str) -> None:
    import sys

    if session.out:
        sys.stdout.write(text)
        sys.stdout.flush()
