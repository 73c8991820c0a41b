"""`leadcap scan`: the counter loop. A scan is saved first, shown second, qualified last,
and qualifying never holds up the next visitor."""

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadcap.cli.common import console, handle_errors, json_leads, open_db, show_time, visible
from leadcap.errors import LeadcapError, UsageError
from leadcap.intake import capture as core
from leadcap.store import model

if TYPE_CHECKING:
    from leadcap.intake.cards.watcher import CardFolderWatcher

LAYOUT_NAMES = {"de": "German", "jp": "Japanese"}
RATING_KEYS = {"h": "hot", "w": "warm", "c": "cold"}


class Session:
    """Counts and output for one scan session; the screen part of the loop."""

    def __init__(self, store, *, interactive: bool, as_json: bool):
        self.store = store
        self.interactive = interactive
        self.as_json = as_json
        self.out = console() if interactive else None
        self.scans = self.new = self.duplicates = self.review = self.journaled = 0
        self.last_lead: model.Lead | None = None
        self.last_journal_id: str | None = None
        self.layout_told = False
        self.cards: CardFolderWatcher | None = None  # with `scan --cards DIR`

    def say(self, text: str, style: str | None = None, end: str = "\n") -> None:
        text = visible(text)  # lead data may hold escape sequences
        if self.out:
            self.out.print(text, style=style, markup=False, end=end)
        else:
            typer.echo(text, err=True, nl=bool(end))  # stdout is for results only

    def counts_line(self) -> str:
        counts = _counts(self.store)
        return f"session {self.new} · today {counts['today']} · hot {counts['hot']}"

    def record(self, outcome: core.Capture) -> None:
        """Update the counts and show what the scan did."""
        self.scans += 1
        if self.as_json:
            print_json_line(outcome)
        if outcome.kind == "error":
            self.say(f"! {outcome.message}", "bold")
            return
        if outcome.kind == "journaled":
            self.journaled += 1
            self.last_journal_id = outcome.journal_id
            self.say(f"! SAVED TO JOURNAL: {outcome.message}. Run leadcap recover later.", "bold")
            return
        self.last_journal_id = None
        if outcome.lead:
            # After LEADCAP:UNDO hid a capture, codes go to the newest live lead instead.
            self.last_lead = None if outcome.lead["deleted"] else outcome.lead
            if self.cards and outcome.kind in ("new", "duplicate"):
                self.cards.badge_scanned(self.last_lead)
        if outcome.kind == "new":
            self.new += len(outcome.leads)
        elif outcome.kind == "duplicate":
            self.duplicates += 1
        self.review += sum(1 for lead in outcome.leads if lead["needs_review"])
        if self.as_json:
            pass
        elif outcome.kind == "command":
            self.say(f"✓ {outcome.message}")
        else:
            for lead in outcome.leads:
                self.show_lead(outcome, lead)
        if outcome.keyboard_layout and not self.layout_told:
            self.layout_told = True
            host = LAYOUT_NAMES.get(outcome.keyboard_layout, outcome.keyboard_layout)
            self.say(
                f"! The scanner types with a US keyboard layout but this laptop uses {host}."
                f" Set the scanner's keyboard country to {host} (see its manual's setup codes)."
                " Until then scans are repaired and flagged for review.",
                "bold",
            )

    def show_lead(self, outcome: core.Capture, lead: model.Lead) -> None:
        name = model.label(lead)
        reading = f" ({lead['name_reading']})" if lead["name_reading"] else ""
        parts = [p for p in (lead["company"], lead["email"], lead["source"]) if p]
        mark = "↺" if outcome.kind == "duplicate" else "✓"
        line = f"{mark} #{lead['id']} {name}{reading} · {' · '.join(parts)}"
        if not self.interactive:
            self.say(f"{outcome.kind}\t{lead['id']}\t{name}\t{lead['source']}")
            return
        self.say(f"{line}    [{self.counts_line()}]", "bold")
        if outcome.kind == "duplicate" and outcome.first_seen:
            first = outcome.first_seen
            when = show_time(self.store, first["captured_at"])
            known = [first["rating"] or "not rated", ", ".join(first["tags"]) or "no tags"]
            self.say(
                f"  Seen before: {when} by {first['captured_by']} on {first['device']};"
                f" visit {lead['visits']} · {' · '.join(known)}"
            )
            if first["notes"]:
                self.say("  Notes: " + first["notes"].replace("\n", " | "))
        for reason in lead["review_reasons"]:
            self.say(f"  ! needs review: {reason}")

    def poll_cards(self) -> None:
        """Read card images that arrived in the `--cards` folder and show what they gave."""
        if self.cards is None:
            return
        for result in self.cards.import_new(self.store):
            if result.error:
                self.say(f"! card {result.path.name}: {result.error}", "bold")
                continue
            lead, how = result.lead, "attached to" if not result.created else "new lead"
            self.say(f"▣ card {result.path.name}: {how} #{lead['id']} {model.label(lead)}", "bold")
            low = result.reading.fields.low_confidence()
            if low:
                self.say(f"  ! check against the card: {', '.join(low)}")

    def prompt(self) -> None:
        tags = self.store.setting("tags") or []
        numbered = " ".join(f"{i} {t}" for i, t in enumerate(tags[:9], start=1))
        from leadcap.store.questions import list_questions

        questions = "q questions" if list_questions(self.store) else ""
        pieces = ["h/w/c rate", numbered, "n note", questions, "y follow-up consent", "Enter next"]
        self.say("  " + " · ".join(p for p in pieces if p), "dim")

    def summary(self) -> str:
        return (
            f"Session ended: {self.scans} scans, {self.new} new leads, {self.duplicates} returning"
            f" visitors, {self.review} to review"
            + (f", {self.journaled} in the journal (run leadcap recover)" if self.journaled else "")
            + "."
        )


