"""`init`, `config` and `info`: the event, who uses this laptop, and what is stored."""

from typing import Annotated

import typer

from leadcap.cli.common import (
    JsonOption,
    device_config,
    handle_errors,
    open_db,
    print_json,
    print_table,
    state,
)
from leadcap.errors import NotFound
from leadcap.store import leads as core
from leadcap.store.database import EVENT_SETTING_PREFIXES, EVENT_SETTINGS
from leadcap.store.settings import DEVICE_KEY_PREFIXES, DEVICE_KEYS

config_app = typer.Typer(
    rich_markup_mode=None,
    help="Show or change settings (event settings live in the database, device ones here).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def apply_setting(ctx: typer.Context, key: str, value) -> None:
    """One setting through the core's rules (which keys exist, checks, device or event)."""
    from leadcap.store.setting_rules import apply_setting as apply

    apply(key, value, app_dir=state(ctx).app_dir, store=lambda: open_db(ctx, create=True))


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
    store = open_db(ctx, create=True)
    values: dict[str, object] = {
        "event": event,
        "timezone": timezone,
        "country": country,
        "staff": staff,
    }
    values["tags"] = tags
    values["exhibitors"] = exhibitor or None
    for key, value in values.items():
        if value is not None:
            apply_setting(ctx, key, value)
    if values["timezone"] is None and store.setting("timezone") is None:
        store.set_setting("timezone", store.timezone)
    print_settings(ctx, as_json=False)


def all_settings(ctx: typer.Context) -> dict:
    """Event settings (none while there is no database yet: showing them creates none)
    and this device's settings."""
    from leadcap.store.database import system_timezone

    try:
        store = open_db(ctx)
    except NotFound:
        store = None
    config = device_config(ctx)
    stored = store.settings if store else {}
    settings = {key: stored.get(key) for key in EVENT_SETTINGS}
    settings["timezone"] = store.timezone if store else system_timezone()
    settings.update({k: v for k, v in stored.items() if k.startswith(EVENT_SETTING_PREFIXES)})
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
    as_json: JsonOption = False,
) -> None:
    """Show the event and device settings."""
    print_settings(ctx, as_json)


@config_app.command("set")
@handle_errors
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Setting name, one of those listed above")],
    value: Annotated[str, typer.Argument(help="New value (lists comma-separated)")],
    *,
    revalidate: Annotated[
        bool,
        typer.Option(
            "--revalidate", help="With country: validate flagged phone numbers again, no question"
        ),
    ] = False,
) -> None:
    """Change one setting.

    Settings (event ones live in the database and travel with merges; device ones stay
    on this laptop):

    \b
    {settings}"""
    apply_setting(ctx, key, value)
    typer.echo(f"{key} = {value}")
    if key == "country":
        offer_revalidation(ctx, revalidate)


def offer_revalidation(ctx: typer.Context, revalidate: bool) -> None:
    """After the event's country changed, phones flagged as "not a phone number" may read
    now: offer to validate them again (asked on a terminal; --revalidate says yes)."""
    import sys

    store = open_db(ctx)
    flagged = core.phone_flagged_count(store)
    if not flagged:
        return
    if not revalidate:
        if not sys.stdin.isatty():
            typer.echo(
                f"{flagged} lead(s) have a phone number flagged for review. Validate them"
                f" again with this country: leadcap config set country {store.country}"
                " --revalidate"
            )
            return
        question = f"Validate the phone numbers of {flagged} flagged lead(s) again?"
        if not typer.confirm(question, default=True):
            return
    fixed = core.revalidate_phones(store)
    typer.echo(
        f"Validated again: {len(fixed)} of {flagged} lead(s) no longer flagged"
        + (f" ({', '.join(map(str, fixed))})." if fixed else ".")
    )


@handle_errors
def info(
    ctx: typer.Context,
    *,
    as_json: JsonOption = False,
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


def _describe_settings() -> None:
    from leadcap.store.setting_rules import setting_names

    lines = setting_names().replace("\n", "\n    ")
    config_set.__doc__ = (config_set.__doc__ or "").replace("{settings}", lines)


_describe_settings()


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(info)
    app.add_typer(config_app, name="config")
