from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from leadcap.export.columns import LEAD_COLUMNS
from leadcap.export.xlsx import display_width, write_workbook

DATA = Path(__file__).parent / "data" / "owasp"
EVENT = {"name": "SEMICON Japan 2026", "timezone": "Asia/Tokyo"}
KEYS = [c.key for c in LEAD_COLUMNS]


def payloads() -> list[str]:
    lines = (DATA / "payloads.txt").read_text(encoding="utf-8").splitlines()
    decode = {"\\t": "\t", "\\r": "\r", "\\n": "\n"}
    out = []
    for line in lines:
        if line.startswith("# "):
            continue
        for escape, char in decode.items():
            line = line.replace(escape, char)
        out.append(line)
    return out


def lead(n: int = 1, **fields) -> dict:
    base = {
        "id": n, "uuid": f"uuid-{n}", "event": "SEMICON Japan 2026", "badge_id": "00123",
        "given_name": "太郎", "family_name": "山田", "full_name": "山田 太郎",
        "name_reading": "ヤマダ タロウ", "company": "山田製作所", "department": "営業部",
        "title": "部長", "email": "taro@example.co.jp", "phone": "+81 3-1234-5678",
        "mobile": "090-1234-5678", "website": "https://example.co.jp", "street": "丸の内1-1",
        "city": "千代田区", "postal_code": "0123", "country": "JP",
        "notes": "Wants a demo\nbudget Q1", "rating": "hot", "tags": ["AI"],
        "consent": {"followup": "granted", "marketing": "refused", "share": "not_asked"},
        "captured_by": "anna", "device": "laptop-1",
        "captured_at": "2026-12-09T01:15:00+00:00", "updated_at": "2026-12-09T01:15:00+00:00",
        "source": "vcard", "needs_review": False, "review_reasons": [], "visits": 1,
        "status": "new", "owner": "anna", "due": "2026-12-20", "exhibitor": "ACME",
    }  # fmt: skip
    return {**base, **fields}


def export(tmp_path, leads, **options):
    path = tmp_path / "leads.xlsx"
    summary = write_workbook(path, leads, event=EVENT, **options)
    return path, summary


def load(path):
    import openpyxl

    return openpyxl.load_workbook(path)


def data_rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(min_row=2))
    return [{key: cell for key, cell in zip(KEYS, row, strict=False)} for row in rows]


def test_summary_sheet_comes_first_with_counts(tmp_path):
    leads = [lead(1), lead(2, rating="cold", captured_at="2026-12-10T05:00:00+09:00")]
    path, summary = export(tmp_path, leads, filters={"rating": "hot,cold"})
    wb = load(path)
    assert wb.sheetnames == ["Summary", "Leads"]
    rows = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert rows["Event"] == "SEMICON Japan 2026"
    assert rows["Filters: rating"] == "hot,cold"
    assert (rows["Leads exported"], rows["Leads"], rows["hot"], rows["cold"]) == (2, 2, 1, 1)
    assert (rows["2026-12-09"], rows["2026-12-10"]) == (1, 1)
    assert summary.per_day == {"2026-12-09": 1, "2026-12-10": 1}


def test_injected_values_are_text_cells_never_formulas(tmp_path):
    bad = payloads()
    leads = [lead(i, company=p, notes=p, phone=p, email=p) for i, p in enumerate(bad)]
    path, _ = export(tmp_path, leads)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    rows = data_rows(load(path)["Leads"])
    assert all(c.data_type not in ("f", "e") for row in rows for c in row.values())
    assert [r["company"].value for r in rows] == [p.replace("\r", "\n") or None for p in bad]


def test_injected_values_read_back_exactly(tmp_path):
    value = '=HYPERLINK("http://evil","x")'
    path, _ = export(tmp_path, [lead(company=value, title="#N/A", given_name="@SUM(1+1)")])
    row = data_rows(load(path)["Leads"])[0]
    assert row["company"].value == value and row["company"].data_type == "s"
    assert row["title"].value == "#N/A" and row["title"].data_type == "s"
    assert row["given_name"].value == "@SUM(1+1)"


