"""Every `leadcap ...` example in README.md parses with the real command-line parser, so
the README cannot drift from the options (a renamed option or a typo fails here)."""

import re
import shlex
from pathlib import Path

import pytest
import typer.main
from typer._click.exceptions import UsageError

from leadcap.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```(?:sh|bash|console)\n(.*?)```", text, re.S)


SEPARATORS = {"&&", "|", ";", "||", "&"}
TOKEN = re.compile(r"""'[^']*'|"(?:[^"\\]|\\.)*"|&&|\|\||[|;&<>]|[^\s'"|;&<>]+""")


def shell_words(line: str) -> list[tuple[str, bool]]:
    """(word, is_operator) pairs, quotes removed, as a POSIX shell would split the line."""
    words: list[tuple[str, bool]] = []
    end = -1
    for match in TOKEN.finditer(line):
        piece = match.group()
        operator = piece in SEPARATORS or piece in {"<", ">"}
        text = piece if operator else shlex.split(piece)[0] if piece[0] in "'\"" else piece
        if words and match.start() == end and not operator and not words[-1][1]:
            words[-1] = (words[-1][0] + text, False)
        else:
            words.append((text, operator))
        end = match.end()
    return words


def leadcap_commands(block: str) -> list[list[str]]:
    """The argument lists of every `leadcap` invocation in a shell block."""
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = []
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line)
        words = shell_words(line)
        for i, (word, operator) in enumerate(words):
            if word == "leadcap" and not operator and (i == 0 or words[i - 1][1]):
                args = []
                for token, is_operator in words[i + 1 :]:
                    if is_operator:
                        break
                    args.append(token)
                commands.append(args)
    return commands


EXAMPLES = [args for block in shell_blocks(README) for args in leadcap_commands(block)]


def parse(args: list[str]) -> None:
    """Parse like `leadcap ARGS` would, down to the last subcommand, without running it."""
    command = typer.main.get_command(app)
    ctx = command.make_context("leadcap", list(args))
    while hasattr(command, "resolve_command"):
        rest = ctx._protected_args + ctx.args
        if not rest:
            return
        _, command, rest = command.resolve_command(ctx, rest)
        assert command is not None
        ctx = command.make_context(command.name or "", rest, parent=ctx)


def test_readme_has_many_examples():
    assert len(EXAMPLES) > 50


@pytest.mark.parametrize("args", EXAMPLES, ids=[" ".join(a)[:60] for a in EXAMPLES])
def test_readme_example_parses(args):
    try:
        parse(args)
    except typer.Exit:
        pass  # --help, --version
    except UsageError as error:
        pytest.fail(f"leadcap {' '.join(args)}: {error.format_message()}")