def print_json_line(outcome: core.Capture) -> None:
    """One JSON object per line (JSON Lines), written after the scan was committed."""
    data: dict = {"kind": outcome.kind, "message": outcome.message, "leads": outcome.leads}
    data["saved"] = outcome.saved
    typer.echo(json.dumps(json_leads(data), ensure_ascii=False))


def _counts(store) -> dict:
    from leadcap.store.leads import counts

    return counts(store)


def consent_hint(store) -> str | None:
    try:
        from leadcap.store.consent_texts import consent_text
    except ImportError:
        return None
    for lang in ("ja", "en", "de"):
        with contextlib.suppress(LeadcapError):
            text, _version = consent_text(store, lang)
            if text:
                return text
    return None


def run_capture(session: Session, payload, defaults, *, ask_forgotten) -> core.Capture:
    try:
        outcome = core.capture(
            session.store,
            payload,
            defaults=defaults,
            last_lead=session.last_lead,
            last_journal_id=session.last_journal_id,
        )
    except LeadcapError as error:
        # A mistyped command code must not end the session: the next visitor is waiting.
        outcome = core.Capture("error", message=str(error))
        session.record(outcome)
        return outcome
    if outcome.kind == "forgotten":
        session.say("! This person asked to be forgotten (GDPR/APPI erasure).", "bold")
        if ask_forgotten():
            outcome = core.capture(session.store, payload, defaults=defaults, allow_forgotten=True)
        else:
            session.say("  Not captured.")
            if session.as_json:
                print_json_line(outcome)
            return outcome
    session.record(outcome)
    session.store.checkpoint()  # the visitor has their answer; tidy the WAL now
    return outcome


