from __future__ import annotations

import csv
import subprocess
import sys

import openpyxl
import pytest

from leadcap.export.columns import LEAD_COLUMNS
from leadcap.store.leads import add_lead

KEYS = [c.key for c in LEAD_COLUMNS]


def add(store, name: str, day: int = 9, **options):
    at = f"2026-12-{day:02d}T10:00:00+09:00"
    fields = {"family_name": name, "email": f"{name.lower()}@example.com"}
    return add_lead(store, fields, captured_at=at, **options)


def sheet_rows(path, sheet: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(KEYS, row, strict=True)) for row in rows[1:]]


def family_names(path, sheet: str = "Leads") -> list[str]:
    return [row["family_name"] for row in sheet_rows(path, sheet)]


@pytest.fixture
def fair(store):
    add(store, "Cold", 10, rating="cold", tags=["IoT"], exhibitor="ACME")
    add(store, "OldHot", 9, rating="hot", tags=["AI", "IoT"], consent={"followup": "granted"})
    add(store, "NewHot", 10, rating="hot", tags=["AI"], consent={"followup": "granted"})
    add(store, "Unrated", 11)
    add(store, "Shared", 9, rating="warm", tags=["acme"], consent={"share": "granted"})
    return store


def test_xlsx_summary_first_then_hot_first_newest_first(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    result = cli("export", "xlsx", "-o", str(out))
    assert "Wrote 5 lead(s)" in result.output
    assert openpyxl.load_workbook(out).sheetnames == ["Summary", "Leads"]
    assert family_names(out) == ["NewHot", "OldHot", "Shared", "Cold", "Unrated"]


def test_xlsx_filters_and_the_summary_lists_them(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    cli(
        "export", "xlsx", "-o", str(out), "--rating", "hot", "--consent", "followup", "--lang", "de"
    )
    assert family_names(out, "Leads") == ["NewHot", "OldHot"]
    summary = {
        r[0]: r[1] for r in openpyxl.load_workbook(out)["Übersicht"].iter_rows(values_only=True)
    }
    assert summary["Filter: rating"] == "hot" and summary["Filter: consent"] == "followup"
    assert summary["Exportierte Leads"] == 2


def test_split_by_tag_puts_a_lead_with_two_tags_on_both_sheets(cli, fair, tmp_path):
    out = tmp_path / "tags.xlsx"
    result = cli("export", "xlsx", "-o", str(out), "--split-by", "tag")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "acme", "AI", "IoT", "(no tag)"]
    assert family_names(out, "AI") == ["NewHot", "OldHot"]
    assert family_names(out, "IoT") == ["OldHot", "Cold"]
    assert "AI: 2 lead(s)" in result.output


def test_files_per_exhibitor_follow_the_privacy_rule(cli, fair, tmp_path):
    folder = tmp_path / "out"
    result = cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(folder))
    assert sorted(p.name for p in folder.iterdir()) == ["(none).xlsx", "ACME.xlsx"]
    # ACME: its own lead plus the organiser's lead tagged "acme" with share consent.
    assert family_names(folder / "ACME.xlsx") == ["Shared", "Cold"]
    assert family_names(folder / "(none).xlsx") == ["NewHot", "OldHot", "Shared", "Unrated"]
    assert "ACME.xlsx: 2 lead(s)" in result.output


def test_new_with_profile_exports_only_newer_leads(cli, store, tmp_path):
    add(store, "First")
    cli("export", "xlsx", "-o", str(tmp_path / "1.xlsx"), "--new", "--profile", "acme")
    add(store, "Second")
    cli("export", "xlsx", "-o", str(tmp_path / "2.xlsx"), "--new", "--profile", "acme")
    assert family_names(tmp_path / "2.xlsx") == ["Second"]
    result = cli("export", "xlsx", "-o", str(tmp_path / "3.xlsx"), "--new", "--profile", "acme")
    assert "No leads match" in result.output and not (tmp_path / "3.xlsx").exists()


