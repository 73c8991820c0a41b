"""The qualifying questions on the booth screen (key `q`): each question in turn for the
lead shown, in the panel; a digit picks a choice (several for a multi-choice question,
then Enter), `y`/`n` answers yes/no, other answers are typed and Enter saves them; Enter
alone skips, Esc ends. A badge arriving meanwhile ends the questions and is captured, as
everywhere on the screen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadcap.cli.qualify_keys import LineEditor, QualifyActions
from leadcap.errors import LeadcapError
from leadcap.intake import terminal as keys
from leadcap.store import answers
from leadcap.store import questions as core

_ENTER = ("\r", "\n")


def answered_line(lead: Mapping[str, Any], asked: list[core.Question]) -> str:
    """`Cooperation ✓ · Timeframe – · ...`: which questions this lead has answered."""
    answers = lead.get("answers") or {}
    return " · ".join(f"{q.name} {'✓' if q.name in answers else '–'}" for q in asked)


def question_panel(question: core.Question, current) -> str:
    """The question, its numbered choices, the answer given so far and the keys."""
    lines = [question.label()]
    lines += [f"  {n}  {c['value']}" for n, c in enumerate(question.choices, start=1)]
    if current is not None:
        lines.append(f"Answer so far: {core.show_answer(current)}")
    how = {
        "single": "a digit picks",
        "yesno": "y = yes, n = no",
        "multi": "digits pick, Enter when done",
        "number": "type a number, Enter saves",
        "date": "type YYYY-MM-DD, Enter saves",
    }.get(question.type, "type the answer, Enter saves")
    lines.append(f"\n{how} · Enter skips · Esc ends the questions")
    return "\n".join(lines)


class QuestionActions(QualifyActions):
    """Key `q` and the `question` mode of the booth screen (Booth's state, see there)."""

    asked: list[core.Question]
    question_at: int

    def has_questions(self) -> bool:
        return bool(core.list_questions(self.store))

    def ask_questions(self) -> None:
        asked = core.list_questions(self.store)
        if not asked:
            self.say("No questions yet: leadcap questions add NAME --choices ...", warn=True)
            return
        if self.lead is None or self.journal_id:
            self.say("Questions need a saved lead: answer later with leadcap answer ID", warn=True)
            return
        self.asked, self.question_at = asked, 0
        self.show_question()

    def show_question(self) -> None:
        if self.lead is None or self.question_at >= len(self.asked):
            self.end_questions("Questions done: " + answered_line(self.lead or {}, self.asked))
            return
        question = self.asked[self.question_at]
        current = (self.lead.get("answers") or {}).get(question.name)
        self.mode, self.line = "question", LineEditor()
        self.view.panel_title = (
            f"Question {self.question_at + 1} of {len(self.asked)} · "
            + answered_line(self.lead, self.asked)
        )
        self.view.panel = question_panel(question, current)

    def end_questions(self, message: str) -> None:
        self.mode, self.view.panel = "qualify", ""
        self.say(message)

    def next_question(self) -> None:
        self.question_at += 1
        self.show_question()

    def key_question(self, key: str) -> str | None:
        question = self.asked[self.question_at]
        if key in (keys.ESCAPE, keys.CTRL_C):
            self.end_questions("Questions ended.")
        elif key in _ENTER:
            typed = self.line.text.strip()
            if typed and question.type not in core.CHOICE_TYPES:
                self.save_answer(question, typed)
            self.next_question()
        elif question.type in core.CHOICE_TYPES:
            if question.type == "yesno" and key.lower() in ("y", "j", "n"):
                key = "1" if key.lower() in ("y", "j") else "2"
            if key.isdigit() and self.save_answer(question, key) and question.type != "multi":
                self.next_question()
            elif key.isdigit() and question.type == "multi":
                self.show_question()
        else:
            self.line.key(key)
        return None

    def save_answer(self, question: core.Question, value: str) -> bool:
        assert self.lead is not None
        try:
            self.lead = answers.answer(
                self.store, self.lead["id"], question.name, [value], command="scan"
            )
        except LeadcapError as error:
            self.say(f"! {error}", warn=True)
            return False
        shown = core.show_answer((self.lead.get("answers") or {}).get(question.name))
        self.say(f"{question.name}: {shown} (saved).")
        return True
