"""Data safety and privacy: `backup`, `restore`, `doctor`, `forget`, `purge`, `consent`."""

from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import (
    JsonOption,
    handle_errors,
    open_db,
    print_json,
    print_table,
    show_time,
)
from leadcap.errors import UsageError
from leadcap.store import model
from leadcap.store.database import Store

YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")]


def confirm(question: str, yes: bool, refusal: str) -> None:
    """Ask unless --yes; a 'no' (or no answer at all) stops the command with exit 1."""
    if yes:
        return
    try:
        sure = typer.confirm(question)
    except typer.Abort:  # stdin closed: treat as no
        typer.echo()
        sure = False
    if not sure:
        typer.echo(refusal)
        raise typer.Exit(1)


@handle_errors
def backup(
    ctx: typer.Context,
    *,
    to: Annotated[
        Path | None,
        typer.Option("--to", help="Folder for the copy, e.g. a USB stick (default: beside the DB)"),
    ] = None,
) -> None:
    """Write a consistent copy of the database, even while others are capturing."""
    from leadcap.store import backups as core

    path = core.backup(open_db(ctx), to)
    typer.echo(f"Backed up to {path}.")


@handle_errors
def restore(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A backup file, or the number of a deleted lead")],
    *,
    yes: YesOption = False,
) -> None:
    """Replace the database with a backup FILE, or bring back a deleted lead.

    Replace the database with a backup FILE (the current one is backed up first and
    checked files only), or bring back a deleted lead by its number."""
    from leadcap.store import health

    if not Path(target).exists() and (target.isdigit() or _looks_like_uuid(target)):
        from leadcap.cli import leads

        leads.restore(ctx, target)
        return
    store = open_db(ctx, create=True)
    source = Path(target)
    count = health.check_restorable(source)
    confirm(
        f"Replace everything in {store.path} with {source} ({count} lead(s))?"
        " The current contents are backed up first.",
        yes,
        "Nothing restored.",
    )
    report = health.restore(store, source)
    typer.echo(f"Restored {report.leads} lead(s) from {source}.")
    if report.backup:
        typer.echo(f"The previous contents are in {report.backup}.")
    if report.reforgotten:
        typer.echo(
            f"Erased {report.reforgotten} lead(s) again: people forgotten after that backup"
            " was made stay forgotten."
        )


def _looks_like_uuid(text: str) -> bool:
    return len(text) == 36 and text.count("-") == 4


