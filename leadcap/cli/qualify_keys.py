"""What the booth screen's qualify keys do to the lead shown: the key table, rating,
tags, notes, informed consent and undo. Every change is committed before the screen says
so. The loop that calls these is `leadcap.cli.booth.Booth`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from leadcap.cli.screen import View
from leadcap.errors import LeadcapError, NotFound, UsageError
from leadcap.intake import capture as core
from leadcap.intake import terminal as keys
from leadcap.store import history, model
from leadcap.store.database import Store


@dataclass(frozen=True)
class Key:
    """A qualify key: its label on screen and the Booth method it calls (with `arg`)."""

    label: str
    handler: str
    arg: str | None = None


QUALIFY_KEYS: dict[str, Key] = {
    "h": Key("hot", "rate", "hot"),
    "w": Key("warm", "rate", "warm"),
    "c": Key("cold", "rate", "cold"),
    "n": Key("note", "start_note"),
    "y": Key("consent", "ask_consent", "followup"),
    "m": Key("marketing", "ask_consent", "marketing"),
    "s": Key("share", "ask_consent", "share"),
    "r": Key("refused", "refuse", "followup"),
    "t": Key("all tags", "pick_tag"),
    "q": Key("questions", "ask_questions"),  # shown once the event has questions
    "u": Key("undo", "undo"),
    "?": Key("help", "toggle_help"),
}
TAG_DIGITS = "1234567890"  # 0 is the tenth tag; `t` reaches every tag

HELP = """\
A scan is saved the moment it arrives; keys act on the lead shown.
h w c   rate hot / warm / cold          n   note: Enter saves, Esc cancels
1-9 0   add or remove tag 1-9, 10       t   any tag: its number, Enter
y m s   follow-up / marketing / share consent: shows the visitor the text,
        the same key again records it, r records a refusal
r       the visitor refuses follow-up   u   take back the last change
q       the event's qualifying questions, one after the other
Enter   done. Then type a badge number or e-mail and Enter to add it by hand
Ctrl-C  end the session                 LEADCAP: codes act on the lead shown
Any key closes this help."""


class LineEditor:
    """One line of text with a cursor: arrows, Home/End, Backspace/Delete, paste."""

    def __init__(self, text: str = ""):
        self.text = text
        self.cursor = len(text)

    def key(self, key: str) -> bool:
        """Apply an editing key; False if it is not one."""
        if key == keys.LEFT:
            self.cursor = max(0, self.cursor - 1)
        elif key == keys.RIGHT:
            self.cursor = min(len(self.text), self.cursor + 1)
        elif key == keys.HOME:
            self.cursor = 0
        elif key == keys.END:
            self.cursor = len(self.text)
        elif key == keys.BACKSPACE:
            if self.cursor:
                self.text = self.text[: self.cursor - 1] + self.text[self.cursor :]
                self.cursor -= 1
        elif key == keys.DELETE:
            self.text = self.text[: self.cursor] + self.text[self.cursor + 1 :]
        elif len(key) == 1 and key.isprintable():
            self.insert(key)
        else:
            return False
        return True

    def insert(self, text: str) -> None:
        text = text.replace("\n", " ").replace("\t", " ")
        self.text = self.text[: self.cursor] + text + self.text[self.cursor :]
        self.cursor += len(text)


def visitor_language(lead: model.Lead | None) -> str:
    """Japanese for a Japanese name or a .jp address, German for German-speaking
    countries' addresses, else English (the consent text falls back from there)."""
    if not lead:
        return "en"
    name = " ".join(filter(None, [lead.get("family_name"), lead.get("given_name")]))
    email = (lead.get("email") or "").lower()
    if model.JAPANESE_SCRIPT.search(name + (lead.get("full_name") or "")) or email.endswith(".jp"):
        return "ja"
    if email.endswith((".de", ".at", ".ch")) or (lead.get("country") or "") in ("DE", "AT", "CH"):
        return "de"
    return "en"


