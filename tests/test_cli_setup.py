import json

import pytest


def test_works_without_setup(cli, db_path):
    cli("add", "--company", "ACME")
    assert db_path.exists()


def test_default_database_lives_in_the_app_folder(cli, monkeypatch, tmp_path):
    monkeypatch.delenv("LEADCAP_DB")
    cli("add", "--company", "ACME")
    assert (tmp_path / "home" / "leads.db").exists()


def test_db_option_beats_env(cli, tmp_path, db_path):
    other = tmp_path / "fair.db"
    cli("--db", str(other), "add", "--company", "ACME")
    assert other.exists() and not db_path.exists()


def test_db_in_a_missing_folder_is_an_error_and_creates_nothing(cli, tmp_path):
    stick = tmp_path / "media" / "usb"
    result = cli("--db", str(stick / "fair.db"), "scan", input="NT27-000001\n", code=1)
    assert result.stderr.startswith(f"Error: The folder {stick} does not exist")
    assert "(is the drive mounted?)" in result.stderr
    assert not (tmp_path / "media").exists()


def test_a_new_database_is_announced_on_the_first_line(cli, db_path):
    result = cli("add", "--company", "ACME")
    assert result.stderr.splitlines()[0] == f"Created new database {db_path}"
    assert "Created new" not in cli("add", "--company", "Other").stderr


@pytest.mark.parametrize("command", [["list"], ["show", "1"], ["stats"], ["export", "csv"]])
def test_commands_that_do_not_capture_create_no_database(cli, db_path, command):
    result = cli(*command, code=1)
    assert f"Error: There is no database at {db_path} yet." in result.stderr
    assert not db_path.exists()


def test_init_creates_the_database(cli, db_path):
    result = cli("init", "--event", "nano tech 2027")
    assert f"Created new database {db_path}" in result.stderr and db_path.exists()


def test_a_number_too_long_for_sqlite_is_no_lead(cli):
    cli("add", "--company", "ACME")
    result = cli("show", "99999999999999999999999", code=1)
    assert result.stderr == (
        "Error: No lead with id 99999999999999999999999."
        " Use `leadcap list` or `leadcap find` to look it up.\n"
    )


def test_init_stores_event_and_device_settings(cli, tmp_path):
    cli(
        "init",
        "--event",
        "nano tech 2027",
        "--timezone",
        "Asia/Tokyo",
        "--country",
        "jp",
        "--staff",
        "Jan",
        "--tags",
        "AI, Materials,Sensors",
        "--exhibitor",
        "Fraunhofer",
        "--exhibitor",
        "ACME GmbH",
    )
    settings = cli.json("config", "show")
    assert settings["event"] == "nano tech 2027" and settings["country"] == "JP"
    assert settings["tags"] == ["AI", "Materials", "Sensors"]
    assert settings["exhibitors"] == ["Fraunhofer", "ACME GmbH"]
    assert settings["staff"] == "Jan"
    device = json.loads((tmp_path / "home" / "config.json").read_text())
    assert device["staff"] == "Jan" and device["device"]


def test_predefined_tags_keep_their_order(cli):
    cli("init", "--tags", "Sensors,AI")
    assert [t["tag"] for t in cli.json("tags")] == ["Sensors", "AI"]


def test_config_set_staff_is_used_for_new_leads(cli):
    cli("config", "set", "staff", "Mika")
    assert cli.json("add", "--company", "A")["captured_by"] == "Mika"


def test_device_id_stays_the_same(cli):
    first = cli.json("add", "--company", "A")["device"]
    assert cli.json("add", "--company", "B")["device"] == first


def test_info(cli, db_path):
    cli("init", "--event", "nano tech 2027")
    cli("add", "--company", "A", "--rating", "hot")
    info = cli.json("info")
    assert info["database"] == str(db_path)
    assert info["schema_version"] >= 1 and info["event"] == "nano tech 2027"
    assert (info["leads"], info["hot"], info["today"]) == (1, 1, 1)
    assert "schema version" in cli("info").stdout


