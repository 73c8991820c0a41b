"""The booth loop on a terminal: scans and keys in, one redrawn screen out.

Every scan is captured and committed before the screen changes. Keys act on the lead
shown and nothing else; a key that does nothing says so. To add a key, add one entry to
`QUALIFY_KEYS` in `leadcap.cli.qualify_keys` (key -> label and the method that handles it)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from leadcap.cli.common import show_time
from leadcap.cli.qualify_keys import (
    HELP,
    QUALIFY_KEYS,
    TAG_DIGITS,
    LineEditor,
)
from leadcap.cli.scan_questions import QuestionActions
from leadcap.cli.screen import Display, KeyHint, View
from leadcap.errors import LeadcapError
from leadcap.intake import capture as core
from leadcap.intake import terminal as keys
from leadcap.store import history, model
from leadcap.store.questions import CHOICE_TYPES

REPEAT_WINDOW = 2.0  # s: the same code read again this soon is the scanner repeating itself
STOP = "stop"


class Booth(QuestionActions):
    """The state of the booth screen and what each scan and key does to it."""

    def __init__(self, session, defaults, display: Display, *, qualify: bool = True):
        self.session = session
        self.store = session.store
        self.defaults = defaults
        self.display = display
        self.qualify_on = qualify
        self.mode = "ready"
        self.view = View()
        self.line = LineEditor()
        self.help = False
        self.pending: str | None = None  # the scan or typed text a question is about
        self.purpose: str | None = None
        self.journal_id: str | None = None
        self.last_scan: tuple[str, float] | None = None
        self.started_after = history.last_change_id(self.store)

    # -- input ------------------------------------------------------------------------
    def run(self, reader: keys.BurstReader) -> None:
        self.redraw()
        while True:
            event = reader.next_event(timeout=1.0)
            if event is None:
                if self.session.cards is not None and self.poll_cards():
                    self.redraw()
                continue
            if event.kind == "eof":
                return
            if event.kind == "scan":
                self.on_scan(event.text)
            elif event.kind == "paste":
                self.on_paste(event.text)
            else:
                for key in event.keys:
                    if self.on_key(key) == STOP:
                        return
            self.redraw()

    def on_key(self, key: str) -> str | None:
        self.last_scan = None  # a key in between: the next same code is meant again
        if self.help and key != "?":
            self.help = False
            if self.mode in ("qualify", "ready") and key in ("\r", "\n", keys.ESCAPE):
                return None
        return getattr(self, f"key_{self.mode}")(key)

    def on_paste(self, text: str) -> None:
        """A paste is typing, never a scan: it goes where the cursor is, or starts a note."""
        if self.mode in ("note", "ready", "tags"):
            self.line.insert(text)
        elif self.mode == "qualify" and (self.lead or self.journal_id):
            self.start_note()
            self.line.insert(text)
        else:
            self.say("Pasted text ignored here: press n for a note first.", warn=True)

    # -- scans ------------------------------------------------------------------------
    def on_scan(self, payload: str) -> None:
        now = time.monotonic()
        last = self.last_scan
        if last and last[0] == payload and now - last[1] < REPEAT_WINDOW:
            self.last_scan = (payload, now)
            self.say("The same code was read twice: counted once.")
            return
        self.last_scan = (payload, now)
        before = ""
        if self.mode == "note" and self.line.text.strip():
            before = f"Note not saved, a badge arrived: {self.line.text}. "
        elif self.mode == "forgotten":
            before = "Forgotten person not captured. "
        self.help = False
        self.view.panel = ""
        if payload.strip().upper() == core.COMMAND_PREFIX + "UNDO":
            self.mode = "qualify"
            self.say(before)
            self.undo()  # the same as the key u: the lead shown, this session only
            return
        try:
            outcome = core.capture(
                self.store,
                payload,
                defaults=self.defaults,
                last_lead=self.lead,
                last_journal_id=self.journal_id,
            )
        except LeadcapError as error:
            # A mistyped command code must not end the session: the next visitor is waiting.
            outcome = core.Capture("error", message=str(error))
        self.show_outcome(outcome, payload, before)

    def show_outcome(self, outcome: core.Capture, payload: str, before: str = "") -> None:
        """The screen for what a scan did; it is committed already (or journaled)."""
        session = self.session
        session.record(outcome)
        self.mode = "qualify" if self.qualify_on else "ready"
        self.line = LineEditor()
        if outcome.kind == "error" and not outcome.saved:
            self.lead = None
            self.set_banner("lost", "Write the badge down; free disk space or change --db")
            self.say(before + f"! {outcome.message}", warn=True)
            self.mode = "ready"
            return
        if outcome.kind == "error":
            self.say(before + f"! {outcome.message}", warn=True)
            self.mode = "qualify" if self.lead else "ready"
            return
        if outcome.kind == "forgotten":
            self.pending, self.mode = payload, "forgotten"
            self.set_banner("forgotten", "This person asked to be forgotten (GDPR/APPI).")
            self.view.lead = None
            self.say(before + "Capture them anew? y = yes, any other key or a scan = no", warn=True)
            return
        if outcome.kind == "journaled":
            self.journal_id = outcome.journal_id
            self.lead = None
            self.set_banner("journal", "The database cannot be written: run leadcap recover")
            self.view.lead = None
            self.say(before + f"! {outcome.message}", warn=True)
            return
        self.journal_id = None
        if outcome.kind == "command":
            self.show_command(outcome, before)
            return
        lead = outcome.lead
        if lead is None:  # a scan always gives a lead; nothing to show otherwise
            return
        self.show_lead_banner(outcome, lead)
        message = before
        if len(outcome.leads) > 1:
            message += f"{len(outcome.leads)} leads from this scan: "
            message += ", ".join(f"#{item['id']}" for item in outcome.leads) + ". "
        if outcome.keyboard_layout and not session.layout_told:
            session.layout_told = True
            message += (
                "! The scanner types with a US keyboard layout but this laptop uses"
                f" {outcome.keyboard_layout}: set the scanner's keyboard country to match."
            )
        self.view.lead = self.lead
        self.say(message.strip(), warn=bool(before))
        self.store.checkpoint()  # the visitor has their answer; tidy the WAL now
        self.store.reload_settings()  # consent texts and tags set meanwhile apply from now

    def show_command(self, outcome: core.Capture, before: str) -> None:
        """A command code: what it did to the lead shown, or that there was none."""
        if not outcome.leads:
            self.set_banner("nothing", "Scan a badge first")
            self.say(before + f"! {outcome.message.capitalize()}.", warn=True)
            self.mode = "ready"
            return
        self.view.lead = self.lead
        self.say(before + outcome.message.capitalize() + " (saved).")
        if self.lead is None:
            self.mode = "ready"

    def show_lead_banner(self, outcome: core.Capture, lead: model.Lead) -> None:
        """NEW LEAD, RETURNING VISITOR (when, by whom) or CHECK THIS SCAN (why)."""
        if outcome.kind == "duplicate":
            first = outcome.first_seen or lead
            detail = (
                f"first captured {show_time(self.store, first['captured_at'])} by"
                f" {first['captured_by']} on {first['device']} · visit {lead['visits']}"
            )
            self.set_banner("returning", detail)
            self.display.bell()
        elif any(item["needs_review"] for item in outcome.leads):
            reasons = [r for item in outcome.leads for r in item["review_reasons"]]
            self.set_banner("check", "; ".join(dict.fromkeys(reasons)))
            self.display.bell()
        else:
            self.set_banner("new", f"lead #{lead['id']} saved · source {lead['source']}")

    def poll_cards(self) -> bool:
        """Business cards saved into the `--cards` folder since: each attached to the badge
        scanned just before it, or a new lead. True if the screen changed."""
        results = self.session.cards.import_new(self.store)
        for result in results:
            if result.error:
                self.say(f"! card {result.path.name}: {result.error}", warn=True)
                continue
            lead = result.lead
            how = "new lead" if result.created else "attached to"
            message = f"card {result.path.name}: {how} #{lead['id']} {model.label(lead)}"
            low = result.reading.fields.low_confidence()
            if low:
                message += f". Check against the card: {', '.join(low)}"
            if result.created:
                self.session.new += 1
                self.session.lead_ids.append(lead["id"])
                self.set_banner("new", f"lead #{lead['id']} saved · from a business card")
            if result.created or (self.lead and self.lead["id"] == lead["id"]):
                self.lead = lead
                self.mode = "qualify" if self.qualify_on else "ready"
            self.say(message, warn=bool(low))
        return bool(results)

    # -- modes --------------------------------------------------------------------------
    def key_ready(self, key: str) -> str | None:
        """Between visitors: typing is a person entering a badge number or e-mail."""
        if key == keys.CTRL_C:
            if not self.line.text:
                return STOP
            self.line = LineEditor()
        elif key in ("\r", "\n"):
            text = self.line.text.strip()
            if not text:
                return None
            from leadcap.intake.typed import typed_kind

            kind = typed_kind(self.store, text)
            if kind is None:
                self.say(
                    f"{text!r} is not a badge number or e-mail: nothing saved. Scan a badge,"
                    " or type a badge number or e-mail and press Enter. ? shows the keys.",
                    warn=True,
                )
                self.line = LineEditor()
                return None
            what = "e-mail" if kind == "email" else "badge number"
            self.pending, self.mode = text, "confirm"
            self.say(f"Add a lead for the {what} {text} typed by hand? y = yes, n = no")
        elif key == "?" and not self.line.text:
            self.help = True
        elif key == keys.ESCAPE:
            self.line = LineEditor()
        elif not self.line.key(key):
            self.say("That key does nothing here. ? shows the keys.")
        return None

    def key_confirm(self, key: str) -> str | None:
        text, self.pending = self.pending or "", None
        self.line = LineEditor()
        if key.lower() != "y" and key not in ("\r", "\n"):
            self.mode = "ready"
            self.say(f"Not added: {text}.")
            return None
        from leadcap.intake.typed import capture_typed

        outcome = capture_typed(self.store, text, defaults=self.defaults)
        self.show_outcome(outcome, text)
        return None

    def key_qualify(self, key: str) -> str | None:
        if key == keys.CTRL_C:
            return STOP
        if key in ("\r", "\n", " "):
            self.next_visitor()
        elif key in TAG_DIGITS:
            self.toggle_tag(TAG_DIGITS.index(key) + 1)
        elif key.lower() in QUALIFY_KEYS:
            entry = QUALIFY_KEYS[key.lower()]
            method = getattr(self, entry.handler)
            method(entry.arg) if entry.arg is not None else method()
        elif key != keys.ESCAPE:
            shown = key if len(key) == 1 else key.strip("<>")
            self.say(
                f"The key {shown} does nothing here. ? shows the keys; Enter first to type"
                " a badge number or e-mail."
            )
        return None

    def next_visitor(self) -> None:
        self.mode = "ready"
        self.set_banner("ready")
        self.view.card_title = ""
        self.say("")

    def key_forgotten(self, key: str) -> str | None:
        payload, self.pending = self.pending, None
        self.mode = "ready"
        if key.lower() == "y" and payload is not None:
            outcome = core.capture(
                self.store, payload, defaults=self.defaults, allow_forgotten=True
            )
            self.show_outcome(outcome, payload)
        else:
            self.set_banner("ready")
            self.say("Not captured.")
        return None

    # -- drawing ------------------------------------------------------------------------
    def redraw(self) -> None:
        view = self.view
        view.lead = self.lead if view.banner != "forgotten" else None
        if view.lead:
            view.card_title = (
                f"Lead #{view.lead['id']} · {view.lead['source']} · visit {view.lead['visits']}"
            )
        view.keys = self.key_hints()
        if self.help:
            view.panel_title, view.panel = "Keys", HELP
        elif self.mode not in ("consent", "question"):
            view.panel = ""
        view.prompt, view.line, view.cursor = self.prompt()
        view.status = self.status()
        self.display.show(view)

    def prompt(self) -> tuple[str, str, int | None]:
        prompts = {
            "ready": "Scan a badge, or type a badge number / e-mail: ",
            "note": "Note: ",
            "tags": "Tag number: ",
            "question": "Answer: ",
        }
        typed = self.mode != "question" or self.asked[self.question_at].type not in CHOICE_TYPES
        if self.mode in prompts and typed:
            return prompts[self.mode], self.line.text, self.line.cursor
        if self.mode == "note_cancel":
            return "Note: ", self.line.text, None
        return "", "", None

    def key_hints(self) -> list[list[KeyHint]]:
        lead: Mapping[str, Any] = self.lead or {}  # no lead yet: no key is lit
        rating = lead.get("rating")
        on_tags = {t.casefold() for t in lead.get("tags", [])}
        tags = self.store.setting("tags") or []
        first = [
            KeyHint(k, e.label, e.arg == rating)
            for k, e in QUALIFY_KEYS.items()
            if e.handler == "rate"
        ]
        hidden = {"rate", "ask_consent", "refuse", "pick_tag"}
        if not self.has_questions():
            hidden.add("ask_questions")
        first += [KeyHint(k, e.label) for k, e in QUALIFY_KEYS.items() if e.handler not in hidden]
        first.append(KeyHint("Enter", "next"))
        consent = lead.get("consent", {})
        second = [
            KeyHint(k, e.label, consent.get(e.arg) == "granted")
            for k, e in QUALIFY_KEYS.items()
            if e.handler == "ask_consent"
        ]
        second.append(KeyHint("r", "refused", consent.get("followup") == "refused"))
        tag_row = [
            KeyHint(TAG_DIGITS[i], name, name.casefold() in on_tags)
            for i, name in enumerate(tags[: len(TAG_DIGITS)])
        ]
        if len(tags) > len(TAG_DIGITS):
            more = [t for t in tags[len(TAG_DIGITS) :] if t.casefold() in on_tags]
            tag_row.append(
                KeyHint(
                    "t",
                    f"more tags ({len(tags) - 10})" + (": " + ", ".join(more) if more else ""),
                    bool(more),
                )
            )
        rows = [first, tag_row, second] if tag_row else [first, second]
        if self.mode == "tags":
            rows.append(
                [
                    KeyHint(str(i), name, name.casefold() in on_tags)
                    for i, name in enumerate(tags, start=1)
                ]
            )
        return rows

    def status(self) -> str:
        """Counts, staff, database and event; a long path keeps its end (the file name)."""
        from leadcap.store.leads import today_and_hot

        today, hot = today_and_hot(self.store)
        head = (
            f" session {self.session.new} · today {today} · hot {hot}"
            f" · staff {self.store.staff} · db "
        )
        tail = f" · {self.store.event or 'no event set'}"
        path = str(self.store.path)
        room = max(16, self.display.console.size.width - len(head) - len(tail) - 1)
        if len(path) > room:
            path = "…" + path[-(room - 1) :]
        return head + path + tail