def describe_changes(changes: list[tuple]) -> str:
    """What an undo took back, in words: `rating hot`, `tag AI`, `the note`."""
    said = []
    for name, old, new in changes:
        if name == "created":
            return "the capture"
        if name == "rating":
            said.append(f"rating {new or '(none)'}")
        elif name == "tags":
            before, after = json.loads(old or "[]"), json.loads(new or "[]")
            said += [f"tag {t}" for t in after if t not in before]
            said += [f"removing tag {t}" for t in before if t not in after]
        elif name == "notes":
            said.append("the note")
        elif name == "consent":
            before, after = json.loads(old or "{}"), json.loads(new or "{}")
            said += [f"{p} consent {s}" for p, s in after.items() if before.get(p) != s]
        elif name == "visits":
            said.append(f"visit {new}")
        elif name.startswith("answer:"):
            said.append(f"the answer to {name[len('answer:') :]}")
        elif name != "review_reasons":
            said.append(name)
    return ", ".join(dict.fromkeys(said)) or "a change"


class QualifyActions:
    """The handlers named in QUALIFY_KEYS (a mix-in of Booth, which sets this state up)."""

    session: Any  # leadcap.cli.scan.Session: the counts and the lead shown
    store: Store
    display: Any  # leadcap.cli.screen.Display
    view: View
    mode: str
    line: LineEditor
    help: bool
    qualify_on: bool
    purpose: str | None
    journal_id: str | None
    started_after: int

    @property
    def lead(self) -> model.Lead | None:
        return self.session.last_lead

    @lead.setter
    def lead(self, lead: model.Lead | None) -> None:
        self.session.last_lead = lead

    def say(self, message: str, *, warn: bool = False) -> None:
        self.view.message, self.view.warning = message, warn
        if warn:
            self.display.bell()

    def set_banner(self, kind: str, detail: str = "") -> None:
        self.view.banner, self.view.detail = kind, detail

    def apply(self, action: str, value: str | None, done: str) -> None:
        """One change to the lead shown, committed before the screen says so."""
        if self.journal_id:
            core.journal_qualify(self.store, self.journal_id, action, value)
            self.say(f"{done} (in the journal).")
            return
        if self.lead is None:
            self.say("No lead shown: scan a badge first.", warn=True)
            return
        try:
            self.lead = core.qualify(self.store, self.lead, action, value)
        except UsageError as error:
            self.say(f"! {error}", warn=True)
            return
        except LeadcapError as error:
            self.say(f"! Not saved: {error}", warn=True)
            return
        self.view.lead = self.lead
        self.say(f"{done} (saved).")

    def rate(self, rating: str) -> None:
        self.apply("rate", rating, f"Rated {rating}")

    def toggle_tag(self, number: int) -> None:
        tags = self.store.setting("tags") or []
        if not 1 <= number <= len(tags):
            self.say(f"No interest tag number {number}: the event has {len(tags)}.", warn=True)
            return
        name = tags[number - 1]
        present = self.lead and name.casefold() in map(str.casefold, self.lead["tags"])
        if present:
            self.apply("untag", str(number), f"Removed tag {name}")
        else:
            self.apply("tag", str(number), f"Tagged {name}")

    def pick_tag(self) -> None:
        self.mode = "tags"
        self.line = LineEditor()
        self.say("Type a tag number and Enter to add or remove it; Esc goes back.")

    def key_tags(self, key: str) -> str | None:
        if key in ("\r", "\n"):
            text = self.line.text.strip()
            self.mode, self.line = "qualify", LineEditor()
            if text.isdigit():
                self.toggle_tag(int(text))
            else:
                self.say("No tag chosen.")
        elif key in (keys.ESCAPE, keys.CTRL_C):
            self.mode, self.line = "qualify", LineEditor()
            self.say("No tag chosen.")
        elif key.isdigit() or len(key) > 1:
            self.line.key(key)
        return None

    def start_note(self) -> None:
        self.mode = "note"
        self.line = LineEditor()
        self.say("Type the note. Enter saves it, Esc cancels.")

    def key_note(self, key: str) -> str | None:
        if key in ("\r", "\n"):
            self.save_note()
        elif key == keys.ESCAPE:
            self.mode, self.line = "qualify", LineEditor()
            self.say("Note cancelled.")
        elif key == keys.CTRL_C:
            if not self.line.text.strip():
                self.mode, self.line = "qualify", LineEditor()
                self.say("Note cancelled.")
            else:
                self.mode = "note_cancel"
                self.say("Save the half-typed note? y = save, n = throw it away", warn=True)
        else:
            self.line.key(key)
        return None

    def save_note(self) -> None:
        text = self.line.text.strip()
        self.mode, self.line = "qualify", LineEditor()
        if text:
            self.apply("note", text, "Note added")
        else:
            self.say("Empty note: nothing saved.")

    def key_note_cancel(self, key: str) -> str | None:
        if key.lower() == "y":
            self.save_note()
        elif key.lower() == "n" or key == keys.CTRL_C:
            self.mode, self.line = "qualify", LineEditor()
            self.say("Note thrown away.")
        else:
            self.say("Save the half-typed note? y = save, n = throw it away", warn=True)
        return None

    def ask_consent(self, purpose: str) -> None:
        """Informed consent: the text first, then a second key records it."""
        if self.lead is None and not self.journal_id:
            self.say("No lead shown: scan a badge first.", warn=True)
            return
        from leadcap.store.consent_texts import consent_text

        lang = visitor_language(self.lead)
        text, _version = consent_text(self.store, lang)
        key = next(
            k for k, v in QUALIFY_KEYS.items() if v.arg == purpose and v.handler.startswith("ask")
        )
        self.mode, self.purpose = "consent", purpose
        self.view.panel_title = f"{purpose} consent · show the visitor ({lang})"
        self.view.panel = (
            text or "(No consent text set: leadcap config set consent-text.en '...')"
        ) + f"\n\n{key} again = the visitor agrees · r = refuses · any other key = cancel"
        self.say(f"Show the visitor the text. {key} again records their {purpose} consent.")

    def key_consent(self, key: str) -> str | None:
        purpose, self.purpose = self.purpose or "followup", None
        self.mode = "qualify"
        self.view.panel = ""
        own = [k for k, v in QUALIFY_KEYS.items() if v.arg == purpose]
        if key.lower() in own:
            self.apply("consent", purpose, f"{purpose.capitalize()} consent recorded")
        elif key.lower() == "r":
            self.refuse(purpose)
        else:
            self.say(f"{purpose.capitalize()} consent not recorded.")
        return None

    def refuse(self, purpose: str) -> None:
        self.apply("refuse", purpose, f"{purpose.capitalize()} consent refused, recorded")

    def toggle_help(self) -> None:
        self.help = not self.help

    def undo(self) -> None:
        """Take back the last change this session made to the lead shown; with no lead
        shown, to the previous visitor of this session, naming them."""
        lead, prefix = self.lead, ""
        if lead is None:
            lead = self.session.previous_lead(None)
            if lead is None:
                self.say("Nothing to take back: no lead of this session is shown.", warn=True)
                return
            prefix = "previous visitor "
        who = f"{prefix}#{lead['id']} {model.label(lead)}"
        try:
            reverted, changes = history.undo(
                self.store, lead_uuid=lead["uuid"], after_change=self.started_after
            )
        except NotFound:
            self.say(f"Nothing more to take back on {who} in this session.", warn=True)
            return
        what = describe_changes(changes)
        mine = next((r for r in reverted if r["uuid"] == lead["uuid"]), reverted[0])
        if mine["deleted"]:
            self.lead = self.session.previous_lead(mine["id"])
            message = (
                f"Took back the capture of {who}: leadcap restore {mine['id']} brings it back."
            )
            if self.lead:
                shown = f"#{self.lead['id']} {model.label(self.lead)}"
                message += f" Now showing the previous visitor {shown}."
            self.set_banner("undone", f"capture of #{mine['id']} taken back")
            self.mode = "qualify" if self.lead else "ready"
        else:
            self.lead = mine
            message = f"Took back {what} on {who}."
        self.view.lead = self.lead
        self.say(message)
