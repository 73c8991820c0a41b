"""The organiser's attendee list: import it from CSV or Excel, look badges up in it, and fill
in the leads that were captured by badge id before the list arrived.

Only the columns that map to a lead field are stored (data minimisation): a list from the
organiser often carries birth dates, dietary needs or invoice addresses that the booth team
has no business keeping. The list is for the fair; `clear()` removes it afterwards."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from leadcap.errors import LeadcapError, UsageError
from leadcap.intake.parse.decoding import decode_document
from leadcap.store import model, tombstones
from leadcap.store.database import Store
from leadcap.store.leads import update_lead

# The scan loop flags a badge it cannot find with exactly this text; an import that
# finds the badge later takes the flag away again.
NOT_IN_LIST_REASON = "badge id not found in the attendee list"
ATTENDEE_FIELDS = tuple(name for name in model.LEAD_FIELDS if name != "notes")
IMPORT_COMMAND = "attendees import"
LAST_IMPORT_SETTING = "attendees.last_import"
IGNORE = "-"  # --map COLUMN=- leaves out a column that would be recognised
# Review reasons that update_lead recomputes from the fields (see leads._derived).

# Headers seen on organisers' exports, in English, German and Japanese. They are compared
# after header_key(), so case, spaces, dots, hyphens and brackets do not matter.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "badge_id": (
        "Badge ID", "Badge", "Badge No.", "Badge number", "Registration ID",
        "Registration No.", "Registration number", "Barcode", "Attendee ID", "Visitor ID",
        "Ticket ID", "Ticket number", "Ausweisnummer", "Badgenummer", "Badge-Nr.",
        "Registrierungsnummer", "Besuchernummer", "Ticketnummer", "登録番号", "バッジ番号",
        "受付番号", "来場者番号", "登録ID", "バーコード", "バーコード番号",
    ),
    "given_name": ("First name", "Given name", "Forename", "Vorname", "名", "名前(名)"),
    "family_name": (
        "Last name", "Family name", "Surname", "Nachname", "Familienname", "姓", "名前(姓)",
    ),
    "full_name": ("Name", "Full name", "Vollständiger Name", "氏名", "お名前", "名前"),
    "name_reading": (
        "Furigana", "Reading", "Name reading", "Kana", "フリガナ", "ふりがな", "よみがな",
        "氏名フリガナ", "氏名(フリガナ)", "お名前(フリガナ)", "氏名カナ", "カナ",
        "セイ", "メイ", "せい", "めい", "姓(フリガナ)", "名(フリガナ)", "姓フリガナ", "名フリガナ",
    ),
    "company": (
        "Company", "Company name", "Organisation", "Organization", "Firma", "Unternehmen",
        "Firmenname", "会社名", "勤務先", "企業名", "会社", "所属", "団体名",
    ),
    "department": ("Department", "Division", "Abteilung", "部署", "部署名", "所属部署"),
    "title": (
        "Title", "Job title", "Position", "Role", "Funktion", "Berufsbezeichnung", "役職",
        "役職名", "肩書", "肩書き",
    ),
    "email": (
        "Email", "E-Mail", "Email address", "E-Mail-Adresse", "Mail", "メール",
        "メールアドレス", "Eメール", "Eメールアドレス",
    ),
    "phone": (
        "Phone", "Telephone", "Phone number", "Tel", "Telefon", "Telefonnummer", "電話番号",
        "電話", "TEL",
    ),
    "mobile": (
        "Mobile", "Mobile phone", "Cell", "Cell phone", "Mobil", "Mobiltelefon", "Handy",
        "携帯", "携帯電話", "携帯電話番号", "携帯番号",
    ),
    "country": ("Country", "Land", "Staat", "国", "国名", "国・地域", "国/地域"),
    "city": ("City", "Town", "Stadt", "Ort", "市区町村", "都市"),
    "region": (
        "State", "Province", "Prefecture", "State/Province", "Bundesland", "Kanton",
        "都道府県", "都道府県名",
    ),
    "postal_code": (
        "Postal code", "Postcode", "Zip", "Zip code", "PLZ", "Postleitzahl", "郵便番号",
    ),
    "street": ("Street", "Address", "Straße", "Strasse", "Adresse", "住所", "番地"),
    "website": ("Website", "Web", "URL", "Homepage", "Webseite", "ホームページ", "Webサイト"),
}  # fmt: skip

# One encoder for every row (json.dumps with options builds a new one per call); sorted
# keys make the same attendee the same text, so a re-import can tell nothing changed.
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_HEADER_NOISE = re.compile(r"[\s_\-.:*/・()\[\]「」【】]+")


def header_key(header: str) -> str:
    """A header reduced to what identifies it: NFKC, case-folded, no spaces or punctuation
    (so "E-Mail", "e_mail" and "ＥＭＡＩＬ" are one key)."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", header).casefold())


