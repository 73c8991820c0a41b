"""The booth screen: one full-screen picture per visitor, redrawn after every key.

Rendering only: `View` says what to show, `render` turns it into rich renderables that fit
80x24 (and use more rows when there are), `Display` puts them on the terminal with rich
Live, or as plain redrawn text on a dumb terminal. The loop that fills the View is in
`leadcap.cli.booth`."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from leadcap.store import model

if TYPE_CHECKING:
    from rich.live import Live

# kind: (words, colours). Colours go when NO_COLOR is set; the words and bold stay.
BANNERS = {
    "ready": ("READY: SCAN A BADGE", "bold white on blue"),
    "new": ("NEW LEAD", "bold white on green4"),
    "returning": ("RETURNING VISITOR", "bold black on yellow"),
    "check": ("CHECK THIS SCAN", "bold white on red3"),
    "journal": ("SAVED TO JOURNAL", "bold white on red3"),
    "forgotten": ("FORGOTTEN PERSON", "bold white on magenta"),
    "lost": ("NOT SAVED", "bold white on red3"),
    "nothing": ("NO LEAD SHOWN", "bold white on grey37"),
    "undone": ("TAKEN BACK", "bold white on grey37"),
}


@dataclass
class KeyHint:
    key: str
    label: str
    on: bool = False


@dataclass
class View:
    """Everything on the screen at one moment."""

    banner: str = "ready"
    detail: str = ""
    lead: model.Lead | None = None
    card_title: str = ""
    message: str = ""
    warning: bool = False  # the message needs a look (shown bold)
    keys: list[list[KeyHint]] = field(default_factory=list)
    panel_title: str = ""  # help, consent text, tag picker: shown instead of the card
    panel: str = ""
    prompt: str = ""
    line: str = ""
    cursor: int | None = None  # where the cursor is in `line`; None: no input line
    status: str = ""


def _banner(view: View, width: int, mono: bool) -> RenderableType:
    words, style = BANNERS.get(view.banner, BANNERS["ready"])
    if mono:  # no colours: a reversed block with the words set off, still seen from afar
        words, style = f"=== {words} ===", "bold reverse"
    big = Text(words, style=style, justify="center")
    detail = Text(view.detail or " ", style=style, justify="center", no_wrap=True)
    blank = Text(" ", style=style)
    return Group(_full(blank, width), _full(big, width), _full(detail, width), _full(blank, width))


def _full(text: Text, width: int) -> Text:
    """A line painted across the whole width (the banner is a coloured block), centred
    when its justify says so."""
    text = text.copy()
    text.truncate(width, overflow="ellipsis")
    if text.justify == "center":
        text.pad_left((width - text.cell_len) // 2)
    text.pad_right(max(0, width - text.cell_len))
    text.justify = "left"
    text.no_wrap = True
    return text


def _consent_word(state: str) -> str:
    return {"granted": "yes", "refused": "REFUSED", "withdrawn": "withdrawn"}.get(state, "-")


def lead_rows(lead: model.Lead) -> list[tuple[str, str]]:
    """The card's lines: what the person at the counter needs to see about the lead."""
    name = model.display_name(lead) or "(no name)"
    if lead.get("name_reading"):
        name += f"  ({lead['name_reading']})"
    works = " · ".join(p for p in (lead.get("department"), lead.get("title")) if p)
    consent = "  ".join(
        f"{purpose} {_consent_word(state)}" for purpose, state in lead["consent"].items()
    )
    rows = [
        ("Name", name),
        ("Company", lead.get("company") or ""),
        ("Dept/title", works),
        ("E-mail", lead.get("email") or ""),
        ("Phone", lead.get("phone") or lead.get("mobile") or ""),
        ("Badge", lead.get("badge_id") or ""),
        ("Rating", (lead.get("rating") or "-").upper()),
        ("Tags", ", ".join(lead["tags"]) or "-"),
        ("Consent", consent),
    ]
    return [(label, value) for label, value in rows if value or label in ("Name", "Company")]


def _card(view: View, lead: model.Lead, notes_room: int, height: int) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="ellipsis", no_wrap=True)
    for label, value in lead_rows(lead):
        style = "bold" if label in ("Name", "Rating") else ""
        grid.add_row(label, Text(value, style=style))
    notes = (lead.get("notes") or "").splitlines()
    if notes and notes_room > 0:
        shown = notes[-notes_room:]
        if len(notes) > len(shown):
            shown[0] = f"(+{len(notes) - len(shown) + 1} earlier) {shown[0]}"
        for number, note in enumerate(shown):
            grid.add_row("Notes" if number == 0 else "", Text(note))
    flags = ", ".join(lead.get("review_reasons") or [])
    if flags:
        grid.add_row("Check", Text(flags, style="bold"))
    return Panel(grid, title=view.card_title, title_align="left", padding=(0, 1), height=height)


