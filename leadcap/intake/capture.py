"""From a scan to a lead: parse, look up the badge, recognise a returning visitor,
apply command codes, and commit before anything is shown.

If the database cannot be written (disk full, read-only, lock held too long), the scan goes
to an append-only journal next to the database instead, fsync'd, and `recover` imports
it later exactly once. A scan is never lost and never dropped."""

from __future__ import annotations

import base64
import contextlib
import re
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from leadcap.errors import DatabaseError, LeadcapError, NotFound, UsageError
from leadcap.intake import journal
from leadcap.intake.attendees import NOT_IN_LIST_REASON as NOT_IN_ATTENDEE_LIST
from leadcap.intake.attendees import lookup as attendee_lookup
from leadcap.store import history, leads, model
from leadcap.store.database import Store

COMMAND_PREFIX = "LEADCAP:"
UNREADABLE = "scan could not be read: saved as raw text"
NOTHING_SHOWN = "no lead shown in this session yet: {code} did nothing. Scan a badge first"
COMMAND_VERBS = ("TAG", "RATE", "CONSENT", "NOTE", "PROMISE", "UNDO")


@dataclass
class SessionDefaults:
    """Applied to every scan of a session (`leadcap scan --tag AI --rating warm`)."""

    tags: list[str] = field(default_factory=list)
    rating: str | None = None
    exhibitor: str | None = None


@dataclass
class Capture:
    """What one scan did. `kind`: new, duplicate, command, forgotten, journaled, error.
    `saved` is False when the scan is nowhere (database and journal both failed)."""

    kind: str
    leads: list[model.Lead] = field(default_factory=list)
    message: str = ""
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    keyboard_layout: str | None = None
    first_seen: model.Lead | None = None  # for a duplicate: the lead as it was before this visit
    journal_id: str | None = None
    saved: bool = True

    @property
    def lead(self) -> model.Lead | None:
        return self.leads[-1] if self.leads else None


def journal_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".journal")


# -- scans ------------------------------------------------------------------------


def capture(
    store: Store,
    payload: bytes | str,
    *,
    defaults: SessionDefaults | None = None,
    last_lead: model.Lead | None = None,
    allow_forgotten: bool = False,
    received_at: str | None = None,
    last_journal_id: str | None = None,
) -> Capture:
    """Process one scan. Every lead it creates or changes is committed when this returns.
    Database failures are not raised: the scan goes to the journal (kind "journaled"); if
    that fails too, kind "error" with `saved` False. A command code right after a
    journaled scan (`last_journal_id`) is journaled with that scan, which has no lead yet."""
    defaults = defaults or SessionDefaults()
    text = payload if isinstance(payload, str) else None
    if text is None:
        from leadcap.intake.parse import decode_payload

        text = decode_payload(payload)
    if text.strip().upper().startswith(COMMAND_PREFIX):
        code = text.strip()
        verb = code[len(COMMAND_PREFIX) :].partition(":")[0].strip().upper()
        if last_journal_id and verb != "UNDO":
            return _journal_command(store, code, None, last_journal_id, received_at, "")
        if last_lead is None:
            # Codes act on the lead shown in this session, never on yesterday's or a
            # colleague's: before any lead of this session they do nothing, and say so.
            check_command_code(code)
            return Capture("command", message=NOTHING_SHOWN.format(code=code))
        try:
            return run_command_code(store, code, last_lead)
        except (DatabaseError, sqlite3.Error) as error:
            return _journal_command(store, code, last_lead, None, received_at, error)
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
    # Part of a vCard cut off in piped input (intake.terminal.Payload): kept as its own
    # flagged lead, never folded into someone else's as a visit.
    cut_reason = getattr(payload, "cut_reason", None)
    for contact in contacts:
        fields = contact.fields()
        reasons = [cut_reason] if cut_reason else []
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
        if not allow_forgotten and is_forgotten(store, fields or _raw_identity(result.raw)):
            outcome.kind = "forgotten"
            outcome.message = "this person asked to be forgotten"
            return outcome
        existing = None if cut_reason else leads.find_same_person(store, fields)
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
                default_rating=defaults.rating,
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


_EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\];:,\"']+@[^\s@<>()\[\];:,\"']+\.[^\s@<>()\[\];:,\"']+")


