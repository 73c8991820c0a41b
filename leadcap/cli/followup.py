"""`leadcap followup` (the post-fair worklist, assign, due, done) and `leadcap drafts`."""

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import (
    JsonOption,
    device_config,
    handle_errors,
    open_db,
    print_json,
    print_table,
    show_time,
)
from leadcap.errors import UsageError
from leadcap.reports import worklist as core
from leadcap.store import model
from leadcap.store.database import Store

app = typer.Typer(
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    invoke_without_command=True,
    no_args_is_help=False,
)
LeadId = Annotated[str, typer.Argument(help="The lead's number (or uuid)")]
OwnerOption = Annotated[
    str | None, typer.Option(help="Only this owner's leads ('-' for leads nobody owns)")
]
RatingOption = Annotated[str | None, typer.Option(help="hot, warm, cold or unrated")]
COLUMNS = ["id", "rating", "name", "company", "status", "owner", "due", "captured", "tags"]


def worklist_row(store: Store, item: core.WorklistItem) -> list:
    due = item["effective_due"] + (" (default)" if item["due_is_default"] else "")
    if item["overdue"]:
        due += " overdue"
    return [
        item["id"],
        item["rating"] or core.UNRATED,
        model.list_name(item),
        item["company"],
        item["status"] or "new",
        item["owner"],
        due,
        show_time(store, item["captured_at"])[:10],
        ", ".join(item["tags"]),
    ]


def owner_filter(owner: str | None) -> str | None:
    return "" if owner is not None and owner.strip() == "-" else owner


@app.callback()
@handle_errors
def worklist(
    ctx: typer.Context,
    *,
    owner: OwnerOption = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only leads past their due date")
    ] = False,
    rating: RatingOption = None,
    as_json: JsonOption = False,
) -> None:
    """The post-fair worklist: open follow-ups, hot first, then by due date.

    The post-fair worklist: open follow-ups (not won or lost) hot first, then by due
    date, with owner and due date. A lead without a due date shows its default from the
    service level (followup-days.hot etc.), marked "(default)"."""
    if ctx.invoked_subcommand is not None:
        return
    store = open_db(ctx)
    flt = core.Filter(owner=owner_filter(owner), overdue=overdue, rating=rating)
    items = core.worklist(store, flt)
    if as_json:
        print_json(items)
    else:
        print_table(COLUMNS, [worklist_row(store, item) for item in items])


def report(store: Store, lead: model.Lead) -> None:
    due = lead["due"] or ""
    typer.echo(
        f"Lead {lead['id']} ({model.label(lead)}): owner {lead['owner'] or '-'},"
        f" due {due or '-'}, status {lead['status'] or 'new'}. Undo: leadcap undo"
    )


@app.command()
@handle_errors
def assign(
    ctx: typer.Context,
    lead_id: Annotated[str | None, typer.Argument(help="The lead's number (or uuid)")] = None,
    owner: Annotated[str | None, typer.Argument(help="Who follows up")] = None,
    *,
    all_unassigned: Annotated[
        str | None,
        typer.Option("--all-unassigned", help="Give every open lead without owner to OWNER"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Give a lead an owner (and a default due date).

    Give a lead an owner. A lead without a due date gets the default one (capture
    date + the service level of its rating)."""
    store = open_db(ctx)
    if all_unassigned is not None:
        if lead_id is not None:
            raise UsageError("give either ID OWNER or --all-unassigned OWNER, not both")
        leads = core.assign_unassigned(store, all_unassigned)
        if as_json:
            print_json(leads)
        else:
            typer.echo(f"Assigned {len(leads)} lead(s) to {all_unassigned.strip()}.")
        return
    if lead_id is None or owner is None:
        raise UsageError("give the lead and the owner: leadcap followup assign 12 ken")
    lead = core.assign(store, lead_id, owner)
    print_json(lead) if as_json else report(store, lead)


@app.command()
@handle_errors
def due(
    ctx: typer.Context,
    lead_id: LeadId,
    date: Annotated[str, typer.Argument(help="YYYY-MM-DD, +3d, +2w (from today) or none")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Set a lead's follow-up due date."""
    store = open_db(ctx)
    lead = core.set_due(store, lead_id, date)
    print_json(lead) if as_json else report(store, lead)


@app.command()
@handle_errors
def done(
    ctx: typer.Context,
    lead_id: LeadId,
    *,
    outcome: Annotated[
        str, typer.Option(help="contacted, meeting, offer, won or lost (won/lost close it)")
    ],
    note: Annotated[str | None, typer.Option(help="A note to append (stamped)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record the outcome of a follow-up, with an optional note."""
    store = open_db(ctx)
    lead = core.done(store, lead_id, outcome, note)
    print_json(lead) if as_json else report(store, lead)


@handle_errors
def drafts(
    ctx: typer.Context,
    lead_ids: Annotated[
        list[str] | None, typer.Argument(help="Only these leads (default: the worklist)")
    ] = None,
    *,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the drafts")],
    template: Annotated[
        Path | None,
        typer.Option(help="Template file: 'Subject: ...', a blank line, the body", dir_okay=False),
    ] = None,
    mbox: Annotated[
        bool, typer.Option("--mbox", help="One drafts.mbox file instead of one .eml per lead")
    ] = False,
    lang: Annotated[
        str | None, typer.Option(help="Force the language: en, de or ja (default: per lead)")
    ] = None,
    owner: OwnerOption = None,
    rating: RatingOption = None,
) -> None:
    """Write a follow-up e-mail draft (.eml) per lead; sends nothing.

    Write a first follow-up e-mail per lead as a draft (.eml, opened by Outlook and
    Thunderbird as unsent). Only leads who agreed to follow-up get one. Sends nothing."""
    from leadcap.output import drafts as core_drafts
    from leadcap.store import leads

    store = open_db(ctx)
    chosen = core_drafts.check_language(lang)
    selected: Sequence[model.Lead]
    if lead_ids:
        selected = [leads.get_lead(store, lead_id, include_deleted=False) for lead_id in lead_ids]
    else:
        flt = core.Filter(owner=owner_filter(owner), rating=rating)
        selected = core.worklist(store, flt)
    text = None
    if template is not None:
        try:
            text = template.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read template {template} ({error})") from None
    custom = core_drafts.parse_template(text) if text is not None else None
    sender = core_drafts.sender(store, device_config(ctx))
    run = core_drafts.write_drafts(
        store, selected, output, sender=sender, template=custom, lang=chosen, mbox=mbox
    )
    where = run.paths[0] if mbox and run.paths else output
    typer.echo(f"Wrote {run.written} draft(s) to {where}.")
    if run.removed:
        typer.echo(f"Removed {len(run.removed)} outdated draft(s) from {output}.")
    if run.no_consent:
        typer.echo(f"Skipped {len(run.no_consent)} lead(s) without follow-up consent.", err=True)
    if run.no_email:
        ids = ", ".join(str(i) for i in run.no_email)
        typer.echo(f"Skipped {len(run.no_email)} lead(s) without a usable e-mail: {ids}.", err=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="followup")
    root.command()(drafts)
