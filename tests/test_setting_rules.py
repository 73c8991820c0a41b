"""The settings rules live in the core: which keys exist, where each lives, how checked."""

import pytest

from leadcap.errors import UsageError
from leadcap.store import setting_rules
from leadcap.store.settings import load_device_config


@pytest.mark.parametrize(
    ("key", "scope"),
    [("event", "event"), ("consent-text.ja", "event"), ("followup-days.hot", "event"),
     ("staff", "device"), ("my-card.email", "device"), ("backups-keep", "device")],
)  # fmt: skip
def test_each_setting_has_its_place(key, scope):
    assert setting_rules.scope_of(key) == scope


def test_an_unknown_setting_names_the_known_ones():
    with pytest.raises(UsageError, match="unknown setting 'colour'.*badge-pattern"):
        setting_rules.scope_of("colour")


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [("country", " jp ", "JP"), ("backups-keep", "3", 3), ("followup-days.warm", "0", 0),
     ("exhibitors", "ACME GmbH, IPA", ["ACME GmbH", "IPA"]), ("event", "nano tech", "nano tech")],
)  # fmt: skip
def test_values_are_checked_and_normalised(key, value, stored):
    assert setting_rules.check_value(key, value) == stored


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("timezone", "Mars/Olympus", "unknown time zone"), ("badge-pattern", "(", "regular"),
     ("backups-keep", "0", "at least 1"), ("card.email", "booth@", "booth@example.com")],
)  # fmt: skip
def test_bad_values_are_refused(key, value, message):
    with pytest.raises(UsageError, match=message):
        setting_rules.check_value(key, value)


def test_device_settings_go_to_the_laptop_and_event_ones_to_the_database(store, tmp_path):
    setting_rules.apply_setting("staff", "Ken", app_dir=tmp_path, store=lambda: store)
    setting_rules.apply_setting("event", "nano tech", app_dir=tmp_path, store=lambda: store)
    assert load_device_config(tmp_path)["staff"] == "Ken"
    assert store.setting("event") == "nano tech" and store.setting("staff") is None


def test_config_set_help_lists_every_setting(cli):
    out = cli("config", "set", "--help").stdout
    for setting in setting_rules.SETTINGS:
        assert setting.name in out