def _raw_identity(raw: str) -> dict:
    """What an unreadable payload may still say about who it is: the whole text as a
    badge id, any e-mail address in it. Enough to recognise a forgotten person."""
    text = (raw or "").strip()
    found = _EMAIL_IN_TEXT.search(text)
    return {"badge_id": text if len(text) <= 64 else None, "email": found and found.group()}


def _one_more_visit(store: Store, lead: model.Lead, now: str) -> int:
    """Count a visit on this device (inside the caller's transaction); the lead's visits
    on every device and every copy merged into it."""
    store.conn.execute(
        "INSERT INTO visits (lead_uuid, device, count, last_at) VALUES (?, ?, 1, ?)"
        " ON CONFLICT(lead_uuid, device) DO UPDATE SET count = count + 1,"
        " last_at = excluded.last_at",
        [lead["uuid"], store.device, now],
    )
    return history.visit_total(store, lead["uuid"]) or 1


def count_visit(store: Store, lead: model.Lead, defaults: SessionDefaults) -> model.Lead:
    """Another visit of a known person: counted once per scan on this device, logged, and
    the session's defaults added (never overwriting a rating someone already gave)."""
    now = store.now().isoformat()
    batch = store.new_batch()
    with store.transaction():
        changes: dict = {"visits": _one_more_visit(store, lead, now)}
        new_tags = [t for t in defaults.tags if t.casefold() not in map(str.casefold, lead["tags"])]
        if new_tags:
            changes["tags"] = lead["tags"] + new_tags
        if defaults.rating and not lead["rating"]:
            changes[leads.DEFAULT_RATING] = defaults.rating
        return leads.update_lead(store, lead["id"], changes, command="scan", batch=batch)


def revisit(
    store: Store,
    lead: model.Lead,
    fields: dict,
    *,
    tags: list[str] | None = None,
    rating: str | None = None,
    consent: dict[str, str] | None = None,
    note: str | None = None,
    command: str = "add",
) -> tuple[model.Lead, list[str]]:
    """`add` for someone already captured: the same rule as a scan. The visit is counted,
    fields that are empty on the lead are filled (nothing is overwritten), tags added, a
    rating given only if there is none, consent recorded, the note appended; all as one
    command for `undo`. Returns the lead and the names of the fields filled in."""
    rating = model.check_choice(rating, model.RATINGS, "rating")
    now = store.now().isoformat()
    batch = store.new_batch()
    with store.transaction():
        changes: dict = {"visits": _one_more_visit(store, lead, now)}
        filled = [k for k, v in fields.items() if model.clean(v) and not lead.get(k)]
        changes.update({k: fields[k] for k in filled})
        present = {t.casefold() for t in lead["tags"]}
        new_tags = [t for t in dict.fromkeys(tags or []) if t.casefold() not in present]
        if new_tags:
            changes["tags"] = lead["tags"] + new_tags
        if rating and not lead["rating"]:
            changes["rating"] = rating
            filled.append("rating")
        if consent:
            changes["consent"] = consent
        lead = leads.update_lead(store, lead["id"], changes, command=command, batch=batch)
        if note and note.strip():
            lead = leads.append_note(store, lead["id"], note, command=command, batch=batch)
    return lead, filled


# -- command codes ----------------------------------------------------------------