def read_csv(path, delimiter=","):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def test_csv_leadcap_layout_with_semicolons(cli, fair, tmp_path):
    out = tmp_path / "leads.csv"
    cli("export", "csv", "-o", str(out), "--delimiter", ";", "--tag", "AI")
    rows = read_csv(out, ";")
    assert [r["family_name"] for r in rows] == ["NewHot", "OldHot"]
    assert rows[0]["email"] == "newhot@example.com" and rows[0]["tags"] == "AI"


@pytest.mark.parametrize(
    ("format", "status_header", "status"),
    [("salesforce", "Lead Status", "Open - Not Contacted"), ("hubspot", "Lead Status", "New")],
)
def test_csv_crm_layouts(cli, fair, tmp_path, format, status_header, status):
    out = tmp_path / "crm.csv"
    cli("export", "csv", "-o", str(out), "--format", format, "--rating", "cold")
    (row,) = read_csv(out)
    assert row["Last Name"] == "Cold" and row["Email"] == "cold@example.com"
    assert row[status_header] == status


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcf_cards(cli, fair, tmp_path, version):
    out = tmp_path / "leads.vcf"
    cli("export", "vcf", "-o", str(out), "--version", version, "--rating", "hot")
    text = out.read_bytes().decode("utf-8")
    assert text.count("BEGIN:VCARD") == 2 and f"VERSION:{version}\r\n" in text
    assert "EMAIL;TYPE=" in text and "newhot@example.com" in text


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["xlsx", "-o", "x.xlsx", "--split-by", "colour"], 2, "Cannot split by 'colour'"),
        (["xlsx", "-o", "x.xlsx", "--lang", "fr"], 2, "Unknown language 'fr'"),
        (["xlsx", "--files", "out"], 2, "--files needs --split-by"),
        (["xlsx", "-o", "x.xlsx", "--rating", "lukewarm"], 2, "Unknown rating"),
        (["csv", "-o", "x.csv", "--format", "pipedrive"], 2, "Unknown CSV format"),
        (["vcf", "-o", "x.vcf", "--version", "2.1"], 2, "3.0 or 4.0"),
        (["xlsx", "-o", "missing/dir/x.xlsx"], 1, "does not exist"),
    ],
)
def test_bad_input_is_one_error_line(cli, fair, tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    result = cli("export", *args, code=code)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert not list(tmp_path.glob("x.*")) and not (tmp_path / "out").exists()


def test_unwritable_folder_leaves_nothing(unprivileged, fair, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = unprivileged("export", "xlsx", "-o", str(folder / "x.xlsx"))
    finally:
        folder.chmod(0o700)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: Cannot write") and list(folder.iterdir()) == []


def test_cli_import_stays_light():
    heavy = "('openpyxl', 'python_calamine')"
    code = f"import sys, leadcap.cli; print(*(m in sys.modules for m in {heavy}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_spelling_variants_of_an_exhibitor_share_one_file(cli, store, tmp_path):
    add(store, "Lower", exhibitor="acme gmbh")
    add(store, "Upper", exhibitor="ACME GmbH")
    add(store, "Spaced", exhibitor=" Acme GmbH ")
    folder = tmp_path / "out"
    cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(folder))
    assert [p.name for p in folder.iterdir()] == ["acme gmbh.xlsx"]
    assert sorted(family_names(folder / "acme gmbh.xlsx")) == ["Lower", "Spaced", "Upper"]


def test_an_exhibitors_file_is_spelled_as_configured(cli, store, tmp_path):
    store.set_setting("exhibitors", ["ACME GmbH", "Bolt AG"])
    add(store, "Lower", exhibitor="acme gmbh")
    add(store, "Shared", tags=["acme GMBH"], consent={"share": "granted"})
    folder = tmp_path / "out"
    cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(folder))
    assert sorted(p.name for p in folder.iterdir()) == ["(none).xlsx", "ACME GmbH.xlsx"]
    assert sorted(family_names(folder / "ACME GmbH.xlsx")) == ["Lower", "Shared"]


def test_csv_without_output_writes_to_stdout(cli, fair, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("export", "csv", "--rating", "cold")
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["family_name"] for r in rows] == ["Cold"]
    assert "Wrote 1 lead(s) to standard output" in result.stderr
    assert list(tmp_path.glob("*.csv")) == [] and not (tmp_path / "-").exists()


