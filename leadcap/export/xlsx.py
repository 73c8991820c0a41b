"""Excel follow-up lists: one workbook with a summary sheet and lead sheets, or one per group.

Memory stays flat however many leads there are: openpyxl's write-only mode streams each sheet
to a temporary file. The summary sheet must come first but says how many leads each sheet
holds, and column widths must be known before the first row, so the leads are read twice.
Pass a callable that returns a fresh iterator (a new store query) or a list; a one-shot
iterator is first spooled to a temporary JSON-lines file. Leads are written in the order
given: the caller sorts (hot first, then newest).
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from .columns import (
    LEAD_COLUMNS,
    RATINGS,
    SPLIT_KEYS,
    STATUSES,
    SUMMARY_LABELS,
    Column,
    joined,
    lead_value,
)
from .safety import clean_xml, is_safe_email, is_safe_url, safe_filename

MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header row
MAX_CELL_CHARS = 32_767
# Each clickable cell costs openpyxl about 1 KB until the file is saved, so big exports stop
# making links after this many link cells and keep the address as plain text.
LINK_LIMIT = 10_000
MAX_WIDTH = 60
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_SHEET_BAD = str.maketrans({c: "_" for c in "[]:*?/\\"})

LeadSource = Callable[[], Iterable[dict]] | Iterable[dict]


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
        self._out = None

    def add(self, lead: dict) -> None:
        if self._out is None:
            self._out = self.path.open("a", encoding="utf-8")
        self._out.write(json.dumps(lead, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __call__(self) -> Iterator[dict]:
        self.close()
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def _rereadable(leads: LeadSource, tmpdir: str) -> Callable[[], Iterable[dict]]:
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


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK and full-width characters count double."""
    widest = 0
    for line in text.split("\n"):
        if line.isascii():
            width = len(line)
        else:
            width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        widest = max(widest, width)
    return widest


def _cut(text: str) -> tuple[str, bool]:
    """Text as Excel shows it typed: illegal XML replaced, line breaks as LF (XML readers turn
    a bare CR into LF anyway), literal `_x0041_` escaped so Excel does not decode it, and at
    most 32,767 UTF-16 units."""
    text = clean_xml(text).replace("\r\n", "\n").replace("\r", "\n")
    if "_x" in text:
        text = _OOXML_ESCAPE.sub(r"_x005F_\1", text)
    if len(text) <= MAX_CELL_CHARS // 2 or len(text.encode("utf-16-le")) <= 2 * MAX_CELL_CHARS:
        return text, False
    units = text.encode("utf-16-le")[: 2 * MAX_CELL_CHARS]
    return units.decode("utf-16-le", errors="ignore"), True


def _as_text(value: object) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list | tuple):
        return joined(value)
    return str(value)


