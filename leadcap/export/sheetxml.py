"""The XML parts of an .xlsx file, written as text and streamed straight into the zip.

An .xlsx file is a zip of XML parts. Writing them ourselves instead of through openpyxl's
cell objects makes an export several times faster and keeps memory flat: rows go to the zip
entry (or, while another sheet holds it, to a temporary file) in batches, and hyperlinks,
which the schema puts after the rows, wait in a temporary file until the sheet is finished.

Every text is an inline string, so no cell is ever a formula or an error value, whatever it
says. Only what a lead list needs is here: six cell styles, frozen header, autofilter, one
list validation, external hyperlinks.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from .safety import clean_xml

MAX_CELL_CHARS = 32_767
# Excel's specification limits a worksheet to 65,530 hyperlinks; more and it repairs the file.
EXCEL_LINKS_PER_SHEET = 65_530
# ...and a link's address to 2,079 characters (xlsxwriter enforces both, too).
EXCEL_MAX_URL = 2_079
# Style ids: positions in <cellXfs> of STYLES_XML below.
STYLE_IDS = {"header": 1, "code": 2, "datetime": 3, "date": 4, "notes": 5, "link": 6}
ZIP64_FROM_BYTES = 1 << 30  # well below zipfile's 2 GiB switch; see Workbook.add_sheet

_SHEET_BAD = str.maketrans({c: "_" for c in "[]:*?/\\"})
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()

# The smallest Office theme the ECMA-376 schema accepts: the Open XML SDK's validator counts a
# workbook without a theme part as broken, and Excel falls back to it for theme colours.
_SOLID = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
_LINE = f'<a:ln w="6350">{_SOLID}</a:ln>'
_EFFECT = "<a:effectStyle><a:effectLst/></a:effectStyle>"
_ACCENTS = ("4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5", "70AD47")
THEME_XML = (
    f'{_XML_HEAD}<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    ' name="Office Theme"><a:themeElements><a:clrScheme name="Office">'
    '<a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1>'
    '<a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1>'
    '<a:dk2><a:srgbClr val="44546A"/></a:dk2><a:lt2><a:srgbClr val="E7E6E6"/></a:lt2>'
    + "".join(
        f'<a:accent{i}><a:srgbClr val="{c}"/></a:accent{i}>' for i, c in enumerate(_ACCENTS, 1)
    )  # fmt: skip
    + '<a:hlink><a:srgbClr val="0563C1"/></a:hlink>'
    '<a:folHlink><a:srgbClr val="954F72"/></a:folHlink></a:clrScheme>'
    '<a:fontScheme name="Office"><a:majorFont><a:latin typeface="Calibri Light"/>'
    '<a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont>'
    '<a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont>'
    '</a:fontScheme><a:fmtScheme name="Office">'
    + f"<a:fillStyleLst>{_SOLID * 3}</a:fillStyleLst>"
    + f"<a:lnStyleLst>{_LINE * 3}</a:lnStyleLst>"
    + f"<a:effectStyleLst>{_EFFECT * 3}</a:effectStyleLst>"
    + f"<a:bgFillStyleLst>{_SOLID * 3}</a:bgFillStyleLst>"
    + "</a:fmtScheme></a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>"
)

STYLES_XML = f"""{_XML_HEAD}<styleSheet xmlns="{_NS_MAIN}">\
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>\
<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>\
<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/><family val="2"/></font>\
</fonts>\
<fills count="3"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>\
</patternFill></fill></fills>\
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>\
</borders>\
<cellStyleXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>\
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" applyNumberFormat="0" applyFill="0" \
applyBorder="0" applyAlignment="0" applyProtection="0"/></cellStyleXfs>\
<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" \
applyBorder="1"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">\
<alignment vertical="top" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="1" applyFont="1"/></cellXfs>\
<cellStyles count="2"><cellStyle name="Normal" xfId="0" builtinId="0"/>\
<cellStyle name="Hyperlink" xfId="1" builtinId="8"/></cellStyles>\
<dxfs count="0"/><tableStyles count="0"/></styleSheet>"""


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def escape(text: str) -> str:
    """XML-escape text content or a double-quoted attribute."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


def excel_text(text: str) -> tuple[str, bool]:
    """Text as Excel shows it typed: illegal XML replaced, line breaks as LF (XML readers turn
    a bare CR into LF anyway), literal `_x0041_` escaped so Excel does not decode it, and at
    most 32,767 UTF-16 units. Returns the text and whether it was cut."""
    text = clean_xml(text).replace("\r\n", "\n").replace("\r", "\n")
    if "_x" in text:
        text = _OOXML_ESCAPE.sub(r"_x005F_\1", text)
    if len(text) <= MAX_CELL_CHARS // 2 or len(text.encode("utf-16-le")) <= 2 * MAX_CELL_CHARS:
        return text, False
    units = text.encode("utf-16-le")[: 2 * MAX_CELL_CHARS]
    return units.decode("utf-16-le", errors="ignore"), True


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


def utf16_units(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units (an emoji or a rare kanji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def cut_utf16(text: str, units: int) -> str:
    """The longest prefix of `text` of at most `units` UTF-16 code units, never half a
    character."""
    out, used = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > units:
            break
        out.append(char)
        used += size
    return "".join(out)


class SheetNamer:
    """Valid, unique sheet names: at most 31 UTF-16 units (as Excel counts), none of
    []:*?/\\, not "History", not empty, unique ignoring case (as Excel compares them)."""

    def __init__(self):
        self.used: set[str] = {"history"}

    def __call__(self, wanted: str, suffix: str = "") -> str:
        base = clean_xml(wanted).translate(_SHEET_BAD).strip().strip("'") or "_"
        n = 1
        while True:
            tail = suffix if n == 1 else f"{suffix} ({n})"
            title = cut_utf16(base, 31 - utf16_units(tail)).rstrip().strip("'") + tail
            if title.casefold() not in self.used:
                self.used.add(title.casefold())
                return title
            n += 1


def text_cell(ref: str, text: str, style: str = "") -> str:
    """An inline-string cell (`style` is "" or ' s="N"'). The fast path skips the regexes
    for the usual short, printable text without `_x`."""
    if len(text) > MAX_CELL_CHARS // 2 or not text.isprintable() or "_x" in text:
        text = excel_text(text)[0]
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{text}</t></is></c>'


def excel_serial(moment: date) -> float:
    """Days since 1899-12-30 as Excel counts them (the same numbers openpyxl writes)."""
    days = moment.toordinal() - _EPOCH_ORDINAL
    if 0 < days <= 60:  # Excel's phantom 1900-02-29
        days -= 1
    if isinstance(moment, datetime):
        seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
        return days + (seconds + moment.microsecond / 10**6) / 86400
    return days


def number_cell(ref: str, value: float, style: str = "") -> str:
    return f'<c r="{ref}"{style}><v>{value!r}</v></c>'


def bool_cell(ref: str, value: bool) -> str:
    return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


def value_cell(ref: str, value: object, style: str | None = None) -> str:
    """A cell for a text, number or date-time (with the date-time format); "" for none."""
    attr = f' s="{STYLE_IDS[style]}"' if style else ""
    if isinstance(value, str):
        return text_cell(ref, value, attr) if value else ""
    if isinstance(value, bool):
        return bool_cell(ref, value)
    if isinstance(value, datetime):
        return number_cell(ref, excel_serial(value), attr or f' s="{STYLE_IDS["datetime"]}"')
    if isinstance(value, int | float):
        return number_cell(ref, value, attr)
    return ""


class Sheet:
    """One worksheet being written. Rows are XML strings (`<row r="N">...</row>`) added in
    order; they are batched and go to the zip entry if the workbook's single writing slot is
    free when the first batch is due, else to a temporary file copied in at `finish`."""

    def __init__(self, book: Workbook, number: int, title: str, *, widths, expected_rows: int,
                 header: bool, list_column: str | None, allowed: tuple, batch: int):  # fmt: skip
        self.book, self.number, self.title = book, number, title
        self.widths, self.header, self.batch = widths, header, batch
        self.list_column, self.allowed = list_column, allowed
        self.expected_rows = expected_rows
        self.rows = 0
        self.links: list[tuple[str, str]] = []  # (cell, target), spooled in batches
        self.link_count = 0
        self._pending: list[str] = []
        self._out: IO[bytes] | None = None  # the zip entry while we hold the writing slot
        self._spool: Path | None = None
        self._link_spool = book.tmpdir / f"links{number}.tsv"
        self.finished = False

    @property
    def part(self) -> str:
        return f"xl/worksheets/sheet{self.number}.xml"

    def add_row(self, xml: str) -> None:
        self._pending.append(xml)
        self.rows += 1
        if len(self._pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if self._out is None and self._spool is None:
            if self.book.claim(self):
                self._out = self.book.open_part(self.part, self.expected_rows)
                self._out.write(self._prologue(self.expected_rows).encode())
            else:
                self._spool = self.book.tmpdir / f"sheet{self.number}.xml"
        data = "".join(self._pending).encode()
        self._pending.clear()
        if self._out is not None:
            self._out.write(data)
        else:
            assert self._spool is not None
            with self._spool.open("ab") as spool:
                spool.write(data)
        if len(self.links) > 4096:
            self._flush_links()

    def _flush_links(self) -> None:
        if self.links:
            with self._link_spool.open("a", encoding="utf-8") as spool:
                spool.writelines(f"{ref}\t{target}\n" for ref, target in self.links)
            self.link_count += len(self.links)
            self.links.clear()

    def _all_links(self):
        if self._link_spool.exists():
            with self._link_spool.open(encoding="utf-8") as spool:
                for line in spool:
                    yield line.rstrip("\n").split("\t", 1)
        yield from self.links

    def _prologue(self, rows: int) -> str:
        """Everything before the first row; `rows` (header included) sizes the dimension."""
        last = f"{column_letter(max(len(self.widths), 1))}{max(rows, 1)}"
        selected = ' tabSelected="1"' if self.number == 1 else ""
        pane = (
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            if self.header
            else ""
        )
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(self.widths, 1)
        )
        cols = f"<cols>{cols}</cols>" if cols else ""  # an empty <cols> is invalid
        return (
            f'{_XML_HEAD}<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            f'<dimension ref="A1:{last}"/>'
            f'<sheetViews><sheetView workbookViewId="0"{selected}>{pane}</sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>'
        )

    @property
    def autofilter(self) -> str | None:
        """The range under the header's filter buttons: the header and every row."""
        if not self.header:
            return None
        return f"A1:{column_letter(len(self.widths))}{max(self.rows, 1)}"

    def finish(self) -> None:
        """Close the sheet: rows, then autofilter, the drop-down list and hyperlinks in schema
        order, then the hyperlink relationships part."""
        if self.finished:
            return
        self.finished = True
        if self._pending or (self._out is None and self._spool is None):
            self._flush()
        self._flush_links()
        out = self._out
        if out is None:
            self.book.claim(self, wait=True)
            out = self.book.open_part(self.part, self.rows)
            out.write(self._prologue(self.rows).encode())
            assert self._spool is not None
            with self._spool.open("rb") as spool:
                while chunk := spool.read(1 << 20):
                    out.write(chunk)
            self._spool.unlink()
        tail = ["</sheetData>"]
        if self.autofilter:
            tail.append(f'<autoFilter ref="{self.autofilter}"/>')
        if self.list_column:
            sqref = f"{self.list_column}2:{self.list_column}{max(self.rows, 2)}"
            formula = escape('"' + ",".join(self.allowed) + '"')
            tail.append(
                # showErrorMessage: without it Excel accepts any typed value.
                f'<dataValidations count="1"><dataValidation type="list" allowBlank="1" '
                f'showErrorMessage="1" sqref="{sqref}"><formula1>{formula}</formula1>'
                "</dataValidation></dataValidations>"
            )
        out.write("".join(tail).encode())
        if self.link_count:
            self._write_links(out)
        out.write(
            b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            b'footer="0.3"/></worksheet>'
        )
        out.close()
        self.book.release(self)
        if self.link_count:
            self._write_link_rels()
            self._link_spool.unlink()

    def _write_links(self, out) -> None:
        out.write(b"<hyperlinks>")
        batch = []
        for n, (ref, _) in enumerate(self._all_links(), 1):
            batch.append(f'<hyperlink ref="{ref}" r:id="rId{n}"/>')
            if len(batch) >= 4096:
                out.write("".join(batch).encode())
                batch.clear()
        out.write(("".join(batch) + "</hyperlinks>").encode())

    def _write_link_rels(self) -> None:
        kind = f"{_NS_REL}/hyperlink"
        name = f"xl/worksheets/_rels/sheet{self.number}.xml.rels"
        with self.book.open_part(name, self.link_count) as out:
            out.write(f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}">'.encode())
            batch = []
            for n, (_, target) in enumerate(self._all_links(), 1):
                batch.append(
                    f'<Relationship Id="rId{n}" Type="{kind}" Target="{escape(target)}" '
                    'TargetMode="External"/>'
                )
                if len(batch) >= 4096:
                    out.write("".join(batch).encode())
                    batch.clear()
            out.write(("".join(batch) + "</Relationships>").encode())


