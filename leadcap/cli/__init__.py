"""The `leadcap` command. Each module registers one group of commands; none imports
openpyxl, qrcode or image libraries at the top (they load inside the commands)."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from leadcap import __version__
from leadcap.cli import attendees, cards, identity, leads, questions, safety, scan, setup, tags
from leadcap.cli import export as export_cli
from leadcap.cli import followup as followup_cli
from leadcap.cli import imports as imports_cli
from leadcap.cli import qr as qr_cli
from leadcap.cli import report as report_cli
from leadcap.cli import sync as sync_cli
from leadcap.cli.common import state
from leadcap.cli.helptext import use_plain_value_labels

use_plain_value_labels()

APP_SETTINGS: dict = dict(
    name="leadcap",
    help="Capture trade-fair leads offline and turn them into follow-up lists.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,  # plain help, grouped by task (cli/helptext.py): fast to print
)
app = typer.Typer(**APP_SETTINGS)

# The help groups commands by the task a booth team has at hand; a command missing here
# would be listed under "Commands" on its own (tests/test_cli_help.py stops that).
PANELS = {
    "At the booth": ("scan", "add", "recover", "stats", "debrief", "cards"),
    "Leads": (
        "list",
        "find",
        "show",
        "edit",
        "tag",
        "rate",
        "note",
        "answer",
        "delete",
        "history",
        "undo",
        "tags",
        "duplicates",
        "combine",
    ),
    "After the fair": ("export", "import", "followup", "drafts", "report"),
    "Several laptops": ("merge", "sync"),
    "Safety and privacy": ("backup", "restore", "doctor", "forget", "purge", "consent"),
    "Set-up": ("init", "info", "config", "attendees", "questions", "qr"),
}
PANEL_OF = {name: panel for panel, names in PANELS.items() for name in names}


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
identity.register(app)
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
app.add_typer(cards.app, name="cards")


def _command_name(info) -> str:
    return info.name or info.callback.__name__.rstrip("_").replace("_", "-")


PANEL_ORDER = list(PANELS)


def _panel_rank(name: str | None) -> int:
    panel = PANEL_OF.get(name or "")
    return PANEL_ORDER.index(panel) if panel else len(PANEL_ORDER)


for info in app.registered_commands:
    info.rich_help_panel = PANEL_OF.get(_command_name(info))
for group in app.registered_groups:
    group.rich_help_panel = PANEL_OF.get(group.name or "")
# Typer lists panels in the order their first command was registered.
app.registered_commands.sort(key=lambda info: _panel_rank(_command_name(info)))


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command that `args` name, or the whole app.

    Typer builds every command's options before it runs one: with 54 commands that was a
    tenth of `leadcap add`'s start-up. The command runs the same either way; the whole app
    is kept for help, a version, and names that need a suggestion."""
    rest = list(args)
    if rest[:1] == ["--db"]:
        rest = rest[2:]
    elif rest[:1] and rest[0].startswith("--db="):
        rest = rest[1:]
    if not rest or rest[0].startswith("-"):
        return app
    name = rest[0]
    commands = [i for i in app.registered_commands if _command_name(i) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    single = typer.Typer(**APP_SETTINGS)
    single.registered_callback = app.registered_callback
    single.registered_commands = commands
    single.registered_groups = groups
    return single


def main() -> None:
    app_for(sys.argv[1:])()