@handle_errors
def doctor(
    ctx: typer.Context,
    *,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Back up, then checkpoint the WAL, rebuild search, delete orphans"
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the database and say what to do about each problem (exit 1 if any)."""
    from leadcap.store import backups, health

    store = open_db(ctx)
    findings = health.run_checks(store)
    repaired = None
    if fix:
        repaired = health.fix(store, findings)
        findings = health.run_checks(store)
    healthy = all(f.ok for f in findings)
    if as_json:
        data = {
            "healthy": healthy,
            "database": str(store.path),
            "checks": [health.finding_dict(f) for f in findings],
            "backups": [str(p) for p in backups.list_backups(store)],
        }
        if repaired is not None:
            data["fixed"] = repaired.actions
            data["fix_backup"] = str(repaired.backup) if repaired.backup else None
        print_json(data)
    else:
        if repaired and repaired.backup:
            typer.echo(f"Backed up to {repaired.backup} before fixing.")
        for action in repaired.actions if repaired else []:
            typer.echo(f"Fixed: {action}.")
        rows = [[f.check, "ok" if f.ok else "PROBLEM", f.detail, f.advice] for f in findings]
        print_table(["check", "status", "detail", "what to do"], rows)
        typer.echo("Healthy." if healthy else _problem_line(findings))
    if not healthy:
        raise typer.Exit(1)


def _problem_line(findings) -> str:
    bad = [f for f in findings if not f.ok]
    hint = " Run `leadcap doctor --fix`." if any(f.fixable for f in bad) else ""
    return f"{len(bad)} problem(s): {', '.join(f.check for f in bad)}.{hint}"


def print_leads_brief(store: Store, found: list[model.Lead]) -> None:
    rows = [
        [
            lead["id"],
            show_time(store, lead["captured_at"]),
            model.display_name(lead),
            lead["company"],
            lead["email"],
            lead["badge_id"],
            lead["status"],
        ]
        for lead in found
    ]
    print_table(["id", "captured", "name", "company", "email", "badge", "status"], rows)


def after_erasing(store, report, backup_made, erased: str) -> None:
    """What forget and purge say once erased: how much, the journal, the backups."""
    typer.echo(f"Erased {erased}; wrote {report.tombstones} tombstone(s).")
    say_journal_scrubbed(store)
    if backup_made:
        typer.echo(f"(Backup made before erasing: {backup_made})")
    remind(store, report)


def remind(store, report) -> None:
    """Erasure reaches the database only: say where copies of the person remain."""
    from leadcap.store import backups, erasure

    holding = erasure.backups_holding(store, backups.list_backups(store), report)
    for path in holding:
        typer.echo(f"Still in backup: {path}")
    for profile, exported_at in report.exports:
        typer.echo(
            f"Still in exports of profile {profile!r} (last {show_time(store, exported_at)})"
        )
    if holding or report.exports:
        typer.echo(
            "Delete or correct those copies (and any backup copied elsewhere with --to);"
            " automatic backups drop out after `backups-keep` newer ones."
        )


@handle_errors
def forget(
    ctx: typer.Context,
    who: Annotated[str, typer.Argument(help="Lead number, e-mail address or badge id")],
    *,
    badge: Annotated[
        bool, typer.Option("--badge", help="WHO is a badge id (even if it is all digits)")
    ] = False,
    yes: YesOption = False,
) -> None:
    """Erase a person for good (GDPR/APPI erasure).

    Erase a person for good (GDPR/APPI erasure): all their leads, history, consent
    records and attendee-list row. A tombstone stops merges and imports bringing them back."""
    from leadcap.store import backups, erasure

    store = open_db(ctx, create=True)  # a tombstone for someone never captured here
    person = erasure.resolve_person(store, who, badge=badge)
    found = erasure.person_leads(store, person)
    if found:
        print_leads_brief(store, found)
        question = f"Erase these {len(found)} lead(s) and everything about this person?"
    else:
        question = f"No lead matches {who!r}. Record it as forgotten so no merge brings it in?"
    confirm(f"{question} This cannot be undone.", yes, "Nothing erased.")
    made = backups.auto_backup(store, "forget")
    report = erasure.forget_lead(store, person, at=store.now().isoformat())
    erased = f"{len(report.lead_ids)} lead(s) and {sum(report.rows.values())} row(s) in all"
    after_erasing(store, report, made, erased)


@handle_errors
def purge(
    ctx: typer.Context,
    *,
    older_than: Annotated[
        str,
        typer.Option("--older-than", help="Not changed for this long: 30d, 6w, 18m or 2y"),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be erased, erase nothing")
    ] = False,
    yes: YesOption = False,
) -> None:
    """Erase leads past the retention period whose follow-up is over.

    Retention: erase leads whose follow-up is finished (won, lost), never started
    (new, no owner) or that were deleted, and that nobody changed for the period."""
    from leadcap.store import backups, erasure

    store = open_db(ctx)
    found = erasure.purge_candidates(store, older_than)
    if not found:
        typer.echo(f"Nothing to purge: no finished or unstarted lead older than {older_than}.")
        return
    print_leads_brief(store, found)
    if dry_run:
        typer.echo(f"Would erase {len(found)} lead(s) (dry run: nothing changed).")
        return
    confirm(f"Erase these {len(found)} lead(s) for good?", yes, "Nothing erased.")
    made = backups.auto_backup(store, "purge")
    report = erasure.purge_leads(store, found, at=store.now().isoformat())
    after_erasing(store, report, made, f"{len(report.lead_ids)} lead(s) older than {older_than}")


@handle_errors
def consent(
    ctx: typer.Context,
    lead_id: Annotated[str, typer.Argument(help="The lead's number (or uuid)")],
    purpose: Annotated[
        str | None, typer.Argument(help="followup, marketing or share (omit to see history)")
    ] = None,
    status: Annotated[
        str | None, typer.Argument(help="granted, refused, withdrawn or not_asked")
    ] = None,
    *,
    method: Annotated[
        str, typer.Option("--method", help="How it was given: verbal, ticked or scanned")
    ] = "verbal",
    as_json: JsonOption = False,
) -> None:
    """Record a consent decision, or show a lead's consent history.

    Record a consent decision for one purpose, or show a lead's consent history
    (time, staff, method, consent-text version): the proof of what was agreed."""
    from leadcap.store import consent as consent_core

    store = open_db(ctx)
    if purpose is not None:
        if status is None:
            raise UsageError(
                f"say what the visitor decided for {purpose}: leadcap consent {lead_id}"
                f" {purpose} granted|refused|withdrawn|not_asked"
            )
        record = consent_core.record_consent(store, lead_id, purpose, status, method=method)
        if as_json:
            print_json(record)
        elif record is None:
            typer.echo(f"Lead {lead_id}: {purpose} was already {status}; nothing recorded.")
        else:
            version = record["text_version"] or "none configured"
            typer.echo(
                f"Lead {lead_id}: {record['purpose']} {record['status']}"
                f" ({record['method']}, consent text version {version})."
            )
        return
    history = consent_core.consent_history(store, lead_id)
    if as_json:
        print_json(history)
        return
    rows = [
        [
            show_time(store, r["recorded_at"]),
            r["purpose"],
            r["status"],
            r["staff"],
            r["device"],
            r["method"],
            r["text_version"],
        ]
        for r in history
    ]
    print_table(["recorded", "purpose", "status", "staff", "device", "method", "text"], rows)
    if not history:
        typer.echo(f"No consent recorded for lead {lead_id} yet.")


def say_journal_scrubbed(store) -> None:
    """The fallback journal may still hold the erased people's scans: rewrite it."""
    from leadcap.intake import capture

    removed, damaged = capture.scrub_journal(store)
    name = capture.journal_path(store).name
    if removed:
        typer.echo(f"Removed {removed} entr{'y' if removed == 1 else 'ies'} from {name}.")
    if damaged:
        typer.echo(f"Dropped {damaged} damaged byte(s) from {name} (nothing importable).")


def register(app: typer.Typer) -> None:
    for command in (backup, restore, doctor, forget, purge, consent):
        app.command()(command)