def test_csv_dash_output_writes_to_stdout(cli, fair, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("export", "csv", "-o", "-", "--format", "hubspot", "--rating", "cold")
    assert result.stdout.startswith('"First Name"') and not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("args", "name"),
    [(["xlsx", "-o", "x.csv"], "x.csv"), (["csv", "-o", "x.xlsx"], "x.xlsx"),
     (["vcf", "-o", "x.csv"], "x.csv")],
)  # fmt: skip
def test_a_mismatched_extension_is_refused(cli, fair, tmp_path, monkeypatch, args, name):
    monkeypatch.chdir(tmp_path)
    result = cli("export", *args, code=2)
    assert result.stderr.startswith(f"Error: {name} does not end in")
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize(
    "args", [["xlsx", "-o", "x.xlsx"], ["csv", "-o", "x.csv"], ["vcf", "-o", "x.vcf"]]
)
def test_an_existing_file_is_replaced_only_with_force(cli, fair, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / args[-1]
    target.write_bytes(b"a colleague's edits")
    result = cli("export", *args, code=1)
    assert f"{args[-1]} already exists. Add --force" in result.stderr
    assert target.read_bytes() == b"a colleague's edits"
    cli("export", *args, "--force")
    assert target.read_bytes() != b"a colleague's edits"


def test_existing_split_files_need_force(cli, fair, tmp_path):
    folder = tmp_path / "out"
    cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(folder))
    result = cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(folder), code=1)
    assert "already exists" in result.stderr and "--force" in result.stderr
    cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(folder), "--force")


def test_xlsx_to_stdout_is_refused(cli, fair):
    result = cli("export", "xlsx", "-o", "-", code=2)
    assert "cannot go to standard output" in result.stderr


def test_crm_csv_has_no_spreadsheet_apostrophe_and_e164_phones(cli, store, tmp_path):
    add_lead(store, {"family_name": "Weber", "phone": "+49 711 123456", "country": "DE"})
    out = tmp_path / "sf.csv"
    cli("export", "csv", "-o", str(out), "--format", "salesforce")
    (row,) = read_csv(out)
    assert row["Phone"] == "+49711123456"


def test_won_lead_imports_into_salesforce(cli, store, tmp_path):
    lead = add_lead(store, {"family_name": "Weber"})
    cli("edit", str(lead["id"]), "--status", "won")
    out = tmp_path / "sf.csv"
    cli("export", "csv", "-o", str(out), "--format", "salesforce")
    (row,) = read_csv(out)
    assert row["Lead Status"] == "Working - Contacted"


@pytest.mark.parametrize(
    ("lang", "rating", "status", "consent", "review"),
    [("de", "heiß", "neu", "erteilt", "nein"), ("ja", "ホット", "新規", "同意", "いいえ")],
)
def test_lang_translates_values_in_csv(cli, fair, tmp_path, lang, rating, status, consent, review):
    out = tmp_path / "leads.csv"
    cli("export", "csv", "-o", str(out), "--lang", lang, "--rating", "hot")
    row = read_csv(out)[0]
    assert (row["rating"], row["status"], row["consent_followup"]) == (rating, status, consent)
    assert row["needs_review"] == review and row["consent_share"] != "not_asked"


def test_lang_translates_values_in_xlsx(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out), "--lang", "de", "--rating", "hot")
    row = sheet_rows(out, "Leads")[0]
    assert (row["rating"], row["status"], row["consent_followup"]) == ("heiß", "neu", "erteilt")
    assert row["needs_review"] == "nein"
    (rule,) = openpyxl.load_workbook(out)["Leads"].data_validations.dataValidation
    assert rule.formula1 == '"neu,kontaktiert,Termin,Angebot,gewonnen,verloren"'
    assert rule.showErrorMessage  # Excel refuses a typed status that is not on the list


def test_a_german_status_typed_in_the_workbook_imports(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out), "--lang", "de", "--rating", "cold")
    wb = openpyxl.load_workbook(out)
    wb["Leads"]["B2"] = "gewonnen"
    wb.save(out)
    cli("import", "followups", str(out))
    assert cli.json("list", "--rating", "cold")[0]["status"] == "won"


