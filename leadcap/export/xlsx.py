"""Excel follow-up lists: one workbook with a summary sheet and lead sheets, or one per group.

The XML is written by `sheetxml` (no openpyxl): memory stays flat however many leads there
are. The summary sheet must come first but says how many leads each sheet holds, and column
widths must be known before the first row, so the leads are read twice. Pass a callable that
returns a fresh iterator (a new store query) or a list; a one-shot iterator is first spooled
to a temporary JSON-lines file. Leads are written in the order given: the caller sorts (hot
first, then newest). Each lead's row of cells is built in `xlsxcells`.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from . import sheetxml
from .columns import (
    LEAD_COLUMNS,
    RATINGS,
    STATUSES,
    SUMMARY_LABELS,
    Column,
    value_labels,
)
from .grouping import ANSWER_PREFIX, SPLIT_KEYS, answer_groups, group_order, lead_groups
from .safety import is_safe_card_path, mailto_target, url_target
from .sheetxml import (
    EXCEL_LINKS_PER_SHEET,
    EXCEL_MAX_URL,
    MAX_CELL_CHARS,
    SheetNamer,
    column_letter,
    display_width,
    value_cell,
)
from .xlsxcells import LeadRows, as_text, header_row, local_datetime

MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header row
# No cap on links per workbook by default; Excel's own 65,530 per sheet always applies.
LINK_LIMIT: int | None = None
MAX_WIDTH = 60

LeadSource = Callable[[], Iterable[Mapping[str, Any]]] | Iterable[Mapping[str, Any]]


@dataclass
class ExportSummary:
    """What an export wrote; the CLI shows it and tests assert on it."""

    path: Path
    total: int = 0
    rows: int = 0
    sheets: dict[str, int] = field(default_factory=dict)
    per_group: dict[str, int] = field(default_factory=dict)
    per_rating: dict[str, int] = field(default_factory=dict)
    per_day: dict[str, int] = field(default_factory=dict)
    cut_uuids: list[str] = field(default_factory=list)
    leads_without_links: int = 0


# --- reading the leads twice ----------------------------------------------------------------


class _Spool:
    """Leads kept in a temporary JSON-lines file, so a one-shot iterator can be read again."""

    def __init__(self, directory: str, name: str = "leads.jsonl"):
        self.path = Path(directory) / name
        self._out: TextIO | None = None

    def add(self, lead: Mapping[str, Any]) -> None:
        if self._out is None:
            self._out = self.path.open("a", encoding="utf-8")
        self._out.write(json.dumps(lead, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __call__(self) -> Iterator[Mapping[str, Any]]:
        self.close()
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def _rereadable(leads: LeadSource, tmpdir: str) -> Callable[[], Iterable[Mapping[str, Any]]]:
    if callable(leads):
        return leads
    if iter(leads) is not leads:  # a list, tuple or other re-iterable collection
        return lambda: leads
    spool = _Spool(tmpdir)
    for lead in leads:
        spool.add(lead)
    spool.close()
    return spool


# --- values ---------------------------------------------------------------------------------


_cut = sheetxml.excel_text


def _event_zone(event: dict | None):
    from zoneinfo import ZoneInfo

    name = (event or {}).get("timezone")
    return ZoneInfo(name) if name else None


# --- links ----------------------------------------------------------------------------------


class _LinkBudget:
    """Decides which leads get clickable links, the same way in both passes: a lead's e-mail
    and website are links on all its sheets or on none, within Excel's 65,530 per sheet and
    the optional cap for the whole workbook."""

    def __init__(self, limit: int | None, row_limit: int):
        self.left = math.inf if limit is None else limit
        self.row_limit = row_limit
        self.group_rows: Counter = Counter()
        self.per_sheet: Counter = Counter()  # (group, n-th sheet of the group) -> links

    def allow(
        self, lead: Mapping[str, Any], groups: list[str]
    ) -> tuple[str | None, str | None, str | None] | bool | None:
        """(the e-mail's link target, the website's, the card file's), None for a value
        that stays text; False: the lead has links but no room; None: it has none."""
        sheets = [(g, self.group_rows[g] // self.row_limit) for g in groups]
        self.group_rows.update(groups)
        mailto, url = mailto_target(lead.get("email")), url_target(lead.get("website"))
        safe = (
            mailto if mailto and len(mailto) <= EXCEL_MAX_URL else None,
            url if url and len(url) <= EXCEL_MAX_URL else None,
            lead["card"] if is_safe_card_path(lead.get("card")) else None,
        )
        needed = bool(safe[0]) + bool(safe[1]) + bool(safe[2])
        if not needed:
            return None
        if needed * len(groups) > self.left or any(
            self.per_sheet[s] + needed > EXCEL_LINKS_PER_SHEET for s in sheets
        ):
            return False
        self.left -= needed * len(groups)
        for s in sheets:
            self.per_sheet[s] += needed
        return safe


# --- pass 1: count --------------------------------------------------------------------------


@dataclass
class _Survey:
    total: int = 0
    per_group: Counter = field(default_factory=Counter)
    per_rating: Counter = field(default_factory=Counter)
    per_day: Counter = field(default_factory=Counter)
    widths: list[int] = field(default_factory=list)
    cut_uuids: dict[str, None] = field(default_factory=dict)
    leads_without_links: int = 0
    text_chars: int = 0
    per_answer: dict[str, Counter] = field(default_factory=dict)


_FIXED_WIDTH = {"datetime": 16, "date": 10, "bool": 6, "status": 10}


def _survey(  # noqa: C901 - one pass over every cell; splitting it would cost a second loop
    leads: Iterable[Mapping[str, Any]],
    groups_of,
    words,
    lang,
    tz,
    links: _LinkBudget,
    all_columns: tuple[Column, ...] = LEAD_COLUMNS,
    counted: tuple[Column, ...] = (),
) -> _Survey:
    survey = _Survey(widths=[display_width(c.label(lang)) + 3 for c in all_columns])
    survey.per_answer = {c.label(lang): Counter() for c in counted}
    widths = survey.widths
    columns = [
        (i, c.key, c.key.partition("consent_")[2] or None, _FIXED_WIDTH.get(c.kind))
        for i, c in enumerate(all_columns)
    ]
    for lead in leads:
        survey.total += 1
        for column in counted:
            survey.per_answer[column.label(lang)].update(answer_groups(lead.get(column.key), words))
        groups = groups_of(lead)
        survey.per_group.update(groups)
        survey.per_rating[lead.get("rating") or words["no_rating"]] += 1
        captured = local_datetime(lead.get("captured_at"), tz)
        if captured is not None:
            survey.per_day[captured.date().isoformat()] += 1
        if links.allow(lead, groups) is False:
            survey.leads_without_links += 1
        consent = lead.get("consent") or {}
        chars = 0
        for i, key, consent_key, fixed in columns:
            value = consent.get(consent_key) if consent_key else lead.get(key)
            if value is None or value == "" or value == []:
                continue
            text = value if value.__class__ is str else as_text(value) or ""
            chars += len(text)
            if len(text) > MAX_CELL_CHARS // 2 and _cut(text)[1]:
                survey.cut_uuids[str(lead.get("uuid"))] = None
            if fixed:
                widths[i] = max(widths[i], fixed)
            # An ASCII text is at most len() wide, so it can widen the column (to its width
            # + 1) only if len() + 1 is more; that skips most display_width calls.
            elif (
                widths[i] < MAX_WIDTH
                and (len(text) + 1 if text.isascii() else 2 * len(text)) > widths[i]
            ):
                widths[i] = max(widths[i], min(MAX_WIDTH, display_width(text) + 1))
        survey.text_chars += chars * len(groups)
    return survey


def _answer_lines(line: Callable, survey: _Survey, words: dict[str, str]) -> None:
    """Per question: how many leads gave each answer, most frequent first."""
    for question, counts in survey.per_answer.items():
        line("")
        line(f"{words['per_answer']}: {question}", None, "header")
        for answer, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            line(answer, count)


def _write_summary(book, survey, *, event, filters, now, words, sheets) -> None:
    lines: list[str] = []

    def line(label: str, value: object = None, style: str | None = None) -> None:
        r = len(lines) + 1
        cells = value_cell(f"A{r}", label, style) + value_cell(f"B{r}", value)
        lines.append(f'<row r="{r}">{cells}</row>')

    line(words["event"], (event or {}).get("name") or "", "header")
    line(words["timezone"], (event or {}).get("timezone") or "")
    line(words["exported_at"], now.replace(tzinfo=None))
    line(words["total"], survey.total)
    for key, value in (filters or {}).items():
        line(f"{words['filters']}: {key}", str(value))
    line("")
    line(words["per_group"], None, "header")
    for title, count in sheets:
        line(title, count)
    line("")
    line(words["per_rating"], None, "header")
    for rating in (*RATINGS, words["no_rating"]):
        if survey.per_rating.get(rating):
            line(rating, survey.per_rating[rating])
    _answer_lines(line, survey, words)
    line("")
    line(words["per_day"], None, "header")
    for day in sorted(survey.per_day):
        line(day, survey.per_day[day])
    if survey.leads_without_links:
        line("")
        line(words["no_links"], survey.leads_without_links)
    if survey.cut_uuids:
        line("")
        line(words["cut"], len(survey.cut_uuids), "header")
        for uuid in survey.cut_uuids:
            line(uuid)
    ws = book.add_sheet(words["summary"], [44, 40], expected_rows=len(lines))
    for xml in lines:
        ws.add_row(xml)
    ws.finish()


# --- sheets ---------------------------------------------------------------------------------

_STATUS_COLUMN = column_letter(1 + [c.key for c in LEAD_COLUMNS].index("status"))


class _LeadSheets:
    """The lead sheets of one workbook: which sheet a group's next row goes to, adding
    "<name> (2)" when the last one is full (or a new group's sheet, should the source have
    changed between the two passes), and the autofilter and status list when done."""

    def __init__(self, book, namer, survey, lang: str, batch: int, row_limit: int, columns):
        self.book, self.namer, self.survey, self.lang = book, namer, survey, lang
        self.batch, self.row_limit = batch, row_limit
        self.chains: dict[str, list] = {}
        self.columns = columns
        self.header = header_row([c.label(lang) for c in columns])
        words = value_labels("status", "status", lang) or {}
        self.statuses = tuple(words.get(s, s) for s in STATUSES)

    def add(self, group: str, title: str, expected_rows: int = 0):
        ws = self.book.add_sheet(
            title, self.survey.widths, expected_rows=expected_rows + 1, header=True,
            list_column=_STATUS_COLUMN, allowed=self.statuses, batch=self.batch,
        )  # fmt: skip
        ws.add_row(self.header)
        self.chains.setdefault(group, []).append(ws)
        return ws

    def with_room(self, group: str):
        chain = self.chains.get(group) or []
        for ws in chain:
            if ws.rows - 1 < self.row_limit:
                return ws
        title = self.namer(chain[0].title, f" ({len(chain) + 1})") if chain else self.namer(group)
        return self.add(group, title)


def write_workbook(
    path: str | Path,
    leads: LeadSource,
    *,
    event: dict | None = None,
    filters: dict[str, str] | None = None,
    split_by: str | None = None,
    lang: str = "en",
    progress: Callable[[int], None] | None = None,
    row_limit: int = MAX_DATA_ROWS,
    link_limit: int | None = LINK_LIMIT,
    now: datetime | None = None,
    exhibitors: dict[str, str] | None = None,
    columns: tuple[Column, ...] = LEAD_COLUMNS,
    counted: tuple[Column, ...] = (),
) -> ExportSummary:
    """Write one workbook: a summary sheet, then one lead sheet (or one per `split_by` group:
    tag, exhibitor, staff or rating; a lead with two tags is on both tag sheets; spellings
    of one exhibitor share a sheet named as `exhibitors` spells it, else as first seen).

    `leads` is read twice (see the module docstring) and written in the given order. Safe
    e-mails and websites are links, up to Excel's 65,530 per sheet and `link_limit` in all.
    `columns` may add question columns (`columns.with_answers`), `split_by` may be
    `answer:<question>`; the summary counts the answers of the `counted` columns."""
    if split_by not in (None, *SPLIT_KEYS) and not split_by.startswith(ANSWER_PREFIX):
        raise ValueError(f"split_by must be one of {SPLIT_KEYS}, not {split_by!r}")
    if lang not in SUMMARY_LABELS:
        raise ValueError(f"lang must be one of {tuple(SUMMARY_LABELS)}, not {lang!r}")
    words = SUMMARY_LABELS[lang]
    tz = _event_zone(event)
    now = now or datetime.now(UTC)
    now = now.astimezone(tz) if tz else now
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="leadcap-export-") as tmpdir:
        source = _rereadable(leads, tmpdir)
        names = dict(exhibitors or {})

        def groups_of(lead: Mapping[str, Any]) -> list[str]:
            if split_by is None:
                return [words["leads"]]
            return lead_groups(lead, split_by, words, names)

        survey = _survey(
            source(), groups_of, words, lang, tz, _LinkBudget(link_limit, row_limit), columns,
            counted,
        )  # fmt: skip
        namer = SheetNamer()
        namer(words["summary"])
        plan = []  # (group, [titles]) in sheet order
        for group in group_order(survey.per_group, split_by, words):
            chunks = max(1, math.ceil(survey.per_group[group] / row_limit))
            first = namer(group)
            plan.append((group, [first] + [namer(first, f" ({k})") for k in range(2, chunks + 1)]))
        if not plan:
            plan.append((words["leads"], [namer(words["leads"])]))
        sheet_counts = []
        for group, titles in plan:
            left = survey.per_group[group]
            for title in titles:
                sheet_counts.append((title, min(left, row_limit)))
                left -= row_limit

        # Cell XML is ~5 bytes per character at worst (escapes, UTF-8) plus ~120 per cell.
        big = (
            5 * survey.text_chars + 120 * len(columns) * sum(survey.per_group.values())
            > sheetxml.ZIP64_FROM_BYTES
        )
        book = sheetxml.Workbook(path, Path(tmpdir), big=big)
        try:
            _write_summary(
                book, survey, event=event, filters=filters, now=now, words=words,
                sheets=sheet_counts,
            )  # fmt: skip
            # Rows wait in memory in batches; with many sheets open, smaller batches.
            batch = max(16, 1000 // len(sheet_counts))
            sheets = _LeadSheets(book, namer, survey, lang, batch, row_limit, columns)
            for (title, count), group in zip(
                sheet_counts, [g for g, titles in plan for _ in titles], strict=True
            ):
                sheets.add(group, title, count)
            summary = _write_leads(source(), sheets, groups_of, split_by, tz, link_limit, progress)
            summary.path = path
            summary.per_group = dict(survey.per_group)
            summary.sheets = {ws.title: ws.rows - 1 for c in sheets.chains.values() for ws in c}
            book.close(created=now)
        except BaseException:
            book.abort()
            raise
    if progress:
        progress(summary.total)
    summary.per_rating = dict(survey.per_rating)
    summary.per_day = dict(sorted(survey.per_day.items()))
    summary.cut_uuids = list(survey.cut_uuids)
    summary.leads_without_links = survey.leads_without_links
    return summary


def _write_leads(leads, sheets: _LeadSheets, groups_of, split_by, tz, link_limit, progress):
    """Pass 2: every lead as a row on each of its groups' sheets."""
    summary = ExportSummary(path=Path())
    budget = _LinkBudget(link_limit, sheets.row_limit)
    build = LeadRows(tz, sheets.lang, sheets.columns)
    for lead in leads:
        groups = groups_of(lead)
        safe = budget.allow(lead, groups)
        for group in groups:
            ws = sheets.with_room(group)
            if safe:
                ws.add_row(build(lead, ws.rows + 1, ws.links, safe))
            else:
                ws.add_row(build(lead, ws.rows + 1, None))
            summary.rows += 1
            if split_by is None and ws.rows - 1 == sheets.row_limit:
                ws.finish()  # early, so the next sheet can stream straight into the zip
        summary.total += 1
        if progress and summary.total % 500 == 0:
            progress(summary.total)
    return summary
