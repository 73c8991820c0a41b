"""`leadcap merge` and `leadcap sync`: bring several laptops' leads together."""

from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import (
    JsonOption,
    device_config,
    fail,
    handle_errors,
    open_db,
    print_json,
    state,
)

DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write nothing")
]
AnyEventOption = Annotated[
    bool,
    typer.Option("--any-event", help="Also merge databases of another event (refused otherwise)"),
]


def describe(report) -> str:
    if report.unchanged:
        return f"Nothing new in {report.source.name}."
    parts = [f"{report.added} added", f"{report.updated} updated", f"{report.linked} linked"]
    if report.forgotten_skipped:
        parts.append(f"{report.forgotten_skipped} forgotten skipped")
    if report.erased:
        parts.append(f"{report.erased} erased (forgotten on the other laptop)")
    if report.rejected:
        parts.append(f"{len(report.rejected)} row(s) with values leadcap never writes skipped")
    verb = "Would merge" if report.dry_run else "Merged"
    return f"{verb} {report.source.name}: {', '.join(parts)}."


def echo_duplicates(reports) -> None:
    """Leads captured separately on one laptop that look like one person: merging never
    joins them on its own; say how to."""
    pairs = sorted({pair for report in reports for pair in report.possible_duplicates})
    for a, b in pairs:
        typer.echo(
            f"Possible duplicates: leads {a} and {b} (same badge or e-mail, added separately"
            f" on one laptop). If they are one person: leadcap combine {a} {b}"
        )


@handle_errors
def merge(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Other laptops' leadcap .db files")],
    *,
    dry_run: DryRunOption = False,
    any_event: AnyEventOption = False,
    as_json: JsonOption = False,
) -> None:
    """Bring the leads of other laptops' database files into this one.

    The files are only read. The same lead edited on two laptops takes each field's latest
    change; tags and notes from both are kept; one person captured on two laptops (same
    badge, else same e-mail) becomes one lead. Two leads added on one laptop are never
    joined: they are listed as possible duplicates. Merging again reads only what is new.
    A file of another event is refused unless --any-event. Exits 1 only if no file could
    be merged."""
    import sqlite3

    from leadcap.errors import LeadcapError
    from leadcap.laptops.merge import SourceError, merge_file
    from leadcap.store.backups import auto_backup

    store = open_db(ctx, create=True)
    backed_up: list[object] = []

    def backup_once() -> None:
        if not backed_up:
            backed_up.append(auto_backup(store, "merge"))

    reports, problems = [], []
    for path in files:
        try:
            reports.append(
                merge_file(
                    store, path, dry_run=dry_run, any_event=any_event, before_write=backup_once
                )
            )
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
        echo_duplicates(reports)
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
    any_event: AnyEventOption = False,
    as_json: JsonOption = False,
) -> None:
    """Exchange leads with other laptops through a shared folder.

    Merges every other laptop's snapshot found there (only what is new since the last
    sync), then writes this laptop's snapshot as leadcap-DEVICE.db if anything changed.
    Run it on each laptop in turn (then once more on the first) and all hold the same
    leads. Half-copied or foreign files are reported and skipped. If another laptop uses
    this laptop's device id (laptops cloned from one image), this laptop gets a new one."""
    from leadcap.laptops.sync import rename_device, sync_folder
    from leadcap.store.settings import new_device_id, save_device_config

    store = open_db(ctx, create=True)
    report = sync_folder(store, folder, dry_run=dry_run, any_event=any_event)
    renamed = None
    if report.device_clash is not None:
        clash = report.device_clash
        if dry_run:
            typer.echo(
                f"Warning: {clash} holds another laptop's database under this laptop's device"
                f" id {store.device}; sync (without --dry-run) gives this laptop a new id.",
                err=True,
            )
        else:
            config = device_config(ctx)
            new = new_device_id()
            old = rename_device(store, new, reason=f"another database published as {clash.name}")
            config["device"] = new
            save_device_config(state(ctx).app_dir, config)
            renamed = (old, new, clash)
            typer.echo(
                f"Warning: another laptop uses this laptop's device id {old} (its snapshot"
                f" {clash.name} holds another database; laptops cloned from one image?)."
                f" This laptop is now {new}; its leads and history are kept.",
                err=True,
            )
            report = sync_folder(store, folder, any_event=any_event)
    if as_json:
        print_json(
            {
                "snapshot": str(report.snapshot) if report.snapshot else None,
                "published": report.published,
                "nothing_new": report.nothing_new,
                "device_renamed": (
                    {"old": renamed[0], "new": renamed[1], "clash": str(renamed[2])}
                    if renamed
                    else None
                ),
                "merged": [r.as_dict() for r in report.merged],
                "skipped": [{"file": str(p), "reason": m} for p, m in report.skipped],
            }
        )
    else:
        if report.published:
            typer.echo(f"Wrote {report.snapshot}.")
        for merged in report.merged:
            if not merged.unchanged:
                typer.echo(describe(merged))
        echo_duplicates(report.merged)
        if report.nothing_new and report.device_clash is None:
            others = len(report.merged)
            typer.echo(
                "Nothing new: this laptop's snapshot is up to date"
                + (f" and the {others} other snapshot(s) hold nothing new." if others else ".")
            )
        elif not report.merged and report.device_clash is None:
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
