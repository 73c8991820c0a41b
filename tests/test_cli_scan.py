import json

import pytest

MECARD = "MECARD:N:山田,太郎;SOUND:ﾔﾏﾀﾞ,ﾀﾛｳ;ORG:ナノテク株式会社;EMAIL:taro@example.jp;;"
VCARD = "BEGIN:VCARD\nVERSION:3.0\nN:Weber;Jan\nORG:ACME GmbH\nEMAIL:jan@acme.de\nEND:VCARD"


def test_piped_scans(cli):
    payloads = "\n".join(
        [MECARD, VCARD, "LEADCAP:RATE:hot", "MECARD:N:Y;EMAIL:TARO@example.jp;;", "?? noise ??", ""]
    )
    result = cli("scan", input=payloads)
    assert "5 scans, 3 new leads, 1 returning visitors, 1 to review" in result.stderr
    rows = {x["family_name"] or x["source"]: x for x in cli.json("list")}
    assert rows["Weber"]["rating"] == "hot"  # the command code acted on the vCard lead
    assert rows["山田"]["visits"] == 2 and rows["unknown"]["raw_payload"] == "?? noise ??"


def test_scan_from_file_with_session_defaults(cli, tmp_path):
    source = tmp_path / "payloads.txt"
    source.write_text(MECARD + "\n" + VCARD + "\n", encoding="utf-8")
    cli("scan", "--from", str(source), "--tag", "AI", "--rating", "warm", "--exhibitor", "ACME")
    assert [(x["tags"], x["rating"], x["exhibitor"]) for x in cli.json("list")] == [
        (["AI"], "warm", "ACME")
    ] * 2


def test_scan_json_lines(cli):
    result = cli("scan", "--json", input=MECARD + "\n")
    outcome = json.loads(result.stdout)
    assert outcome["kind"] == "new" and outcome["leads"][0]["source"] == "mecard"


def test_scan_missing_file(cli, tmp_path):
    result = cli("scan", "--from", str(tmp_path / "nope.txt"), code=1)
    assert "Error: Cannot read" in result.stderr


def test_scan_bad_rating_is_usage_error(cli):
    assert "Unknown rating" in cli("scan", "--rating", "tepid", input="", code=2).stderr


def test_recover_after_journal(cli, db_path):
    from leadcap.intake import capture
    from leadcap.store.database import open_store

    store = open_store(db_path, staff="anna", device="laptop-a")
    capture.append_journal(
        capture.journal_path(store), {"id": "x1", "type": "scan", "payload": MECARD}
    )
    store.close()
    assert "Recovered 1 journal entries (1 leads)" in cli("recover").stdout
    assert "0 journal entries (0 leads); 1 were already" in cli("recover").stdout
    assert len(cli.json("list")) == 1


def test_recover_without_journal(cli):
    assert "nothing to recover" in cli("recover").stdout


def test_scan_image_saves_each_code(cli, tmp_path):
    import qrcode

    qrcode.make(MECARD).save(tmp_path / "badge.png")
    result = cli("scan", "--image", str(tmp_path / "badge.png"))
    assert "1 new leads" in result.stderr
    lead = cli.json("list")[0]
    assert (lead["family_name"], lead["name_reading"], lead["source"]) == (
        "山田",
        "ヤマダ タロウ",
        "mecard",
    )


def test_scan_image_without_code_saves_nothing(cli, tmp_path):
    from PIL import Image

    Image.new("RGB", (200, 200), "white").save(tmp_path / "floor.png")
    result = cli("scan", "--image", str(tmp_path / "floor.png"), code=1)
    assert "no code found" in result.stderr and "Nothing was saved" in result.stderr
    assert cli.json("list") == []


def test_scan_image_folder_reports_non_images(cli, tmp_path):
    import qrcode

    qrcode.make("NT26-004211").save(tmp_path / "a.png")
    (tmp_path / "b.png").write_text("not an image")
    result = cli("scan", "--image", str(tmp_path))
    assert "b.png: not an image" in result.stderr
    assert [x["badge_id"] for x in cli.json("list")] == ["NT26-004211"]


def test_a_bad_command_code_does_not_end_the_session(cli):
    result = cli("scan", input="NT26-000001\nLEADCAP:RATE:hott\nLEADCAP:TAG:\nNT26-000002\n")
    assert "Unknown rating 'hott'" in result.stderr or "unknown rating 'hott'" in result.stderr
    assert sorted(x["badge_id"] for x in cli.json("list")) == ["NT26-000001", "NT26-000002"]


def test_json_lines_one_object_per_scan_errors_included(cli):
    result = cli("scan", "--json", input=MECARD + "\nLEADCAP:RATE:hott\n")
    kinds = [json.loads(line)["kind"] for line in result.stdout.splitlines()]
    assert kinds == ["new", "error"]


