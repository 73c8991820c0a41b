"""One filter set for list, export, stats and debrief: the same options, the same leads."""

import pytest
import typer.main

from leadcap.cli import app
from leadcap.cli.common import FILTER_OPTIONS
from leadcap.store.leads import LeadFilter, iter_leads

ROOT = typer.main.get_command(app)
FILTER_FLAGS = {f"--{name.replace('_', '-')}" for name in FILTER_OPTIONS}


def options_of(*path: str) -> set[str]:
    command = ROOT
    for name in path:
        command = command.commands[name]
    return {opt for param in command.params for opt in param.opts}


@pytest.mark.parametrize(
    "path", [("list",), ("export", "xlsx"), ("export", "csv"), ("export", "vcf"), ("stats",)]
)
def test_every_listing_command_has_the_whole_filter_set(path):
    assert FILTER_FLAGS <= options_of(*path)


def test_debrief_has_the_filters_but_its_own_day():
    assert FILTER_FLAGS - {"--since", "--until"} <= options_of("debrief")
    assert "--since" not in options_of("debrief")


@pytest.fixture
def three(cli):
    cli("add", "--company", "A", "--consent", "followup", "--exhibitor", "ACME")
    cli("add", "--company", "B", "--exhibitor", "ACME")
    cli("add", "--company", "C")
    cli("followup", "assign", "2", "ken")
    cli("edit", "3", "--status", "contacted")


@pytest.mark.parametrize(
    ("args", "companies"),
    [
        (["--consent", "followup"], ["A"]),
        (["--owner", "ken"], ["B"]),
        (["--status", "contacted"], ["C"]),
        (["--exhibitor", "acme"], ["B", "A"]),
    ],
)
def test_list_filters_by_consent_owner_and_status(cli, three, args, companies):
    assert [x["company"] for x in cli.json("list", *args)] == companies


def test_stats_counts_only_the_filtered_leads(cli, three):
    assert cli.json("stats", "--exhibitor", "ACME")["total"] == 2
    assert cli.json("stats", "--consent", "followup")["total"] == 1
    assert cli.json("stats")["total"] == 3


def test_debrief_counts_only_the_filtered_leads(cli, three):
    assert cli.json("debrief", "--owner", "ken")["new_leads"] == 1


def test_export_takes_the_same_leads_as_list(cli, three, tmp_path):
    cli("export", "csv", "-o", str(tmp_path / "a.csv"), "--status", "contacted")
    rows = (tmp_path / "a.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 2 and '"C"' in rows[1]


def test_a_bad_filter_value_is_refused_once_for_all(cli, store):
    for command in (["list"], ["stats"], ["export", "csv", "-o", "x.csv"]):
        result = cli(*command, "--consent", "newsletter", code=2)
        assert "Unknown consent purpose 'newsletter'" in result.stderr


def test_lead_filter_checks_its_values():
    with pytest.raises(Exception, match="unknown rating"):
        LeadFilter(rating="lukewarm")


def test_owner_filter_matches_the_first_name(store):
    from leadcap.store import leads

    lead = leads.add_lead(store, {"company": "X"})
    leads.update_lead(store, lead["id"], {"owner": "Ken Sato"}, command="edit")
    assert [x["company"] for x in iter_leads(store, LeadFilter(owner="ken"))] == ["X"]
