"""`leadcap merge` and `leadcap sync` from the command line."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pytest

from leadcap.store import leads
from leadcap.store.database import open_store


@pytest.fixture
def other(tmp_path):
    """A second laptop's database with two leads."""
    store = open_store(tmp_path / "laptop-b.db", staff="kenji", device="laptop-b")
    store.now = lambda: datetime.fromisoformat("2024-12-09T10:00:00+09:00")  # before the test
    leads.add_lead(store, {"company": "ACME", "badge_id": "B-1"}, tags=["AI"])
    leads.add_lead(store, {"company": "Beta KK", "email": "sato@beta.jp"})
    store.close()
    return tmp_path / "laptop-b.db"


def companies(cli) -> list[str]:
    return sorted(lead["company"] for lead in cli.json("list"))


def test_merge_prints_what_it_added_updated_and_linked(cli, other):
    cli("add", "--company", "ACME Japan", "--badge-id", "b-1")
    result = cli("merge", str(other))
    assert "Merged laptop-b.db: 1 added, 0 updated, 1 linked." in result.stdout
    assert companies(cli) == ["ACME Japan", "Beta KK"]


def test_merge_json_counts(cli, other):
    data = cli.json("merge", str(other))
    assert [(m["added"], m["updated"], m["linked"]) for m in data["merged"]] == [(2, 0, 0)]
    again = cli.json("merge", str(other))
    assert [(m["added"], m["updated"], m["linked"]) for m in again["merged"]] == [(0, 0, 0)]


def test_merge_dry_run_writes_nothing(cli, other, tmp_path):
    cli("add", "--company", "Local")
    result = cli("merge", "--dry-run", str(other))
    assert "Would merge laptop-b.db: 2 added" in result.stdout
    assert companies(cli) == ["Local"]
    assert not (tmp_path / "leads-backups").exists()


def test_merge_makes_a_backup_first(cli, other, tmp_path):
    cli("add", "--company", "Local")
    cli("merge", str(other))
    assert [p.name.endswith("-merge.db") for p in (tmp_path / "leads-backups").iterdir()] == [True]


def test_a_foreign_file_is_skipped_when_another_merges(cli, other, tmp_path):
    foreign = tmp_path / "contacts.csv"
    foreign.write_text("name,company\nKen,ACME\n")
    result = cli("merge", str(foreign), str(other))
    assert "Skipped: " in result.stderr
    assert "contacts.csv is not a leadcap database" in result.stderr
    assert companies(cli) == ["ACME", "Beta KK"]


def test_merge_exits_1_when_nothing_could_be_merged(cli, tmp_path):
    foreign = tmp_path / "contacts.csv"
    foreign.write_text("name,company\nKen,ACME\n")
    result = cli("merge", str(foreign), code=1)
    assert "Error: No file could be merged" in result.stderr


def test_merge_refuses_this_laptops_own_database(cli, db_path):
    cli("add", "--company", "Local")
    result = cli("merge", str(db_path), code=1)
    assert "this laptop's own database" in result.stderr


def laptop_env(monkeypatch, tmp_path, name: str) -> None:
    monkeypatch.setenv("LEADCAP_HOME", str(tmp_path / f"home-{name}"))
    monkeypatch.setenv("LEADCAP_DB", str(tmp_path / f"{name}.db"))


def test_sync_in_turn_gives_every_laptop_the_same_leads(cli, tmp_path, monkeypatch):
    share = tmp_path / "usb"
    seen = {}
    for name, company in (("one", "ACME"), ("two", "Beta KK"), ("three", "Gamma AG")):
        laptop_env(monkeypatch, tmp_path, name)
        cli("add", "--company", company)
        cli("sync", str(share))
    for name in ("one", "two", "three"):
        laptop_env(monkeypatch, tmp_path, name)
        cli("sync", str(share))
        seen[name] = {(lead["uuid"], lead["company"]) for lead in cli.json("list")}
    assert len(seen["one"]) == 3
    assert seen["one"] == seen["two"] == seen["three"]
    assert len(list(share.glob("leadcap-*.db"))) == 3


