"""What every command shares: opening the database, turning errors into one line,
and printing for people (rich) or for pipes and scripts (plain text, JSON)."""

import functools
import inspect
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from leadcap.errors import LeadcapError, UsageError

MAX_INT = 2**63 - 1  # SQLite's largest integer: bigger numbers fail deep inside a query


@dataclass
class State:
    """What the top-level options decided, handed to every command through ctx.obj."""

    db_path: Path | None = None
    _store: object = None

    @property
    def app_dir(self) -> Path:
        home = os.environ.get("LEADCAP_HOME")
        return Path(home) if home else Path(typer.get_app_dir("leadcap"))


def device_config(ctx: typer.Context) -> dict:
    from leadcap.store.settings import load_device_config

    return load_device_config(state(ctx).app_dir)


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = State()
    return root.obj


def open_db(ctx: typer.Context, *, create: bool = False):
    """The store for this invocation (opened once, closed when the command ends). Only
    commands that capture (or set up) pass `create`; they say when they made a new file."""
    from leadcap.store.database import DB_ENV, default_db_path, open_store

    current = state(ctx)
    if current._store is None:
        config = device_config(ctx)
        path = current.db_path or default_db_path(current.app_dir)
        chosen = current.db_path is not None or bool(os.environ.get(DB_ENV))
        current._store = open_store(
            path,
            staff=config["staff"],
            device=config["device"],
            create=create,
            make_folders=not chosen,
        )
        from leadcap.store.backups import configured_keep

        current._store.backups_keep = configured_keep(config)
        ctx.find_root().call_on_close(current._store.close)
        if current._store.created:
            typer.echo(f"Created new database {current._store.path}", err=True)
    return current._store


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `Error: ...` on stderr; raise the returned Exit."""
    message = visible(message.rstrip("."))
    typer.echo(f"Error: {sentence_case(message)}.", err=True)
    return typer.Exit(code=code)


def sentence_case(message: str) -> str:
    """Capitalise a message's first word unless it is a name that must stay as written:
    a path (`out`, `usb/leads.db`) or a mixed-case word (`vCard`)."""
    first = message.split(" ", 1)[0]
    if first.isalpha() and first.islower() and not os.path.exists(first):
        return first.capitalize() + message[len(first) :]
    return message


def handle_errors(fn: Callable) -> Callable:
    """Turn leadcap's and SQLite's exceptions into one actionable line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            reject_undecodable([*args, *kwargs.values()])
            return fn(*args, **kwargs)
        except UsageError as error:
            raise fail(str(error), 2) from None
        except LeadcapError as error:
            raise fail(str(error)) from None
        except sqlite3.Error as error:
            from leadcap.store.database import translate_sqlite_error

            path = _db_path([*args, *kwargs.values()]) or Path("the database")
            raise fail(str(translate_sqlite_error(error, path))) from None
        except UnicodeEncodeError as error:
            if "surrogates" not in str(error):
                raise fail(f"unexpected UnicodeEncodeError: {error}") from None
            raise fail(
                "a file name or argument is not valid UTF-8 text. Rename the file, or set the"
                " terminal to UTF-8 (LANG=en_US.UTF-8)",
                2,
            ) from None
        except OverflowError:
            raise fail(
                "a number given is too large (at most 9223372036854775807). Give a smaller one",
                2,
            ) from None
        except KeyboardInterrupt:
            raise typer.Exit(code=130) from None
        except BrokenPipeError:
            # `leadcap list | head`: the reader left; say nothing, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(code=141) from None
        except Exception as error:
            if type(error).__module__.startswith("typer") or os.environ.get("LEADCAP_DEBUG"):
                raise
            raise fail(
                f"unexpected {type(error).__name__}: {error}. This is a bug in leadcap: please"
                " report it; LEADCAP_DEBUG=1 shows the details"
            ) from None

    return wrapper


