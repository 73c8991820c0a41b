import json
import types
import typing

import pytest

from leadcap.store import model
from leadcap.store.leads import JSON_KEYS

CONTRACT = {
    "id", "uuid", "event", "badge_id", "given_name", "family_name", "full_name", "name_reading",
    "company", "department", "title", "email", "phone", "mobile", "website", "street", "city",
    "postal_code", "country", "notes", "rating", "tags", "consent", "captured_by", "device",
    "captured_at", "updated_at", "source", "raw_payload", "needs_review", "review_reasons",
    "visits",
}  # fmt: skip


def add(cli, *args):
    return int(cli("add", *args).stdout.strip())


def test_add_prints_the_new_id(cli):
    assert add(cli, "--family-name", "山田") == 1
    assert add(cli, "--company", "Fraunhofer") == 2


def test_json_contract(cli):
    cli("init", "--event", "nano tech 2027", "--timezone", "Asia/Tokyo")
    lead = cli.json(
        "add",
        "--family-name",
        "山田",
        "--tag",
        "AI",
        "--rating",
        "hot",
        "--consent",
        "followup",
        "--email",
        "yamada@example.jp",
    )
    assert CONTRACT <= set(lead) and set(lead) == set(JSON_KEYS)
    assert lead["event"] == "nano tech 2027"
    assert lead["tags"] == ["AI"] and lead["rating"] == "hot" and lead["source"] == "manual"
    assert lead["consent"] == {
        "followup": "granted",
        "marketing": "not_asked",
        "share": "not_asked",
    }
    assert lead["captured_at"].endswith("+09:00") and lead["visits"] == 1
    assert lead["needs_review"] is False and lead["review_reasons"] == []


