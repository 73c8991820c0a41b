"""`leadcap merge` and `leadcap sync`: bring several laptops' leads together."""

from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import JsonOption, fail, handle_errors, open_db, print_json

DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write nothing")
]


def describe(report) -> str:
    parts = [f"{report.added} added", f"{report.updated} updated", f"{report.linked} linked"]
    if report.forgotten_skipped:
        parts.append(f"{report.forgotten_skipped} forgotten skipped")
    if report.erased:
        parts.append(f"{report.erased} erased (forgotten on the other laptop)")
    if report.rejected:
        parts.append(f"{len(report.rejected)} row(s) with values leadcap never writes skipped")
    verb = "Would merge" if report.dry_run else "Merged"
    return f"{verb} {report.source.name}: {', '.join(parts)}."


@handle_errors
def merge(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Other laptops' leadcap .db files")],
    *,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Bring the leads of other laptops' database files into this one.

    The files are only read. The same lead edited on two laptops takes each field's latest
    change; tags and notes from both are kept; one person captured on two laptops (same
    badge, else same e-mail) becomes one lead. Merging again changes nothing. Exits 1 only
    if no file could be merged."""
    import sqlite3

    from leadcap.errors import LeadcapError
    from leadcap.laptops.merge import SourceError, merge_file
    from leadcap.store.backups import auto_backup

    store = open_db(ctx, create=True)
    if not dry_run:
        auto_backup(store, "merge")
    reports, problems = [], []
    for path in files:
        try:
            reports.append(merge_file(store, path, dry_run=dry_run))
        except SourceError as error:
            problems.append((path, str(error)))
        except (LeadcapError, sqlite3.Error, ValueError, TypeError, KeyError) as error:
            problems.append((path, f"{path.name} could not be merged ({error}); skipped"))
    if as_json:
        print_json(
            {
                "merged": [r.as_dict() for r in reports],
                "skipped": [{"file": str(p), "reason": m} for p, m in problems],
            }
        )
    else:
        for report in reports:
            typer.echo(describe(report))
    say_rejected(reports)
    scrub_after_erasure(store, reports)
    for _path, message in problems:
        typer.echo(f"Skipped: {message}.", err=True)
    if not reports:
        raise fail("no file could be merged. Give other laptops' leadcap .db files")


@handle_errors
def sync(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="Shared folder (USB stick, network share)", file_okay=False)
    ],
    *,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Exchange leads with other laptops through a shared folder.

    Writes this laptop's snapshot there as leadcap-DEVICE.db, then merges every other
    laptop's snapshot found. Run it on each laptop in turn (then once more on the first)
    and all hold the same leads. Half-copied or foreign files are reported and skipped."""
    from leadcap.laptops.sync import sync_folder

    store = open_db(ctx, create=True)
    report = sync_folder(store, folder, dry_run=dry_run)
    if as_json:
        print_json(
            {
                "snapshot": str(report.snapshot) if report.snapshot else None,
                "merged": [r.as_dict() for r in report.merged],
                "skipped": [{"file": str(p), "reason": m} for p, m in report.skipped],
            }
        )
    else:
        if report.snapshot:
            typer.echo(f"Wrote {report.snapshot}.")
        for merged in report.merged:
            typer.echo(describe(merged))
        if not report.merged:
            typer.echo("No other laptop's snapshot in the folder yet.")
    say_rejected(report.merged)
    scrub_after_erasure(store, report.merged)
    for _path, message in report.skipped:
        typer.echo(f"Skipped: {message}.", err=True)


def scrub_after_erasure(store, reports) -> None:
    """People forgotten on another laptop and erased here leave the journal too."""
    if any(r.erased and not r.dry_run for r in reports):
        from leadcap.cli.safety import say_journal_scrubbed

        say_journal_scrubbed(store)


def say_rejected(reports) -> None:
    for report in reports:
        for reason in report.rejected[:20]:
            typer.echo(f"Skipped in {report.source.name}: {reason}.", err=True)


def register(app: typer.Typer) -> None:
    app.command()(merge)
    app.command()(sync)
