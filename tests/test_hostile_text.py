"""Lead data that tries to drive the terminal (ANSI/OSC escapes) or to disguise a file
name (right-to-left override) is shown escaped and kept out of file names."""

import pytest

from leadcap.cli import common
from leadcap.export.safety import safe_filename

CLEAR = "\x1b[2J"
RETITLE = "\x1b]0;pwned\x07"


@pytest.fixture
def hostile(cli):
    cli("add", "--family-name", f"Evil{CLEAR}", "--company", f"ACME{RETITLE}", "--email",
        "e@example.com", "--notes", "line\x9bone")  # fmt: skip
    return cli


@pytest.mark.parametrize("terminal", [True, False])
def test_list_shows_escape_sequences_escaped(hostile, monkeypatch, terminal):
    monkeypatch.setattr(common, "is_terminal", lambda: terminal)
    out = hostile("list").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "Evil\\x1b[2J" in out and "ACME\\x1b]0;pwned\\x07" in out


def test_show_shows_escape_sequences_escaped(hostile, monkeypatch):
    monkeypatch.setattr(common, "is_terminal", lambda: True)
    out = hostile("show", "1").stdout
    assert "\x1b" not in out and "\x9b" not in out and "line\\x9bone" in out


def test_json_keeps_the_data_exact(hostile):
    assert hostile.json("list")[0]["family_name"] == f"Evil{CLEAR}"


def test_messages_naming_a_lead_are_escaped(hostile):
    out = hostile("delete", "1").stdout
    assert "\x1b" not in out and "Evil\\x1b[2J" in out


def test_scan_screen_shows_escapes_escaped(cli):
    result = cli("scan", input=f"MECARD:N:Bad{CLEAR},X;EMAIL:x@example.com;;\n")
    assert "\x1b" not in result.stderr and "\\x1b[2J" in result.stderr


def test_rtl_override_is_kept_out_of_file_names():
    name = safe_filename("invoice\u202egpj.exe")
    assert "\u202e" not in name and name == "invoice_gpj.exe"


def test_split_export_file_names_have_no_bidi_controls(cli, tmp_path):
    cli("add", "--company", "A", "--exhibitor", "Evil\u202egpj.exe")
    out = tmp_path / "out"
    cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(out))
    names = [p.name for p in out.iterdir()]
    assert names and not any("\u202e" in n for n in names)


def test_stats_show_escape_sequences_in_tags_escaped(cli):
    cli("add", "--company", "A", "--tag", f"AI{CLEAR}", "--exhibitor", f"X{RETITLE}")
    out = cli("stats").stdout
    assert "\x1b" not in out and "AI\\x1b[2J" in out
