"""The `leadcap` command. Each module registers one group of commands; none imports
openpyxl, qrcode or image libraries at the top (they load inside the commands)."""

from pathlib import Path
from typing import Annotated

import typer

from leadcap import __version__
from leadcap.cli import attendees, leads, questions, safety, scan, setup, tags
from leadcap.cli import export as export_cli
from leadcap.cli import followup as followup_cli
from leadcap.cli import imports as imports_cli
from leadcap.cli import qr as qr_cli
from leadcap.cli import report as report_cli
from leadcap.cli import sync as sync_cli
from leadcap.cli.common import state

app = typer.Typer(
    name="leadcap",
    help="Capture trade-fair leads offline and turn them into follow-up lists.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leadcap {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Database file (default: $LEADCAP_DB, else leads.db in the app folder)",
            dir_okay=True,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version")
    ] = False,
) -> None:
    state(ctx).db_path = db


leads.register(app)
scan.register(app)
setup.register(app)
safety.register(app)
sync_cli.register(app)
report_cli.register(app)
followup_cli.register(app)
questions.register(app)
app.add_typer(tags.app, name="tags")
app.add_typer(attendees.app, name="attendees")
app.add_typer(export_cli.app, name="export")
app.add_typer(imports_cli.app, name="import")
app.add_typer(qr_cli.app, name="qr")


def main() -> None:
    app()
