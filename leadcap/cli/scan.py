"""`leadcap scan`: the counter loop. A scan is saved first, shown second, qualified last,
and qualifying never holds up the next visitor."""

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadcap.cli.common import handle_errors, json_leads, open_db, visible
from leadcap.errors import LeadcapError
from leadcap.store import model

if TYPE_CHECKING:  # capture (and the parsers) load when a scan starts, not for --help
    from leadcap.intake import capture as core

if TYPE_CHECKING:
    from leadcap.intake.cards.watcher import CardFolderWatcher

LAYOUT_NAMES = {"de": "German", "jp": "Japanese"}


class Session:
    """Counts, the lead shown, and line output for piped input; the booth screen
    (`leadcap.cli.booth`) draws the terminal instead."""

    def __init__(self, store, *, interactive: bool, as_json: bool):
        self.store = store
        self.interactive = interactive
        self.as_json = as_json
        self.scans = self.new = self.duplicates = self.review = self.journaled = 0
        self.last_lead: model.Lead | None = None
        self.lead_ids: list[int] = []  # leads shown in this session, oldest first
        self.last_journal_id: str | None = None
        self.layout_told = False
        self.cards: CardFolderWatcher | None = None  # with `scan --cards DIR`

    def say(self, text: str) -> None:
        typer.echo(visible(text), err=True)  # stdout is for results only; data may hold escapes

    def previous_lead(self, before_id: int | None) -> model.Lead | None:
        """The most recent live lead of this session other than `before_id`."""
        from leadcap.store.leads import get_lead

        for lead_id in reversed(self.lead_ids):
            if lead_id == before_id:
                continue
            lead = get_lead(self.store, lead_id)
            if not lead["deleted"]:
                return lead
        return None

    def record(self, outcome: "core.Capture") -> None:
        """Update the counts and the lead shown; print a line when not on the screen."""
        self.scans += 1
        if self.as_json:
            print_json_line(outcome)
        if outcome.kind == "error":
            if not self.interactive:
                self.say(f"! {outcome.message}")
            return
        if outcome.kind == "journaled":
            self.journaled += 1
            self.last_journal_id = outcome.journal_id
            if not self.interactive:
                self.say(f"! SAVED TO JOURNAL: {outcome.message}. Run leadcap recover later.")
            return
        self.last_journal_id = None
        if outcome.lead:
            self.show(outcome)
            if self.cards and outcome.kind in ("new", "duplicate"):
                self.cards.badge_scanned(self.last_lead)  # a card arriving next belongs to it
        if outcome.kind == "new":
            self.new += len(outcome.leads)
        elif outcome.kind == "duplicate":
            self.duplicates += 1
        self.review += sum(1 for lead in outcome.leads if lead["needs_review"])
        if not (self.interactive or self.as_json):
            self.print_lines(outcome)

    def show(self, outcome: "core.Capture") -> None:
        """The lead that codes and keys act on from now."""
        lead = outcome.lead
        if lead is None:
            return
        if lead["deleted"]:
            # An undone capture: codes go on to this session's previous visitor.
            self.last_lead = self.previous_lead(lead["id"])
            return
        self.last_lead = lead
        for item in outcome.leads:
            if item["id"] not in self.lead_ids:
                self.lead_ids.append(item["id"])

    def print_lines(self, outcome: "core.Capture") -> None:
        """Piped input: one line per lead on stderr, as before the screen existed."""
        if outcome.kind == "command":
            self.say(f"✓ {outcome.message}" if outcome.leads else f"! {outcome.message}")
        else:
            for lead in outcome.leads:
                name = model.label(lead)
                self.say(f"{outcome.kind}\t{lead['id']}\t{name}\t{lead['source']}")
        if outcome.keyboard_layout and not self.layout_told:
            self.layout_told = True
            host = LAYOUT_NAMES.get(outcome.keyboard_layout, outcome.keyboard_layout)
            self.say(
                f"! The scanner types with a US keyboard layout but this laptop uses {host}."
                f" Set the scanner's keyboard country to {host} (see its manual's setup codes)."
                " Until then scans are repaired and flagged for review."
            )

    def summary(self) -> str:
        return (
            f"Session ended: {self.scans} scans, {self.new} new leads, {self.duplicates} returning"
            f" visitors, {self.review} to review"
            + (f", {self.journaled} in the journal (run leadcap recover)" if self.journaled else "")
            + "."
        )


def print_json_line(outcome: "core.Capture") -> None:
    """One JSON object per line (JSON Lines), written after the scan was committed."""
    data: dict = {"kind": outcome.kind, "message": outcome.message, "leads": outcome.leads}
    data["saved"] = outcome.saved
    typer.echo(json.dumps(json_leads(data), ensure_ascii=False))


def run_capture(session: Session, payload, defaults) -> "core.Capture":
    """One piped or photographed scan (the booth screen has its own, with questions)."""
    from leadcap.intake import capture as core

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
        session.say("! This person asked to be forgotten (GDPR/APPI erasure). Not captured.")
        if session.as_json:
            print_json_line(outcome)
        return outcome
    session.record(outcome)
    session.store.checkpoint()  # the visitor has their answer; tidy the WAL now
    return outcome


def interactive_loop(session: Session, defaults, *, qualify: bool, line_gap: float, quiet: bool):
    """The booth screen on this terminal until Ctrl-C (or Ctrl-D)."""
    from leadcap.cli.booth import Booth
    from leadcap.cli.screen import Display
    from leadcap.intake.terminal import BurstReader, console_keys

    with console_keys() as source, Display(quiet=quiet) as display:
        booth = Booth(session, defaults, display, qualify=qualify)
        booth.run(BurstReader(source, line_gap=line_gap))