_KNOWN_HEADERS = {
    header_key(alias): name
    for name in ATTENDEE_FIELDS
    for alias in (name, name.replace("_", " "), *HEADER_ALIASES.get(name, ()))
}


def recognise_header(header: str) -> str | None:
    """The lead field a column header names, or None."""
    return _KNOWN_HEADERS.get(header_key(header or ""))


@dataclass
class ImportResult:
    file: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows without a badge id
    duplicates: int = 0  # rows whose badge appeared again further down (last one wins)
    forgotten: int = 0  # people who asked to be forgotten: not imported
    kept: dict[str, str] = field(default_factory=dict)  # column -> lead field
    ignored: list[str] = field(default_factory=list)
    leads_filled: int = 0
    flags_cleared: int = 0
    encoding: str | None = None  # how a CSV was read (None for Excel files)
    warnings: list[str] = field(default_factory=list)


# -- reading files ----------------------------------------------------------------


def read_table(
    path: Path, *, sheet: str | None = None, encoding: str | None = None, notes: dict | None = None
) -> list[list]:
    """The non-empty rows of a CSV or an Excel workbook, chosen by content, not by name.
    A CSV is decoded as `encoding`, else detected; `notes` receives `encoding` (what was
    used) and `warning` (when the detection was a guess)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LeadcapError(f"no file {path}. Check the name and folder") from None
    except IsADirectoryError:
        raise LeadcapError(f"{path} is a folder. Give the attendee list's file name") from None
    except OSError as error:
        raise LeadcapError(f"cannot read {path} ({error.strerror})") from None
    # xlsx/xlsb/ods are zip files, xls an OLE compound file: calamine reads them all.
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        table = _read_workbook(path, sheet)
    else:
        if sheet:
            raise LeadcapError(f"{path.name} is a CSV file; --sheet only applies to Excel files")
        table = _read_csv(path, data, encoding, notes if notes is not None else {})
    rows = [row for row in table if any(cell not in (None, "") for cell in row)]
    if not rows:
        raise LeadcapError(f"{path.name} is empty. Export the attendee list again")
    return rows


def _header_row(rows: list[list], overrides: dict[str, str]) -> int:
    """Where the headers are: exports often start with a title line or two ("来場者リスト
    2026/12/09"), so the first of the top rows that names a badge column, else the first."""
    wanted = {
        header_key(column)
        for column, name in overrides.items()
        if name.strip().lower().replace("-", "_") == "badge_id"
    }
    for number, row in enumerate(rows[:10]):
        for cell in row:
            text = _cell(cell) or ""
            if recognise_header(text) == "badge_id" or header_key(text) in wanted:
                return number
    return 0


def _read_csv(path: Path, data: bytes, encoding: str | None, notes: dict) -> list[list]:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LeadcapError(
            f"{path.name} is neither CSV nor Excel. Export the attendee list as .xlsx or .csv"
        )
    try:
        decoded = decode_document(data, encoding)
    except ValueError as error:
        raise LeadcapError(
            f"cannot read {path.name}: {error}. Give its encoding with --encoding (cp932 for"
            " Japanese Excel, cp1252 for German Excel), or save it as CSV UTF-8 or .xlsx"
        ) from None
    text = decoded.text
    notes["encoding"] = decoded.encoding
    if not decoded.certain:
        other = "cp1252" if decoded.encoding == "cp932" else "cp932"
        notes["warning"] = (
            f"{path.name} has no encoding mark; read as {decoded.encoding}, but {other} would"
            f" also fit. If names look wrong, import again with --encoding {other}"
        )
    # Organisers' exports use , or ; (German Excel) or tabs. The top lines decide (the
    # busiest one: a title line above the headers has none).
    top = text.splitlines()[:10]
    delimiter = max((",", ";", "\t"), key=lambda d: max((line.count(d) for line in top), default=0))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(reader)
    except csv.Error as error:
        # A cell over csv's field limit (128 KB): no attendee list has one.
        raise LeadcapError(
            f"{path.name} line {reader.line_num}: {error}. This is not an attendee list as"
            " leadcap reads it; export the list again as .xlsx or CSV"
        ) from None


def _read_workbook(path: Path, sheet: str | None) -> list[list]:
    from python_calamine import CalamineWorkbook

    from leadcap.intake.sheetguard import check_workbook

    check_workbook(path, "the attendee list")
    try:
        with CalamineWorkbook.from_path(str(path)) as workbook:
            names = workbook.sheet_names
            if sheet and sheet not in names:
                raise LeadcapError(
                    f"{path.name} has no sheet {sheet!r}. Sheets: {', '.join(names)}"
                )
            if not names:
                raise LeadcapError(f"{path.name} has no sheets")
            chosen = workbook.get_sheet_by_name(sheet) if sheet else workbook.get_sheet_by_index(0)
            return chosen.to_python(skip_empty_area=False)
    except LeadcapError:
        raise
    except Exception as error:  # calamine raises its own zip/xml/password errors
        raise LeadcapError(
            f"cannot read {path.name} as an Excel file ({type(error).__name__}: {error})."
            " Export the attendee list as .xlsx or .csv"
        ) from None


def _cell(value) -> str | None:
    """A cell as text. Excel keeps badge numbers as floats (12345.0): show them as typed."""
    if value.__class__ is str:  # nearly every cell: the fast path for 42,000-row lists
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return model.clean(value)


# -- mapping columns --------------------------------------------------------------


def map_columns(headers: list[str], overrides: dict[str, str] | None = None) -> dict[int, str]:
    """Column index -> lead field: recognised headers, then `overrides` ({column: field}),
    which win over a recognised column for the same field. The field "-" drops a column
    that would otherwise be recognised."""
    overrides = overrides or {}
    by_key = {header_key(h): i for i, h in enumerate(headers) if h}
    explicit: dict[int, str] = {}
    for column, name in overrides.items():
        name = name.strip().lower().replace("-", "_") if name.strip() != "-" else IGNORE
        if name not in (*ATTENDEE_FIELDS, IGNORE):
            raise LeadcapError(
                f"unknown field {name!r} in --map {column}={name}. "
                f"Fields: {', '.join(ATTENDEE_FIELDS)}, or - to leave the column out"
            )
        index = headers.index(column) if column in headers else by_key.get(header_key(column))
        if index is None:
            raise LeadcapError(
                f"no column {column!r} in the file. Columns: {', '.join(h for h in headers if h)}"
            )
        explicit[index] = name
    mapping = {
        i: field
        for i, h in enumerate(headers)
        if (field := recognise_header(h)) and field not in explicit.values()
    }
    mapping.update(explicit)
    mapping = {i: name for i, name in mapping.items() if name != IGNORE}
    fields = set(mapping.values())
    if "given_name" in fields and "family_name" not in fields:
        # German forms often say "Vorname" and "Name": there "Name" is the family name.
        for index, name in mapping.items():
            if name == "full_name" and index not in explicit:
                if header_key(headers[index]) == "name":
                    mapping[index] = "family_name"
    if "badge_id" not in mapping.values():
        raise LeadcapError(
            "no badge id column found (columns: "
            f"{', '.join(h for h in headers if h)}). Name it with --map COLUMN=badge_id"
        )
    return dict(sorted(mapping.items()))


def _contact(row: list, mapping: dict[int, str]) -> dict[str, str]:
    """One row's mapped fields. Several columns for one field (セイ and メイ, two address
    lines) are joined with a space in file order."""
    contact: dict[str, str] = {}
    width = len(row)
    for index, name in mapping.items():
        if index < width and (value := _cell(row[index])):
            contact[name] = f"{contact[name]} {value}" if name in contact else value
    return contact


# -- importing --------------------------------------------------------------------


def import_attendees(
    store: Store,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
) -> ImportResult:
    """Read the list, upsert it by badge id and fill in leads captured before it arrived.
    A CSV's encoding is detected unless `encoding` is given (result.warnings when unsure).
    One transaction: committed when this returns, nothing changed if it raises."""
    path = Path(path)
    notes: dict[str, str] = {}
    table = read_table(path, sheet=sheet, encoding=encoding, notes=notes)
    start = _header_row(table, mapping or {})
    headers, rows = [_cell(cell) or "" for cell in table[start]], table[start + 1 :]
    columns = map_columns(headers, mapping)
    result = ImportResult(file=path.name, rows=len(rows), encoding=notes.get("encoding"))
    if "warning" in notes:
        result.warnings.append(notes["warning"])
    result.kept = {headers[i]: name for i, name in columns.items()}
    result.ignored = [h or f"(column {i + 1})" for i, h in enumerate(headers) if i not in columns]

    incoming: dict[str, tuple[str | None, str]] = {}
    emails: dict[str, str] = {}
    for row in rows:
        contact = _contact(row, columns)
        badge_id = contact.pop("badge_id", None)
        badge_norm = model.fold(badge_id)
        if not badge_norm:
            result.skipped += 1
            continue
        if badge_norm in incoming:
            result.duplicates += 1
        incoming[badge_norm] = (badge_id, _JSON.encode(contact))
        if "email" in contact:
            emails[badge_norm] = contact["email"]

    now = store.now().isoformat()
    with store.transaction():
        for norm in _forgotten(store, incoming, emails):
            del incoming[norm]
            result.forgotten += 1
        existing = {
            norm: (badge_id, data)
            for norm, badge_id, data in store.conn.execute(
                "SELECT badge_norm, badge_id, data FROM attendees"
            )
        }
        writes = []
        for norm, (badge_id, data) in incoming.items():
            before = existing.get(norm)
            if before is None:
                result.added += 1
            elif before[0] == badge_id and (before[1] == data or _canonical(before[1]) == data):
                result.unchanged += 1
                continue  # leave imported_at alone: re-importing the same file changes nothing
            else:
                result.updated += 1
            writes.append((norm, badge_id, data, now))
        store.conn.executemany(
            "INSERT INTO attendees (badge_norm, badge_id, data, imported_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (badge_norm) DO UPDATE SET badge_id = excluded.badge_id,"
            " data = excluded.data, imported_at = excluded.imported_at",
            writes,
        )
        result.leads_filled, result.flags_cleared = fill_leads(store)
        store.set_setting(
            LAST_IMPORT_SETTING, {"at": now, "file": path.name, "rows": len(incoming)}
        )
    return result


def _forgotten(store: Store, incoming: dict, emails: dict[str, str]) -> list[str]:
    """The badges of people who asked to be forgotten (by badge id or e-mail): an
    organiser's list must not bring them back. Checked against every salt present."""
    salts = [row[0] for row in store.conn.execute("SELECT DISTINCT salt FROM tombstones")]
    if not salts:
        return []
    hashes = {row[0] for row in store.conn.execute("SELECT hash FROM tombstones")}
    found = []
    for norm, (badge_id, _data) in incoming.items():
        person = {"badge_id": badge_id, "email": emails.get(norm)}
        pairs = tombstones.identities(person)
        if any(tombstones.digest(salt, *pair) in hashes for salt in salts for pair in pairs):
            found.append(norm)
    return found


def _canonical(data: str) -> str:
    return _JSON.encode(json.loads(data))


def fill_leads(store: Store) -> tuple[int, int]:
    """Fill the empty fields of leads captured by badge id from the attendee list, never
    overwriting what staff typed or scanned. Each lead gets its own change batch, so
    `leadcap undo` takes back one lead's fill-in at a time.

    The "not in the attendee list" flag is removed when it was the lead's only reason to
    be reviewed; a lead flagged for something else as well keeps all its flags for a person
    to look at. Returns (leads filled, flags removed)."""
    filled = cleared = 0
    with store.transaction():
        columns = ", ".join(f"l.{name}" for name in ATTENDEE_FIELDS)
        matches = store.conn.execute(
            f"SELECT l.id, l.review_reasons, a.data, {columns} FROM leads l"
            " JOIN attendees a ON a.badge_norm = l.badge_norm"
            " WHERE l.deleted_at IS NULL ORDER BY l.id"
        ).fetchall()
        for lead_id, reasons, data, *values in matches:
            lead = dict(zip(ATTENDEE_FIELDS, values, strict=True))
            changes = {
                name: value
                for name, value in json.loads(data).items()
                if name in ATTENDEE_FIELDS and value and not lead[name]
            }
            if _flag_can_go(json.loads(reasons or "[]"), bool(changes)):
                changes["reviewed"] = True
                cleared += 1
            if changes:
                update_lead(store, lead_id, changes, command=IMPORT_COMMAND)
                filled += any(name != "reviewed" for name in changes)
    return filled, cleared


def _flag_can_go(reasons: list[str], fields_change: bool) -> bool:
    """update_lead's "reviewed" empties the reasons; the e-mail and phone checks are
    recomputed only when a field changes, so without one they must not be there."""
    if NOT_IN_LIST_REASON not in reasons:
        return False
    others = [r for r in reasons if r != NOT_IN_LIST_REASON]
    if any(not r.startswith(model.VALIDATION_PREFIXES) for r in others):
        return False
    return fields_change or not others


# -- looking up and clearing ------------------------------------------------------


def lookup(store: Store, badge_id: str | None) -> dict | None:
    """The attendee's contact fields (lead field names, badge_id included) or None."""
    badge_norm = model.fold(badge_id)
    if not badge_norm:
        return None
    row = store.conn.execute(
        "SELECT badge_id, data FROM attendees WHERE badge_norm = ?", [badge_norm]
    ).fetchone()
    if row is None:
        return None
    return {"badge_id": row[0], **json.loads(row[1])}


def status(store: Store) -> dict:
    """How many attendees are stored and when (and from which file) they last came."""
    count, latest = store.conn.execute(
        "SELECT COUNT(*), MAX(imported_at) FROM attendees"
    ).fetchone()
    last = store.setting(LAST_IMPORT_SETTING) or {}
    return {
        "attendees": count,
        "imported_at": (last.get("at") or latest) if count else None,
        "file": last.get("file") if count else None,
    }


def clear(store: Store) -> int:
    """Delete the whole attendee list (after the fair). Leads keep what was filled in."""
    with store.transaction():
        count = store.conn.execute("DELETE FROM attendees").rowcount
        store.set_setting(LAST_IMPORT_SETTING, None)
    return count


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """`COLUMN=field` strings -> {column: field}; the column may contain '='."""
    mapping = {}
    for item in items:
        column, sep, name = item.rpartition("=")
        if not sep or not column.strip() or not name.strip():
            raise UsageError(f"--map {item!r} is not COLUMN=field, e.g. --map 'Badge No=badge_id'")
        mapping[column.strip()] = name.strip()
    return mapping