def test_calamine_reads_the_same_values(tmp_path):
    from python_calamine import CalamineWorkbook

    value = "=cmd|' /C calc'!A0"
    path, _ = export(tmp_path, [lead(company=value, title="#REF!")])
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()
    record = dict(zip(KEYS, rows[1], strict=False))
    assert record["company"] == value and record["title"] == "#REF!"
    assert record["phone"] == "+81 3-1234-5678" and record["postal_code"] == "0123"
    assert record["captured_at"] == datetime(2026, 12, 9, 10, 15)


def test_captured_at_is_a_datetime_in_the_event_time_zone(tmp_path):
    path, _ = export(tmp_path, [lead(captured_at="2026-12-09T01:15:00+00:00")])
    cell = data_rows(load(path)["Leads"])[0]["captured_at"]
    assert cell.value == datetime(2026, 12, 9, 10, 15)
    assert cell.number_format == "yyyy-mm-dd hh:mm"


def test_due_is_a_date_and_unparseable_times_stay_text(tmp_path):
    path, _ = export(tmp_path, [lead(due="2026-12-20", captured_at="yesterday")])
    row = data_rows(load(path)["Leads"])[0]
    assert row["due"].value == datetime(2026, 12, 20) and row["due"].number_format == "yyyy-mm-dd"
    assert row["captured_at"].value == "yesterday"


@pytest.mark.parametrize("key", ["phone", "mobile", "postal_code", "badge_id", "id"])
def test_codes_stay_text(tmp_path, key):
    path, _ = export(tmp_path, [lead(id=7, badge_id="00123")])
    cell = data_rows(load(path)["Leads"])[0][key]
    assert isinstance(cell.value, str) and cell.number_format == "@"
    assert cell.value == str(lead(id=7, badge_id="00123")[key])


def test_safe_email_and_website_become_links(tmp_path):
    path, _ = export(tmp_path, [lead()])
    row = data_rows(load(path)["Leads"])[0]
    assert row["email"].hyperlink.target == "mailto:taro@example.co.jp"
    assert row["website"].hyperlink.target == "https://example.co.jp"
    assert row["email"].style == "Hyperlink"


@pytest.mark.parametrize(
    ("key", "value"), [("website", "javascript:alert(1)"), ("email", "x@y.z?bcc=all@corp.com")]
)
def test_unsafe_addresses_are_plain_text(tmp_path, key, value):
    path, _ = export(tmp_path, [lead(**{key: value})])
    cell = data_rows(load(path)["Leads"])[0][key]
    assert cell.value == value and cell.hyperlink is None


def test_link_limit_keeps_addresses_as_text(tmp_path):
    path, summary = export(tmp_path, [lead(1), lead(2)], link_limit=2)
    rows = data_rows(load(path)["Leads"])
    assert rows[0]["email"].hyperlink is not None and rows[1]["email"].hyperlink is None
    assert rows[1]["email"].value == "taro@example.co.jp"
    assert summary.leads_without_links == 1


def test_lead_sheet_layout(tmp_path):
    from openpyxl.utils import get_column_letter

    path, _ = export(tmp_path, [lead(1), lead(2)])
    ws = load(path)["Leads"]
    status = get_column_letter(KEYS.index("status") + 1)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(KEYS))}3"
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"new,contacted,meeting,offer,won,lost"'
    assert str(validation.sqref) == f"{status}2:{status}3"
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert [c.value for c in ws[1]][-1] == "UUID"
    assert data_rows(ws)[0]["notes"].alignment.wrap_text


@pytest.mark.parametrize(("lang", "first"), [("en", "Rating"), ("de", "Bewertung"), ("ja", "評価")])
def test_header_labels_follow_language(tmp_path, lang, first):
    path, _ = export(tmp_path, [lead()], lang=lang)
    wb = load(path)
    assert wb.worksheets[1]["A1"].value == first


