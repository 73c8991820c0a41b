"""From a scan to a lead: parse, look up the badge, recognise a returning visitor,
apply command codes, and commit before anything is shown.

If the database cannot be written (disk full, read-only, lock held too long), the scan goes
to an append-only journal next to the database instead, fsync'd, and `recover` imports
it later exactly once. A scan is never lost and never dropped."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from leadcap.errors import DatabaseError, LeadcapError, NotFound, UsageError
from leadcap.intake.attendees import NOT_IN_LIST_REASON as NOT_IN_ATTENDEE_LIST
from leadcap.intake.attendees import lookup as attendee_lookup
from leadcap.store import history, leads, model
from leadcap.store.database import Store

COMMAND_PREFIX = "LEADCAP:"
UNREADABLE = "scan could not be read: saved as raw text"
RECOVERED_SETTING = "journal_recovered"
NOTHING_SHOWN = "no lead shown in this session yet: {code} did nothing. Scan a badge first"
COMMAND_VERBS = ("TAG", "RATE", "CONSENT", "NOTE", "UNDO")


@dataclass
class SessionDefaults:
    """Applied to every scan of a session (`leadcap scan --tag AI --rating warm`)."""

    tags: list[str] = field(default_factory=list)
    rating: str | None = None
    exhibitor: str | None = None


@dataclass
class Capture:
    """What one scan did. `kind`: new, duplicate, command, forgotten, journaled, error."""

    kind: str
    leads: list[dict] = field(default_factory=list)
    message: str = ""
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    keyboard_layout: str | None = None
    first_seen: dict | None = None  # for a duplicate: the lead as it was before this visit
    journal_id: str | None = None

    @property
    def lead(self) -> dict | None:
        return self.leads[-1] if self.leads else None


def journal_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".journal")


# -- scans ------------------------------------------------------------------------


def capture(
    store: Store,
    payload: bytes | str,
    *,
    defaults: SessionDefaults | None = None,
    last_lead: dict | None = None,
    allow_forgotten: bool = False,
    received_at: str | None = None,
) -> Capture:
    """Process one scan. Every lead it creates or changes is committed when this returns.
    Database failures are not raised: the scan goes to the journal (kind "journaled")."""
    defaults = defaults or SessionDefaults()
    text = payload if isinstance(payload, str) else None
    if text is None:
        from leadcap.intake.parse import decode_payload

        text = decode_payload(payload)
    if text.strip().upper().startswith(COMMAND_PREFIX):
        if last_lead is None:
            # Codes act on the lead shown in this session, never on yesterday's or a
            # colleague's: before any lead of this session they do nothing, and say so.
            check_command_code(text.strip())
            return Capture("command", message=NOTHING_SHOWN.format(code=text.strip()))
        try:
            return run_command_code(store, text.strip(), last_lead)
        except (DatabaseError, sqlite3.Error) as error:
            return _journal(store, payload, received_at, error, kind="command")
    try:
        return _capture_contacts(store, payload, defaults, allow_forgotten, received_at)
    except (DatabaseError, sqlite3.Error, OSError) as error:
        return _journal(store, payload, received_at, error)


def _capture_contacts(store, payload, defaults, allow_forgotten, received_at) -> Capture:
    from leadcap.intake.parse import parse_payload
    from leadcap.store.tombstones import is_forgotten

    result = parse_payload(payload, badge_pattern=store.setting("badge_pattern"))
    outcome = Capture(
        kind="new",
        source=result.source,
        warnings=list(result.warnings),
        keyboard_layout=result.keyboard_layout,
    )
    contacts = [c for c in result.contacts if not c.is_empty()] or result.contacts[:1]
    for contact in contacts:
        fields = contact.fields()
        reasons = []
        if contact.source == "unknown" or not fields:
            reasons.append(UNREADABLE)
        if result.keyboard_layout:
            reasons.append(f"scanner keyboard layout mismatch ({result.keyboard_layout}) repaired")
        if fields.get("badge_id"):
            found = attendee_lookup(store, fields["badge_id"])
            if found is None and contact.source == "badge":
                reasons.append(NOT_IN_ATTENDEE_LIST)
            for key, value in (found or {}).items():
                fields.setdefault(key, value)
        if not allow_forgotten and is_forgotten(store, fields):
            outcome.kind = "forgotten"
            outcome.message = "this person asked to be forgotten"
            return outcome
        existing = find_same_person(store, fields)
        if existing:
            outcome.first_seen = existing
            outcome.leads.append(count_visit(store, existing, defaults))
            outcome.kind = "duplicate"
            continue
        extras = contact.extra_emails + contact.extra_phones
        if extras:
            fields["notes"] = "\n".join(filter(None, [fields.get("notes"), *extras]))
        outcome.leads.append(
            leads.add_lead(
                store,
                fields,
                tags=defaults.tags,
                rating=defaults.rating,
                exhibitor=defaults.exhibitor,
                source=contact.source if fields else "unknown",
                raw_payload=result.raw,
                review_reasons=reasons,
                command="scan",
                captured_at=received_at,
            )
        )
        if outcome.kind == "duplicate":
            outcome.kind = "new"
    return outcome


def find_same_person(store: Store, fields: dict) -> dict | None:
    """The live lead of the same person in this event: same badge id, else same e-mail."""
    event_sql = "event IS ?"
    for column, value in (
        ("badge_norm", model.fold(fields.get("badge_id"))),
        ("email_norm", model.normalise_email(fields.get("email"))),
    ):
        if not value:
            continue
        row = store.conn.execute(
            f"SELECT id FROM leads WHERE {column} = ? AND {event_sql} AND deleted_at IS NULL"
            " ORDER BY id LIMIT 1",
            [value, store.event],
        ).fetchone()
        if row:
            return leads.get_lead(store, row[0])
    return None


def count_visit(store: Store, lead: dict, defaults: SessionDefaults) -> dict:
    """Another visit of a known person: counted once per scan on this device, logged, and
    the session's defaults added (never overwriting a rating someone already gave)."""
    now = store.now().isoformat()
    batch = store.new_batch()
    with store.transaction():
        store.conn.execute(
            "INSERT INTO visits (lead_uuid, device, count, last_at) VALUES (?, ?, 1, ?)"
            " ON CONFLICT(lead_uuid, device) DO UPDATE SET count = count + 1,"
            " last_at = excluded.last_at",
            [lead["uuid"], store.device, now],
        )
        total = store.conn.execute(
            "SELECT SUM(count) FROM visits WHERE lead_uuid = ?", [lead["uuid"]]
        ).fetchone()[0]
        changes: dict = {"visits": total}
        new_tags = [t for t in defaults.tags if t.casefold() not in map(str.casefold, lead["tags"])]
        if new_tags:
            changes["tags"] = lead["tags"] + new_tags
        if defaults.rating and not lead["rating"]:
            changes["rating"] = defaults.rating
        return leads.update_lead(store, lead["id"], changes, command="scan", batch=batch)