VCARD_WITH_REGION = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Sato;Ken;;;\nFN:Ken Sato\nEMAIL:ken@example.jp\n"
    "ADR:;;1-1 Marunouchi;Chiyoda-ku;Tokyo;100-0005;JP\nURL:javascript:alert(1)\nEND:VCARD\n"
)


def test_region_is_captured_and_exported_in_every_format(cli, tmp_path):
    cli("scan", input=VCARD_WITH_REGION)
    (lead,) = cli.json("list")
    assert (lead["city"], lead["region"]) == ("Chiyoda-ku", "Tokyo")
    cli("export", "csv", "-o", str(tmp_path / "l.csv"))
    assert read_csv(tmp_path / "l.csv")[0]["region"] == "Tokyo"
    cli("export", "csv", "-o", str(tmp_path / "sf.csv"), "--format", "salesforce")
    assert read_csv(tmp_path / "sf.csv")[0]["State/Province"] == "Tokyo"
    cli("export", "csv", "-o", str(tmp_path / "hs.csv"), "--format", "hubspot")
    assert read_csv(tmp_path / "hs.csv")[0]["State/Region"] == "Tokyo"
    cli("export", "xlsx", "-o", str(tmp_path / "l.xlsx"))
    assert sheet_rows(tmp_path / "l.xlsx", "Leads")[0]["region"] == "Tokyo"
    cli("export", "vcf", "-o", str(tmp_path / "l.vcf"))
    card = (tmp_path / "l.vcf").read_bytes().decode("utf-8")
    assert "ADR;TYPE=work:;;1-1 Marunouchi;Chiyoda-ku;Tokyo;100-0005;JP\r\n" in card
    assert "javascript:" not in card


def test_region_can_be_typed(cli):
    lead = cli.json("add", "--family-name", "Weber", "--region", "Bayern")
    assert lead["region"] == "Bayern"
    assert cli.json("edit", str(lead["id"]), "--region", "Hessen")["region"] == "Hessen"


def test_crm_phones_use_the_events_country(cli, store, tmp_path):
    cli("config", "set", "country", "JP")
    add_lead(store, {"family_name": "Sato", "phone": "03-1234-5678"})
    cli("export", "csv", "-o", str(tmp_path / "hs.csv"), "--format", "hubspot")
    assert read_csv(tmp_path / "hs.csv")[0]["Phone Number"] == "+81312345678"


def test_e164_phones_in_json_show_csv_and_crm_for_a_country_name(cli, monkeypatch, tmp_path):
    card = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Sato;Ken\nTEL;TYPE=work:03-1234-5678\n"
        "TEL;TYPE=cell:090-1234-5678\nADR;TYPE=work:;;1-2-3 Chiyoda;Tokyo;;100-0001;日本\n"
        "END:VCARD\n"
    )
    cli("scan", input=card)
    lead = cli.json("show", "1")
    assert (lead["country"], lead["country_code"]) == ("日本", "JP")
    assert (lead["phone_e164"], lead["mobile_e164"]) == ("+81312345678", "+819012345678")
    assert not lead["needs_review"]
    assert "+81312345678" in cli("show", "1").stdout
    monkeypatch.chdir(tmp_path)
    (row,) = list(csv.DictReader(cli("export", "csv").stdout.splitlines()))
    # leadcap's own CSV keeps spreadsheets from reading "+..." as a formula
    assert (row["phone_e164"], row["mobile_e164"]) == ("'+81312345678", "'+819012345678")
    hubspot = cli("export", "csv", "-o", "-", "--format", "hubspot").stdout
    (crm,) = list(csv.DictReader(hubspot.splitlines()))
    assert crm["Phone Number"] == "+81312345678"
    cli("export", "xlsx", "-o", str(tmp_path / "leads.xlsx"))
    (row,) = sheet_rows(tmp_path / "leads.xlsx", "Leads")
    assert (row["phone_e164"], row["mobile_e164"]) == ("+81312345678", "+819012345678")
