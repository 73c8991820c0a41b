"""Windows consoles have no termios, tty or fcntl. No Windows machine is at hand, so a
child Python with those modules made unavailable imports leadcap, shows every command's
help, runs the everyday commands, and drives the booth screen's loop with scripted keys."""

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import sys
    import time
    for name in ("termios", "tty", "fcntl"):
        sys.modules[name] = None  # `import termios` now raises ImportError

    import click
    import typer
    from typer.testing import CliRunner

    from leadcap.cli import app

    runner = CliRunner()
    root = typer.main.get_command(app)

    def paths(group, prefix):
        for name, command in group.commands.items():
            yield prefix + [name]
            if isinstance(command, click.Group):
                yield from paths(command, prefix + [name])

    helped = 0
    for path in paths(root, []):
        result = runner.invoke(app, path + ["--help"])
        assert result.exit_code == 0, (path, result.output)
        helped += 1

    everyday = [
        ["init", "--event", "fair", "--tags", "AI,Sensors"],
        ["add", "--family-name", "Weber", "--email", "jan@acme.de"],
        ["list"], ["find", "Weber"], ["info"], ["stats"], ["history", "1"],
        ["export", "csv", "-o", sys.argv[1] + "/out.csv"],
    ]
    for args in everyday:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    result = runner.invoke(app, ["scan"], input="NT26-000001\\nLEADCAP:RATE:hot\\n")
    assert result.exit_code == 0 and "1 new leads" in result.output, result.output

    # The booth loop itself: scripted keys instead of a console, a plain display.
    from leadcap.cli.booth import Booth
    from leadcap.cli.scan import Session
    from leadcap.cli.screen import Display
    from leadcap.intake.capture import SessionDefaults
    from leadcap.intake.terminal import CTRL_C, BurstReader
    from leadcap.store.database import open_store

    class Script:
        # Keys in batches 0.3 s apart, as a scanner's burst and a person's keys arrive.

        closed = False
        idle = 0

        def __init__(self, batches):
            start = time.monotonic()
            self.batches = [(start + 0.3 * (i + 1), batch) for i, batch in enumerate(batches)]

        def wait(self, timeout):
            if not self.batches:
                self.idle += 1
                if self.idle > 20:
                    raise SystemExit("the loop did not stop at Ctrl-C")
                return False
            due = self.batches[0][0] - time.monotonic()
            if timeout is not None and due > timeout:
                time.sleep(timeout)
                return False
            time.sleep(max(0.0, due))
            return True

        def read(self):
            return self.batches.pop(0)[1]

        def flush(self):
            return []

    store = open_store(__import__("pathlib").Path(sys.argv[1]) / "leads.db", staff="a", device="d")
    keys = Script([list("ID=NT26-000002|NAME=Eva Roth\\r"), ["h"], [CTRL_C]])
    display = Display()
    with display:
        Booth(Session(store, interactive=True, as_json=False), SessionDefaults(), display).run(
            BurstReader(keys, burst_gap=0.01, line_gap=0.01)
        )
    from leadcap.store.leads import find
    assert find(store, "Eva Roth")[0]["rating"] == "hot"
    blocked = [m for m in ("termios", "tty", "fcntl") if sys.modules.get(m) is not None]
    assert not blocked, blocked
    print(f"ok {helped} commands")
    """
)


def test_every_command_runs_without_termios_tty_fcntl(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    helped = int(result.stdout.strip().splitlines()[-1].split()[1])
    assert helped >= 30