def _local_datetime(value: object, tz) -> datetime | None:
    """An ISO 8601 time as naive wall-clock time in the event's zone (Excel has no zones)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return moment.replace(tzinfo=None)


def _event_zone(event: dict):
    from zoneinfo import ZoneInfo

    name = (event or {}).get("timezone")
    return ZoneInfo(name) if name else None


def _groups_of(lead: dict, split_by: str | None, words: dict[str, str]) -> list[str]:
    if split_by is None:
        return [words["leads"]]
    if split_by == "tag":
        tags = [t.strip() for t in (lead.get("tags") or []) if t and t.strip()]
        return list(dict.fromkeys(tags)) or [words["no_tag"]]
    if split_by == "rating":
        return [lead.get("rating") or words["no_rating"]]
    if split_by == "exhibitor":
        key = lead.get("exhibitor")
    else:  # "staff": the colleague who follows up - the owner once assigned, else the capturer
        key = lead.get("owner") or lead.get("captured_by")
    return [str(key).strip() or words["none"]] if key else [words["none"]]


def _group_order(groups: Iterable[str], split_by: str | None, words: dict[str, str]) -> list:
    fallbacks = {words["no_tag"], words["none"], words["no_rating"]}
    if split_by == "rating":
        rank = {r: i for i, r in enumerate(RATINGS)}
        return sorted(groups, key=lambda g: (rank.get(g, len(RATINGS)), g))
    return sorted(groups, key=lambda g: (g in fallbacks, g.casefold()))


# --- pass 1: count --------------------------------------------------------------------------


@dataclass
class _Survey:
    total: int = 0
    per_group: Counter = field(default_factory=Counter)
    per_rating: Counter = field(default_factory=Counter)
    per_day: Counter = field(default_factory=Counter)
    widths: list[int] = field(default_factory=list)
    cut_uuids: dict[str, None] = field(default_factory=dict)
    links_used: int = 0
    leads_without_links: int = 0


_FIXED_WIDTH = {"datetime": 16, "date": 10, "bool": 6, "status": 10}


def _links_in(lead: dict) -> int:
    return is_safe_email(lead.get("email")) + is_safe_url(lead.get("website"))


def _survey(leads: Iterable[dict], split_by, words, tz, lang, link_limit) -> _Survey:
    survey = _Survey(widths=[display_width(c.label(lang)) + 3 for c in LEAD_COLUMNS])
    widths = survey.widths
    for lead in leads:
        survey.total += 1
        groups = _groups_of(lead, split_by, words)
        survey.per_group.update(groups)
        survey.per_rating[lead.get("rating") or words["no_rating"]] += 1
        captured = _local_datetime(lead.get("captured_at"), tz)
        if captured is not None:
            survey.per_day[captured.date().isoformat()] += 1
        needed = _links_in(lead) * len(groups)
        if survey.links_used + needed <= link_limit:
            survey.links_used += needed
        elif needed:
            survey.leads_without_links += 1
        for i, column in enumerate(LEAD_COLUMNS):
            text = _as_text(lead_value(lead, column.key))
            if text is None:
                continue
            if len(text) > MAX_CELL_CHARS // 2 and _cut(text)[1]:
                survey.cut_uuids[str(lead.get("uuid"))] = None
            if column.kind in _FIXED_WIDTH:
                widths[i] = max(widths[i], _FIXED_WIDTH[column.kind])
            elif widths[i] < MAX_WIDTH and 2 * len(text) > widths[i]:
                widths[i] = max(widths[i], min(MAX_WIDTH, display_width(text) + 1))
    return survey


# --- sheets ---------------------------------------------------------------------------------


class _SheetNamer:
    """Valid, unique sheet names: at most 31 characters, none of []:*?/\\, not "History",
    not empty, unique ignoring case (as Excel compares them)."""

    def __init__(self):
        self.used: set[str] = {"history"}

    def __call__(self, wanted: str, suffix: str = "") -> str:
        base = clean_xml(wanted).translate(_SHEET_BAD).strip().strip("'") or "_"
        n = 1
        while True:
            tail = suffix if n == 1 else f"{suffix} ({n})"
            title = base[: 31 - len(tail)].rstrip().strip("'") + tail
            if title.casefold() not in self.used:
                self.used.add(title.casefold())
                return title
            n += 1


class _Writer:
    """Builds row cells for one workbook; styles are made once and shared by every cell."""

    def __init__(self, wb, tz, link_limit: int):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill

        self.cell_class = WriteOnlyCell
        self.tz = tz
        self.link_limit = link_limit
        self.links_used = 0
        probe = wb.create_sheet("_probe")
        self.styles = {}
        for name, setup in {
            "code": lambda c: setattr(c, "number_format", "@"),
            "datetime": lambda c: setattr(c, "number_format", "yyyy-mm-dd hh:mm"),
            "date": lambda c: setattr(c, "number_format", "yyyy-mm-dd"),
            "notes": lambda c: setattr(c, "alignment", Alignment(wrap_text=True, vertical="top")),
            "link": lambda c: setattr(c, "style", "Hyperlink"),
            "header": lambda c: (
                setattr(c, "font", Font(bold=True)),
                setattr(c, "fill", PatternFill("solid", fgColor="DDEBF7")),
            ),
        }.items():
            cell = WriteOnlyCell(probe)
            setup(cell)
            self.styles[name] = cell._style
        wb.remove(probe)

    def text(self, ws, value: str, style: str | None = None):
        """An explicit string cell: never a formula or an error value, whatever it says."""
        cell = self.cell_class(ws)
        if style:
            cell._style = self.styles[style]
        cell._value = value
        cell.data_type = "s"
        return cell

    def plain(self, ws, value: str):
        # openpyxl turns "=..." into a formula and "#N/A" into an error; anything else is a
        # plain string and needs no cell object of its own (much faster).
        return self.text(ws, value) if value[:1] in "=#" else value

    def row(self, ws, lead: dict, with_links: bool) -> list:
        row = []
        for column in LEAD_COLUMNS:
            row.append(self.value(ws, column, lead_value(lead, column.key), with_links))
        return row

    def value(self, ws, column: Column, raw: object, with_links: bool):
        kind = column.kind
        if raw is None or raw == "" or raw == []:
            return None
        if kind == "int" and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if kind == "bool" and isinstance(raw, bool):
            return raw
        if kind == "datetime" or kind == "date":
            return self.moment(ws, kind, raw)
        text, _ = _cut(_as_text(raw))
        if kind == "code":
            return self.text(ws, text, "code")
        if kind == "notes":
            return self.text(ws, text, "notes")
        if with_links and kind in ("email", "url"):
            safe = is_safe_email(text) if kind == "email" else is_safe_url(text)
            if safe:
                cell = self.text(ws, text, "link")
                cell.hyperlink = f"mailto:{text}" if kind == "email" else text
                return cell
        return self.plain(ws, text)

    def moment(self, ws, kind: str, raw: object):
        if kind == "date":
            try:
                value = date.fromisoformat(str(raw)[:10])
            except ValueError:
                value = None
        else:
            value = _local_datetime(raw, self.tz)
        if value is None:  # not a time after all: keep what was stored, as text
            return self.plain(ws, _cut(str(raw))[0])
        cell = self.cell_class(ws)
        cell._style = self.styles[kind]
        cell.value = value
        return cell


def _new_lead_sheet(wb, writer: _Writer, title: str, widths: list[int], lang: str):
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([writer.text(ws, c.label(lang), "header") for c in LEAD_COLUMNS])
    return ws


def _finish_lead_sheet(ws, rows: int) -> None:
    """Autofilter and the status drop-down over the rows actually written."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    last_col = get_column_letter(len(LEAD_COLUMNS))
    ws.auto_filter.ref = f"A1:{last_col}{rows + 1}"
    status_col = get_column_letter(1 + [c.key for c in LEAD_COLUMNS].index("status"))
    allowed = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True)
    allowed.add(f"{status_col}2:{status_col}{max(rows, 1) + 1}")
    ws.data_validations.append(allowed)