def apply_key(session: Session, key: str, reader) -> str:  # noqa: C901 - one branch per key of the qualify step's key table
    """One qualify keystroke. Returns 'done' (next visitor), 'more' or a scan's text."""
    lead = session.last_lead
    store = session.store
    if key in ("\n", "\r", " "):
        return "done"
    action = value = None
    if key.lower() in RATING_KEYS:
        action, value = "rate", RATING_KEYS[key.lower()]
    elif key.isdigit():
        action, value = "tag", key
    elif key.lower() == "y":
        action, value = "consent", "followup"
        hint = consent_hint(store)
        if hint:
            session.say(f"  Consent text: {hint}")
    elif key.lower() == "q":
        from leadcap.cli.scan_questions import SCAN, ask_questions

        answered = ask_questions(session, reader)
        return answered[len(SCAN) :] if answered.startswith(SCAN) else "more"
    elif key.lower() == "n":
        note = read_note(session, reader)
        if note.startswith("\x00scan:"):
            return note[len("\x00scan:") :]
        if not note.strip():
            return "more"
        action, value = "note", note
    else:
        return "more"
    if session.last_journal_id:
        core.journal_qualify(store, session.last_journal_id, action, value)
        session.say(f"  → {action} {value} (journal)")
        return "more"
    if lead is None:
        return "more"
    try:
        session.last_lead = core.qualify(store, lead, action, value)
    except UsageError as error:
        session.say(f"  ! {error}")
        return "more"
    except LeadcapError as error:
        session.say(f"  ! not saved: {error}")
        return "more"
    shown = value if action != "tag" else ", ".join(session.last_lead["tags"])
    session.say(f"  → {action}: {shown}  (saved)")
    return "more"


def read_note(session: Session, reader) -> str:
    """A note typed by a person. A scan arriving meanwhile is never taken as the note."""
    session.say("  note (Enter to save, empty to cancel): ", end="")
    text = ""
    while True:
        event = reader.next_event()
        if event is None:
            continue
        if event.kind == "eof":
            return text
        if event.kind == "scan" and len(event.text.strip()) >= 4:
            if text.strip():
                _echo("\n")
                session.say(f"  ! note not saved, a badge arrived: {text}")
            return "\x00scan:" + event.text
        for ch in event.text:
            if ch in "\r\n":
                _echo("\n")
                return text
            if ch in ("\x7f", "\b"):
                text = text[:-1]
                _echo("\b \b")
            elif ch.isprintable():
                text += ch
                _echo(ch)