def _db_path(values: list) -> Path | None:
    """The database this command works on, for error messages (the command's ctx)."""
    for value in values:
        # Typer hands commands its vendored Click's Context, not a typer.Context.
        if hasattr(value, "find_root") and hasattr(value, "obj"):
            current = state(value)
            store = current._store
            return getattr(store, "path", None) or current.db_path
    return None


def reject_undecodable(values) -> None:
    """Arguments that were not valid UTF-8 reach Python as lone surrogates; they would
    crash the first print or SQLite call. Refuse them with one line."""
    for value in values:
        texts = value if isinstance(value, list | tuple) else [value]
        for text in texts:
            if isinstance(text, str) and any("\ud800" <= c <= "\udfff" for c in text):
                shown = text.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                raise UsageError(
                    f"the argument {shown} is not valid UTF-8 text. Set the terminal to"
                    " UTF-8 (LANG=en_US.UTF-8) or type it again"
                )


# -- output -----------------------------------------------------------------------


def is_terminal() -> bool:
    return sys.stdout.isatty()


def console():
    from rich.console import Console

    return Console(highlight=False, no_color="NO_COLOR" in os.environ or None)


# Control characters (ESC starts sequences that clear the screen or retitle the window)
# and bidirectional overrides: lead data shows them as escapes instead of obeying them.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with control and bidi-override characters shown as `\\x1b`, `\\u202e`."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


def print_json(data) -> None:
    typer.echo(json.dumps(json_leads(data), ensure_ascii=False, indent=2))


_LEAD_KEYS = {"uuid", "full_name", "family_name", "given_name"}


def json_leads(data):
    """Leads anywhere in `data` with `full_name` as people read the name when only a family
    or given name was typed (the stored value stays empty: it follows later edits)."""
    if isinstance(data, list):
        return [json_leads(item) for item in data]
    if isinstance(data, dict):
        data = {key: json_leads(value) for key, value in data.items()}
        if _LEAD_KEYS <= data.keys() and not data["full_name"]:
            from leadcap.store.model import display_name

            data["full_name"] = display_name(data) or None
        return data
    return data


def print_table(columns: list[str], rows: list[list], *, title: str | None = None) -> None:
    """A rich table on a terminal; tab-separated lines with a header row when piped."""
    if is_terminal():
        from rich import box
        from rich.table import Table
        from rich.text import Text

        plain = "NO_COLOR" in os.environ
        table = Table(title=title, box=None if plain else box.SIMPLE_HEAD, show_edge=False)
        for column in columns:
            table.add_column(column)
        for row in rows:
            # Text(), not str: a company called "[bold]" is data, never rich markup.
            table.add_row(*(Text("" if v is None else visible(str(v))) for v in row))
        console().print(table)
        return
    typer.echo("\t".join(columns))
    for row in rows:
        typer.echo("\t".join(_plain(v) for v in row))


def _plain(value) -> str:
    if value is None:
        return ""
    text = str(value).replace("\t", " ").replace("\r", " ").replace("\n", " | ")
    return visible(text)


def show_time(store, timestamp: str | None) -> str:
    """A stored time as people at the booth read it: event time zone, to the minute."""
    if not timestamp:
        return ""
    moment = datetime.fromisoformat(timestamp).astimezone(store.zone())
    return moment.strftime("%Y-%m-%d %H:%M")


def time_bound(store, value: str | None, option: str, *, end: bool = False) -> str | None:
    """`--since/--until/--date` values as UTC ISO bounds (see leadcap.store.dates)."""
    from leadcap.store.dates import time_bound as bound

    return bound(store, value, option, end=end)


# -- one option per lead field ------------------------------------------------------

FIELD_HELP = {
    "badge_id": "Badge number from the organiser",
    "given_name": "Given (first) name",
    "family_name": "Family (last) name",
    "full_name": "Name as written, when it should not be split",
    "name_reading": "Reading of the name (kana), used for sorting",
    "company": "Company or institute",
    "department": "Department",
    "title": "Job title",
    "email": "E-mail address",
    "phone": "Phone number (any format; stored as typed plus E.164)",
    "mobile": "Mobile number",
    "website": "Website",
    "street": "Street address",
    "city": "City",
    "postal_code": "Postal code",
    "region": "State, prefecture or region (CA, Bayern, 東京都)",
    "country": "Country (ISO code such as JP or DE, or a name)",
    "notes": "Notes (replaces; use `leadcap note` to append)",
}