def _fits(value, hint) -> bool:
    """Whether a JSON value has the type a `model.Lead` annotation gives its key."""
    if typing.get_origin(hint) is types.UnionType:
        return any(_fits(value, option) for option in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        return isinstance(value, list) and all(_fits(v, typing.get_args(hint)[0]) for v in value)
    if typing.get_origin(hint) is dict:
        key, item = typing.get_args(hint)
        return isinstance(value, dict) and all(
            _fits(k, key) and _fits(v, item) for k, v in value.items()
        )
    return isinstance(value, hint)


def test_lead_type_holds_every_contact_field_in_order():
    assert [key for key in JSON_KEYS if key in model.LEAD_FIELDS] == list(model.LEAD_FIELDS)
    assert set(model.EDITABLE_FIELDS) <= set(JSON_KEYS)


def test_show_json_has_exactly_the_lead_type_keys(cli):
    cli("add", "--family-name", "山田", "--tag", "AI", "--consent", "followup", "--phone", "x")
    cli("questions", "add", "Cooperation", "--type", "multi", "--choices", "R&D,Job")
    cli("questions", "add", "Staff", "--type", "number")
    cli("answer", "1", "Cooperation", "R&D")
    cli("answer", "1", "Staff", "12")
    lead = cli.json("show", "1")
    assert lead["answers"] == {"Cooperation": ["R&D"], "Staff": 12}
    hints = typing.get_type_hints(model.Lead)
    assert list(lead) == list(hints) == list(JSON_KEYS)
    assert {key for key, value in lead.items() if not _fits(value, hints[key])} == set()


def test_add_with_bad_email_saves_and_warns(cli):
    result = cli("add", "--email", "taro@@x")
    assert "flagged for review" in result.stderr
    assert cli.json("show", "1")["needs_review"] is True


def test_add_with_nothing_is_a_usage_error(cli):
    result = cli("add", code=2)
    assert "Nothing to add" in result.stderr


def test_list_is_newest_first_and_tab_separated(cli):
    add(cli, "--company", "First")
    add(cli, "--company", "Second")
    lines = cli("list").stdout.splitlines()
    assert lines[0].split("\t")[:4] == ["id", "captured", "name", "company"]
    assert [line.split("\t")[3] for line in lines[1:]] == ["Second", "First"]


def test_list_filters(cli):
    add(cli, "--company", "A", "--tag", "AI", "--rating", "hot", "--exhibitor", "ACME")
    add(cli, "--company", "B", "--rating", "cold", "--email", "bad@")
    assert [x["company"] for x in cli.json("list", "--tag", "AI")] == ["A"]
    assert [x["company"] for x in cli.json("list", "--rating", "cold")] == ["B"]
    assert [x["company"] for x in cli.json("list", "--exhibitor", "ACME")] == ["A"]
    assert [x["company"] for x in cli.json("list", "--review")] == ["B"]
    assert [x["company"] for x in cli.json("list", "--staff", "anna", "--limit", "1")] == ["B"]
    assert cli.json("list", "--since", "today", "--until", "today") != []
    assert cli.json("list", "--until", "2020-01-01") == []


def test_show_plain(cli):
    add(cli, "--family-name", "Müller", "--given-name", "Jan")
    assert "name\tJan Müller" in cli("show", "1").stdout


def test_edit_tag_rate_note(cli):
    add(cli, "--company", "ACME")
    cli("edit", "1", "--company", "ACME GmbH", "--status", "meeting", "--due", "2026-12-20")
    cli("tag", "1", "AI", "Sensors")
    cli("tag", "1", "Sensors", "--remove")
    cli("rate", "1", "warm")
    cli("note", "1", "send the brochure")
    lead = cli.json("show", "1")
    assert (lead["company"], lead["status"], lead["due"]) == ("ACME GmbH", "meeting", "2026-12-20")
    assert lead["tags"] == ["AI"] and lead["rating"] == "warm"
    assert lead["notes"].endswith("anna] send the brochure")


def test_edit_reviewed_clears_flag(cli):
    add(cli, "--email", "taro@x")
    assert cli.json("edit", "1", "--reviewed")["needs_review"] is False


def test_delete_restore(cli):
    add(cli, "--company", "ACME")
    assert "Deleted lead 1" in cli("delete", "1").stdout
    assert cli.json("list") == []
    assert [x["id"] for x in cli.json("list", "--deleted")] == [1]
    cli("restore", "1")
    assert [x["id"] for x in cli.json("list")] == [1]


def test_history_and_undo(cli):
    add(cli, "--company", "ACME")
    cli("edit", "1", "--company", "ACME GmbH")
    history = cli.json("history", "1")
    assert (history[-1]["field"], history[-1]["old_value"], history[-1]["new_value"]) == (
        "company",
        "ACME",
        "ACME GmbH",
    )
    assert "Undid company on lead 1" in cli("undo").stdout
    assert cli.json("show", "1")["company"] == "ACME"
    assert "(undone)" in cli("history", "1").stdout
    cli("undo")
    assert "Nothing to undo" in cli("undo", code=1).stderr


def test_find_japanese(cli):
    add(cli, "--family-name", "山田", "--name-reading", "ﾔﾏﾀﾞ")
    add(cli, "--family-name", "Schmidt")
    assert [x["family_name"] for x in cli.json("find", "やまだ")] == ["山田"]
    assert [x["family_name"] for x in cli.json("find", "山")] == ["山田"]


def test_tags_list_rename_merge(cli):
    add(cli, "--company", "A", "--tag", "KI")
    add(cli, "--company", "B", "--tag", "AI", "--tag", "Sensors")
    cli("tags", "merge", "KI", "AI")
    cli("tags", "rename", "Sensors", "Sensorik")
    assert cli.json("tags") == [
        {"tag": "AI", "leads": 2, "predefined": False},
        {"tag": "Sensorik", "leads": 1, "predefined": False},
    ]
    assert "AI\t2" in cli("tags").stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "99"], 1, "Error: No lead with id 99."),
        (["rate", "99", "hot"], 1, "No lead with id 99"),
        (["add", "--company", "X", "--rating", "lukewarm"], 2, "Unknown rating 'lukewarm'"),
        (["list", "--since", "2026-02-30"], 2, "--since '2026-02-30' is not a date"),
        (["edit", "1", "--due", "2026-13-01"], 2, "is not a date"),
        (["add", "--company", "X", "--consent", "newsletter"], 2, "Unknown consent purpose"),
        (["tags", "merge", "nope", "AI"], 1, "No tag 'nope'"),
        (["config", "set", "colour", "blue"], 2, "Unknown setting 'colour'"),
        (["init", "--timezone", "Mars/Olympus"], 2, "Unknown time zone"),
    ],
)
def test_bad_input_is_one_line_without_traceback(cli, args, code, message):
    cli("add", "--company", "ACME")
    result = cli(*args, code=code)
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_not_a_database(cli, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n" * 50)
    result = cli("--db", str(path), "list", code=1)
    assert "is not a leadcap database" in result.stderr


def test_folder_that_cannot_be_created(cli, tmp_path):
    blocker = tmp_path / "usb-stick"
    blocker.write_text("a file where a folder should be")
    result = cli("--db", str(blocker / "fair" / "leads.db"), "add", "--company", "X", code=1)
    assert "does not exist (is the drive mounted?)" in result.stderr


def test_unwritable_folder(unprivileged, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = unprivileged("--db", str(folder / "leads.db"), "add", "--company", "ACME")
    finally:
        folder.chmod(0o700)
    assert result.returncode == 1 and "not writable" in result.stderr


def test_lock_held_too_long(cli, db_path, monkeypatch):
    import sqlite3

    cli("add", "--company", "ACME")
    monkeypatch.setenv("LEADCAP_BUSY_TIMEOUT", "0.2")
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        result = cli("add", "--company", "B", code=1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "locked by another leadcap process" in result.stderr
    assert [x["company"] for x in cli.json("list")] == ["ACME"]  # nothing half-written


def test_corrupt_database(cli, db_path):
    cli("add", "--company", "ACME")
    data = bytearray(db_path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    db_path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    result = cli("list", code=1)
    assert "Error:" in result.stderr and "Traceback" not in result.stderr


def test_json_output_is_parseable_with_japanese(cli):
    add(cli, "--family-name", "山田")
    data = json.loads(cli("list", "--json").stdout)
    assert data[0]["family_name"] == "山田"


def test_output_into_a_closed_pipe_is_quiet(store, db_path):
    import os
    import subprocess
    import sys

    from leadcap.store import leads

    with store.transaction():  # more output than a pipe buffers, so `head` leaves mid-write
        for i in range(3000):
            leads.add_lead(store, {"company": f"Company {i}", "email": f"p{i}@example.jp"})
    env = {**os.environ, "LEADCAP_DB": str(db_path)}
    result = subprocess.run(
        f"{sys.executable} -m leadcap list | head -1",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.stdout.startswith("id\t")
    assert result.stderr == ""


def test_values_that_look_like_rich_markup_are_shown_as_typed(cli, monkeypatch):
    from leadcap.cli import common

    monkeypatch.setattr(common, "is_terminal", lambda: True)
    cli("add", "--company", "[/x] [bold]ACME[/bold]")
    assert "[/x] [bold]ACME[/bold]" in cli("list").stdout


def test_find_by_full_name_of_a_manual_add(cli):
    add(cli, "--family-name", "山田", "--given-name", "太郎")
    add(cli, "--given-name", "Jan", "--family-name", "Müller")
    assert [x["family_name"] for x in cli.json("find", "山田太郎")] == ["山田"]
    assert [x["family_name"] for x in cli.json("find", "Jan Müller")] == ["Müller"]


def test_renamed_predefined_tag_is_shown_in_config(cli):
    cli("config", "set", "tags", "AI,Materials")
    cli("tags", "rename", "Materials", "Werkstoffe")
    assert cli.json("config", "show")["tags"] == ["AI", "Werkstoffe"]


def test_a_forgotten_person_is_not_added_silently(cli):
    cli("add", "--family-name", "Forgetme", "--email", "forget@x.de")
    cli("forget", "forget@x.de", "--yes")
    result = cli("add", "--family-name", "Forgetme", "--email", " Forget@X.de ", code=1)
    assert "asked to be forgotten" in result.stderr and "--force" in result.stderr
    assert cli.json("list") == []
    cli("add", "--family-name", "Forgetme", "--email", "forget@x.de", "--force")
    assert len(cli.json("list")) == 1


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("no lead with id 9", "No lead with id 9"),
        ("vCard version 5 is unknown", "vCard version 5 is unknown"),
        ("usb/leads.db cannot be restored", "usb/leads.db cannot be restored"),
    ],
)
def test_error_sentences_keep_names_as_written(message, shown):
    from leadcap.cli.common import sentence_case

    assert sentence_case(message) == shown


def test_error_naming_an_existing_folder_keeps_its_case(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    assert "Error: out is a folder" in cli("--db", "out", "list", code=1).stderr


def test_restoring_a_live_lead_says_so(cli):
    add(cli, "--company", "ACME")
    assert "is not deleted" in cli("restore", "1").stdout
    assert [c["command"] for c in cli.json("history", "1")].count("restore") == 0


def test_rate_help_mentions_none(cli):
    result = cli("rate", "--help")
    assert "clear its rating with none" in " ".join(result.output.split())


def test_find_badge_phone_and_kanji_variant(cli):
    cli("add", "--family-name", "髙橋", "--badge-id", "NT27-000123", "--phone", "+81 90 1234 5678")
    for query in ("高橋", "NT27-000123", "090-1234-5678"):
        assert [x["family_name"] for x in cli.json("find", query)] == ["髙橋"]


@pytest.mark.parametrize(
    ("args", "full_name"),
    [
        (["--family-name", "山田"], "山田"),
        (["--given-name", "Jan"], "Jan"),
        (["--family-name", "Weber", "--given-name", "Jan"], "Jan Weber"),
        (["--company", "ACME"], None),
    ],
)
def test_json_full_name_is_the_displayed_name(cli, args, full_name):
    cli("add", *args)
    assert cli.json("show", "1")["full_name"] == full_name
    assert cli.json("list")[0]["full_name"] == full_name


def test_list_and_worklist_name_badge_only_and_unreadable_scans(cli):
    cli("scan", input="NT27-000123\n?? noise ??\n")
    listed = cli("list").stdout
    assert "badge NT27-000123" in listed and "(unreadable scan) ?? noise ??" in listed
    worklist = cli("followup").stdout
    assert "badge NT27-000123" in worklist and "(unreadable scan) ?? noise ??" in worklist