def run_command_code(store: Store, code: str, last_lead: model.Lead | None) -> Capture:
    """`LEADCAP:TAG:<name>`, `RATE:<rating>`, `CONSENT:<purpose>`, `NOTE:<text>`,
    `PROMISE:<item>` (materials promised, for the draft e-mail), `ANSWER:<question>:<choice>`
    (a qualifying question; a multi-choice answer gains the choice), `UNDO`:
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
    elif verb == "PROMISE" and argument:
        lead = leads.add_material(store, lead_id, argument, command="scan code")
        message = f"promised {argument}"
    elif verb == "ANSWER" and ":" in argument:
        lead, message = _answer_code(store, lead_id, argument)
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
    if verb not in COMMAND_VERBS or (verb in ("TAG", "NOTE", "PROMISE") and not argument.strip()):
        raise UsageError(
            f"unknown command code {code!r}. Use LEADCAP:TAG:<name>, LEADCAP:RATE:<hot|warm|cold>,"
            " LEADCAP:CONSENT:<purpose>, LEADCAP:NOTE:<text>, LEADCAP:PROMISE:<item>,"
            " LEADCAP:ANSWER:<question>:<choice> or LEADCAP:UNDO"
        )


def _answer_code(store: Store, lead_id: int, argument: str) -> tuple[model.Lead, str]:
    from leadcap.store import answers, questions

    name, _, choice = argument.partition(":")
    lead = answers.answer(store, lead_id, name, [choice], command="scan code")
    question = questions.get_question(store, name)
    given = questions.show_answer(lead["answers"].get(question.name))
    return lead, f"{question.name}: {given}"


def most_recent_lead(store: Store) -> model.Lead | None:
    row = store.conn.execute(
        "SELECT id FROM leads WHERE device = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT 1",
        [store.device],
    ).fetchone()
    return leads.get_lead(store, row[0]) if row else None


# -- qualifying ---------------------------------------------------------------------


def qualify(store: Store, lead: model.Lead, action: str, value: str | None = None) -> model.Lead:
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


def _journal(store, payload, received_at, error, kind: str = "scan", **bound) -> Capture:
    entry_id = uuid.uuid4().hex
    entry = {
        "id": entry_id,
        "type": kind,
        "received_at": received_at or _now(store),
        "staff": store.staff,
        "device": store.device,
        "error": str(error),
        **{key: value for key, value in bound.items() if value},
    }
    if isinstance(payload, bytes | bytearray):
        entry["payload_b64"] = base64.b64encode(bytes(payload)).decode("ascii")
    else:
        entry["payload"] = payload
    try:
        append_journal(journal_path(store), entry)
    except journal.JournalError as failure:
        return Capture("error", message=str(failure), saved=False)
    name = journal_path(store).name
    message = f"database not writable ({error}); scan kept in {name}"
    if kind == "command" and bound.get("scan"):
        message = f"code kept in {name} with the scan it belongs to, which is waiting there"
    return Capture("journaled", message=message, journal_id=bound.get("scan") or entry_id)


def _journal_command(store, code: str, last_lead, last_journal_id, received_at, error) -> Capture:
    """A code that cannot be applied now is journaled bound to the lead it was meant for:
    the journaled scan just before it, else the lead it would have acted on."""
    if last_journal_id:
        return _journal(store, code, received_at, error, "command", scan=last_journal_id)
    target = last_lead
    if target is None:
        with contextlib.suppress(sqlite3.Error, LeadcapError):
            target = most_recent_lead(store)
    lead_uuid = target["uuid"] if target else None
    return _journal(store, code, received_at, error, "command", lead_uuid=lead_uuid)


def _now(store: Store) -> str:
    """The event's time if the settings can still be read, else the laptop's."""
    try:
        return store.now().isoformat()
    except (sqlite3.Error, LeadcapError):
        return datetime.now().astimezone().isoformat(timespec="seconds")


def journal_qualify(store: Store, journal_id: str, action: str, value: str | None) -> None:
    """Qualifying input for a scan that went to the journal goes there too."""
    entry: dict[str, str | None] = {"id": uuid.uuid4().hex, "type": "qualify", "scan": journal_id}
    entry.update(action=action, value=value, staff=store.staff, device=store.device)
    append_journal(journal_path(store), entry)


def append_journal(path: Path, entry: dict) -> None:
    """One checksummed entry, complete and fsync'd before returning, or JournalError
    (the scan was NOT saved): the journal is the last resort."""
    journal.append(path, entry)


def read_journal(path: Path) -> list[dict]:
    """Intact entries in order; torn or damaged bytes are skipped (see `journal.read`)."""
    return journal.read(path).entries


@dataclass
class RecoverReport:
    imported: int = 0
    already: int = 0
    leads: list[model.Lead] = field(default_factory=list)
    damaged: list[tuple[int, int]] = field(default_factory=list)  # (offset, bytes) skipped
    not_applied: list[str] = field(default_factory=list)  # why an entry changed nothing

    @property
    def damaged_bytes(self) -> int:
        return sum(length for _offset, length in self.damaged)


RECOVER_BATCH = 200


def recover(store: Store) -> RecoverReport:
    """Import the journal's scans, codes and qualifying input, exactly once: each entry's
    id is checked and recorded (table journal_done) inside the transaction that imports
    it, so two `recover` at once import nothing twice. Linear in the journal's size."""
    contents = journal.read(journal_path(store))
    report = RecoverReport(damaged=contents.damaged)
    entries = contents.entries
    scans: dict[str, str | None] = {}  # journaled scan id -> the lead uuid it became
    for start in range(0, len(entries), RECOVER_BATCH):
        chunk = entries[start : start + RECOVER_BATCH]
        with store.transaction():
            marks = ", ".join("?" for _ in chunk)
            done = {
                row[0]
                for row in store.conn.execute(
                    f"SELECT id FROM journal_done WHERE id IN ({marks})", [e["id"] for e in chunk]
                )
            }
            for entry in chunk:
                if entry["id"] in done:
                    report.already += 1
                    continue
                lead_uuid = _recover_entry(store, entry, scans, report)
                store.conn.execute(
                    "INSERT INTO journal_done (id, done_at, lead_uuid) VALUES (?, ?, ?)",
                    [entry["id"], _now(store), lead_uuid],
                )
                report.imported += 1
    return report


