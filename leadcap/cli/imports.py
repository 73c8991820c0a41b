"""`leadcap import`: bring back what colleagues typed into exported follow-up lists."""

from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import handle_errors, open_db, print_table

app = typer.Typer(
    rich_markup_mode=None,
    help="Read back follow-up workbooks that colleagues edited.",
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
)


@app.command()
@handle_errors
def followups(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A workbook written by `leadcap export xlsx`")],
    *,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Apply cells also changed in the database since the export"),
    ] = False,
) -> None:
    """Apply status, owner, due date and notes from edited workbooks.

    Apply the status, owner, due date and added notes that colleagues typed into an
    exported workbook (any sheet, split files too), matched by the UUID column. Each change
    is logged (leadcap history) and can be undone one lead at a time (leadcap undo). Cells
    changed in the database since the export, and unknown UUIDs, are listed and skipped."""
    from leadcap.errors import LeadcapError
    from leadcap.output import followups_import as core

    if not file.is_file():
        raise LeadcapError(f"no file {file}. Give the .xlsx file that `leadcap export xlsx` wrote")
    store = open_db(ctx)
    plan = core.plan_followups(store, file, force=force)
    if plan.changes:
        typer.echo("Would change:" if dry_run else "Changes:")
        rows = [[c.lead_id, c.label, c.field, c.old, c.new] for c in plan.changes]
        print_table(["id", "lead", "field", "old", "new"], rows)
    for title, problems in (("Conflicts (skipped)", plan.conflicts), ("Skipped", plan.skipped)):
        if problems:
            rows = [
                [p.where, p.lead_id, p.field, p.sheet_value, p.db_value, p.reason] for p in problems
            ]
            typer.echo(f"{title}:")
            print_table(["where", "id", "field", "sheet", "database", "reason"], rows)
    if plan.conflicts and not force:
        typer.echo("Use --force to apply the conflicting cells anyway.", err=True)
    if dry_run:
        typer.echo(
            f"Dry run: {len(plan.changes)} change(s) to {plan.leads} lead(s); nothing written."
        )
        return
    if not plan.changes:
        typer.echo(f"Nothing to change: {plan.rows} row(s) read from {file.name}.")
        return
    from leadcap.store.backups import auto_backup

    auto_backup(store, "import")  # keeps the device's backups-keep
    changed = core.apply_followups(store, plan)
    typer.echo(
        f"Applied {len(plan.changes)} change(s) to {changed} lead(s) from {file.name}."
        " Undo one lead at a time: leadcap undo"
    )
