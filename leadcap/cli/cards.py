"""`leadcap cards ...`: business cards (meishi) into leads, and the review loop."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import JsonOption, handle_errors, open_db, print_json, state
from leadcap.store import model

app = typer.Typer(
    help="Business cards (meishi): photos and scans become leads, the card is kept.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

# Review keys: one letter per field (Enter accepts the lead as it is).
REVIEW_KEYS = {
    "f": "family_name",
    "g": "given_name",
    "r": "name_reading",
    "c": "company",
    "d": "department",
    "t": "title",
    "e": "email",
    "p": "phone",
    "m": "mobile",
    "w": "website",
    "z": "postal_code",
    "a": "street",
    "y": "city",
    "x": "region",
    "o": "country",
    "n": "notes",
}
# Lead column -> the card field whose confidence it shows.
CARD_FIELD = {"street": "address"}


def has_display() -> bool:
    """Whether a system image viewer can open a window here."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def show_card_file(path: Path) -> None:
    """Open a card image in the system viewer when there is a display, else draw it in the
    terminal (when stdout is one); always print its path."""
    typer.echo(f"Card: {path}")
    if has_display():
        typer.launch(str(path))
    elif sys.stdout.isatty() and "NO_COLOR" not in os.environ:
        from rich.console import Console
        from rich.text import Text

        Console().print(Text("\n").join(terminal_picture(path)))


def terminal_picture(path: Path, width: int = 100) -> list:
    """The image as rich Text lines of half blocks (two pixels per character cell): enough
    to check a name or a number against the card over SSH or on a text console."""
    from PIL import Image
    from rich.text import Text

    with Image.open(path) as opened:
        height = max(2, round(opened.height * width / opened.width / 2) * 2)
        picture = opened.convert("RGB").resize((width, height))
    rgb = picture.tobytes()  # 3 bytes a pixel, row after row
    lines = []
    for y in range(0, height, 2):
        line = Text()
        for x in range(width):
            at = 3 * (y * width + x)
            below = at + 3 * width
            top, bottom = rgb[at : at + 3], rgb[below : below + 3]
            line.append("▀", style="rgb({},{},{}) on rgb({},{},{})".format(*top, *bottom))
        lines.append(line)
    return lines


def card_folder(ctx: typer.Context) -> Path:
    return state(ctx).app_dir / "cards"


@app.command("import")
@handle_errors
def import_(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH", help="Card photos, scans (JPEG, PNG, HEIC), PDFs or folders"
        ),
    ],
    *,
    lead: Annotated[
        str | None,
        typer.Option("--lead", help="Attach the card to this lead and fill its empty fields"),
    ] = None,
    no_ocr: Annotated[
        bool, typer.Option("--no-ocr", help="Only keep the cards; fields are typed in review")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Read business cards into leads: QR code first, then OCR, offline.

    OCR needs the extra: pip install 'leadcap[ocr]'. Every lead from a card is flagged
    for review; without OCR it is flagged "type from card" and `leadcap cards review` shows
    the card while you type."""
    from leadcap.intake.cards.importing import import_cards
    from leadcap.intake.cards.reader import card_files

    card_files(paths)  # a mistyped path is reported before a database is created
    store = open_db(ctx, create=lead is None)
    results = import_cards(store, paths, lead_id=lead, ocr=not no_ocr)
    if as_json:
        print_json([_result_json(r) for r in results])
    for result in results:
        if result.error:
            typer.echo(f"Error: {result.path.name}: {result.error}.", err=True)
        elif not as_json:
            _print_result(result)
    if not as_json and not any(r.error for r in results):
        warnings = {w for r in results if r.reading for w in r.reading.warnings}
        for warning in sorted(warnings):
            typer.echo(f"Note: {warning}. Install OCR with: pip install 'leadcap[ocr]'")
    if all(r.error for r in results):
        raise typer.Exit(code=1)


def _print_result(result) -> None:
    lead, reading = result.lead, result.reading
    page = f" page {result.page}" if result.page > 1 else ""
    if result.duplicate:
        typer.echo(f"{result.path.name}{page}: already imported as lead {lead['id']}")
        return
    verb = "new lead" if result.created else "attached to lead"
    name = model.display_name(lead) or "(no name read)"
    how = {"qr": "QR code", "ocr": "OCR", "qr+ocr": "QR code + OCR", "none": "not read"}
    typer.echo(
        f"{result.path.name}{page}: {verb} {lead['id']} {name}"
        f" ({how[reading.source]}, {len(reading.fields.values)} fields)"
    )
    low = reading.fields.low_confidence()
    if low:
        typer.echo(f"  check: {', '.join(low)}")


def _result_json(result) -> dict:
    data = {"file": str(result.path), "page": result.page, "error": result.error}
    if result.lead:
        reading = result.reading
        data.update(
            lead=result.lead["id"],
            created=result.created,
            duplicate=result.duplicate,
            source=reading.source,
            layout=reading.fields.layout,
            fields=reading.fields.values,
            confidence=reading.fields.confidence,
            filled=result.filled,
        )
    return data


@app.command()
@handle_errors
def review(
    ctx: typer.Context,
    *,
    all_: Annotated[
        bool, typer.Option("--all", help="Also leads from cards already reviewed")
    ] = False,
) -> None:
    """Check leads from business cards against the card, one card at a time.

    The card is shown beside the fields (low-confidence ones marked ?). Enter accepts; a
    field's letter edits it; s skips; q quits. Every change goes through the change log."""
    from leadcap.intake.cards.review import review_queue
    from leadcap.intake.cards.storage import lead_cards, write_card
    from leadcap.store import leads as core

    store = open_db(ctx)
    queue = review_queue(store, include_reviewed=all_)
    if not queue:
        typer.echo("No cards to review.")
        return
    accepted = edited = 0
    for number, lead in enumerate(queue, start=1):
        cards = lead_cards(store, lead)
        confidence = cards[-1]["fields"].get("confidence", {}) if cards else {}
        show_card_file(write_card(store, lead, card_folder(ctx)))
        while True:
            typer.echo(f"-- card {number} of {len(queue)}: lead {lead['id']}")
            for reason in lead["review_reasons"]:
                typer.echo(f"   ! {reason}")
            for key, name in REVIEW_KEYS.items():
                score = confidence.get(CARD_FIELD.get(name, name))
                mark = "?" if score is not None and score < 0.9 else " "
                typer.echo(f" {mark}[{key}] {name:12} {lead.get(name) or ''}")
            answer = typer.prompt(
                "Enter accepts, letter edits, s skips, q quits",
                default="",
                show_default=False,
            ).strip()
            if answer == "":
                core.update_lead(store, lead["id"], {"reviewed": True}, command="cards review")
                accepted += 1
                break
            if answer == "s":
                break
            if answer == "q":
                typer.echo(f"Reviewed {accepted} card(s), {edited} field(s) changed.")
                return
            chosen = REVIEW_KEYS.get(answer.lower())
            if chosen is None:
                typer.echo(f"Unknown key {answer!r}.")
                continue
            value = typer.prompt(chosen, default=lead.get(chosen) or "", show_default=True)
            lead = core.update_lead(store, lead["id"], {chosen: value}, command="cards review")
            edited += 1
    typer.echo(f"Reviewed {accepted} card(s), {edited} field(s) changed.")


def show_lead_card(ctx: typer.Context, lead: model.Lead) -> None:
    """`leadcap show ID --card`: write the card image out and open it (or print its path)."""
    from leadcap.intake.cards.storage import write_card

    store = open_db(ctx)
    show_card_file(write_card(store, lead, card_folder(ctx)))
