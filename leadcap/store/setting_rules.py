"""Which settings exist, where each lives and how its value is checked.

Event settings (the event, its time zone, tags, consent texts, the booth card...) live in
the database and travel with merges and syncs; device settings (who uses this laptop, its
device id, how many backups to keep, the staff member's own card) stay on the laptop. A
value that would break scanning, backups or follow-ups later is refused when it is set."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadcap.errors import UsageError
from leadcap.store import model, tags
from leadcap.store.database import EVENT_SETTING_PREFIXES, EVENT_SETTINGS, Store
from leadcap.store.settings import (
    DEVICE_KEY_PREFIXES,
    DEVICE_KEYS,
    load_device_config,
    save_device_config,
)


@dataclass(frozen=True)
class Setting:
    name: str  # as users type it: badge-pattern, followup-days.hot ("..." ends a family)
    scope: str  # "event" (in the database) or "device" (this laptop's config)
    help: str


SETTINGS = (
    Setting("event", "event", "Event name, e.g. 'nano tech 2027'"),
    Setting("timezone", "event", "Event time zone, Area/City such as Asia/Tokyo"),
    Setting("country", "event", "Default country for phone numbers: JP, or a name (日本)"),
    Setting("tags", "event", "Predefined interest tags in key order: 'AI,Materials'"),
    Setting("exhibitors", "event", "Co-exhibitors of the pavilion: 'ACME GmbH,Fraunhofer IPA'"),
    Setting("badge-pattern", "event", "Regular expression a bare badge number matches"),
    Setting("consent-text.de|en|ja", "event", "Consent wording shown in the scan loop"),
    Setting("card.name|company|email|...", "event", "The booth's contact card (qr card)"),
    Setting("followup-days.hot|warm|cold|unrated", "event", "Days until a follow-up is due"),
    Setting("score.hot|warm|cold|visit", "event", "Score points per rating and return visit"),
    Setting("staff", "device", "Who uses this laptop (shown in every lead)"),
    Setting("device", "device", "This laptop's device id"),
    Setting("backups-keep", "device", "How many automatic backups to keep (at least 1)"),
    Setting("my-card.name|email|...", "device", "Your own card (qr card --mine)"),
)
LIST_SETTINGS = ("tags", "exhibitors")
SCORE_KEYS = ("score.hot", "score.warm", "score.cold", "score.visit")


def setting_names() -> str:
    """One line per setting, for `config set --help` and the unknown-setting error."""
    return "\n".join(f"{s.name:<36} {s.help} ({s.scope})" for s in SETTINGS)


def scope_of(key: str) -> str:
    """'event' or 'device' for a setting name as typed; UsageError names the known ones."""
    if key in DEVICE_KEYS or key.startswith(DEVICE_KEY_PREFIXES):
        return "device"
    if key.startswith(EVENT_SETTING_PREFIXES) or key.replace("-", "_") in EVENT_SETTINGS:
        return "event"
    known = ", ".join(s.name for s in SETTINGS)
    raise UsageError(f"unknown setting {key!r}. Settings: {known}")


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {value!r}. Use an Area/City name like Asia/Tokyo"
        ) from None
    return value


def check_country(value: str) -> str:
    """An ISO code (`jp` -> `JP`), or a country name in a known language (`日本`,
    `Deutschland`) as its code."""
    code = model.country_code(value)
    if code is None:
        raise UsageError(
            f"country {value.strip()!r} is not a country: give a two-letter ISO code like JP or DE"
        )
    return code


def whole_number(key: str, value: object, minimum: int, example: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = minimum - 1
    if number < minimum:
        at_least = "at least 1" if minimum == 1 else f"{minimum} or more"
        raise UsageError(
            f"{key} must be a whole number of {at_least}, not {value!r}."
            f" For example: leadcap config set {key} {example}"
        )
    return number


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _regex(key: str, value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise UsageError(f"{key} is not a valid regular expression: {error}") from None
    return value


def _email(key: str, value: str) -> str:
    problem = model.email_problem(value)
    if problem:
        raise UsageError(f"{key}: {problem}. Give an address like booth@example.com")
    return value


CHECKS: dict[str, Callable[[str, str], object]] = {
    "badge-pattern": _regex,
    "backups-keep": lambda key, value: whole_number(key, value, 1, 10),
    "timezone": lambda key, value: check_timezone(value),
    "country": lambda key, value: check_country(value),
    "card.email": _email,
    "my-card.email": _email,
}


def check_value(key: str, value: object) -> object:
    """The value to store for `key`, or a UsageError saying what to give instead."""
    if not isinstance(value, str):
        return value
    if key.startswith("followup-days."):
        return whole_number(key, value, 0, 7)
    if key.startswith("score."):
        if key not in SCORE_KEYS:
            raise UsageError(f"unknown setting {key!r}. Score settings: {', '.join(SCORE_KEYS)}")
        return whole_number(key, value, 0, 50 if key == "score.hot" else 10)
    if key in CHECKS:
        return CHECKS[key](key, value)
    if key in LIST_SETTINGS:
        return split_list(value)
    return value


def apply_setting(key: str, value: object, *, app_dir: Path, store: Callable[[], Store]) -> None:
    """Store one setting where it belongs: this device's config or the database (`store`
    opens it only when an event setting needs it)."""
    key = key.replace("_", "-")
    scope = scope_of(key)
    value = check_value(key, value)
    if scope == "device":
        config = load_device_config(app_dir)
        config[key] = value
        save_device_config(app_dir, config)
        return
    db_key = key if key.startswith(EVENT_SETTING_PREFIXES) else key.replace("-", "_")
    if db_key == "tags":
        assert isinstance(value, list)
        tags.set_predefined_tags(store(), value)
        return
    store().set_setting(db_key, value)