def _echo(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def interactive_loop(session: Session, defaults, *, qualify: bool, line_gap: float) -> None:
    import termios
    import tty

    from leadcap.intake.terminal import BurstReader

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    reader = BurstReader(fd, line_gap=line_gap)

    def ask_forgotten() -> bool:
        session.say("  Capture them anew? [y/N]")
        event = reader.next_event(timeout=30)
        return bool(event and event.kind == "keys" and event.text.strip().lower() == "y")

    try:
        session.say(f"Ready to scan ({session.store.event or 'no event set'}). Ctrl-C ends.")
        pending_scan: str | None = None
        while True:
            if pending_scan is not None:
                payload, pending_scan = pending_scan, None
            else:
                event = reader.next_event(timeout=1.0 if session.cards else None)
                if event is None:
                    session.poll_cards()
                    continue
                if event.kind == "eof":
                    break
                if event.kind == "keys":
                    continue  # stray key presses between visitors
                payload = event.text
            outcome = run_capture(session, payload, defaults, ask_forgotten=ask_forgotten)
            if not qualify or outcome.kind in ("forgotten", "command"):
                continue
            session.prompt()
            pending_scan = qualify_until_next(session, reader)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def qualify_until_next(session: Session, reader) -> str | None:
    """Read qualify keys until Enter; a scan ends qualifying and is returned for processing."""
    while True:
        event = reader.next_event(timeout=1.0 if session.cards else None)
        if event is None:
            session.poll_cards()
            continue
        if event.kind == "eof":
            return None
        if event.kind == "scan":
            return event.text
        for key in event.text:
            result = apply_key(session, key, reader)
            if result == "done":
                return None
            if result != "more":
                return result


def piped_loop(session: Session, lines, defaults) -> None:
    from leadcap.intake.terminal import payloads_from_lines

    for payload in payloads_from_lines(lines):
        run_capture(session, payload, defaults, ask_forgotten=lambda: False)


def decoded_lines(stream):
    """Lines of piped bytes as text: UTF-8, else cp932 (files from Japanese Windows)."""
    from leadcap.intake.parse import decode_payload

    for raw in stream:
        yield decode_payload(raw)


def image_scan(session: Session, images: list[Path], defaults) -> int:
    from leadcap.intake.photo import decode_images

    found = 0
    for result in decode_images(images):
        if result.error:
            session.say(f"! {result.path}: {result.error}")
            continue
        if not result.codes:
            session.say(f"! {result.path}: no code found. Retake the photo closer and sharper.")
            continue
        for code in result.codes:
            found += 1
            run_capture(session, code.payload, defaults, ask_forgotten=lambda: False)
    return found


@handle_errors
def scan(
    ctx: typer.Context,
    *,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", help="Read payloads from this file (one per line; vCards span)"),
    ] = None,
    image: Annotated[
        list[Path] | None,
        typer.Option("--image", help="Decode codes in these photos or folders (repeatable)"),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag every scan of this session")
    ] = None,
    rating: Annotated[str | None, typer.Option(help="Rate every new lead: hot, warm, cold")] = None,
    exhibitor: Annotated[str | None, typer.Option(help="Co-exhibitor for this session")] = None,
    no_qualify: Annotated[
        bool, typer.Option("--no-qualify", help="Skip the qualify step (pure speed)")
    ] = False,
    gap: Annotated[
        int, typer.Option(min=20, max=2000, help="Lines closer than this (ms) are one scan")
    ] = 200,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each scan's result as JSON")
    ] = False,
    cards: Annotated[
        Path | None,
        typer.Option(
            "--cards",
            metavar="DIR",
            help="Read business cards saved into DIR while scanning (by a card scanner)",
        ),
    ] = None,
) -> None:
    """Capture leads from a badge scanner, a pipe, a file or photos.

    Capture leads from a badge scanner (or a pipe, a file, or photos). Each scan is
    saved before anything else; then h/w/c rates, digits tag, n notes, y records follow-up
    consent, Enter skips. Payloads starting LEADCAP: are command codes."""
    from leadcap.store.backups import auto_backup

    store = open_db(ctx, create=True)
    defaults = core.SessionDefaults(
        tags=tag or [],
        rating=model.check_choice(rating, model.RATINGS, "rating"),
        exhibitor=exhibitor,
    )
    store.defer_checkpoints()
    interactive = from_file is None and not image and sys.stdin.isatty() and not as_json
    with contextlib.suppress(LeadcapError):
        auto_backup(store, "scan")
    session = Session(store, interactive=interactive, as_json=as_json)
    if cards is not None:
        from leadcap.intake.cards.watcher import CardFolderWatcher

        session.cards = CardFolderWatcher(cards)
    try:
        if image:
            if not image_scan(session, image, defaults):
                raise LeadcapError("no code found in the photos given. Nothing was saved")
        elif from_file is not None:
            try:
                handle = open(from_file, "rb")
            except OSError as error:
                raise LeadcapError(f"cannot read {from_file} ({error.strerror})") from None
            with handle:
                piped_loop(session, decoded_lines(handle), defaults)
        elif interactive:
            interactive_loop(session, defaults, qualify=not no_qualify, line_gap=gap / 1000)
        else:
            piped_loop(session, decoded_lines(sys.stdin.buffer), defaults)
    except KeyboardInterrupt:
        pass
    finally:
        if not as_json:
            typer.echo(session.summary(), err=not interactive)


@handle_errors
def recover(ctx: typer.Context) -> None:
    """Import scans saved to the fallback journal (exactly once).

    Import scans that went to the fallback journal while the database could not be
    written. Safe to run again: each journal entry is imported exactly once."""
    store = open_db(ctx, create=True)
    path = core.journal_path(store)
    if not path.exists():
        typer.echo(f"No journal at {path}: nothing to recover.")
        return
    report = core.recover(store)
    typer.echo(
        f"Recovered {report.imported} journal entries ({len(report.leads)} leads);"
        f" {report.already} were already imported."
    )
    for reason in report.not_applied:
        typer.echo(f"Not applied: {reason}.")
    if report.damaged:
        places = ", ".join(f"{length} at byte {offset}" for offset, length in report.damaged[:5])
        typer.echo(
            f"Skipped {report.damaged_bytes} damaged byte(s) in {path.name} ({places}):"
            " torn by a crash or a full disk; every intact entry was read."
        )
    if report.imported:
        typer.echo(f"The journal {path.name} is kept; its entries will not be imported twice.")


def register(app: typer.Typer) -> None:
    app.command()(scan)
    app.command()(recover)