def piped_loop(session: Session, lines, defaults) -> None:
    from leadcap.intake.terminal import payloads_from_lines

    for payload in payloads_from_lines(lines):
        run_capture(session, payload, defaults)


def decoded_lines(stream):
    """Lines of piped bytes as text: UTF-8, else cp932 (files from Japanese Windows)."""
    from leadcap.intake.parse import decode_payload

    for raw in stream:
        yield decode_payload(raw)


def image_scan(session: Session, images: list[Path], defaults, *, commands: bool) -> int:
    """Capture every code in the photos and list each with what was done with it.
    Command codes are only applied with `--commands`, and consent never from a photo:
    a photo of the printed sheet is not a visitor agreeing to anything."""
    from leadcap.intake import capture as core
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
            text = code.payload if isinstance(code.payload, str) else None
            if text is None or not text.strip().upper().startswith(core.COMMAND_PREFIX):
                outcome = run_capture(session, code.payload, defaults)
                session.say(f"{result.path}: {_short(code.payload)} -> {_done(outcome)}")
                continue
            verb = text.strip()[len(core.COMMAND_PREFIX) :].split(":", 1)[0].upper()
            if not commands:
                done = "command code, not applied (add --commands to apply codes from photos)"
            elif verb == "CONSENT":
                done = "not applied: consent is never recorded from a photo"
            else:
                done = _done(run_capture(session, text, defaults))
            session.say(f"{result.path}: {_short(text)} -> {done}")
    return found


def _short(payload) -> str:
    text = payload if isinstance(payload, str) else repr(payload)
    text = text.replace("\n", " | ")
    return text if len(text) <= 60 else text[:59] + "…"


def _done(outcome: "core.Capture") -> str:
    if outcome.kind in ("new", "duplicate"):
        ids = ", ".join(f"#{lead['id']}" for lead in outcome.leads)
        return ("saved as lead " if outcome.kind == "new" else "returning visitor ") + ids
    if outcome.kind == "command" and outcome.leads:
        return f"applied: {outcome.message}"
    return f"{outcome.kind}: {outcome.message}" if outcome.message else outcome.kind


def ask_staff(ctx: typer.Context, store) -> None:
    """First use on a terminal with no staff name: ask, rather than put the operating
    system's login (often `root` or `admin`) on every lead; saved for this laptop."""
    from leadcap.cli.common import state
    from leadcap.store.settings import load_device_config, save_device_config

    app_dir = state(ctx).app_dir
    name = ""
    while not name:
        name = typer.prompt("Who is at the counter? Your name (saved on this laptop)").strip()
    config = load_device_config(app_dir)
    config["staff"] = name
    save_device_config(app_dir, config)
    store.staff = name


def _staff_configured(ctx: typer.Context) -> bool:
    """A name set with `config set staff`, `init --staff` or LEADCAP_STAFF."""
    from leadcap.cli.common import state
    from leadcap.store.settings import config_path

    if os.environ.get("LEADCAP_STAFF"):
        return True
    try:
        saved = json.loads(config_path(state(ctx).app_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(saved.get("staff"))


def backup_before_session(store) -> None:
    """An automatic backup before a scan session. Capturing matters more than the backup,
    so a failed one does not stop the session, but staff are told."""
    from leadcap.store.backups import auto_backup

    try:
        auto_backup(store, "scan")
    except LeadcapError as error:
        typer.echo(
            f"Warning: no backup before this session ({error}). Scans are still saved.", err=True
        )


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
    staff: Annotated[
        str | None,
        typer.Option(
            help="Who is at the counter this session (else LEADCAP_STAFF, else config staff)"
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No terminal bell on checks and returning visitors")
    ] = False,
    commands: Annotated[
        bool,
        typer.Option("--commands", help="With --image: apply LEADCAP: codes found in photos"),
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

    Each scan is
    saved before anything else; then h/w/c rates, digits tag, n notes, y records follow-up
    consent, u undoes, ? shows every key, Enter skips. Payloads starting LEADCAP: are
    command codes acting on the lead shown."""
    from leadcap.intake import capture as core

    store = open_db(ctx, create=True)
    if staff is not None:
        if not staff.strip():
            raise typer.BadParameter("give a name", param_hint="--staff")
        store.staff = staff.strip()
    defaults = core.SessionDefaults(
        tags=tag or [],
        rating=model.check_choice(rating, model.RATINGS, "rating"),
        exhibitor=exhibitor,
    )
    store.defer_checkpoints()
    interactive = from_file is None and not image and sys.stdin.isatty() and not as_json
    if interactive and staff is None and not _staff_configured(ctx):
        ask_staff(ctx, store)
    backup_before_session(store)
    session = Session(store, interactive=interactive, as_json=as_json)
    if cards is not None:
        from leadcap.intake.cards.watcher import CardFolderWatcher

        session.cards = CardFolderWatcher(cards)
    try:
        if image:
            if not image_scan(session, image, defaults, commands=commands):
                raise LeadcapError("no code found in the photos given. Nothing was saved")
        elif from_file is not None:
            try:
                handle = open(from_file, "rb")
            except OSError as error:
                raise LeadcapError(f"cannot read {from_file} ({error.strerror})") from None
            with handle:
                piped_loop(session, decoded_lines(handle), defaults)
        elif interactive:
            interactive_loop(
                session, defaults, qualify=not no_qualify, line_gap=gap / 1000, quiet=quiet
            )
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
    from leadcap.intake import capture as core

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
