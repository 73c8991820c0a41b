"""`leadcap tags`: the interest tags in use, renaming and merging them."""

from typing import Annotated

import typer

from leadcap.cli.common import JsonOption, handle_errors, open_db, print_json, print_table
from leadcap.store import tags as core

app = typer.Typer(
    rich_markup_mode=None,
    help="List interest tags with counts; rename or merge them.",
    invoke_without_command=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
@handle_errors
def tags(
    ctx: typer.Context,
    *,
    as_json: JsonOption = False,
) -> None:
    """List interest tags with the number of leads carrying each."""
    if ctx.invoked_subcommand:
        return
    store = open_db(ctx)
    counts = core.tag_counts(store)
    if as_json:
        print_json([{"tag": n, "leads": c, "predefined": p} for n, c, p in counts])
        return
    rows = [[n, c, "yes" if p else ""] for n, c, p in counts]
    print_table(["tag", "leads", "predefined"], rows)


@app.command()
@handle_errors
def rename(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Current name")],
    new: Annotated[str, typer.Argument(help="New name")],
) -> None:
    """Rename a tag on every lead (merges into NEW if that tag exists)."""
    changed = core.rename_tag(open_db(ctx), old, new)
    typer.echo(f"Renamed {old!r} to {new!r} on {changed} lead(s).")


@app.command()
@handle_errors
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Tag to merge away")],
    target: Annotated[str, typer.Argument(help="Tag to keep")],
) -> None:
    """Merge tag SOURCE into TARGET: every lead tagged SOURCE gets TARGET instead."""
    changed = core.merge_tags(open_db(ctx), source, target)
    typer.echo(f"Merged {source!r} into {target!r} on {changed} lead(s).")
