"""One date parser for every date option: --since/--until/--date, edit --due, followup due."""

from __future__ import annotations

from datetime import datetime

import pytest

from leadcap.errors import UsageError
from leadcap.store import dates
from leadcap.store.leads import add_lead

NOW = datetime.fromisoformat("2026-12-10T15:00:00+09:00")


@pytest.fixture
def fixed(store, monkeypatch):
    monkeypatch.setattr(type(store), "now", lambda self: NOW)
    return store


@pytest.mark.parametrize(
    ("text", "day"),
    [("+3d", "2026-12-13"), ("+2w", "2026-12-24"), ("-1w", "2026-12-03"),
     ("today", "2026-12-10"), ("yesterday", "2026-12-09"), ("2027-01-05", "2027-01-05")],
)  # fmt: skip
def test_parse_day_forms(fixed, text, day):
    assert dates.parse_day(fixed, text, "--since").isoformat() == day


@pytest.mark.parametrize("text", ["20261209", "10.12.2026", "+3x", "soon"])
def test_parse_day_refuses_other_text(fixed, text):
    with pytest.raises(UsageError, match=r"is not a date\. Use YYYY-MM-DD"):
        dates.parse_day(fixed, text, "--since")


def test_edit_due_takes_relative_dates_like_followup_due(cli, fixed, monkeypatch):
    monkeypatch.setattr("leadcap.store.database.Store.now", lambda self: NOW)
    lead = add_lead(fixed, {"family_name": "Sato"})
    assert cli.json("edit", str(lead["id"]), "--due", "+3d")["due"] == "2026-12-13"
    cli("followup", "due", str(lead["id"]), "+1w")
    assert cli.json("show", str(lead["id"]))["due"] == "2026-12-17"
    assert cli.json("edit", str(lead["id"]), "--due", "none")["due"] is None


def test_since_takes_relative_dates(cli, store, monkeypatch):
    monkeypatch.setattr("leadcap.store.database.Store.now", lambda self: NOW)
    add_lead(store, {"family_name": "Old"}, captured_at="2026-12-01T10:00:00+09:00")
    add_lead(store, {"family_name": "New"}, captured_at="2026-12-08T10:00:00+09:00")
    assert [x["family_name"] for x in cli.json("list", "--since", "-3d")] == ["New"]
    assert [x["family_name"] for x in cli.json("list", "--until", "-1w")] == ["Old"]