def _write_summary(wb, writer, survey, *, event, filters, now, words, sheets):
    ws = wb.create_sheet(words["summary"])
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 40

    def line(label: str, value: object = None, style: str | None = None) -> None:
        if isinstance(value, str):
            value = writer.text(ws, _cut(value)[0])
        ws.append([writer.text(ws, label, style), value])

    line(words["event"], (event or {}).get("name") or "", "header")
    line(words["timezone"], (event or {}).get("timezone") or "")
    exported = writer.cell_class(ws)
    exported._style = writer.styles["datetime"]
    exported.value = now.replace(tzinfo=None)
    line(words["exported_at"], exported)
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


def _sheet_with_room(sheets, group, rows, row_limit, namer, wb, writer, survey, lang):
    """The group's sheet that still has room, adding "<name> (2)" when the last one is full
    (or a new group's sheet, should the source have changed between the two passes)."""
    chain = sheets.setdefault(group, [])
    for ws in chain:
        if rows[ws.title] < row_limit:
            return ws
    title = namer(chain[0].title, f" ({len(chain) + 1})") if chain else namer(group)
    chain.append(_new_lead_sheet(wb, writer, title, survey.widths, lang))
    return chain[-1]


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
    link_limit: int = LINK_LIMIT,
    now: datetime | None = None,
) -> ExportSummary:
    """Write one workbook: a summary sheet, then one lead sheet (or one per `split_by` group:
    tag, exhibitor, staff or rating; a lead with two tags is on both tag sheets).

    `leads` is read twice (see the module docstring) and written in the given order."""
    from openpyxl import Workbook

    if split_by not in (None, *SPLIT_KEYS):
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
        survey = _survey(source(), split_by, words, tz, lang, link_limit)

        wb = Workbook(write_only=True)
        writer = _Writer(wb, tz, link_limit)
        namer = _SheetNamer()
        namer(words["summary"])
        plan = []  # (group, [titles]) in sheet order
        for group in _group_order(survey.per_group, split_by, words):
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
        _write_summary(
            wb, writer, survey, event=event, filters=filters, now=now, words=words,
            sheets=sheet_counts,
        )  # fmt: skip

        sheets = {g: [_new_lead_sheet(wb, writer, t, survey.widths, lang) for t in titles]
                  for g, titles in plan}  # fmt: skip
        rows = Counter()  # per sheet title
        summary = ExportSummary(path=path, per_group=dict(survey.per_group))
        links_used = 0
        for lead in source():
            groups = _groups_of(lead, split_by, words)
            needed = _links_in(lead) * len(groups)
            with_links = links_used + needed <= link_limit
            links_used += needed if with_links else 0
            for group in groups:
                ws = _sheet_with_room(
                    sheets, group, rows, row_limit, namer, wb, writer, survey, lang
                )
                ws.append(writer.row(ws, lead, with_links))
                rows[ws.title] += 1
                summary.rows += 1
            summary.total += 1
            if progress and summary.total % 500 == 0:
                progress(summary.total)
        for chain in sheets.values():
            for ws in chain:
                _finish_lead_sheet(ws, rows[ws.title])
                summary.sheets[ws.title] = rows[ws.title]
        wb.save(path)
    if progress:
        progress(summary.total)
    summary.per_rating = dict(survey.per_rating)
    summary.per_day = dict(sorted(survey.per_day.items()))
    summary.cut_uuids = list(survey.cut_uuids)
    summary.leads_without_links = survey.leads_without_links
    return summary