def test_column_width_counts_cjk_double(tmp_path):
    path, _ = export(tmp_path, [lead(company="株式会社" * 5)])
    ws = load(path)["Leads"]
    from openpyxl.utils import get_column_letter

    assert ws.column_dimensions[get_column_letter(KEYS.index("company") + 1)].width == 41
    assert display_width("山田 Taro") == 9


def test_split_by_tag_puts_a_lead_on_every_tag_sheet(tmp_path):
    leads = [lead(1, tags=["AI", "Robotics"]), lead(2, tags=["AI"]), lead(3, tags=[])]
    path, summary = export(tmp_path, leads, split_by="tag")
    wb = load(path)
    assert wb.sheetnames == ["Summary", "AI", "Robotics", "(no tag)"]
    assert [r["uuid"].value for r in data_rows(wb["AI"])] == ["uuid-1", "uuid-2"]
    assert [r["uuid"].value for r in data_rows(wb["Robotics"])] == ["uuid-1"]
    assert summary.sheets == {"AI": 2, "Robotics": 1, "(no tag)": 1} and summary.total == 3


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["a/b:c*?[d]"], "a_b_c___d_"),
        (["History"], "History (2)"),
        (["x" * 40], "x" * 31),
        (["AI", "ai"], "ai (2)"),
        (["'quoted'"], "quoted"),
    ],
)
def test_sheet_names_are_valid(tmp_path, tags, expected):
    path, _ = export(tmp_path, [lead(tags=tags)], split_by="tag")
    assert load(path).sheetnames[-1] == expected


def test_rows_over_the_limit_continue_on_a_new_sheet(tmp_path):
    leads = [lead(i) for i in range(5)]
    path, summary = export(tmp_path, leads, row_limit=2)
    wb = load(path)
    assert wb.sheetnames == ["Summary", "Leads", "Leads (2)", "Leads (3)"]
    assert [r["uuid"].value for r in data_rows(wb["Leads (3)"])] == ["uuid-4"]
    assert summary.sheets == {"Leads": 2, "Leads (2)": 2, "Leads (3)": 1}


def test_over_long_cells_are_cut_and_reported(tmp_path):
    path, summary = export(tmp_path, [lead(1, notes="x" * 40_000), lead(2)])
    assert summary.cut_uuids == ["uuid-1"]
    assert len(data_rows(load(path)["Leads"])[0]["notes"].value) == 32_767


def test_excel_escape_lookalikes_read_back_as_typed(tmp_path):
    from python_calamine import CalamineWorkbook

    path, _ = export(tmp_path, [lead(company="_x0041_ GmbH", notes="a\r\nb")])
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()
    record = dict(zip(KEYS, rows[1], strict=False))
    assert record["company"] == "_x0041_ GmbH" and record["notes"] == "a\nb"


def test_illegal_xml_characters_are_replaced(tmp_path):
    path, _ = export(tmp_path, [lead(company="A\x00B\x1bC", notes="lone \ud83d")])
    row = data_rows(load(path)["Leads"])[0]
    assert row["company"].value == "A\ufffdB\ufffdC" and row["notes"].value == "lone \ufffd"


@pytest.mark.parametrize("kind", ["list", "callable", "iterator"])
def test_any_lead_source_is_read_twice(tmp_path, kind):
    leads = [lead(1), lead(2)]
    source = {"list": leads, "callable": lambda: iter(leads), "iterator": iter(leads)}[kind]
    path, summary = export(tmp_path, source)
    assert summary.total == 2 and len(data_rows(load(path)["Leads"])) == 2


