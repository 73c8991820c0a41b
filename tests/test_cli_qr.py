"""`leadcap qr card|commands|badge` through the CLI: what they write decodes to what they mean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leadcap.intake.parse import parse_payload
from leadcap.intake.parse.vcard import parse_vcard
from leadcap.intake.photo import decode_image, decode_images

CELL = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}


def terminal_code(text: str, path: Path) -> str:
    """Turn the half-block drawing back into an image (one module wide, two tall per character,
    8 pixels a module) and decode it."""
    from PIL import Image

    lines = [line for line in text.splitlines() if line and set(line) <= set(CELL)]
    rows = [[CELL[c][half] for c in line] for line in lines for half in (0, 1)]
    image = Image.new("L", (len(rows[0]), len(rows)), 255)
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    image.resize((image.width * 8, image.height * 8), Image.Resampling.NEAREST).save(path)
    [code] = decode_image(path).codes
    return code.text


@pytest.fixture
def booth_card(cli):
    cli("config", "set", "card.name", "Anna Schmidt")
    cli("config", "set", "card.company", "German Pavilion")
    cli("config", "set", "card.email", "booth@example.de")
    cli("config", "set", "card.phone", "+49 30 1234567")


def test_card_is_drawn_in_the_terminal(cli, booth_card, tmp_path):
    result = cli("qr", "card")
    [contact] = parse_vcard(terminal_code(result.stdout, tmp_path / "t.png"))
    assert (contact.full_name, contact.company) == ("Anna Schmidt", "German Pavilion")
    assert (contact.email, contact.phone) == ("booth@example.de", "+49 30 1234567")


def test_card_png_decodes_to_the_booth_card(cli, booth_card, tmp_path):
    result = cli("qr", "card", "-o", str(tmp_path / "card.png"))
    assert result.stdout.strip() == f"Wrote {tmp_path / 'card.png'}."
    [code] = decode_image(tmp_path / "card.png").codes
    [contact] = parse_vcard(code.payload)
    assert (contact.given_name, contact.family_name) == ("Anna", "Schmidt")
    assert contact.email == "booth@example.de"


def test_card_mine_uses_the_staff_members_card(cli, booth_card, tmp_path):
    cli("config", "set", "my-card.name-ja", "佐藤 花子")
    cli("config", "set", "my-card.email", "hanako@example.jp")
    cli("qr", "card", "--mine", "-o", str(tmp_path / "mine.png"))
    [code] = decode_image(tmp_path / "mine.png").codes
    [contact] = parse_vcard(code.payload)
    assert (contact.family_name, contact.given_name) == ("佐藤", "花子")
    assert contact.email == "hanako@example.jp" and contact.company is None


def test_card_without_details_tells_how_to_set_them(cli, store):
    result = cli("qr", "card", code=1)
    assert result.stderr.startswith(
        "Error: No card details set. Set them with leadcap config set card.name"
    )


def test_card_mine_without_details_names_my_card(cli, booth_card):
    result = cli("qr", "card", "--mine", code=1)
    assert "leadcap config set my-card.name" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("card", "-o", "card.txt"),
        ("commands", "-o", "sheet.docx"),
        ("badge", "-o", "sheet.jpg"),
        ("badge", "--format", "qrcode"),
    ],
)
def test_unsupported_output_or_format_exits_2(cli, booth_card, args):
    result = cli("qr", *args, code=2)
    assert result.stderr.startswith("Error: ")


def test_command_sheet_png_holds_every_command_code(cli, tmp_path):
    cli("config", "set", "tags", "AI,Materials,Sensors")
    result = cli("qr", "commands", "-o", str(tmp_path / "sheet.png"))
    assert "Wrote 10 code(s) on 1 page(s)" in result.stdout
    [page] = decode_images([tmp_path / "sheet.png"])
    assert sorted(code.text for code in page.codes) == [
        "LEADCAP:CONSENT:followup", "LEADCAP:CONSENT:marketing", "LEADCAP:CONSENT:share",
        "LEADCAP:RATE:cold", "LEADCAP:RATE:hot", "LEADCAP:RATE:warm",
        "LEADCAP:TAG:AI", "LEADCAP:TAG:Materials", "LEADCAP:TAG:Sensors", "LEADCAP:UNDO",
    ]  # fmt: skip


def test_command_sheet_pdf(cli, store, tmp_path):
    result = cli("qr", "commands", "-o", str(tmp_path / "sheet.pdf"))
    assert (tmp_path / "sheet.pdf").read_bytes().startswith(b"%PDF")
    assert "Wrote 7 code(s) on 1 page(s)" in result.stdout  # no tags: 3 ratings, 3 consents, undo


def test_badge_folder_holds_decodable_japanese_badges(cli, tmp_path):
    result = cli("qr", "badge", "--japanese", "--count", "3", "-o", str(tmp_path / "badges"))
    assert result.stdout.strip() == f"Wrote 3 badge(s) to {tmp_path / 'badges'}."
    paths = sorted((tmp_path / "badges").glob("*.png"))
    assert [p.name for p in paths] == ["badge-001.png", "badge-002.png", "badge-003.png"]
    contacts = [parse_payload(c.payload).contacts[0] for r in decode_images(paths) for c in r.codes]
    assert [c.badge_id for c in contacts] == ["NT27-000001", "NT27-000002", "NT27-000003"]
    assert all(c.name_reading and c.family_name for c in contacts)


def test_badge_sheet_html(cli, tmp_path):
    cli("qr", "badge", "--format", "mecard", "--count", "2", "-o", str(tmp_path / "b.html"))
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert page.count("<img") == 2 and "NT27-000002" in page


def test_badge_id_in_the_terminal_is_a_bare_badge_id(cli, tmp_path):
    result = cli("qr", "badge", "--format", "id", "--count", "1")
    assert result.stdout.splitlines()[0] == "NT27-000001 · Kenji Wagner · Brightlayer Coatings Ltd."
    text = terminal_code(result.stdout, tmp_path / "t.png")
    assert parse_payload(text).source == "badge" and text == "NT27-000001"


def test_cli_import_leaves_qrcode_and_pillow_unloaded():
    code = "import sys, leadcap.cli; print([m for m in ('qrcode', 'PIL') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_card_of_an_organisation_has_no_person_name(cli, tmp_path):
    cli("config", "set", "card.company", "German Pavilion")
    cli("qr", "card", "-o", str(tmp_path / "card.png"))
    [code] = decode_image(tmp_path / "card.png").codes
    text = code.payload.decode("utf-8") if isinstance(code.payload, bytes) else code.payload
    assert "N:Pavilion;German" not in text and "X-ABShowAs:COMPANY" in text
    [contact] = parse_vcard(code.payload)
    assert (contact.family_name, contact.given_name, contact.company) == (
        None, None, "German Pavilion")  # fmt: skip


def test_commands_without_a_japanese_font_list_what_each_number_is(cli, tmp_path, monkeypatch):
    from leadcap.output import qr

    monkeypatch.setattr(qr, "find_cjk_font", lambda: None)
    cli("config", "set", "tags", "センサー")
    result = cli("qr", "commands", "-o", str(tmp_path / "sheet.png"))
    assert "Warning: no Japanese font found" in result.stderr
    assert "  1. Interesse · Interest · 関心: センサー" in result.stdout
