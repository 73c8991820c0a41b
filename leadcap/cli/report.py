"""`leadcap stats` (the booth dashboard, optionally live) and `leadcap debrief` (the
end-of-day report with its fix-up queue)."""

import json
import time
from dataclasses import replace
from datetime import datetime
from typing import Annotated

import typer

from leadcap.cli.common import (
    JsonOption,
    console,
    handle_errors,
    is_terminal,
    open_db,
    print_json,
    print_table,
    state,
    time_bound,
    with_filters,
)
from leadcap.errors import UsageError
from leadcap.store.leads import LeadFilter

BAR_WIDTH = 40
SPARKS = "▁▂▃▄▅▆▇█"


def bar(count: int, most: int, char: str = "#") -> str:
    """A bar as long as the count, scaled down when the largest would not fit."""
    if not count or not most:
        return ""
    if most <= BAR_WIDTH:
        return char * count
    return char * max(1, round(count * BAR_WIDTH / most))


def sparkline(values: list[int]) -> str:
    most = max(values, default=0)
    if not most:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[round(v * (len(SPARKS) - 1) / most)] for v in values)


def percent(granted: int, rate) -> str:
    return "-" if rate is None else f"{granted} ({rate:.0%})"


def active_hours(per_hour: dict[str, int]) -> dict[str, int]:
    """The hours from the first to the last with a lead (the whole day if none)."""
    busy = [hour for hour, count in per_hour.items() if count]
    if not busy:
        return {}
    return {hour: count for hour, count in per_hour.items() if busy[0] <= hour <= busy[-1]}


def stats_sections(data: dict) -> list[tuple[str, dict]]:
    """(title, {label: count}) blocks shown as bar charts, in screen order."""
    return [
        ("per day", data["per_day"]),
        ("per hour", active_hours(data["per_hour"])),
        ("per staff", data["per_staff"]),
        ("per tag", {**data["per_tag"], **({"(untagged)": data["untagged"]})}),
        ("per co-exhibitor", data["per_exhibitor"]),
        ("per rating", data["per_rating"]),
        *((f"per answer: {q}", counts) for q, counts in data.get("per_answer", {}).items()),
    ]


def stats_headline(data: dict) -> list[tuple[str, object]]:
    rows = [
        ("leads", data["total"]),
        ("today", data["today"]),
        ("needs review", data["needs_review"]),
        ("returning visitors", data["returning_visitors"]),
    ]
    for purpose, granted in data["consent_granted"].items():  # every purpose, share too
        rate = data["consent_rate"][purpose]
        rows.append((f"consent {purpose}", percent(granted, rate)))
    return rows


def plain_stats(data: dict) -> str:
    """Aligned text for pipes and logs: `label  count  ####` lines under each title."""
    lines = [f"leadcap stats, {data['as_of'][:16].replace('T', ' ')} ({data['timezone']})"]
    width = max(len(label) for label, _ in stats_headline(data))
    lines += [f"{label:<{width}}  {value}" for label, value in stats_headline(data)]
    for title, counts in stats_sections(data):
        if not counts:
            continue
        lines += ["", title]
        width = max(len(str(label)) for label in counts)
        most = max(counts.values())
        digits = len(str(most))
        for label, count in counts.items():
            lines.append(f"  {label:<{width}}  {count:>{digits}}  {bar(count, most)}".rstrip())
    return "\n".join(lines)


def rich_stats(data: dict):
    """The dashboard for a terminal: headline numbers, an hourly sparkline, bar tables."""
    from rich import box
    from rich.columns import Columns
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    headline = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    for label, value in stats_headline(data):
        headline.add_row(label, f"[bold]{value}[/bold]")
    hours = list(data["per_hour"].values())
    spark = f"hours 00-23  {sparkline(hours)}  (busiest {max(hours, default=0)})"
    blocks = []
    for title, counts in stats_sections(data):
        if not counts or title == "per hour":
            continue
        table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, title_justify="left")
        table.add_column("", overflow="fold")
        table.add_column("n", justify="right")
        table.add_column("")
        most = max(counts.values())
        for label, count in counts.items():
            table.add_row(Text(str(label)), str(count), Text(bar(count, most, "█"), "cyan"))
        blocks.append(table)
    title = f"leadcap stats, {data['as_of'][11:16]} ({data['timezone']})"
    return Group(f"[bold]{title}[/bold]", headline, "", spark, "", Columns(blocks, padding=(0, 3)))


def watch_loop(refresh, show, interval: float, iterations: int | None) -> int:
    """Call `show(refresh())` every `interval` seconds until Ctrl-C (or `iterations`
    times). Each refresh is a fresh query: nothing is held open while waiting."""
    done = 0
    try:
        while True:
            show(refresh())
            done += 1
            if iterations is not None and done >= iterations:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    return done