# -- command codes ----------------------------------------------------------------


def run_command_code(store: Store, code: str, last_lead: dict | None) -> Capture:
    """`LEADCAP:TAG:<name>`, `RATE:<rating>`, `CONSENT:<purpose>`, `NOTE:<text>`, `UNDO`:
    printed codes that let staff qualify the most recent lead without typing."""
    body = code[len(COMMAND_PREFIX) :]
    verb, _, argument = body.partition(":")
    verb = verb.strip().upper()
    argument = argument.strip()
    if verb == "UNDO":
        # With a lead shown, only that lead's last change is taken back.
        scope = last_lead["uuid"] if last_lead else None
        reverted, changes = history.undo(store, lead_uuid=scope)
        undone = ", ".join(dict.fromkeys(name for name, _o, _n in changes))
        where = ", ".join(str(lead["id"]) for lead in reverted)
        return Capture("command", reverted, f"undid {undone} on lead {where}")
    if last_lead is None:
        last_lead = most_recent_lead(store)
    if last_lead is None:
        raise UsageError("no lead scanned yet for this command code: scan a badge first")
    lead_id = last_lead["id"]
    if verb == "TAG" and argument:
        lead = leads.add_tags(store, lead_id, [argument], command="scan code")
        message = f"tagged {argument}"
    elif verb == "RATE":
        rating = model.check_choice(argument, model.RATINGS, "rating")
        lead = leads.update_lead(store, lead_id, {"rating": rating}, command="scan code")
        message = f"rated {rating}"
    elif verb == "CONSENT":
        purpose = model.check_choice(argument or "followup", model.CONSENT_PURPOSES, "purpose")
        lead = leads.update_lead(
            store,
            lead_id,
            {"consent": {purpose: "granted"}},
            command="scan code",
            consent_method="scanned code",
        )
        message = f"{purpose} consent granted"
    elif verb == "NOTE" and argument:
        lead = leads.append_note(store, lead_id, argument, command="scan code")
        message = "note added"
    else:
        check_command_code(code)
        raise UsageError(f"incomplete command code {code!r}")  # TAG/NOTE without text
    return Capture("command", [lead], f"{message} on lead {lead['id']}")


def check_command_code(code: str) -> None:
    """Refuse a code that no lead could ever act on (a misprint), wherever it is scanned."""
    verb, _, argument = code[len(COMMAND_PREFIX) :].partition(":")
    verb = verb.strip().upper()
    if verb == "RATE":
        model.check_choice(argument.strip(), model.RATINGS, "rating")
    elif verb == "CONSENT" and argument.strip():
        model.check_choice(argument.strip(), model.CONSENT_PURPOSES, "purpose")
    if verb not in COMMAND_VERBS or (verb in ("TAG", "NOTE") and not argument.strip()):
        raise UsageError(
            f"unknown command code {code!r}. Use LEADCAP:TAG:<name>, LEADCAP:RATE:<hot|warm|cold>,"
            " LEADCAP:CONSENT:<purpose>, LEADCAP:NOTE:<text> or LEADCAP:UNDO"
        )


