"""`init`, `config` and `info`: the event, who uses this laptop, and what is stored."""

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from leadcap.cli.common import (
    device_config,
    handle_errors,
    open_db,
    print_json,
    print_table,
    state,
)
from leadcap.errors import UsageError
from leadcap.store import leads as core
from leadcap.store import tags as tags_core
from leadcap.store.database import EVENT_SETTING_PREFIXES, EVENT_SETTINGS
from leadcap.store.settings import DEVICE_KEY_PREFIXES, DEVICE_KEYS, save_device_config

config_app = typer.Typer(
    help="Show or change settings (event settings live in the database, device ones here).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
LIST_SETTINGS = ("tags", "exhibitors")


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {value!r}. Use an Area/City name like Asia/Tokyo"
        ) from None
    return value


def check_country(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise UsageError(f"country {value!r} is not a two-letter ISO code like JP or DE")
    return value


def whole_number(key: str, value, minimum: int, example: int) -> int:
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


def check_value(key: str, value):
    """Refuse now what would otherwise break scanning, backups or follow-ups later."""
    if not isinstance(value, str):
        return value
    if key == "badge-pattern":
        import re

        try:
            re.compile(value)
        except re.error as error:
            raise UsageError(f"badge-pattern is not a valid regular expression: {error}") from None
    elif key == "backups-keep":
        return whole_number(key, value, 1, 10)
    elif key.startswith("followup-days."):
        return whole_number(key, value, 0, 7)
    elif key.startswith("score."):
        if key not in ("score.hot", "score.warm", "score.cold", "score.visit"):
            raise UsageError(
                f"unknown setting {key!r}. Score settings: score.hot, score.warm, score.cold,"
                " score.visit"
            )
        return whole_number(key, value, 0, 50 if key == "score.hot" else 10)
    elif key in ("card.email", "my-card.email"):
        from leadcap.store.model import email_problem

        problem = email_problem(value)
        if problem:
            raise UsageError(f"{key}: {problem}. Give an address like booth@example.com")
    return value


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def apply_setting(ctx: typer.Context, key: str, value) -> None:
    """Store one setting where it belongs: the database or this device's config."""
    key = key.replace("_", "-")
    value = check_value(key, value)
    if key in DEVICE_KEYS or key.startswith(DEVICE_KEY_PREFIXES):
        app_dir = state(ctx).app_dir
        config = device_config(ctx)
        config[key] = value
        save_device_config(app_dir, config)
        return
    prefixed = key.startswith(EVENT_SETTING_PREFIXES)
    db_key = key if prefixed else key.replace("-", "_")
    if db_key not in EVENT_SETTINGS and not prefixed:
        names = {*DEVICE_KEYS, *(k.replace("_", "-") for k in EVENT_SETTINGS)}
        names |= {f"{p}..." for p in EVENT_SETTING_PREFIXES + DEVICE_KEY_PREFIXES}
        known = ", ".join(sorted(names))
        raise UsageError(f"unknown setting {key!r}. Settings: {known}")
    store = open_db(ctx)
    if db_key == "timezone":
        value = check_timezone(value)
    elif db_key == "country":
        value = check_country(value)
    elif db_key == "tags":
        tags_core.set_predefined_tags(store, split_list(value) if isinstance(value, str) else value)
        return
    elif db_key in LIST_SETTINGS and isinstance(value, str):
        value = split_list(value)
    store.set_setting(db_key, value)


@handle_errors
def init(
    ctx: typer.Context,
    *,
    event: Annotated[str | None, typer.Option(help="Event name, e.g. 'nano tech 2027'")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Event time zone, Area/City (default: this machine's)")
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Default country for phone numbers, e.g. JP")
    ] = None,
    staff: Annotated[
        str | None, typer.Option(help="Who uses this laptop (default: the OS user)")
    ] = None,
    tags: Annotated[
        str | None, typer.Option(help="Predefined interest areas, in order: 'A,B,C'")
    ] = None,
    exhibitor: Annotated[
        list[str] | None, typer.Option("--exhibitor", help="A co-exhibitor (repeatable)")
    ] = None,
) -> None:
    """Set up the event on this laptop (optional: everything works without it)."""
    store = open_db(ctx)
    values: dict[str, object] = {
        "event": event,
        "timezone": timezone,
        "country": country,
        "staff": staff,
    }
    values["tags"] = split_list(tags) if tags is not None else None
    values["exhibitors"] = exhibitor or None
    for key, value in values.items():
        if value is not None:
            apply_setting(ctx, key, value)
    if values["timezone"] is None and store.setting("timezone") is None:
        store.set_setting("timezone", store.timezone)
    print_settings(ctx, as_json=False)


def all_settings(ctx: typer.Context) -> dict:
    store = open_db(ctx)
    config = device_config(ctx)
    settings = {key: store.setting(key) for key in EVENT_SETTINGS}
    settings["timezone"] = store.timezone
    settings.update(
        {k: v for k, v in store.settings.items() if k.startswith(EVENT_SETTING_PREFIXES)}
    )
    settings.update({key: config.get(key) for key in DEVICE_KEYS})
    settings.update({k: v for k, v in config.items() if k.startswith(DEVICE_KEY_PREFIXES)})
    return settings


def print_settings(ctx: typer.Context, as_json: bool) -> None:
    settings = all_settings(ctx)
    if as_json:
        print_json(settings)
        return
    rows = []
    for key, value in settings.items():
        if isinstance(value, list):
            value = ", ".join(value)
        rows.append([key.replace("_", "-"), value])
    print_table(["setting", "value"], rows)


@config_app.command("show")
@handle_errors
def config_show(
    ctx: typer.Context,
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show the event and device settings."""
    print_settings(ctx, as_json)


@config_app.command("set")
@handle_errors
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Setting name, e.g. staff, event, timezone, tags")],
    value: Annotated[str, typer.Argument(help="New value (lists comma-separated)")],
) -> None:
    """Change one setting."""
    apply_setting(ctx, key, value)
    typer.echo(f"{key} = {value}")


@handle_errors
def info(
    ctx: typer.Context,
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Where the database is, the event, this laptop and the counts.

    Where the database is, its schema version, the event, this laptop and the counts."""
    store = open_db(ctx)
    data = {
        "database": str(store.path),
        "schema_version": store.schema_version(),
        "event": store.event,
        "timezone": store.timezone,
        "country": store.country,
        "staff": store.staff,
        "device": store.device,
        **core.counts(store),
    }
    if as_json:
        print_json(data)
    else:
        print_table(["item", "value"], [[k.replace("_", " "), v] for k, v in data.items()])


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(info)
    app.add_typer(config_app, name="config")
