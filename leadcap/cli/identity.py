"""Two leads of one person: `duplicates` lists them, `combine` makes them one."""

from typing import Annotated

import typer

from leadcap.cli.common import JsonOption, handle_errors, open_db, print_json, print_table
from leadcap.store import model


@handle_errors
def duplicates(
    ctx: typer.Context,
    *,
    as_json: JsonOption = False,
) -> None:
    """List leads that are probably one person, with the command to combine them.

    Likely duplicates share an e-mail, badge id or phone number, or have the same
    normalised name and company, within one event."""
    from leadcap.laptops.combine import find_duplicates
    from leadcap.store.leads import get_lead

    store = open_db(ctx)
    groups = find_duplicates(store)
    if as_json:
        print_json([{"ids": g.ids, "reasons": g.reasons, "command": g.command} for g in groups])
        return
    if not groups:
        typer.echo("No likely duplicates.")
        return
    rows = []
    for group in groups:
        names = "; ".join(model.list_name(get_lead(store, i)) for i in group.ids)
        ids = ", ".join(str(i) for i in group.ids)
        rows.append([ids, names, ", ".join(group.reasons), group.command])
    print_table(["leads", "names", "why", "to combine"], rows)


@handle_errors
def combine(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The lead to keep (its number stays)")],
    other: Annotated[str, typer.Argument(help="The lead combined into it")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Combine two leads of one person into the first; undo separates them.

    Fields, tags, notes, consent and visits are united as merging laptops does (the
    latest change of a field wins); every change is logged in `leadcap history`."""
    from leadcap.laptops.combine import combine as combine_leads
    from leadcap.store.leads import get_lead

    store = open_db(ctx)
    gone = get_lead(store, other)
    lead = combine_leads(store, keep, other)
    if as_json:
        print_json(lead)
        return
    typer.echo(
        f"Combined lead {gone['id']} ({model.label(gone)}) into lead {lead['id']}"
        f" ({model.label(lead)}), {lead['visits']} visits. Undo: leadcap undo"
    )


def register(app: typer.Typer) -> None:
    app.command()(duplicates)
    app.command()(combine)
