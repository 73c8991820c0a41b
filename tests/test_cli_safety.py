import json
import sqlite3

import pytest

from leadcap.store.database import open_store


def add(cli, *args):
    return int(cli("add", *args).stdout.strip())


def backups_of(db_path):
    return sorted(db_path.parent.joinpath("leads-backups").glob("leads-*.db"))


def count(db_path, sql):
    return sqlite3.connect(db_path).execute(sql).fetchone()[0]


def test_backup_to_a_folder(cli, tmp_path):
    add(cli, "--company", "ACME")
    (tmp_path / "usb").mkdir()
    result = cli("backup", "--to", str(tmp_path / "usb"))
    made = list((tmp_path / "usb").glob("leads-*-manual.db"))
    assert result.stdout.strip() == f"Backed up to {made[0]}."


def test_doctor_healthy_exits_0(cli):
    add(cli, "--company", "ACME")
    cli("backup")
    result = cli("doctor")
    assert result.stdout.strip().endswith("Healthy.")


def test_doctor_without_backup_exits_1_and_says_what_to_do(cli):
    add(cli, "--company", "ACME")
    result = cli("doctor", code=1)
    assert "run `leadcap backup`" in result.stdout
    assert result.stdout.strip().endswith("1 problem(s): backup. Run `leadcap doctor --fix`.")


def test_doctor_json_and_fix_repair_an_orphan_and_the_search_index(cli, db_path):
    add(cli, "--company", "ACME")
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO consent_records (lead_uuid, purpose, status, recorded_at)"
        " VALUES ('gone', 'followup', 'granted', 'x')"
    )
    conn.execute("INSERT INTO leads_fts(rowid, search_text) VALUES (42, 'ghost')")
    conn.commit()
    conn.close()
    report = json.loads(cli("doctor", "--json", code=1).stdout)
    bad = {c["check"] for c in report["checks"] if not c["ok"]}
    assert bad == {"orphans", "search index", "backup"} and report["healthy"] is False
    fixed = json.loads(cli("doctor", "--fix", "--json").stdout)
    assert fixed["healthy"] is True and fixed["fix_backup"]
    assert fixed["fixed"] == [
        "deleted 1 orphaned row(s) from consent_records",
        "rebuilt the search index",
    ]


def test_restore_round_trip_with_yes(cli, tmp_path):
    add(cli, "--company", "Before")
    (tmp_path / "usb").mkdir()
    cli("backup", "--to", str(tmp_path / "usb"))
    add(cli, "--company", "After")
    saved = next((tmp_path / "usb").glob("leads-*.db"))
    result = cli("restore", str(saved), "--yes")
    assert result.stdout.splitlines()[0] == f"Restored 1 lead(s) from {saved}."
    assert [lead["company"] for lead in cli.json("list")] == ["Before"]


def test_restore_asks_first_and_no_changes_nothing(cli, tmp_path):
    add(cli, "--company", "Before")
    (tmp_path / "usb").mkdir()
    cli("backup", "--to", str(tmp_path / "usb"))
    add(cli, "--company", "After")
    saved = next((tmp_path / "usb").glob("leads-*.db"))
    result = cli("restore", str(saved), input="n\n", code=1)
    assert result.stdout.strip().endswith("Nothing restored.")
    assert len(cli.json("list")) == 2


def test_restore_refuses_a_non_leadcap_file(cli, tmp_path, db_path):
    add(cli, "--company", "Current")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    result = cli("restore", str(other), "--yes", code=1)
    assert result.stderr.strip() == (
        f"Error: {other} cannot be restored: it is not a leadcap database."
        " Nothing was changed; pick a file made by `leadcap backup`."
    )
    assert [lead["company"] for lead in cli.json("list")] == ["Current"]
    assert backups_of(db_path) == []


def test_restore_a_number_still_brings_back_a_deleted_lead(cli):
    lead_id = add(cli, "--company", "ACME")
    cli("delete", str(lead_id))
    assert cli("restore", str(lead_id)).stdout.strip() == f"Restored lead {lead_id} (ACME)."


def test_forget_by_email_erases_and_reminds_of_backups(cli, db_path):
    lead_id = add(cli, "--company", "Viagenie", "--email", "simon.perreault@viagenie.ca")
    add(cli, "--company", "Other GmbH")
    cli("backup")
    result = cli("forget", "Simon.Perreault@viagenie.ca", "--yes")
    lines = result.stdout.splitlines()
    assert "Erased 1 lead(s)" in result.stdout and "wrote 1 tombstone(s)." in result.stdout
    held = [line for line in lines if line.startswith("Still in backup: ")]
    assert len(held) == 2 == len(backups_of(db_path))  # the manual one and the automatic one
    assert (
        count(
            db_path,
            f"SELECT COUNT(*) FROM changes WHERE lead_uuid IN"
            f" (SELECT uuid FROM leads WHERE id = {lead_id})",
        )
        == 0
    )
    assert [lead["company"] for lead in cli.json("list")] == ["Other GmbH"]


def test_forget_by_badge_flag(cli, db_path):
    add(cli, "--company", "ACME", "--badge-id", "100234")
    cli("forget", "100234", "--badge", "--yes")
    assert count(db_path, "SELECT COUNT(*) FROM leads") == 0
    assert count(db_path, "SELECT kind FROM tombstones") == "badge"


def test_forget_asks_and_no_keeps_the_lead(cli, db_path):
    lead_id = add(cli, "--company", "ACME")
    result = cli("forget", str(lead_id), input="n\n", code=1)
    assert "Erase these 1 lead(s)" in result.stdout
    assert result.stdout.strip().endswith("Nothing erased.")
    assert count(db_path, "SELECT COUNT(*) FROM leads") == 1