def test_progress_reports_the_final_count(tmp_path):
    seen = []
    export(tmp_path, [lead(i) for i in range(3)], progress=seen.append)
    assert seen[-1] == 3


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_reads_injected_cells_as_text(tmp_path):
    bad = [p for p in payloads() if p.strip() and "\r" not in p and "\n" not in p]
    path, _ = export(tmp_path, [lead(i, company=p) for i, p in enumerate(bad)])
    profile = f"-env:UserInstallation=file://{tmp_path}/lo-profile"
    # Comma, double quote, UTF-8 (76); the last token exports sheet 2 ("Leads") to leads-Leads.csv
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2"
    cmd = ["soffice", profile, "--headless", "--convert-to", csv_filter]
    subprocess.run([*cmd, "--outdir", str(tmp_path / "csv"), str(path)], check=True, timeout=180)
    with open(tmp_path / "csv" / "leads-Leads.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert [r[KEYS.index("company")] for r in rows[1:]] == bad


# --- the XML writer (sheetxml) ----------------------------------------------------------------


def test_every_safe_address_is_a_link_beyond_the_old_cap(tmp_path):
    # 6,000 leads with an e-mail and a website: 12,000 links, above the old 10,000 per workbook.
    leads = [lead(i, email=f"user{i}@example-{i % 7}.com") for i in range(6000)]
    path, summary = export(tmp_path, leads)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()
        rels = archive.read("xl/worksheets/_rels/sheet2.xml.rels").decode()
    column = KEYS.index("email") + 1
    assert sheet.count("<hyperlink ") == 12000 and rels.count('TargetMode="External"') == 12000
    parts = ["</sheetData>", "<autoFilter ", "<dataValidations ", "<hyperlinks>", "<pageMargins "]
    assert [sheet.index(p) for p in parts] == sorted(sheet.index(p) for p in parts)  # schema order
    last_email = sheet.index(f'<hyperlink ref="{chr(64 + column)}6001" r:id="rId11999"/>')
    assert last_email > 0 and 'Id="rId11999" Type' in rels
    assert 'Target="mailto:user5999@example-0.com"' in rels
    assert summary.leads_without_links == 0


def test_excel_link_limit_applies_per_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr("leadcap.export.xlsx.EXCEL_LINKS_PER_SHEET", 3)
    path, summary = export(tmp_path, [lead(i) for i in range(4)], row_limit=2)
    wb = load(path)
    links = [
        [r["email"].hyperlink is not None for r in data_rows(wb[t])] for t in wb.sheetnames[1:]
    ]
    assert links == [[True, False], [True, False]] and summary.leads_without_links == 2


def test_links_on_tag_sheets_point_at_their_own_rows(tmp_path):
    leads = [lead(1, tags=["AI"], email="a@x.jp"), lead(2, tags=["Robotics", "AI"], email="b@x.jp")]
    path, _ = export(tmp_path, leads, split_by="tag")
    wb = load(path)
    emails = {
        t: [r["email"].hyperlink.target for r in data_rows(wb[t])] for t in ("AI", "Robotics")
    }
    assert emails == {"AI": ["mailto:a@x.jp", "mailto:b@x.jp"], "Robotics": ["mailto:b@x.jp"]}


def test_zip_is_sound_and_has_every_part(tmp_path):
    path, _ = export(tmp_path, [lead(1), lead(2, website=None)], split_by="tag")
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml",
            "xl/_rels/workbook.xml.rels", "docProps/core.xml", "docProps/app.xml",
            "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
            "xl/worksheets/_rels/sheet2.xml.rels"} <= names  # fmt: skip


