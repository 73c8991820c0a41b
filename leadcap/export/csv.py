"""CSV files for Excel users and for CRM imports (Salesforce, HubSpot).

UTF-8 with a byte-order mark so Excel shows Japanese and German letters, every field quoted,
and every value neutralised against formula injection (a leading quote where a spreadsheet
would otherwise run it)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from .columns import (
    SALESFORCE_COLUMNS,
    Column,
    hubspot_columns,
    joined,
    lead_value,
    with_answers,
)
from .safety import clean_xml, neutralise

FORMATS = ("leadcap", "salesforce", "hubspot")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = joined(value) or ""
    # Control characters would not harm a CSV reader, but many CRMs reject the file.
    return neutralise(clean_xml(str(value)))


def _layout(format: str, answers: tuple[Column, ...] = ()):
    if format == "salesforce":
        return SALESFORCE_COLUMNS
    if format == "hubspot":
        return hubspot_columns(answers)
    if format == "leadcap":
        return tuple(
            (column.key, lambda lead, key=column.key: lead_value(lead, key))
            for column in with_answers(answers)
        )
    raise ValueError(f"format must be one of {FORMATS}, not {format!r}")


def write_csv(
    path: str | Path,
    leads: Iterable[dict],
    *,
    delimiter: str = ",",
    format: str = "leadcap",
    answers: tuple[Column, ...] = (),
) -> int:
    """Write leads as CSV in leadcap's own layout (column keys as headers) or a CRM's import
    layout (see columns.py). `answers`: question columns (`answer:<name>` keys), after the
    tags in leadcap's layout and last, named after the question, for HubSpot. Returns the
    number of leads written."""
    layout = _layout(format, answers)
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL)
        writer.writerow([header for header, _ in layout])
        for lead in leads:
            writer.writerow([_cell(get(lead)) for _, get in layout])
            count += 1
    return count