def test_phone_uses_event_country(cli):
    cli("init", "--country", "JP")
    cli("add", "--phone", "03-1234-5678")
    assert cli.json("show", "1")["needs_review"] is False


def test_version(cli):
    assert cli("--version").stdout.startswith("leadcap ")


def test_consent_texts_are_shown_in_config(cli):
    cli("config", "set", "consent-text.de", "Ich willige ein")
    assert cli.json("config", "show")["consent-text.de"] == "Ich willige ein"


def test_prefixed_settings_go_to_the_right_place(cli, tmp_path):
    cli("config", "set", "card.email", "booth@example.de")
    cli("config", "set", "my-card.name", "Jan Weber")
    settings = cli.json("config", "show")
    assert settings["card.email"] == "booth@example.de"
    assert settings["my-card.name"] == "Jan Weber"
    device = json.loads((tmp_path / "home" / "config.json").read_text())
    assert device["my-card.name"] == "Jan Weber" and "card.email" not in device


def test_processes_starting_together_agree_on_one_device_id(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from leadcap.store.settings import load_device_config

    home = tmp_path / "fresh"
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: load_device_config(home)["device"], range(16)))
    assert len(ids) == 1
    assert load_device_config(home)["device"] in ids


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("badge-pattern", "([", "badge-pattern is not a valid regular expression: "),
        ("backups-keep", "abc", "backups-keep must be a whole number of at least 1"),
        ("backups-keep", "0", "backups-keep must be a whole number of at least 1"),
        ("followup-days.hot", "two", "followup-days.hot must be a whole number of 0 or more"),
        ("followup-days.warm", "1.5", "followup-days.warm must be a whole number of 0 or more"),
        ("card.email", "booth(at)example.de", "card.email: e-mail 'booth(at)example.de' does not"),
        ("my-card.email", "jan@", "my-card.email: e-mail 'jan@' does not look valid"),
    ],
)
def test_config_set_refuses_values_that_would_break_later(cli, key, value, message):
    result = cli("config", "set", key, value, code=2)
    assert message in result.stderr
    assert shown(cli, key) is None


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("badge-pattern", r"^NT\d{2}-\d{6}$", r"^NT\d{2}-\d{6}$"),
        ("backups-keep", " 3 ", 3),
        ("followup-days.cold", "0", 0),
        ("card.email", "booth@example.de", "booth@example.de"),
    ],
)
def test_config_set_keeps_good_values(cli, key, value, stored):
    cli("config", "set", key, value)
    assert shown(cli, key) == stored


def shown(cli, key):
    settings = cli.json("config", "show")
    return settings.get(key, settings.get(key.replace("-", "_")))


def test_config_set_country_offers_to_revalidate_flagged_phones(cli):
    cli("add", "--family-name", "Sato", "--phone", "03-1234-5678")
    assert cli.json("show", "1")["needs_review"] is True
    result = cli("config", "set", "country", "JP")
    assert "1 lead(s) have a phone number flagged for review" in result.stdout
    assert "leadcap config set country JP --revalidate" in result.stdout
    result = cli("config", "set", "country", "JP", "--revalidate")
    assert "Validated again: 1 of 1 lead(s) no longer flagged (1)." in result.stdout
    lead = cli.json("show", "1")
    assert lead["needs_review"] is False and lead["phone_e164"] == "+81312345678"


def test_config_set_country_takes_a_name(cli):
    cli("config", "set", "country", "Deutschland")
    assert cli.json("config", "show")["country"] == "DE"


def test_debrief_says_a_missing_country_is_why_a_phone_is_flagged(cli):
    cli("add", "--family-name", "Sato", "--phone", "03-1234-5678")
    result = cli("debrief")
    assert "(no country): set the country" in result.stdout
    assert "leadcap config set country <JP|DE|...> --revalidate" in result.stdout
