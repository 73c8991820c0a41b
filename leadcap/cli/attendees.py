"""`leadcap attendees`: import the organiser's attendee list, show it, clear it."""

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import JsonOption, handle_errors, open_db, print_json, show_time

app = typer.Typer(
    rich_markup_mode=None,
    help="The organiser's attendee list: badge scans are looked up in it.",
    invoke_without_command=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
@handle_errors
def attendees(
    ctx: typer.Context,
    *,
    as_json: JsonOption = False,
) -> None:
    """Show how many attendees are stored and when the list was imported."""
    from leadcap.intake import attendees as core

    if ctx.invoked_subcommand:
        return
    store = open_db(ctx)
    info = core.status(store)
    if as_json:
        print_json(info)
        return
    if not info["attendees"]:
        typer.echo("No attendee list imported. Use: leadcap attendees import FILE")
        return
    source = f" from {info['file']}" if info["file"] else ""
    when = show_time(store, info["imported_at"])
    typer.echo(f"{info['attendees']:,} attendee(s), imported {when}{source}.")


@app.command("import")
@handle_errors
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Attendee list: .xlsx/.xls/.ods or .csv")],
    *,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="COLUMN=FIELD",
            help="Read COLUMN into a lead field, e.g. --map 'Reg-Code=badge_id'; "
            "COLUMN=- leaves a column out (repeatable)",
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Excel sheet to read (default: the first)")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="The CSV's encoding when detection guesses wrong: cp932 (Japanese Excel),"
            " cp1252 (German Excel), utf-8"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import the organiser's attendee list (CSV or Excel).

    A CSV's encoding (UTF-8, Shift_JIS/cp932, Windows-1252) is detected; a warning says
    when the guess is uncertain, and --encoding overrides it.

    Common headers in English, German and Japanese are recognised; only those columns
    are stored, the rest of the file is ignored. Importing again updates attendees by
    badge id. Leads already captured by badge id get their empty fields filled in."""
    from leadcap.intake import attendees as core

    store = open_db(ctx, create=True)
    result = core.import_attendees(
        store, file, mapping=core.parse_mapping(mapping or []), sheet=sheet, encoding=encoding
    )
    for warning in result.warnings:
        typer.echo(f"Warning: {warning}.", err=True)
    if as_json:
        print_json(dataclasses.asdict(result))
        return
    kept = ", ".join(f"{column} -> {name}" for column, name in result.kept.items())
    typer.echo(f"Read {result.rows:,} row(s) from {result.file}.")
    typer.echo(f"Kept columns: {kept}")
    if result.ignored:
        typer.echo(f"Ignored columns (not stored): {', '.join(result.ignored)}")
    line = (
        f"Attendees: {result.added:,} added, {result.updated:,} updated,"
        f" {result.unchanged:,} unchanged"
    )
    if result.skipped:
        line += f", {result.skipped:,} row(s) skipped without a badge id"
    if result.forgotten:
        line += f", {result.forgotten:,} left out (asked to be forgotten)"
    if result.duplicates:
        line += f", {result.duplicates:,} repeated badge id(s) (the last row counts)"
    typer.echo(line + ".")
    filled = f"Filled in {result.leads_filled} lead(s) already captured by badge id"
    if result.flags_cleared:
        filled += f"; {result.flags_cleared} no longer need review"
    typer.echo(filled + ".")


@app.command()
@handle_errors
def clear(
    ctx: typer.Context,
    *,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
) -> None:
    """Delete the attendee list (after the fair). Leads keep what was filled in."""
    from leadcap.intake import attendees as core

    store = open_db(ctx)
    count = core.status(store)["attendees"]
    if not count:
        typer.echo("No attendee list to clear.")
        return
    if not yes:
        try:
            sure = typer.confirm(f"Delete all {count:,} attendees from {store.path}?")
        except typer.Abort:  # no answer (stdin closed): treat as no
            typer.echo()
            sure = False
        if not sure:
            typer.echo("Nothing deleted.")
            raise typer.Exit(1)
    deleted = core.clear(store)
    typer.echo(f"Deleted {deleted:,} attendee(s).")