def test_sync_skips_half_copied_and_foreign_files(cli, other, tmp_path):
    share = tmp_path / "usb"
    share.mkdir()
    data = other.read_bytes()
    (share / "leadcap-laptop-b.db").write_bytes(data)
    (share / "leadcap-laptop-c.db").write_bytes(data[: len(data) // 3])
    (share / ".leadcap-laptop-d.db.partial").write_bytes(data[:100])
    (share / "notes.txt").write_text("hello")
    cli("add", "--company", "Local")
    result = cli("sync", str(share))
    assert "Merged leadcap-laptop-b.db: 2 added" in result.stdout
    assert "leadcap-laptop-c.db" in result.stderr and ".partial is still being written" in (
        result.stderr
    )
    assert "notes.txt is not a leadcap snapshot" in result.stderr
    assert companies(cli) == ["ACME", "Beta KK", "Local"]


def test_sync_json_names_the_snapshot(cli, tmp_path):
    cli("add", "--company", "Local")
    data = json.loads(cli("sync", str(tmp_path / "usb"), "--json").stdout)
    assert data["merged"] == [] and data["snapshot"].endswith(".db")
    assert (tmp_path / "usb" / data["snapshot"].rsplit("/", 1)[-1]).exists()


def test_sync_with_nothing_new_says_so_and_leaves_the_snapshot(cli, tmp_path, monkeypatch):
    share = tmp_path / "usb"
    for name in ("one", "two"):
        laptop_env(monkeypatch, tmp_path, name)
        cli("add", "--company", name)
        cli("sync", str(share))
    laptop_env(monkeypatch, tmp_path, "one")
    cli("sync", str(share))
    snapshot = next(share.glob("leadcap-*.db"))
    before = snapshot.stat().st_mtime_ns
    backups = sorted((tmp_path / "one-backups").iterdir())
    result = cli("sync", str(share))
    assert result.stdout == (
        "Nothing new: this laptop's snapshot is up to date and the 1 other snapshot(s) hold"
        " nothing new.\n"
    )
    assert snapshot.stat().st_mtime_ns == before
    assert sorted((tmp_path / "one-backups").iterdir()) == backups
    assert cli.json("sync", str(share))["nothing_new"] is True


def test_sync_publishes_again_after_a_change(cli, tmp_path):
    share = tmp_path / "usb"
    cli("add", "--company", "ACME")
    cli("sync", str(share))
    cli("add", "--company", "Beta KK")
    data = cli.json("sync", str(share))
    assert data["published"] is True and data["nothing_new"] is False


def test_cloned_laptops_with_one_device_id_are_told_apart(cli, tmp_path, monkeypatch):
    share = tmp_path / "usb"
    monkeypatch.setenv("LEADCAP_HOME", str(tmp_path / "image"))
    monkeypatch.setenv("LEADCAP_DB", str(tmp_path / "one.db"))
    cli("add", "--company", "ACME")  # the prepared image: its config holds the device id
    cli("sync", str(share))
    shutil.copytree(tmp_path / "image", tmp_path / "clone")
    laptop_env(monkeypatch, tmp_path, "two")
    monkeypatch.setenv("LEADCAP_HOME", str(tmp_path / "clone"))
    cli("add", "--company", "Beta KK")
    result = cli("sync", str(share))
    old = json.loads((tmp_path / "image" / "config.json").read_text())["device"]
    new = json.loads((tmp_path / "clone" / "config.json").read_text())["device"]
    assert new != old
    assert f"another laptop uses this laptop's device id {old}" in result.stderr
    assert f"This laptop is now {new}" in result.stderr
    assert "Merged leadcap-" in result.stdout and "1 added" in result.stdout
    assert sorted(p.name for p in share.glob("leadcap-*.db")) == sorted(
        [f"leadcap-{old}.db", f"leadcap-{new}.db"]
    )
    monkeypatch.setenv("LEADCAP_HOME", str(tmp_path / "image"))
    monkeypatch.setenv("LEADCAP_DB", str(tmp_path / "one.db"))
    cli("sync", str(share))
    assert companies(cli) == ["ACME", "Beta KK"]
    cli("add", "--company", "Gamma AG")
    cli("undo")  # undo on the first laptop takes back its own add, nothing of the clone's
    assert companies(cli) == ["ACME", "Beta KK"]


def test_scan_rating_default_does_not_beat_a_rating_given_on_another_laptop(cli, tmp_path):
    store = open_store(tmp_path / "laptop-c.db", staff="kenji", device="laptop-c")
    store.now = lambda: datetime.fromisoformat("2024-12-09T10:00:00+09:00")  # earlier
    leads.add_lead(store, {"email": "sato@beta.jp"}, rating="hot")
    store.close()
    cli("scan", "--rating", "warm", input="MECARD:N:Sato,Ken;EMAIL:sato@beta.jp;;\n")
    history = cli.json("history", "1")
    assert ("rating_default", "warm") in [(c["field"], c["new_value"]) for c in history]
    cli("merge", str(tmp_path / "laptop-c.db"))
    assert [lead["rating"] for lead in cli.json("list")] == ["hot"]