class Workbook:
    """The zip being written: sheets in the order they were added, then the package parts.
    zipfile writes one entry at a time, so one sheet at a time holds the writing slot."""

    def __init__(self, path: Path, tmpdir: Path, *, big: bool = False):
        self.path = path
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
        self.tmpdir = Path(tmpdir)
        self.big = big  # force ZIP64 entries: the survey expects > 1 GiB of XML
        self.sheets: list[Sheet] = []
        self._holder: Sheet | None = None

    def add_sheet(self, title: str, widths, *, expected_rows=0, header=False, list_column=None,
                  allowed=(), batch=500) -> Sheet:  # fmt: skip
        """A sheet of about `expected_rows` rows, header included (its dimension says so
        if it streams straight into the zip). With `header`, row 1 is frozen and has filter
        buttons; `list_column` (a letter) gets a drop-down of the `allowed` values."""
        sheet = Sheet(self, len(self.sheets) + 1, title, widths=widths, batch=batch,
                      expected_rows=expected_rows, header=header, list_column=list_column,
                      allowed=allowed)  # fmt: skip
        self.sheets.append(sheet)
        return sheet

    def claim(self, sheet: Sheet, wait: bool = False) -> bool:
        if self._holder is not None and wait:
            self._holder.finish()
        if self._holder is None:
            self._holder = sheet
        return self._holder is sheet

    def release(self, sheet: Sheet) -> None:
        if self._holder is sheet:
            self._holder = None

    def open_part(self, name: str, rows: int):
        info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        # Forcing ZIP64 on every entry would be simplest, but some readers balk at ZIP64
        # records that are not needed; only sheets that may pass 2 GiB get them.
        return self.zip.open(info, "w", force_zip64=self.big and rows > 1000)

    def abort(self) -> None:
        """Give up after an error: no half-written workbook is left behind."""
        if self._holder is not None and self._holder._out is not None:
            self._holder._out.close()
        self.zip.close()
        self.path.unlink(missing_ok=True)

    def close(self, *, created: datetime) -> None:
        """Finish every sheet, write the package parts and close the zip."""
        if self._holder is not None:
            self._holder.finish()
        for sheet in self.sheets:
            sheet.finish()
        n = len(self.sheets)
        sheets = "".join(
            f'<sheet name="{escape(s.title)}" sheetId="{s.number}" r:id="rId{s.number}"/>'
            for s in self.sheets
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.number - 1}" hidden="1">'
            f"{escape(_quoted(s.title))}!{_absolute(s.autofilter)}</definedName>"
            for s in self.sheets
            if s.autofilter
        )
        workbook = (
            f'{_XML_HEAD}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>"
        )
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
            for i in range(1, n + 1)
        )
        office = "application/vnd.openxmlformats-officedocument"
        content_types = (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.spreadsheetml.'
            'sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{office}.spreadsheetml.'
            'styles+xml"/>'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{office}.theme+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/'
            'vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{office}.'
            'extended-properties+xml"/>'
            f"{overrides}</Types>"
        )
        workbook_rels = (
            "".join(
                f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            + f'<Relationship Id="rId{n + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/>'
            + f'<Relationship Id="rId{n + 2}" Type="{_NS_REL}/theme" Target="theme/theme1.xml"/>'
        )
        stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = {
            "[Content_Types].xml": content_types,
            "_rels/.rels": (
                f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" '
                'Target="xl/workbook.xml"/>'
                f'<Relationship Id="rId2" Type="{_NS_PKG_REL}/metadata/core-properties" '
                'Target="docProps/core.xml"/>'
                f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties" '
                'Target="docProps/app.xml"/></Relationships>'
            ),
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": (
                f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}">{workbook_rels}</Relationships>'
            ),
            "xl/styles.xml": STYLES_XML,
            "xl/theme/theme1.xml": THEME_XML,
            "docProps/core.xml": (
                f'{_XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
                'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/'
                '1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/'
                '2001/XMLSchema-instance"><dc:creator>leadcap</dc:creator>'
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
                "</cp:coreProperties>"
            ),
            "docProps/app.xml": (
                f'{_XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/'
                'officeDocument/2006/extended-properties"><Application>leadcap</Application>'
                "</Properties>"
            ),
        }
        for name, xml in parts.items():
            self.zip.writestr(name, xml.encode(), compress_type=zipfile.ZIP_DEFLATED)
        self.zip.close()


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    """A1:C9 -> $A$1:$C$9."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))
