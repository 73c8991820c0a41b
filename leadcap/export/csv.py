"""CSV files for Excel users and for CRM imports (Salesforce, HubSpot).

leadcap's own layout is for people who open it in a spreadsheet: UTF-8 with a byte-order mark
so Excel shows Japanese and German letters, every field quoted, and every value neutralised
against formula injection (a leading quote where a spreadsheet would otherwise run it).

The CRM layouts are for import wizards, not for opening in Excel: the CRM stores each value
as written, so they carry no neutralising quote (it would end up in the CRM record) and
phones are E.164 (`+4971112345`), the form CRMs dial and match on."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from .columns import (
    SALESFORCE_COLUMNS,
    Column,
    hubspot_columns,
    joined,
    lead_value,
    value_labels,
    with_answers,
)
from .safety import clean_xml, neutralise

FORMATS = ("leadcap", "salesforce", "hubspot")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = joined(value) or ""
    # Control characters would not harm a CSV reader, but many CRMs reject the file.
    return clean_xml(str(value))


def _spreadsheet_cell(value: object) -> str:
    return neutralise(_text(value))


def _layout(format: str, lang: str = "en", answers: tuple[Column, ...] = ()):
    if format == "salesforce":
        return SALESFORCE_COLUMNS
    if format == "hubspot":
        return hubspot_columns(answers)
    if format == "leadcap":
        layout = []
        for column in with_answers(answers):
            words = value_labels(column.key, column.kind, lang)

            def get(lead: Mapping[str, Any], key: str = column.key, words=words) -> object:
                value = lead_value(lead, key)
                return words.get(value, value) if words and value is not None else value

            layout.append((column.key, get))
        return tuple(layout)
    raise ValueError(f"format must be one of {FORMATS}, not {format!r}")


def write_csv(
    target: str | Path | TextIO,
    leads: Iterable[Mapping[str, Any]],
    *,
    delimiter: str = ",",
    format: str = "leadcap",
    lang: str = "en",
    answers: tuple[Column, ...] = (),
) -> int:
    """Write leads as CSV in leadcap's own layout (column keys as headers, values in `lang`)
    or a CRM's import layout (see columns.py) to a path or an open text stream (no BOM
    there). `answers`: question columns (`answer:<name>` keys), after the tags in leadcap's
    layout and last, named after the question, for HubSpot. Returns the number of leads
    written."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8-sig", newline="") as out:
            return write_csv(
                out, leads, delimiter=delimiter, format=format, lang=lang, answers=answers
            )
    layout = _layout(format, lang, answers)
    cell = _spreadsheet_cell if format == "leadcap" else _text
    writer = csv.writer(target, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    writer.writerow([header for header, _ in layout])
    count = 0
    for lead in leads:
        writer.writerow([cell(get(lead)) for _, get in layout])
        count += 1
    return count