def test_codes_after_undo_go_to_the_newest_live_lead(cli):
    cli("scan", input="NT26-000071\nNT26-000070\nLEADCAP:UNDO\nLEADCAP:RATE:hot\n")
    leads = {x["badge_id"]: x for x in cli.json("list")}
    assert leads["NT26-000071"]["rating"] == "hot" and "NT26-000070" not in leads


def test_journaled_scan_is_reported_in_json(cli, db_path, monkeypatch):
    import sqlite3

    cli("add", "--company", "seed")
    monkeypatch.setenv("LEADCAP_BUSY_TIMEOUT", "0.2")
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        result = cli("scan", "--json", input="NT26-000020\n")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert json.loads(result.stdout)["kind"] == "journaled"
    cli("recover")
    lead = [x for x in cli.json("list") if x["badge_id"] == "NT26-000020"][0]
    assert lead["captured_at"].endswith("+09:00")  # the event's zone, not the laptop's


@pytest.fixture
def command_sheet(cli, tmp_path):
    cli("init", "--tags", "AI,Materials,Sensors")
    cli("qr", "commands", "-o", str(tmp_path / "sheet.png"))
    return tmp_path / "sheet.png"


def test_scan_image_of_the_command_sheet_lists_every_code_and_applies_none(cli, command_sheet):
    cli("add", "--badge-id", "NT26-000001")
    result = cli("scan", "--image", str(command_sheet))
    listed = [line for line in result.stderr.splitlines() if "LEADCAP:" in line]
    assert len(listed) == 10 and all("not applied (add --commands" in x for x in listed)
    lead = cli.json("list")[0]
    assert (lead["rating"], lead["tags"], lead["consent"]["followup"]) == (None, [], "not_asked")


def test_scan_image_commands_apply_codes_but_never_consent(cli, command_sheet, tmp_path):
    import qrcode

    photos = tmp_path / "photos"
    photos.mkdir()
    qrcode.make("ID=NT26-000002|NAME=Eva Roth").save(photos / "a-badge.png")
    command_sheet.rename(photos / "b-sheet.png")
    result = cli("scan", "--image", str(photos), "--commands")
    assert "a-badge.png: ID=NT26-000002|NAME=Eva Roth -> saved as lead #1" in result.stderr
    assert "LEADCAP:TAG:AI -> applied: tagged AI on lead 1" in result.stderr
    consent = [x for x in result.stderr.splitlines() if "LEADCAP:CONSENT" in x]
    assert len(consent) == 3
    assert all("consent is never recorded from a photo" in x for x in consent)
    lead = cli.json("list")[0]
    assert set(lead["consent"].values()) == {"not_asked"}
    assert "AI" in lead["tags"]


def test_piped_code_before_any_lead_of_the_session_does_nothing(cli):
    cli("scan", input="NT26-000001\n")  # an earlier session's lead
    result = cli("scan", input="LEADCAP:RATE:hot\n")
    assert "did nothing" in result.stderr
    assert cli.json("list")[0]["rating"] is None


def test_scan_staff_option_names_who_captured(cli):
    cli("scan", "--staff", "Ben", input="NT26-000001\n")
    assert cli.json("list")[0]["captured_by"] == "Ben"


def test_piped_vcard_cut_off_by_a_nested_begin_is_saved_raw_and_flagged(cli):
    broken = "BEGIN:VCARD\nVERSION:3.0\nN:Sato;Ken\nEMAIL:ken@example.jp"
    result = cli("scan", input="\n".join([broken, VCARD, MECARD, "NT27-000123", ""]))
    assert "4 scans, 4 new leads" in result.stderr
    leads = {x["family_name"] or x["badge_id"]: x for x in cli.json("list")}
    assert set(leads) == {"Sato", "Weber", "山田", "NT27-000123"}
    assert leads["Sato"]["raw_payload"] == broken
    assert leads["Sato"]["review_reasons"][0].startswith("vCard cut off: a new BEGIN:VCARD")
    assert not leads["Weber"]["needs_review"]


def test_a_failed_backup_before_the_session_warns_and_scanning_goes_on(cli, store, monkeypatch):
    from leadcap.errors import LeadcapError
    from leadcap.store import backups

    def no_room(store, reason):
        raise LeadcapError("no space left for the backup")

    monkeypatch.setattr(backups, "auto_backup", no_room)
    result = cli("scan", input="MECARD:N:Sato,Ken;EMAIL:ken@example.jp;;\n")
    assert "Warning: no backup before this session (no space left" in result.stderr
    assert cli.json("list")[0]["email"] == "ken@example.jp"
