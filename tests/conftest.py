"""Every test gets its own app folder and database, so no test touches real data, and
output is plain (no colour, fixed width) so it is stable to assert on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from leadcap.cli import app
from leadcap.store.database import open_store


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADCAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEADCAP_DB", str(tmp_path / "leads.db"))
    monkeypatch.setenv("LEADCAP_STAFF", "anna")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    monkeypatch.delenv("LEADCAP_DEBUG", raising=False)
    return tmp_path


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "leads.db"


@pytest.fixture
def store(db_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    yield store
    store.close()


class Cli:
    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, code: int = 0):
        result = self.runner.invoke(app, list(args), input=input)
        output = result.output + (result.stderr if result.stderr_bytes else "")
        assert result.exit_code == code, output
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def cli():
    return Cli()


def run_unprivileged(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """Run `leadcap ARGS` in a child process that file permissions bind. CI runs as root,
    and root ignores permission bits only through CAP_DAC_OVERRIDE: dropping it (and
    CAP_DAC_READ_SEARCH) from the child's bounding set makes a 0500 folder unwritable to it."""
    command = [sys.executable, "-m", "leadcap", *args]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(command, input=input, capture_output=True, text=True, timeout=120)


@pytest.fixture
def unprivileged():
    return run_unprivileged


@pytest.fixture
def fair(store, monkeypatch):
    """The fair of tests/fair_data.py, with the clock stopped at its NOW (also for CLI
    commands run in-process). Test modules with a fair of their own override this."""
    from fair_data import NOW, build_fair

    from leadcap.store.database import Store

    monkeypatch.setattr(Store, "now", lambda self: NOW.astimezone(self.zone()))
    return build_fair(store)


class MinuteClock:
    """A store clock for simulated laptops: each call is one minute later, so changes on
    different laptops have a clear order."""

    def __init__(self):
        from datetime import datetime

        self.moment = datetime.fromisoformat("2026-12-09T10:00:00+09:00")

    def __call__(self):
        from datetime import timedelta

        self.moment += timedelta(minutes=1)
        return self.moment


@pytest.fixture
def minute_clock():
    return MinuteClock()


@pytest.fixture
def laptop(tmp_path, minute_clock):
    """Simulated laptops: `laptop("laptop-a")` opens tmp_path/laptop-a.db as that device,
    on one minute clock shared by all of them (`tick=False`: the real clock)."""
    from leadcap.store.database import open_store

    opened = []

    def make(device: str, staff: str | None = None, *, tick: bool = True):
        store = open_store(tmp_path / f"{device}.db", staff=staff or device, device=device)
        if tick:
            store.now = minute_clock
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
