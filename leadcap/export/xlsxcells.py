"""Lead sheet cells: one lead as a `<row>` of sheet XML, typed per column (numbers, yes/no,
dates and times in the event's zone, links), and the header row.

`xlsx` decides which sheet a row goes to and which leads may have links; this module only
turns values into cells. The loop runs for every cell of every lead, so it stays flat.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from . import sheetxml
from .columns import LEAD_COLUMNS, Column, joined, value_labels
from .sheetxml import STYLE_IDS, column_letter, text_cell

STYLE = {name: f' s="{n}"' for name, n in STYLE_IDS.items()}
_TEXT, _INT, _BOOL, _DATETIME, _DATE, _EMAIL, _URL, _FILE = range(8)
_KIND = {"int": _INT, "bool": _BOOL, "datetime": _DATETIME, "date": _DATE, "email": _EMAIL,
         "url": _URL, "file": _FILE}  # fmt: skip


def as_text(value: object) -> str | None:
    """A cell's text: lists joined, empty values None."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list | tuple):
        return joined(value)
    return str(value)


def local_datetime(value: object, tz) -> datetime | None:
    """An ISO 8601 time as naive wall-clock time in the event's zone (Excel has no zones)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return moment.replace(tzinfo=None)


class LeadRows:
    """Turns a lead into one `<row>` of XML. Per-column work (letters, styles, kinds) is done
    once here; the loop in `__call__` runs for every cell of every lead, so it stays flat."""

    def __init__(self, tz, lang: str = "en", columns: tuple[Column, ...] = LEAD_COLUMNS):
        self.tz = tz
        self.plan = []
        for i, column in enumerate(columns, 1):
            consent = column.key.partition("consent_")[2] or None
            style = STYLE.get(column.kind, "")
            words = value_labels(column.key, column.kind, lang)
            kind = _KIND.get(column.kind, _TEXT)
            self.plan.append((column.key, consent, column_letter(i), kind, style, words))

    def __call__(
        self, lead: Mapping[str, Any], r: int, links: list | None, safe=(None, None, None)
    ) -> str:
        """`links` collects (cell, target) for the e-mail, website and card file with the
        link targets in `safe` (see xlsx._LinkBudget.allow); None: no links."""
        row = str(r)
        cells = [f'<row r="{row}">']
        add = cells.append
        consent = lead.get("consent") or {}
        for key, consent_key, letter, kind, style, words in self.plan:
            value = consent.get(consent_key) if consent_key else lead.get(key)
            if value is None or value == "" or value == []:
                continue
            if words is not None:  # --lang de/ja: hot -> heiß, True -> ja (then a text cell)
                value = words.get(value, value)
            ref = letter + row
            if kind == _TEXT:
                add(
                    text_cell(ref, value if value.__class__ is str else as_text(value) or "", style)
                )
            elif kind == _INT and isinstance(value, int) and not isinstance(value, bool):
                add(f'<c r="{ref}"><v>{value}</v></c>')
            elif kind == _BOOL and isinstance(value, bool):
                add(sheetxml.bool_cell(ref, value))
            elif kind == _DATETIME or kind == _DATE:
                add(self.moment(ref, kind, value))
            elif links is not None and kind == _EMAIL and safe[0]:
                links.append((ref, safe[0]))
                add(text_cell(ref, value, STYLE["link"]))
            elif links is not None and kind == _URL and safe[1]:
                links.append((ref, safe[1]))
                add(text_cell(ref, value, STYLE["link"]))
            elif links is not None and kind == _FILE and safe[2]:
                links.append((ref, safe[2]))  # relative: the card file beside the workbook
                add(text_cell(ref, value, STYLE["link"]))
            else:
                add(text_cell(ref, value if value.__class__ is str else as_text(value) or ""))
        add("</row>")
        return "".join(cells)

    def moment(self, ref: str, kind: int, raw: object) -> str:
        if kind == _DATE:
            try:
                value = date.fromisoformat(str(raw)[:10])
            except ValueError:
                value = None
        else:
            value = local_datetime(raw, self.tz)
        if value is None:  # not a time after all: keep what was stored, as text
            return text_cell(ref, str(raw))
        style = STYLE["date"] if kind == _DATE else STYLE["datetime"]
        return sheetxml.number_cell(ref, sheetxml.excel_serial(value), style)


def header_row(labels: list[str]) -> str:
    style = STYLE["header"]
    cells = (text_cell(f"{column_letter(i)}1", t, style) for i, t in enumerate(labels, 1))
    return '<row r="1">' + "".join(cells) + "</row>"