def write_split_files(
    directory: str | Path,
    leads: LeadSource,
    *,
    split_by: str,
    filters: dict[str, str] | None = None,
    lang: str = "en",
    **options,
) -> list[Path]:
    """One workbook per group (e.g. per colleague with split_by="staff"), named after the
    group and safe on every file system. The leads are read once into one temporary
    JSON-lines file per group, so memory stays flat; each file is then written from its own."""
    if split_by not in SPLIT_KEYS:
        raise ValueError(f"split_by must be one of {SPLIT_KEYS}, not {split_by!r}")
    words = SUMMARY_LABELS.get(lang, SUMMARY_LABELS["en"])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="leadcap-split-") as tmpdir:
        spools: dict[str, _Spool] = {}
        for lead in leads() if callable(leads) else leads:
            for group in _groups_of(lead, split_by, words):
                if group not in spools:
                    spools[group] = _Spool(tmpdir, f"{len(spools)}.jsonl")
                spools[group].add(lead)
                if len(spools) > 64:  # stay well below the open-file limit
                    spools[group].close()
        used: set[str] = set()
        for group in _group_order(spools, split_by, words):
            stem = safe_filename(group)
            name, n = stem, 1
            while name.casefold() in used:
                n += 1
                name = f"{stem} ({n})"
            used.add(name.casefold())
            target = directory / f"{name}.xlsx"
            write_workbook(
                target, spools[group], filters={**(filters or {}), split_by: group},
                lang=lang, **options,
            )  # fmt: skip
            written.append(target)
    return written