def test_openpyxl_reads_the_file_without_warnings(tmp_path):
    import warnings

    path, _ = export(tmp_path, [lead(1), lead(2)], split_by="tag", filters={"tag": "AI"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wb = load(path)
    assert wb.sheetnames == ["Summary", "AI"]


@pytest.mark.parametrize("value", ["  leading and trailing  ", "a & b <c> \"d\" 'e'", "\u3000全角"])
def test_spaces_and_markup_characters_read_back_exactly(tmp_path, value):
    from python_calamine import CalamineWorkbook

    path, _ = export(tmp_path, [lead(company=value)])
    assert data_rows(load(path)["Leads"])[0]["company"].value == value
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()
    assert rows[1][KEYS.index("company")] == value


def test_exporting_does_not_import_openpyxl(tmp_path):
    code = (
        "import sys; from leadcap.export.xlsx import write_workbook; "
        f"write_workbook({str(tmp_path / 'a.xlsx')!r}, [{{'uuid': 'u', 'email': 'a@b.jp'}}]); "
        "print(sorted(m for m in ('openpyxl', 'xlsxwriter', 'pandas') if m in sys.modules))"
    )
    repo = Path(__file__).parent.parent
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]" and (tmp_path / "a.xlsx").stat().st_size > 1000


def test_summary_dimension_covers_its_rows(tmp_path):
    path, _ = export(tmp_path, [lead(1)])
    with zipfile.ZipFile(path) as archive:
        summary = archive.read("xl/worksheets/sheet1.xml").decode()
        leads = archive.read("xl/worksheets/sheet2.xml").decode()
    last_row = summary.count("<row ")
    assert f'<dimension ref="A1:B{last_row}"/>' in summary
    last_column = chr(64 + len(KEYS) // 26) + chr(64 + len(KEYS) % 26)  # 36 columns: AJ
    assert f'<dimension ref="A1:{last_column}2"/>' in leads and 'ySplit="1"' in leads


def test_a_failed_export_leaves_no_file(tmp_path):
    def leads():
        yield lead(1)
        raise RuntimeError("database went away")

    calls = iter([lambda: iter([lead(1)]), leads])
    with pytest.raises(RuntimeError, match="went away"):
        export(tmp_path, lambda: next(calls)())
    assert not (tmp_path / "leads.xlsx").exists()


def test_zip64_entries_read_back(tmp_path, monkeypatch):
    from python_calamine import CalamineWorkbook

    monkeypatch.setattr("leadcap.export.sheetxml.ZIP64_FROM_BYTES", 0)  # as for a huge export
    path, _ = export(tmp_path, [lead(i) for i in range(1200)])
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()
    assert len(rows) == 1201 and rows[-1][KEYS.index("uuid")] == "uuid-1199"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_reads_sheets_that_were_spooled(tmp_path):
    # Robotics fills its first batch of rows first and streams into the zip; AI's rows wait in
    # a temporary file meanwhile, so AI's part comes after Robotics' in the archive.
    leads = [lead(i, tags=["AI", "Robotics"] if i % 2 else ["Robotics"]) for i in range(700)]
    path, _ = export(tmp_path, leads, split_by="tag")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert names.index("xl/worksheets/sheet3.xml") < names.index("xl/worksheets/sheet2.xml")
    profile = f"-env:UserInstallation=file://{tmp_path}/lo-profile"
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2"
    cmd = ["soffice", profile, "--headless", "--convert-to", csv_filter]
    subprocess.run([*cmd, "--outdir", str(tmp_path / "csv"), str(path)], check=True, timeout=180)
    with open(tmp_path / "csv" / "leads-AI.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert [r[KEYS.index("uuid")] for r in rows[1:]] == [f"uuid-{i}" for i in range(1, 700, 2)]
    assert rows[1][KEYS.index("captured_at")] == "2026-12-09 10:15:00"


def test_websites_longer_than_excel_allows_stay_text(tmp_path):
    long_url = "https://example.jp/" + "a" * 2100
    path, summary = export(tmp_path, [lead(1, website=long_url), lead(2)])
    rows = data_rows(load(path)["Leads"])
    assert rows[0]["website"].value == long_url and rows[0]["website"].hyperlink is None
    assert rows[1]["website"].hyperlink.target == "https://example.co.jp"
    assert rows[0]["email"].hyperlink.target == "mailto:taro@example.co.jp"