def with_field_options(fields: tuple[str, ...]) -> Callable:
    """Give a command one `--field-name` option per lead field. The values arrive in the
    function's `**fields`; writing seventeen identical parameters out by hand would hide
    the few that differ."""

    def decorate(fn: Callable) -> Callable:
        signature = inspect.signature(fn, eval_str=True)
        params = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
        for name in fields:
            option = typer.Option(
                f"--{name.replace('_', '-')}", help=FIELD_HELP[name], rich_help_panel="Fields"
            )
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=Annotated[str | None, option],
                )
            )
        fn.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return fn

    return decorate


# -- options every listing command shares ------------------------------------------

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (keys documented in README)")]

FILTERS_PANEL = "Filters"
FILTER_OPTIONS: dict[str, tuple[object, typer.models.OptionInfo]] = {
    "tag": (list[str] | None, typer.Option("--tag", help="Only leads with this tag (repeatable)")),
    "rating": (str | None, typer.Option("--rating", help="Only hot, warm or cold leads")),
    "staff": (str | None, typer.Option("--staff", help="Only leads captured by this colleague")),
    "exhibitor": (str | None, typer.Option("--exhibitor", help="Only this co-exhibitor's leads")),
    "since": (str | None, typer.Option("--since", help="Captured from this date or time")),
    "until": (str | None, typer.Option("--until", help="Captured up to and including this date")),
    "consent": (
        str | None,
        typer.Option(
            "--consent", metavar="PURPOSE", help="Only leads that granted this consent purpose"
        ),
    ),
    "status": (str | None, typer.Option("--status", help="Only leads with this follow-up status")),
    "owner": (str | None, typer.Option("--owner", help="Only leads this colleague follows up")),
    "review": (bool, typer.Option("--review", help="Only leads needing review")),
    "answer": (
        list[str] | None,
        typer.Option(
            "--answer", help='Only leads with this answer: "Cooperation=R&D" (repeatable)'
        ),
    ),
    "min_score": (
        int | None,
        typer.Option("--min-score", min=0, max=100, help="Only leads scoring at least this"),
    ),
}


def with_filters(*, dates: bool = True) -> Callable:
    """Give a command the shared filter options (--tag --rating --staff --exhibitor --since
    --until --consent --status --owner --review --answer --min-score). The command receives
    them as one `filters: LeadFilter` argument; `dates=False` leaves out --since/--until
    (debrief)."""

    def decorate(fn: Callable) -> Callable:
        signature = inspect.signature(fn, eval_str=True)
        names = [n for n in FILTER_OPTIONS if dates or n not in ("since", "until")]
        params = [p for p in signature.parameters.values() if p.name != "filters"]
        for name in names:
            annotation, option = FILTER_OPTIONS[name]
            option.rich_help_panel = FILTERS_PANEL
            default = False if annotation is bool else None
            params.append(
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, default=default,
                    annotation=Annotated[annotation, option],
                )
            )  # fmt: skip

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            values = {name: kwargs.pop(name) for name in names}
            ctx = kwargs.get("ctx") or args[0]
            kwargs["filters"] = lead_filter(ctx, **values)
            return fn(*args, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def lead_filter(ctx: typer.Context, **values):
    """The LeadFilter for the shared filter options' values (dates in the event's zone)."""
    from leadcap.store.leads import LeadFilter
    from leadcap.store.questions import answer_filter

    store = open_db(ctx)
    since, until = values.pop("since", None), values.pop("until", None)
    answers = [answer_filter(store, text) for text in values.pop("answer", None) or []]
    return LeadFilter(
        tags=values.pop("tag", None) or [],
        answers=answers,
        since=time_bound(store, since, "--since"),
        until=time_bound(store, until, "--until", end=True),
        **values,
    )
