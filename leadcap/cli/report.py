"""`leadcap stats` (the booth dashboard, optionally live), `leadcap debrief` (the
end-of-day report with its fix-up queue) and `leadcap report` (the fair report workbook)."""

import json
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
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
    show_time,
    state,
    time_bound,
    visible,
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


def shown_sections(data: dict) -> list:
    """stats_sections with labels (staff, tags, co-exhibitors: lead data) made safe for
    a terminal: escape sequences shown, not obeyed."""
    return [
        (title, {visible(str(label)): count for label, count in counts.items()})
        for title, counts in stats_sections(data)
    ]


def plain_stats(data: dict) -> str:
    """Aligned text for pipes and logs: `label  count  ####` lines under each title."""
    lines = [f"leadcap stats, {data['as_of'][:16].replace('T', ' ')} ({data['timezone']})"]
    width = max(len(label) for label, _ in stats_headline(data))
    lines += [f"{label:<{width}}  {value}" for label, value in stats_headline(data)]
    for title, counts in shown_sections(data):
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
    """The dashboard for a terminal: headline numbers, an hourly sparkline, and a bar chart
    per day, hour, staff member, tag, co-exhibitor and rating, sized to the terminal."""
    from rich.console import Group
    from rich.table import Table

    from leadcap.cli.bars import dashboard

    headline = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    for label, value in stats_headline(data):
        headline.add_row(label, f"[bold]{value}[/bold]")
    hours = list(data["per_hour"].values())
    spark = f"hours 00-23  {sparkline(hours)}  (busiest {max(hours, default=0)})"
    title = f"leadcap stats, {data['as_of'][11:16]} ({data['timezone']})"
    return Group(f"[bold]{title}[/bold]", headline, "", spark, "", dashboard(shown_sections(data)))


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
    day_only(store, date)
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
        float,
        typer.Option(min=0.5, help="Seconds between refreshes with --watch (at least 0.5)"),
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


def day_only(store, value: str) -> None:
    """--date is one day (no date-time): the same day forms as every other date option."""
    from leadcap.store.dates import parse_day

    parse_day(store, value, "--date")


def lead_words(lead: dict) -> str:
    """A lead in a fix-up group: number, name and company."""
    name = lead["name"] or "(no name)"
    return f"{lead['id']} {name}" + (f" ({lead['company']})" if lead["company"] else "")


def print_debrief(report: dict) -> None:
    """The counts as a table, then the fix-up queue grouped by problem. Plain text lines:
    names from badges are data, so nothing here goes through rich markup (print_table
    already shows each value as it is)."""
    import textwrap

    from leadcap.reports.debrief import summary_rows

    typer.echo(f"Debrief {report['date']} ({report['timezone']})")
    print_table(["", "value"], [list(row) for row in summary_rows(report)[2:]])
    typer.echo("")
    queue = report["fixups"]
    if not queue:
        typer.echo("Fix-up queue: empty, every lead of the day is complete.")
        return
    typer.echo(f"Fix-up queue: {len(queue)} lead{'s' if len(queue) != 1 else ''}")
    for group in report["fixup_groups"]:
        leads = group["leads"]
        typer.echo("")
        heading = f"{group['title']} ({len(leads)})"
        if group["kind"] == "review":
            typer.echo(heading + ":")
            for lead in leads:
                typer.echo(f"  {lead_words(lead)}: {lead['problem']}")
        else:
            text = ", ".join(lead_words(lead) for lead in leads)
            typer.echo(textwrap.fill(f"{heading}: {text}", width=100, subsequent_indent="  "))
        when = ", only after asking the visitor" if group["kind"] == "consent" else ""
        typer.echo(f"  fix{when}: {group['command']}")


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
    day_only(store, date)
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


@handle_errors
@with_filters()
def report(
    ctx: typer.Context,
    filters: LeadFilter,
    *,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="The report workbook (.xlsx)"),
    ] = None,
    lang: Annotated[
        str, typer.Option(help="Sheet names, titles and axis labels: en, de or ja")
    ] = "en",
    per_exhibitor: Annotated[
        Path | None,
        typer.Option(
            "--per-exhibitor", metavar="DIR", help="Also one report per co-exhibitor in DIR"
        ),
    ] = None,
) -> None:
    """The fair report: a workbook with a native chart per topic, counts only.

    One sheet per topic, each a table with its chart: leads per fair day and hour,
    co-exhibitor, staff member, interest, rating and country; consent rates; returning
    visitors; follow-up status per owner, the funnel and the service level; and a cover
    sheet. No visitor's name, e-mail, phone or badge is in it, so it can be shared."""
    from leadcap.reports import fair_report as core

    core.check_lang(lang)
    if output is None and per_exhibitor is None:
        raise UsageError("say where to write the report: -o report.xlsx (or --per-exhibitor DIR)")
    if output is not None and output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output} does not end in .xlsx. Name the report e.g. report.xlsx")
    store = open_db(ctx)
    shown = describe_filters(store, filters)
    if output is not None:
        data = core.gather(store, filters)
        core.write_report(data, output, lang=lang, filters=shown)
        typer.echo(f"Wrote the report on {data['stats']['total']} lead(s) to {output}.")
    if per_exhibitor is not None:
        paths = core.write_per_exhibitor(store, per_exhibitor, filters, lang=lang, filters=shown)
        if not paths:
            typer.echo(
                "No co-exhibitors, so no report per co-exhibitor was written. Name them with"
                " leadcap config set exhibitors 'ACME GmbH,Fraunhofer IPA'."
            )
            return
        typer.echo(f"Wrote {len(paths)} co-exhibitor report(s) to {per_exhibitor}.")
        for path in paths:
            typer.echo(f"  {path.name}")


def describe_filters(store, filters: LeadFilter) -> dict[str, str]:
    """The filters as the report's cover lists them; dates in the event's time zone."""
    shown = {
        "tag": ", ".join(filters.tags) or None,
        "since": show_time(store, filters.since) or None,
        "until (before)": show_time(store, filters.until) or None,
    }
    for key in ("rating", "staff", "exhibitor", "consent", "status", "owner"):
        shown[key] = getattr(filters, key)
    shown["review"] = "yes" if filters.review else None
    return {key: str(value) for key, value in shown.items() if value}


def register(app: typer.Typer) -> None:
    app.command()(stats)
    app.command()(debrief)
    app.command()(report)
