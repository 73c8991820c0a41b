"""`leadcap qr card|commands|badge`: QR codes for visitors' phones, the scan loop and rehearsals."""

import os
from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import device_config, handle_errors, is_terminal, open_db
from leadcap.errors import UsageError

app = typer.Typer(
    rich_markup_mode=None,
    help="QR codes: the booth's contact card, command code sheets, test badges.",
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
)

OUTPUT_HELP = "Write {} instead of drawing in the terminal"


def show_in_terminal(payload: str, label: str = "") -> None:
    """Draw a code with half blocks. On a colour terminal it is forced black on white, so a dark
    theme cannot invert it; with NO_COLOR or when piped, a block is a dark module as drawn."""
    from leadcap.output import qr

    lines = qr.terminal_lines(qr.qr_matrix(payload, error_correction="L"))
    if label:
        typer.echo(label)
    if not is_terminal() or "NO_COLOR" in os.environ:
        for line in lines:
            typer.echo(line)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    if console.width < len(lines[0]):
        typer.echo(
            f"Warning: the terminal is {console.width} columns wide, the code needs"
            f" {len(lines[0])}: widen it or use -o card.png.",
            err=True,
        )
    for line in lines:
        console.print(Text(line, style="#000000 on #ffffff"), no_wrap=True, crop=False)


def _sheet_or_terminal(items, output: Path | None, title: str, subtitle: str = "") -> None:
    from leadcap.output import qr

    if output is None:
        for item in items:
            show_in_terminal(item.payload, " · ".join(item.heading + item.lines))
        return
    result = qr.save_sheet(items, output, title, subtitle)
    for warning in result.warnings:
        typer.echo(f"Warning: {warning}.", err=True)
    if result.warnings:  # labels lost their Japanese: the terminal shows which code is which
        for number, item in enumerate(items, 1):
            typer.echo(f"  {number}. {' · '.join(item.heading)}: {' / '.join(item.lines)}")
    pages = f"{result.pages} page(s)" if output.suffix.lower() != ".html" else "an HTML page"
    typer.echo(
        f"Wrote {len(items)} code(s) on {pages} to {', '.join(map(str, result.paths))}"
        f" (codes at least {result.min_code_mm:g} mm wide)."
    )


@app.command("card")
@handle_errors
def card(
    ctx: typer.Context,
    *,
    mine: Annotated[
        bool, typer.Option("--mine", help="Your own card (my-card.* on this laptop)")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help=OUTPUT_HELP.format("card.png or .svg"))
    ] = None,
) -> None:
    """Show the booth's contact card as a QR code for visitors' phones.

    Show the booth's contact card (card.* settings) as a vCard QR code for visitors' phones."""
    from leadcap.output import qr

    if output is not None:
        qr.check_suffix(output, qr.CODE_SUFFIXES)
    if mine:
        details = qr.card_details(device_config(ctx), "my-card.")
    else:
        details = qr.card_details(open_db(ctx).settings, "card.")
    payload = qr.card_vcard(details)
    if output is None:
        show_in_terminal(payload)
        return
    qr.save_code(payload, output)
    typer.echo(f"Wrote {output}.")


@app.command("commands")
@handle_errors
def commands(
    ctx: typer.Context,
    *,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help=OUTPUT_HELP.format("an A4 sheet.pdf, .png or .html")),
    ] = None,
) -> None:
    """A printable sheet of the scan loop's command codes.

    A printable sheet of the scan loop's command codes: interest tags, the choices of the
    qualifying questions, ratings, consent, undo."""
    from leadcap.output import qr

    if output is not None:
        qr.check_suffix(output, qr.SHEET_SUFFIXES)
    from leadcap.store.questions import CHOICE_TYPES, list_questions

    store = open_db(ctx)
    asked = [q.as_dict() for q in list_questions(store) if q.type in CHOICE_TYPES]
    items = qr.command_items(store.setting("tags") or [], asked)
    title = f"leadcap · {store.event}" if store.event else "leadcap command codes"
    _sheet_or_terminal(items, output, title, qr.COMMANDS_HOW_TO)


@app.command("badge")
@handle_errors
def badge(
    ctx: typer.Context,
    *,
    badge_format: Annotated[
        str, typer.Option("--format", help="What the badge code holds: vcard, mecard or id")
    ] = "vcard",
    count: Annotated[int, typer.Option("--count", help="How many badges")] = 8,
    japanese: Annotated[
        bool, typer.Option("--japanese", help="Japanese names with kana readings")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Another seed, other people")] = 27,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="A folder for badge-001.png..., or sheet.pdf, .png or .html"
        ),
    ] = None,
) -> None:
    """Invented test badges (the same ones every time) to rehearse the scanner set-up."""
    from leadcap.output import badges as badges_core
    from leadcap.output import qr

    badge_format = badge_format.lower()
    if badge_format not in badges_core.BADGE_FORMATS:
        raise UsageError(f"unknown --format {badge_format!r}. Use vcard, mecard or id")
    suffix = output.suffix.lower() if output is not None else ""
    if output is not None and suffix and not output.is_dir():
        qr.check_suffix(output, qr.SHEET_SUFFIXES)
    badges = badges_core.sample_badges(count, japanese=japanese, seed=seed)
    if output is not None and (not suffix or output.is_dir()):
        paths = badges_core.save_badge_pngs(badges, badge_format, output)
        typer.echo(f"Wrote {len(paths)} badge(s) to {output}.")
        return
    items = [b.sheet_item(badge_format) for b in badges]
    _sheet_or_terminal(items, output, f"leadcap test badges ({badge_format})")