def _hint(hint: KeyHint) -> Text:
    text = Text()
    text.append(hint.key, style="bold reverse" if hint.on else "bold")
    text.append(" " + hint.label + ("*" if hint.on else ""), style="bold" if hint.on else None)
    return text


def key_lines(view: View, width: int) -> list[Text]:
    """The key hints, each row wrapped at the width; `*` marks what is on."""
    lines = []
    for row in view.keys:
        line = Text()
        for hint in row:
            piece = _hint(hint)
            if line and line.cell_len + 2 + piece.cell_len > width:
                lines.append(line)
                line = Text()
            if line:
                line.append("  ")
            line.append_text(piece)
        if line:
            line.truncate(width, overflow="ellipsis")
            lines.append(line)
    return lines


def render(view: View, width: int, height: int, *, mono: bool = False) -> RenderableType:
    """The whole screen for a terminal of `width` x `height` (`mono`: without colour)."""
    parts: list[RenderableType] = [_banner(view, width, mono)]
    hints = key_lines(view, width)
    fixed = 4 + len(hints) + 4  # banner, keys, message (up to 2 lines), input line, status
    room = max(3, height - fixed)
    if view.panel:
        body = Text(view.panel)
        parts.append(Panel(body, title=view.panel_title, title_align="left", height=room))
    elif view.lead is not None:
        card_lines = len(lead_rows(view.lead)) + 2 + bool(view.lead.get("review_reasons"))
        parts.append(_card(view, view.lead, room - card_lines, room))
    else:
        empty = Text("No lead shown. Scan a badge.", style="dim")
        parts.append(Panel(empty, height=room))
    parts.extend(hints)
    message = Text(view.message or " ", style="bold" if view.warning else "")
    message.truncate(width * 2 - 1, overflow="ellipsis")
    if message.cell_len <= width:
        message.append("\n")  # the message has two lines of its own: nothing moves
    parts.append(message)
    parts.append(_input_line(view, width))
    status = Text(view.status, style="reverse", no_wrap=True, overflow="ellipsis")
    parts.append(_full(status, width))
    return Group(*parts)


def _input_line(view: View, width: int) -> Text:
    """The prompt and the line being typed, one row: a long line scrolls with the cursor."""
    text = Text(view.prompt, style="bold", no_wrap=True, overflow="crop")
    if view.cursor is None:
        return text
    line, cursor = view.line, view.cursor
    room = max(8, width - text.cell_len - 2)
    start = 0
    while Text(line[start:cursor]).cell_len > room - 1:
        start += 1
    if start:
        text.append("…")
        start += 1
    text.append(line[start:cursor])
    text.append(line[cursor : cursor + 1] or " ", style="reverse")
    text.append(line[cursor + 1 :])
    text.truncate(width - 1, overflow="ellipsis")
    return text


def plain_text(view: View) -> str:
    """The same screen as plain lines (tests, `TERM=dumb`, logs)."""
    console = Console(width=80, height=24, color_system=None, record=True, file=io.StringIO())
    console.print(render(view, 80, 24, mono=True))
    return console.export_text()


class Display:
    """The terminal: rich Live on the alternate screen, or plain redraws when the terminal
    cannot move its cursor (`TERM=dumb`). NO_COLOR keeps the layout, without colour."""

    def __init__(self, *, quiet: bool = False):
        no_color = "NO_COLOR" in os.environ
        self.console = Console(highlight=False, no_color=no_color or None)
        self.plain = self.console.is_dumb_terminal or not self.console.is_terminal
        if self.plain:
            self.console = Console(highlight=False, color_system=None, no_color=True)
        self.quiet = quiet
        self.mono = self.plain or no_color
        self._live: Live | None = None

    def __enter__(self) -> Display:
        if not self.plain:
            from rich.live import Live

            self._live = Live(
                console=self.console,
                screen=True,
                auto_refresh=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def show(self, view: View) -> None:
        width, height = self.console.size
        picture = render(view, width, height, mono=self.mono)
        if self._live is not None:
            self._live.update(picture, refresh=True)
        else:
            self.console.print("-" * min(width, 80))
            self.console.print(picture)

    def bell(self) -> None:
        if not self.quiet:
            sys.stdout.write("\a")
            sys.stdout.flush()