def test_forget_names_export_profiles(cli, db_path):
    lead_id = add(cli, "--company", "ACME", "--email", "x@acme.example")
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO export_marks SELECT 'hubspot', uuid, '2026-12-10T18:00:00+09:00'"
        f" FROM leads WHERE id = {lead_id}"
    )
    conn.commit()
    conn.close()
    result = cli("forget", str(lead_id), "--yes")
    assert "Still in exports of profile 'hubspot' (last 2026-12-10 18:00)" in result.stdout


def age_all(db_path, when="2023-01-05T10:00:00+09:00"):
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE leads SET captured_at = ?, updated_at = ?", [when, when])
    conn.commit()
    conn.close()


def test_purge_dry_run_changes_nothing(cli, db_path):
    add(cli, "--company", "Old new lead")
    age_all(db_path)
    before = db_path.read_bytes()
    result = cli("purge", "--older-than", "18m", "--dry-run")
    assert result.stdout.strip().endswith("Would erase 1 lead(s) (dry run: nothing changed).")
    assert count(db_path, "SELECT COUNT(*) FROM leads") == 1
    assert backups_of(db_path) == [] and db_path.read_bytes() == before


def test_purge_erases_finished_old_leads_only(cli, db_path):
    add(cli, "--company", "Lost AG")
    busy = add(cli, "--company", "Busy AG", "--email", "b@busy.example")
    cli("edit", str(busy), "--owner", "ben")
    age_all(db_path)
    store = open_store(db_path, staff="anna", device="laptop-a")
    store.conn.execute("UPDATE leads SET status = 'lost' WHERE company = 'Lost AG'")
    store.close()
    result = cli("purge", "--older-than", "2y", "--yes")
    assert "Erased 1 lead(s) older than 2y; wrote 0 tombstone(s)." in result.stdout
    assert [lead["company"] for lead in cli.json("list")] == ["Busy AG"]


def test_purge_rejects_a_bad_period(cli, store):
    result = cli("purge", "--older-than", "18 months", code=2)
    assert "Use a number and a unit: 30d, 6w, 18m or 2y" in result.stderr


def test_consent_records_and_shows_history_with_method_and_version(cli):
    cli("config", "set", "consent-text.de", "Ich willige ein, dass ...")
    lead_id = add(cli, "--company", "ACME", "--consent", "followup")
    result = cli("consent", str(lead_id), "marketing", "granted", "--method", "ticked")
    line = result.stdout.strip()
    assert line.startswith(f"Lead {lead_id}: marketing granted (ticked, consent text version ")
    history = cli.json("consent", str(lead_id))
    assert [(h["purpose"], h["status"], h["method"], h["staff"]) for h in history] == [
        ("followup", "granted", "verbal", "anna"),
        ("marketing", "granted", "ticked", "anna"),
    ]
    assert history[1]["text_version"] == line.rsplit(" ", 1)[1].rstrip(").")


def test_consent_unknown_status_exits_2(cli):
    lead_id = add(cli, "--company", "ACME")
    result = cli("consent", str(lead_id), "marketing", "maybe", code=2)
    assert result.stderr.strip() == (
        "Error: Unknown consent status 'maybe'. Use one of: granted, refused, withdrawn, not_asked."
    )


def test_consent_purpose_without_status_exits_2(cli):
    lead_id = add(cli, "--company", "ACME")
    result = cli("consent", str(lead_id), "share", code=2)
    assert "granted|refused|withdrawn|not_asked" in result.stderr


def test_backups_keep_setting_limits_automatic_backups(cli, db_path):
    cli("config", "set", "backups-keep", "2")
    ids = [add(cli, "--company", f"Firm {n}") for n in range(4)]
    for lead_id in ids[:3]:
        cli("forget", str(lead_id), "--yes")
    kept = backups_of(db_path)
    assert len(kept) == 2 and all(path.name.endswith("-forget.db") for path in kept)


def test_backups_keep_edited_by_hand_to_nonsense_is_reported(cli, tmp_path):
    import json

    add(cli, "--company", "ACME")
    config_file = tmp_path / "home" / "config.json"
    config = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**config, "backups-keep": "many"}))
    result = cli("list", code=1)
    assert "Error: The device setting backups-keep is 'many', not a number." in result.stderr


def test_forget_a_number_that_is_no_lead_says_so(cli, db_path):
    add(cli, "--company", "ACME")
    result = cli("forget", "42", input="y\n", code=1)
    assert result.stderr.startswith("Error: No lead 42. Check the number with leadcap list")
    assert "Record it as forgotten" not in result.stdout
    assert count(db_path, "SELECT COUNT(*) FROM tombstones") == 0


def test_forget_a_digit_badge_with_no_lead_still_takes_badge(cli, store, db_path):
    result = cli("forget", "42", "--badge", "--yes")
    assert "wrote 1 tombstone(s)" in result.stdout


def test_resolve_person_refuses_an_unknown_lead_number(store):
    from leadcap.errors import NotFound
    from leadcap.store.erasure import resolve_person

    with pytest.raises(NotFound, match="no lead 42"):
        resolve_person(store, "42")


def test_doctor_finds_an_undo_log_pointing_at_a_missing_lead(cli, db_path):
    add(cli, "--email", "a@example.jp")
    add(cli, "--email", "A@example.jp", "--new")
    cli("backup")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM leads WHERE id = 2")  # a faulty merge: no alias left behind
    conn.commit()
    conn.close()
    result = cli("doctor", code=1)
    assert "undo log" in result.stdout and "point at 1 missing lead(s)" in result.stdout
    cli("doctor", "--fix")
    assert cli("undo").stdout.startswith("Undid email, created on lead 1")
