"""`leadcap --help` groups commands by task, every summary fits on one line, and value
labels are words (PATH, TAG), not type names (`<list[str]>`)."""

import inspect
import json
import os
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from leadcap.cli import PANEL_OF, app, app_for

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


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_the_command_alone_behaves_as_in_the_whole_app(path, command):
    """`leadcap NAME` builds only NAME (start-up); its help and its errors are unchanged."""
    runner = CliRunner()
    single = app_for(list(path))
    assert single is not app
    for args in ([*path, "--help"], [*path, "--no-such-option"]):
        whole, alone = runner.invoke(app, args), runner.invoke(single, args)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize(
    "args", [[], ["--help"], ["--version"], ["lsit"], ["--db", "x.db"], ["--db", "x.db", "--help"]]
)
def test_help_version_and_unknown_names_get_the_whole_app(args):
    assert app_for(args) is app


def test_db_option_before_the_command_is_skipped():
    assert app_for(["--db", "x.db", "list"]).registered_commands[0].callback.__name__ == "list_"
    assert app_for(["--db=x.db", "tags", "list"]).registered_groups[0].name == "tags"


def test_a_real_process_runs_the_command_alone(tmp_path):
    env = {**os.environ, "LEADCAP_DB": str(tmp_path / "l.db"), "LEADCAP_HOME": str(tmp_path)}
    env["LEADCAP_STAFF"] = "Anna"
    run = [sys.executable, "-m", "leadcap"]
    added = subprocess.run([*run, "add", "--family-name", "山田"], env=env, capture_output=True)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([*run, "list", "--json"], env=env, capture_output=True, text=True)
    assert [lead["family_name"] for lead in json.loads(listed.stdout)] == ["山田"]
    typo = subprocess.run([*run, "lsit"], env=env, capture_output=True, text=True)
    assert typo.returncode == 2 and "list" in typo.stderr
