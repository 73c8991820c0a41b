"""Every workbook leadcap writes is checked against the ECMA-376 transitional schemas and the
Open XML SDK's semantic rules (openxml-audit, a pure-Python port of the SDK validator), so
the hand-written streaming writer cannot drift from what Excel opens without "repairing".

Two findings are accepted on purpose:
- `Excel_InlineStrCells`, a warning that the lead sheets use inline strings instead of a
  shared-string table. Streaming needs that (a shared-string table would hold every value in
  memory); Excel reads inline strings and converts them on save.
- "Unexpected element" inside a `<font>` of an openpyxl workbook's styles (the fair report):
  openpyxl writes `name, family, color, sz`. ECMA-376 transitional declares CT_Font as
  `<xsd:choice maxOccurs="unbounded">` (any order); the SDK, and so openxml-audit, check it
  as a sequence. Any other error in styles.xml still fails.

Link targets are `xsd:anyURI` in the schema, which accepts almost anything, while Excel drops
the links of a workbook with a target that is not an RFC 3986 URI: that is checked here too."""

from __future__ import annotations

import re
import zipfile

import pytest
from openxml_audit import OpenXmlValidator

from leadcap.store.leads import add_lead

ACCEPTED = {"Excel_InlineStrCells"}
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]*")
BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def font_order(error) -> bool:
    """The SDK's sequence reading of CT_Font, which the ECMA schema does not have."""
    return (
        error.part_uri == "/xl/styles.xml"
        and re.fullmatch(r"/styleSheet\[1\]/fonts\[1\]/font\[\d+\]", error.path or "") is not None
        and error.description.startswith("Unexpected element")
    )


def problems(path) -> list[str]:
    result = OpenXmlValidator(max_errors=100).validate(str(path))
    found = [f"{e.id or e.error_type} {e.part_uri} {e.path}: {e.description}"
             for e in result.errors if e.id not in ACCEPTED and not font_order(e)]  # fmt: skip
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.endswith(".rels"):
                xml = book.read(name).decode()
                for target in re.findall(r'Target="([^"]*)" TargetMode="External"', xml):
                    uri = target.replace("&amp;", "&")
                    if not URI.fullmatch(uri.replace("%", "")) or BAD_PERCENT.search(uri):
                        found.append(f"{name}: link target {target!r} is not a URI")
    return found


@pytest.fixture
def hostile(store):
    """Leads whose values stress the writer: IRIs, broken links, mailto specials, emoji and
    rare kanji in tag names (sheet names), formulas, control characters, long text."""
    at = "2026-12-10T10:00:00+09:00"
    leads = [
        ({"family_name": "山田", "email": "a#b@example.com", "website": "https://bücher.de/straße",
          "company": "=HYPERLINK(\"x\")", "notes": "x" * 40_000, "region": "東京都"},
         ["😀" * 20, "AI"], "hot", None),
        ({"family_name": "Weber", "email": "100%sure@example.de",
          "website": "https://example.com/%zz", "notes": "bell\x07 and tab\t"},
         ["𠮷野家" + "あ" * 40], "warm", "ACME"),
        ({"company": "Pavilion", "website": "https://a b.example/<x>"}, [], None, "acme"),
    ]  # fmt: skip
    for fields, tags, rating, exhibitor in leads:
        add_lead(store, fields, tags=tags, rating=rating, exhibitor=exhibitor, captured_at=at)
    return store


@pytest.mark.parametrize(
    "args",
    [[], ["--split-by", "tag"], ["--split-by", "rating", "--lang", "ja"], ["--lang", "de"]],
)
def test_export_workbooks_are_valid(cli, hostile, tmp_path, args):
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out), *args)
    assert problems(out) == []


def test_split_files_are_valid(cli, hostile, tmp_path):
    cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(tmp_path / "out"))
    books = sorted((tmp_path / "out").glob("*.xlsx"))
    assert len(books) == 2 and [problems(book) for book in books] == [[], []]


def test_debrief_workbook_is_valid(cli, hostile, tmp_path):
    out = tmp_path / "debrief.xlsx"
    cli("debrief", "--date", "2026-12-10", "-o", str(out))
    assert problems(out) == []


def test_the_check_catches_what_excel_would_repair(cli, hostile, tmp_path):
    """The validator is not a rubber stamp: a schema error and a non-URI link are found."""
    good, bad = tmp_path / "leads.xlsx", tmp_path / "bad.xlsx"
    cli("export", "xlsx", "-o", str(good))
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b'showErrorMessage="1"', b'showErrorMessage="yes"')
            if item.filename.endswith(".rels"):
                data = data.replace(b"xn--bcher-kva.de", "bücher.de".encode())
            out.writestr(item, data)
    found = problems(bad)
    assert any("showErrorMessage" in p for p in found)
    assert any("is not a URI" in p for p in found)


def test_links_are_uris_or_plain_text(cli, hostile, tmp_path):
    import openpyxl

    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out))
    sheet = openpyxl.load_workbook(out)["Leads"]
    links = {c.value: c.hyperlink.target for row in sheet.iter_rows() for c in row if c.hyperlink}
    assert links == {
        "a#b@example.com": "mailto:a%23b@example.com",
        "https://bücher.de/straße": "https://xn--bcher-kva.de/stra%C3%9Fe",
        "100%sure@example.de": "mailto:100%25sure@example.de",
    }  # the %zz and the spaced website stay plain text


def test_sheet_names_count_utf16_units(cli, hostile, tmp_path):
    import openpyxl

    out = tmp_path / "tags.xlsx"
    cli("export", "xlsx", "-o", str(out), "--split-by", "tag")
    names = openpyxl.load_workbook(out).sheetnames
    assert "😀" * 15 in names and "𠮷野家" + "あ" * 27 in names
    assert all(len(name.encode("utf-16-le")) // 2 <= 31 for name in names)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_fair_report_workbook_is_valid(cli, hostile, tmp_path, lang):
    out = tmp_path / "report.xlsx"
    cli("report", "-o", str(out), "--lang", lang)
    assert problems(out) == []
