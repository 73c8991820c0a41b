"""Read back what colleagues typed into an exported follow-up workbook: status, owner, due
date and added notes, applied by uuid as ordinary logged changes (history, undo).

Which cells did a colleague change, and which changed in the database meanwhile? The
workbook's summary sheet says when it was exported. A sheet value that differs from the
database is the colleague's change, unless that field was changed after the export to some
other value, by any command (an import of another workbook too): then both sides changed it,
and the cell is listed as a conflict and left alone unless `force`. Notes never conflict: a
colleague's added lines are appended (stamped, like `leadcap note`), nothing is replaced.
Importing the same file again changes nothing, because every value then equals the database.

Read with python-calamine: several times faster than openpyxl, it reads .xlsx/.ods/.xls
(colleagues re-save in LibreOffice), returns date cells as dates, and decodes Excel's
`_x005F_` escapes, so a cell reads back exactly as it was exported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

from leadcap.errors import LeadcapError, NotFound
from leadcap.export.columns import status_from_label
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.leads import append_note, get_lead, update_lead

COMMAND = "import followups"
FIELDS: tuple[Literal["status", "owner", "due"], ...] = ("status", "owner", "due")
_HEADER_SEARCH_ROWS = 10
_NOTE_STAMP = re.compile(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2} [^\]]*\] ")
_CELL_LIMIT = 32_767


@dataclass
class Row:
    sheet: str
    row: int  # as Excel numbers rows
    uuid: str
    values: dict  # status/owner/due/notes -> raw cell value, only columns the sheet has


@dataclass
class Change:
    lead_id: int
    lead_uuid: str
    label: str
    field: str
    old: str | None
    new: str | None


@dataclass
class Problem:
    """A row or cell left alone, and why (unknown uuid, conflict, value not understood)."""

    where: str
    lead_id: int | None
    field: str | None
    sheet_value: str | None
    db_value: str | None
    reason: str


@dataclass
class FollowupPlan:
    path: Path
    exported_at: datetime | None
    rows: int = 0
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    @property
    def leads(self) -> int:
        return len({c.lead_uuid for c in self.changes})


# --- reading the workbook -------------------------------------------------------------------


def _labels() -> tuple[dict[str, str], set[str]]:
    from leadcap.export.columns import LEAD_COLUMNS, SUMMARY_LABELS

    wanted = {*FIELDS, "notes", "uuid"}
    labels = {}
    for column in LEAD_COLUMNS:
        if column.key in wanted:
            for lang in ("en", "de", "ja"):
                labels[column.label(lang).casefold()] = column.key
    exported = {words["exported_at"].casefold() for words in SUMMARY_LABELS.values()}
    return labels, exported


def _header(rows: list[list], labels: dict[str, str]) -> tuple[int, dict[str, int]] | None:
    """The header row's index and the column of each known label; uuid is the last UUID
    column (the export puts it last), the others the first match."""
    for index, cells in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(cells):
            key = labels.get(str(cell).strip().casefold()) if isinstance(cell, str) else None
            if key == "uuid" or (key and key not in columns):
                columns[key] = position
        if "uuid" in columns:
            return index, columns
    return None


def read_workbook(path: Path) -> tuple[list[Row], datetime | None]:
    """Every lead row of every sheet that has a UUID column, and the export time from the
    summary sheet (naive, in the event's time zone) when there is one."""
    from python_calamine import CalamineWorkbook

    from leadcap.intake.sheetguard import check_workbook

    path = Path(path)
    labels, exported_labels = _labels()
    check_workbook(path, "the follow-up workbook (leadcap export xlsx)")
    try:
        with CalamineWorkbook.from_path(str(path)) as workbook:
            sheets = {
                name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in workbook.sheet_names
            }
    except Exception as error:  # calamine raises its own zip/xml/password errors
        raise LeadcapError(
            f"cannot read {path.name} as a workbook ({type(error).__name__}: {error})."
            " Give the .xlsx file that `leadcap export xlsx` wrote"
        ) from None
    rows: list[Row] = []
    exported_at = None
    found = False
    for name, cells in sheets.items():
        header = _header(cells, labels)
        if header is None:
            exported_at = exported_at or _export_time(cells, exported_labels)
            continue
        found = True
        start, columns = header
        for offset, line in enumerate(cells[start + 1 :], start=start + 2):
            uuid = _text(_at(line, columns["uuid"]))
            if not uuid:
                continue
            values = {key: _at(line, i) for key, i in columns.items() if key != "uuid"}
            rows.append(Row(sheet=name, row=offset, uuid=uuid, values=values))
    if not found:
        raise LeadcapError(
            f"{path.name} is not a workbook exported by leadcap: no sheet has a UUID column."
            " Give the file that `leadcap export xlsx` wrote (colleagues may add sheets and"
            " edit cells, but keep the header row)"
        )
    return rows, exported_at


def _at(cells: list, index: int):
    return cells[index] if index < len(cells) else None


def _export_time(cells: list[list], labels: set[str]) -> datetime | None:
    for line in cells[:40]:
        if len(line) >= 2 and isinstance(line[0], str) and line[0].strip().casefold() in labels:
            value = line[1]
            if isinstance(value, datetime):
                return value
            try:
                return datetime.fromisoformat(str(value).strip())
            except ValueError:
                return None
    return None


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return model.clean(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return model.clean(str(value))


# --- what a cell means ----------------------------------------------------------------------


class BadValue(ValueError):
    pass


def _due(value) -> str | None:
    """A due date from a date cell or text typed as 2026-12-20, 2026/12/20 or 20.12.2026."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value)
    if text is None:
        return None
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise BadValue(f"{text!r} is not a date (use YYYY-MM-DD)")


def _status(value) -> str | None:
    text = _text(value)
    if text is None:
        return None
    status = status_from_label(text)
    if status is None:
        raise BadValue(f"{text!r} is not a status ({', '.join(model.STATUSES)})")
    return status


def _sheet_value(name: str, raw):
    if name == "status":
        return _status(raw)
    if name == "due":
        return _due(raw)
    return _text(raw)


def _db_due(value: str | None) -> str | None:
    try:
        return _due(value)
    except BadValue:
        return value


def _lines(text: str | None) -> list[str]:
    from leadcap.export.safety import clean_xml

    if not text:
        return []
    text = clean_xml(text).replace("\r\n", "\n").replace("\r", "\n")
    return [line.strip() for line in text.split("\n") if line.strip()]


def added_note(sheet_notes, db_notes: str | None) -> str | None:
    """The lines of a notes cell that are not in the lead's notes yet. A line that extends a
    known line (typed on at its end) contributes only the extension. Lines the import added
    before carry a stamp in the database, so they are compared without it."""
    text = sheet_notes if isinstance(sheet_notes, str) else _text(sheet_notes)
    known = set()
    for line in _lines(db_notes):
        known.add(line)
        known.add(_NOTE_STAMP.sub("", line).strip())
    cut = text is not None and len(text) >= _CELL_LIMIT - 1  # Excel's limit cut the cell
    added = []
    for line in _lines(text):
        if line in known or (cut and any(k.startswith(line) for k in known)):
            continue
        longest = max((k for k in known if k and line.startswith(k)), key=len, default="")
        rest = line[len(longest) :].strip()
        if rest and rest not in known and rest not in added:
            added.append(rest)
    return "\n".join(added) or None


# --- planning and applying ------------------------------------------------------------------


def _resolve(store: Store, uuid: str) -> model.Lead | None:
    try:
        return get_lead(store, uuid)
    except NotFound:
        pass
    row = store.conn.execute(
        "SELECT lead_uuid FROM lead_aliases WHERE alias_uuid = ?", [uuid]
    ).fetchone()
    return get_lead(store, row[0]) if row else None


def _since_export(store: Store, lead_uuid: str, name: str, moment: datetime | None):
    """(the field's value when the workbook was exported, the values it was changed to since).
    The value at export time is the old value of the first change after it, else today's
    value. Every command counts, imports too: a colleague's imported workbook is as much a
    change as an edit. An unknown export time yields `_unknown`: better to ask for --force
    than to overwrite a colleague's change."""
    if moment is None:
        return _missing, [_unknown]
    rows = store.conn.execute(
        "SELECT changed_at, old_value, new_value FROM changes WHERE lead_uuid = ? AND field = ?"
        " ORDER BY id",
        [lead_uuid, name],
    ).fetchall()
    later = [(old, new) for at, old, new in rows if datetime.fromisoformat(at) > moment]
    if not later:
        return _missing, []
    if name == "due":
        later = [(_db_due(old), _db_due(new)) for old, new in later]
    return later[0][0], [new for _old, new in later]


_missing = object()  # "no change since the export": the exported value is today's value
_unknown = object()  # a change of unknown value (no export time): differs from any cell


def _show(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def plan_followups(store: Store, path: Path, *, force: bool = False) -> FollowupPlan:
    """What importing `path` would change, and what it would leave alone (and why)."""
    rows, exported_local = read_workbook(path)
    exported_at = None
    if exported_local is not None:  # Excel stores times as day fractions: round to seconds
        exported_local = (exported_local + timedelta(microseconds=500_000)).replace(microsecond=0)
        exported_at = exported_local.replace(tzinfo=store.zone())
    plan = FollowupPlan(path=Path(path), exported_at=exported_at, rows=len(rows))
    by_lead: dict[str, list[Row]] = {}
    for row in rows:
        by_lead.setdefault(row.uuid, []).append(row)
    for uuid, lead_rows in by_lead.items():
        where = ", ".join(f"{r.sheet}!{r.row}" for r in lead_rows)
        lead = _resolve(store, uuid)
        if lead is None or lead["deleted"]:
            reason = "unknown uuid" if lead is None else "lead is deleted"
            plan.skipped.append(Problem(where, None, None, uuid, None, reason))
            continue
        _plan_lead(store, plan, lead, lead_rows, force)
    return plan


def _plan_lead(  # noqa: C901 - one branch per cell kind of the lead row, in column order
    store: Store, plan: FollowupPlan, lead: model.Lead, rows: list[Row], force: bool
) -> None:
    label = model.label(lead)
    for name in FIELDS:
        current = _db_due(lead["due"]) if name == "due" else lead[name]
        wanted: dict[str, str] = {}  # value -> where (a lead can be on several sheets)
        for row in rows:
            if name not in row.values:
                continue
            where = f"{row.sheet}!{row.row}"
            try:
                value = _sheet_value(name, row.values[name])
            except BadValue as error:
                raw = _show(row.values[name])
                plan.skipped.append(Problem(where, lead["id"], name, raw, current, str(error)))
                continue
            if name == "status" and value is None:
                continue  # a lead always has a status: an emptied cell changes nothing
            if value != current:
                wanted.setdefault(value, where)
        if not wanted:
            continue
        exported, changed_to = _since_export(store, lead["uuid"], name, plan.exported_at)
        # A cell left as exported is no change, even if the database moved on since.
        wanted = {v: w for v, w in wanted.items() if exported is _missing or v != exported}
        if not wanted:
            continue
        where = ", ".join(wanted.values())
        if len(wanted) > 1:
            shown = " / ".join(str(v) for v in wanted)
            plan.conflicts.append(
                Problem(where, lead["id"], name, shown, current, "sheets disagree")
            )
            continue
        (value,) = wanted
        if any(new != value for new in changed_to) and not force:
            reason = "changed in the database since the export"
            plan.conflicts.append(Problem(where, lead["id"], name, value, current, reason))
            continue
        plan.changes.append(Change(lead["id"], lead["uuid"], label, name, current, value))
    notes = [row.values["notes"] for row in rows if "notes" in row.values]
    added: list[str] = []
    for cell in notes:
        text = added_note(cell, "\n".join([lead["notes"] or "", *added]))
        if text:
            added.append(text)
    if added:
        plan.changes.append(
            Change(lead["id"], lead["uuid"], label, "notes", None, "\n".join(added))
        )


def apply_followups(store: Store, plan: FollowupPlan) -> int:
    """Apply the plan's changes, one batch per lead so `leadcap undo` reverts one lead's
    imported changes at a time. Returns how many leads changed."""
    per_lead: dict[str, list[Change]] = {}
    for change in plan.changes:
        per_lead.setdefault(change.lead_uuid, []).append(change)
    with store.transaction():
        for lead_uuid, changes in per_lead.items():
            batch = store.new_batch()
            fields = {c.field: c.new for c in changes if c.field != "notes"}
            if fields:
                update_lead(store, lead_uuid, fields, command=COMMAND, batch=batch)
            for change in changes:
                if change.field == "notes":
                    append_note(store, lead_uuid, change.new or "", command=COMMAND, batch=batch)
    return len(per_lead)