def most_recent_lead(store: Store) -> dict | None:
    row = store.conn.execute(
        "SELECT id FROM leads WHERE device = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT 1",
        [store.device],
    ).fetchone()
    return leads.get_lead(store, row[0]) if row else None


# -- qualifying ---------------------------------------------------------------------


def qualify(store: Store, lead: dict, action: str, value: str | None = None) -> dict:
    """One quick qualify step on a just-scanned lead: `rate`, `tag` / `untag` (a predefined
    tag's number or a name), `note`, `consent` / `refuse` (value: the purpose). Committed
    before it returns."""
    if action == "rate":
        return leads.update_lead(store, lead["id"], {"rating": value}, command="scan")
    if action == "tag":
        return leads.add_tags(store, lead["id"], [predefined_tag(store, value)], command="scan")
    if action == "note":
        return leads.append_note(store, lead["id"], value or "", command="scan")
    if action == "untag":
        return leads.add_tags(
            store, lead["id"], [predefined_tag(store, value)], remove=True, command="scan"
        )
    if action in ("consent", "refuse"):
        status = "granted" if action == "consent" else "refused"
        return leads.update_lead(
            store, lead["id"], {"consent": {value or "followup": status}}, command="scan"
        )
    raise UsageError(f"unknown qualify action {action!r}")


def predefined_tag(store: Store, key: str | None) -> str:
    tags = store.setting("tags") or []
    if key and key.isdigit():
        number = int(key)
        if not 1 <= number <= len(tags):
            raise UsageError(f"no interest tag number {number}: the event has {len(tags)}")
        return tags[number - 1]
    if not key:
        raise UsageError("no tag given")
    return key


# -- the fallback journal -----------------------------------------------------------


def _journal(store, payload, received_at, error, kind: str = "scan") -> Capture:
    entry_id = uuid.uuid4().hex
    entry = {
        "id": entry_id,
        "type": kind,
        "received_at": received_at or _now(store),
        "staff": store.staff,
        "device": store.device,
        "error": str(error),
    }
    if isinstance(payload, bytes | bytearray):
        entry["payload_b64"] = base64.b64encode(bytes(payload)).decode("ascii")
    else:
        entry["payload"] = payload
    append_journal(journal_path(store), entry)
    return Capture(
        "journaled",
        message=f"database not writable ({error}); scan kept in {journal_path(store).name}",
        journal_id=entry_id,
    )


def _now(store: Store) -> str:
    """The event's time if the settings can still be read, else the laptop's."""
    try:
        return store.now().isoformat()
    except (sqlite3.Error, LeadcapError):
        return datetime.now().astimezone().isoformat(timespec="seconds")


def journal_qualify(store: Store, journal_id: str, action: str, value: str | None) -> None:
    """Qualifying input for a scan that went to the journal goes there too."""
    entry = {"id": uuid.uuid4().hex, "type": "qualify", "scan": journal_id}
    entry.update(action=action, value=value, staff=store.staff, device=store.device)
    append_journal(journal_path(store), entry)


def append_journal(path: Path, entry: dict) -> None:
    """One JSON line, flushed and fsync'd before returning: the journal is the last resort."""
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise LeadcapError(
            f"cannot write the scan anywhere: the database and {path} both failed ({error})."
            " Free disk space or move to a writable folder; the scan was NOT saved"
        ) from None


def read_journal(path: Path) -> list[dict]:
    """Entries in order; a torn last line (power cut mid-write) is skipped."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


@dataclass
class RecoverReport:
    imported: int = 0
    already: int = 0
    leads: list[dict] = field(default_factory=list)


def recover(store: Store) -> RecoverReport:
    """Import the journal's scans and their qualifying input, exactly once: the ids of
    imported entries are stored in the same transaction as the leads they became."""
    report = RecoverReport()
    entries = read_journal(journal_path(store))
    done = set(store.setting(RECOVERED_SETTING) or [])
    scans: dict[str, dict | None] = {}
    for entry in entries:
        if entry["id"] in done:
            report.already += 1
            continue
        with store.transaction():
            if entry["type"] in ("scan", "command"):
                payload = entry.get("payload")
                if payload is None:
                    payload = base64.b64decode(entry.get("payload_b64", ""))
                outcome = _recover_scan(store, entry, payload)
                scans[entry["id"]] = outcome.lead
                report.leads.extend(outcome.leads)
            elif entry["type"] == "qualify" and scans.get(entry.get("scan")):
                action, value = entry.get("action"), entry.get("value")
                with contextlib.suppress(UsageError, NotFound):
                    scans[entry["scan"]] = qualify(store, scans[entry["scan"]], action, value)
            done.add(entry["id"])
            store.set_setting(RECOVERED_SETTING, sorted(done))
        report.imported += 1
    return report


def _recover_scan(store: Store, entry: dict, payload) -> Capture:
    if entry["type"] == "command":
        try:
            return run_command_code(store, str(payload).strip(), None)
        except (UsageError, NotFound):
            return Capture("error")
    return _capture_contacts(store, payload, SessionDefaults(), False, entry.get("received_at"))
