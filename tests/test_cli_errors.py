"""Inputs that used to end in a traceback or a loop: one line, exit 1 or 2."""

import sqlite3
import subprocess
import sys

import pytest

from leadcap.store import leads as lead_store


@pytest.mark.parametrize("period", ["10000y", "99999m", "99999999999d", "999999999999w"])
def test_purge_with_a_period_before_the_year_1_is_refused(cli, period):
    cli("add", "--company", "ACME")
    result = cli("purge", "--older-than", period, "--yes", code=2)
    assert result.stderr.startswith("Error: ") and "before the year 1" in result.stderr


def test_a_limit_beyond_64_bits_is_one_line(cli):
    cli("add", "--company", "ACME")
    result = cli("list", "--limit", "9223372036854775808", code=2)
    assert "Invalid value for '--limit'" in result.stderr
    assert "less than or equal to 9223372036854775807" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_raw_sqlite_error_names_the_database(cli, db_path, monkeypatch):
    cli("add", "--company", "ACME")

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(lead_store, "iter_leads", locked)
    result = cli("list", code=1)
    assert result.stderr == (
        f"Error: {db_path} is locked by another leadcap process for too long."
        " Wait for it to finish (or close it) and try again.\n"
    )


def test_an_argument_that_is_not_utf8_is_refused(cli):
    result = cli("find", "caf\udce9", code=2)
    assert result.stderr.startswith("Error: The argument caf\\udce9 is not valid UTF-8 text")


def test_non_utf8_bytes_on_the_command_line_are_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "leadcap", "find", b"caf\xe9"],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(b"Error: The argument caf\\udce9 is not valid UTF-8 text")
    assert done.stderr.count(b"\n") == 1


def test_a_file_name_that_is_not_utf8_is_one_line(tmp_path):
    folder = bytes(tmp_path)
    name = folder + b"/caf\xe9.csv"
    with open(name, "wb") as handle:
        handle.write(b"Badge ID,Name\nB-1,Anna\n")
    done = subprocess.run(
        [sys.executable, "-m", "leadcap", "attendees", "import", name],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode in (0, 2), done.stderr
    assert b"Traceback" not in done.stderr and b"Unexpected" not in done.stderr