def one_day(store, filters, date: str | None):
    """The filters narrowed to one `--date` (which cannot go with --since/--until)."""
    if not date:
        return filters
    if filters.since or filters.until:
        raise UsageError("give either --date or --since/--until, not both")
    day_only(date)
    since = time_bound(store, date, "--date")
    return replace(filters, since=since, until=time_bound(store, date, "--date", end=True))


@handle_errors
@with_filters()
def stats(
    ctx: typer.Context,
    filters: LeadFilter,
    *,
    date: Annotated[
        str | None, typer.Option(help="Only this day: YYYY-MM-DD, today or yesterday")
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Refresh live until Ctrl-C (new scans appear)")
    ] = False,
    interval: Annotated[
        float, typer.Option(min=0, help="Seconds between refreshes with --watch")
    ] = 5.0,
    iterations: Annotated[
        int | None, typer.Option(min=1, hidden=True, help="Stop after N refreshes (tests)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Lead counts for the booth: today, per day, hour, staff, tag and more.

    Lead counts for the booth: total and today; per day, hour, staff, tag,
    co-exhibitor and rating; consent rates; leads needing review; returning visitors.
    Days and hours are in the event's time zone; deleted leads never count."""
    from leadcap.reports import stats as core

    store = open_db(ctx)
    selected = one_day(store, filters, date)

    def refresh() -> dict:
        return core.compute(store, selected)

    if not watch:
        data = refresh()
        if as_json:
            print_json(data)
        elif is_terminal():
            console().print(rich_stats(data))
        else:
            typer.echo(plain_stats(data))
        return
    if as_json:  # one compact object per line (JSON Lines), for a script to follow

        def show(data: dict) -> None:
            typer.echo(json.dumps(data, ensure_ascii=False))

        watch_loop(refresh, show, interval, iterations)
    elif is_terminal():
        from rich.live import Live

        with Live(console=console(), auto_refresh=False) as live:
            watch_loop(
                refresh,
                lambda d: live.update(rich_stats(d), refresh=True),
                interval,
                iterations,
            )
    else:
        watch_loop(refresh, lambda d: typer.echo(plain_stats(d) + "\n"), interval, iterations)


def day_only(value: str) -> None:
    text = value.strip().lower()
    if text in ("today", "yesterday"):
        return
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise UsageError(
            f"--date {value!r} is not a day. Use YYYY-MM-DD, today or yesterday"
        ) from None


def print_literal_table(columns: list[str], rows: list[list]) -> None:
    """print_table for text from lead data: on a terminal, rich would read a name such as
    `[/x]` as markup (and fail), so every value is escaped first."""
    if is_terminal():
        from rich.markup import escape

        rows = [["" if v is None else escape(str(v)) for v in row] for row in rows]
    print_table(columns, rows)


def print_debrief(report: dict) -> None:
    from leadcap.reports.debrief import summary_rows

    typer.echo(f"Debrief {report['date']} ({report['timezone']})")
    print_literal_table(["", "value"], [list(row) for row in summary_rows(report)[2:]])
    typer.echo("")
    queue = report["fixups"]
    if not queue:
        typer.echo("Fix-up queue: empty, every lead of the day is complete.")
        return
    typer.echo(f"Fix-up queue: {len(queue)} lead{'s' if len(queue) != 1 else ''}")
    rows = []
    for item in queue:
        who = f"{item['name'] or '(no name)'}" + (f", {item['company']}" if item["company"] else "")
        for n, problem in enumerate(item["problems"]):
            first = n == 0
            rows.append(
                [item["id"] if first else "", who if first else "", problem["problem"],
                 problem["command"]]
            )  # fmt: skip
    print_literal_table(["id", "lead", "to fix", "command"], rows)


@handle_errors
@with_filters(dates=False)
def debrief(
    ctx: typer.Context,
    filters: LeadFilter,
    *,
    date: Annotated[
        str, typer.Option(help="The day: YYYY-MM-DD, today or yesterday (event time zone)")
    ] = "today",
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Also write the debrief as a workbook (.xlsx)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """End-of-day report: the day's counts and what still needs fixing.

    End-of-day report: the day's counts, then every lead of the day that lacks an
    e-mail, follow-up consent, a rating or a tag, or is flagged for review, each with the
    command that fixes it."""
    from leadcap.reports import debrief as core

    store = open_db(ctx)
    day_only(date)
    start = time_bound(store, date, "--date")
    assert start is not None  # a --date was given (or today's)
    day = datetime.fromisoformat(start).astimezone(store.zone()).date()
    command = core.fix_command_prefix(state(ctx).db_path)
    report = core.debrief(store, day, command=command, flt=filters)
    if output:
        if not output.lower().endswith(".xlsx"):
            raise UsageError(f"{output} does not end in .xlsx. Name the workbook e.g. debrief.xlsx")
        core.write_workbook(report, output)
    if as_json:
        print_json(report)
        return
    print_debrief(report)
    if output:
        typer.echo(f"Wrote {output} ({len(report['fixups'])} leads to fix).", err=True)


def register(app: typer.Typer) -> None:
    app.command()(stats)
    app.command()(debrief)