def _recover_entry(store: Store, entry: dict, scans: dict, report: RecoverReport) -> str | None:
    kind = entry.get("type")
    if kind == "scan":
        payload = _payload(entry)
        outcome = _capture_contacts(
            store, payload, SessionDefaults(), False, entry.get("received_at")
        )
        report.leads.extend(outcome.leads)
        if outcome.kind == "forgotten":
            report.not_applied.append("a scan of a person who asked to be forgotten")
        scans[entry["id"]] = outcome.lead["uuid"] if outcome.lead else None
        return scans[entry["id"]]
    target = _bound_lead(store, entry, scans)
    if kind == "qualify":
        if target is None:
            report.not_applied.append(f"{entry.get('action')} for a scan that became no lead")
            return None
        with contextlib.suppress(UsageError, NotFound):
            qualify(store, target, entry.get("action") or "", entry.get("value"))
        return target["uuid"]
    if kind == "command":
        code = str(_payload(entry)).strip()
        verb = code[len(COMMAND_PREFIX) :].partition(":")[0].strip().upper()
        if verb == "UNDO" or target is None:
            # Applied to whatever is newest now, it would hit the wrong person.
            report.not_applied.append(f"{code} (no lead it was meant for is known)")
            return None
        try:
            outcome = run_command_code(store, code, target)
        except (UsageError, NotFound) as error:
            report.not_applied.append(f"{code} ({error})")
            return None
        report.leads.extend(lead for lead in outcome.leads if lead not in report.leads)
        return target["uuid"]
    report.not_applied.append(f"an entry of unknown type {kind!r}")
    return None


def _payload(entry: dict):
    payload = entry.get("payload")
    if payload is None:
        payload = base64.b64decode(entry.get("payload_b64", ""))
    return payload


def _bound_lead(store: Store, entry: dict, scans: dict) -> model.Lead | None:
    """The lead a journaled code or qualify step was meant for."""
    lead_uuid = entry.get("lead_uuid")
    scan = entry.get("scan")
    if scan:
        if scan not in scans:
            row = store.conn.execute(
                "SELECT lead_uuid FROM journal_done WHERE id = ?", [scan]
            ).fetchone()
            scans[scan] = row[0] if row else None
        lead_uuid = scans[scan]
    if not lead_uuid:
        return None
    try:
        lead = leads.get_lead(store, lead_uuid)
    except NotFound:
        return None
    return None if lead.get("deleted") else lead


def scrub_journal(store: Store) -> tuple[int, int]:
    """After `forget` or `purge`: rewrite the journal without entries naming a forgotten
    person, entries whose lead was erased and entries tied to those. Returns (entries
    removed, damaged bytes dropped)."""
    from leadcap.intake.parse import parse_payload
    from leadcap.store.tombstones import is_forgotten

    path = journal_path(store)
    contents = journal.read(path)
    if not contents.entries and not contents.damaged:
        return 0, 0
    recovered = dict(store.conn.execute("SELECT id, lead_uuid FROM journal_done").fetchall())
    existing = {row[0] for row in store.conn.execute("SELECT uuid FROM leads")}
    existing |= {row[0] for row in store.conn.execute("SELECT alias_uuid FROM lead_aliases")}
    pattern = store.setting("badge_pattern")
    dropped: set[str] = set()
    for entry in contents.entries:
        entry_id, kind = entry["id"], entry.get("type")
        lead_uuid = entry.get("lead_uuid") or recovered.get(entry_id)
        if entry.get("scan") in dropped or (lead_uuid and lead_uuid not in existing):
            dropped.add(entry_id)
        elif kind == "scan":
            result = parse_payload(_payload(entry), badge_pattern=pattern)
            if any(is_forgotten(store, c.fields()) for c in result.contacts):
                dropped.add(entry_id)
    return journal.rewrite(path, lambda entry: entry["id"] not in dropped)
