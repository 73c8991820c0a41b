"""`leadcap --help` groups commands by task, every summary fits on one line, and value
labels are words (PATH, TAG), not type names (`<list[str]>`)."""

import inspect

import pytest
import typer.main

from leadcap.cli import PANEL_OF, app

ROOT = typer.main.get_command(app)


def all_commands(group=ROOT, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from all_commands(command, (*prefix, name))


COMMANDS = list(all_commands())
IDS = [" ".join(path) for path, _ in COMMANDS]


@pytest.mark.parametrize("name", sorted(ROOT.commands))
def test_every_top_level_command_has_a_help_panel(name):
    assert name in PANEL_OF, f"add leadcap {name} to a panel in leadcap/cli/__init__.py"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_summary_is_one_short_line(path, command):
    summary = inspect.cleandoc(command.help or "").split("\n\n")[0]
    assert "\n" not in summary and len(summary) <= 80, summary


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_shows_no_type_labels(cli, path, command):
    result = cli(*path, "--help")
    assert "<" not in result.stdout.replace("<=", ""), result.stdout


def test_top_level_help_lists_panels_in_task_order(cli):
    out = cli("--help").stdout
    positions = [out.index(panel) for panel in ("At the booth", "Leads", "After the fair")]
    assert positions == sorted(positions)
