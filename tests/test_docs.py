"""Every command has help text and a README example: a command nobody can find is a bug."""

import re
from pathlib import Path

import pytest
import typer.main

from leadcap.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def command_paths(group=None, prefix=()):
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path, command
        if hasattr(command, "commands"):
            yield from command_paths(command, path)


COMMANDS = list(command_paths())


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help(path, command):
    assert (command.help or "").strip(), f"leadcap {' '.join(path)} has no help text"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_is_in_readme(path):
    pattern = r"leadcap (--db \S+ )?" + re.escape(" ".join(path)) + r"\b"
    assert re.search(pattern, README), f"README.md has no example of leadcap {' '.join(path)}"


def test_readme_quick_start_has_two_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.S)
    assert len(blocks) == 2
    assert "pip install" in blocks[0] and "leadcap " in blocks[0]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command():
    quick = README.split("## Quick start", 1)[1]
    test_command = re.findall(r"```sh\n(.*?)```", quick, re.S)[1].strip()
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert test_command in ci
